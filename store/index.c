/*
 * index: <state>/images/index.json, the store's only mutable file.  Every
 * change is read-modify-write under an exclusive flock on index.lock (a
 * separate file, since index.json itself is replaced by rename and a lock
 * on a replaced inode protects nothing), and lands by store_write_atomic.
 * Readers need no lock: they see the old file or the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "store/store_int.h"

int
idx_lock(struct store *s, struct err *err)
{
	char *p = xasprintf("%s/index.lock", s->root);
	int fd, r;

	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = err_set(err, errno, "open %s", p);
		free(p);
		return r;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		r = err_set(err, errno, "flock %s", p);
		close(fd);
		free(p);
		return r;
	}
	free(p);
	return fd;
}

void
idx_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
ref_from_annotations(const struct json *annots, const char *hint,
    char *out, size_t outlen, struct err *err)
{
	const char *name = json_get_str(annots, ANNOT_CTRD);
	char *full;
	int r;

	if (name != NULL)
		return store_ref_normalize(name, out, outlen, err);
	if ((name = json_get_str(annots, ANNOT_REF)) == NULL)
		return 1;
	if (strpbrk(name, "/:@") != NULL)
		return store_ref_normalize(name, out, outlen, err);
	if (!store_tag_valid(name))
		return err_setx(err, EINVAL, "image reference %s: invalid",
		    name);
	full = xasprintf("localhost/%s:%s", hint, name);
	r = store_ref_normalize(full, out, outlen, err);
	free(full);
	return r;
}

static void
ent_free(struct idx_ent *e)
{
	free(e->ref);
	free(e->digest);
	free(e->media);
}

void
idx_free(struct idx *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		ent_free(&x->e[i]);
	free(x->e);
	x->e = NULL;
	x->n = 0;
}

int
idx_read(struct store *s, struct idx *x, struct err *err)
{
	char *p = xasprintf("%s/index.json", s->root), *data = NULL;
	char ref[REF_MAX];
	const struct json *m, *c;
	struct json *j = NULL;
	size_t len;
	int r;

	memset(x, 0, sizeof(*x));
	r = read_file(p, STORE_JSON_MAX, &data, &len, err);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	if ((r = json_parse(data, len, &j, err)) < 0) {
		err_prefix(err, "%s", p);
		goto out;
	}
	m = json_get(j, "manifests");
	for (c = m != NULL && m->type == JSON_ARR ? m->child : NULL;
	    c != NULL; c = c->next) {
		const char *d = json_get_str(c, "digest");

		if (!store_digest_valid(d))
			continue;
		x->e = xrealloc(x->e, (x->n + 1) * sizeof(*x->e));
		memset(&x->e[x->n], 0, sizeof(x->e[0]));
		if (ref_from_annotations(json_get(c, "annotations"),
		    "unnamed", ref, sizeof(ref), NULL) == 0)
			x->e[x->n].ref = xstrdup(ref);
		x->e[x->n].digest = xstrdup(d);
		x->e[x->n].media = xstrdup(json_get_str(c, "mediaType"));
		x->e[x->n].size = json_get_int(c, "size", 0);
		x->n++;
	}
out:
	json_free(j);
	free(data);
	free(p);
	return r;
}

int
idx_write(struct store *s, const struct idx *x, struct err *err)
{
	char *p = xasprintf("%s/index.json", s->root);
	struct jsonw w;
	struct buf b;
	size_t i;
	int r;

	buf_init(&b, STORE_JSON_MAX);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_kint(&w, "schemaVersion", 2);
	jw_kstr(&w, "mediaType", MT_OCI_INDEX);
	jw_key(&w, "manifests");
	jw_arr(&w);
	for (i = 0; i < x->n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "mediaType", x->e[i].media != NULL ?
		    x->e[i].media : MT_OCI_MANIFEST);
		jw_kstr(&w, "digest", x->e[i].digest);
		jw_kint(&w, "size", x->e[i].size);
		if (x->e[i].ref != NULL) {
			jw_key(&w, "annotations");
			jw_obj(&w);
			jw_kstr(&w, ANNOT_REF, x->e[i].ref);
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.err != 0)
		r = err_setx(err, EFBIG, "%s: index too large", p);
	else
		r = store_write_atomic(p, b.p, b.len, 0644, err);
	buf_free(&b);
	free(p);
	return r;
}

void
idx_put(struct idx *x, const char *ref, const char *digest,
    const char *media, int64_t size)
{
	struct idx_ent *e = NULL;
	size_t i;

	for (i = 0; i < x->n && e == NULL; i++)
		if (x->e[i].ref != NULL && strcmp(x->e[i].ref, ref) == 0)
			e = &x->e[i];
	if (e == NULL) {
		x->e = xrealloc(x->e, (x->n + 1) * sizeof(*x->e));
		e = &x->e[x->n++];
	} else
		ent_free(e);
	e->ref = xstrdup(ref);
	e->digest = xstrdup(digest);
	e->media = xstrdup(media);
	e->size = size;
}

bool
idx_del(struct idx *x, const char *ref)
{
	bool found = false;
	size_t i = 0;

	while (i < x->n) {
		if (x->e[i].ref == NULL || strcmp(x->e[i].ref, ref) != 0) {
			i++;
			continue;
		}
		ent_free(&x->e[i]);
		memmove(&x->e[i], &x->e[i + 1],
		    (x->n - i - 1) * sizeof(*x->e));
		x->n--;
		found = true;
	}
	return found;
}
