/*
 * picoctl_describe: `describe pod`, laid out as kubectl's describer does:
 * everything is written as tab-separated text and aligned at the end by
 * one tabwriter (min width 0, padding 2), so consecutive "Key:\tvalue"
 * lines form one aligned block, and indentation is two spaces a level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "tools/picoctl.h"

static const char *
str(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v && v->type == JSON_STR ? v->s : "";
}

/* RFC 1123 with numeric zone, in local time, as Go's time.RFC1123Z */
static void
when(const char *ts, char *out, size_t len)
{
	time_t t = (time_t)fmt_parse_time(ts);
	struct tm tm;

	if (t == 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		snprintf(out, len, "Mon, 01 Jan 0001 00:00:00 +0000");
}

static int
paircmp(const void *a, const void *b)
{
	return strcmp((*(const struct json *const *)a)->key,
	    (*(const struct json *const *)b)->key);
}

/* Map members sorted by key, as Go iterates sorted keys. */
static size_t
sorted(const struct json *m, const struct json ***out)
{
	const struct json *c;
	size_t n = 0;

	*out = NULL;
	if (m == NULL || m->type != JSON_OBJ || m->n == 0)
		return 0;
	*out = xcalloc(m->n, sizeof(**out));
	for (c = m->child; c && n < m->n; c = c->next)
		(*out)[n++] = c;
	qsort(*out, n, sizeof(**out), paircmp);
	return n;
}

/* "Labels:\tk=v\n\tk2=v2\n" or "<none>" */
static void
kv_multiline(struct buf *b, const char *title, const struct json *m,
    const char *sep)
{
	const struct json **v;
	size_t i, n = sorted(m, &v);
	char *line;

	buf_printf(b, "%s:\t", title);
	if (n == 0)
		buf_puts(b, "<none>\n");
	/* kubectl cuts each line at 140 characters */
	for (i = 0; i < n; i++) {
		line = xasprintf("%s%s%s", v[i]->key, sep,
		    v[i]->type == JSON_STR ? v[i]->s : "");
		buf_printf(b, "%s%.140s%s\n", i ? "\t" : "", line,
		    strlen(line) > 140 ? "..." : "");
		free(line);
	}
	free(v);
}

static void
state(struct buf *b, const char *title, const struct json *st)
{
	const struct json *s;
	char t[64];

	if ((s = json_get(st, "running")) != NULL) {
		when(json_get_str(s, "startedAt"), t, sizeof(t));
		buf_printf(b, "    %s:\tRunning\n      Started:\t%s\n", title, t);
	} else if ((s = json_get(st, "terminated")) != NULL) {
		buf_printf(b, "    %s:\tTerminated\n", title);
		if (str(s, "reason")[0])
			buf_printf(b, "      Reason:\t%s\n", str(s, "reason"));
		if (str(s, "message")[0])
			buf_printf(b, "      Message:\t%s\n", str(s, "message"));
		buf_printf(b, "      Exit Code:\t%lld\n",
		    (long long)json_get_int(s, "exitCode", 0));
		if (json_get_int(s, "signal", 0) > 0)
			buf_printf(b, "      Signal:\t%lld\n",
			    (long long)json_get_int(s, "signal", 0));
		when(json_get_str(s, "startedAt"), t, sizeof(t));
		buf_printf(b, "      Started:\t%s\n", t);
		when(json_get_str(s, "finishedAt"), t, sizeof(t));
		buf_printf(b, "      Finished:\t%s\n", t);
	} else {
		buf_printf(b, "    %s:\tWaiting\n", title);
		if ((s = json_get(st, "waiting")) && str(s, "reason")[0])
			buf_printf(b, "      Reason:\t%s\n", str(s, "reason"));
		/* kubectl leaves it out; here it carries a pull's progress
		 * and why an image could not be pulled */
		if (s != NULL && str(s, "message")[0])
			buf_printf(b, "      Message:\t%s\n", str(s, "message"));
	}
}

static void
ports(struct buf *b, const struct json *c, const char *title,
    const char *key)
{
	const struct json *p, *arr = json_get(c, "ports");
	size_t n = arr ? arr->n : 0;

	buf_printf(b, "    %s%s:\t", title, n > 1 ? "s" : "");
	if (n == 0)
		buf_puts(b, "<none>");
	for (p = arr ? arr->child : NULL; p; p = p->next)
		buf_printf(b, "%s%lld/%s", p == arr->child ? "" : ", ",
		    (long long)json_get_int(p, key, 0),
		    json_get_str(p, "protocol") ? json_get_str(p, "protocol") :
		    "TCP");
	buf_puts(b, "\n");
}

static void
strlist(struct buf *b, const char *title, const struct json *arr)
{
	const struct json *a;

	if (arr == NULL || arr->n == 0)
		return;
	buf_printf(b, "    %s:\n", title);
	for (a = arr->child; a; a = a->next)
		buf_printf(b, "      %s\n", a->type == JSON_STR ? a->s : "");
}

static void
resources(struct buf *b, const char *title, const struct json *m)
{
	const struct json **v;
	size_t i, n = sorted(m, &v);

	if (n == 0)
		return;
	buf_printf(b, "    %s:\n", title);
	for (i = 0; i < n; i++)
		buf_printf(b, "      %s:\t%s\n", v[i]->key,
		    v[i]->type == JSON_STR ? v[i]->s : "");
	free(v);
}

static const struct json *
find_status(const struct json *arr, const char *name)
{
	const struct json *s;

	for (s = arr ? arr->child : NULL; s; s = s->next)
		if (name && json_get_str(s, "name") &&
		    strcmp(json_get_str(s, "name"), name) == 0)
			return s;
	return NULL;
}

static void
container(struct buf *b, const struct json *c, const struct json *st)
{
	const struct json *env = json_get(c, "env"), *e, *lt;

	buf_printf(b, "  %s:\n", str(c, "name"));
	buf_printf(b, "    Container ID:\t%s\n", str(st, "containerID"));
	buf_printf(b, "    Image:\t%s\n", str(c, "image"));
	buf_printf(b, "    Image ID:\t%s\n", str(st, "imageID"));
	ports(b, c, "Port", "containerPort");
	ports(b, c, "Host Port", "hostPort");
	strlist(b, "Command", json_get(c, "command"));
	strlist(b, "Args", json_get(c, "args"));
	state(b, "State", json_get(st, "state"));
	lt = json_get(st, "lastState");
	if (json_get(lt, "terminated"))
		state(b, "Last State", lt);
	buf_printf(b, "    Ready:\t%s\n", json_get_bool(st, "ready", false) ?
	    "True" : "False");
	buf_printf(b, "    Restart Count:\t%lld\n",
	    (long long)json_get_int(st, "restartCount", 0));
	resources(b, "Limits", json_path(c, "resources.limits"));
	resources(b, "Requests", json_path(c, "resources.requests"));
	if (env == NULL || env->n == 0)
		buf_puts(b, "    Environment:\t<none>\n");
	else
		buf_puts(b, "    Environment:\n");
	for (e = env ? env->child : NULL; e; e = e->next)
		buf_printf(b, "      %s:\t%s\n", str(e, "name"), str(e, "value"));
}

static void
containers(struct buf *b, const struct json *pod, const char *title,
    const char *spec, const char *status)
{
	const struct json *c, *cs = json_path(pod, spec);

	if (cs == NULL || cs->n == 0)
		return;
	buf_printf(b, "%s:\n", title);
	for (c = cs->child; c; c = c->next)
		container(b, c, find_status(json_path(pod, status),
		    json_get_str(c, "name")));
}

static int
evcmp(const void *a, const void *b)
{
	const struct json *x = *(const struct json *const *)a;
	const struct json *y = *(const struct json *const *)b;
	int64_t tx = fmt_parse_time(json_get_str(x, "lastTimestamp"));
	int64_t ty = fmt_parse_time(json_get_str(y, "lastTimestamp"));

	return tx < ty ? -1 : tx > ty;
}

static void
events(struct ctl *ctl, struct buf *b, const struct json *pod)
{
	const struct json **v = NULL, *e, *items;
	struct json *j = NULL;
	char path[512], age[32], first[32];
	int64_t now = (int64_t)time(NULL), count;
	size_t n = 0, i;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events",
	    str(pod, "metadata.namespace")[0] ? str(pod,
	    "metadata.namespace") : ctl_ns(ctl));
	items = ctl_get_json(ctl, path, &j) == 0 ? json_get(j, "items") : NULL;
	v = xcalloc(items ? items->n + 1 : 1, sizeof(*v));
	for (e = items ? items->child : NULL; e; e = e->next)
		if (!strcmp(str(e, "involvedObject.kind"), "Pod") &&
		    !strcmp(str(e, "involvedObject.name"),
		    str(pod, "metadata.name")))
			v[n++] = e;
	qsort(v, n, sizeof(*v), evcmp);
	if (n == 0)
		buf_puts(b, "Events:\t<none>\n");
	else
		buf_puts(b, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n"
		    "  ----\t------\t----\t----\t-------\n");
	for (i = 0; i < n; i++) {
		count = json_get_int(v[i], "count", 1);
		fmt_since(str(v[i], "firstTimestamp"), now, first,
		    sizeof(first));
		if (count > 1) {
			fmt_since(str(v[i], "lastTimestamp"), now, age,
			    sizeof(age));
			buf_printf(b, "  %s\t%s\t%s (x%lld over %s)\t%s\t%s\n",
			    str(v[i], "type"), str(v[i], "reason"), age,
			    (long long)count, first, str(v[i],
			    "source.component"), str(v[i], "message"));
		} else
			buf_printf(b, "  %s\t%s\t%s\t%s\t%s\n", str(v[i], "type"),
			    str(v[i], "reason"), first, str(v[i],
			    "source.component"), str(v[i], "message"));
	}
	free(v);
	json_free(j);
}

