/*
 * pull_blob: the config and layer blobs of a pull, one after the other,
 * and the unpacking child beside them.  A blob streams into tmp/<pid>-partial/
 * <hex>.part with its sha256 computed as it arrives and its size held to
 * the descriptor's (an endless body is cut there, a silent one by the
 * idle timeout); only a verified blob is renamed, to <hex>.ok in the same
 * dir, so a mismatch leaves nothing.  Nothing is synced here: an
 * fdatasync on an SD card holds the loop for tens of ms.  The unpacking
 * child syncs each .ok and links it into blobs/ (blob_settle in
 * pull_commit.c) before it reads it; writeback is started every MiB as
 * the blob arrives (sync_file_range) and for the tail once it is
 * verified, so that fdatasync finds little left.  A blob in blobs/ or
 * verified in the partial dir (another pull's, the same loop's), or a
 * layer whose diffid is unpacked already, is not fetched.
 *
 * Crash safety, the rest of the store trusting blobs/<digest> without
 * hashing it again: (1) nothing unverified is used: a .part is read by
 * no one but its writer; a .ok is only ever a .part whose digest matched
 * (or the manifest, checked in memory, written beside under a name of
 * its own and renamed), and nothing else reaches blobs/.  (2) After a
 * crash at any point every file in blobs/ is whole: the child links the
 * inode it has just fdatasync'd (by /proc/self/fd, not by name, as
 * another pull of the same blob may rename its own copy over the .ok
 * meanwhile), so a name in blobs/ never comes before its data.  (3) The
 * child unpacks a layer only once its blob is in blobs/, renames it into
 * layers/ once its diffid matched, and writes the ref after a syncfs.
 * The partial dir is not synced and need not be: it is named after our
 * pid, cleared by the store once we are gone, and by store_open for our
 * own pid (pids repeat after a reboot), so an unsynced .ok or .part is
 * never trusted after a crash.  Another pull of the blob finds it in
 * blobs/ or as .ok at any moment (the child links before it unlinks);
 * GC sweeps blobs/ only, and by ctime, which the link sets.
 *
 * Resume: a transfer cut short is retried at once with "Range: bytes=N-"
 * over what is kept, the hash going on from where it was (the part stays
 * open between tries).  A pull that fails leaves its part and its hash
 * in the store (a few, struct part_sha), so the next pull of the blob
 * goes on too; a part without a hash kept starts over: it is never read
 * again on the loop (a Pi hashes ~100 MB/s: seconds for a big layer).
 * The digest is checked at the end either way.  A 200 instead of a 206
 * means the server ignores ranges: start over; a 206 for another range
 * or a 416: start over without asking again.
 *
 * Two pulls of one blob (two refs sharing a layer) fetch it once: the
 * second to get to it while the first fetches it parks until the first
 * closes the part (close_part wakes it), then finds it verified, or
 * takes the part and its hash over if the first failed.  The part file
 * is flock'd while written besides, so a pull never writes into a part
 * another holds (a forked child may hold the lock a while): it writes a
 * file of its own then.
 *
 * The unpacking child beside the downloads: pull_child.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/pull_int.h"

static void fetch_blob(struct store_pull *p);
static void next_blob(struct store_pull *p);

static const struct store_reg_desc *
cur_desc(const struct store_pull *p)
{
	return p->bi == 0 ? &p->man.config : &p->man.layers[p->bi - 1];
}

/* The pulls parked on the blob p fetched into the shared part (done
 * with it now, its .ok renamed or its hash kept) go on, from the loop. */
static void
wake_parked(struct store_pull *p)
{
	const char *dg = cur_desc(p)->digest;
	struct store_pull *q;

	for (q = p->s->pulls; q != NULL; q = q->next)
		if (q->parked && strcmp(cur_desc(q)->digest, dg) == 0) {
			q->parked = false;
			ev_timer_start(q->loop, &q->wake);
		}
}

static void
close_part(struct store_pull *p)
{
	bool shared = p->fd >= 0 && !p->own_part;

	if (p->fd >= 0) {
		close(p->fd);
		store_sha_free(&p->sha);
	}
	p->fd = -1;
	free(p->part);
	p->part = NULL;
	if (shared)
		wake_parked(p);
}

