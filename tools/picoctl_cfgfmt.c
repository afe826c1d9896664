/*
 * picoctl_cfgfmt: the cells of `get configmaps`, `get secrets` and `get
 * persistentvolumeclaims` and the text of their `describe`, as kubectl
 * 1.28 computes them (printConfigMap, printSecret,
 * printPersistentVolumeClaim, GetAccessModesAsString, describeConfigMap,
 * describeSecret, describePersistentVolumeClaim).  Pure functions of the
 * API objects (time is an argument), unit tested on JSON samples.
 *
 * A Secret comes from picolet without its values: the key sizes are in
 * the extension field "dataSizes", which is what DATA counts and what
 * describe prints ("key:  N bytes", as kubectl prints a Secret).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "tools/picoctl.h"

static const char *
cstr(const struct json *j, const char *path)
{
	const struct json *v = json_path(j, path);

	return v && v->type == JSON_STR ? v->s : "";
}

static size_t
nmembers(const struct json *m)
{
	return m && m->type == JSON_OBJ ? m->n : 0;
}

static int
keycmp(const void *a, const void *b)
{
	return strcmp((*(const struct json *const *)a)->key,
	    (*(const struct json *const *)b)->key);
}

/* The members of a map sorted by key, as Go ranges over sorted keys. */
static size_t
members(const struct json *m, const struct json ***out)
{
	const struct json *c;
	size_t n = 0;

	*out = xcalloc(nmembers(m) + 1, sizeof(**out));
	for (c = nmembers(m) ? m->child : NULL; c; c = c->next)
		(*out)[n++] = c;
	qsort(*out, n, sizeof(**out), keycmp);
	return n;
}

static void
name_cells(const struct json *o, bool all_ns, struct buf *t)
{
	if (all_ns)
		buf_printf(t, "%s\t", cstr(o, "metadata.namespace"));
	buf_printf(t, "%s\t", cstr(o, "metadata.name"));
}

static void
age(const struct json *o, int64_t now, struct buf *t)
{
	char a[32];

	fmt_since(cstr(o, "metadata.creationTimestamp"), now, a, sizeof(a));
	buf_puts(t, a);
}

void
fmt_cm_row(const struct json *cm, bool wide, bool all_ns, int64_t now,
    struct buf *t)
{
	name_cells(cm, all_ns, t);
	buf_printf(t, "%zu\t", nmembers(json_get(cm, "data")) +
	    nmembers(json_get(cm, "binaryData")));
	age(cm, now, t);
	buf_puts(t, "\n");
}

/* DATA: the keys, from "data" if a server sent it, else "dataSizes" */
static size_t
secret_keys(const struct json *s)
{
	const struct json *d = json_get(s, "data");

	return d != NULL ? nmembers(d) : nmembers(json_get(s, "dataSizes"));
}

void
fmt_secret_row(const struct json *s, bool wide, bool all_ns, int64_t now,
    struct buf *t)
{
	name_cells(s, all_ns, t);
	buf_printf(t, "%s\t%zu\t", cstr(s, "type"), secret_keys(s));
	age(s, now, t);
	buf_puts(t, "\n");
}

static bool
has_mode(const struct json *modes, const char *m)
{
	const struct json *a;

	for (a = modes && modes->type == JSON_ARR ? modes->child : NULL; a;
	    a = a->next)
		if (a->type == JSON_STR && strcmp(a->s, m) == 0)
			return true;
	return false;
}

void
fmt_access_modes(const struct json *modes, struct buf *out)
{
	static const char *const m[][2] = {
		{ "ReadWriteOnce", "RWO" }, { "ReadOnlyMany", "ROX" },
		{ "ReadWriteMany", "RWX" }, { "ReadWriteOncePod", "RWOP" },
	};
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		if (has_mode(modes, m[i][0]))
			buf_printf(out, "%s%s", n++ ? "," : "", m[i][1]);
}

