/*
 * httpc_req: the request side of httpc: what may be sent (a method that
 * is a token, an origin-form path, header names that are tokens and no
 * control characters anywhere: no header injection through a manifest's
 * httpHeaders), and the request itself, "Connection: close" always.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "net/httpc_int.h"

#define REQMAX		(64 * 1024)	/* request head */

static bool
token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return false;
	}
	return true;
}

/* No control characters (CR, LF: header injection); SP and HTAB only
 * inside header values (sp). */
static bool
printable(const char *s, bool sp)
{
	for (; *s != '\0'; s++) {
		if (sp && (*s == ' ' || *s == '\t'))
			continue;
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

int
httpc_check_req(const struct net_httpc_req *q, const char *method,
    const char *path, struct err *err)
{
	size_t i;

	if ((q->addr == NULL && q->proxy_addr == NULL) || q->port == 0 ||
	    (q->proxy_addr != NULL && q->proxy_port == 0))
		return err_setx(err, EINVAL, "http request: no address or "
		    "port");
	if (q->proxy_auth != NULL && !printable(q->proxy_auth, true))
		return err_setx(err, EINVAL, "http request: bad proxy "
		    "credentials");
	if (!token(method) || path[0] != '/' || !printable(path, false) ||
	    q->host[0] == '\0' || !printable(q->host, false))
		return err_setx(err, EINVAL, "http request: bad method, path "
		    "or host");
	for (i = 0; i < q->nheaders; i++) {
		if (!token(q->headers[i].name) ||
		    !printable(q->headers[i].value, true))
			return err_setx(err, EINVAL, "http request: bad header "
			    "%s", token(q->headers[i].name) ?
			    q->headers[i].name : "name");
	}
	return 0;
}

/* CONNECT host:port, for a tunnel through the proxy (RFC 9110 9.3.6). */
void
httpc_build_connect(struct buf *b, const struct net_httpc_req *q)
{
	bool v6 = strchr(q->host, ':') != NULL;

	buf_init(b, REQMAX);
	(void)buf_printf(b, "CONNECT %s%s%s:%u HTTP/1.1\r\nHost: %s%s%s:%u\r\n",
	    v6 ? "[" : "", q->host, v6 ? "]" : "", q->port, v6 ? "[" : "",
	    q->host, v6 ? "]" : "", q->port);
	if (q->proxy_auth != NULL)
		(void)buf_printf(b, "Proxy-Authorization: %s\r\n",
		    q->proxy_auth);
	(void)buf_puts(b, "\r\n");
}

void
httpc_build(struct buf *b, const struct net_httpc_req *q, const char *method,
    const char *path)
{
	bool host = false, v6 = strchr(q->host, ':') != NULL;
	size_t i;

	buf_init(b, REQMAX + q->body_len);
	if (q->proxy_addr != NULL && !q->tls) {	/* absolute-form */
		(void)buf_printf(b, "%s http://%s%s%s:%u%s HTTP/1.1\r\n",
		    method, v6 ? "[" : "", q->host, v6 ? "]" : "", q->port,
		    path);
		if (q->proxy_auth != NULL)
			(void)buf_printf(b, "Proxy-Authorization: %s\r\n",
			    q->proxy_auth);
	} else
		(void)buf_printf(b, "%s %s HTTP/1.1\r\n", method, path);
	for (i = 0; i < q->nheaders; i++) {
		host |= strcasecmp(q->headers[i].name, "Host") == 0;
		(void)buf_printf(b, "%s: %s\r\n", q->headers[i].name,
		    q->headers[i].value);
	}
	if (!host && q->port == (q->tls ? 443 : 80))
		(void)buf_printf(b, "Host: %s%s%s\r\n", v6 ? "[" : "", q->host,
		    v6 ? "]" : "");
	else if (!host)
		(void)buf_printf(b, "Host: %s%s%s:%u\r\n", v6 ? "[" : "",
		    q->host, v6 ? "]" : "", q->port);
	if (q->body != NULL)
		(void)buf_printf(b, "Content-Length: %zu\r\n", q->body_len);
	(void)buf_puts(b, "Connection: close\r\n\r\n");
	if (q->body != NULL)
		(void)buf_append(b, q->body, q->body_len);
}