/* Is another pull of ours fetching this blob into the shared part? */
static bool
fetched_elsewhere(struct store_pull *p)
{
	const char *dg = cur_desc(p)->digest;
	struct store_pull *q;

	for (q = p->s->pulls; q != NULL; q = q->next)
		if (q != p && q->fd >= 0 && !q->own_part &&
		    strcmp(cur_desc(q)->digest, dg) == 0)
			return true;
	return false;
}

/* A part cut short: its hash kept for the next pull of the blob (the
 * oldest of the store's few forgotten), so that none reads it again. */
static void
keep_part_sha(struct store_pull *p)
{
	const struct store_reg_desc *d;
	struct part_sha *k;
	size_t i;

	if (p->fd < 0 || p->own_part || p->bi > p->man.nlayers)
		return;
	d = cur_desc(p);
	if (p->have <= 0 || p->have >= d->size)
		return;
	for (i = 0; i < PART_SHAS; i++)
		if (strcmp(p->s->parts[i].hex, d->digest + 7) == 0)
			break;
	if (i == PART_SHAS)
		i = p->s->next_part++ % PART_SHAS;
	k = &p->s->parts[i];
	snprintf(k->hex, sizeof(k->hex), "%s", d->digest + 7);
	k->have = p->have;
	k->sha = p->sha;	/* a plain context: copied, then freed */
}

/* The hash kept for the part of that size, taken: 0, or -ENOENT. */
static int
take_part_sha(struct store_pull *p, int64_t size)
{
	const char *hex = cur_desc(p)->digest + 7;
	size_t i;

	for (i = 0; i < PART_SHAS; i++)
		if (strcmp(p->s->parts[i].hex, hex) == 0) {
			p->s->parts[i].hex[0] = '\0';
			if (p->s->parts[i].have != size)
				return -ENOENT;
			p->sha = p->s->parts[i].sha;
			return 0;
		}
	return -ENOENT;
}

void
pull_blob_cleanup(struct store_pull *p)
{
	keep_part_sha(p);
	close_part(p);
	json_free(p->cfg);
	p->cfg = NULL;
	pull_child_stop(p);
}

/* Is the blob verified: in blobs/, or a pull's .ok in our partial dir? */
static bool
blob_have(struct store_pull *p, const char *digest)
{
	char *a = blob_path(p->s, digest), *b = blob_ok_path(p->partdir,
	    digest);
	bool yes = access(a, F_OK) == 0 || access(b, F_OK) == 0;

	free(a);
	free(b);
	return yes;
}

/* The config, from blobs/ or its .ok: the child links one before it
 * unlinks the other, hence blobs/ again last. */
static struct json *
config_json(struct store_pull *p)
{
	const char *dg = p->man.config.digest;
	char *path, *data = NULL;
	size_t len;
	int i, r = -ENOENT;

	for (i = 0; i < 3 && r == -ENOENT; i++) {
		path = i == 1 ? blob_ok_path(p->partdir, dg) :
		    blob_path(p->s, dg);
		r = read_file(path, STORE_JSON_MAX, &data, &len, NULL);
		free(path);
	}
	if (r == 0 && json_parse(data, len, &p->cfg, NULL) < 0)
		p->cfg = NULL;
	free(data);
	return p->cfg;
}

/* Is layer i unpacked already (its diffid from the config, in store)? */
static bool
layer_present(struct store_pull *p, size_t i)
{
	const struct json *id;
	char *path;
	bool yes = false;

	if (p->cfg == NULL && config_json(p) == NULL)
		return false;
	id = json_at(json_path(p->cfg, "rootfs.diff_ids"), i);
	if (id != NULL && id->type == JSON_STR && store_digest_valid(id->s)) {
		path = layer_path(p->s, id->s);
		yes = access(path, F_OK) == 0;
		free(path);
	}
	return yes;
}