/* GetPersistentVolumeClaimClass: the beta annotation, then the field */
static const char *
pvc_class(const struct json *pvc)
{
	const struct json *an = json_path(pvc, "metadata.annotations");
	const char *c = json_get_str(an,
	    "volume.beta.kubernetes.io/storage-class");

	return c != NULL ? c : cstr(pvc, "spec.storageClassName");
}

static const char *
pvc_phase(const struct json *pvc)
{
	return cstr(pvc, "metadata.deletionTimestamp")[0] ? "Terminating" :
	    cstr(pvc, "status.phase");
}

/* Capacity and access modes are shown once the claim is bound. */
static void
pvc_bound_cells(const struct json *pvc, const char *sep, struct buf *t)
{
	if (cstr(pvc, "spec.volumeName")[0] == '\0') {
		buf_puts(t, sep);
		return;
	}
	buf_printf(t, "%s%s", cstr(pvc, "status.capacity.storage"), sep);
	fmt_access_modes(json_path(pvc, "status.accessModes"), t);
}

void
fmt_pvc_row(const struct json *pvc, bool wide, bool all_ns, int64_t now,
    struct buf *t)
{
	const char *mode = cstr(pvc, "spec.volumeMode");

	name_cells(pvc, all_ns, t);
	buf_printf(t, "%s\t%s\t", pvc_phase(pvc), cstr(pvc,
	    "spec.volumeName"));
	pvc_bound_cells(pvc, "\t", t);
	buf_printf(t, "\t%s\t", pvc_class(pvc));
	age(pvc, now, t);
	if (wide)
		buf_printf(t, "\t%s", mode[0] ? mode : "<unset>");
	buf_puts(t, "\n");
}

void
fmt_disk_size(int64_t bytes, char *out, size_t len)
{
	static const char *const u[] = { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	double v = (double)bytes;
	int64_t tenths;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(out, len, "%lld", (long long)bytes);
		return;
	}
	for (v /= 1024; v >= 1024 && i + 1 < ARRAY_SIZE(u); i++)
		v /= 1024;
	/* one decimal below 100, none when it would be ".0" */
	tenths = (int64_t)(v * 10 + 0.5);
	if (v >= 100)
		snprintf(out, len, "%lld%s", (long long)(v + 0.5), u[i]);
	else if (tenths % 10 == 0)
		snprintf(out, len, "%lld%s", (long long)(tenths / 10), u[i]);
	else
		snprintf(out, len, "%lld.%lld%s", (long long)(tenths / 10),
		    (long long)(tenths % 10), u[i]);
}

static void
head(const struct json *o, struct buf *b)
{
	buf_printf(b, "Name:\t%s\n", cstr(o, "metadata.name"));
	buf_printf(b, "Namespace:\t%s\n", cstr(o, "metadata.namespace"));
}

void
fmt_cm_describe(const struct json *cm, const struct json *events,
    int64_t now, struct buf *b)
{
	const struct json **v;
	size_t i, n;

	head(cm, b);
	fmt_kv_lines(b, "Labels", json_path(cm, "metadata.labels"), "=");
	fmt_kv_lines(b, "Annotations", json_path(cm, "metadata.annotations"),
	    ": ");
	buf_puts(b, "\nData\n====\n");
	n = members(json_get(cm, "data"), &v);
	for (i = 0; i < n; i++) {
		buf_printf(b, "%s:\n----\n", v[i]->key);
		if (v[i]->type == JSON_STR)
			buf_append(b, v[i]->s, v[i]->slen);
		buf_puts(b, "\n");
	}
	free(v);
	buf_puts(b, "\nBinaryData\n====\n");
	n = members(json_get(cm, "binaryData"), &v);
	/* base64 of n bytes: 4 characters for each 3, padded */
	for (i = 0; i < n; i++) {
		size_t len = v[i]->type == JSON_STR ? v[i]->slen : 0;
		size_t pad = len >= 1 && v[i]->s[len - 1] == '=' ?
		    (len >= 2 && v[i]->s[len - 2] == '=' ? 2 : 1) : 0;

		buf_printf(b, "%s: %zu bytes\n", v[i]->key,
		    len / 4 * 3 - pad);
	}
	free(v);
	buf_puts(b, "\n");
	fmt_events("ConfigMap", cstr(cm, "metadata.name"), events, now, b);
}

