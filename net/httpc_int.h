/*
 * httpc_int: what httpc.c, httpc_req.c and httpc_resp.c share.  Not part
 * of net/'s interface.
 *
 * httpc.c owns a request's life and its socket: connect, TLS, sending,
 * reading, the timer, the end; httpc_req.c checks and writes the request;
 * httpc_resp.c turns the bytes read into the response's head and body.
 */
#ifndef PICOLET_HTTPC_INT_H
#define PICOLET_HTTPC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "lib/buf.h"
#include "net/net.h"

/* S_FAILED: connect() failed at once; the timer reports it */
enum httpc_state {
	S_FAILED, S_CONNECT, S_HANDSHAKE, S_SEND, S_HEAD, S_BODY
};
enum httpc_framing { F_LENGTH, F_CHUNKED, F_EOF };

/* Owned by the caller's handle until done returns or cancel. */
struct net_httpc {
	struct ev_loop *loop;
	net_httpc_done done;
	net_httpc_data on_data;
	void *arg;
	enum httpc_state state;
	int fd;
	ev_io io;
	ev_timer timer;
	ev_tstamp deadline, idle, last;
	struct net_tls *tls;
	char peer[64];		/* "addr:port" for messages */
	bool head_only, stream, cancelled, rst_close;
	int busy;
	size_t max_body;
	enum net_httpc_overflow overflow;
	struct buf out;		/* the request */
	size_t off;		/* of it sent */
	struct buf in;		/* the response head(s) */
	size_t hstart;		/* where the final head starts in `in` */
	enum httpc_framing framing;
	unsigned long long left;
	struct net_httpc_chunked ch;
	struct buf body;
	struct net_httpc_res res;
	/* CONNECT through a proxy: out is the CONNECT request, and the real
	 * request and the TLS set-up wait here for the proxy's 200. */
	bool tunnel;
	struct buf after;
	char *t_host, *t_ca;
	bool t_verify;
};

/* httpc.c: call done with error (0 or -errno, message in c->res.err) and
 * free c; returns 1: c is gone.  httpc_free frees c without a callback
 * (cancelled). */
int httpc_finish(struct net_httpc *c, int error);
void httpc_free(struct net_httpc *c);
/* The proxy answered CONNECT (head in c->res.head): on to TLS through
 * the tunnel, or fail.  1 when c is gone. */
int httpc_tunnel_up(struct net_httpc *c);

/* httpc_req.c: -EINVAL for a request that cannot be sent as asked (header
 * injection, no address); the request head and body into b. */
int httpc_check_req(const struct net_httpc_req *q, const char *method,
	const char *path, struct err *err);
void httpc_build(struct buf *b, const struct net_httpc_req *q,
	const char *method, const char *path);
void httpc_build_connect(struct buf *b, const struct net_httpc_req *q);

/* httpc_resp.c: bytes read while a head is expected, bytes of the body,
 * the peer's EOF; each returns 1 when c is gone (finished), else 0. */
int httpc_head_feed(struct net_httpc *c, const char *p, size_t n);
int httpc_body_feed(struct net_httpc *c, const char *p, size_t n);
int httpc_on_eof(struct net_httpc *c);

#endif