void
pull_blobs_start(struct store_pull *p)
{
	size_t i;

	p->total_bytes = p->man.config.size;
	for (i = 0; i < p->man.nlayers; i++)
		p->total_bytes += p->man.layers[i].size;
	p->done_bytes = 0;
	p->bi = 0;
	next_blob(p);
}

static int
on_data(const struct net_httpc_res *res, const void *data, size_t len,
    void *arg)
{
	struct store_pull *p = arg;
	const struct store_reg_desc *d = cur_desc(p);
	char cr[96];

	if (p->have == p->base_have && p->ranged) {
		if (res->head.status == 200) {	/* ranges ignored */
			if (ftruncate(p->fd, 0) < 0)
				return -errno;
			store_sha_free(&p->sha);
			store_sha_init(&p->sha);
			p->have = p->base_have = 0;
			p->ranged = false;
		} else if (net_httpc_header(&res->head, "Content-Range", cr,
		    sizeof(cr)) < 0 || !store_reg_range_ok(res->head.status,
		    cr, p->have, d->size)) {
			p->range_bad = true;
			return -EPROTO;
		}
	} else if (!p->ranged && res->head.status != 200) {
		p->range_bad = true;
		return -EPROTO;
	}
	if (p->have + (int64_t)len > d->size) {
		p->too_big = true;
		return -EFBIG;
	}
	if (pwrite(p->fd, data, len, p->have) != (ssize_t)len)
		return errno ? -errno : -EIO;
	store_sha_update(&p->sha, data, len);
	p->have += (int64_t)len;
	if (p->have - p->flushed >= PULL_FLUSH) {
		/* the disk writes while more arrives: blob_done's
		 * fdatasync then waits for the last MiB only */
		(void)sync_file_range(p->fd, p->flushed,
		    p->have - p->flushed, SYNC_FILE_RANGE_WRITE);
		p->flushed = p->have;
	}
	p->done_bytes = p->base_done + p->have;
	return 0;
}

/* Open (or make) the part file for the current blob: the sha covers
 * none of what it holds yet. */
