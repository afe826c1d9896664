/*
 * probe_net: tcpSocket and httpGet attempts.  The socket is made in the
 * pod's network namespace (net_socket_netns) and connects to 127.0.0.1
 * there until pod networking gives pods an address; hostNetwork pods and
 * probes with an explicit host use picolet's own namespace.  httpGet is
 * net/'s client: 200-399 is success, redirects are not followed, the body
 * read is bounded (kubelet keeps 10 KiB).  Both end their connection with
 * an RST (SO_LINGER 0): one packet instead of a FIN exchange, and no
 * TIME_WAIT socket left per probe.  kubelet sets SO_LINGER on its probe
 * sockets for the same reason (kubernetes PR 115143) but with 1 s, which
 * would make close() wait here; 0 never does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core.h"
#include "lib/util.h"
#include "net/net.h"

#define PROBE_BODY_MAX 10240

/* Port by number, or by the name of one of the container's ports. */
static int
probe_port(const struct probe *pr, char *msg, size_t len)
{
	const struct cfg_handler *h = &pr->spec->h;
	const struct cfg_container *c = pr->c->spec;
	size_t i;

	if (h->port_name == NULL)
		return h->port;
	for (i = 0; i < c->nports; i++)
		if (c->ports[i].name != NULL &&
		    strcmp(c->ports[i].name, h->port_name) == 0)
			return c->ports[i].container_port;
	snprintf(msg, len, "the container has no port named %s",
	    h->port_name);
	return -1;
}

/* Where to connect, and in which namespace. */
static const char *
target(const struct probe *pr, char *netns, size_t len)
{
	const struct pod *p = pr->c->pod;
	const char *host = pr->spec->h.host;

	if (host != NULL && host[0] != '\0')
		return host;
	if (p->spec->host_network)
		return "127.0.0.1";
	if (p->pod_ip[0] != '\0')
		return p->pod_ip;
	snprintf(netns, len, "%s/ns/net", p->run_dir);
	return "127.0.0.1";
}

static void
tcp_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	struct probe *pr = container_of(w, struct probe, io);
	char msg[256];
	socklen_t sl = sizeof(int);
	int e = 0;

	ev_io_stop(loop, w);
	getsockopt(pr->fd, SOL_SOCKET, SO_ERROR, &e, &sl);
	/* an RST ends it: no TIME_WAIT for every probe */
	(void)setsockopt(pr->fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	close(pr->fd);
	pr->fd = -1;
	if (e == 0) {
		probe_done(pr, true, "");
		return;
	}
	snprintf(msg, sizeof(msg), "dial tcp %s: connect: %s", pr->where,
	    strerror(e));
	probe_done(pr, false, msg);
}

static int
tcp_attempt(struct probe *pr, const char *addr, int port, const char *ns,
    char *msg, size_t len)
{
	struct sockaddr_in sin;
	struct err err;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		snprintf(msg, len, "host %s is not an IPv4 address", addr);
		return -1;
	}
	pr->fd = net_socket_netns(ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
	    &err);
	if (pr->fd < 0) {
		snprintf(msg, len, "%s", err.msg);
		return -1;
	}
	if (connect(pr->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	    errno != EINPROGRESS) {
		snprintf(msg, len, "dial tcp %s: connect: %s", pr->where,
		    strerror(errno));
		close(pr->fd);
		pr->fd = -1;
		return -1;
	}
	ev_io_init(&pr->io, tcp_ready, pr->fd, EV_WRITE);
	ev_io_start(pr->c->pod->a->loop, &pr->io);
	return 0;
}

static void
http_done(const struct net_httpc_res *res, void *arg)
{
	struct probe *pr = arg;
	int st = res->head.status;
	char msg[512];

	pr->http = NULL;
	if (res->error != 0) {
		snprintf(msg, sizeof(msg), "Get \"%s\": %s", pr->where,
		    res->err.msg);
		probe_done(pr, false, msg);
	} else if (st >= 200 && st < 400) {
		probe_done(pr, true, "");
	} else {
		snprintf(msg, sizeof(msg), "HTTP probe failed with statuscode:"
		    " %d", st);
		probe_done(pr, false, msg);
	}
}

static int
http_attempt(struct probe *pr, const char *addr, int port, const char *ns,
    char *msg, size_t len)
{
	const struct cfg_handler *h = &pr->spec->h;
	struct net_httpc_hdr hdrs[16];
	struct net_httpc_req rq;
	struct err err;
	size_t i, n = 0;

	for (i = 0; i < h->http_headers.n && n < ARRAY_SIZE(hdrs) - 1; i++)
		hdrs[n++] = (struct net_httpc_hdr){ h->http_headers.v[i].key,
		    h->http_headers.v[i].value };
	if (cfg_kvs_get(&h->http_headers, "User-Agent") == NULL)
		hdrs[n++] = (struct net_httpc_hdr){ "User-Agent",
		    "kube-probe/1.28" };
	memset(&rq, 0, sizeof(rq));
	rq.host = h->host != NULL ? h->host : addr;
	rq.addr = addr;
	rq.port = (unsigned short)port;
	rq.path = h->path != NULL ? h->path : "/";
	rq.headers = hdrs;
	rq.nheaders = n;
	rq.tls = h->scheme != NULL && strcmp(h->scheme, "HTTPS") == 0;
	rq.tls_verify = false;		/* as kubelet */
	/* The probe's own deadline ends it first: one message for a hang. */
	rq.timeout_ms = (unsigned)pr->spec->timeout * 1000 + 500;
	rq.max_body = PROBE_BODY_MAX;
	rq.overflow = NET_HTTPC_BODY_TRUNCATE;
	rq.netns = ns;
	rq.rst_close = true;
	if (net_httpc_start(pr->c->pod->a->loop, &rq, http_done, pr,
	    &pr->http, &err) < 0) {
		snprintf(msg, len, "%s", err.msg);
		return -1;
	}
	return 0;
}

int
probe_attempt(struct probe *pr, char *msg, size_t len)
{
	const struct cfg_handler *h = &pr->spec->h;
	char netns[4200] = "";
	const char *addr;
	int port;

	pr->fd = -1;
	if (h->type == CFG_H_EXEC)
		return probe_exec(pr, msg, len);
	if ((port = probe_port(pr, msg, len)) < 0)
		return -1;
	addr = target(pr, netns, sizeof(netns));
	if (h->type == CFG_H_TCP) {
		snprintf(pr->where, sizeof(pr->where), "%s:%d", addr, port);
		return tcp_attempt(pr, addr, port, netns[0] ? netns : NULL,
		    msg, len);
	}
	snprintf(pr->where, sizeof(pr->where), "%s://%s:%d%s",
	    h->scheme != NULL && strcmp(h->scheme, "HTTPS") == 0 ? "https" :
	    "http", addr, port, h->path != NULL ? h->path : "/");
	return http_attempt(pr, addr, port, netns[0] ? netns : NULL, msg, len);
}

void
probe_cancel(struct probe *pr)
{
	struct ev_loop *loop = pr->c->pod->a->loop;

	if (pr->fd >= 0) {
		ev_io_stop(loop, &pr->io);
		close(pr->fd);
		pr->fd = -1;
	}
	if (pr->http != NULL) {
		net_httpc_cancel(pr->http);
		pr->http = NULL;
	}
	probe_exec_cancel(pr);
}
