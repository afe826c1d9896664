/*
 * spec: struct rt_spec on disk, the one message from picolet to a shim.
 * Format: records "<key> <len>\n<len bytes>\n", the first one
 * "picolet-spec 1" (the version).  Length-prefixed values carry any
 * byte but NUL (newlines, '=', spaces, empty strings); an absent string
 * record means NULL.  A
 * vector is a count record "<key># <len>\n<n>\n" followed by n element
 * records, so an empty vector and a NULL one both round-trip (as an
 * empty vector and NULL).  Mounts are "mounts#" then per mount
 * "mount.src", "mount.dst", "mount.ro", then "mount.sub" and "mount.prop"
 * when set.  Unknown keys are skipped, and
 * keys added later (pidns) are absent from older files, so they load as
 * NULL; the file is saved atomically so a shim never reads half of one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "runtime/container.h"

#define SPEC_MAX (4 << 20)
#define SPEC_VEC_MAX 65536

enum ftype { F_STR, F_STRV, F_I64, F_U64, F_INT, F_BOOL };

struct field {
	const char *key;
	enum ftype type;
	size_t off;
};

#define FLD(k, t) { #k, t, offsetof(struct rt_spec, k) }
static const struct field fields[] = {
	FLD(id, F_STR), FLD(rootfs, F_STR), FLD(lower, F_STRV),
	FLD(upper, F_STR), FLD(work, F_STR), FLD(netns, F_STR),
	FLD(ipcns, F_STR), FLD(utsns, F_STR), FLD(pidns, F_STR),
	FLD(argv, F_STRV), FLD(env, F_STRV), FLD(cwd, F_STR), FLD(user, F_STR),
	FLD(uid, F_I64), FLD(gid, F_I64), FLD(caps, F_U64),
	FLD(no_new_privs, F_BOOL), FLD(readonly_rootfs, F_BOOL),
	FLD(privileged, F_BOOL), FLD(cgroups, F_STRV), FLD(log_dir, F_STR),
	FLD(restart, F_INT), FLD(log_max_size, F_I64),
	FLD(log_max_files, F_INT),
};
#undef FLD

#define AT(s, f, T) ((T *)(void *)((char *)(s) + (f)->off))

/* The writer: a failed append (the cap) is remembered in r. */
struct sw {
	struct buf b;
	int r;
};

static void
put(struct sw *b, const char *key, const char *v, size_t n)
{
	if (buf_printf(&b->b, "%s %zu\n", key, n) < 0 ||
	    buf_append(&b->b, v, n) < 0 || buf_append(&b->b, "\n", 1) < 0)
		b->r = -EFBIG;
}

static void
putstr(struct sw *b, const char *key, const char *v)
{
	if (v != NULL)
		put(b, key, v, strlen(v));
}

