/* With threads enabled, a DNS server's requests are answered from worker threads
 * while the loop keeps reading queries: the port's lock keeps the two apart. */
// test: link event_core event_extra event_pthreads
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

#define QUERIES 200

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct evdns_server_request *pending[QUERIES];
static int pending_count, taken, done;
static int callbacks;

static void server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	callbacks++;
	pthread_mutex_lock(&mutex);
	if (pending_count < QUERIES)
		pending[pending_count++] = req;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mutex);
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mutex);
		while (taken == pending_count && !done)
			pthread_cond_wait(&cond, &mutex);
		if (taken == pending_count && done) {
			pthread_mutex_unlock(&mutex);
			return NULL;
		}
		struct evdns_server_request *req = pending[taken++];
		pthread_mutex_unlock(&mutex);
		unsigned char addr[4] = { 10, 0, 0, 7 };
		evdns_server_request_add_a_reply(req, req->questions[0]->name, 1, addr, 5);
		evdns_server_request_respond(req, 0);
	}
}

int main(void)
{
	REQUIRE(evthread_use_pthreads() == 0);
	struct event_base *base = event_base_new();
	REQUIRE(base);

	int server_fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(server_fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	socklen_t slen = sizeof(sin);
	REQUIRE(getsockname(server_fd, (struct sockaddr *)&sin, &slen) == 0);
	evutil_make_socket_nonblocking(server_fd);
	struct evdns_server_port *port = evdns_add_server_port_with_base(base, server_fd, 0, server_cb, NULL);
	REQUIRE(port);

	pthread_t threads[2];
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&threads[i], NULL, worker, NULL) == 0);

	int client = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 1 << 20;
	setsockopt(client, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	int answered = 0;
	unsigned char seen[QUERIES];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < QUERIES; i++) {
		unsigned char q[] = { (unsigned char)(i >> 8), (unsigned char)i, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
		sendto(client, q, sizeof(q), 0, (struct sockaddr *)&sin, sizeof(sin));
		if (i % 8 == 0)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	unsigned char reply[512];
	for (int i = 0; i < 2000 && answered < QUERIES; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		ssize_t n;
		while ((n = recv(client, reply, sizeof(reply), MSG_DONTWAIT)) >= 12) {
			unsigned id = (unsigned)reply[0] << 8 | reply[1];
			if (id < QUERIES && !seen[id] && reply[7] == 1) {
				seen[id] = 1;
				answered++;
			}
		}
		usleep(1000);
	}
	CHECK_INT_EQ(callbacks, QUERIES);
	CHECK_INT_EQ(answered, QUERIES);

	pthread_mutex_lock(&mutex);
	done = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mutex);
	for (int i = 0; i < 2; i++)
		pthread_join(threads[i], NULL);
	evdns_close_server_port(port);
	close(client);
	event_base_free(base);
	return check_report();
}
