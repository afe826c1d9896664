/*
 * picoctl's private header: the options of one invocation, the blocking
 * HTTP client, and the pure formatting functions (kubectl's columns,
 * durations, tables, YAML and JSON printing) that the unit tests use.
 */
#ifndef PICOLET_PICOCTL_H
#define PICOLET_PICOCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json.h"

#define CTL_DEFAULT_SOCKET "/run/picolet/picolet.sock"
#define CTL_DEFAULT_STATE "/var/lib/picolet"
#define CTL_TIMEOUT_MS 10000
#define CTL_MAXBODY (64u << 20)

struct ctl {
	const char *sock;
	const char *ns;		/* NULL: "default" */
	bool all_ns;
	const char *output;	/* NULL, wide, json, yaml, name */
	const char *selector;
	const char *container;
	bool follow, previous, timestamps;
	long tail;		/* -1: all */
	const char *state;
	char *args[8];		/* positional arguments after the command */
	int nargs;
	/* exec */
	bool stdin_attach, tty;	/* -i, -t */
	const char *run;	/* picolet's run dir: --run */
	char **cmdv;		/* after "--" */
	int cmdc;
};

/* picoctl_http.c */
typedef int (*ctl_sink)(const char *data, size_t len, void *arg);
/*
 * GET path over the Unix socket.  The status goes to *status.  With a
 * sink, a 2xx body is handed to it as it arrives (no timeout when
 * follow); anything else is collected in body (initialized by the
 * caller).  Connection errors return < 0 with err set.
 */
int ctl_http_get(const char *sock, const char *path, bool follow,
	ctl_sink sink, void *arg, int *status, struct buf *body,
	struct err *err);

/* Any method (no request body); follow: no time limit on the answer. */
int ctl_http_req(const char *sock, const char *method, const char *path,
	bool follow, ctl_sink sink, void *arg, int *status, struct buf *body,
	struct err *err);

/* picoctl.c: GET and parse JSON; on failure print kubectl-like and
 * return -1. */
int ctl_get_json(const struct ctl *ctl, const char *path,
	struct json **out);
const char *ctl_ns(const struct ctl *ctl);
void ctl_print_conn_err(const struct err *err);
void ctl_print_status_err(int status, const struct buf *body);
void ctl_query_escape(struct buf *b, const char *s);

/* picoctl_get.c */
int ctl_cmd_get(struct ctl *ctl);
int ctl_cmd_logs(struct ctl *ctl);
/* picoctl_exec.c */
int ctl_cmd_exec(struct ctl *ctl);
/* picoctl.c: the usage of cmd (NULL: all) */
void ctl_usage(FILE *f, const char *cmd);
/* picoctl_image.c: images, image import|pull|rm */
int ctl_cmd_images(struct ctl *ctl);
int ctl_cmd_image(struct ctl *ctl);
/* picoctl_describe.c */
int ctl_cmd_describe(struct ctl *ctl);

/* picoctl_res.c: `get` of a resource served as a v1 list and by name;
 * row() writes one table line (tab-separated, '\n'-terminated) with the
 * NAMESPACE cell first when all_ns. */
struct ctl_res {
	const char *res;	/* the URL segment */
	const char *kind;	/* of one item, as -o json shows it */
	const char *name;	/* -o name prefix */
	const char *header;	/* the columns after NAME */
	const char *wide;	/* -o wide's further columns, or NULL */
	void (*row)(const struct json *o, bool wide, bool all_ns,
	    int64_t now, struct buf *t);
};
int ctl_get_res(struct ctl *ctl, const struct ctl_res *rt);
void ctl_res_path(const struct ctl *ctl, const struct ctl_res *rt,
	const char *name, struct buf *path);
/* GET and parse; NULL on any failure, nothing printed */
struct json *ctl_quiet_get(const struct ctl *ctl, const char *path);

/* picoctl_svc.c: get services|endpoints, describe service */
bool ctl_svc_resource(const char *what);	/* svc, ep and their names */
int ctl_cmd_get_svc(struct ctl *ctl);
int ctl_cmd_describe_svc(struct ctl *ctl);

