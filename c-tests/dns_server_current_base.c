/* A DNS server port made with a NULL event base runs on event_init()'s base; the reply
 * is built from the request's fields as they are when it is sent, so the callback may
 * change the flags and the questions in place (dns_struct.h). */
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/event_compat.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int callbacks;

static void server_cb(struct evdns_server_request *req, void *arg)
{
	(void)arg;
	callbacks++;
	REQUIRE(req->nquestions == 1);
	CHECK_STR_EQ(req->questions[0]->name, "live.example.com");
	CHECK_INT_EQ(req->questions[0]->type, EVDNS_TYPE_A);
	CHECK_INT_EQ(req->flags, 0x100);
	/* Changed in place: the reply echoes what is there when it is built. */
	req->flags |= EVDNS_FLAGS_AA;
	req->questions[0]->name[0] = 'L';
	req->questions[0]->type = EVDNS_TYPE_TXT;
	CHECK_INT_EQ(evdns_server_request_respond(req, 0), 0);
}

int main(void)
{
	struct event_base *base = event_init();
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

	struct evdns_server_port *port = evdns_add_server_port_with_base(NULL, server_fd, 0, server_cb, NULL);
	REQUIRE(port);

	int client = socket(AF_INET, SOCK_DGRAM, 0);
	static const unsigned char query[] = { 0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		4, 'l', 'i', 'v', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	REQUIRE(sendto(client, query, sizeof(query), 0, (struct sockaddr *)&sin, sizeof(sin)) == (ssize_t)sizeof(query));

	unsigned char reply[512];
	ssize_t n = -1;
	for (int i = 0; i < 400 && n < 0; i++) {
		event_loop(EVLOOP_NONBLOCK);
		n = recv(client, reply, sizeof(reply), MSG_DONTWAIT);
		if (n < 0)
			usleep(5000);
	}
	static const unsigned char expected[] = { 0xab, 0xcd, 0x85, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		4, 'L', 'i', 'v', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 16, 0, 1 };
	CHECK_INT_EQ(callbacks, 1);
	CHECK_INT_EQ(n, sizeof(expected));
	if (n == (ssize_t)sizeof(expected))
		CHECK_MEM_EQ(reply, expected, sizeof(expected));

	evdns_close_server_port(port);
	close(client);
	event_base_free(base);
	return check_report();
}
