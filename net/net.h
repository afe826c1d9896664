/*
 * net: the HTTP/1.1 server of picolet's endpoint (Unix socket, mode 0600;
 * optional TCP), and later netlink, nftables, pod IPAM and the HTTP
 * client.  The server is driven by the caller's libev loop: non-blocking
 * sockets, bounded requests (NET_HTTP_MAXREQ bytes of head, no bodies
 * over NET_HTTP_MAXBODY), keep-alive, a bounded number of connections,
 * idle connections closed after a timeout, accept paused at EMFILE.
 */
#ifndef PICOLET_NET_H
#define PICOLET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

struct ev_loop;

#define NET_HTTP_MAXREQ 8192
#define NET_HTTP_MAXBODY 65536
#define NET_HTTP_MAXHDR 32
#define NET_HTTP_MAXCONN 64

struct net_http_header {
	const char *name, *value;
	size_t nlen, vlen;
};

/* A parsed request; every pointer points into the connection's buffer. */
struct net_http_req {
	const char *method, *target;	/* target: raw path[?query] */
	size_t mlen, tlen;
	int minor;			/* HTTP/1.<minor> */
	struct net_http_header h[NET_HTTP_MAXHDR];
	size_t nh;
	const char *body;
	size_t blen;
	/* decoded by the server: */
	char path[1024];		/* percent-decoded, no query */
	char query[1024];		/* raw query, "" if none */
};

/*
 * picohttpparser-style: parse the request head in buf[0..len).  Returns
 * the head's length (> 0), -2 when incomplete, -1 when malformed.
 */
int net_http_parse(const char *buf, size_t len, struct net_http_req *req);
/* Header value by name (case-insensitive), NUL-terminated copy into out;
 * 0 when found, -ENOENT when absent, -ENOSPC when out is too small. */
int net_http_header(const struct net_http_req *req, const char *name,
	char *out, size_t outlen);
/* Query parameter by name, percent-decoded into out ('+' is a space);
 * 0 when found, -ENOENT if absent, -EINVAL if badly encoded or too long. */
int net_http_query(const struct net_http_req *req, const char *name,
	char *out, size_t outlen);

struct net_http_server;
struct net_http_conn;

/*
 * Called once per request.  The handler answers with net_http_respond()
 * (now or later), or starts a stream.  It must not free the connection.
 */
typedef void (*net_http_handler)(struct net_http_conn *c,
	const struct net_http_req *req, void *arg);

/* Listen on a Unix socket path (replaced if stale, mode applied), and on
 * host:port when listen is non-NULL and non-empty. */
int net_http_start(struct net_http_server **out, struct ev_loop *loop,
	const char *unix_path, mode_t mode, const char *listen,
	net_http_handler h, void *arg, struct err *err);
/* Close the listeners and every connection. */
void net_http_stop(struct net_http_server *s);

void net_http_respond(struct net_http_conn *c, int status,
	const char *ctype, const char *body, size_t len);

/*
 * Streaming (logs -f): chunked transfer.  net_http_stream_write() queues
 * data and returns -ENOBUFS when more than NET_HTTP_MAXSTREAMBUF bytes
 * are queued (the data of that call is queued; a write made while
 * already over the limit is refused); the on_drain callback (once the
 * queue is empty) then says when to write again.
 * on_close is called once if the peer goes away (or the server stops);
 * after it the conn must not be used.
 */
#define NET_HTTP_MAXSTREAMBUF (256 * 1024)
struct net_http_stream_ops {
	void (*on_drain)(struct net_http_conn *c, void *arg);
	void (*on_close)(struct net_http_conn *c, void *arg);
};
int net_http_stream_begin(struct net_http_conn *c, int status,
	const char *ctype, const struct net_http_stream_ops *ops, void *arg);
int net_http_stream_write(struct net_http_conn *c, const void *data,
	size_t len);
void net_http_stream_end(struct net_http_conn *c);

#endif
