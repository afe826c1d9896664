/*
 * tls: the client side of TLS (mbedtls 2.28) on a non-blocking socket
 * the caller's loop drives.  Every call may stop half way with
 * WANT_READ/WANT_WRITE; we report -EAGAIN and remember which, and the
 * caller calls again with the same arguments once the socket is ready.
 *
 * Shared per process and made on first use: the entropy source and DRBG,
 * and the system CA bundle parsed once (it is ~140 certificates; parsing
 * it per request would cost more than the request).  Per request: the
 * ssl context and config, and the certificates of an extra CA file.  The
 * extra chain is spliced in front of the shared one for the request's
 * life (mbedtls takes one list) and cut off again before it is freed.
 *
 * mbedtls 2.28 matches the host name against dNSName/CN only; for a
 * numeric host we send no SNI (RFC 6066 forbids it) and check the
 * iPAddress entries of the subject alternative names ourselves.  Our own
 * send/recv use MSG_NOSIGNAL: a peer gone away must not SIGPIPE the agent.
 * recv keeps the peer's first 5 bytes: a handshake that fails on a record
 * header of "HTTP/" was answered by a plain HTTP server, and says so (in
 * Go's words, which kubelet's probe events carry).
 * Buffers: MBEDTLS_SSL_MAX_CONTENT_LEN is 16384 in Debian's build and
 * without MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH, so each session holds ~33
 * KiB of record buffers, whatever the server sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <ev.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "lib/util.h"
#include "net/net.h"

#define SYSTEM_CA	"/etc/ssl/certs/ca-certificates.crt"

struct net_tls {
	int fd;
	int want;		/* EV_READ or EV_WRITE after -EAGAIN */
	int sys_errno;		/* of a failed send/recv */
	bool numeric;		/* host is an IP literal */
	unsigned char ip[16];
	size_t iplen;
	bool has_extra;
	unsigned char first[5];	/* the peer's first bytes */
	size_t nfirst;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt extra;
};

static struct {
	bool rng_ok, ca_tried;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca;	/* empty (version 0) if unreadable */
} g;

static int
rng_init(struct err *err)
{
	char msg[128];
	int r;

	if (g.rng_ok)
		return 0;
	mbedtls_entropy_init(&g.entropy);
	mbedtls_ctr_drbg_init(&g.drbg);
	r = mbedtls_ctr_drbg_seed(&g.drbg, mbedtls_entropy_func, &g.entropy,
	    (const unsigned char *)"picolet-httpc", 13);
	if (r != 0) {
		mbedtls_strerror(r, msg, sizeof(msg));
		mbedtls_ctr_drbg_free(&g.drbg);
		mbedtls_entropy_free(&g.entropy);
		return err_setx(err, EIO, "tls: seeding the DRBG: %s", msg);
	}
	g.rng_ok = true;
	return 0;
}

