/*
 * registry_auth: who we are to a registry.  The WWW-Authenticate
 * challenge (auth-params as tokens or quoted strings with backslash
 * escapes; Docker Hub's Bearer realm/service/scope, or Basic), base64
 * both ways, and credentials from a docker config.json: auths.<key>.auth
 * (base64 "user:pass") or username/password, where the key may be a
 * bare host[:port] or a URL (Docker Hub's is "https://index.docker.io/v1/").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "store/store_int.h"

static int
cpy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		return -ENOSPC;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* One auth-param value, token or quoted string, into out. */
static const char *
param_value(const char *p, char *out, size_t size)
{
	size_t n = 0;

	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n + 1 < size)
				out[n++] = *p;
		}
		if (*p == '"')
			p++;
	} else
		for (; *p != '\0' && *p != ',' && *p != ' ' && *p != '\t';
		    p++)
			if (n + 1 < size)
				out[n++] = *p;
	out[n] = '\0';
	return p;
}

int
store_reg_challenge_parse(const char *hdr, struct store_reg_challenge *c)
{
	const char *p = hdr, *k;
	char val[1024];
	size_t kn;

	memset(c, 0, sizeof(*c));
	while (*p == ' ' || *p == '\t')
		p++;
	kn = strcspn(p, " \t");
	if (kn == 0 || cpy(c->scheme, sizeof(c->scheme), p, kn) < 0)
		return -EINVAL;
	if (strcasecmp(c->scheme, "bearer") == 0)
		snprintf(c->scheme, sizeof(c->scheme), "Bearer");
	else if (strcasecmp(c->scheme, "basic") == 0)
		snprintf(c->scheme, sizeof(c->scheme), "Basic");
	else
		return -EINVAL;
	for (p += kn; *p != '\0';) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		k = p;
		kn = strcspn(p, "= \t,");
		p += kn;
		if (*p != '=') {
			p += *p != '\0';
			continue;
		}
		p = param_value(p + 1, val, sizeof(val));
		/* a value too long for us is refused, not cut */
		if ((kn == 5 && strncasecmp(k, "realm", 5) == 0 &&
		    cpy(c->realm, sizeof(c->realm), val, strlen(val)) < 0) ||
		    (kn == 7 && strncasecmp(k, "service", 7) == 0 &&
		    cpy(c->service, sizeof(c->service), val, strlen(val)) < 0) ||
		    (kn == 5 && strncasecmp(k, "scope", 5) == 0 &&
		    cpy(c->scope, sizeof(c->scope), val, strlen(val)) < 0))
			return -EINVAL;
	}
	if (strcmp(c->scheme, "Bearer") == 0 && c->realm[0] == '\0')
		return -EINVAL;
	return 0;
}

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
store_reg_base64(const void *p, size_t n, char *out, size_t outlen)
{
	const unsigned char *s = p;
	size_t i, o = 0;
	unsigned v;

	if ((n + 2) / 3 * 4 + 1 > outlen)
		return -ENOSPC;
	for (i = 0; i < n; i += 3) {
		v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		out[o++] = B64[v >> 18 & 63];
		out[o++] = B64[v >> 12 & 63];
		out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? B64[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

static int
unbase64(const char *s, char *out, size_t outlen)
{
	unsigned v = 0;
	size_t o = 0;
	int bits = 0;
	const char *c;

	for (; *s != '\0' && *s != '='; s++) {
		if ((c = strchr(B64, *s)) == NULL || *s == '\0')
			return -EINVAL;
		v = (v << 6) | (unsigned)(c - B64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (o + 1 >= outlen)
				return -ENOSPC;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return strlen(out) == o ? 0 : -EINVAL;	/* no NUL inside */
}

/* Does a key of "auths" name host?  Keys may be URLs. */
static bool
auth_key_match(const char *key, const char *host)
{
	struct store_reg_url u;
	char hp[300];

	if (strcmp(key, host) == 0)
		return true;
	if (strcmp(host, "docker.io") == 0 &&
	    (strstr(key, "index.docker.io") != NULL ||
	    strcmp(key, "registry-1.docker.io") == 0))
		return true;
	if (store_reg_url_parse(key, true, &u, NULL) < 0)
		return false;
	if (strchr(host, ':') != NULL)
		snprintf(hp, sizeof(hp), "%s:%u", u.host, u.port);
	else
		snprintf(hp, sizeof(hp), "%s", u.host);
	return strcmp(hp, host) == 0;
}

int
store_reg_auth_lookup(const char *json, size_t len, const char *host,
    char *out, size_t outlen, struct err *err)
{
	const struct json *auths, *e;
	const char *a, *u, *pw;
	struct json *j;
	int r = -ENOENT;

	out[0] = '\0';
	if (json_parse(json, len, &j, err) < 0)
		return -EINVAL;
	auths = json_get(j, "auths");
	for (e = auths != NULL && auths->type == JSON_OBJ ? auths->child :
	    NULL; e != NULL && r == -ENOENT; e = e->next) {
		if (e->type != JSON_OBJ || !auth_key_match(e->key, host))
			continue;
		a = json_get_str(e, "auth");
		u = json_get_str(e, "username");
		pw = json_get_str(e, "password");
		if (a != NULL && a[0] != '\0') {
			r = unbase64(a, out, outlen);
			if (r == 0 && strchr(out, ':') == NULL)
				r = -EINVAL;
			if (r < 0)
				r = err_setx(err, EINVAL, "auths.%s.auth: not "
				    "base64 of user:password", e->key);
		} else if (u != NULL && pw != NULL) {
			if ((size_t)snprintf(out, outlen, "%s:%s", u, pw) >=
			    outlen)
				r = err_setx(err, ENOSPC, "auths.%s: too long",
				    e->key);
			else
				r = 0;
		}
	}
	json_free(j);
	return r;
}