void
fmt_secret_describe(const struct json *s, struct buf *b)
{
	const struct json **v;
	size_t i, n;

	head(s, b);
	fmt_kv_lines(b, "Labels", json_path(s, "metadata.labels"), "=");
	fmt_kv_lines(b, "Annotations", json_path(s, "metadata.annotations"),
	    ": ");
	buf_printf(b, "\nType:\t%s\n", cstr(s, "type"));
	buf_puts(b, "\nData\n====\n");
	n = members(json_get(s, "dataSizes"), &v);
	for (i = 0; i < n; i++)
		buf_printf(b, "%s:\t%lld bytes\n", v[i]->key,
		    v[i]->type == JSON_NUM ? (long long)v[i]->num : 0LL);
	free(v);
}

static bool
pod_uses_claim(const struct json *pod, const char *claim)
{
	const struct json *v = json_path(pod, "spec.volumes");

	for (v = v && v->type == JSON_ARR ? v->child : NULL; v; v = v->next)
		if (!strcmp(cstr(v, "persistentVolumeClaim.claimName"), claim))
			return true;
	return false;
}

static int
strpcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "Used By:" and the pods naming the claim, one a line, sorted. */
static void
used_by(const struct json *pods, const char *claim, struct buf *b)
{
	const struct json *p;
	const char **names;
	size_t i, n = 0;

	for (p = pods && pods->type == JSON_ARR ? pods->child : NULL; p;
	    p = p->next)
		n++;
	names = xcalloc(n + 1, sizeof(*names));
	n = 0;
	for (p = pods && pods->type == JSON_ARR ? pods->child : NULL; p;
	    p = p->next)
		if (pod_uses_claim(p, claim))
			names[n++] = cstr(p, "metadata.name");
	qsort(names, n, sizeof(*names), strpcmp);
	buf_puts(b, "Used By:\t");
	if (n == 0)
		buf_puts(b, "<none>\n");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s%s\n", i > 0 ? "\t" : "", names[i]);
	free(names);
}

/* As kubectl, less the probe and transition times picolet has not. */
static void
conditions(const struct json *pvc, struct buf *b)
{
	const struct json *c = json_path(pvc, "status.conditions");

	if (c == NULL || c->type != JSON_ARR || c->n == 0)
		return;
	buf_puts(b, "Conditions:\n  Type\tStatus\tReason\tMessage\n"
	    "  ----\t------\t------\t-------\n");
	for (c = c->child; c; c = c->next)
		buf_printf(b, "  %s \t%s \t%s \t%s\n", cstr(c, "type"),
		    cstr(c, "status"), cstr(c, "reason"), cstr(c, "message"));
}

void
fmt_pvc_describe(const struct json *pvc, const char *used,
    const struct json *pods, const struct json *events, int64_t now,
    struct buf *b)
{
	const char *mode = cstr(pvc, "spec.volumeMode");

	head(pvc, b);
	buf_printf(b, "StorageClass:\t%s\n", pvc_class(pvc));
	buf_printf(b, "Status:\t%s\n", pvc_phase(pvc));
	buf_printf(b, "Volume:\t%s\n", cstr(pvc, "spec.volumeName"));
	fmt_kv_lines(b, "Labels", json_path(pvc, "metadata.labels"), "=");
	fmt_kv_lines(b, "Annotations", json_path(pvc, "metadata.annotations"),
	    ": ");
	buf_puts(b, "Finalizers:\t[]\nCapacity:\t");
	pvc_bound_cells(pvc, "\nAccess Modes:\t", b);
	buf_puts(b, "\n");
	if (mode[0])
		buf_printf(b, "VolumeMode:\t%s\n", mode);
	if (used != NULL)
		buf_printf(b, "Used:\t%s\n", used);
	used_by(pods, cstr(pvc, "metadata.name"), b);
	conditions(pvc, b);
	fmt_events("PersistentVolumeClaim", cstr(pvc, "metadata.name"),
	    events, now, b);
}
