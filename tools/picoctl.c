/*
 * picoctl: the command a user runs on the device (usually over SSH).  It
 * talks to picolet's HTTP endpoint on the Unix socket and prints what it
 * gets the way kubectl would; `image import` writes the image store
 * itself (it runs as root, and store/ takes a lock).  Flags may come
 * before or after the command, as with kubectl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "tools/picoctl.h"

struct usage {
	const char *cmd, *text;
};

static const struct usage usages[] = {
	{ "get", "picoctl get pods [NAME] [-n NS | -A] [-o wide|json|yaml|name] "
	    "[-l SELECTOR]\n"
	    "picoctl get events [-n NS | -A]\n"
	    "picoctl get svc|endpoints [NAME] [-n NS | -A] "
	    "[-o wide|json|yaml|name] [-l SELECTOR]\n"
	    "picoctl get configmaps|secrets|pvc [NAME] [-n NS | -A] "
	    "[-o wide|json|yaml|name] [-l SELECTOR]" },
	{ "describe", "picoctl describe pod|svc|configmap|secret|pvc NAME "
	    "[-n NS]" },
	{ "logs", "picoctl logs POD [-c CONTAINER] [-f] [-p] [--tail N] "
	    "[--timestamps] [-n NS]" },
	{ "exec", "picoctl exec POD [-c CONTAINER] [-n NS] [-i] [-t] [--run DIR] "
	    "-- COMMAND [ARGS...]" },
	{ "status", "picoctl status" },
	{ "images", "picoctl images" },
	{ "image", "picoctl image import FILE [--state DIR]\n"
	    "picoctl image pull REF\n"
	    "picoctl image rm REF" },
	{ "version", "picoctl version" },
};

void
ctl_usage(FILE *f, const char *cmd)
{
	const char *t, *nl;
	size_t i;

	if (cmd == NULL)
		fprintf(f, "picoctl controls picolet, the pod agent of this "
		    "device.\n\nUsage:\n");
	for (i = 0; i < ARRAY_SIZE(usages); i++) {
		if (cmd != NULL && strcmp(cmd, usages[i].cmd) != 0)
			continue;
		/* one command form a line, each line indented */
		for (t = usages[i].text; *t; t = *nl ? nl + 1 : nl) {
			nl = t + strcspn(t, "\n");
			fprintf(f, "%s%.*s\n", cmd == NULL ? "  " :
			    t == usages[i].text ? "Usage: " : "       ",
			    (int)(nl - t), t);
		}
	}
	if (cmd != NULL)
		return;
	fprintf(f, "\nOptions:\n"
	    "  -s, --socket PATH      picolet's socket (default $PICOLET_SOCKET, "
	    "else " CTL_DEFAULT_SOCKET ")\n"
	    "  -n, --namespace NS     namespace (default \"default\")\n"
	    "  -A, --all-namespaces   every namespace\n"
	    "  -o, --output FORMAT    wide, json, yaml or name\n"
	    "  -l, --selector SEL     label selector, e.g. app=web,tier!=db\n"
	    "  -c, --container NAME   container of the pod\n"
	    "  -f, --follow           stream the log\n"
	    "  -p, --previous         the log of the previous instance\n"
	    "      --tail N           only the last N lines\n"
	    "      --timestamps       prefix each line with its time\n"
	    "      --state DIR        picolet's state directory (image import)\n"
	    "  -i, --stdin            pass stdin to the command (exec)\n"
	    "  -t, --tty              stdin is a TTY (exec, with -i)\n"
	    "      --run DIR          picolet's run directory (exec; default "
	    "$PICOLET_RUN,\n"
	    "                         else what picolet says, else /run/picolet)\n"
	    "  -h, --help             this help\n");
}

const char *
ctl_ns(const struct ctl *ctl)
{
	return ctl->ns ? ctl->ns : "default";
}

void
ctl_query_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-_.~", *s))
			buf_append(b, s, 1);
		else
			buf_printf(b, "%%%02X", (unsigned char)*s);
	}
}

void
ctl_print_conn_err(const struct err *err)
{
	fprintf(stderr, "picoctl: %s%s\n", err->msg,
	    strstr(err->msg, "cannot connect") ? " (is picolet running?)" : "");
}

