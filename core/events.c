/*
 * events: a fixed ring of Kubernetes-style Events.  A repeat of the newest
 * event with the same object, reason and message is folded into it (count
 * and lastTimestamp), as the event recorder's aggregation does; the oldest
 * event falls out when the ring is full, so memory never grows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "lib/util.h"

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static struct event *
find_repeat(struct events *ev, const struct event *n)
{
	size_t i, k;

	/* Look back over the last few only: a repeat is recent by nature. */
	for (k = 0; k < ev->n && k < 16; k++) {
		i = (ev->head + ev->n - 1 - k) % EVENTS_MAX;
		struct event *e = &ev->ring[i];
		if (e->warning == n->warning && strcmp(e->uid, n->uid) == 0 &&
		    strcmp(e->name, n->name) == 0 &&
		    strcmp(e->kind, n->kind) == 0 &&
		    strcmp(e->field, n->field) == 0 &&
		    strcmp(e->reason, n->reason) == 0 &&
		    strcmp(e->message, n->message) == 0)
			return e;
	}
	return NULL;
}

void
events_add(struct events *ev, bool warning, const char *kind, const char *ns,
    const char *name, const char *uid, const char *field, const char *reason,
    const char *fmt, ...)
{
	struct event n, *e;
	va_list ap;

	memset(&n, 0, sizeof(n));
	n.warning = warning;
	copy(n.kind, sizeof(n.kind), kind);
	copy(n.ns, sizeof(n.ns), ns);
	copy(n.name, sizeof(n.name), name);
	copy(n.uid, sizeof(n.uid), uid);
	copy(n.field, sizeof(n.field), field);
	copy(n.reason, sizeof(n.reason), reason);
	va_start(ap, fmt);
	vsnprintf(n.message, sizeof(n.message), fmt, ap);
	va_end(ap);
	n.first_ns = n.last_ns = time_now_ns();
	n.count = 1;

	if ((e = find_repeat(ev, &n)) != NULL) {
		e->count++;
		e->last_ns = n.last_ns;
		return;
	}
	n.seq = ++ev->seq;
	if (ev->n == EVENTS_MAX) {
		ev->ring[ev->head] = n;
		ev->head = (ev->head + 1) % EVENTS_MAX;
	} else {
		ev->ring[(ev->head + ev->n) % EVENTS_MAX] = n;
		ev->n++;
	}
}

const struct event *
events_at(const struct events *ev, size_t i)
{
	if (i >= ev->n)
		return NULL;
	return &ev->ring[(ev->head + i) % EVENTS_MAX];
}
