/*
 * picoctl_svcfmt: the cells of `get services` and `get endpoints` and the
 * text of `describe service`, as kubectl 1.28 computes them
 * (printService, printEndpoints, formatEndpoints, describeService).  They
 * are pure functions of the API objects (time is an argument), unit
 * tested on JSON samples.  Fields the API server defaults but picolet
 * leaves out (ipFamilyPolicy, ipFamilies, externalTrafficPolicy) are
 * shown with the API server's defaults, as kubectl would show them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "tools/picoctl.h"

/* kubectl shows at most this many endpoints, then " + N more..." */
#define EP_SHOWN 3
/* loadBalancerWidth: EXTERNAL-IP is cut at 16 characters unless wide */
#define LB_WIDTH 16

static const char *
jstr(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v && v->type == JSON_STR ? v->s : "";
}

static size_t
arrlen(const struct json *a)
{
	return a && a->type == JSON_ARR ? a->n : 0;
}

static int
kvcmp(const void *a, const void *b)
{
	return strcmp((*(const struct json *const *)a)->key,
	    (*(const struct json *const *)b)->key);
}

/* String members of a map sorted by key, as Go ranges over sorted keys. */
static size_t
kv_sorted(const struct json *m, const struct json ***out)
{
	const struct json *c;
	size_t n = 0;

	*out = xcalloc(m && m->type == JSON_OBJ ? m->n + 1 : 1, sizeof(**out));
	if (m == NULL || m->type != JSON_OBJ)
		return 0;
	for (c = m->child; c; c = c->next)
		if (c->type == JSON_STR)
			(*out)[n++] = c;
	qsort(*out, n, sizeof(**out), kvcmp);
	return n;
}

void
fmt_labels(const struct json *m, struct buf *out)
{
	const struct json **v;
	size_t i, n = kv_sorted(m, &v);

	for (i = 0; i < n; i++)
		buf_printf(out, "%s%s=%s", i ? "," : "", v[i]->key, v[i]->s);
	if (n == 0)
		buf_puts(out, "<none>");
	free(v);
}

static const char *
proto(const struct json *p)
{
	const char *s = json_get_str(p, "protocol");

	return s && s[0] ? s : "TCP";
}

void
fmt_svc_ports(const struct json *svc, struct buf *out)
{
	const struct json *p, *ports = json_path(svc, "spec.ports");
	size_t n = 0;

	for (p = arrlen(ports) ? ports->child : NULL; p; p = p->next) {
		buf_printf(out, "%s%lld", n++ ? "," : "",
		    (long long)json_get_int(p, "port", 0));
		if (json_get_int(p, "nodePort", 0) > 0)
			buf_printf(out, ":%lld",
			    (long long)json_get_int(p, "nodePort", 0));
		buf_printf(out, "/%s", proto(p));
	}
	if (n == 0)
		buf_puts(out, "<none>");
}

static void
join_strs(const struct json *arr, struct buf *out)
{
	const struct json *a;

	for (a = arrlen(arr) ? arr->child : NULL; a; a = a->next)
		buf_printf(out, "%s%s", a == arr->child ? "" : ",",
		    a->type == JSON_STR ? a->s : "");
}

/* loadBalancerStatusStringer: ingress IPs, else hostnames */
static void
lb_ingress(const struct json *svc, bool wide, struct buf *out)
{
	const struct json *in, *arr = json_path(svc,
	    "status.loadBalancer.ingress");
	size_t start = out->len;
	const char *s;

	for (in = arrlen(arr) ? arr->child : NULL; in; in = in->next) {
		s = jstr(in, "ip")[0] ? jstr(in, "ip") : jstr(in, "hostname");
		if (s[0])
			buf_printf(out, "%s%s", out->len > start ? "," : "", s);
	}
	if (!wide && out->len - start > LB_WIDTH) {
		out->len = start + LB_WIDTH - 3;
		out->p[out->len] = '\0';
		buf_puts(out, "...");
	}
}