/* kubectl's "Error from server (Reason): message" from a Status body. */
void
ctl_print_status_err(int status, const struct buf *body)
{
	struct json *j = NULL;
	struct err err;
	const char *reason, *msg;

	if (json_parse(body->p ? body->p : "", body->len, &j, &err) == 0 &&
	    (msg = json_get_str(j, "message")) != NULL) {
		reason = json_get_str(j, "reason");
		if (reason && reason[0])
			fprintf(stderr, "Error from server (%s): %s\n", reason,
			    msg);
		else
			fprintf(stderr, "Error from server: %s\n", msg);
	} else
		fprintf(stderr, "Error from server: HTTP %d: %.*s\n", status,
		    (int)MIN(body->len, 512u), body->p ? body->p : "");
	json_free(j);
}

int
ctl_get_json(const struct ctl *ctl, const char *path, struct json **out)
{
	struct buf body;
	struct err err;
	int status = 0, r;

	buf_init(&body, CTL_MAXBODY);
	r = ctl_http_get(ctl->sock, path, false, NULL, NULL, &status, &body,
	    &err);
	if (r < 0) {
		ctl_print_conn_err(&err);
	} else if (status / 100 != 2) {
		ctl_print_status_err(status, &body);
		r = -1;
	} else if ((r = json_parse(body.p ? body.p : "", body.len, out,
	    &err)) < 0)
		fprintf(stderr, "picoctl: GET %s: bad JSON: %s\n", path,
		    err.msg);
	buf_free(&body);
	return r < 0 ? -1 : 0;
}

static void
print_diags(const struct json *arr, const char *title)
{
	const struct json *d;

	if (arr == NULL || arr->n == 0)
		return;
	printf("%s:\n", title);
	for (d = arr->child; d; d = d->next) {
		const char *file = json_get_str(d, "file");
		const char *path = json_get_str(d, "path");
		const char *msg = json_get_str(d, "message");
		long long line = json_get_int(d, "line", 0);
		long long col = json_get_int(d, "col", 0);

		/* "file:line:col: path: what", leaving out what is unknown */
		printf("  %s", file ? file : "?");
		if (line > 0)
			printf(":%lld", line);
		if (line > 0 && col > 0)
			printf(":%lld", col);
		if (path != NULL && path[0] != '\0')
			printf(": %s", path);
		printf(": %s\n", msg ? msg : "");
	}
}

static int
cmd_status(struct ctl *ctl)
{
	static const char *keys[] = { "version", "nodeName", "cgroupMode",
	    "stateDir", "manifestDir" };
	const struct json *pods, *man;
	struct json *j;
	char up[32];
	size_t i;

	if (ctl_get_json(ctl, "/status", &j) < 0)
		return 1;
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		printf("%s: %s\n", keys[i], json_get_str(j, keys[i]) ?
		    json_get_str(j, keys[i]) : "");
	fmt_human_duration(json_get_int(j, "uptimeSeconds", 0), up,
	    sizeof(up));
	printf("uptime: %s\n", up);
	pods = json_get(j, "pods");
	printf("pods: Pending=%lld Running=%lld Succeeded=%lld Failed=%lld\n",
	    (long long)json_get_int(pods, "Pending", 0),
	    (long long)json_get_int(pods, "Running", 0),
	    (long long)json_get_int(pods, "Succeeded", 0),
	    (long long)json_get_int(pods, "Failed", 0));
	man = json_get(j, "manifests");
	printf("manifests: files=%lld errors=%zu warnings=%zu\n",
	    (long long)json_get_int(man, "files", 0),
	    json_get(man, "errors") ? json_get(man, "errors")->n : 0,
	    json_get(man, "warnings") ? json_get(man, "warnings")->n : 0);
	print_diags(json_get(man, "errors"), "errors");
	print_diags(json_get(man, "warnings"), "warnings");
	json_free(j);
	return 0;
}

