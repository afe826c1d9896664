/*
 * mdir: the manifest directory.  inotify tells which files changed; each
 * changed file is read and parsed whole, and only a file that parses and
 * validates replaces that file's last good objects, so a bad edit never
 * stops what runs.  A rename into the directory (the atomic way to drop a
 * manifest) is read at once; in-place writes and deletions settle for
 * debounce_ms first, so an editor that writes in several steps, or
 * deletes and re-creates, is seen once, in its final state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	IN_DELETE | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Manifests: *.yaml, *.yml, *.json; not dotfiles or editor leftovers. */
bool
mdir_wanted(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || name[0] == '.' || name[0] == '#' || name[n - 1] == '~')
		return false;
	if (n > 5 && strcmp(name + n - 5, ".yaml") == 0)
		return true;
	if (n > 4 && strcmp(name + n - 4, ".yml") == 0)
		return true;
	if (n > 5 && strcmp(name + n - 5, ".json") == 0)
		return true;
	return false;
}

static struct mfile *
mfile_find(struct mdir *m, const char *name)
{
	struct mfile *f;

	TAILQ_FOREACH(f, &m->files, entry)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void
mfile_drop_objs(struct mfile *f)
{
	size_t i;

	for (i = 0; i < f->nobjs; i++)
		podspec_unref(f->specs[i]);
	free(f->specs);
	cfg_objects_free(f->objs, f->nobjs);
	f->specs = NULL;
	f->objs = NULL;
	f->nobjs = 0;
}

static void
mfile_free(struct mdir *m, struct mfile *f)
{
	TAILQ_REMOVE(&m->files, f, entry);
	mfile_drop_objs(f);
	free(f);
}

static void
report(struct agent *a, struct mfile *f)
{
	char line[1024];
	size_t i;

	for (i = 0; i < f->diags.n; i++) {
		const struct cfg_diag *d = &f->diags.d[i];

		cfg_diag_format(d, f->name, line, sizeof(line));
		if (d->sev == CFG_ERROR)
			log_error("manifest %s", line);
		else
			log_warn("manifest %s", line);
	}
	if (f->failed)
		events_add(&a->events, true, "Manifest", "", f->name, "", "",
		    "FailedToLoad", "%s", f->error[0] ? f->error :
		    "the file has errors; its last good version is kept");
}

/* Read, parse and (when good) take one file's new version. */
static void
mfile_load(struct mdir *m, const char *name)
{
	struct agent *a = m->a;
	struct cfg_object *objs = NULL;
	struct mfile *f;
	struct err err;
	struct stat st;
	char path[4400], *data = NULL;
	size_t len, nobjs = 0, i;
	int r;

	snprintf(path, sizeof(path), "%s/%s", a->conf.manifests, name);
	f = mfile_find(m, name);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		if (f != NULL) {
			log_info("manifest %s: removed", name);
			mfile_free(m, f);
		}
		return;
	}
	if (f == NULL) {
		f = xcalloc(1, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->seq = ++m->seq;
		f->first_ns = time_now_ns();
		TAILQ_INSERT_TAIL(&m->files, f, entry);
	}
	memset(&f->diags, 0, sizeof(f->diags));
	f->error[0] = '\0';
	f->failed = true;
	if (!S_ISREG(st.st_mode)) {
		snprintf(f->error, sizeof(f->error), "not a regular file");
	} else if ((r = read_file(path, CFG_MAX_FILE, &data, &len, &err)) < 0) {
		if (r == -EFBIG)
			snprintf(f->error, sizeof(f->error), "file is larger "
			    "than %d bytes", CFG_MAX_FILE);
		else
			snprintf(f->error, sizeof(f->error), "%s", err.msg);
	} else if ((r = cfg_manifest_parse(data, len, &objs, &nobjs,
	    &f->diags)) == 0 && (r = configs_check_update(a, objs, nobjs,
	    &f->diags)) < 0) {
		cfg_objects_free(objs, nobjs);
	} else if (r == 0) {
		f->failed = false;
		mfile_drop_objs(f);
		f->objs = objs;
		f->nobjs = nobjs;
		f->specs = xcalloc(nobjs, sizeof(*f->specs));
		for (i = 0; i < nobjs; i++) {
			if (objs[i].kind != CFG_KIND_POD)
				continue;
			f->specs[i] = podspec_new(objs[i].u.pod);
			objs[i].u.pod = NULL;	/* the podspec owns it now */
		}
		log_info("manifest %s: loaded, %zu object(s)", name, nobjs);
	}
	if (data != NULL)	/* it may hold a Secret */
		explicit_bzero(data, len);
	free(data);
	if (f->error[0] != '\0')
		log_error("manifest %s: %s", name, f->error);
	report(a, f);
}

static void
flush_dirty(struct mdir *m)
{
	size_t i;

	if (m->rescan) {
		mdir_scan(m);
		return;
	}
	for (i = 0; i < m->ndirty; i++)
		mfile_load(m, m->dirty[i]);
	m->ndirty = 0;
	agent_sync(m->a);
}

static void
mark(struct mdir *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ndirty; i++)
		if (strcmp(m->dirty[i], name) == 0)
			return;
	if (m->ndirty == ARRAY_SIZE(m->dirty) || strlen(name) >= 256) {
		m->rescan = true;
		return;
	}
	snprintf(m->dirty[m->ndirty++], 256, "%s", name);
}

