/*
 * Pod IPAM (net/ipam.c), unprivileged, in a temp dir: allocation order
 * and next-fit, one address per owner, release, no address given twice
 * across a reopen, exhaustion of a /29, the excluded addresses, a CIDR
 * change, the files on disk.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "net/net.h"

static char tmp[64];

static int
setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_net_ipam.XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	return rm_rf(tmp, NULL) < 0 ? -1 : 0;
}

static struct net_ipam *
open_ipam(const char *cidr)
{
	struct net_ipam *m = NULL;
	struct err err;
	char dir[128];
	int r;

	snprintf(dir, sizeof(dir), "%s/ipam", tmp);
	r = net_ipam_open(&m, dir, cidr, &err);
	if (r < 0)
		print_message("%s\n", err.msg);
	assert_int_equal(r, 0);
	return m;
}

static void
get(struct net_ipam *m, const char *owner, const char *want)
{
	struct err err;
	char ip[16];
	int r;

	r = net_ipam_get(m, owner, ip, &err);
	if (r < 0)
		print_message("%s\n", err.msg);
	assert_int_equal(r, 0);
	assert_string_equal(ip, want);
}

static void
test_order(void **state)
{
	struct net_ipam *m = open_ipam("10.88.0.0/16");
	char gw[16], ip[16], *s;
	struct err err;
	size_t len;

	net_ipam_gateway(m, gw);
	assert_string_equal(gw, "10.88.0.1");
	assert_int_equal(net_ipam_prefix(m), 16);
	assert_int_equal(net_ipam_lookup(m, "a", ip), -ENOENT);
	get(m, "a", "10.88.0.2");
	get(m, "b", "10.88.0.3");
	get(m, "a", "10.88.0.2");	/* idempotent per owner */
	assert_int_equal(net_ipam_lookup(m, "b", ip), 0);
	assert_string_equal(ip, "10.88.0.3");
	/* the file holds the owner */
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/ipam/10.88.0.3", tmp);
		assert_int_equal(read_file(path, 100, &s, &len, &err), 0);
		assert_string_equal(s, "b");
		free(s);
	}
	/* next-fit: a freed address is not reused at once */
	assert_int_equal(net_ipam_release(m, "a", &err), 0);
	assert_int_equal(net_ipam_release(m, "a", &err), 0);
	get(m, "c", "10.88.0.4");
	get(m, "a", "10.88.0.5");
	assert_int_equal(net_ipam_get(m, "", ip, &err), -EINVAL);
	assert_int_equal(net_ipam_get(m, "x\ny", ip, &err), -EINVAL);
	net_ipam_close(m);
}

static void
test_reopen(void **state)
{
	struct net_ipam *m = open_ipam("10.88.0.0/24");
	struct err err;
	char **v;

	get(m, "a", "10.88.0.2");
	get(m, "b", "10.88.0.3");
	get(m, "c", "10.88.0.4");
	assert_int_equal(net_ipam_release(m, "b", &err), 0);
	net_ipam_close(m);

	m = open_ipam("10.88.0.0/24");
	assert_int_equal(net_ipam_owners(m, &v), 2);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "c");
	assert_null(v[2]);
	strv_free(v);
	get(m, "c", "10.88.0.4");	/* kept */
	get(m, "d", "10.88.0.5");	/* after the last, not b's */
	net_ipam_close(m);

	/* without the hint, still never one that is held */
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/ipam/.last", tmp);
		assert_int_equal(unlink(path), 0);
	}
	m = open_ipam("10.88.0.0/24");
	get(m, "e", "10.88.0.3");
	get(m, "f", "10.88.0.6");
	net_ipam_close(m);
}

static void
test_exhaust(void **state)
{
	/* 10.1.2.0/29: .0 network, .1 gateway, .7 broadcast: .2-.6 */
	struct net_ipam *m = open_ipam("10.1.2.0/29");
	const char *want[] = { "10.1.2.2", "10.1.2.3", "10.1.2.4",
	    "10.1.2.5", "10.1.2.6" };
	char owner[8], ip[16];
	struct err err;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(owner, sizeof(owner), "p%zu", i);
		get(m, owner, want[i]);
	}
	assert_int_equal(net_ipam_get(m, "more", ip, &err), -ENOSPC);
	assert_string_equal(err.msg, "pod CIDR 10.1.2.0/29 is exhausted (5 "
	    "pod addresses, all in use)");
	assert_int_equal(net_ipam_release(m, "p2", &err), 0);
	get(m, "more", "10.1.2.4");
	assert_int_equal(net_ipam_get(m, "again", ip, &err), -ENOSPC);
	net_ipam_close(m);
}