static mbedtls_x509_crt *
system_ca(void)
{
	if (!g.ca_tried) {
		g.ca_tried = true;
		mbedtls_x509_crt_init(&g.ca);
		/* > 0: some certificates were skipped; the rest are fine */
		if (mbedtls_x509_crt_parse_file(&g.ca, SYSTEM_CA) < 0) {
			mbedtls_x509_crt_free(&g.ca);
			mbedtls_x509_crt_init(&g.ca);
		}
	}
	return g.ca.version != 0 ? &g.ca : NULL;
}

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct net_tls *t = ctx;
	ssize_t n;

	n = send(t->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	t->sys_errno = errno;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct net_tls *t = ctx;
	ssize_t n;

	n = recv(t->fd, buf, len, 0);
	if (n >= 0) {
		if (t->nfirst < sizeof(t->first)) {
			size_t k = MIN((size_t)n, sizeof(t->first) - t->nfirst);

			memcpy(t->first + t->nfirst, buf, k);
			t->nfirst += k;
		}
		return (int)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	t->sys_errno = errno;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* The leaf must name our numeric host in an iPAddress SAN. */
static int
verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct net_tls *t = ctx;
	const mbedtls_x509_sequence *s;

	if (depth != 0 || !t->numeric)
		return 0;
	for (s = &crt->subject_alt_names; s != NULL; s = s->next) {
		if (s->buf.p != NULL && s->buf.tag ==
		    (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) &&
		    s->buf.len == t->iplen &&
		    memcmp(s->buf.p, t->ip, t->iplen) == 0)
			return 0;
	}
	*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	return 0;
}

static int
load_extra(struct net_tls *t, const char *ca_file, mbedtls_x509_crt *sys,
    struct err *err)
{
	mbedtls_x509_crt *c;
	char msg[128];
	int r;

	mbedtls_x509_crt_init(&t->extra);
	t->has_extra = true;
	r = mbedtls_x509_crt_parse_file(&t->extra, ca_file);
	if (r < 0 || t->extra.version == 0) {
		mbedtls_strerror(r, msg, sizeof(msg));
		return err_setx(err, EINVAL, "tls: CA file %s: %s", ca_file,
		    r < 0 ? msg : "no certificate");
	}
	for (c = &t->extra; c->next != NULL; c = c->next)
		;
	c->next = sys;
	return 0;
}

static int
setup(struct net_tls *t, const char *host, bool verify, const char *ca_file,
    struct err *err)
{
	mbedtls_x509_crt *sys = NULL, *chain;
	char msg[128];
	int r;

	r = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (r != 0)
		goto fail;
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &g.drbg);
	mbedtls_ssl_conf_authmode(&t->conf, verify ?
	    MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
	if (verify) {
		sys = system_ca();
		if (ca_file != NULL && (r = load_extra(t, ca_file, sys,
		    err)) < 0)
			return r;
		chain = ca_file != NULL ? &t->extra : sys;
		if (chain == NULL)
			return err_setx(err, ENOENT, "tls: no CA certificates "
			    "(%s unreadable, no CA file given)", SYSTEM_CA);
		mbedtls_ssl_conf_ca_chain(&t->conf, chain, NULL);
		mbedtls_ssl_conf_verify(&t->conf, verify_ip, t);
	}
	if ((r = mbedtls_ssl_setup(&t->ssl, &t->conf)) != 0)
		goto fail;
	if (!t->numeric && (r = mbedtls_ssl_set_hostname(&t->ssl, host)) != 0)
		goto fail;
	mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
	return 0;
fail:
	mbedtls_strerror(r, msg, sizeof(msg));
	return err_setx(err, EIO, "tls: set-up: %s", msg);
}

int
net_tls_new(struct net_tls **out, int fd, const char *host, bool verify,
    const char *ca_file, struct err *err)
{
	struct net_tls *t;
	int r;

	if ((r = rng_init(err)) < 0)
		return r;
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	if (inet_pton(AF_INET, host, t->ip) == 1)
		t->iplen = 4;
	else if (inet_pton(AF_INET6, host, t->ip) == 1)
		t->iplen = 16;
	t->numeric = t->iplen != 0;
	mbedtls_ssl_init(&t->ssl);
	mbedtls_ssl_config_init(&t->conf);
	if ((r = setup(t, host, verify, ca_file, err)) < 0) {
		net_tls_free(t);
		return r;
	}
	*out = t;
	return 0;
}

/* Map an mbedtls failure to -errno and a message. */
static int
fail(struct net_tls *t, int r, const char *what, struct err *err)
{
	char msg[256], info[256], *p;
	uint32_t flags;

	if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
		t->want = r == MBEDTLS_ERR_SSL_WANT_READ ? EV_READ : EV_WRITE;
		return -EAGAIN;
	}
	if ((r == MBEDTLS_ERR_NET_SEND_FAILED ||
	    r == MBEDTLS_ERR_NET_RECV_FAILED) && t->sys_errno != 0)
		return err_set(err, t->sys_errno, "tls %s", what);
	if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		flags = mbedtls_ssl_get_verify_result(&t->ssl);
		if (mbedtls_x509_crt_verify_info(info, sizeof(info), "",
		    flags) < 0)
			snprintf(info, sizeof(info), "flags %#x",
			    (unsigned)flags);
		for (p = info; *p != '\0'; p++)
			if (*p == '\n')
				*p = p[1] != '\0' ? ';' : '\0';
		return err_setx(err, EKEYREJECTED,
		    "tls %s: certificate verification failed: %s", what, info);
	}
	if (r == MBEDTLS_ERR_SSL_INVALID_RECORD &&
	    t->nfirst == sizeof(t->first) &&
	    memcmp(t->first, "HTTP/", sizeof(t->first)) == 0)
		return err_setx(err, EPROTO, "tls %s: server gave HTTP "
		    "response to HTTPS client", what);
	mbedtls_strerror(r, msg, sizeof(msg));
	return err_setx(err, EPROTO, "tls %s: %s", what, msg);
}

int
net_tls_handshake(struct net_tls *t, struct err *err)
{
	int r;

	r = mbedtls_ssl_handshake(&t->ssl);
	return r == 0 ? 0 : fail(t, r, "handshake", err);
}

long
net_tls_read(struct net_tls *t, void *buf, size_t len, struct err *err)
{
	int r;

	r = mbedtls_ssl_read(&t->ssl, buf, MIN(len, 1u << 30));
	if (r >= 0)
		return r;
	/* an EOF without close_notify is not an error here: a framed body
	 * tells truncation apart, as for plain TCP */
	if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
	    r == MBEDTLS_ERR_SSL_CONN_EOF)
		return 0;
	return fail(t, r, "read", err);
}

long
net_tls_write(struct net_tls *t, const void *buf, size_t len,
    struct err *err)
{
	int r;

	r = mbedtls_ssl_write(&t->ssl, buf, MIN(len, 1u << 30));
	return r >= 0 ? r : fail(t, r, "write", err);
}

int
net_tls_want(const struct net_tls *t)
{
	return t->want;
}

bool
net_tls_pending(const struct net_tls *t)
{
	return mbedtls_ssl_get_bytes_avail(&t->ssl) > 0 ||
	    mbedtls_ssl_check_pending(&t->ssl);
}

void
net_tls_free(struct net_tls *t)
{
	mbedtls_x509_crt *c;

	if (t == NULL)
		return;
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	if (t->has_extra) {
		for (c = &t->extra; c->next != NULL && c->next != &g.ca;
		    c = c->next)
			;
		c->next = NULL;
		mbedtls_x509_crt_free(&t->extra);
	}
	free(t);
}
