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
#include <stdint.h>
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

/* Listening sockets (listen.c): fd, or -errno with err. */
int net_listen_unix(const char *path, mode_t mode, struct err *err);
/* "host:port", "[v6]:port" or ":port", numeric hosts ("localhost" too) */
int net_listen_tcp(const char *spec, struct err *err);

/* Listen on a Unix socket path (replaced if stale, mode applied), and on
 * host:port when listen is non-NULL and non-empty. */
int net_http_start(struct net_http_server **out, struct ev_loop *loop,
	const char *unix_path, mode_t mode, const char *listen,
	net_http_handler h, void *arg, struct err *err);
/* Close the listeners and every connection. */
void net_http_stop(struct net_http_server *s);

void net_http_respond(struct net_http_conn *c, int status,
	const char *ctype, const char *body, size_t len);
/* The request came in on the Unix socket (root's), not over TCP. */
bool net_http_conn_local(const struct net_http_conn *c);

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
	unsigned idle_ms;	/* fail if nothing comes that long; 0: off */
	size_t max_body;	/* bytes of body kept in memory (0: none) */
	enum net_httpc_overflow overflow;
	const char *netns;	/* network namespace file to make the socket
				 * in (e.g. a pod's ns/net), or NULL */
	net_httpc_data on_data;	/* NULL: keep the body in memory; else 2xx
				 * bodies go here (other bodies are kept,
				 * truncated at max_body, for messages) */
	bool rst_close;		/* end with an RST (SO_LINGER 0): one packet,
				 * no TIME_WAIT left in the peer (probes) */
	/* Through an HTTP proxy (numeric address): host:port is then asked
	 * of the proxy, by CONNECT for TLS (the tunnel carries the
	 * handshake, so the certificate is still host's) or as an
	 * absolute-form request for plain HTTP; addr is not used. */
	const char *proxy_addr;
	unsigned short proxy_port;
	const char *proxy_auth;	/* Proxy-Authorization value, or NULL */
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

/* ---- pod network: rtnetlink (nl.c, nl_req.c, nl_pod.c) ---- */

/*
 * Links, addresses and routes through one NETLINK_ROUTE socket (libmnl)
 * in the caller's network namespace (picolet's: the host's, in tests the
 * test's own).  Each request is synchronous and waits for the kernel's
 * ACK: these are quick local kernel operations that never wait on
 * anything outside (no carrier, no DAD, no peer), so calling them from the
 * loop is fine.  Work inside a pod's namespace goes through a second
 * socket made there (net_socket_netns); the calling thread never stays in
 * another namespace.  Errors carry the kernel's extended-ACK message when
 * it gives one.
 *
 * How core uses it.  Start: net_nl_open, net_ipam_open(<state>/ipam,
 * pod_cidr), net_bridge_ensure(bridge, gateway/prefix), net_ip_forward
 * (true), net_bridge_nf_call(true); then, once the pods of <run> are
 * adopted, the GC: net_links_list(NET_POD_IFPREFIX) minus the adopted
 * pods' net_pod_ifname -> net_pod_detach, and net_ipam_owners minus the
 * adopted uids -> net_ipam_release.  Pod start (not hostNetwork), after
 * rt_sandbox_create: net_ipam_get(uid), net_pod_attach (mtu from
 * net_uplink_mtu).  An adopted pod is not attached again (it would cut
 * it); its IP is net_ipam_lookup.  Pod gone (sandbox destroyed):
 * net_pod_detach, net_ipam_release.  SIGTERM without drain: nothing.
 * Drain, or no pods left and the bridge not kept: net_bridge_remove.
 */
struct net_nl;

int net_nl_open(struct net_nl **out, struct err *err);
void net_nl_close(struct net_nl *nl);	/* NULL is fine */

