/*
 * volumes_files: what a ConfigMap, Secret, downwardAPI or projected volume
 * shows, as a list of files (path, bytes, mode) pointing into the objects
 * (nothing copied but the downward API's texts), hashed so that a refresh
 * that would write the same files writes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "core/core.h"
#include "core/ctr_spec.h"
#include "lib/buf.h"
#include "lib/util.h"

struct payload {
	struct rt_proj_file *f;
	size_t n;
	char **owned;			/* downward API texts */
};

static void
payload_add(struct payload *pl, const char *path, const void *data,
    size_t len, int mode)
{
	pl->f = xrealloc(pl->f, (pl->n + 1) * sizeof(*pl->f));
	pl->f[pl->n++] = (struct rt_proj_file){ path, data, len,
	    (mode_t)mode };
}

static void
payload_free(struct payload *pl)
{
	strv_free(pl->owned);
	free(pl->f);
	memset(pl, 0, sizeof(*pl));
}

static const char *
payload_own(struct payload *pl, char *s)
{
	strv_push(&pl->owned, s);
	free(s);
	return pl->owned[strv_len(pl->owned) - 1];
}

static int
from_config(const struct pod *p, const struct cfg_vol_source *s, int mode,
    struct payload *pl, struct err *err)
{
	bool secret = s->kind == CFG_VOL_SECRET;
	const struct cfg_config *cm;
	const struct cfg_blob *b;
	size_t i;

	cm = config_find(p->a, p->ns, s->name, secret);
	if (cm == NULL) {
		if (s->optional)
			return 0;
		return err_setx(err, ENOENT, "%s \"%s\" not found",
		    secret ? "secret" : "configmap", s->name);
	}
	if (s->nitems == 0) {
		for (i = 0; i < cm->ndata; i++)
			payload_add(pl, cm->data[i].key, cm->data[i].data,
			    cm->data[i].len, mode);
		return 0;
	}
	for (i = 0; i < s->nitems; i++) {
		const struct cfg_key_path *it = &s->items[i];

		if ((b = cfg_config_get(cm, it->key)) == NULL) {
			if (s->optional)
				continue;
			return err_setx(err, ENOENT, "%s references "
			    "non-existent %s key: %s", secret ? "secret" :
			    "configmap", secret ? "secret" : "config",
			    it->key);
		}
		payload_add(pl, it->path, b->data, b->len, it->mode >= 0 ?
		    it->mode : mode);
	}
	return 0;
}

/* key="value" lines, sorted by key (the labels are), Go-quoted. */
static char *
kv_lines(const struct cfg_kvs *kvs)
{
	struct buf b;
	const char *v;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < kvs->n; i++) {
		buf_printf(&b, "%s=\"", kvs->v[i].key);
		for (v = kvs->v[i].value; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				buf_append(&b, "\\", 1);
			if (*v == '\n')
				buf_puts(&b, "\\n");
			else
				buf_append(&b, v, 1);
		}
		buf_puts(&b, i + 1 < kvs->n ? "\"\n" : "\"");
	}
	v = xstrdup(b.p != NULL ? b.p : "");
	buf_free(&b);
	return (char *)v;
}

static int
from_downward(const struct pod *p, const struct ctr_ctx *x,
    const struct cfg_vol_source *s, int mode, struct payload *pl,
    struct err *err)
{
	const struct cfg_pod *ps = p->spec;
	const char *text;
	size_t i;
	int r;

	for (i = 0; i < s->nfields; i++) {
		const struct cfg_field_path *fp = &s->fields[i];
		char *val = NULL;

		if (fp->field_path != NULL &&
		    strcmp(fp->field_path, "metadata.labels") == 0)
			val = kv_lines(&ps->meta.labels);
		else if (fp->field_path != NULL &&
		    strcmp(fp->field_path, "metadata.annotations") == 0)
			val = kv_lines(&ps->meta.annotations);
		else if (fp->field_path != NULL) {
			if ((r = ctr_field_ref(x, fp->field_path, &text,
			    err)) < 0)
				return r;
			val = xstrdup(text);
		} else {
			char num[32];

			if ((r = ctr_resource_value(x, fp->container_name,
			    fp->resource, fp->divisor, num, sizeof(num),
			    err)) < 0)
				return r;
			val = xstrdup(num);
		}
		text = payload_own(pl, val);
		payload_add(pl, fp->path, text, strlen(text), fp->mode >= 0 ?
		    fp->mode : mode);
	}
	return 0;
}

static int
payload_build(struct pod *p, const struct cfg_volume *v, struct payload *pl,
    struct err *err)
{
	struct ctr_ctx x;
	size_t i;
	int r = 0;

	ctr_context_pod(p, &x);
	for (i = 0; i < v->nsrcs && r == 0; i++) {
		const struct cfg_vol_source *s = &v->srcs[i];

		if (s->kind == CFG_VOL_DOWNWARD)
			r = from_downward(p, &x, s, v->default_mode, pl, err);
		else
			r = from_config(p, s, v->default_mode, pl, err);
	}
	return r;
}

static void
payload_hash(const struct payload *pl, char out[65])
{
	mbedtls_sha256_context h;
	unsigned char d[32], len[8];
	size_t i, j;

	mbedtls_sha256_init(&h);
	mbedtls_sha256_starts_ret(&h, 0);
	for (i = 0; i < pl->n; i++) {
		const struct rt_proj_file *f = &pl->f[i];

		mbedtls_sha256_update_ret(&h, (const unsigned char *)f->path,
		    strlen(f->path) + 1);
		for (j = 0; j < 8; j++)
			len[j] = (unsigned char)(((uint64_t)f->len >> (j * 8)) &
			    0xff);
		mbedtls_sha256_update_ret(&h, len, sizeof(len));
		len[0] = (unsigned char)(f->mode & 0xff);
		len[1] = (unsigned char)(f->mode >> 8);
		mbedtls_sha256_update_ret(&h, len, 2);
		mbedtls_sha256_update_ret(&h, f->data, f->len);
	}
	mbedtls_sha256_finish_ret(&h, d);
	mbedtls_sha256_free(&h);
	for (i = 0; i < 32; i++)
		snprintf(out + i * 2, 3, "%02x", d[i]);
}

static gid_t
fs_group(const struct pod *p)
{
	return p->spec->fs_group >= 0 ? (gid_t)p->spec->fs_group : (gid_t)-1;
}

/* Write the volume's files when they differ from what it shows. */
int
volume_files_sync(struct pod *p, size_t idx, struct err *err)
{
	const struct cfg_volume *v = &p->spec->volumes[idx];
	struct payload pl = { NULL, 0, NULL };
	char dir[4200], hash[65];
	int r;

	if ((r = payload_build(p, v, &pl, err)) == 0) {
		payload_hash(&pl, hash);
		if (strcmp(hash, p->vols[idx].hash) != 0) {
			volume_path(p, v, dir, sizeof(dir));
			r = rt_proj_write(dir, pl.f, pl.n, fs_group(p), err);
			if (r == 0)
				memcpy(p->vols[idx].hash, hash, sizeof(hash));
		}
	}
	payload_free(&pl);
	return r;
}
