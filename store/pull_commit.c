/*
 * pull_commit: the unpacking half of a pull, run in a child process since
 * it is slow.  It starts once the config blob is verified, while the
 * layer blobs are still downloading (the loop announces each one that is
 * verified, so both cores work): every layer of the manifest whose
 * diffid is not unpacked yet is unpacked into tmp/<pid>-XXXXXX (the
 * child's pid: cleared at the next store_open if it dies) and its diffid
 * compared with the config's, then renamed into layers/; after the last,
 * a syncfs, then the ref goes into index.json under its lock.  The blobs
 * were verified as they arrived; the child never reads one before it is
 * announced, and an end of the announcements before the last layer (the
 * loop gone) commits nothing.
 *
 * The loop leaves each verified blob unsynced in the pull's partial dir
 * (<hex>.ok) and syncs nothing: an fdatasync on an SD card stalls for
 * tens of ms.  Here it moves into blobs/ (blob_settle: the manifest and
 * config first, each layer's in its worker before it is unpacked): the
 * file is fdatasync'd, then that very inode is linked into blobs/
 * through /proc/self/fd, never by its name, which another pull's loop
 * may have pointed at a new copy of the same blob meanwhile; then the
 * name is dropped.  So a file in blobs/ was verified and its data was on
 * disk before its name was, and a pull of the same blob in another
 * image (same loop, same partial dir) finds it in one place or the
 * other: linked before unlinked.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store_int.h"

#define WORKERS	2		/* layers unpacked at once */
#define SETTLE_TRIES	8		/* a .ok replaced under us */

int
blob_settle(const struct store *s, const char *partdir, const char *digest,
    struct err *err)
{
	char *to = blob_path(s, digest), *from = NULL, fdp[64];
	int fd = -1, r = 0, e, tries;

	from = blob_ok_path(partdir, digest);
	for (tries = 0; tries < SETTLE_TRIES; tries++) {
		if (access(to, F_OK) == 0) {	/* whole: nothing else gets there */
			(void)unlink(from);	/* a copy, if any, not needed */
			goto out;
		}
		if ((fd = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
			/* another pull's child moved it meanwhile */
			e = errno;
			if (e != ENOENT || access(to, F_OK) < 0)
				r = err_set(err, e, "open %s", from);
			goto out;
		}
		if (fdatasync(fd) < 0) {
			r = err_set(err, errno, "fdatasync %s", from);
			goto out;
		}
		snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, fdp, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0)
			break;
		/* EEXIST: another one is there, whole.  ENOENT: the inode
		 * has no name left: linked and unlinked by another child
		 * (done), or another pull's loop renamed a new copy over
		 * the .ok: that one is synced and linked next time round. */
		e = errno;
		close(fd);
		fd = -1;
		if (e == EEXIST || (e == ENOENT && access(to, F_OK) == 0))
			break;
		if (e != ENOENT) {
			r = err_set(err, e, "link %s", to);
			goto out;
		}
	}
	if (tries == SETTLE_TRIES) {
		r = err_setx(err, EAGAIN, "link %s: its file kept being "
		    "replaced", to);
		goto out;
	}
	(void)unlink(from);
out:
	if (fd >= 0)
		close(fd);
	free(from);
	free(to);
	return r;
}