/* Flags that take a value; the value may follow or be joined ("=x"). */
static const char **
value_flag(struct ctl *ctl, const char *name)
{
	static const char *tail;
	static const struct {
		const char *s, *l;
		size_t off;
	} v[] = {
		{ "-s", "--socket", offsetof(struct ctl, sock) },
		{ "-n", "--namespace", offsetof(struct ctl, ns) },
		{ "-o", "--output", offsetof(struct ctl, output) },
		{ "-l", "--selector", offsetof(struct ctl, selector) },
		{ "-c", "--container", offsetof(struct ctl, container) },
		{ NULL, "--state", offsetof(struct ctl, state) },
		{ NULL, "--run", offsetof(struct ctl, run) },
		{ NULL, "--tail", (size_t)-1 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		if (!(v[i].s && strcmp(name, v[i].s) == 0) &&
		    strcmp(name, v[i].l) != 0)
			continue;
		if (v[i].off == (size_t)-1)
			return &tail;
		return (const char **)(void *)((char *)ctl + v[i].off);
	}
	return NULL;
}

static int
parse_args(struct ctl *ctl, int argc, char **argv, const char **cmd,
    bool *help)
{
	const char **dst, *val;
	char name[32], *eq;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {	/* exec's command */
			ctl->cmdv = argv + i + 1;
			ctl->cmdc = argc - i - 1;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (*cmd == NULL)
				*cmd = a;
			else if (ctl->nargs < (int)ARRAY_SIZE(ctl->args))
				ctl->args[ctl->nargs++] = argv[i];
			else
				return -1;
			continue;
		}
		snprintf(name, sizeof(name), "%s", a);
		val = NULL;
		if ((eq = strchr(name, '=')) != NULL) {
			*eq = '\0';
			val = a + (eq - name) + 1;
		} else if (a[1] != '-' && a[2] != '\0' && strchr("snolc",
		    a[1])) {
			name[2] = '\0';		/* -ojson */
			val = a + 2;
		}
		if ((dst = value_flag(ctl, name)) != NULL) {
			if (val == NULL && i + 1 >= argc) {
				fprintf(stderr, "picoctl: flag needs an "
				    "argument: %s\n", name);
				return -1;
			}
			*dst = val ? val : argv[++i];
			if (strcmp(name, "--tail") == 0)
				ctl->tail = strtol(*dst, NULL, 10);
			continue;
		}
		if (!strcmp(a, "-A") || !strcmp(a, "--all-namespaces"))
			ctl->all_ns = true;
		else if (!strcmp(a, "-f") || !strcmp(a, "--follow"))
			ctl->follow = true;
		else if (!strcmp(a, "-p") || !strcmp(a, "--previous"))
			ctl->previous = true;
		else if (!strcmp(a, "-i") || !strcmp(a, "--stdin"))
			ctl->stdin_attach = true;
		else if (!strcmp(a, "-t") || !strcmp(a, "--tty"))
			ctl->tty = true;
		else if (!strcmp(a, "-it") || !strcmp(a, "-ti"))
			ctl->stdin_attach = ctl->tty = true;
		else if (!strcmp(a, "--timestamps"))
			ctl->timestamps = true;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			*help = true;
		else if (!strcmp(a, "--version"))
			*cmd = "version";
		else {
			fprintf(stderr, "picoctl: unknown flag: %s\n", a);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { .tail = -1 };
	const char *cmd = NULL;
	bool help = false;

	if (parse_args(&ctl, argc, argv, &cmd, &help) < 0) {
		ctl_usage(stderr, cmd);
		return 1;
	}
	if (help || cmd == NULL) {
		ctl_usage(help ? stdout : stderr, cmd);
		return help ? 0 : 1;
	}
	if (ctl.sock == NULL)
		ctl.sock = getenv("PICOLET_SOCKET");
	if (ctl.sock == NULL || ctl.sock[0] == '\0')
		ctl.sock = CTL_DEFAULT_SOCKET;
	if (strcmp(cmd, "version") == 0) {
		printf("picoctl version %s\n", PICOLET_VERSION);
		return 0;
	}
	if (strcmp(cmd, "get") == 0) {
		if (ctl.nargs > 0 && ctl_svc_resource(ctl.args[0]))
			return ctl_cmd_get_svc(&ctl);
		if (ctl.nargs > 0 && ctl_cfg_resource(ctl.args[0]))
			return ctl_cmd_get_cfg(&ctl);
		return ctl_cmd_get(&ctl);
	}
	if (strcmp(cmd, "describe") == 0) {
		if (ctl.nargs > 0 && ctl_svc_resource(ctl.args[0]) &&
		    ctl.args[0][0] == 's')
			return ctl_cmd_describe_svc(&ctl);
		if (ctl.nargs > 0 && ctl_cfg_resource(ctl.args[0]))
			return ctl_cmd_describe_cfg(&ctl);
		return ctl_cmd_describe(&ctl);
	}
	if (strcmp(cmd, "logs") == 0 || strcmp(cmd, "log") == 0)
		return ctl_cmd_logs(&ctl);
	if (strcmp(cmd, "exec") == 0)
		return ctl_cmd_exec(&ctl);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&ctl);
	if (strcmp(cmd, "images") == 0)
		return ctl_cmd_images(&ctl);
	if (strcmp(cmd, "image") == 0)
		return ctl_cmd_image(&ctl);
	fprintf(stderr, "picoctl: unknown command \"%s\"\n", cmd);
	ctl_usage(stderr, NULL);
	return 1;
}