/* picoctl_fmt.c: pure functions */
int64_t fmt_parse_time(const char *rfc3339);	/* epoch s, 0 if bad */
void fmt_human_duration(int64_t secs, char *out, size_t len);
/* translateTimestampSince: "<unknown>" for a missing time */
void fmt_since(const char *rfc3339, int64_t now, char *out, size_t len);
/* kubectl printPod: STATUS, READY and RESTARTS cells */
void fmt_pod_status(const struct json *pod, char *out, size_t len);
void fmt_pod_ready(const struct json *pod, char *out, size_t len);
void fmt_pod_restarts(const struct json *pod, int64_t now, char *out,
	size_t len);
/* Go's text/tabwriter: cells end with '\t', lines with '\n'. */
void fmt_tabwrite(const char *in, int minwidth, int padding,
	struct buf *out);
/* kubectl -o json (4-space indent, sorted keys) and -o yaml. */
void fmt_json(const struct json *j, struct buf *out);
void fmt_yaml(const struct json *j, struct buf *out);

/* picoctl_svcfmt.c: kubectl's service and endpoints cells, appended to
 * out.  labels.FormatLabels ("a=b,c=d", "<none>"); PORT(S); EXTERNAL-IP;
 * formatEndpoints, port_name NULL for every port. */
void fmt_labels(const struct json *map, struct buf *out);
void fmt_svc_ports(const struct json *svc, struct buf *out);
void fmt_svc_external_ip(const struct json *svc, bool wide,
	struct buf *out);
void fmt_endpoints(const struct json *ep, const char *port_name,
	struct buf *out);
/* one table line, tab-separated, '\n'-terminated */
void fmt_svc_row(const struct json *svc, bool wide, bool all_ns,
	int64_t now, struct buf *t);
void fmt_ep_row(const struct json *ep, bool all_ns, int64_t now,
	struct buf *t);
/* describe text before the tabwriter; ep may be NULL, events is the
 * namespace's event items (filtered here) or NULL */
void fmt_svc_describe(const struct json *svc, const struct json *ep,
	const struct json *events, int64_t now, struct buf *b);

/* describe's "Title:\tk<sep>v" lines ("<none>"), and its Events: block
 * from a namespace's event items, those naming kind/name */
void fmt_kv_lines(struct buf *b, const char *title, const struct json *m,
	const char *sep);
void fmt_events(const char *kind, const char *name, const struct json *items,
	int64_t now, struct buf *b);

/* picoctl_cfg.c: get configmaps|secrets|persistentvolumeclaims, and
 * describe them */
bool ctl_cfg_resource(const char *what);	/* cm, secret, pvc, ... */
int ctl_cmd_get_cfg(struct ctl *ctl);
int ctl_cmd_describe_cfg(struct ctl *ctl);
/* The disk use of a directory tree (st_blocks, not crossing mounts or
 * following symlinks), at most max_entries entries: -E2BIG past that,
 * -EACCES when some could not be read (*bytes then counts what was
 * seen), -errno on failure. */
int ctl_disk_use(const char *dir, long max_entries, int64_t *bytes,
	long *entries);

/* picoctl_cfgfmt.c: table rows as struct ctl_res wants them, the ACCESS
 * MODES cell (RWO,ROX,RWX,RWOP), a size as "512", "12Ki", "1.5Mi", and
 * describe text before the tabwriter; used may be NULL. */
void fmt_cm_row(const struct json *cm, bool wide, bool all_ns, int64_t now,
	struct buf *t);
void fmt_secret_row(const struct json *s, bool wide, bool all_ns,
	int64_t now, struct buf *t);
void fmt_pvc_row(const struct json *pvc, bool wide, bool all_ns,
	int64_t now, struct buf *t);
void fmt_access_modes(const struct json *modes, struct buf *out);
void fmt_disk_size(int64_t bytes, char *out, size_t len);
void fmt_cm_describe(const struct json *cm, const struct json *events,
	int64_t now, struct buf *b);
void fmt_secret_describe(const struct json *s, struct buf *b);
/* pods: the namespace's pod list items (for Used By) */
void fmt_pvc_describe(const struct json *pvc, const char *used,
	const struct json *pods, const struct json *events, int64_t now,
	struct buf *b);

/* -o json|yaml of one object, and of a kubectl List (picoctl_get.c). */
void ctl_add_kind(struct json *it, const char *kind);
void ctl_print_doc(const struct ctl *ctl, const struct json *j);
void ctl_print_list(const struct ctl *ctl, struct json *items,
	const char *kind);

#endif
