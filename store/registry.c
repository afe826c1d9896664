/*
 * registry: the pure parts of a pull, kept apart from the loop so tests
 * and fuzzers reach them: splitting a normalized ref into the API host
 * and repository (docker.io's API lives at registry-1.docker.io), URLs
 * (Location, realm, mirror), manifests and indexes by media type,
 * platform picking, and whether a partial blob may be resumed.  Auth's
 * parts are in registry_auth.c.
 * Everything here is outside input: bounded and parsed strictly.
 */
#include <ctype.h>
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

int
store_reg_ref_split(const char *norm, struct store_reg_ref *r,
    struct err *err)
{
	const char *slash = strchr(norm, '/'), *at, *colon, *end;

	memset(r, 0, sizeof(*r));
	if (slash == NULL)
		return err_setx(err, EINVAL, "ref %s: no registry", norm);
	at = strchr(slash, '@');
	if (at != NULL) {
		end = at;
		r->by_digest = true;
		if (!store_digest_valid(at + 1) ||
		    cpy(r->ref, sizeof(r->ref), at + 1, strlen(at + 1)) < 0)
			return err_setx(err, EINVAL, "ref %s: bad digest", norm);
	} else {
		colon = strrchr(slash, ':');
		if (colon == NULL || cpy(r->ref, sizeof(r->ref), colon + 1,
		    strlen(colon + 1)) < 0)
			return err_setx(err, EINVAL, "ref %s: no tag", norm);
		end = colon;
	}
	/* "name:tag@digest": the digest wins, the tag is dropped */
	colon = memchr(slash, ':', (size_t)(end - slash));
	if (colon != NULL)
		end = colon;
	if (cpy(r->host, sizeof(r->host), norm, (size_t)(slash - norm)) < 0 ||
	    cpy(r->repo, sizeof(r->repo), slash + 1,
	    (size_t)(end - slash - 1)) < 0 || r->repo[0] == '\0')
		return err_setx(err, EINVAL, "ref %s: name too long", norm);
	snprintf(r->api_host, sizeof(r->api_host), "%s",
	    strcmp(r->host, "docker.io") == 0 ? "registry-1.docker.io" :
	    r->host);
	return 0;
}

static int
parse_port(const char *p, size_t n, unsigned short *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -EINVAL;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (unsigned short)v;
	return 0;
}

int
store_reg_url_parse(const char *url, bool dflt_tls, struct store_reg_url *u,
    struct err *err)
{
	const char *h = url, *e, *pe, *colon;

	memset(u, 0, sizeof(*u));
	u->tls = dflt_tls;
	if (strncasecmp(url, "https://", 8) == 0) {
		u->tls = true;
		h += 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		u->tls = false;
		h += 7;
	}
	e = h + strcspn(h, "/?#");
	if (*h == '[') {		/* [v6]:port */
		pe = memchr(h, ']', (size_t)(e - h));
		if (pe == NULL)
			goto bad;
		if (cpy(u->host, sizeof(u->host), h + 1,
		    (size_t)(pe - h - 1)) < 0)
			goto bad;
		colon = pe + 1 < e && pe[1] == ':' ? pe + 1 : NULL;
		if (colon == NULL && pe + 1 != e)
			goto bad;
	} else {
		colon = memchr(h, ':', (size_t)(e - h));
		if (cpy(u->host, sizeof(u->host), h,
		    (size_t)((colon != NULL ? colon : e) - h)) < 0)
			goto bad;
	}
	u->port = u->tls ? 443 : 80;
	if (colon != NULL && parse_port(colon + 1, (size_t)(e - colon - 1),
	    &u->port) < 0)
		goto bad;
	if (u->host[0] == '\0' || strpbrk(u->host, " \t\r\n@") != NULL)
		goto bad;
	if (*e == '#' || *e == '\0')
		snprintf(u->path, sizeof(u->path), "/");
	else if (cpy(u->path + (*e == '?'), sizeof(u->path) - 1, e,
	    strcspn(e, "#")) < 0)
		goto bad;
	if (u->path[0] == '\0')
		u->path[0] = '/';
	if (strpbrk(u->path, " \t\r\n") != NULL)
		goto bad;
	return 0;
bad:
	return err_setx(err, EINVAL, "bad URL %.200s", url);
}

static int
desc_of(const struct json *d, struct store_reg_desc *out, const char *what,
    struct err *err)
{
	const char *dg = json_get_str(d, "digest");
	const char *mt = json_get_str(d, "mediaType");
	int64_t size = json_get_int(d, "size", -1);

	if (dg == NULL || !store_digest_valid(dg) || size < 0)
		return err_setx(err, EINVAL, "manifest: bad %s descriptor",
		    what);
	memcpy(out->digest, dg, 72);
	snprintf(out->media, sizeof(out->media), "%s", mt ? mt : "");
	out->size = size;
	return 0;
}

static bool
is_index(const char *mt)
{
	return mt != NULL && (strcmp(mt, MT_OCI_INDEX) == 0 ||
	    strcmp(mt, MT_DOCKER_LIST) == 0);
}

static bool
is_manifest(const char *mt)
{
	return mt != NULL && (strcmp(mt, MT_OCI_MANIFEST) == 0 ||
	    strcmp(mt, MT_DOCKER_MANIFEST) == 0);
}

