/*
 * gc: the store's garbage: blobs (blobs/sha256/) and unpacked layers
 * (layers/sha256/) that nothing needs any more.  Marked: every entry of
 * index.json (manifests, an index's manifests, their configs and layers,
 * the layers' unpacked dirs from the configs' diff_ids), and the images
 * the caller keeps (containers still running an image whose ref has moved
 * on or gone).  Swept: the rest, unless younger than min_age by ctime (a
 * rename sets it): a pull or an import puts its blobs and layers in place
 * before its ref, so what is young may be about to be named.  Deleting
 * trees is slow: called from a child, never from the loop.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store_int.h"

#define GC_DEPTH	2	/* index -> manifest: no deeper */

/* A set of hex digests; small (an image has tens of blobs). */
struct hexset {
	char (*h)[65];
	size_t n;
};

static bool
has(const struct hexset *set, const char *hex)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->h[i], hex) == 0)
			return true;
	return false;
}

static void
add(struct hexset *set, const char *digest)
{
	if (!store_digest_valid(digest) || has(set, digest + 7))
		return;
	set->h = xrealloc(set->h, (set->n + 1) * sizeof(*set->h));
	memcpy(set->h[set->n++], digest + 7, 65);
}

/* A config: itself, and the unpacked dirs of its diff_ids.  A blob
 * that is not there marks nothing; one that cannot be read stops the
 * GC (what it would keep is unknown). */
static int
mark_config(struct store *s, const char *digest, struct hexset *blobs,
    struct hexset *layers, struct err *err)
{
	const struct json *ids, *c;
	struct json *j;
	int r;

	add(blobs, digest);
	if ((r = blob_json(s, digest, &j, err)) < 0)
		return r == -ENOENT ? 0 : r;
	ids = json_path(j, "rootfs.diff_ids");
	for (c = ids && ids->type == JSON_ARR ? ids->child : NULL; c != NULL;
	    c = c->next)
		if (c->type == JSON_STR)
			add(layers, c->s);
	json_free(j);
	return 0;
}

/* A manifest or an index, and all it reaches.  A missing blob (another
 * platform's manifest of an index) is no error: it is not there. */
static int
mark_manifest(struct store *s, const char *digest, int depth,
    struct hexset *blobs, struct hexset *layers, struct err *err)
{
	const struct json *arr, *c;
	struct json *j;
	int r = 0;

	add(blobs, digest);
	if (depth > GC_DEPTH)
		return 0;
	if ((r = blob_json(s, digest, &j, err)) < 0)
		return r == -ENOENT ? 0 : r;
	arr = json_get(j, "manifests");
	for (c = arr && arr->type == JSON_ARR ? arr->child : NULL;
	    c != NULL && r == 0; c = c->next)
		if (json_get_str(c, "digest") != NULL)
			r = mark_manifest(s, json_get_str(c, "digest"),
			    depth + 1, blobs, layers, err);
	if (r == 0 && (c = json_get(j, "config")) != NULL &&
	    json_get_str(c, "digest") != NULL)
		r = mark_config(s, json_get_str(c, "digest"), blobs, layers,
		    err);
	arr = json_get(j, "layers");
	for (c = arr && arr->type == JSON_ARR ? arr->child : NULL; c != NULL;
	    c = c->next)
		if (json_get_str(c, "digest") != NULL)
			add(blobs, json_get_str(c, "digest"));
	json_free(j);
	return r;
}

/* Remove the entries of dir not in keep and older than min_age. */
static int
sweep(const char *dir, const struct hexset *keep, int64_t min_age,
    bool trees, struct store_gc_stats *st, struct err *err)
{
	time_t now = time(NULL);
	struct dirent *de;
	struct stat sb;
	char path[4200];
	DIR *d;
	int r = 0;

	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : err_set(err, errno, "opendir %s",
		    dir);
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 64 || has(keep, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) < 0 || now - sb.st_ctime < min_age)
			continue;
		if (trees) {
			if ((r = rm_rf(path, err)) < 0)
				break;
			st->layers++;
		} else {
			if (unlink(path) < 0) {
				r = err_set(err, errno, "unlink %s", path);
				break;
			}
			st->blobs++;
			st->bytes += sb.st_size;
		}
	}
	closedir(d);
	return r;
}

int
store_gc(struct store *s, const char *const *keep, int64_t min_age,
    struct store_gc_stats *st, struct err *err)
{
	struct hexset blobs = { NULL, 0 }, layers = { NULL, 0 };
	char dir[4200];
	struct idx x;
	size_t i;
	int fd, r;

	memset(st, 0, sizeof(*st));
	/* under the index lock: no ref comes or goes while we look */
	if ((fd = idx_lock(s, err)) < 0)
		return fd;
	if ((r = idx_read(s, &x, err)) < 0)
		goto out;
	for (i = 0; i < x.n && r == 0; i++)
		r = mark_manifest(s, x.e[i].digest, 0, &blobs, &layers, err);
	idx_free(&x);
	for (i = 0; keep != NULL && keep[i] != NULL && r == 0; i++)
		r = mark_config(s, keep[i], &blobs, &layers, err);
	if (r < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/blobs/sha256", s->root);
	if ((r = sweep(dir, &blobs, min_age, false, st, err)) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "%s/layers/sha256", s->root);
	r = sweep(dir, &layers, min_age, true, st, err);
out:
	idx_unlock(fd);
	free(blobs.h);
	free(layers.h);
	return r;
}
