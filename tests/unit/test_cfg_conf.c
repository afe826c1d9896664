/* Unit tests for cfg/conf.c: defaults, every key, comments, errors with
 * the right line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg/cfg.h"

static char path[64];

static int
load(const char *text, struct cfg_conf *c, struct err *e)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_cfg_conf.%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	cfg_conf_defaults(c);
	return cfg_conf_load(c, path, e);
}

static int
teardown(void **state)
{
	unlink(path);
	return 0;
}

static void
test_defaults(void **state)
{
	struct cfg_conf c;
	struct err e;

	cfg_conf_defaults(&c);
	assert_string_equal(c.manifests, "/etc/manifests");
	assert_string_equal(c.state, "/var/lib/picolet");
	assert_string_equal(c.run, "/run/picolet");
	assert_string_equal(c.logs, "/var/log/pods");
	assert_string_equal(c.shim, "");
	assert_string_equal(c.cgroup, "picolet");
	assert_string_equal(c.socket, "/run/picolet/picolet.sock");
	assert_string_equal(c.listen, "");
	assert_string_equal(c.bridge, "pico0");
	assert_string_equal(c.pod_cidr, "10.88.0.0/16");
	assert_string_equal(c.service_cidr, "10.96.0.0/16");
	assert_int_equal(c.nodeport_min, 30000);
	assert_int_equal(c.nodeport_max, 32767);
	assert_string_equal(c.node_name, "");
	assert_int_equal(c.pids, 1024);
	assert_int_equal(c.log_max_size, 10 << 20);
	assert_int_equal(c.log_max_files, 5);
	assert_false(c.drain);
	assert_int_equal(c.debounce_ms, 100);
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.gc_high, 85);
	assert_int_equal(c.gc_low, 80);
	assert_int_equal(c.gc_min_age, 120);
	assert_int_equal(cfg_conf_load(&c, "/nonexistent/picolet.conf", &e),
	    -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/picolet.conf"));
	assert_int_equal(cfg_conf_load(&c, "/tmp", &e), -EISDIR);
	assert_string_equal(e.msg, "read /tmp: Is a directory");
	/* the file and every key are optional */
	assert_int_equal(load("", &c, &e), 0);
	assert_string_equal(c.bridge, "pico0");
}

static void
test_all_keys(void **state)
{
	struct cfg_conf c;
	struct err e;

	assert_int_equal(load(
	    "; picolet\n"
	    "[paths]\n"
	    "manifests = /m   ; inline comment\n"
	    "state = /s # hash comment\n"
	    "run = /r\n"
	    "logs = /l\n"
	    "shim = /usr/libexec/picolet-shim\n"
	    "[api]\n"
	    "socket = /run/x.sock   ; mode 0600\n"
	    "listen = 127.0.0.1:10250 # on\n"
	    "[network]\n"
	    "bridge = br9\n"
	    "pod_cidr = 10.1.0.0/16\n"
	    "service_cidr = 10.2.0.0/24\n"
	    "nodeport_range = 31000-31010\n"
	    "[node]\n"
	    "name = pi-1\n"
	    "labels = zone=a,example.com/role=edge\n"
	    "[limits]\n"
	    "pids = 200\n"
	    "log_max_size = 1Mi\n"
	    "log_max_files = 3\n"
	    "[agent]\n"
	    "drain = yes\n"
	    "debounce_ms = 50\n"
	    "log_level = debug\n"
	    "[volumes]\n"
	    "reclaim = Delete\n"
	    "[images]\n"
	    "gc_high = 90\n"
	    "gc_low = 70\n"
	    "gc_min_age = 0\n"
	    "preload = /boot/firmware/images\n", &c, &e), 0);
	assert_string_equal(c.preload, "/boot/firmware/images");
	assert_int_equal(c.gc_high, 90);
	assert_int_equal(c.gc_low, 70);
	assert_int_equal(c.gc_min_age, 0);
	assert_string_equal(c.manifests, "/m");
	assert_string_equal(c.state, "/s");
	assert_string_equal(c.run, "/r");
	assert_string_equal(c.logs, "/l");
	assert_string_equal(c.shim, "/usr/libexec/picolet-shim");
	assert_string_equal(c.socket, "/run/x.sock");
	assert_string_equal(c.listen, "127.0.0.1:10250");
	assert_string_equal(c.bridge, "br9");
	assert_string_equal(c.pod_cidr, "10.1.0.0/16");
	assert_string_equal(c.service_cidr, "10.2.0.0/24");
	assert_int_equal(c.nodeport_min, 31000);
	assert_int_equal(c.nodeport_max, 31010);
	assert_string_equal(c.node_name, "pi-1");
	assert_string_equal(c.node_labels, "zone=a,example.com/role=edge");
	assert_int_equal(c.pids, 200);
	assert_int_equal(c.log_max_size, 1 << 20);
	assert_int_equal(c.log_max_files, 3);
	assert_true(c.drain);
	assert_int_equal(c.debounce_ms, 50);
	assert_string_equal(c.log_level, "debug");
	assert_true(c.reclaim_delete);
}