void
fmt_svc_external_ip(const struct json *svc, bool wide, struct buf *out)
{
	const struct json *ext = json_path(svc, "spec.externalIPs");
	const char *type = jstr(svc, "spec.type");
	size_t start = out->len;

	if (type[0] == '\0' || !strcmp(type, "ClusterIP") ||
	    !strcmp(type, "NodePort")) {
		if (arrlen(ext))
			join_strs(ext, out);
		else
			buf_puts(out, "<none>");
	} else if (!strcmp(type, "LoadBalancer")) {
		lb_ingress(svc, wide, out);
		if (arrlen(ext) && out->len > start)
			buf_puts(out, ",");
		join_strs(ext, out);
		if (out->len == start)
			buf_puts(out, "<pending>");
	} else if (!strcmp(type, "ExternalName"))
		buf_puts(out, jstr(svc, "spec.externalName"));
	else
		buf_puts(out, "<unknown>");
}

struct epcount {
	size_t shown, total;
	bool more;
};

/* The addresses of one subset at one port (NULL: bare addresses). */
static void
ep_port(const struct json *addrs, const struct json *port,
    struct epcount *c, struct buf *out)
{
	const struct json *a;
	const char *ip;

	c->total += arrlen(addrs);
	for (a = arrlen(addrs) ? addrs->child : NULL; a; a = a->next) {
		if (c->shown == EP_SHOWN) {
			c->more = true;
			break;
		}
		ip = jstr(a, "ip");
		buf_puts(out, c->shown++ ? "," : "");
		if (port == NULL)
			buf_puts(out, ip);
		else	/* net.JoinHostPort */
			buf_printf(out, strchr(ip, ':') ? "[%s]:%lld" :
			    "%s:%lld", ip,
			    (long long)json_get_int(port, "port", 0));
	}
}

/*
 * formatEndpoints: ready addresses times ports, port by port; port_name
 * NULL takes every port.  Only notReadyAddresses gives an empty cell,
 * as kubectl prints it; no subset at all is "<none>".
 */
void
fmt_endpoints(const struct json *ep, const char *port_name, struct buf *out)
{
	const struct json *ss, *subsets = json_get(ep, "subsets"), *p;
	const struct json *addrs, *ports;
	struct epcount c = { 0, 0, false };
	const char *pn;

	if (arrlen(subsets) == 0) {
		buf_puts(out, "<none>");
		return;
	}
	for (ss = subsets->child; ss; ss = ss->next) {
		addrs = json_get(ss, "addresses");
		ports = json_get(ss, "ports");
		/* a headless service may have no ports */
		if (arrlen(ports) == 0)
			ep_port(addrs, NULL, &c, out);
		for (p = arrlen(ports) ? ports->child : NULL; p; p = p->next) {
			pn = json_get_str(p, "name");
			if (port_name == NULL || strcmp(pn ? pn : "",
			    port_name) == 0)
				ep_port(addrs, p, &c, out);
		}
	}
	if (c.more)
		buf_printf(out, " + %zu more...", c.total - EP_SHOWN);
}

void
fmt_svc_row(const struct json *svc, bool wide, bool all_ns, int64_t now,
    struct buf *t)
{
	const struct json *ips = json_path(svc, "spec.clusterIPs");
	const char *ip = arrlen(ips) && ips->child->type == JSON_STR ?
	    ips->child->s : jstr(svc, "spec.clusterIP");
	char age[32];

	fmt_since(jstr(svc, "metadata.creationTimestamp"), now, age,
	    sizeof(age));
	if (all_ns)
		buf_printf(t, "%s\t", jstr(svc, "metadata.namespace"));
	buf_printf(t, "%s\t%s\t%s\t", jstr(svc, "metadata.name"),
	    jstr(svc, "spec.type"), ip[0] ? ip : "<none>");
	fmt_svc_external_ip(svc, wide, t);
	buf_puts(t, "\t");
	fmt_svc_ports(svc, t);
	buf_printf(t, "\t%s", age);
	if (wide) {
		buf_puts(t, "\t");
		fmt_labels(json_path(svc, "spec.selector"), t);
	}
	buf_puts(t, "\n");
}