static void
test_cidr_change(void **state)
{
	struct net_ipam *m = open_ipam("10.88.0.0/24");
	char **v, path[128];
	struct err err;
	int fd;

	get(m, "a", "10.88.0.2");
	net_ipam_close(m);
	/* a torn allocation (empty file) and a stranger's file */
	snprintf(path, sizeof(path), "%s/ipam/10.77.0.9", tmp);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/ipam/README", tmp);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);

	m = open_ipam("10.77.0.0/24");	/* 10.88.0.2 is outside: released */
	assert_int_equal(net_ipam_owners(m, &v), 0);
	strv_free(v);
	snprintf(path, sizeof(path), "%s/ipam/10.88.0.2", tmp);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/ipam/10.77.0.9", tmp);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/ipam/README", tmp);
	assert_int_equal(access(path, F_OK), 0);
	get(m, "a", "10.77.0.2");
	net_ipam_close(m);

	assert_int_equal(net_ipam_open(&m, tmp, "10.0.0.0/31", &err), -EINVAL);
	assert_int_equal(net_ipam_open(&m, tmp, "10.0.0/24", &err), -EINVAL);
	assert_int_equal(net_ipam_open(&m, tmp, "10.0.0.0/7", &err), -EINVAL);
	assert_int_equal(net_ipam_open(&m, tmp, "10.0.0.0/x", &err), -EINVAL);
}

static void
test_reserve(void **state)
{
	struct net_ipam *m = open_ipam("10.96.0.0/16");
	struct err err;
	char ip[16];

	assert_int_equal(net_ipam_reserve(m, "ns/a", "10.96.0.10", &err), 0);
	assert_int_equal(net_ipam_reserve(m, "ns/a", "10.96.0.10", &err), 0);
	assert_int_equal(net_ipam_reserve(m, "ns/b", "10.96.0.10", &err),
	    -EEXIST);
	assert_string_equal(err.msg, "10.96.0.10 is already allocated");
	assert_int_equal(net_ipam_reserve(m, "ns/b", "10.97.0.1", &err),
	    -EINVAL);
	assert_int_equal(net_ipam_reserve(m, "ns/b", "10.96.0.1", &err),
	    -EINVAL);
	assert_int_equal(net_ipam_reserve(m, "ns/b", "10.96.0.1/24", &err),
	    -EINVAL);
	get(m, "ns/b", "10.96.0.2");
	/* b moves to an explicit address; its old one is freed */
	assert_int_equal(net_ipam_reserve(m, "ns/b", "10.96.0.3", &err), 0);
	assert_int_equal(net_ipam_lookup(m, "ns/b", ip), 0);
	assert_string_equal(ip, "10.96.0.3");
	get(m, "ns/c", "10.96.0.4");	/* next-fit skips the reserved */
	net_ipam_close(m);
	m = open_ipam("10.96.0.0/16");
	get(m, "ns/a", "10.96.0.10");
	get(m, "ns/b", "10.96.0.3");
	net_ipam_close(m);
}

static void
test_cidr_parse(void **state)
{
	uint32_t a;
	int p;

	assert_int_equal(net_cidr_parse("10.88.0.5/16", &a, &p), 0);
	assert_int_equal(a, 0x0a580005);
	assert_int_equal(p, 16);
	assert_int_equal(net_cidr_parse("1.2.3.4", &a, &p), 0);
	assert_int_equal(p, 32);
	assert_int_equal(net_cidr_parse("1.2.3.4/33", &a, &p), -EINVAL);
	assert_int_equal(net_cidr_parse("1.2.3.4/", &a, &p), -EINVAL);
	assert_int_equal(net_cidr_parse("1.2.3.4/-1", &a, &p), -EINVAL);
	assert_int_equal(net_cidr_parse("/8", &a, &p), -EINVAL);
	assert_int_equal(net_cidr_parse("::1/8", &a, &p), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cidr_change, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
		cmocka_unit_test(test_cidr_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