int
store_reg_manifest_parse(const char *body, size_t len, const char *ctype,
    struct store_reg_manifest *m, struct err *err)
{
	const struct json *layers, *c;
	const char *mt;
	struct json *j;
	size_t i = 0;
	int r = 0;

	memset(m, 0, sizeof(m[0]));
	if (len > STORE_JSON_MAX)
		return err_setx(err, EMSGSIZE, "manifest larger than %d bytes",
		    STORE_JSON_MAX);
	if ((r = json_parse(body, len, &j, err)) < 0) {
		err_prefix(err, "manifest");
		return r;
	}
	mt = json_get_str(j, "mediaType");
	if (mt == NULL || (!is_index(mt) && !is_manifest(mt)))
		mt = ctype;
	if (mt == NULL || (!is_index(mt) && !is_manifest(mt))) {
		/* OCI allows no mediaType: tell them apart by shape */
		mt = json_get(j, "manifests") != NULL ? MT_OCI_INDEX :
		    json_get(j, "layers") != NULL ? MT_OCI_MANIFEST : NULL;
	}
	if (mt == NULL) {
		r = err_setx(err, EINVAL, "manifest: unsupported media type "
		    "%.100s", ctype ? ctype : "(none)");
		goto out;
	}
	snprintf(m->media, sizeof(m->media), "%s", mt);
	if ((m->is_index = is_index(mt)))
		goto out;
	layers = json_get(j, "layers");
	if (layers == NULL || layers->type != JSON_ARR || layers->n > 1000 ||
	    (r = desc_of(json_get(j, "config"), &m->config, "config",
	    err)) < 0) {
		r = r < 0 ? r : err_setx(err, EINVAL, "manifest: no layers");
		goto out;
	}
	m->layers = xcalloc(layers->n + 1, sizeof(*m->layers));
	for (c = layers->child; c != NULL && r == 0; c = c->next)
		r = desc_of(c, &m->layers[i++], "layer", err);
	m->nlayers = i;
out:
	if (r < 0)
		store_reg_manifest_free(m);
	json_free(j);
	return r;
}

void
store_reg_manifest_free(struct store_reg_manifest *m)
{
	free(m->layers);
	m->layers = NULL;
	m->nlayers = 0;
}

static bool
plat_match(const struct json *p, const char *arch, const char *variant,
    bool want_variant)
{
	const char *v = json_get_str(p, "variant");
	const char *os = json_get_str(p, "os");
	const char *a = json_get_str(p, "architecture");

	if (os == NULL || strcmp(os, "linux") != 0 || a == NULL ||
	    strcmp(a, arch) != 0)
		return false;
	if (!want_variant || variant[0] == '\0')
		return true;
	/* arm64's variant is v8 when given; ours is "" */
	return v != NULL && strcmp(v, variant) == 0;
}

int
store_reg_index_pick(const char *body, size_t len, const char *arch,
    const char *variant, struct store_reg_desc *d, struct err *err)
{
	const struct json *list, *c, *pick = NULL;
	struct json *j;
	int pass, r;

	if ((r = json_parse(body, len, &j, err)) < 0) {
		err_prefix(err, "index");
		return r;
	}
	list = json_get(j, "manifests");
	/* an exact variant first, then any variant of that arch (arm/v7
	 * runs arm/v6 images; an index listing arm without a variant) */
	for (pass = 0; pass < 2 && pick == NULL; pass++)
		for (c = list != NULL && list->type == JSON_ARR ? list->child :
		    NULL; c != NULL && pick == NULL; c = c->next)
			if (plat_match(json_get(c, "platform"), arch, variant,
			    pass == 0) && is_manifest(json_get_str(c,
			    "mediaType") ? json_get_str(c, "mediaType") :
			    MT_OCI_MANIFEST))
				pick = c;
	if (pick != NULL && pass == 2 && strcmp(variant, "v6") == 0) {
		/* a v7 image does not run on v6 */
		const char *v = json_get_str(json_get(pick, "platform"),
		    "variant");

		if (v != NULL && strcmp(v, "v6") != 0 && strcmp(v, "v5") != 0)
			pick = NULL;
	}
	if (pick == NULL)
		r = err_setx(err, ENOENT, "no match for platform linux/%s%s%s "
		    "in index", arch, variant[0] ? "/" : "", variant);
	else
		r = desc_of(pick, d, "index entry", err);
	json_free(j);
	return r;
}

int
store_reg_resume_from(int64_t have, int64_t want)
{
	return have > 0 && have < want ? 1 : 0;
}

bool
store_reg_range_ok(int status, const char *content_range, int64_t have,
    int64_t want)
{
	long long a, b, t;
	char tail;

	if (status != 206 || content_range == NULL)
		return false;
	if (sscanf(content_range, "bytes %lld-%lld/%lld%c", &a, &b, &t,
	    &tail) != 3)
		return false;
	return a == have && b == want - 1 && t == want;
}

void
store_reg_error_msg(const char *body, size_t len, char *out, size_t outlen)
{
	const struct json *e;
	struct json *j;
	const char *code, *msg;

	out[0] = '\0';
	if (len == 0 || json_parse(body, len, &j, NULL) < 0)
		return;
	e = json_at(json_get(j, "errors"), 0);
	code = json_get_str(e, "code");
	msg = json_get_str(e, "message");
	if (msg != NULL && code != NULL)
		snprintf(out, outlen, "%.100s (%.200s)", msg, code);
	else if (msg != NULL)
		snprintf(out, outlen, "%.300s", msg);
	json_free(j);
}
