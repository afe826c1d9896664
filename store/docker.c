/*
 * docker: `docker save` archives, turned into what an OCI layout holds.
 * Such an archive has no manifest blob: manifest.json lists, per image,
 * a Config file ("<hex>.json", or "blobs/sha256/<hex>" since docker 25),
 * RepoTags and Layers ("<id>/layer.tar", duplicates often symlinks to
 * another image's).  Each file gets an alias "blobs/sha256/<digest of
 * its content>" and an OCI manifest is written for it, so the rest of
 * the import verifies and stores both formats the same way.  Layer
 * tars are not named by digest here: they are checked against the
 * config's diff_ids when unpacked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "store/store_int.h"

/* Write a made-up blob (docker archives have no manifest) into tmp/. */
static const char *
synth_blob(struct imp *m, const void *data, size_t len, struct err *err)
{
	char digest[72], *name;
	struct file *f;
	int fd;

	store_sha_buf(data, len, digest);
	name = xasprintf("blobs/sha256/%s", digest + 7);
	if ((f = imp_find(m, name)) != NULL) {
		free(name);
		return f->digest;
	}
	f = imp_add_file(m, name);
	free(name);
	f->path = xasprintf("%s/f%zu", m->dir, m->nf);
	memcpy(f->digest, digest, sizeof(digest));
	f->size = (int64_t)len;
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, data, len) < 0) {
		err_set(err, errno, "write %s", f->path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	return f->digest;
}

/* An alias "blobs/sha256/<hex>" for an archive file, named by content. */
static struct file *
as_blob(struct imp *m, const char *name, struct err *err)
{
	struct file *f = imp_find(m, name), *a;
	char *bn;

	if (f == NULL) {
		err_setx(err, ENOENT, "%s missing from the archive", name);
		return NULL;
	}
	bn = xasprintf("blobs/sha256/%s", f->digest + 7);
	if (imp_find(m, bn) == NULL) {
		const char *target = f->name;
		char *t = xstrdup(target);

		a = imp_add_file(m, bn);
		a->alias = t;
		f = imp_find(m, bn);
	}
	free(bn);
	return f;
}

static const char *
docker_manifest(struct imp *m, const struct json *ent, struct err *err)
{
	const struct json *layers = json_get(ent, "Layers"), *l;
	struct file *cf, *lf;
	const char *d = NULL;
	struct jsonw w;
	struct buf b;

	if ((cf = as_blob(m, json_get_str(ent, "Config") != NULL ?
	    json_get_str(ent, "Config") : "(no Config)", err)) == NULL)
		return NULL;
	if (layers == NULL || layers->type != JSON_ARR) {
		err_setx(err, EINVAL, "manifest.json: no Layers");
		return NULL;
	}
	buf_init(&b, STORE_JSON_MAX);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kint(&w, "schemaVersion", 2);
	jw_kstr(&w, "mediaType", MT_OCI_MANIFEST);
	jw_key(&w, "config");
	jw_obj(&w);
	jw_kstr(&w, "mediaType", MT_OCI_CONFIG);
	jw_kstr(&w, "digest", cf->digest);
	jw_kint(&w, "size", cf->size);
	jw_obj_end(&w);
	jw_key(&w, "layers");
	jw_arr(&w);
	for (l = layers->child; l != NULL; l = l->next) {
		if (l->type != JSON_STR ||
		    (lf = as_blob(m, l->s, err)) == NULL)
			goto out;
		jw_obj(&w);
		jw_kstr(&w, "mediaType", lf->gz ? MT_OCI_LAYER_GZ :
		    MT_OCI_LAYER);
		jw_kstr(&w, "digest", lf->digest);
		jw_kint(&w, "size", lf->size);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err == 0)
		d = synth_blob(m, b.p, b.len, err);
	else
		err_setx(err, EFBIG, "manifest.json: too many layers");
out:
	buf_free(&b);
	return d;
}

int
imp_docker_archive(struct imp *m, struct err *err)
{
	const struct json *c, *tags, *t;
	struct json *list = NULL;
	char ref[REF_MAX], digest[72];
	const char *d;
	int64_t size;
	int r;

	if ((r = imp_file_json(m, "manifest.json", &list, err)) < 0)
		return r;
	for (c = list->type == JSON_ARR ? list->child : NULL; c != NULL;
	    c = c->next) {
		tags = json_get(c, "RepoTags");
		if (tags == NULL || tags->type != JSON_ARR || tags->n == 0)
			continue;
		if ((d = docker_manifest(m, c, err)) == NULL) {
			r = -EINVAL;
			break;
		}
		memcpy(digest, d, sizeof(digest));
		if ((r = imp_image_manifest(m, digest, err)) < 0)
			break;
		size = imp_blob(m, digest, NULL)->size;
		for (t = tags->child; t != NULL && r == 0; t = t->next) {
			if (t->type != JSON_STR)
				continue;
			if ((r = store_ref_normalize(t->s, ref, sizeof(ref),
			    err)) == 0)
				idx_put(&m->add, ref, digest, MT_OCI_MANIFEST,
				    size);
		}
		if (r < 0)
			break;
	}
	json_free(list);
	return r;
}
