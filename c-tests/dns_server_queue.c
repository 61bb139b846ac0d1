/* Replies that would block are queued and sent, in order, once the socket is
 * writable: respond answers 1 for them. A Unix datagram socket with a small send
 * buffer makes sends block while the client does not read. Closing the port with
 * replies queued still sends them, and closes the socket after the last. */
// test: evrs-only libevent tests the would-block error the wrong way round: respond answers -1 and keeps the request
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/util.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

#define QUERIES 60

static int callbacks, sent_now, queued, failed;

static void server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	callbacks++;
	for (int i = 0; i < 20; i++) {
		unsigned char addr[4] = { 10, 0, 0, (unsigned char)i };
		evdns_server_request_add_a_reply(req, req->questions[0]->name, 1, addr, 1);
	}
	int r = evdns_server_request_respond(req, 0);
	if (r == 0)
		sent_now++;
	else if (r == 1)
		queued++;
	else
		failed++;
}

static int unix_dgram(struct sockaddr_un *addr, const char *tag)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	REQUIRE(fd >= 0);
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "/tmp/evrs-dns-queue-%d-%s", (int)getpid(), tag);
	unlink(addr->sun_path);
	REQUIRE(bind(fd, (struct sockaddr *)addr, sizeof(*addr)) == 0);
	evutil_make_socket_nonblocking(fd);
	return fd;
}

int main(void)
{
	struct event_base *base = event_base_new();
	REQUIRE(base);
	struct sockaddr_un server_addr, client_addr;
	int server_fd = unix_dgram(&server_addr, "s");
	int client_fd = unix_dgram(&client_addr, "c");
	int small = 4096;
	setsockopt(server_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));

	struct evdns_server_port *port = evdns_add_server_port_with_base(base, server_fd, 0, server_cb, NULL);
	REQUIRE(port);

	for (int i = 0; i < QUERIES; i++) {
		unsigned char q[] = { 0, (unsigned char)i, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 'q', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
		REQUIRE(sendto(client_fd, q, sizeof(q), 0, (struct sockaddr *)&server_addr,
			    sizeof(server_addr)) == (ssize_t)sizeof(q));
		/* The server takes each query as it comes (a Unix socket's queue is short). */
		for (int j = 0; j < 200 && callbacks <= i; j++) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			if (callbacks <= i)
				usleep(1000);
		}
	}
	/* The client reads nothing until every query was handled. */
	for (int i = 0; i < 400 && callbacks < QUERIES; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (callbacks < QUERIES)
			usleep(2000);
	}
	CHECK_INT_EQ(callbacks, QUERIES);
	CHECK_INT_EQ(failed, 0);
	CHECK(sent_now > 0);
	CHECK(queued > 0);
	CHECK_INT_EQ(sent_now + queued, QUERIES);

	/* Closed with replies waiting: they still go out, in order. */
	evdns_close_server_port(port);
	int next = 0;
	unsigned char reply[1024];
	for (int i = 0; i < 1000 && next < QUERIES; i++) {
		ssize_t n = recv(client_fd, reply, sizeof(reply), MSG_DONTWAIT);
		if (n >= 12) {
			CHECK_INT_EQ(reply[1], next);
			CHECK_INT_EQ(reply[7], 20);
			next++;
			continue;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	CHECK_INT_EQ(next, QUERIES);
	for (int i = 0; i < 10; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	/* The socket went with the port, after the last reply. */
	CHECK_INT_EQ(fcntl(server_fd, F_GETFD), -1);

	close(client_fd);
	unlink(server_addr.sun_path);
	unlink(client_addr.sun_path);
	event_base_free(base);
	return check_report();
}
