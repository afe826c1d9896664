/*
 * conf: the agent's INI file, /etc/picolet/picolet.conf, read with inih
 * over built-in defaults.  Debian's libinih strips inline comments after
 * " ;" but not " #", and its line buffer is 200 bytes; both are handled
 * here so `key = value # note` works whichever way the library was built.
 * The first bad line wins: the handler keeps its message and returns 0,
 * and ini_parse() returns that line number.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/cfg.h"

struct ctx {
	struct cfg_conf *c;
	FILE *f;
	int line;		/* of the chunk inih is looking at */
	int nl;			/* the previous chunk ended a line */
	int toolong;		/* first line over inih's buffer */
	int bufsize;		/* inih's line buffer */
	char msg[400];		/* first problem, without FILE:LINE */
	int bad;		/* line of the first problem */
};

typedef const char *(*setter)(struct cfg_conf *, const char *);

void
cfg_conf_defaults(struct cfg_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->manifests, sizeof(c->manifests), "/etc/manifests");
	snprintf(c->state, sizeof(c->state), "/var/lib/picolet");
	snprintf(c->run, sizeof(c->run), "/run/picolet");
	snprintf(c->logs, sizeof(c->logs), "/var/log/pods");
	snprintf(c->socket, sizeof(c->socket), "/run/picolet/picolet.sock");
	snprintf(c->bridge, sizeof(c->bridge), "pico0");
	snprintf(c->pod_cidr, sizeof(c->pod_cidr), "10.88.0.0/16");
	snprintf(c->service_cidr, sizeof(c->service_cidr), "10.96.0.0/16");
	c->nodeport_min = 30000;
	c->nodeport_max = 32767;
	c->pids = 1024;
	c->log_max_size = 10 * 1024 * 1024;
	c->log_max_files = 5;
	c->drain = false;
	c->debounce_ms = 100;
	snprintf(c->log_level, sizeof(c->log_level), "info");
	snprintf(c->cgroup, sizeof(c->cgroup), "picolet");
	c->gc_high = 85;
	c->gc_low = 80;
	c->gc_min_age = 120;
}

static const char *
copy(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return "value too long";
	memcpy(dst, v, strlen(v) + 1);
	return NULL;
}

static const char *
set_path(char *dst, size_t size, const char *v, int may_be_empty)
{
	if (v[0] == '\0' && may_be_empty)
		return copy(dst, size, v);
	if (v[0] != '/')
		return "must be an absolute path";
	return copy(dst, size, v);
}

static const char *
set_int(const char *v, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || *out < min ||
	    *out > max)
		return "expected an integer in range";
	return NULL;
}

/* IPv4 a.b.c.d/n with the host bits zero. */
static const char *
check_cidr(const char *v)
{
	unsigned int a[4], bits;
	unsigned long addr;
	char tail;

	if (sscanf(v, "%3u.%3u.%3u.%3u/%2u%c", &a[0], &a[1], &a[2], &a[3],
	    &bits, &tail) != 5 || a[0] > 255 || a[1] > 255 || a[2] > 255 ||
	    a[3] > 255 || bits > 32 || strchr(v, ' ') != NULL ||
	    strchr(v, '+') != NULL || strchr(v, '-') != NULL)
		return "expected an IPv4 CIDR like 10.88.0.0/16";
	addr = ((unsigned long)a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
	if (bits < 32 && (addr & (0xffffffffUL >> bits)) != 0)
		return "host bits set in CIDR";
	return NULL;
}

static const char *
set_labels(struct cfg_conf *c, const char *v)
{
	char buf[sizeof(c->node_labels)], *p, *save = NULL, *eq;
	const char *why;

	if ((why = copy(buf, sizeof(buf), v)) != NULL)
		return why;
	for (p = strtok_r(buf, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(p, '=')) == NULL)
			return "expected k=v,k2=v2";
		*eq = '\0';
		if ((why = cfg_check_label_key(p)) != NULL ||
		    (why = cfg_check_label_value(eq + 1)) != NULL)
			return why;
	}
	return copy(c->node_labels, sizeof(c->node_labels), v);
}

static const char *
set_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = false;
	else
		return "expected true/false/yes/no/1/0";
	return NULL;
}

static const char *
set_range(struct cfg_conf *c, const char *v)
{
	unsigned int lo, hi;
	char tail;

	if (sscanf(v, "%5u-%5u%c", &lo, &hi, &tail) != 2 || lo < 1 ||
	    hi > 65535 || lo > hi || v[0] < '0' || v[0] > '9')
		return "expected a port range like 30000-32767";
	c->nodeport_min = (int)lo;
	c->nodeport_max = (int)hi;
	return NULL;
}

/* "" (off) or HOST:PORT; the address itself is net/'s to resolve */
static const char *
set_listen(struct cfg_conf *c, const char *v)
{
	const char *colon = strrchr(v, ':');
	long port;

	if (v[0] != '\0' && (colon == NULL || colon == v ||
	    set_int(colon + 1, 1, 65535, &port) != NULL))
		return "expected HOST:PORT like 127.0.0.1:10250, or empty";
	return copy(c->listen, sizeof(c->listen), v);
}

