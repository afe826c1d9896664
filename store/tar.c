/*
 * tar: a reader of tar streams as image layers and archives are written:
 * ustar (with the prefix field), GNU long names and link names ('L', 'K'),
 * pax extended headers ('x': path, linkpath, size, uid, gid, mtime,
 * SCHILY.xattr.*).  Global pax headers ('g') are checked and skipped: no
 * image tool uses them for anything but comments.  Every header's
 * checksum is verified; long names and pax data are capped at
 * STORE_PAX_MAX so a hostile archive cannot make us allocate freely.
 * Numeric fields may be octal or GNU base-256.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/store.h"

#define BLOCK	512

/* What extension headers say about the next real entry. */
struct pending {
	char *name, *linkname;
	int64_t size, uid, gid, mtime_sec;
	long mtime_nsec;
	bool has_size, has_uid, has_gid, has_mtime;
	struct store_tar_xattr *xattrs;
	size_t nxattrs;
};

void
store_tar_init(struct store_tar *t, struct store_in *in)
{
	memset(t, 0, sizeof(*t));
	t->in = in;
}

static void
xattrs_free(struct store_tar_xattr *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(x[i].name);
		free(x[i].value);
	}
	free(x);
}

static void
entry_clear(struct store_tar_entry *e)
{
	free(e->name);
	free(e->linkname);
	xattrs_free(e->xattrs, e->nxattrs);
	memset(e, 0, sizeof(*e));
}

static void
pending_free(struct pending *p)
{
	free(p->name);
	free(p->linkname);
	xattrs_free(p->xattrs, p->nxattrs);
}

void
store_tar_free(struct store_tar *t)
{
	entry_clear(&t->e);
}

static int
read_full(struct store_tar *t, void *buf, size_t n, struct err *err)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = store_in_read(t->in, (char *)buf + got, n - got, err);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return err_setx(err, EINVAL, "tar: truncated archive");
		got += (size_t)r;
	}
	return 0;
}

static int
skip(struct store_tar *t, int64_t n, struct err *err)
{
	char buf[4096];
	int r;

	while (n > 0) {
		size_t k = (size_t)MIN(n, (int64_t)sizeof(buf));

		if ((r = read_full(t, buf, k, err)) < 0)
			return r;
		n -= (int64_t)k;
	}
	return 0;
}

/* Octal (space/NUL padded) or base-256 (first byte 0x80/0xff). */
static int
num(const unsigned char *f, size_t n, int64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] == 0xff)
			return -1;	/* negative: no use in images */
		v = f[0] & 0x7f;
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = (int64_t)v;
		return 0;
	}
	while (i < n && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = (int64_t)v;
	return 0;
}

static bool
checksum_ok(const unsigned char *h)
{
	int64_t want;
	long u = 0, s = 0;
	int i;

	if (num(h + 148, 8, &want) < 0)
		return false;
	for (i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		u += c;
		s += (signed char)c;
	}
	return want == u || want == s;
}

static char *
field(const unsigned char *f, size_t n)
{
	return xstrndup((const char *)f, strnlen((const char *)f, n));
}

/* The data of an 'L', 'K', 'x' or 'g' entry, NUL-terminated. */
static int
ext_data(struct store_tar *t, int64_t size, char **out, struct err *err)
{
	char *p;
	int r;

	if (size < 0 || size > STORE_PAX_MAX)
		return err_setx(err, EFBIG, "tar: extended header of %lld "
		    "bytes, more than %d", (long long)size, STORE_PAX_MAX);
	p = xmalloc((size_t)size + 1);
	if ((r = read_full(t, p, (size_t)size, err)) < 0 ||
	    (r = skip(t, (BLOCK - size % BLOCK) % BLOCK, err)) < 0) {
		free(p);
		return r;
	}
	p[size] = '\0';
	*out = p;
	return 0;
}

static int
pax_int(const char *v, int64_t *out)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < 0)
		return -1;
	*out = x;
	return 0;
}

