/*
 * diag: the bounded list of problems found in one file.  Every decoder
 * adds here instead of stopping at the first problem, so a user fixing a
 * manifest sees all of its errors at once; past CFG_MAXDIAG entries only
 * the counts grow, so a hostile file cannot make the list unbounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfg/cfg.h"

void
cfg_diags_init(struct cfg_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
cfg_diag_add(struct cfg_diags *d, enum cfg_severity sev, int line, int col,
    const char *path, const char *fmt, ...)
{
	struct cfg_diag *e;
	va_list ap;

	if (sev == CFG_ERROR)
		d->nerrors++;
	if (d->n >= CFG_MAXDIAG) {
		d->dropped++;
		return;
	}
	e = &d->d[d->n++];
	e->sev = sev;
	e->line = line;
	e->col = col;
	snprintf(e->path, sizeof(e->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
cfg_diag_format(const struct cfg_diag *d, const char *file, char *buf,
    size_t len)
{
	const char *sev = d->sev == CFG_WARNING ? "warning: " : "";

	if (len == 0)
		return;
	if (d->path[0] != '\0')
		snprintf(buf, len, "%s:%d:%d: %s%s: %s", file ? file : "-",
		    d->line, d->col, sev, d->path, d->msg);
	else
		snprintf(buf, len, "%s:%d:%d: %s%s", file ? file : "-",
		    d->line, d->col, sev, d->msg);
}