static int
unpack_one(struct store *s, const char *partdir, const char *tmpdir,
    size_t i, const char *blob_digest, const char *diffid, struct err *err)
{
	char *to = layer_path(s, diffid), *blob = NULL, *dir = NULL, got[72];
	int fd, r = 0;

	if (access(to, F_OK) == 0)
		goto out;
	if ((r = blob_settle(s, partdir, blob_digest, err)) < 0)
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

/* A process unpacking one layer, so that two layers are unpacked at once:
 * a small one of many files (metadata bound) and a big one arriving
 * behind it (CPU bound) do not wait for each other. */
struct worker {
	pid_t pid;
	int fd;			/* it writes "<ret> <message>" there */
};

static int
worker_start(struct worker *w, struct store *s, const char *partdir,
    const char *tmpdir, size_t i, const char *blob, const char *diffid,
    struct err *err)
{
	struct err e;
	int pp[2], r;

	if (pipe2(pp, O_CLOEXEC) < 0)
		return err_set(err, errno, "pipe2");
	if ((w->pid = fork()) < 0) {
		r = err_set(err, errno, "fork");
		close(pp[0]);
		close(pp[1]);
		return r;
	}
	if (w->pid == 0) {
		/* dies with the pull's child, which dies with the pull */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		close(pp[0]);
		e.msg[0] = '\0';
		r = unpack_one(s, partdir, tmpdir, i, blob, diffid, &e);
		dprintf(pp[1], "%d %s", r, r < 0 ? e.msg : "");
		_exit(r < 0 ? 1 : 0);
	}
	close(pp[1]);
	w->fd = pp[0];
	return 0;
}

/* Reap w; its failure in err unless r already is one. */
static int
worker_wait(struct worker *w, int r, struct err *err)
{
	char msg[sizeof(err->msg) + 16], *sp;
	size_t len = 0;
	ssize_t n;
	long wr;

	while (len + 1 < sizeof(msg) && ((n = read(w->fd, msg + len,
	    sizeof(msg) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	msg[len] = '\0';
	close(w->fd);
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	w->pid = -1;
	if (r < 0)
		return r;
	wr = strtol(msg, &sp, 10);
	if (len == 0 || sp == msg || wr > 0 || wr < -4095)
		return err_setx(err, EIO, "unpacking process died");
	if (wr < 0)
		snprintf(err->msg, sizeof(err->msg), "%s",
		    *sp == ' ' ? sp + 1 : sp);
	return (int)wr;
}

/* Block until layer i's blob is announced (*have of them so far),
 * reaping the workers that end meanwhile: a failure ends the pull now,
 * not after the last download. */
static int
wait_ready(int fd, size_t i, size_t *have, struct worker *w,
    struct err *err)
{
	struct pollfd pf[1 + WORKERS];
	char buf[64];
	ssize_t n;
	size_t k;
	int r;

	while (fd >= 0 && *have <= i) {
		pf[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		for (k = 0; k < WORKERS; k++)
			pf[1 + k] = (struct pollfd){ .events = POLLIN,
			    .fd = w[k].pid > 0 ? w[k].fd : -1 };
		if (poll(pf, 1 + WORKERS, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_set(err, errno, "poll");
		}
		for (k = 0; k < WORKERS; k++)
			if (pf[1 + k].revents != 0 &&
			    (r = worker_wait(&w[k], 0, err)) < 0)
				return r;
		if (pf[0].revents == 0)
			continue;
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

/* Once all are announced: a blob fetched though its layer was unpacked
 * meanwhile (by another pull) goes into blobs/ too, or its copy goes, so
 * that no layer's worth stays in the partial dir until picolet exits. */
static void
settle_rest(struct store *s, const char *partdir, const struct json *man,
    int ready_fd)
{
	const struct json *l = json_get(man, "layers");
	char buf[64];
	ssize_t n;

	while (ready_fd >= 0 && ((n = read(ready_fd, buf, sizeof(buf))) > 0 ||
	    (n < 0 && errno == EINTR)))
		;
	for (l = l != NULL ? l->child : NULL; l != NULL; l = l->next)
		if (store_digest_valid(json_get_str(l, "digest")))
			(void)blob_settle(s, partdir, json_get_str(l, "digest"),
			    NULL);
}

static int
make_tmp(struct store *s, char **out, struct err *err)
{
	char *t = xasprintf("%s/%d-XXXXXX", s->tmp, (int)getpid());
	int r;

	if (mkdtemp(t) == NULL) {
		r = err_set(err, errno, "mkdtemp %s", t);
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

static int
unpack_all(struct store *s, const char *partdir, const struct json *man,
    const struct json *cfg, int ready_fd, struct err *err)
{
	const struct json *layers = json_get(man, "layers"), *l, *d;
	const struct json *ids = json_path(cfg, "rootfs.diff_ids");
	struct worker w[WORKERS];
	char *tmpdir = NULL, *to;
	size_t i = 0, have = 0, k, next = 0;
	int r = 0;

	if (layers == NULL || layers->type != JSON_ARR || ids == NULL ||
	    ids->type != JSON_ARR || ids->n != layers->n)
		return err_setx(err, EINVAL, "config's diff_ids do not match "
		    "the manifest's layers");
	for (k = 0; k < WORKERS; k++)
		w[k].pid = -1;
	for (l = layers->child, d = ids->child; l != NULL && r == 0;
	    l = l->next, d = d->next, i++) {
		if (d->type != JSON_STR || !store_digest_valid(d->s) ||
		    !store_digest_valid(json_get_str(l, "digest"))) {
			r = err_setx(err, EINVAL, "bad layer digest or "
			    "diff_id");
			break;
		}
		to = layer_path(s, d->s);
		k = access(to, F_OK) == 0;	/* unpacked already */
		free(to);
		if (k || (r = wait_ready(ready_fd, i, &have, w, err)) < 0)
			continue;
		/* the oldest worker's slot, once it is done */
		if (w[next].pid > 0 && (r = worker_wait(&w[next], r, err)) < 0)
			break;
		/* made once there is a layer to unpack: a pull that fails
		 * before leaves nothing in tmp/ even though its child is
		 * killed (what one killed later leaves, the next pull's
		 * child clears) */
		if (tmpdir == NULL && (r = make_tmp(s, &tmpdir, err)) < 0)
			break;
		r = worker_start(&w[next], s, partdir, tmpdir, i,
		    json_get_str(l, "digest"), d->s, err);
		next = (next + 1) % WORKERS;
	}
	for (k = 0; k < WORKERS; k++)
		if (w[k].pid > 0)
			r = worker_wait(&w[k], r, err);
	if (tmpdir != NULL)
		(void)rm_rf(tmpdir, NULL);
	free(tmpdir);
	return r;
}

int
store_pull_commit(struct store *s, const char *partdir, const char *ref,
    const char *digest, const char *media, int64_t size, int ready_fd,
    struct err *err)
{
	struct json *man = NULL, *cfg = NULL;
	const char *cd;
	struct idx x;
	int fd, r;

	tmp_clear_stale(s);
	if ((r = blob_settle(s, partdir, digest, err)) < 0 ||
	    (r = blob_json(s, digest, &man, err)) < 0)
		return r;
	cd = json_path(man, "config.digest") != NULL ?
	    json_get_str(json_get(man, "config"), "digest") : NULL;
	if ((r = store_digest_valid(cd) ? blob_settle(s, partdir, cd, err) :
	    0) < 0 || (r = blob_json(s, cd, &cfg, err)) < 0)
		goto out;
	if ((r = unpack_all(s, partdir, man, cfg, ready_fd, err)) < 0)
		goto out;
	settle_rest(s, partdir, man, ready_fd);
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
