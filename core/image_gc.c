/*
 * image_gc: kubelet's image garbage collection.  When the filesystem of
 * the image store is used above [images] gc_high percent, images no pod
 * uses (none names them, no container was made from them) and not used
 * for gc_min_age seconds are removed from the index, least recently used
 * first, until the estimate of what they free brings use down to gc_low;
 * then a child (store_gc) deletes the blobs and unpacked layers nothing
 * needs any more.  Not while a pull or import is in flight: their files
 * are in place before their refs.  Checked every minute, and after each
 * pull or import (the moments the store grows).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "store/store.h"

#define GC_PERIOD	60.

struct gc_run {
	struct agent *a;
	char **keep;			/* images of containers, kept */
	int nremoved;
};

struct cand {
	struct store_image *img;
	int64_t last;
};

static int
cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	return a->last < b->last ? -1 : a->last > b->last;
}

static int
gc_job(void *arg, struct err *err)
{
	struct gc_run *g = arg;
	struct store_gc_stats st;
	int r;

	r = store_gc(g->a->store, (const char *const *)g->keep,
	    g->a->conf.gc_min_age, &st, err);
	if (r == 0)
		snprintf(err->msg, sizeof(err->msg), "%d %d %" PRId64,
		    st.blobs, st.layers, st.bytes);
	return r;
}

static void
gc_done(void *arg, int status, const char *msg)
{
	struct gc_run *g = arg;
	struct agent *a = g->a;
	int blobs = 0, layers = 0;
	long long bytes = 0;

	a->gc_running = false;
	if (status < 0) {
		log_error("image GC: %s", msg);
		events_add(&a->events, true, "Node", "", a->node_name, "", "",
		    "ImageGCFailed", "%s", msg);
	} else if (sscanf(msg, "%d %d %lld", &blobs, &layers, &bytes) == 3 &&
	    (blobs > 0 || layers > 0 || g->nremoved > 0)) {
		log_info("image GC: %d images, %d blobs (%lld bytes), %d "
		    "layers removed", g->nremoved, blobs, bytes, layers);
		events_add(&a->events, false, "Node", "", a->node_name, "", "",
		    "ImageGC", "removed %d unused images: %lld bytes of blobs "
		    "freed, %d unpacked layers", g->nremoved, bytes, layers);
	}
	strv_free(g->keep);
	free(g);
}

/* The images of every container (running, or to run again). */
static char **
kept_images(struct agent *a)
{
	char **v = xcalloc(1, sizeof(*v));
	struct pod *p;
	size_t i;

	TAILQ_FOREACH(p, &a->pods, entry)
		for (i = 0; i < p->nctrs; i++)
			if (p->ctrs[i].image_id[0] != '\0')
				strv_push(&v, p->ctrs[i].image_id);
	return v;
}

/* Remove refs of unused images, oldest use first, until about want
 * bytes would be freed; how many went. */
static int
remove_unused(struct agent *a, int64_t want, int64_t *found)
{
	struct store_image **imgs = NULL;
	struct cand *c;
	int64_t now = time_now_ns(), age = (int64_t)a->conf.gc_min_age *
	    1000000000;
	size_t i, n = 0, nc = 0;
	char who[400];
	bool running;
	int removed = 0;

	*found = 0;
	if (store_image_list(a->store, &imgs, &n, NULL) < 0)
		return 0;
	c = xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++) {
		int64_t last = images_last_used(a, imgs[i]->id, &running);

		if (running || images_in_use(a, imgs[i]->ref, imgs[i]->id, who,
		    sizeof(who)) || (last != 0 && now - last < age) ||
		    (last == 0 && now - a->started_ns < age)) {
			store_image_free(imgs[i]);
			continue;
		}
		c[nc].img = imgs[i];
		c[nc++].last = last;
	}
	free(imgs);
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (i = 0; i < nc; i++) {
		struct err err;

		if (*found < want) {
			if (store_image_remove(a->store, c[i].img->ref,
			    &err) == 0) {
				log_info("image GC: removing %s (%" PRId64
				    " bytes)", c[i].img->ref, c[i].img->size);
				*found += c[i].img->size;
				removed++;
			} else
				log_warn("image GC: %s", err.msg);
		}
		store_image_free(c[i].img);
	}
	free(c);
	return removed;
}

void
image_gc_check(struct agent *a)
{
	char root[4200];
	struct statvfs sv;
	struct gc_run *g;
	struct err err;
	int64_t cap, used, want, found;
	int removed;

	if (a->gc_running || a->importing || !TAILQ_EMPTY(&a->pulls))
		return;
	snprintf(root, sizeof(root), "%s/images", a->conf.state);
	if (statvfs(root, &sv) < 0 || sv.f_blocks == 0)
		return;
	cap = (int64_t)sv.f_blocks * (int64_t)sv.f_frsize;
	used = cap - (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	if (used * 100 < (int64_t)a->conf.gc_high * cap)
		return;
	want = used - (int64_t)a->conf.gc_low * cap / 100;
	removed = remove_unused(a, want, &found);
	if (found < want)
		events_add(&a->events, true, "Node", "", a->node_name, "", "",
		    "FreeDiskSpaceFailed", "Failed to garbage collect required "
		    "amount of images. Attempted to free %" PRId64 " bytes, "
		    "but only found %" PRId64 " bytes eligible to free.",
		    want, found);
	g = xcalloc(1, sizeof(*g));
	g->a = a;
	g->keep = kept_images(a);
	g->nremoved = removed;
	if (job_run(a, gc_job, gc_done, g, &err) < 0) {
		log_error("image GC: %s", err.msg);
		strv_free(g->keep);
		free(g);
		return;
	}
	a->gc_running = true;
}

static void
gc_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	image_gc_check(container_of(w, struct agent, gc_t));
}

void
image_gc_start(struct agent *a)
{
	ev_timer_init(&a->gc_t, gc_tick, GC_PERIOD, GC_PERIOD);
	ev_timer_start(a->loop, &a->gc_t);
}

void
image_gc_stop(struct agent *a)
{
	ev_timer_stop(a->loop, &a->gc_t);
}