void
fmt_ep_row(const struct json *ep, bool all_ns, int64_t now, struct buf *t)
{
	char age[32];

	fmt_since(jstr(ep, "metadata.creationTimestamp"), now, age,
	    sizeof(age));
	if (all_ns)
		buf_printf(t, "%s\t", jstr(ep, "metadata.namespace"));
	buf_printf(t, "%s\t", jstr(ep, "metadata.name"));
	fmt_endpoints(ep, NULL, t);
	buf_printf(t, "\t%s\n", age);
}

/* printLabelsMultiline: "Title:\tk=v\n\tk2=v2\n", lines cut at 140 */
void
fmt_kv_lines(struct buf *b, const char *title, const struct json *m,
    const char *sep)
{
	const struct json **v;
	size_t i, n = kv_sorted(m, &v);
	char *line;

	buf_printf(b, "%s:\t", title);
	if (n == 0)
		buf_puts(b, "<none>\n");
	for (i = 0; i < n; i++) {
		line = xasprintf("%s%s%s", v[i]->key, sep, v[i]->s);
		buf_printf(b, "%s%.140s%s\n", i ? "\t" : "", line,
		    strlen(line) > 140 ? "..." : "");
		free(line);
	}
	free(v);
}

static int
evcmp(const void *a, const void *b)
{
	int64_t x = fmt_parse_time(json_get_str(*(const struct json *const *)a,
	    "lastTimestamp"));
	int64_t y = fmt_parse_time(json_get_str(*(const struct json *const *)b,
	    "lastTimestamp"));

	return x < y ? -1 : x > y;
}

/* DescribeEvents over the events that name this object. */
void
fmt_events(const char *kind, const char *name, const struct json *items,
    int64_t now, struct buf *b)
{
	const struct json **v, *e;
	char age[32], first[32];
	const char *src;
	size_t n = 0, i;
	int64_t cnt;

	v = xcalloc(arrlen(items) + 1, sizeof(*v));
	for (e = arrlen(items) ? items->child : NULL; e; e = e->next)
		if (!strcmp(jstr(e, "involvedObject.kind"), kind) &&
		    !strcmp(jstr(e, "involvedObject.name"), name))
			v[n++] = e;
	qsort(v, n, sizeof(*v), evcmp);
	buf_puts(b, n ? "Events:\n  Type\tReason\tAge\tFrom\tMessage\n"
	    "  ----\t------\t----\t----\t-------\n" : "Events:\t<none>\n");
	for (i = 0; i < n; i++) {
		cnt = json_get_int(v[i], "count", 1);
		src = jstr(v[i], "source.component");
		fmt_since(jstr(v[i], "firstTimestamp"), now, first,
		    sizeof(first));
		buf_printf(b, "  %s\t%s\t", jstr(v[i], "type"),
		    jstr(v[i], "reason"));
		if (cnt > 1) {
			fmt_since(jstr(v[i], "lastTimestamp"), now, age,
			    sizeof(age));
			buf_printf(b, "%s (x%lld over %s)", age, (long long)cnt,
			    first);
		} else
			buf_puts(b, first);
		buf_printf(b, "\t%s\t%s\n", src[0] ? src : jstr(v[i],
		    "reportingComponent"), jstr(v[i], "message"));
	}
	free(v);
}