static int
pax_time(const char *v, int64_t *sec, long *nsec)
{
	char *end, digits[10] = "000000000";
	long long x;
	size_t n;

	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || end == v)
		return -1;
	*sec = x;
	*nsec = 0;
	if (*end == '.') {
		n = strspn(end + 1, "0123456789");
		memcpy(digits, end + 1, MIN(n, (size_t)9));
		*nsec = strtol(digits, NULL, 10);
		end += 1 + n;
	}
	return *end == '\0' && x >= 0 ? 0 : -1;
}

static int
pax_record(struct pending *p, const char *key, const char *val,
    size_t vlen)
{
	struct store_tar_xattr *x;

	if (strcmp(key, "path") == 0) {
		free(p->name);
		p->name = xstrndup(val, vlen);
	} else if (strcmp(key, "linkpath") == 0) {
		free(p->linkname);
		p->linkname = xstrndup(val, vlen);
	} else if (strcmp(key, "size") == 0) {
		p->has_size = true;
		return pax_int(val, &p->size);
	} else if (strcmp(key, "uid") == 0) {
		p->has_uid = true;
		return pax_int(val, &p->uid);
	} else if (strcmp(key, "gid") == 0) {
		p->has_gid = true;
		return pax_int(val, &p->gid);
	} else if (strcmp(key, "mtime") == 0) {
		p->has_mtime = true;
		return pax_time(val, &p->mtime_sec, &p->mtime_nsec);
	} else if (strncmp(key, "SCHILY.xattr.", 13) == 0 && key[13]) {
		if (p->nxattrs >= 256)
			return -1;
		p->xattrs = xrealloc(p->xattrs,
		    (p->nxattrs + 1) * sizeof(*p->xattrs));
		x = &p->xattrs[p->nxattrs++];
		x->name = xstrdup(key + 13);
		x->value = xmalloc(vlen + 1);
		memcpy(x->value, val, vlen);
		x->value[vlen] = '\0';
		x->len = vlen;
	}
	return 0;
}

/* Records are "<len> <key>=<value>\n", len counting the whole record. */
static int
pax_parse(struct pending *p, const char *d, size_t n, bool apply,
    struct err *err)
{
	size_t pos = 0, len;
	const char *sp, *eq, *rec;
	char *key, *val, *end;
	size_t vlen;
	int r;

	while (pos < n) {
		rec = d + pos;
		len = strtoul(rec, &end, 10);
		if (end == rec || *end != ' ' || len < 5 || len > n - pos ||
		    rec[len - 1] != '\n')
			return err_setx(err, EINVAL, "tar: bad pax record");
		sp = end + 1;
		eq = memchr(sp, '=', (size_t)(rec + len - sp));
		if (eq == NULL || eq == sp)
			return err_setx(err, EINVAL, "tar: bad pax record");
		if (apply) {
			key = xstrndup(sp, (size_t)(eq - sp));
			vlen = (size_t)(rec + len - 1 - (eq + 1));
			val = xstrndup(eq + 1, vlen);
			r = pax_record(p, key, val, vlen);
			free(val);
			if (r < 0) {
				r = err_setx(err, EINVAL,
				    "tar: bad pax value for %s", key);
				free(key);
				return r;
			}
			free(key);
		}
		pos += len;
	}
	return 0;
}

/* Fill t->e from a header block and what the extensions said. */
static int
fill(struct store_tar *t, const unsigned char *h, struct pending *p,
    struct err *err)
{
	struct store_tar_entry *e = &t->e;
	int64_t v[7];
	char *name, *prefix;