static bool
is_dirty(struct mdir *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ndirty; i++)
		if (strcmp(m->dirty[i], name) == 0)
			return true;
	return false;
}

static void
settle(struct mdir *m)
{
	ev_timer_stop(m->a->loop, &m->settle);
	ev_timer_set(&m->settle, m->a->conf.debounce_ms / 1000.0, 0);
	ev_timer_start(m->a->loop, &m->settle);
}

static void
settled(struct ev_loop *loop, ev_timer *w, int revents)
{
	flush_dirty(container_of(w, struct mdir, settle));
}

static void
on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mdir *m = container_of(w, struct mdir, io);
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	bool now = false, later = false;
	ssize_t n;
	char *p;

	n = read(m->ifd, buf, sizeof(buf));
	if (n <= 0)
		return;
	for (p = buf; p < buf + n; p += sizeof(*e) + e->len) {
		e = (const struct inotify_event *)(void *)p;
		if (e->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF)) {
			m->rescan = true;
			later = true;
			continue;
		}
		if (e->len == 0 || !mdir_wanted(e->name))
			continue;
		if (e->mask & IN_MOVED_TO) {
			mark(m, e->name);
			now = true;
		} else if (e->mask & (IN_CLOSE_WRITE | IN_DELETE |
		    IN_MOVED_FROM)) {
			mark(m, e->name);
			later = true;
		} else if ((e->mask & IN_MODIFY) && is_dirty(m, e->name)) {
			later = true;	/* still being written: wait more */
		}
	}
	if (later)
		settle(m);
	else if (now && !ev_is_active(&m->settle))
		flush_dirty(m);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
mdir_scan(struct mdir *m)
{
	struct mfile *f, *tmp;
	struct dirent *de;
	char **names = NULL;
	size_t i, n;
	DIR *d;

	m->rescan = false;
	m->ndirty = 0;
	if ((d = opendir(m->a->conf.manifests)) == NULL) {
		log_error("manifest dir %s: %s", m->a->conf.manifests,
		    strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (mdir_wanted(de->d_name))
			strv_push(&names, de->d_name);
	closedir(d);
	n = strv_len(names);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	/* Files that are gone. */
	TAILQ_FOREACH_SAFE(f, &m->files, entry, tmp) {
		for (i = 0; i < n; i++)
			if (strcmp(names[i], f->name) == 0)
				break;
		if (i == n)
			mfile_free(m, f);
	}
	for (i = 0; i < n; i++)
		mfile_load(m, names[i]);
	strv_free(names);
	agent_sync(m->a);
}

int
mdir_start(struct mdir *m, struct agent *a, struct err *err)
{
	int r;

	m->a = a;
	TAILQ_INIT(&m->files);
	if ((r = mkdir_p(a->conf.manifests, 0755, err)) < 0)
		return r;
	m->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (m->ifd < 0)
		return err_set(err, errno, "inotify_init1");
	if (inotify_add_watch(m->ifd, a->conf.manifests, WATCH_MASK) < 0) {
		r = err_set(err, errno, "inotify_add_watch %s",
		    a->conf.manifests);
		close(m->ifd);
		return r;
	}
	ev_io_init(&m->io, on_inotify, m->ifd, EV_READ);
	ev_io_start(a->loop, &m->io);
	ev_init(&m->settle, settled);
	return 0;
}

void
mdir_stop(struct mdir *m)
{
	struct mfile *f;

	ev_io_stop(m->a->loop, &m->io);
	ev_timer_stop(m->a->loop, &m->settle);
	close(m->ifd);
	while ((f = TAILQ_FIRST(&m->files)) != NULL)
		mfile_free(m, f);
}