static const char *set_value2(struct cfg_conf *, const char *, const char *,
    const char *);

/* [paths], [api], [network] */
static const char *
set_value(struct cfg_conf *c, const char *sec, const char *k, const char *v)
{
	const char *why;

#define IS(s, key) (strcmp(sec, s) == 0 && strcmp(k, key) == 0)
	if (IS("paths", "manifests"))
		return set_path(c->manifests, sizeof(c->manifests), v, 0);
	if (IS("paths", "state"))
		return set_path(c->state, sizeof(c->state), v, 0);
	if (IS("paths", "run"))
		return set_path(c->run, sizeof(c->run), v, 0);
	if (IS("paths", "logs"))
		return set_path(c->logs, sizeof(c->logs), v, 0);
	if (IS("paths", "shim"))
		return set_path(c->shim, sizeof(c->shim), v, 1);
	if (IS("paths", "cgroup")) {
		if (v[0] == '\0' || v[0] == '/' || strstr(v, "..") != NULL)
			return "expected a relative cgroup name like picolet";
		return copy(c->cgroup, sizeof(c->cgroup), v);
	}
	if (IS("api", "socket"))
		return set_path(c->socket, sizeof(c->socket), v, 0);
	if (IS("api", "listen"))
		return set_listen(c, v);
	if (IS("network", "keep_bridge"))
		return set_bool(v, &c->keep_bridge);
	if (IS("network", "bridge")) {
		if (v[0] == '\0' || strlen(v) >= sizeof(c->bridge) ||
		    strpbrk(v, "/ \t:") != NULL)
			return "expected an interface name (1-15 characters)";
		return copy(c->bridge, sizeof(c->bridge), v);
	}
	if (IS("network", "pod_cidr") || IS("network", "service_cidr")) {
		if ((why = check_cidr(v)) != NULL)
			return why;
		return k[0] == 'p' ? copy(c->pod_cidr, sizeof(c->pod_cidr), v) :
		    copy(c->service_cidr, sizeof(c->service_cidr), v);
	}
	if (IS("network", "nodeport_range"))
		return set_range(c, v);
#undef IS
	return set_value2(c, sec, k, v);
}

/* [node], [limits], [agent], [images] */
static const char *
set_value2(struct cfg_conf *c, const char *sec, const char *k, const char *v)
{
	const char *why;
	int64_t q;
	long n;

#define IS(s, key) (strcmp(sec, s) == 0 && strcmp(k, key) == 0)
	if (IS("node", "name")) {
		if (v[0] != '\0' && (why = cfg_check_dns1123_subdomain(v)))
			return why;
		return copy(c->node_name, sizeof(c->node_name), v);
	}
	if (IS("node", "labels"))
		return set_labels(c, v);
	if (IS("limits", "pids")) {
		if ((why = set_int(v, 1, 4194304, &n)) == NULL)
			c->pids = n;
		return why;
	}
	if (IS("limits", "log_max_size")) {
		if (cfg_parse_memory(v, &q) < 0 || q < 4096)
			return "expected a size like 10Mi (at least 4Ki)";
		c->log_max_size = q;
		return NULL;
	}
	if (IS("limits", "log_max_files")) {
		if ((why = set_int(v, 1, 1000, &n)) == NULL)
			c->log_max_files = (int)n;
		return why;
	}
	if (IS("agent", "drain"))
		return set_bool(v, &c->drain);
	if (IS("volumes", "reclaim")) {
		if (strcmp(v, "Retain") != 0 && strcmp(v, "Delete") != 0)
			return "expected Retain or Delete";
		c->reclaim_delete = strcmp(v, "Delete") == 0;
		return NULL;
	}
	if (IS("agent", "debounce_ms")) {
		if ((why = set_int(v, 0, 60000, &n)) == NULL)
			c->debounce_ms = (int)n;
		return why;
	}
	if (IS("images", "gc_high") || IS("images", "gc_low")) {
		if ((why = set_int(v, 0, 100, &n)) == NULL)
			*(k[3] == 'h' ? &c->gc_high : &c->gc_low) = (int)n;
		return why;
	}
	if (IS("images", "preload")) {
		if (v[0] != '\0' && v[0] != '/')
			return "expected an absolute path";
		return copy(c->preload, sizeof(c->preload), v);
	}
	if (IS("images", "gc_min_age")) {
		if ((why = set_int(v, 0, 86400 * 365, &n)) == NULL)
			c->gc_min_age = (int)n;
		return why;
	}
	if (IS("agent", "log_level")) {
		if (strcmp(v, "debug") && strcmp(v, "info") &&
		    strcmp(v, "warn") && strcmp(v, "error"))
			return "expected debug, info, warn or error";
		return copy(c->log_level, sizeof(c->log_level), v);
	}
#undef IS
	return "unknown key";
}