static void
svc_port(struct buf *b, const struct json *sp, const struct json *ep)
{
	const struct json *tp = json_get(sp, "targetPort");
	const char *name = jstr(sp, "name");

	buf_printf(b, "Port:\t%s\t%lld/%s\n", name[0] ? name : "<unset>",
	    (long long)json_get_int(sp, "port", 0), proto(sp));
	if (tp && tp->type == JSON_STR)
		buf_printf(b, "TargetPort:\t%s/%s\n", tp->s, proto(sp));
	else	/* the API server defaults targetPort to port */
		buf_printf(b, "TargetPort:\t%lld/%s\n", (long long)(tp ?
		    tp->i : json_get_int(sp, "port", 0)), proto(sp));
	if (json_get_int(sp, "nodePort", 0) != 0)
		buf_printf(b, "NodePort:\t%s\t%lld/%s\n", name[0] ? name :
		    "<unset>", (long long)json_get_int(sp, "nodePort", 0),
		    proto(sp));
	buf_puts(b, "Endpoints:\t");
	fmt_endpoints(ep, name, b);
	buf_puts(b, "\n");
}

/* describeService, before the tabwriter (min width 0, padding 2). */
void
fmt_svc_describe(const struct json *svc, const struct json *ep,
    const struct json *events, int64_t now, struct buf *b)
{
	const struct json *p, *fam = json_path(svc, "spec.ipFamilies");
	const struct json *sel = json_path(svc, "spec.selector");
	const char *type = jstr(svc, "spec.type"), *pol;

	buf_printf(b, "Name:\t%s\n", jstr(svc, "metadata.name"));
	buf_printf(b, "Namespace:\t%s\n", jstr(svc, "metadata.namespace"));
	fmt_kv_lines(b, "Labels", json_path(svc, "metadata.labels"), "=");
	fmt_kv_lines(b, "Annotations", json_path(svc, "metadata.annotations"),
	    ": ");
	buf_puts(b, "Selector:\t");
	fmt_labels(sel, b);
	buf_printf(b, "\nType:\t%s\n", type);
	/* the API server's default; headless without selector: dual */
	pol = jstr(svc, "spec.ipFamilyPolicy");
	if (pol[0] == '\0')
		pol = !strcmp(jstr(svc, "spec.clusterIP"), "None") &&
		    !(sel && sel->type == JSON_OBJ && sel->n) ?
		    "RequireDualStack" : "SingleStack";
	buf_printf(b, "IP Family Policy:\t%s\nIP Families:\t", pol);
	if (arrlen(fam))
		join_strs(fam, b);
	else
		buf_puts(b, "IPv4");
	buf_printf(b, "\nIP:\t%s\n", jstr(svc, "spec.clusterIP"));
	if (arrlen(json_path(svc, "spec.clusterIPs"))) {
		buf_puts(b, "IPs:\t");
		join_strs(json_path(svc, "spec.clusterIPs"), b);
		buf_puts(b, "\n");
	}
	if (arrlen(json_path(svc, "spec.externalIPs"))) {
		buf_puts(b, "External IPs:\t");
		join_strs(json_path(svc, "spec.externalIPs"), b);
		buf_puts(b, "\n");
	}
	if (arrlen(json_path(svc, "status.loadBalancer.ingress"))) {
		buf_puts(b, "LoadBalancer Ingress:\t");
		lb_ingress(svc, true, b);
		buf_puts(b, "\n");
	}
	p = json_path(svc, "spec.ports");
	for (p = arrlen(p) ? p->child : NULL; p; p = p->next)
		svc_port(b, p, ep);
	buf_printf(b, "Session Affinity:\t%s\n",
	    jstr(svc, "spec.sessionAffinity")[0] ?
	    jstr(svc, "spec.sessionAffinity") : "None");
	pol = jstr(svc, "spec.externalTrafficPolicy");
	if (pol[0] || !strcmp(type, "NodePort") ||
	    !strcmp(type, "LoadBalancer"))
		buf_printf(b, "External Traffic Policy:\t%s\n",
		    pol[0] ? pol : "Cluster");
	fmt_events("Service", jstr(svc, "metadata.name"), events, now, b);
}
