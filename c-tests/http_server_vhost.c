/* Virtual hosts: evhttp_add_virtual_host with exact and wildcard patterns (case does
 * not matter, the port of the Host header is ignored, the first match in the order added
 * wins, vhosts inside vhosts), a request with no Host or an unknown one served by the
 * main server, the host of an absolute URI taking part, a vhost's own generic callback
 * and its 404; adding a vhost twice refused; evhttp_add_server_alias and
 * evhttp_remove_server_alias on the main server and on a vhost;
 * evhttp_remove_virtual_host (then the vhost is the program's to free), and evhttp_free
 * freeing the vhosts still attached. */
// test: link event_core event_extra
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_support.h"

static struct event_base *base;
static ev_uint16_t port;

/* Answers with its argument, a name. */
static void named_cb(struct evhttp_request *req, void *arg)
{
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "%s", (const char *)arg);
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* Which server answered GET path with this Host header (NULL: none); "404" for a
 * not-found page. */
static void who(const char *host, const char *path, char *out, size_t cap)
{
	char request[512];
	struct resp r;
	if (host)
		snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path,
		    host);
	else
		snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\n\r\n", path);
	raw_roundtrip(base, port, request, 0, &r);
	if (r.code == 404)
		copy_text(out, cap, "404");
	else if (r.code == 200)
		copy_text(out, cap, r.body);
	else
		snprintf(out, cap, "code %d", r.code);
	resp_free(&r);
}

#define WHO(host, path, want) do { \
	char got_[128]; \
	who(host, path, got_, sizeof(got_)); \
	CHECK_STR_EQ(got_, want); \
	if (strcmp(got_, want) != 0) \
		fprintf(stderr, "     (Host %s, path %s)\n", (host) ? (host) : "none", path); \
} while (0)

int main(void)
{
	struct evhttp *http, *wild, *exact, *inner, *any, *spare;
	struct evhttp_bound_socket *bound;

	base = new_base();
	http = start_server(base, &port, NULL);
	evhttp_set_gencb(http, named_cb, "main");

	wild = evhttp_new(base);
	exact = evhttp_new(base);
	inner = evhttp_new(base);
	REQUIRE(wild && exact && inner);
	evhttp_set_gencb(wild, named_cb, "wild");
	evhttp_set_cb(exact, "/page", named_cb, "exact page");
	evhttp_set_gencb(inner, named_cb, "inner");

	/* Without vhosts, everything is the main server's. */
	WHO("www.example.com", "/page", "main");

	CHECK_INT_EQ(evhttp_add_virtual_host(http, "exact.example.com", exact), 0);
	CHECK_INT_EQ(evhttp_add_virtual_host(http, "*.example.com", wild), 0);
	CHECK_INT_EQ(evhttp_add_virtual_host(wild, "deep.*.com", inner), 0);
	/* A vhost is a vhost once. */
	CHECK_INT_EQ(evhttp_add_virtual_host(http, "again.example.com", wild), -1);

	/* Exact names and wildcards; case and port do not matter. */
	WHO("exact.example.com", "/page", "exact page");
	WHO("EXACT.Example.COM:8080", "/page", "exact page");
	WHO("www.example.com", "/page", "wild");
	WHO("a.b.example.com", "/x", "wild");
	/* A vhost without a match for the path and without a generic callback: 404,
	 * not the main server. */
	WHO("exact.example.com", "/other", "404");
	/* The wildcard needs its dot. */
	WHO("example.com", "/page", "main");
	WHO("www.example.org", "/page", "main");
	WHO("xexact.example.com.evil", "/page", "main");
	/* Vhosts inside vhosts: the host matches "*.example.com", then "deep.*.com".
	 * (In libevent a '*' at the very end of a pattern matches nothing: not used.) */
	WHO("deep.example.com", "/page", "inner");
	/* No Host: the main server. */
	WHO(NULL, "/page", "main");
	/* The host of an absolute URI counts, not the Host header. */
	WHO("www.example.org", "http://exact.example.com/page", "exact page");
	WHO("exact.example.com", "http://other.example.org/page", "main");

	/* The first match in the order added: "*m" after "*.example.com" only gets the
	 * rest. */
	any = evhttp_new(base);
	REQUIRE(any != NULL);
	evhttp_set_gencb(any, named_cb, "any");
	CHECK_INT_EQ(evhttp_add_virtual_host(http, "*m", any), 0);
	WHO("www.example.com", "/", "wild");
	WHO("www.example.COM", "/", "wild");
	WHO("foo.com", "/", "any");
	WHO("www.example.org", "/", "main");
	WHO(NULL, "/", "main");

	/* Aliases: exact names for the main server or a vhost, looked up before the
	 * patterns. */
	CHECK_INT_EQ(evhttp_add_server_alias(http, "alias.example.com"), 0);
	CHECK_INT_EQ(evhttp_add_server_alias(exact, "other-name.test"), 0);
	WHO("alias.example.com", "/", "main");
	WHO("ALIAS.example.com:1", "/", "main");
	WHO("other-name.test", "/page", "exact page");
	CHECK_INT_EQ(evhttp_remove_server_alias(http, "ALIAS.EXAMPLE.COM"), 0);
	CHECK_INT_EQ(evhttp_remove_server_alias(http, "alias.example.com"), -1);
	CHECK_INT_EQ(evhttp_remove_server_alias(http, "never.added"), -1);
	WHO("alias.example.com", "/", "wild");
	CHECK_INT_EQ(evhttp_remove_server_alias(exact, "other-name.test"), 0);
	WHO("other-name.test", "/page", "main");

	/* Removing a vhost: requests no longer reach it; removing it again fails. */
	CHECK_INT_EQ(evhttp_remove_virtual_host(http, any), 0);
	CHECK_INT_EQ(evhttp_remove_virtual_host(http, any), -1);
	WHO("foo.com", "/", "main");
	CHECK_INT_EQ(evhttp_remove_virtual_host(http, exact), 0);
	WHO("exact.example.com", "/page", "wild");
	/* A removed vhost can be added again, under another pattern. */
	CHECK_INT_EQ(evhttp_add_virtual_host(http, "EXACT.EXAMPLE.NET", exact), 0);
	WHO("exact.example.net", "/page", "exact page");
	/* ... and the program frees a vhost it removed. */
	evhttp_free(any);

	/* A server with a bound socket cannot be a vhost. */
	spare = evhttp_new(base);
	REQUIRE(spare != NULL);
	bound = evhttp_bind_socket_with_handle(spare, "127.0.0.1", 0);
	REQUIRE(bound != NULL);
	CHECK_INT_EQ(evhttp_add_virtual_host(http, "spare.test", spare), -1);
	evhttp_del_accept_socket(spare, bound);
	CHECK_INT_EQ(evhttp_add_virtual_host(http, "spare.test", spare), 0);
	WHO("spare.test", "/", "404");

	/* evhttp_free frees the vhosts still attached (wild, inner, exact, spare). */
	evhttp_free(http);
	event_base_free(base);
	return check_report();
}
