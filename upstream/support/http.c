/* Stand-ins for libevent_extra's internal message parsers, which a few of the suite's
 * raw-socket peers call to read what the server under test sent them. They read one
 * first line, or the header lines up to the empty one, from the buffer into the
 * request's public fields, with plain rules: enough for the suite's well-formed
 * messages, and a malformed one reads as corrupted. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include "http-internal.h"

static const struct {
	const char *name;
	enum evhttp_cmd_type type;
} upstream_methods[] = {
	{"GET", EVHTTP_REQ_GET}, {"POST", EVHTTP_REQ_POST}, {"HEAD", EVHTTP_REQ_HEAD},
	{"PUT", EVHTTP_REQ_PUT}, {"DELETE", EVHTTP_REQ_DELETE},
	{"OPTIONS", EVHTTP_REQ_OPTIONS}, {"TRACE", EVHTTP_REQ_TRACE},
	{"CONNECT", EVHTTP_REQ_CONNECT}, {"PATCH", EVHTTP_REQ_PATCH},
};

static int
upstream_parse_version(const char *text, char *major, char *minor)
{
	int ma, mi;
	char extra;
	if (sscanf(text, "HTTP/%d.%d%c", &ma, &mi, &extra) != 2 || ma < 0 || mi < 0 ||
	    ma > 9 || mi > 9)
		return -1;
	*major = (char)ma;
	*minor = (char)mi;
	return 0;
}

static enum message_read_status
upstream_parse_status_line(struct evhttp_request *req, char *line)
{
	char *code = strchr(line, ' ');
	char *reason;
	if (!code)
		return DATA_CORRUPTED;
	*code++ = '\0';
	if (upstream_parse_version(line, &req->major, &req->minor) < 0)
		return DATA_CORRUPTED;
	reason = strchr(code, ' ');
	if (reason)
		*reason++ = '\0';
	req->response_code = atoi(code);
	if (req->response_code <= 0)
		return DATA_CORRUPTED;
	free(req->response_code_line);
	req->response_code_line = strdup(reason ? reason : "");
	return req->response_code_line ? ALL_DATA_READ : DATA_CORRUPTED;
}

static enum message_read_status
upstream_parse_request_line(struct evhttp_request *req, char *line)
{
	char *uri = strchr(line, ' ');
	char *version = strrchr(line, ' ');
	size_t i;
	if (!uri || uri == version)
		return DATA_CORRUPTED;
	*uri++ = '\0';
	*version++ = '\0';
	for (i = 0; i < sizeof(upstream_methods) / sizeof(upstream_methods[0]); i++)
		if (strcmp(line, upstream_methods[i].name) == 0)
			break;
	if (i == sizeof(upstream_methods) / sizeof(upstream_methods[0]))
		return DATA_CORRUPTED;
	req->type = upstream_methods[i].type;
	if (upstream_parse_version(version, &req->major, &req->minor) < 0)
		return DATA_CORRUPTED;
	free(req->uri);
	req->uri = strdup(uri);
	return req->uri ? ALL_DATA_READ : DATA_CORRUPTED;
}

enum message_read_status
evhttp_parse_firstline_(struct evhttp_request *req, struct evbuffer *buffer)
{
	size_t len;
	char *line = evbuffer_readln(buffer, &len, EVBUFFER_EOL_CRLF);
	enum message_read_status status;
	if (!line)
		return MORE_DATA_EXPECTED;
	req->headers_size = len;
	if (req->kind == EVHTTP_RESPONSE)
		status = upstream_parse_status_line(req, line);
	else
		status = upstream_parse_request_line(req, line);
	free(line);
	return status;
}

enum message_read_status
evhttp_parse_headers_(struct evhttp_request *req, struct evbuffer *buffer)
{
	char *line;
	size_t len;
	while ((line = evbuffer_readln(buffer, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		char *value;
		req->headers_size += len;
		if (*line == '\0') {
			free(line);
			return ALL_DATA_READ;
		}
		value = strchr(line, ':');
		if (!value) {
			free(line);
			return DATA_CORRUPTED;
		}
		*value++ = '\0';
		value += strspn(value, " \t");
		if (evhttp_add_header(req->input_headers, line, value) < 0) {
			free(line);
			return DATA_CORRUPTED;
		}
		free(line);
	}
	return MORE_DATA_EXPECTED;
}
