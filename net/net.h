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

/* ---- HTTP/1.1 client (httpc.c, httpc_parse.c, tls.c) ---- */

/*
 * One request per connection ("Connection: close"), driven by the
 * caller's loop: non-blocking connect to a numeric address (no DNS),
 * optional TLS (mbedtls), a bounded response head, a bounded body kept
 * in memory or streamed to a callback, one overall deadline.  Redirects
 * are not followed: the caller reads Location and decides.
 */
/* the response head, 1xx interim heads included */
#define NET_HTTPC_MAXHEAD 16384
#define NET_HTTPC_MAXHDR 64
#define NET_HTTPC_TIMEOUT_MS 30000	/* when timeout_ms is 0 */

struct net_httpc_hdr {
	const char *name, *value;
};

/* What to do with body bytes past max_body (not used when streaming). */
enum net_httpc_overflow {
	NET_HTTPC_BODY_FAIL,	/* -EMSGSIZE "body larger than N bytes" */
	NET_HTTPC_BODY_TRUNCATE,/* keep max_body bytes, stop reading, set
				 * truncated (kubelet's probes) */
};

/* A parsed response head; pointers into the client's buffer. */
struct net_httpc_head {
	int minor, status;
	const char *reason;
	size_t rlen;
	struct net_http_header h[NET_HTTPC_MAXHDR];
	size_t nh;
	const char *bad;	/* why net_httpc_parse() returned -1 */
};

/*
 * Given to the callbacks; valid only during the call.  Errors:
 * -ETIMEDOUT, connect's (-ECONNREFUSED, -ENETUNREACH...), -EPROTO for a
 * malformed response or a TLS failure, -EKEYREJECTED when the server's
 * certificate does not verify, -EMSGSIZE for a head over
 * NET_HTTPC_MAXHEAD or a body over max_body (NET_HTTPC_BODY_FAIL).
 */
struct net_httpc_res {
	int error;		/* 0, or -errno; err.msg says what failed */
	struct err err;
	struct net_httpc_head head;	/* status 0 if no head was read */
	long long content_length;	/* -1: not given */
	const char *body;	/* NUL-terminated; "" when streamed or none */
	size_t body_len;
	bool truncated;		/* NET_HTTPC_BODY_TRUNCATE cut the body */
};

typedef void (*net_httpc_done)(const struct net_httpc_res *res, void *arg);
/* Streaming: a chunk of a 2xx body (res has the head).  Return 0 to go
 * on, or -errno to stop: done then gets that error. */
typedef int (*net_httpc_data)(const struct net_httpc_res *res,
	const void *data, size_t len, void *arg);

/* Everything is copied by net_httpc_start(); nothing need outlive it. */
struct net_httpc_req {
	const char *method;	/* NULL: GET; HEAD responses have no body */
	const char *host;	/* Host header (unless in headers), SNI, and the
				 * name the certificate must match; no
				 * brackets around IPv6; NULL: addr */
	const char *addr;	/* numeric IPv4 or IPv6 to connect to */
	unsigned short port;
	const char *path;	/* origin-form, "/x?y"; NULL: "/" */
	const struct net_httpc_hdr *headers;	/* extra request headers */
	size_t nheaders;
	const void *body;	/* sent with Content-Length when non-NULL */
	size_t body_len;
	bool tls;
	bool tls_verify;	/* against the system CAs + ca_file, and host */
	const char *ca_file;	/* extra PEM bundle, or NULL */
	unsigned timeout_ms;	/* whole exchange; 0: NET_HTTPC_TIMEOUT_MS */
	unsigned idle_ms;	/* fail if nothing comes for this long; 0: off */
	size_t max_body;	/* bytes of body kept in memory (0: none) */
	enum net_httpc_overflow overflow;
	const char *netns;	/* network namespace file to make the socket
				 * in (e.g. a pod's ns/net), or NULL */
	net_httpc_data on_data;	/* NULL: keep the body in memory; else 2xx
				 * bodies go here (other bodies are kept,
				 * truncated at max_body, for messages) */
};

struct net_httpc;

/*
 * Start a request; done is called exactly once, later, from the loop
 * (never from inside this call), unless the request is cancelled.  The
 * handle is gone once done returns.  Fails at once only for a bad
 * request (-EINVAL) or a local failure (socket, netns, TLS set-up).
 * With netns the socket is made there by a quick synchronous
 * setns/socket/setns sequence: no wait, the loop then drives it.
 */
int net_httpc_start(struct ev_loop *loop, const struct net_httpc_req *req,
	net_httpc_done done, void *arg, struct net_httpc **out,
	struct err *err);
/* Stop and free a request in flight: no callback follows.  Safe from any
 * callback, this request's own on_data included; not after done. */
void net_httpc_cancel(struct net_httpc *c);

/*
 * The response-head parser (picohttpparser style, exposed for tests and
 * fuzzing): head length (> 0), -2 incomplete, -1 malformed (head->bad
 * says why).
 */
int net_httpc_parse(const char *buf, size_t len, struct net_httpc_head *head);
/* Header value by name (case-insensitive), NUL-terminated into out; 0
 * found, -ENOENT absent, -ENOSPC out too small. */
int net_httpc_header(const struct net_httpc_head *head, const char *name,
	char *out, size_t outlen);

/* Incremental chunked-body decoder (RFC 9112 7.1); trailers skipped. */
struct net_httpc_chunked {
	int state;
	unsigned long long left;	/* data bytes left in this chunk */
	size_t n;			/* bytes of the chunk-size line */
	size_t trailer;			/* trailer bytes so far (bounded) */
};
/*
 * Consume framing or data at in[0..len): returns the bytes consumed (>= 0)
 * and sets *dlen: when > 0, in[0..*dlen) is body data.  -1 when
 * malformed.  Call again with the rest until net_httpc_chunked_done().
 */
long net_httpc_chunked_step(struct net_httpc_chunked *st, const char *in,
	size_t len, size_t *dlen);
bool net_httpc_chunked_done(const struct net_httpc_chunked *st);

/* TLS client session on a connected non-blocking socket (tls.c).  The
 * io functions return -EAGAIN when blocked; net_tls_want() then says on
 * what: 1 readable, 2 writable (EV_READ, EV_WRITE). */
struct net_tls;
int net_tls_new(struct net_tls **out, int fd, const char *host, bool verify,
	const char *ca_file, struct err *err);
int net_tls_handshake(struct net_tls *t, struct err *err);
/* > 0 bytes, 0 at the end of the stream, -errno */
long net_tls_read(struct net_tls *t, void *buf, size_t len, struct err *err);
long net_tls_write(struct net_tls *t, const void *buf, size_t len,
	struct err *err);
int net_tls_want(const struct net_tls *t);
bool net_tls_pending(const struct net_tls *t);	/* decrypted bytes buffered */
void net_tls_free(struct net_tls *t);

/* ---- sockets in other network namespaces (netns.c) ---- */

/* A CLOEXEC socket made in the network namespace file netns (NULL: ours). */
int net_socket_netns(const char *netns, int domain, int type,
	struct err *err);

#endif
