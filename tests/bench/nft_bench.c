/*
 * nft_bench: times picolet's nftables programming (net/nft*.c), run by
 * tests/bench/nft.sh inside a network namespace of its own.
 *
 *   nft_bench change N RUNS    N services of 3 ready endpoints are
 *       programmed, then RUNS times one endpoint of one service (a
 *       different service each time) is replaced, and net_nft_apply is
 *       timed: it returns once the kernel has committed the batch, i.e.
 *       the rule is live.  Also times an apply where nothing changed
 *       (the diff alone) and the batch build alone.
 *   nft_bench scratch N        deletes the table, then times programming
 *       N services from nothing (one apply).  The table is left in place
 *       for `nft list` / `nft -f` to be compared against.
 *
 * Prints one line of key=value pairs (microseconds).
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "net/net.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	(uint32_t)(c) << 8 | (uint32_t)(d))

struct world {
	struct net_nft_state st;
	struct net_nft_svc *s;
	struct net_nft_ep *e;
	char (*keys)[40];
};

static void
world_make(struct world *w, size_t n)
{
	size_t i;

	w->s = xcalloc(n, sizeof(*w->s));
	w->e = xcalloc(3 * n, sizeof(*w->e));
	w->keys = xcalloc(n, sizeof(*w->keys));
	for (i = 0; i < n; i++) {
		snprintf(w->keys[i], sizeof(w->keys[i]), "bench/svc%zu/http", i);
		w->s[i] = (struct net_nft_svc){ w->keys[i],
		    IP(10, 96, i >> 8, i & 255), 80, IPPROTO_TCP, 0, 0,
		    w->e + 3 * i, 3 };
		w->e[3 * i] = (struct net_nft_ep){ IP(10, 88, i >> 8, i & 255), 8080, true };
		w->e[3 * i + 1] = (struct net_nft_ep){ IP(10, 89, i >> 8, i & 255), 8080, true };
		w->e[3 * i + 2] = (struct net_nft_ep){ IP(10, 90, i >> 8, i & 255), 8080, true };
	}
	w->st = (struct net_nft_state){ .pod_net = IP(10, 88, 0, 0),
	    .pod_mask = 0xfff80000, .bridge = "pico0", .svcs = w->s,
	    .nsvcs = n };
}

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
	size_t r = (size_t)(p * (double)n + 0.999999);

	qsort(v, n, sizeof(*v), dcmp);
	return v[r ? r - 1 : 0];
}

static void
die(const char *what, const struct err *err)
{
	fprintf(stderr, "nft_bench: %s: %s\n", what, err->msg);
	exit(1);
}

static void
bench_change(size_t n, size_t runs)
{
	struct world w;
	struct net_nft *nft;
	struct net_nft_batch b = { 0 };
	struct err err = { { 0 } };
	double *t = xcalloc(runs, sizeof(*t)), *tb = xcalloc(runs, sizeof(*tb));
	struct world w2;
	double t0, noop;
	uint32_t msgs = 0, saved;
	size_t i, k;

	world_make(&w, n);
	if (net_nft_open(&nft, "picolet", &err) < 0 ||
	    net_nft_apply(nft, &w.st, &err) < 0)
		die("apply", &err);
	for (i = 0; i < runs; i++) {
		k = (i * 7919) % n;
		w.e[3 * k + 1].ip = IP(11, (i >> 16) & 255, (i >> 8) & 255,
		    i & 255);	/* a new address every time */
		t0 = now_us();
		if (net_nft_apply(nft, &w.st, &err) < 0)
			die("apply change", &err);
		t[i] = now_us() - t0;
	}
	t0 = now_us();
	if (net_nft_apply(nft, &w.st, &err) < 0)
		die("apply no-op", &err);
	noop = now_us() - t0;
	/* the batch alone: the state against a copy with one change */
	world_make(&w2, n);
	memcpy(w2.e, w.e, 3 * n * sizeof(*w.e));
	for (i = 0; i < runs; i++) {
		k = (i * 7919) % n;
		saved = w2.e[3 * k + 1].ip;
		w2.e[3 * k + 1].ip = IP(10, 93, k >> 8, k & 255);
		t0 = now_us();
		if (net_nft_batch_build(&b, "picolet", &w.st, &w2.st, &err) < 0)
			die("build", &err);
		tb[i] = now_us() - t0;
		msgs = b.nmsg;
		w2.e[3 * k + 1].ip = saved;
	}
	printf("change n=%zu runs=%zu median_us=%.0f p90_us=%.0f max_us=%.0f "
	    "noop_us=%.0f diff_build_us=%.0f msgs=%u\n", n, runs,
	    pct(t, runs, 0.5), pct(t, runs, 0.9), pct(t, runs, 1.0), noop,
	    pct(tb, runs, 0.5), msgs);
	net_nft_destroy(nft, &err);
	net_nft_close(nft);
	net_nft_batch_free(&b);
	free(t);
	free(tb);
}

static void
bench_scratch(size_t n)
{
	struct world w;
	struct net_nft *nft;
	struct net_nft_batch b = { 0 };
	struct err err = { { 0 } };
	double t0, t1, tbuild;

	world_make(&w, n);
	if (net_nft_open(&nft, "picolet", &err) < 0)
		die("open", &err);
	if (net_nft_destroy(nft, &err) < 0)
		die("destroy", &err);
	t0 = now_us();
	if (net_nft_batch_build(&b, "picolet", NULL, &w.st, &err) < 0)
		die("build", &err);
	tbuild = now_us() - t0;
	t0 = now_us();
	if (net_nft_apply(nft, &w.st, &err) < 0)
		die("apply", &err);
	t1 = now_us();
	printf("scratch n=%zu apply_us=%.0f build_us=%.0f msgs=%u bytes=%zu\n",
	    n, t1 - t0, tbuild, b.nmsg, b.len);
	net_nft_close(nft);
	net_nft_batch_free(&b);
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "change") == 0)
		bench_change(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
	else if (argc >= 3 && strcmp(argv[1], "scratch") == 0)
		bench_scratch(strtoul(argv[2], NULL, 10));
	else {
		fprintf(stderr, "usage: nft_bench change N RUNS | scratch N\n");
		return 2;
	}
	return 0;
}
