/*
 * picoctl_svc: `get services`, `get endpoints` (through picoctl_res.c)
 * and `describe service`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "tools/picoctl.h"

static void
ep_row(const struct json *ep, bool wide, bool all_ns, int64_t now,
    struct buf *t)
{
	fmt_ep_row(ep, all_ns, now, t);
}

static const struct ctl_res svc_type = { "services", "Service", "service",
	"TYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE", "\tSELECTOR",
	fmt_svc_row };
static const struct ctl_res ep_type = { "endpoints", "Endpoints",
	"endpoints", "ENDPOINTS\tAGE", NULL, ep_row };

bool
ctl_svc_resource(const char *what)
{
	static const char *names[] = { "services", "service", "svc",
	    "endpoints", "endpoint", "ep" };
	size_t i;

	for (i = 0; what && i < ARRAY_SIZE(names); i++)
		if (strcmp(what, names[i]) == 0)
			return true;
	return false;
}

int
ctl_cmd_get_svc(struct ctl *ctl)
{
	const char *what = ctl->nargs > 0 ? ctl->args[0] : "";

	return ctl_get_res(ctl, what[0] == 'e' ? &ep_type : &svc_type);
}

int
ctl_cmd_describe_svc(struct ctl *ctl)
{
	struct json *svc, *ep, *ev;
	struct buf path, b, o;

	if (ctl->nargs != 2) {
		fprintf(stderr, "Usage: picoctl describe svc NAME [-n NS]\n");
		return 1;
	}
	buf_init(&path, 8192);
	ctl_res_path(ctl, &svc_type, ctl->args[1], &path);
	if (ctl_get_json(ctl, path.p, &svc) < 0) {
		buf_free(&path);
		return 1;
	}
	buf_reset(&path);
	ctl_res_path(ctl, &ep_type, ctl->args[1], &path);
	ep = ctl_quiet_get(ctl, path.p);
	buf_reset(&path);
	buf_printf(&path, "/api/v1/namespaces/%s/events", ctl_ns(ctl));
	ev = ctl_quiet_get(ctl, path.p);
	buf_init(&b, CTL_MAXBODY);
	buf_init(&o, CTL_MAXBODY);
	fmt_svc_describe(svc, ep, json_get(ev, "items"), (int64_t)time(NULL),
	    &b);
	fmt_tabwrite(b.p, 0, 2, &o);
	fputs(o.p, stdout);
	buf_free(&b);
	buf_free(&o);
	buf_free(&path);
	json_free(svc);
	json_free(ep);
	json_free(ev);
	return 0;
}
