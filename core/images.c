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
};

static bool
is_archive(const char *name)
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
	if (status == 0) {
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
		if (!is_archive(de->d_name))
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
		else if (is_archive(e->name))
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
}