static void
expect_err(const char *text, int line, const char *msg)
{
	struct cfg_conf c;
	struct err e;
	char want[600];

	assert_int_equal(load(text, &c, &e), -EINVAL);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	if (strncmp(e.msg, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want prefix \"%s\"", e.msg, want);
	/* a failed load leaves the config as it was */
	assert_string_equal(c.manifests, "/etc/manifests");
}

static void
test_errors(void **state)
{
	expect_err("[paths]\nmanifests = /x\nbogus = 1\n", 3,
	    "[paths] bogus: unknown key");
	expect_err("\n[nope]\nkey = 1\n", 3, "[nope] key: unknown section");
	expect_err("[paths]\nstate = relative/dir\n", 2,
	    "[paths] state: must be an absolute path");
	expect_err("[network]\npod_cidr = 10.88.0.0/33\n", 2,
	    "[network] pod_cidr: expected an IPv4 CIDR");
	expect_err("[network]\npod_cidr = 10.88.0.1/16\n", 2,
	    "[network] pod_cidr: host bits set");
	expect_err("[network]\nservice_cidr = 300.0.0.0/8\n", 2,
	    "[network] service_cidr: expected an IPv4 CIDR");
	expect_err("[network]\nnodeport_range = 32767-30000\n", 2,
	    "[network] nodeport_range: expected a port range");
	expect_err("[node]\nlabels = a=b,=c\n", 2, "[node] labels: ");
	expect_err("[node]\nlabels = nolabel\n", 2,
	    "[node] labels: expected k=v,k2=v2");
	expect_err("[node]\nname = Bad_Name\n", 2, "[node] name: ");
	expect_err("[limits]\npids = lots\n", 2, "[limits] pids: expected");
	expect_err("[limits]\nlog_max_size = 10Mb\n", 2,
	    "[limits] log_max_size: expected a size");
	expect_err("[api]\nlisten = 10250\n", 2, "[api] listen: expected");
	expect_err("[api]\nlisten = host:99999\n", 2, "[api] listen: "
	    "expected");
	expect_err("[agent]\ndrain = maybe\n", 2, "[agent] drain: expected");
	expect_err("[images]\npreload = images\n", 2,
	    "[images] preload: expected an absolute path");
	expect_err("[volumes]\nreclaim = Recycle\n", 2,
	    "[volumes] reclaim: expected Retain or Delete");
	expect_err("[agent]\nlog_level = trace\n", 2,
	    "[agent] log_level: expected debug");
	expect_err("[images]\ngc_high = 101\n", 2, "[images] gc_high: "
	    "expected");
	/* the pair is checked once the file is read */
	{
		struct cfg_conf c;
		struct err e;

		assert_int_equal(load("[images]\ngc_high = 50\ngc_low = 60\n",
		    &c, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "gc_low (60) is above gc_high"));
	}
	/* a syntax error before a bad key: the first one is reported */
	expect_err("[paths]\nthis is not ini\nbogus = 1\n", 2,
	    "syntax error");
	expect_err("[paths]\nbogus = 1\nthis is not ini\n", 2,
	    "[paths] bogus: unknown key");
	expect_err("key_before_section = 1\n", 1, "[] key_before_section");
	/* inih's buffer is 200 bytes: a longer line is refused, not cut */
	{
		char text[400];

		snprintf(text, sizeof(text), "[node]\nname = n\nlabels = %0*d"
		    "\n", 250, 0);
		memcpy(text + 23, "=v", 2);
		expect_err(text, 3, "line longer than 198 bytes");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),
		cmocka_unit_test_teardown(test_all_keys, teardown),
		cmocka_unit_test_teardown(test_errors, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