/*
 * Make the bridge name if missing (with a fixed random MAC, so that the
 * gateway's MAC does not follow its ports as pods come and go), give it
 * gw_cidr ("10.88.0.1/16") if it lacks it (other IPv4 addresses on it,
 * left by an older pod CIDR, are removed), bring it up.  Idempotent.
 * -EEXIST when name exists and is not a bridge.
 */
int net_bridge_ensure(struct net_nl *nl, const char *name,
	const char *gw_cidr, struct err *err);
/*
 * Route cidr out of dev (scope link), replacing one that is there: the
 * service CIDR goes to the bridge, so that connecting to a ClusterIP from
 * the node has a route (the nat output hook's DNAT re-routes it) even on
 * a node without a default route.  Goes with dev.
 */
int net_route_via(struct net_nl *nl, const char *cidr, const char *dev,
	struct err *err);
/* Delete the bridge (its ports stay, detached); missing is fine. */
int net_bridge_remove(struct net_nl *nl, const char *name, struct err *err);

/*
 * Host ends are "pico-" + 8 hex of the pod uid: a prefix no other
 * software uses (Docker and the CNI bridge plugin name theirs "veth..."),
 * so the GC at start, which deletes by prefix, only ever finds ours.
 */
#define NET_POD_IFPREFIX "pico-"

struct net_pod_if {
	const char *bridge;	/* e.g. "pico0", made by net_bridge_ensure */
	const char *host_ifname;/* <= 15 chars: net_pod_ifname() */
	const char *netns_path;	/* the pod's ns/net file */
	const char *ip_cidr;	/* the pod's address, "10.88.0.5/16" */
	const char *gw;		/* "10.88.0.1" */
	unsigned mtu;		/* 0: the bridge's */
};

/*
 * Wire a pod: a veth pair whose peer is made directly inside the pod's
 * namespace as eth0 (with ip_cidr, up, default route via gw; lo up) and
 * whose host end is a port of the bridge with hairpin on (so a pod
 * reaches itself through a Service), up.  Idempotent: an existing host
 * end of that name (and any eth0 in the pod) is replaced, so calling it
 * again for a pod that is up briefly cuts its network.  On failure what
 * was made is removed.
 */
int net_pod_attach(struct net_nl *nl, const struct net_pod_if *p,
	struct err *err);
/* Delete the host end (the kernel deletes its peer); missing is fine. */
int net_pod_detach(struct net_nl *nl, const char *host_ifname,
	struct err *err);
/* NET_POD_IFPREFIX + the first 8 hex digits of uid (dashes skipped,
 * lower case): "pico-1a2b3c4d".  -EINVAL if uid has fewer. */
int net_pod_ifname(const char *uid, char out[16]);

/*
 * Names of the links in our namespace that start with prefix (e.g.
 * NET_POD_IFPREFIX: host ends left by pods that are gone), as a
 * NULL-terminated vector (strv_free); at most NET_NL_MAXLINKS.  Returns
 * the count.
 */
#define NET_NL_MAXLINKS 4096
int net_links_list(struct net_nl *nl, const char *prefix, char ***out,
	struct err *err);
/* 1 when the bridge port ifname has hairpin on, 0 off, -errno (-ENODEV
 * missing, -ENOENT not a bridge port). */
int net_port_hairpin(struct net_nl *nl, const char *ifname, struct err *err);

/* The MTU of the link of our IPv4 default route (the uplink), for pods'
 * mtu: pods on a bigger MTU than the uplink rely on ICMP "fragmentation
 * needed" to reach outside.  -ENOENT when there is no default route. */
int net_uplink_mtu(struct net_nl *nl, unsigned *mtu, struct err *err);

/* /proc/sys/net/ipv4/ip_forward of our namespace, written only when it
 * differs. */
int net_ip_forward(bool on, struct err *err);
/*
 * net.bridge.bridge-nf-call-iptables: bridged IPv4 goes through the ip
 * family's netfilter hooks (nftables' included).  Needed so that a reply
 * from a pod to a pod on the same bridge, after a Service DNAT, is
 * un-NATed (else it goes straight over the bridge with the wrong source).
 * -ENOENT when br_netfilter is not loaded (the caller may load it or
 * masquerade that traffic instead).  Written only when it differs.
 */