static int
open_part(struct store_pull *p)
{
	const struct store_reg_desc *d = cur_desc(p);
	struct stat st;
	int e;

	(void)mkdir(p->partdir, 0700);	/* the last pull to end removes it */
	p->part = xasprintf("%s/%s.part", p->partdir, d->digest + 7);
	p->own_part = false;
	p->fd = open(p->part, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (p->fd >= 0 && flock(p->fd, LOCK_EX | LOCK_NB) < 0) {
		/* another pull of ours is fetching the same blob right now:
		 * a file of our own, no resume */
		close(p->fd);
		free(p->part);
		p->own_part = true;
		p->part = xasprintf("%s/%s.%p.part", p->partdir,
		    d->digest + 7, (void *)p);
		p->fd = open(p->part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	}
	if (p->fd < 0 || fstat(p->fd, &st) < 0) {
		e = errno;
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		pull_finish(p, -e, "open %s: %s", p->part, strerror(e));
		return -1;
	}
	/* left by an earlier pull of ours: go on with the hash it kept;
	 * without one, start over rather than read it all on the loop */
	p->have = st.st_size;
	if (p->own_part || take_part_sha(p, p->have) < 0) {
		store_sha_init(&p->sha);
		p->have = 0;
	}
	return 0;
}

/* Fetch the current blob, or go on with it: a retry keeps the part open
 * with its hash, so what is kept is not read again. */
static void
fetch_blob(struct store_pull *p)
{
	const struct store_reg_desc *d = cur_desc(p);
	char path[700];

	p->phase = PH_BLOB;
	p->again = fetch_blob;
	if (p->fd < 0 && fetched_elsewhere(p)) {
		/* fetched once: wait for it, then find it verified, or go
		 * on from where it stopped */
		p->parked = true;
		return;
	}
	if (p->fd < 0 && open_part(p) < 0)
		return;
	p->ranged = !p->no_range && store_reg_resume_from(p->have, d->size);
	if (!p->ranged) {
		store_sha_free(&p->sha);
		store_sha_init(&p->sha);
		p->have = 0;
		if (ftruncate(p->fd, 0) < 0) {
			pull_finish(p, -errno, "truncate %s", p->part);
			return;
		}
		p->range[0] = '\0';
	} else
		snprintf(p->range, sizeof(p->range), "bytes=%lld-",
		    (long long)p->have);
	p->base_have = p->flushed = p->have;
	p->range_bad = p->too_big = false;
	p->done_bytes = p->base_done + p->have;
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", p->rr.repo,
	    d->digest);
	pull_get(p, path, on_data);
}

/* Verified: renamed to .ok (the child syncs it into blobs/), then the
 * next one. */
static void
blob_done(struct store_pull *p, const struct store_reg_desc *d)
{
	char got[72], *to;

	store_sha_final(&p->sha, got);
	if (strcmp(got, d->digest) != 0) {
		unlink(p->part);
		pull_finish(p, -EBADMSG, "digest mismatch for blob %s "
		    "(content is %s)", d->digest, got);
		return;
	}
	/* the tail's writeback, so that the child's fdatasync finds
	 * little to wait for */
	if (p->have > p->flushed)
		(void)sync_file_range(p->fd, p->flushed,
		    p->have - p->flushed, SYNC_FILE_RANGE_WRITE);
	/* over a copy another pull verified: the same bytes, and a child
	 * links the inode it synced, not the name */
	to = blob_ok_path(p->partdir, d->digest);
	if (rename(p->part, to) < 0) {
		pull_finish(p, -errno, "rename %s: %s", to, strerror(errno));
		free(to);
		return;
	}
	free(to);
	close_part(p);
	p->done_bytes = p->base_done + d->size;
	p->bi++;
	next_blob(p);
}

void
pull_blob_response(struct store_pull *p, const struct net_httpc_res *res)
{
	const struct store_reg_desc *d = cur_desc(p);
	int st = res->head.status;

	if (p->range_bad || (p->ranged && st == 416)) {
		p->no_range = true;	/* start over, and do not ask again */
		fetch_blob(p);
		return;
	}
	if (p->too_big) {
		unlink(p->part);
		pull_finish(p, -EBADMSG, "blob %s: larger than the %lld bytes "
		    "its descriptor says", d->digest, (long long)d->size);
		return;
	}
	if (res->error == 0 && st / 100 != 2) {
		pull_fail_status(p, res, d->digest);
		return;
	}
	if (res->error < 0 || p->have < d->size) {
		if (p->retries++ < PULL_RETRIES && res->error != -EKEYREJECTED) {
			fetch_blob(p);		/* resumes with a Range */
			return;
		}
		pull_finish(p, res->error < 0 ? res->error : -EPROTO,
		    "blob %s: %s (%lld of %lld bytes)", d->digest,
		    res->error < 0 ? res->err.msg : "transfer cut short",
		    (long long)p->have, (long long)d->size);
		return;
	}
	blob_done(p, d);
}

static void
next_blob(struct store_pull *p)
{
	const struct store_reg_desc *d;

	for (; p->bi <= p->man.nlayers; p->bi++) {
		d = cur_desc(p);
		if (!blob_have(p, d->digest) && (p->bi == 0 ||
		    !layer_present(p, p->bi - 1)))
			break;
		p->done_bytes += d->size;
	}
	if (p->bi >= 1 && p->pid < 0 && pull_child_start(p) < 0)
		return;
	if (p->bi >= 1 && pull_child_announce(p) < 0)
		return;
	if (p->bi > p->man.nlayers)
		return;		/* the child has them all */
	if (p->bi == 0 && p->man.config.size > STORE_JSON_MAX) {
		pull_finish(p, -EMSGSIZE, "config %s: larger than %d bytes",
		    p->man.config.digest, STORE_JSON_MAX);
		return;
	}
	p->base_done = p->done_bytes;
	p->retries = 0;
	p->no_range = false;
	fetch_blob(p);
}

/* Parked no more: the blob is verified now, or the other pull failed
 * and this one goes on with the part. */
void
pull_blob_wake_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct store_pull *p = container_of(w, struct store_pull, wake);

	next_blob(p);
}
