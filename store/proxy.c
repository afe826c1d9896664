/*
 * proxy: which HTTP proxy a registry request goes through, from the
 * environment as Go's net/http reads it (containerd and kubelet do):
 * HTTPS_PROXY for https, HTTP_PROXY for http (upper case first, then
 * lower), NO_PROXY a comma-separated list of exceptions:
 *
 *   *                 nothing is proxied
 *   example.com       that host and its subdomains
 *   .example.com      its subdomains only
 *   10.0.0.0/8        addresses in that network (literal IPs only)
 *   1.2.3.4, host:80  that address or host (on that port only)
 *
 * localhost and loopback addresses are never proxied.  A proxy URL is
 * http://[user:pass@]host[:port] (port 80 by default; a scheme-less
 * "host:port" is read as http); https:// proxies are refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "store/store.h"

static const char *
env2(const char *upper, const char *lower)
{
	const char *v = getenv(upper);

	if (v == NULL || v[0] == '\0')
		v = getenv(lower);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool
loopback(const char *host)
{
	unsigned char a[16];

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return false;
}

/* host in CIDR net/bits (IPv4 or IPv6, both literal). */
static bool
in_cidr(const char *host, const char *cidr)
{
	unsigned char h[16], n[16];
	char net[64];
	const char *slash = strchr(cidr, '/');
	int af, bits, i, len;

	if (slash == NULL || (size_t)(slash - cidr) >= sizeof(net))
		return false;
	memcpy(net, cidr, (size_t)(slash - cidr));
	net[slash - cidr] = '\0';
	af = strchr(net, ':') != NULL ? AF_INET6 : AF_INET;
	len = af == AF_INET ? 4 : 16;
	bits = atoi(slash + 1);
	if (bits < 0 || bits > len * 8 || inet_pton(af, net, n) != 1 ||
	    inet_pton(af, host, h) != 1)
		return false;
	for (i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff :
		    (unsigned char)(0xff << (8 - bits));

		if ((h[i] & mask) != (n[i] & mask))
			return false;
	}
	return true;
}

/* One NO_PROXY entry against host:port. */
static bool
excepted(const char *e, const char *host, unsigned short port)
{
	char name[256];
	const char *colon = strrchr(e, ':');
	size_t n = strlen(e), hl = strlen(host);

	if (strcmp(e, "*") == 0)
		return true;
	if (strchr(e, '/') != NULL)
		return in_cidr(host, e);
	/* "host:port" (not an IPv6 literal): the port must match too */
	if (colon != NULL && strchr(e, ':') == colon && colon[1] != '\0') {
		if ((unsigned)atoi(colon + 1) != port)
			return false;
		n = (size_t)(colon - e);
	}
	if (n >= sizeof(name))
		return false;
	memcpy(name, e, n);
	name[n] = '\0';
	if (name[0] == '.')		/* subdomains only */
		return hl > n && strcasecmp(host + hl - n, name) == 0;
	if (strcasecmp(host, name) == 0)
		return true;
	return hl > n && host[hl - n - 1] == '.' &&
	    strcasecmp(host + hl - n, name) == 0;
}

static bool
no_proxy(const char *host, unsigned short port)
{
	const char *v = env2("NO_PROXY", "no_proxy");
	char e[300];
	size_t n;

	while (v != NULL && *v != '\0') {
		v += strspn(v, " ,");
		n = strcspn(v, ",");
		while (n > 0 && v[n - 1] == ' ')
			n--;
		if (n > 0 && n < sizeof(e)) {
			memcpy(e, v, n);
			e[n] = '\0';
			if (excepted(e, host, port))
				return true;
		}
		v += n;
		v += strcspn(v, ",");
	}
	return false;
}

int
store_proxy_for(bool tls, const char *host, unsigned short port,
    struct store_proxy *out, struct err *err)
{
	const char *v, *p, *at, *end;
	char url[600], *colon;
	struct store_reg_url u;

	memset(out, 0, sizeof(*out));
	v = tls ? env2("HTTPS_PROXY", "https_proxy") :
	    env2("HTTP_PROXY", "http_proxy");
	if (v == NULL || loopback(host) || no_proxy(host, port))
		return -ENOENT;
	if (strncasecmp(v, "https://", 8) == 0)
		return err_setx(err, EINVAL, "%s_PROXY %s: https proxies are "
		    "not supported", tls ? "HTTPS" : "HTTP", v);
	p = strncasecmp(v, "http://", 7) == 0 ? v + 7 : v;
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL) {
		if ((size_t)(at - p) >= sizeof(out->creds))
			return err_setx(err, EINVAL, "proxy credentials too "
			    "long");
		memcpy(out->creds, p, (size_t)(at - p));
		out->creds[at - p] = '\0';
		if ((colon = strchr(out->creds, ':')) == NULL)
			return err_setx(err, EINVAL, "proxy credentials: "
			    "expected user:password");
		p = at + 1;
	}
	snprintf(url, sizeof(url), "http://%.*s", (int)(end - p), p);
	if (store_reg_url_parse(url, false, &u, err) < 0) {
		err_prefix(err, "%s_PROXY", tls ? "HTTPS" : "HTTP");
		return -EINVAL;
	}
	snprintf(out->host, sizeof(out->host), "%s", u.host);
	out->port = u.port;
	return 0;
}