int net_bridge_nf_call(bool on, struct err *err);

/* ---- pod IPAM (ipam.c) ---- */

/*
 * Addresses of the pod CIDR, one file per allocated address in dir
 * (<state>/ipam/10.88.0.5, content: the owner, a pod uid), created with
 * O_EXCL and fsynced with its directory, so no address is handed out
 * twice even across restarts and power loss.  Network, broadcast and the
 * gateway (the first address, the bridge's) are never handed out.
 * Allocation is next-fit after the last one (kept in dir/.last as a
 * hint), so a freed address is not reused at once.  At open, allocations
 * outside cidr (the CIDR changed) are released.  Prefix /8 to /30.
 */
struct net_ipam;

int net_ipam_open(struct net_ipam **out, const char *dir, const char *cidr,
	struct err *err);
void net_ipam_close(struct net_ipam *ipam);	/* NULL is fine */
/* The owner's address, allocated if it has none.  -ENOSPC "pod CIDR
 * 10.88.0.0/16 is exhausted". */
int net_ipam_get(struct net_ipam *ipam, const char *owner, char ip[16],
	struct err *err);
/* Give owner exactly ip (a Service's spec.clusterIP), dropping any other
 * address it held: -EEXIST "10.96.0.10 is already allocated" when another
 * owner has it, -EINVAL when outside what net_ipam_get hands out. */
int net_ipam_reserve(struct net_ipam *ipam, const char *owner,
	const char *ip, struct err *err);
/* The owner's address without allocating: -ENOENT when none. */
int net_ipam_lookup(const struct net_ipam *ipam, const char *owner,
	char ip[16]);
/* Free the owner's address; none is fine. */
int net_ipam_release(struct net_ipam *ipam, const char *owner,
	struct err *err);
/* The owners holding an address (NULL-terminated, strv_free); returns the
 * count.  For the GC at start: release those whose pod is gone. */
int net_ipam_owners(const struct net_ipam *ipam, char ***out);
/* The gateway's address ("10.88.0.1") and the prefix length (16). */
void net_ipam_gateway(const struct net_ipam *ipam, char gw[16]);
int net_ipam_prefix(const struct net_ipam *ipam);
/* "10.88.0.5/16" into a host-order address and a prefix length (0-32;
 * "/32" when absent); -EINVAL when malformed. */
int net_cidr_parse(const char *s, uint32_t *addr, int *plen);

/* ---- nftables: picolet's own table (nft*.c) ----
 *
 * picolet owns one table (`ip picolet`) and never touches anything else in
 * the ruleset.  Its layout follows kube-proxy's nftables mode: a
 * `service-ips` vmap keyed by ip . proto . port (and `service-nodeports`
 * by proto . port for local addresses) going to one chain per service,
 * which picks an endpoint with `numgen random mod M` in a map of slots
 * holding ip . port and DNATs to it (data, not a verdict map of endpoint
 * chains: see nft_svc.c for why).  Services without ready endpoints are
 * rejected (TCP reset, ICMP port unreachable) from filter chains.
 * hostPorts are DNAT'ed from prerouting and output; traffic from the pod
 * network leaving by another interface than the bridge, traffic to
 * services from outside the pod network, NodePorts and hairpin traffic
 * are masqueraded.  ClientIP affinity: a timeout map client -> endpoint.
 *
 * Every address and port here is in HOST byte order (10.0.0.1 is
 * 0x0a000001).  Only endpoints with ready set are programmed.  The caller
 * (core/) keeps keys unique, and vip . proto . port, proto . nodeport and
 * hostports unique across the state: a duplicate makes the kernel refuse
 * the whole batch (nothing changes; -EEXIST or -EBUSY).
 */
struct net_nft_ep {
	uint32_t ip;
	uint16_t port;
	bool ready;
};