	if (num(h + 100, 8, &v[0]) < 0 || num(h + 108, 8, &v[1]) < 0 ||
	    num(h + 116, 8, &v[2]) < 0 || num(h + 124, 12, &v[3]) < 0 ||
	    num(h + 136, 12, &v[4]) < 0 || num(h + 329, 8, &v[5]) < 0 ||
	    num(h + 337, 8, &v[6]) < 0)
		return err_setx(err, EINVAL, "tar: bad numeric field");
	e->type = h[156] == '\0' ? '0' : (char)h[156];
	if (e->type == '7')
		e->type = '0';	/* contiguous file: a regular file */
	e->mode = (mode_t)(v[0] & 07777);
	e->uid = (uid_t)(p->has_uid ? p->uid : v[1]);
	e->gid = (gid_t)(p->has_gid ? p->gid : v[2]);
	e->size = p->has_size ? p->size : v[3];
	e->mtime_sec = p->has_mtime ? p->mtime_sec : v[4];
	e->mtime_nsec = p->has_mtime ? p->mtime_nsec : 0;
	e->devmajor = (unsigned)v[5];
	e->devminor = (unsigned)v[6];
	if (p->name != NULL) {
		e->name = p->name;
		p->name = NULL;
	} else {
		name = field(h, 100);
		prefix = memcmp(h + 257, "ustar", 5) == 0 &&
		    memcmp(h + 257, "ustar  ", 8) != 0 ? field(h + 345, 155) :
		    xstrdup("");
		e->name = prefix[0] ? xasprintf("%s/%s", prefix, name) :
		    xstrdup(name);
		free(name);
		free(prefix);
	}
	if (p->linkname != NULL) {
		e->linkname = p->linkname;
		p->linkname = NULL;
	} else
		e->linkname = field(h + 157, 100);
	e->xattrs = p->xattrs;
	e->nxattrs = p->nxattrs;
	p->xattrs = NULL;
	p->nxattrs = 0;
	/* links, dirs and devices carry no data whatever size says */
	if (strchr("123456", e->type) != NULL && e->type != '\0')
		e->size = 0;
	if (e->name[0] == '\0')
		return err_setx(err, EINVAL, "tar: entry with an empty name");
	t->left = e->size;
	t->pad = (BLOCK - e->size % BLOCK) % BLOCK;
	return 1;
}

static int
next_header(struct store_tar *t, unsigned char *h, struct err *err)
{
	static const unsigned char zero[BLOCK];
	int r;

	if ((r = read_full(t, h, BLOCK, err)) < 0)
		return r;
	if (memcmp(h, zero, BLOCK) == 0) {
		/* end of archive; the second zero block may be missing */
		t->done = true;
		return 0;
	}
	if (!checksum_ok(h))
		return err_setx(err, EINVAL, "tar: header checksum mismatch");
	return 1;
}

int
store_tar_next(struct store_tar *t, struct store_tar_entry **out,
    struct err *err)
{
	unsigned char h[BLOCK];
	struct pending p;
	int64_t size;
	char *d = NULL;
	int r;

	*out = NULL;
	entry_clear(&t->e);
	if (t->done)
		return 0;
	if ((r = skip(t, t->left + t->pad, err)) < 0)
		return r;
	t->left = t->pad = 0;
	memset(&p, 0, sizeof(p));
	for (;;) {
		if ((r = next_header(t, h, err)) <= 0)
			break;
		if (strchr("LKxg", h[156]) == NULL || h[156] == '\0') {
			r = fill(t, h, &p, err);
			break;
		}
		if (num(h + 124, 12, &size) < 0) {
			r = err_setx(err, EINVAL, "tar: bad size field");
			break;
		}
		if ((r = ext_data(t, size, &d, err)) < 0)
			break;
		if (h[156] == 'L' || h[156] == 'K') {
			char **dst = h[156] == 'L' ? &p.name : &p.linkname;

			free(*dst);
			*dst = xstrdup(d);
		} else
			r = pax_parse(&p, d, (size_t)size, h[156] == 'x', err);
		free(d);
		if (r < 0)
			break;
	}
	pending_free(&p);
	if (r == 1)
		*out = &t->e;
	else
		entry_clear(&t->e);
	return store_in_blame(t->in, r, err);
}

ssize_t
store_tar_read(struct store_tar *t, void *buf, size_t n, struct err *err)
{
	ssize_t r;

	if (t->left == 0 || n == 0)
		return 0;
	n = (size_t)MIN((int64_t)n, t->left);
	r = store_in_read(t->in, buf, n, err);
	if (r == 0)
		r = err_setx(err, EINVAL, "tar: truncated archive");
	if (r > 0)
		t->left -= r;
	return r < 0 ? store_in_blame(t->in, (int)r, err) : r;
}
