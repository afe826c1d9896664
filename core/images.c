/*
 * images: the import directory and the store's index, watched with
 * inotify.  An archive dropped into <state>/images/import/ (renamed in,
 * or closed after writing) is imported by a child process, one at a time,
 * then removed (or renamed to NAME.failed with the reason as an event).
 * Any replacement of the index (an import by picolet or by picoctl) wakes
 * the pods waiting for an image.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "store/store.h"

struct import {
	struct agent *a;
	char path[4096];
	bool preload;		/* from [images] preload: kept, recorded */
};

bool
images_is_archive(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	return (n > 4 && strcmp(name + n - 4, ".tar") == 0) ||
	    (n > 7 && strcmp(name + n - 7, ".tar.gz") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".tgz") == 0);
}

static int
import_job(void *arg, struct err *err)
{
	struct import *im = arg;
	char **refs = NULL;
	int r;

	r = store_import(im->a->store, im->path, &refs, err);
	strv_free(refs);
	return r;
}

static void import_next(struct agent *a);

static void
import_done(void *arg, int status, const char *msg)
{
	struct import *im = arg;
	struct agent *a = im->a;
	char failed[4200];

	a->importing = 0;
	if (im->preload) {
		preload_done(a, im->path, status, msg);
	} else if (status == 0) {
		log_info("image archive %s imported", im->path);
		events_add(&a->events, false, "Image", "", im->path, "", "",
		    "Imported", "imported image archive %s", im->path);
		(void)unlink(im->path);
	} else {
		log_error("image archive %s: %s", im->path, msg);
		events_add(&a->events, true, "Image", "", im->path, "", "",
		    "ImportFailed", "%s", msg[0] ? msg : "import failed");
		snprintf(failed, sizeof(failed), "%s.failed", im->path);
		(void)rename(im->path, failed);
	}
	free(im);
	agent_images_changed(a);
	import_next(a);
	image_gc_check(a);	/* unless another import runs */
}

/* Start the next import, if none runs. */
static void
import_next(struct agent *a)
{
	const char *dir = store_import_dir(a->store);
	struct dirent *de;
	struct import *im;
	struct err err;
	DIR *d;

	if (a->importing || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!images_is_archive(de->d_name))
			continue;
		im = xcalloc(1, sizeof(*im));
		im->a = a;
		snprintf(im->path, sizeof(im->path), "%s/%s", dir, de->d_name);
		if (job_run(a, import_job, import_done, im, &err) < 0) {
			log_error("import %s: %s", im->path, err.msg);
			free(im);
			break;
		}
		a->importing = 1;
		break;
	}
	closedir(d);
	if (a->importing)
		return;
	/* The drop directory is empty: archives to preload, if any. */
	im = xcalloc(1, sizeof(*im));
	im->a = a;
	im->preload = true;
	if (preload_next(a, im->path, sizeof(im->path)) &&
	    job_run(a, import_job, import_done, im, &err) == 0) {
		a->importing = 1;
		return;
	}
	free(im);
}

static void
on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct agent *a = container_of(w, struct agent, img_io);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	bool index = false, archive = false;
	ssize_t n;
	char *p;

	n = read(a->img_ifd, buf, sizeof(buf));
	if (n <= 0)
		return;
	for (p = buf; p < buf + n; p += sizeof(*e) + e->len) {
		e = (const struct inotify_event *)(void *)p;
		if (e->len == 0)
			continue;
		if (strcmp(e->name, "index.json") == 0)
			index = true;
		else if (images_is_archive(e->name))
			archive = true;
	}
	if (index)
		agent_images_changed(a);
	if (archive)
		import_next(a);
}

void
images_scan(struct agent *a)
{
	import_next(a);
}

int
images_start(struct agent *a, struct err *err)
{
	const char *idir = store_import_dir(a->store);
	char top[4096];
	int r;

	if ((r = mkdir_p(idir, 0700, err)) < 0)
		return r;
	a->img_ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->img_ifd < 0)
		return err_set(err, errno, "inotify_init1");
	snprintf(top, sizeof(top), "%s/images", a->conf.state);
	if (inotify_add_watch(a->img_ifd, idir,
	    IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR) < 0 ||
	    inotify_add_watch(a->img_ifd, top, IN_MOVED_TO | IN_ONLYDIR) < 0) {
		r = err_set(err, errno, "inotify_add_watch %s", idir);
		close(a->img_ifd);
		return r;
	}
	ev_io_init(&a->img_io, on_inotify, a->img_ifd, EV_READ);
	ev_io_start(a->loop, &a->img_io);
	return 0;
}

void
images_stop(struct agent *a)
{
	ev_io_stop(a->loop, &a->img_io);
	close(a->img_ifd);
	free(a->img_use);
	a->img_use = NULL;
	a->nimg_use = 0;
}

/* ---- last use, for `picoctl images` and image GC ---- */

#define IMG_USE_MAX	512	/* the oldest entry goes beyond this */

struct image_use {
	char id[80];
	int64_t last_ns;
};

void
images_note_use(struct agent *a, const char *id)
{
	size_t i, old = 0;

	for (i = 0; i < a->nimg_use; i++) {
		if (strcmp(a->img_use[i].id, id) == 0)
			break;
		if (a->img_use[i].last_ns < a->img_use[old].last_ns)
			old = i;
	}
	if (i == a->nimg_use) {
		if (a->nimg_use == IMG_USE_MAX) {
			i = old;
		} else {
			a->img_use = xrealloc(a->img_use, (a->nimg_use + 1) *
			    sizeof(*a->img_use));
			a->nimg_use++;
		}
		snprintf(a->img_use[i].id, sizeof(a->img_use[i].id), "%s",
		    id);
	}
	a->img_use[i].last_ns = time_now_ns();
}

static bool
runs(const struct ctr *c, const char *id)
{
	return c->shim_pid > 0 && strcmp(c->image_id, id) == 0;
}

int64_t
images_last_used(struct agent *a, const char *id, bool *running)
{
	struct pod *p;
	size_t i;

	*running = false;
	TAILQ_FOREACH(p, &a->pods, entry)
		for (i = 0; i < p->nctrs; i++)
			if (runs(&p->ctrs[i], id)) {
				*running = true;
				return time_now_ns();
			}
	for (i = 0; i < a->nimg_use; i++)
		if (strcmp(a->img_use[i].id, id) == 0)
			return a->img_use[i].last_ns;
	return 0;
}

bool
images_in_use(struct agent *a, const char *ref, const char *id, char *who,
    size_t len)
{
	char norm[512];
	struct pod *p;
	size_t i;

	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead)
			continue;
		for (i = 0; i < p->nctrs; i++) {
			const struct ctr *c = &p->ctrs[i];

			/* its image, running or not (back-off, a restart) */
			if ((id != NULL && strcmp(c->image_id, id) == 0) ||
			    (ref != NULL &&
			    c->spec != NULL && store_ref_normalize(
			    c->spec->image, norm, sizeof(norm), NULL) == 0 &&
			    strcmp(norm, ref) == 0)) {
				snprintf(who, len, "%s/%s", p->ns, p->name);
				return true;
			}
		}
	}
	return false;
}
