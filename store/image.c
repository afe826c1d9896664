/*
 * image: from a ref to what a container needs: index -> manifest ->
 * config, and the config's diff_ids -> the unpacked layer dirs.  Only
 * small JSON files are read, so lookups are quick enough for the loop's
 * callers; all of it was verified at import, but it is outside input
 * still and parsed strictly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/util.h"
#include "store/store_int.h"

void
store_image_free(struct store_image *img)
{
	if (img == NULL)
		return;
	free(img->ref);
	free(img->digest);
	free(img->id);
	strv_free(img->layers);
	strv_free(img->entrypoint);
	strv_free(img->cmd);
	strv_free(img->env);
	free(img->working_dir);
	free(img->user);
	free(img->os);
	free(img->arch);
	free(img);
}

/* An array of strings, or NULL when absent, null or not all strings. */
static char **
strv_of(const struct json *a)
{
	const struct json *c;
	char **v;
	size_t i = 0;

	if (a == NULL || a->type != JSON_ARR)
		return NULL;
	for (c = a->child; c != NULL; c = c->next)
		if (c->type != JSON_STR)
			return NULL;
	v = xcalloc(a->n + 1, sizeof(*v));
	for (c = a->child; c != NULL; c = c->next)
		v[i++] = xstrdup(c->s);
	return v;
}

/* RFC 3339 as image configs write it; 0 when absent or unreadable. */
static int64_t
parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	int64_t ns = 0, scale = 100000000, off = 0;
	int oh, om;
	time_t t;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ns += (*p - '0') * scale;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh,
	    &om) == 2)
		off = (*p == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60);
	else if (*p != 'Z')
		return 0;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	return ((int64_t)t - off) * 1000000000 + ns;
}

static int
read_config(struct store *s, struct store_image *img,
    const struct json *layers, struct err *err)
{
	const struct json *cfg, *c, *ids;
	struct json *j;
	struct stat st;
	size_t i;
	int r;

	if ((r = blob_json(s, img->id, &j, err)) < 0)
		return r;
	cfg = json_get(j, "config");
	img->entrypoint = strv_of(json_get(cfg, "Entrypoint"));
	img->cmd = strv_of(json_get(cfg, "Cmd"));
	img->env = strv_of(json_get(cfg, "Env"));
	img->working_dir = xstrdup(json_get_str(cfg, "WorkingDir"));
	img->user = xstrdup(json_get_str(cfg, "User"));
	img->os = xstrdup(json_get_str(j, "os"));
	img->arch = xstrdup(json_get_str(j, "architecture"));
	img->created_ns = parse_time(json_get_str(j, "created"));
	ids = json_path(j, "rootfs.diff_ids");
	if (ids == NULL || ids->type != JSON_ARR || ids->n != layers->n) {
		r = err_setx(err, EINVAL, "image %s: config's diff_ids do not "
		    "match the manifest's layers", img->ref);
		goto out;
	}
	img->layers = xcalloc(ids->n + 1, sizeof(char *));
	for (c = ids->child, i = 0; c != NULL; c = c->next, i++) {
		if (c->type != JSON_STR || !store_digest_valid(c->s)) {
			r = err_setx(err, EINVAL, "image %s: bad diff_id",
			    img->ref);
			goto out;
		}
		img->layers[i] = layer_path(s, c->s);
		img->nlayers++;
		if (stat(img->layers[i], &st) < 0) {
			r = err_set(err, errno, "image %s: layer %s", img->ref,
			    img->layers[i]);
			goto out;
		}
	}
out:
	json_free(j);
	return r;
}

static int
load(struct store *s, const char *ref, const char *digest,
    struct store_image **out, struct err *err)
{
	struct store_image *img = xcalloc(1, sizeof(*img));
	const struct json *layers, *c;
	struct json *m = NULL;
	int r;

	img->ref = xstrdup(ref);
	img->digest = xstrdup(digest);
	if ((r = blob_json(s, digest, &m, err)) < 0)
		goto fail;
	layers = json_get(m, "layers");
	img->id = xstrdup(json_path(m, "config.digest") != NULL ?
	    json_get_str(json_get(m, "config"), "digest") : NULL);
	if (layers == NULL || layers->type != JSON_ARR ||
	    !store_digest_valid(img->id)) {
		r = err_setx(err, EINVAL, "image %s: manifest %s is not an "
		    "image manifest", ref, digest);
		goto fail;
	}
	for (c = layers->child; c != NULL; c = c->next)
		img->size += json_get_int(c, "size", 0);
	if ((r = read_config(s, img, layers, err)) < 0)
		goto fail;
	json_free(m);
	*out = img;
	return 0;
fail:
	json_free(m);
	store_image_free(img);
	return r;
}

/* Is entry ref e the image "name[:tag]@digest" asks for?  A pinned
 * reference matches any tag of that repository with that manifest. */
static bool
pinned_match(const char *want, const struct idx_ent *e)
{
	const char *at = strchr(want, '@'), *last = want, *colon, *p;
	size_t n;

	if (at == NULL || strcmp(at + 1, e->digest) != 0)
		return false;
	for (p = want; p < at; p++)
		if (*p == '/')
			last = p;
	/* the tag's ':' comes after the last '/' (a port's comes before) */
	colon = memchr(last, ':', (size_t)(at - last));
	n = (size_t)((colon != NULL ? colon : at) - want);
	if (strncmp(e->ref, want, n) != 0 || e->ref[n] != ':')
		return false;
	return colon == NULL || (strlen(e->ref + n) == (size_t)(at - colon) &&
	    strncmp(e->ref + n, colon, (size_t)(at - colon)) == 0);
}

int
store_image_get(struct store *s, const char *ref, struct store_image **out,
    struct err *err)
{
	char norm[REF_MAX];
	struct idx x;
	size_t i;
	int r;

	*out = NULL;
	if ((r = store_ref_normalize(ref, norm, sizeof(norm), err)) < 0)
		return r;
	if ((r = idx_read(s, &x, err)) < 0)
		return r;
	r = err_setx(err, ENOENT, "image %s: not in the store", norm);
	for (i = 0; i < x.n; i++)
		if (x.e[i].ref != NULL && (strcmp(x.e[i].ref, norm) == 0 ||
		    pinned_match(norm, &x.e[i]))) {
			r = load(s, norm, x.e[i].digest, out, err);
			break;
		}
	idx_free(&x);
	return r;
}

int
store_image_list(struct store *s, struct store_image ***out, size_t *n,
    struct err *err)
{
	struct store_image *img;
	struct idx x;
	size_t i;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = idx_read(s, &x, err)) < 0)
		return r;
	*out = xcalloc(x.n + 1, sizeof(**out));
	for (i = 0; i < x.n; i++) {
		/* a broken entry is skipped, not fatal to the listing */
		if (x.e[i].ref == NULL ||
		    load(s, x.e[i].ref, x.e[i].digest, &img, NULL) < 0)
			continue;
		(*out)[(*n)++] = img;
	}
	idx_free(&x);
	return 0;
}

int
store_image_remove(struct store *s, const char *ref, struct err *err)
{
	char norm[REF_MAX];
	struct idx x;
	int fd, r;

	if ((r = store_ref_normalize(ref, norm, sizeof(norm), err)) < 0)
		return r;
	if ((fd = idx_lock(s, err)) < 0)
		return fd;
	if ((r = idx_read(s, &x, err)) == 0) {
		if (!idx_del(&x, norm))
			r = err_setx(err, ENOENT, "image %s: not in the store",
			    norm);
		else
			r = idx_write(s, &x, err);
	}
	idx_free(&x);
	idx_unlock(fd);
	return r;
}