struct net_nft_svc {
	const char *key;		/* "ns/name/portname": a stable id */
	uint32_t vip;			/* 0: no ClusterIP (NodePort only) */
	uint16_t port;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t nodeport;		/* 0: none */
	uint32_t affinity_timeout;	/* ClientIP affinity, seconds; 0 none */
	const struct net_nft_ep *eps;
	size_t neps;
};

struct net_nft_hostport {
	uint8_t proto;
	uint32_t host_ip;		/* 0: any local address */
	uint16_t host_port;
	uint32_t pod_ip;
	uint16_t pod_port;
};

struct net_nft_state {
	uint32_t pod_net, pod_mask;	/* e.g. 0x0a580000, 0xffff0000; 0: none */
	const char *bridge;		/* e.g. "pico0"; NULL: none */
	const struct net_nft_svc *svcs;
	size_t nsvcs;
	const struct net_nft_hostport *hps;
	size_t nhps;
};

/* A netlink batch (BATCH_BEGIN ... BATCH_END) in one buffer. */
struct net_nft_batch {
	char *buf;
	size_t len, cap;
	uint32_t nmsg;			/* messages between begin and end */
	uint32_t seq;			/* next sequence number */
};

/*
 * Build the batch that turns the table from `have` into `want`.  have ==
 * NULL (or other pod_net/pod_mask/bridge) replaces the table's whole
 * contents: add table, delete table, add table and everything, in the
 * one batch, so the kernel swaps old for new atomically.  Otherwise only
 * what changed: a service whose endpoints changed costs its own chains
 * and map elements, an unchanged one nothing.  No kernel involved: for
 * net_nft_apply, tests and benchmarks.  b is reset first.
 */
int net_nft_batch_build(struct net_nft_batch *b, const char *table,
	const struct net_nft_state *have, const struct net_nft_state *want,
	struct err *err);
void net_nft_batch_free(struct net_nft_batch *b);

struct net_nft;
/* No kernel access yet: the netlink socket opens on the first apply. */
int net_nft_open(struct net_nft **out, const char *table, struct err *err);
/*
 * Make the kernel's table match want in one atomic batch.  The first
 * call replaces whatever a previous run left (no window: old rules serve
 * until the new ones are committed); later calls send only the
 * difference from the last state applied.  After a failure the next call
 * replaces everything again.
 */
int net_nft_apply(struct net_nft *n, const struct net_nft_state *want,
	struct err *err);
/* Delete the table (fine if absent); the next apply starts afresh. */
int net_nft_destroy(struct net_nft *n, struct err *err);
void net_nft_close(struct net_nft *n);		/* NULL is fine */

/*
 * conntrack.c: delete the UDP conntrack entries whose reply comes from
 * ip:port (host order), i.e. flows DNAT'ed to a removed endpoint, as
 * kube-proxy does so clients stop talking to a gone pod.  Returns the
 * number of entries deleted.
 */
int net_conntrack_flush_udp(uint32_t ip, uint16_t port, struct err *err);

/* ---- name lookups off the loop (resolve.c) ---- */

#define NET_RESOLVE_TIMEOUT_MS 10000	/* when timeout_ms is 0 */

struct net_resolve;
/* error 0 and addr numeric ("192.0.2.1", "2001:db8::1"), or -errno
 * (-ENOENT unknown name, -ETIMEDOUT) with err saying why. */
typedef void (*net_resolve_done)(int error, const char *addr,
	const struct err *err, void *arg);
/*
 * Look host up in a child process (getaddrinfo), IPv4 first; done is
 * called once from the loop, never inside this call.  The handle is gone
 * once done returns.
 */
int net_resolve_start(struct ev_loop *loop, const char *host,
	unsigned timeout_ms, net_resolve_done done, void *arg,
	struct net_resolve **out, struct err *err);
/* Kill the lookup; no callback follows.  Not after done. */
void net_resolve_cancel(struct net_resolve *r);

#endif
