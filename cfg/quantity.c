/*
 * quantity: Kubernetes resource quantities ("500m", "128Mi", "1e3",
 * "0.5").  The number is kept exact as digits * 10^e10 * 2^e2 and only
 * scaled at the end, rounding up as Kubernetes' MilliValue()/Value() do,
 * so "0.0001" cpu is 1m and "0.5" bytes is 1 byte.  Anything that does not
 * fit in int64 is -ERANGE; anything that is not a quantity is -EINVAL.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cfg/cfg.h"

#define MAX_DIGITS 19		/* significant digits kept: < 2^64 */
#define MIN_INT(a, b) ((a) < (b) ? (a) : (b))

struct qty {
	int neg;
	uint64_t m;		/* significant digits, < 10^19 */
	int e10, e2;
};

static const struct {
	const char *s;
	int e10, e2;
} suffixes[] = {
	{ "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 }, { "Ti", 0, 40 },
	{ "Pi", 0, 50 }, { "Ei", 0, 60 },
	{ "n", -9, 0 }, { "u", -6, 0 }, { "m", -3, 0 }, { "k", 3, 0 },
	{ "M", 6, 0 }, { "G", 9, 0 }, { "T", 12, 0 }, { "P", 15, 0 },
	{ "E", 18, 0 },
};

/* digits with optional '.', trailing zeros folded into e10 */
static int
parse_digits(const char **sp, struct qty *q)
{
	const char *s = *sp;
	int ndig = 0, seen = 0, frac = 0, zeros = 0;

	for (; (*s >= '0' && *s <= '9') || (*s == '.' && !frac); s++) {
		if (*s == '.') {
			frac = 1;
			continue;
		}
		seen = 1;
		if (frac)
			q->e10--;
		if (*s == '0') {
			if (ndig > 0)
				zeros++;
			continue;
		}
		for (; zeros > 0; zeros--) {
			q->m *= 10;
			ndig++;
		}
		q->m = q->m * 10 + (unsigned)(*s - '0');
		if (++ndig > MAX_DIGITS)
			return -ERANGE;
	}
	if (!seen)
		return -EINVAL;
	q->e10 += zeros;
	*sp = s;
	return 0;
}

static int
parse_suffix(const char *s, struct qty *q)
{
	long e = 0;
	int neg = 0;
	size_t i;

	if ((*s == 'e' || *s == 'E') && (s[1] == '+' || s[1] == '-' ||
	    (s[1] >= '0' && s[1] <= '9'))) {
		s++;
		if (*s == '+' || *s == '-')
			neg = *s++ == '-';
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++)
			if ((e = e * 10 + (*s - '0')) > 10000)
				return -ERANGE;
		if (*s != '\0')
			return -EINVAL;
		q->e10 += neg ? -(int)e : (int)e;
		return 0;
	}
	if (*s == '\0')
		return 0;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strcmp(s, suffixes[i].s) == 0) {
			q->e10 += suffixes[i].e10;
			q->e2 += suffixes[i].e2;
			return 0;
		}
	}
	return -EINVAL;
}

/* ceil(v / d) repeated: ceil(ceil(x/a)/b) == ceil(x/(a*b)) */
static uint64_t
div_up(uint64_t v, uint64_t d, int times)
{
	for (; times > 0 && v > 1; times--)
		v = v / d + (v % d != 0);
	return v;
}

/*
 * ceil(m * 2^e2 * 10^e10) into an int64, in 64-bit arithmetic only (no
 * __int128 on armhf).  With e10 < 0 the common powers of two cancel
 * first; the rest is ceil(m * 2^e2 / 5^k) by long division bit by bit.
 */
static int
scale(struct qty *q, int64_t *out)
{
	uint64_t v = q->m, d, r;
	int i, k, t;

	if (v == 0) {
		*out = 0;
		return 0;
	}
	if (q->e10 >= 0) {
		for (i = 0; i < q->e2; i++, v <<= 1)
			if (v > (uint64_t)INT64_MAX / 2)
				return -ERANGE;
		for (i = 0; i < q->e10; i++, v *= 10)
			if (v > (uint64_t)INT64_MAX / 10)
				return -ERANGE;
	} else {
		k = -q->e10;
		t = MIN_INT(q->e2, k);
		q->e2 -= t;
		v = div_up(v, 2, k - t);
		if (k > 27) {	/* 5^27 < 2^63; beyond, ceil may gain 1 */
			v = div_up(v, 5, k - 27);
			k = 27;
		}
		for (d = 1, i = 0; i < k; i++)
			d *= 5;
		r = v % d;
		v /= d;
		for (i = 0; i < q->e2; i++) {
			if (v > (uint64_t)INT64_MAX / 2)
				return -ERANGE;
			v <<= 1;
			r <<= 1;
			if (r >= d) {
				v++;
				r -= d;
			}
		}
		v += r != 0;
	}
	if (v > (uint64_t)INT64_MAX)
		return -ERANGE;
	/* the magnitude is rounded up, as Kubernetes does */
	*out = q->neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int
cfg_parse_quantity(const char *s, int scale10, int64_t *out)
{
	struct qty q;
	int r;

	memset(&q, 0, sizeof(q));
	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*s == '+' || *s == '-')
		q.neg = *s++ == '-';
	if ((r = parse_digits(&s, &q)) < 0)
		return r;
	if ((r = parse_suffix(s, &q)) < 0)
		return r;
	q.e10 += scale10;
	return scale(&q, out);
}

int
cfg_parse_cpu(const char *s, int64_t *millis)
{
	int r = cfg_parse_quantity(s, 3, millis);

	if (r == 0 && *millis < 0)
		return -EINVAL;
	return r;
}

int
cfg_parse_memory(const char *s, int64_t *bytes)
{
	int r = cfg_parse_quantity(s, 0, bytes);

	if (r == 0 && *bytes < 0)
		return -EINVAL;
	return r;
}