static void
describe(struct ctl *ctl, const struct json *pod, struct buf *b)
{
	const struct json *c, *ips = json_path(pod, "status.podIPs");
	char t[64];

	buf_printf(b, "Name:\t%s\n", str(pod, "metadata.name"));
	buf_printf(b, "Namespace:\t%s\n", str(pod, "metadata.namespace"));
	buf_printf(b, "Priority:\t0\n");
	buf_printf(b, "Node:\t%s%s%s\n", str(pod, "spec.nodeName")[0] ?
	    str(pod, "spec.nodeName") : "<none>", str(pod,
	    "status.hostIP")[0] ? "/" : "", str(pod, "status.hostIP"));
	if (str(pod, "status.startTime")[0]) {
		when(str(pod, "status.startTime"), t, sizeof(t));
		buf_printf(b, "Start Time:\t%s\n", t);
	}
	kv_multiline(b, "Labels", json_path(pod, "metadata.labels"), "=");
	kv_multiline(b, "Annotations", json_path(pod, "metadata.annotations"),
	    ": ");
	if (str(pod, "metadata.deletionTimestamp")[0]) {
		fmt_since(str(pod, "metadata.deletionTimestamp"),
		    (int64_t)time(NULL), t, sizeof(t));
		buf_printf(b, "Status:\tTerminating (lasts %s)\n", t);
	} else
		buf_printf(b, "Status:\t%s\n", str(pod, "status.phase"));
	if (str(pod, "status.reason")[0])
		buf_printf(b, "Reason:\t%s\n", str(pod, "status.reason"));
	if (str(pod, "status.message")[0])
		buf_printf(b, "Message:\t%s\n", str(pod, "status.message"));
	buf_printf(b, "IP:\t%s\n", str(pod, "status.podIP"));
	buf_puts(b, ips && ips->n ? "IPs:\n" : "IPs:\t<none>\n");
	for (c = ips ? ips->child : NULL; c; c = c->next)
		buf_printf(b, "  IP:\t%s\n", str(c, "ip"));
	containers(b, pod, "Init Containers", "spec.initContainers",
	    "status.initContainerStatuses");
	containers(b, pod, "Containers", "spec.containers",
	    "status.containerStatuses");
	c = json_path(pod, "status.conditions");
	if (c && c->n) {
		buf_puts(b, "Conditions:\n  Type\tStatus\n");
		for (c = c->child; c; c = c->next)
			buf_printf(b, "  %s \t%s \n", str(c, "type"),
			    str(c, "status"));
	}
	events(ctl, b, pod);
}

int
ctl_cmd_describe(struct ctl *ctl)
{
	struct json *pod;
	struct buf b, o;
	char path[512];

	if (ctl->nargs != 2 || (strcmp(ctl->args[0], "pod") &&
	    strcmp(ctl->args[0], "pods") && strcmp(ctl->args[0], "po"))) {
		fprintf(stderr, "Usage: picoctl describe pod NAME [-n NS]\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s",
	    ctl_ns(ctl), ctl->args[1]);
	if (ctl_get_json(ctl, path, &pod) < 0)
		return 1;
	buf_init(&b, CTL_MAXBODY);
	buf_init(&o, CTL_MAXBODY);
	describe(ctl, pod, &b);
	fmt_tabwrite(b.p, 0, 2, &o);
	fputs(o.p, stdout);
	buf_free(&b);
	buf_free(&o);
	json_free(pod);
	return 0;
}
