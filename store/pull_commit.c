/*
 * pull_commit: the unpacking half of a pull, run in a child process since
 * it is slow.  It starts once the config blob is in the store, while the
 * layer blobs are still downloading (the loop announces each one that is
 * verified and in blobs/, so both cores work): every layer of the
 * manifest whose diffid is not unpacked yet is unpacked into
 * tmp/<pid>-XXXXXX (the child's pid: cleared at the next store_open if
 * it dies) and its diffid compared with the config's, then renamed into
 * layers/; after the last, a syncfs, then the ref goes into index.json
 * under its lock.  The blobs were verified as they arrived; the child
 * never reads one before it is announced, and an end of the
 * announcements before the last layer (the loop gone) commits nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store_int.h"

static int
unpack_one(struct store *s, const char *tmpdir, size_t i,
    const char *blob_digest, const char *diffid, struct err *err)
{
	char *to = layer_path(s, diffid), *blob = NULL, *dir = NULL, got[72];
	int fd, r = 0;

	if (access(to, F_OK) == 0)
		goto out;
	blob = blob_path(s, blob_digest);
	if ((fd = open(blob, O_RDONLY | O_CLOEXEC)) < 0) {
		r = err_set(err, errno, "open %s", blob);
		goto out;
	}
	dir = xasprintf("%s/l%zu", tmpdir, i);
	r = store_layer_unpack(fd, dir, got, err);
	close(fd);
	if (r == 0 && strcmp(got, diffid) != 0)
		r = err_setx(err, EINVAL, "diff_id mismatch for layer %s: "
		    "config says %s, content is %s", blob_digest, diffid, got);
	else if (r < 0)
		err_prefix(err, "layer %s", blob_digest);
	if (r == 0 && rename(dir, to) < 0 && errno != EEXIST &&
	    errno != ENOTEMPTY)
		r = err_set(err, errno, "rename %s", to);
out:
	free(to);
	free(blob);
	free(dir);
	return r;
}

/* Block until layer i's blob is announced (*have of them so far). */
static int
wait_ready(int fd, size_t i, size_t *have, struct err *err)
{
	char buf[64];
	ssize_t n;

	while (fd >= 0 && *have <= i) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(err, errno, "read");
		if (n == 0)
			return err_setx(err, ECANCELED, "pull abandoned");
		*have += (size_t)n;
	}
	return 0;
}

static int
unpack_all(struct store *s, const struct json *man, const struct json *cfg,
    int ready_fd, struct err *err)
{
	const struct json *layers = json_get(man, "layers"), *l, *d;
	const struct json *ids = json_path(cfg, "rootfs.diff_ids");
	char *tmpdir;
	size_t i = 0, have = 0;
	int r = 0;

	if (layers == NULL || layers->type != JSON_ARR || ids == NULL ||
	    ids->type != JSON_ARR || ids->n != layers->n)
		return err_setx(err, EINVAL, "config's diff_ids do not match "
		    "the manifest's layers");
	tmpdir = xasprintf("%s/%d-XXXXXX", s->tmp, (int)getpid());
	if (mkdtemp(tmpdir) == NULL) {
		r = err_set(err, errno, "mkdtemp %s", tmpdir);
		free(tmpdir);
		return r;
	}
	for (l = layers->child, d = ids->child; l != NULL && r == 0;
	    l = l->next, d = d->next, i++) {
		if (d->type != JSON_STR || !store_digest_valid(d->s) ||
		    !store_digest_valid(json_get_str(l, "digest")))
			r = err_setx(err, EINVAL, "bad layer digest or diff_id");
		else if ((r = wait_ready(ready_fd, i, &have, err)) == 0)
			r = unpack_one(s, tmpdir, i, json_get_str(l, "digest"),
			    d->s, err);
	}
	(void)rm_rf(tmpdir, NULL);
	free(tmpdir);
	return r;
}

int
store_pull_commit(struct store *s, const char *ref, const char *digest,
    const char *media, int64_t size, int ready_fd, struct err *err)
{
	struct json *man = NULL, *cfg = NULL;
	const char *cd;
	struct idx x;
	int fd, r;

	if ((r = blob_json(s, digest, &man, err)) < 0)
		return r;
	cd = json_path(man, "config.digest") != NULL ?
	    json_get_str(json_get(man, "config"), "digest") : NULL;
	if ((r = blob_json(s, cd, &cfg, err)) < 0)
		goto out;
	if ((r = unpack_all(s, man, cfg, ready_fd, err)) < 0)
		goto out;
	if ((fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		syncfs(fd);
		close(fd);
	}
	if ((fd = idx_lock(s, err)) < 0) {
		r = fd;
		goto out;
	}
	if ((r = idx_read(s, &x, err)) == 0) {
		idx_put(&x, ref, digest, media[0] ? media : MT_OCI_MANIFEST,
		    size);
		r = idx_write(s, &x, err);
	}
	idx_free(&x);
	idx_unlock(fd);
out:
	json_free(man);
	json_free(cfg);
	return r;
}