/* [registry] auth, [registry.HOST] ca/insecure/mirror/auth */
static const char *
set_registry(struct cfg_conf *c, const char *sec, const char *k,
    const char *v)
{
	struct cfg_registry *r = NULL;
	const char *host = sec + 9;
	int i;

	if (strcmp(sec, "registry") == 0) {
		if (strcmp(k, "auth") == 0)
			return set_path(c->registry_auth,
			    sizeof(c->registry_auth), v, 1);
		return "unknown key";
	}
	if (host[0] == '\0' || strlen(host) >= sizeof(r->host) ||
	    strpbrk(host, "/ \t@") != NULL)
		return "expected [registry.HOST] with a registry host name";
	for (i = 0; i < c->nregistries; i++)
		if (strcmp(c->registries[i].host, host) == 0)
			r = &c->registries[i];
	if (r == NULL) {
		if (c->nregistries >= CFG_REGISTRY_MAX)
			return "too many [registry.HOST] sections";
		r = &c->registries[c->nregistries++];
		memset(r, 0, sizeof(*r));
		memcpy(r->host, host, strlen(host) + 1);
	}
	if (strcmp(k, "ca") == 0)
		return set_path(r->ca, sizeof(r->ca), v, 1);
	if (strcmp(k, "auth") == 0)
		return set_path(r->auth, sizeof(r->auth), v, 1);
	if (strcmp(k, "insecure") == 0)
		return set_bool(v, &r->insecure);
	if (strcmp(k, "mirror") == 0) {
		if (v[0] != '\0' && strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return "expected a URL like https://mirror.local:5000";
		return copy(r->mirror, sizeof(r->mirror), v);
	}
	return "unknown key";
}

static int
known_section(const char *s)
{
	static const char *const secs[] = { "paths", "api", "network", "node",
	    "limits", "agent", "volumes", "images" };
	size_t i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (strcmp(s, secs[i]) == 0)
			return 1;
	return 0;
}

/* Strip a " #" or " ;" comment and the blanks around the value. */
static void
clean_value(const char *v, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; v[i] != '\0' && n + 1 < size; i++) {
		if ((v[i] == '#' || v[i] == ';') &&
		    (i == 0 || isspace((unsigned char)v[i - 1])))
			break;
		out[n++] = v[i];
	}
	while (n > 0 && isspace((unsigned char)out[n - 1]))
		n--;
	out[n] = '\0';
}

static int
handler(void *user, const char *sec, const char *key, const char *value)
{
	struct ctx *x = user;
	char v[1100];
	const char *why;

	if (x->bad)
		return 1;
	clean_value(value, v, sizeof(v));
	if (strcmp(sec, "registry") == 0 || strncmp(sec, "registry.", 9) == 0)
		why = set_registry(x->c, sec, key, v);
	else if (!known_section(sec))
		why = "unknown section";
	else
		why = set_value(x->c, sec, key, v);
	if (why == NULL)
		return 1;
	snprintf(x->msg, sizeof(x->msg), "[%s] %s: %s", sec, key, why);
	x->bad = x->line;
	return 0;
}

/* fgets that counts lines, so the handler knows where it is. */
static char *
reader(char *str, int num, void *stream)
{
	struct ctx *x = stream;
	char *r = fgets(str, num, x->f);

	x->bufsize = num;

	if (r == NULL)
		return NULL;
	if (x->nl)
		x->line++;
	x->nl = strchr(r, '\n') != NULL;
	/* inih would cut the value silently: refuse the line instead */
	if (!x->nl && !feof(x->f) && x->toolong == 0)
		x->toolong = x->line;
	return r;
}

int
cfg_conf_load(struct cfg_conf *c, const char *path, struct err *err)
{
	struct cfg_conf tmp = *c;
	struct ctx x;
	int line, e;

	memset(&x, 0, sizeof(x));
	if ((x.f = fopen(path, "re")) == NULL)
		return err_set(err, errno, "open %s", path);
	x.c = &tmp;
	x.nl = 1;
	line = ini_parse_stream(reader, &x, handler, &x);
	if (ferror(x.f)) {	/* a directory opens, then reads EISDIR */
		e = errno;
		fclose(x.f);
		return err_set(err, e ? e : EIO, "read %s", path);
	}
	fclose(x.f);
	if (line == -2)
		return err_setx(err, ENOMEM, "%s: out of memory", path);
	if (line < 0)
		return err_setx(err, EIO, "read %s: failed", path);
	if (x.toolong > 0 && (x.bad == 0 || x.toolong <= x.bad) &&
	    (line == 0 || x.toolong <= line))
		return err_setx(err, EINVAL, "%s:%d: line longer than %d bytes",
		    path, x.toolong, x.bufsize - 2);
	if (x.bad > 0 && (line == 0 || x.bad <= line))
		return err_setx(err, EINVAL, "%s:%d: %s", path, x.bad, x.msg);
	if (line > 0)
		return err_setx(err, EINVAL, "%s:%d: syntax error (expected "
		    "[section] or key = value, lines up to 200 bytes)", path,
		    line);
	if (tmp.gc_low > tmp.gc_high)
		return err_setx(err, EINVAL, "%s: [images] gc_low (%d) is above "
		    "gc_high (%d)", path, tmp.gc_low, tmp.gc_high);
	*c = tmp;
	return 0;
}