static void
putnum(struct sw *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
putnum(struct sw *b, const char *key, const char *fmt, ...)
{
	char v[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	put(b, key, v, (size_t)n);
}

static void
putfield(struct sw *b, const struct rt_spec *s, const struct field *f)
{
	char key[64];
	char **v;
	size_t i;

	switch (f->type) {
	case F_STR:
		putstr(b, f->key, *AT(s, f, char *const));
		break;
	case F_STRV:
		v = *AT(s, f, char **const);
		if (v == NULL)
			break;
		snprintf(key, sizeof(key), "%s#", f->key);
		putnum(b, key, "%zu", strv_len(v));
		for (i = 0; v[i] != NULL; i++)
			putstr(b, f->key, v[i]);
		break;
	case F_I64:
		putnum(b, f->key, "%" PRId64, *AT(s, f, const int64_t));
		break;
	case F_U64:
		putnum(b, f->key, "%" PRIu64, *AT(s, f, const uint64_t));
		break;
	case F_INT:
		putnum(b, f->key, "%d", *AT(s, f, const int));
		break;
	case F_BOOL:
		putnum(b, f->key, "%d", *AT(s, f, const bool) ? 1 : 0);
		break;
	}
}

int
rt_spec_save(const struct rt_spec *s, const char *path, struct err *err)
{
	struct sw b;
	size_t i;
	int r;

	buf_init(&b.b, SPEC_MAX);
	b.r = 0;
	put(&b, "picolet-spec", "1", 1);
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		putfield(&b, s, &fields[i]);
	putnum(&b, "mounts#", "%zu", s->nmounts);
	for (i = 0; i < s->nmounts; i++) {
		putstr(&b, "mount.src", s->mounts[i].src ? s->mounts[i].src : "");
		putstr(&b, "mount.dst", s->mounts[i].dst ? s->mounts[i].dst : "");
		putnum(&b, "mount.ro", "%d", s->mounts[i].ro ? 1 : 0);
		if (s->mounts[i].sub != NULL)
			putstr(&b, "mount.sub", s->mounts[i].sub);
		if (s->mounts[i].prop != RT_PROP_PRIVATE)
			putnum(&b, "mount.prop", "%d", (int)s->mounts[i].prop);
	}
	if (b.r < 0) {
		buf_free(&b.b);
		return err_setx(err, EFBIG, "spec %s: too large", path);
	}
	r = rt_write_atomic(path, b.b.p, b.b.len, err);
	buf_free(&b.b);
	return r;
}

/* The loader's cursor and the vectors being filled. */
struct sr {
	const char *p, *end;
	size_t fill[ARRAY_SIZE(fields)];
	size_t nvec[ARRAY_SIZE(fields)];
	size_t nm;		/* mounts seen */
	bool have_mounts;
};

/* Next record: key (NUL-terminated copy) and value (pointer, length). */
static int
next(struct sr *r, char *key, size_t klen, const char **v, size_t *n)
{
	const char *sp, *nl;
	char *end;
	unsigned long long len;

	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	sp = memchr(r->p, ' ', (size_t)(r->end - r->p));
	if (nl == NULL || sp == NULL || sp > nl || (size_t)(sp - r->p) >= klen
	    || sp == r->p)
		return -EINVAL;
	memcpy(key, r->p, (size_t)(sp - r->p));
	key[sp - r->p] = '\0';
	if (sp[1] < '0' || sp[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtoull(sp + 1, &end, 10);
	if (errno != 0 || end != nl || len >= (unsigned long long)(r->end - nl - 1)
	    || nl[1 + len] != '\n')
		return -EINVAL;
	*v = nl + 1;
	*n = (size_t)len;
	if (memchr(*v, '\0', *n) != NULL)
		return -EINVAL;
	r->p = nl + 2 + len;
	return 0;
}

static int
num(const char *v, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
	char tmp[32], *end;
	long long x;

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	errno = 0;
	x = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int
unum(const char *v, size_t n, uint64_t *out)
{
	char tmp[32], *end;

	if (n == 0 || n >= sizeof(tmp) || v[0] == '-')
		return -EINVAL;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtoull(tmp, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	return 0;
}

static int
setfield(struct rt_spec *s, struct sr *r, size_t i, bool count,
	const char *v, size_t n)
{
	const struct field *f = &fields[i];
	char ***vec;
	int64_t x;
	uint64_t u;

	if (count) {
		vec = AT(s, f, char **);
		if (f->type != F_STRV || *vec != NULL ||
		    num(v, n, 0, SPEC_VEC_MAX, &x) < 0)
			return -EINVAL;
		*vec = xcalloc((size_t)x + 1, sizeof(char *));
		r->nvec[i] = (size_t)x;
		return 0;
	}
	switch (f->type) {
	case F_STR:
		if (*AT(s, f, char *) != NULL)
			return -EINVAL;
		*AT(s, f, char *) = xstrndup(v, n);
		return 0;
	case F_STRV:
		vec = AT(s, f, char **);
		if (*vec == NULL || r->fill[i] >= r->nvec[i])
			return -EINVAL;
		(*vec)[r->fill[i]++] = xstrndup(v, n);
		return 0;
	case F_I64:
		return num(v, n, INT64_MIN, INT64_MAX, AT(s, f, int64_t));
	case F_U64:
		if (unum(v, n, &u) < 0)
			return -EINVAL;
		*AT(s, f, uint64_t) = u;
		return 0;
	case F_INT:
		if (num(v, n, INT32_MIN, INT32_MAX, &x) < 0)
			return -EINVAL;
		*AT(s, f, int) = (int)x;
		return 0;
	case F_BOOL:
		if (num(v, n, 0, 1, &x) < 0)
			return -EINVAL;
		*AT(s, f, bool) = x != 0;
		return 0;
	}
	return -EINVAL;
}

static int
setmount(struct rt_spec *s, struct sr *r, const char *key, const char *v,
	size_t n)
{
	int64_t x;

	if (strcmp(key, "mounts#") == 0) {
		if (r->have_mounts || num(v, n, 0, SPEC_VEC_MAX, &x) < 0)
			return -EINVAL;
		r->have_mounts = true;
		s->nmounts = (size_t)x;
		s->mounts = xcalloc((size_t)x + 1, sizeof(*s->mounts));
		return 0;
	}
	if (strcmp(key, "mount.src") == 0) {
		if (r->nm >= s->nmounts)
			return -EINVAL;
		s->mounts[r->nm++].src = xstrndup(v, n);
		return 0;
	}
	if (r->nm == 0)
		return -EINVAL;
	if (strcmp(key, "mount.dst") == 0 && s->mounts[r->nm - 1].dst == NULL) {
		s->mounts[r->nm - 1].dst = xstrndup(v, n);
		return 0;
	}
	if (strcmp(key, "mount.ro") == 0) {
		if (num(v, n, 0, 1, &x) < 0)
			return -EINVAL;
		s->mounts[r->nm - 1].ro = x != 0;
		return 0;
	}
	if (strcmp(key, "mount.sub") == 0 && s->mounts[r->nm - 1].sub == NULL) {
		s->mounts[r->nm - 1].sub = xstrndup(v, n);
		return 0;
	}
	if (strcmp(key, "mount.prop") == 0) {
		if (num(v, n, RT_PROP_PRIVATE, RT_PROP_SHARED, &x) < 0)
			return -EINVAL;
		s->mounts[r->nm - 1].prop = (enum rt_prop)x;
		return 0;
	}
	return -EINVAL;
}

static int
record(struct rt_spec *s, struct sr *r, char *key, const char *v, size_t n)
{
	size_t i, kl = strlen(key);
	bool count = kl > 0 && key[kl - 1] == '#';

	if (strncmp(key, "mount", 5) == 0)
		return setmount(s, r, key, v, n);
	if (count)
		key[kl - 1] = '\0';
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (strcmp(key, fields[i].key) == 0)
			return setfield(s, r, i, count, v, n);
	return 0;	/* a newer picolet's key */
}

/* A loaded spec must be usable by the shim as is. */
static int
validate(const struct rt_spec *s, const struct sr *r)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (r->fill[i] != r->nvec[i])
			return -EINVAL;
	if (r->nm != s->nmounts)
		return -EINVAL;
	for (i = 0; i < s->nmounts; i++)
		if (s->mounts[i].dst == NULL || s->mounts[i].dst[0] != '/')
			return -EINVAL;
	if (s->rootfs == NULL || s->argv == NULL || s->argv[0] == NULL)
		return -EINVAL;
	return 0;
}

int
rt_spec_load(struct rt_spec *s, const char *path, struct err *err)
{
	struct sr r;
	char *data, key[64];
	const char *v;
	size_t len, n;
	int ret;

	memset(s, 0, sizeof(*s));
	s->uid = s->gid = -1;
	ret = read_file(path, SPEC_MAX, &data, &len, err);
	if (ret < 0)
		return ret;
	memset(&r, 0, sizeof(r));
	r.p = data;
	r.end = data + len;
	ret = next(&r, key, sizeof(key), &v, &n);
	if (ret == 0 && (strcmp(key, "picolet-spec") != 0 || n != 1 ||
	    v[0] != '1'))
		ret = -EINVAL;
	while (ret == 0 && r.p < r.end) {
		ret = next(&r, key, sizeof(key), &v, &n);
		if (ret == 0)
			ret = record(s, &r, key, v, n);
	}
	if (ret == 0)
		ret = validate(s, &r);
	if (ret < 0) {
		err_setx(err, EINVAL, "spec %s: malformed at byte %zu", path,
		    (size_t)(r.p - data));
		rt_spec_free(s);
	}
	free(data);
	return ret < 0 ? -EINVAL : 0;
}

void
rt_spec_free(struct rt_spec *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		if (fields[i].type == F_STR)
			free(*AT(s, &fields[i], char *));
		else if (fields[i].type == F_STRV)
			strv_free(*AT(s, &fields[i], char **));
	}
	for (i = 0; i < s->nmounts && s->mounts != NULL; i++) {
		free(s->mounts[i].src);
		free(s->mounts[i].dst);
		free(s->mounts[i].sub);
	}
	free(s->mounts);
	memset(s, 0, sizeof(*s));
	s->uid = s->gid = -1;
}
