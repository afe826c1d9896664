/*
 * backoff: kubelet's container restart back-off (client-go's flowcontrol
 * Backoff with 10 s initial, 300 s max).  The first failure restarts at
 * once and arms 10 s; each failure within the window doubles it; an entry
 * expires once a container ran for more than twice the maximum (10 min)
 * since its last restart, so a long-lived container starts over at 10 s.
 */
#include "core/core.h"

static bool
expired(const struct backoff *b, int64_t finished)
{
	return finished - b->last > 2 * BACKOFF_MAX_NS;
}

int64_t
backoff_wait(const struct backoff *b, int64_t now, int64_t finished)
{
	int64_t since;

	if (b->delay == 0 || expired(b, finished))
		return 0;
	since = now - finished;
	return since < b->delay ? b->delay - since : 0;
}

void
backoff_next(struct backoff *b, int64_t now, int64_t finished)
{
	if (b->delay == 0 || expired(b, finished))
		b->delay = BACKOFF_INITIAL_NS;
	else if (b->delay * 2 < BACKOFF_MAX_NS)
		b->delay *= 2;
	else
		b->delay = BACKOFF_MAX_NS;
	b->last = now;
}
