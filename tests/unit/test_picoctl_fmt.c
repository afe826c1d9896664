/* Unit tests for picoctl's pure formatting: kubectl's pod STATUS, READY
 * and RESTARTS columns, HumanDuration, the tabwriter, JSON and YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tools/picoctl_fmt.c"
#include "tools/picoctl_print.c"

#define NOW 1700000000		/* 2023-11-14T22:13:20Z */

static struct json *
parse(const char *s)
{
	struct json *j = NULL;
	struct err err;

	if (json_parse(s, strlen(s), &j, &err) < 0)
		fail_msg("bad sample: %s", err.msg);
	return j;
}

struct podcase {
	const char *name, *json, *status, *ready, *restarts;
};

#define C(x) "{\"name\":\"" x "\"}"
static const struct podcase pods[] = {
	{ "running", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"a\","
	    "\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}}",
	    "Running", "1/1", "0" },
	{ "crashloop", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"a\","
	    "\"ready\":false,\"restartCount\":4,\"state\":{\"waiting\":{"
	    "\"reason\":\"CrashLoopBackOff\"}},\"lastState\":{\"terminated\":{"
	    "\"exitCode\":1,\"reason\":\"Error\",\"finishedAt\":"
	    "\"2023-11-14T22:12:15Z\"}}}]}}",
	    "CrashLoopBackOff", "0/1", "4 (65s ago)" },
	{ "completed", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Succeeded\",\"containerStatuses\":[{\"name\":\"a\","
	    "\"ready\":false,\"restartCount\":0,\"state\":{\"terminated\":{"
	    "\"exitCode\":0,\"reason\":\"Completed\"}}}]}}",
	    "Completed", "0/1", "0" },
	{ "oomkilled", "{\"spec\":{\"containers\":[" C("a") "," C("b") "]},"
	    "\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
	    "{\"name\":\"a\",\"ready\":false,\"restartCount\":1,\"state\":{"
	    "\"terminated\":{\"exitCode\":137,\"reason\":\"OOMKilled\"}}},"
	    "{\"name\":\"b\",\"ready\":true,\"restartCount\":0,\"state\":{"
	    "\"running\":{}}}]}}",
	    "OOMKilled", "1/2", "1" },
	{ "exitcode", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"a\","
	    "\"state\":{\"terminated\":{\"exitCode\":3}}}]}}",
	    "ExitCode:3", "0/1", "0" },
	{ "signal", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Failed\",\"containerStatuses\":[{\"name\":\"a\","
	    "\"state\":{\"terminated\":{\"exitCode\":143,\"signal\":15}}}]}}",
	    "Signal:15", "0/1", "0" },
	{ "neverpull", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"a\","
	    "\"state\":{\"waiting\":{\"reason\":\"ErrImageNeverPull\"}}}]}}",
	    "ErrImageNeverPull", "0/1", "0" },
	{ "init0of1", "{\"spec\":{\"initContainers\":[" C("i") "],"
	    "\"containers\":[" C("a") "]},\"status\":{\"phase\":\"Pending\","
	    "\"initContainerStatuses\":[{\"name\":\"i\",\"state\":{\"running\""
	    ":{}}}],\"containerStatuses\":[{\"name\":\"a\",\"state\":{"
	    "\"waiting\":{\"reason\":\"PodInitializing\"}}}]}}",
	    "Init:0/1", "0/1", "0" },
	{ "init1of2", "{\"spec\":{\"initContainers\":[" C("i") "," C("j") "],"
	    "\"containers\":[" C("a") "]},\"status\":{\"phase\":\"Pending\","
	    "\"initContainerStatuses\":[{\"name\":\"i\",\"state\":{"
	    "\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}},"
	    "{\"name\":\"j\",\"state\":{\"waiting\":{\"reason\":"
	    "\"PodInitializing\"}}}]}}",
	    "Init:1/2", "0/1", "0" },
	{ "initerror", "{\"spec\":{\"initContainers\":[" C("i") "],"
	    "\"containers\":[" C("a") "]},\"status\":{\"phase\":\"Pending\","
	    "\"initContainerStatuses\":[{\"name\":\"i\",\"restartCount\":2,"
	    "\"state\":{\"terminated\":{\"exitCode\":1,\"reason\":\"Error\"}}"
	    "}]}}",
	    "Init:Error", "0/1", "2" },
	{ "initexit", "{\"spec\":{\"initContainers\":[" C("i") "],"
	    "\"containers\":[" C("a") "]},\"status\":{\"phase\":\"Pending\","
	    "\"initContainerStatuses\":[{\"name\":\"i\",\"state\":{"
	    "\"terminated\":{\"exitCode\":2}}}]}}",
	    "Init:ExitCode:2", "0/1", "0" },
	{ "initsignal", "{\"spec\":{\"initContainers\":[" C("i") "],"
	    "\"containers\":[" C("a") "]},\"status\":{\"phase\":\"Pending\","
	    "\"initContainerStatuses\":[{\"name\":\"i\",\"state\":{"
	    "\"terminated\":{\"exitCode\":137,\"signal\":9}}}]}}",
	    "Init:Signal:9", "0/1", "0" },
	{ "initbackoff", "{\"spec\":{\"initContainers\":[" C("i") "],"
	    "\"containers\":[" C("a") "]},\"status\":{\"phase\":\"Pending\","
	    "\"initContainerStatuses\":[{\"name\":\"i\",\"state\":{"
	    "\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}",
	    "Init:CrashLoopBackOff", "0/1", "0" },
	{ "terminating", "{\"metadata\":{\"deletionTimestamp\":"
	    "\"2023-11-14T22:13:00Z\"},\"spec\":{\"containers\":[" C("a")
	    "]},\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{"
	    "\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}}]}}",
	    "Terminating", "1/1", "0" },
	{ "notready", "{\"spec\":{\"containers\":[" C("a") "," C("b") "]},"
	    "\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
	    "{\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}},"
	    "{\"name\":\"b\",\"state\":{\"terminated\":{\"exitCode\":0,"
	    "\"reason\":\"Completed\"}}}]}}",
	    "NotReady", "1/2", "0" },
	{ "completed-running", "{\"spec\":{\"containers\":[" C("a") "," C("b")
	    "]},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
	    "\"Ready\",\"status\":\"True\"}],\"containerStatuses\":["
	    "{\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}},"
	    "{\"name\":\"b\",\"state\":{\"terminated\":{\"exitCode\":0,"
	    "\"reason\":\"Completed\"}}}]}}",
	    "Running", "1/2", "0" },
	{ "sidecar", "{\"spec\":{\"initContainers\":[{\"name\":\"s\","
	    "\"restartPolicy\":\"Always\"}],\"containers\":[" C("a") "]},"
	    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
	    "\"Initialized\",\"status\":\"True\"}],\"initContainerStatuses\":"
	    "[{\"name\":\"s\",\"started\":true,\"ready\":true,\"restartCount\""
	    ":1,\"state\":{\"running\":{}}}],\"containerStatuses\":[{"
	    "\"name\":\"a\",\"ready\":true,\"state\":{\"running\":{}}}]}}",
	    "Running", "2/2", "1" },
	{ "evicted", "{\"spec\":{\"containers\":[" C("a") "]},\"status\":{"
	    "\"phase\":\"Failed\",\"reason\":\"Evicted\"}}",
	    "Evicted", "0/1", "0" },
};

static void
test_pod_columns(void **state)
{
	char st[128], rd[32], rs[64];
	struct json *j;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pods); i++) {
		j = parse(pods[i].json);
		fmt_pod_status(j, st, sizeof(st));
		fmt_pod_ready(j, rd, sizeof(rd));
		fmt_pod_restarts(j, NOW, rs, sizeof(rs));
		if (strcmp(st, pods[i].status) || strcmp(rd, pods[i].ready) ||
		    strcmp(rs, pods[i].restarts))
			fail_msg("%s: got %s %s %s, want %s %s %s",
			    pods[i].name, st, rd, rs, pods[i].status,
			    pods[i].ready, pods[i].restarts);
		json_free(j);
	}
}

static void
test_human_duration(void **state)
{
	static const struct {
		int64_t s;
		const char *want;
	} t[] = {
		{ -5, "<invalid>" }, { -1, "0s" }, { 0, "0s" }, { 5, "5s" },
		{ 119, "119s" }, { 120, "2m" }, { 130, "2m10s" },
		{ 599, "9m59s" }, { 600, "10m" }, { 10799, "179m" },
		{ 10800, "3h" }, { 12000, "3h20m" }, { 28799, "7h59m" },
		{ 28800, "8h" }, { 47 * 3600, "47h" }, { 48 * 3600, "2d" },
		{ 53 * 3600, "2d5h" }, { 8 * 86400, "8d" },
		{ 45 * 86400, "45d" }, { 729 * 86400, "729d" },
		{ 730 * 86400, "2y" }, { 740 * 86400, "2y10d" },
		{ 8 * 365 * 86400LL, "8y" }, { 9 * 365 * 86400LL + 5, "9y" },
	};
	char out[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		fmt_human_duration(t[i].s, out, sizeof(out));
		if (strcmp(out, t[i].want) != 0)
			fail_msg("%lld: got %s, want %s", (long long)t[i].s,
			    out, t[i].want);
	}
	assert_int_equal(fmt_parse_time("2023-11-14T22:13:20Z"), NOW);
	assert_int_equal(fmt_parse_time("2023-11-14T22:13:20.5Z"), NOW);
	assert_int_equal(fmt_parse_time("junk"), 0);
	fmt_since(NULL, NOW, out, sizeof(out));
	assert_string_equal(out, "<unknown>");
	fmt_since("2023-11-14T22:11:10Z", NOW, out, sizeof(out));
	assert_string_equal(out, "2m10s");
}

static void
tab(const char *in, int minw, int pad, const char *want)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	fmt_tabwrite(in, minw, pad, &b);
	assert_string_equal(b.p ? b.p : "", want);
	buf_free(&b);
}

static void
test_tabwriter(void **state)
{
	tab("NAME\tREADY\tSTATUS\nweb\t1/1\tRunning\nlonger-name\t0/1\tX\n",
	    6, 3,
	    "NAME          READY   STATUS\n"
	    "web           1/1     Running\n"
	    "longer-name   0/1     X\n");
	/* a line without a tab ends the column block */
	tab("Name:\tx\nLonger key:\ty\nIPs:\n  IP:\tz\nK:\tv\n", 0, 2,
	    "Name:        x\nLonger key:  y\nIPs:\n  IP:  z\nK:     v\n");
	/* widths count characters, not bytes */
	tab("\xc3\xa9\xc3\xa9\tb\nx\tc\n", 0, 1, "\xc3\xa9\xc3\xa9 b\nx  c\n");
	tab("", 6, 3, "");
}

static void
doc(const char *json, bool yaml, const char *want)
{
	struct json *j = parse(json);
	struct buf b;

	buf_init(&b, 1 << 20);
	if (yaml)
		fmt_yaml(j, &b);
	else
		fmt_json(j, &b);
	assert_string_equal(b.p, want);
	buf_free(&b);
	json_free(j);
}

static void
test_json(void **state)
{
	doc("{\"b\":[1,2],\"a\":{\"x\":\"<&>\"},\"e\":{},\"f\":[],"
	    "\"n\":null,\"t\":true,\"d\":1.5}", false,
	    "{\n"
	    "    \"a\": {\n"
	    "        \"x\": \"\\u003c\\u0026\\u003e\"\n"
	    "    },\n"
	    "    \"b\": [\n"
	    "        1,\n"
	    "        2\n"
	    "    ],\n"
	    "    \"d\": 1.5,\n"
	    "    \"e\": {},\n"
	    "    \"f\": [],\n"
	    "    \"n\": null,\n"
	    "    \"t\": true\n"
	    "}\n");
}

static void
test_yaml(void **state)
{
	doc("{\"kind\":\"Pod\",\"metadata\":{\"labels\":{\"app\":\"web\"},"
	    "\"creationTimestamp\":\"2023-11-14T22:13:20Z\"},\"spec\":{"
	    "\"containers\":[{\"name\":\"a\",\"args\":[\"-c\",\"echo hi\"],"
	    "\"ports\":[]}]},\"items\":[[1,2],{}],\"x\":null}", true,
	    "items:\n"
	    "- - 1\n"
	    "  - 2\n"
	    "- {}\n"
	    "kind: Pod\n"
	    "metadata:\n"
	    "  creationTimestamp: \"2023-11-14T22:13:20Z\"\n"
	    "  labels:\n"
	    "    app: web\n"
	    "spec:\n"
	    "  containers:\n"
	    "  - args:\n"
	    "    - -c\n"
	    "    - echo hi\n"
	    "    name: a\n"
	    "    ports: []\n"
	    "x: null\n");
	doc("[\"true\",\"123\",\"\",\"a: b\",\"- x\",\"*x\",\"it's\",\"#x\","
	    "\"a #b\",\"1.5\",\"0x1f\",\"yes\",\"~\",\"1:20\",\"x:y\","
	    "\"tab\\there\",\" lead\",\"'q'\",\"plain text\",\"-x\"]", true,
	    "- \"true\"\n- \"123\"\n- \"\"\n- 'a: b'\n- '- x'\n- '*x'\n"
	    "- it's\n- '#x'\n- 'a #b'\n- \"1.5\"\n- \"0x1f\"\n- \"yes\"\n"
	    "- \"~\"\n- \"1:20\"\n- x:y\n- \"tab\\there\"\n- ' lead'\n"
	    "- '''q'''\n- plain text\n- -x\n");
	/* long strings fold at a space past column 80, as libyaml does */
	doc("{\"status\":{\"message\":\"Back-off restarting failed container "
	    "side in pod hello_default(06579129-27b5-44c0-905d-338f7d3ad4b7) "
	    "and more words here\",\"q\":\"it's a very long single quoted "
	    "string: with a colon and more text to push it past the eighty "
	    "column limit ok\"}}", true,
	    "status:\n"
	    "  message: Back-off restarting failed container side in pod "
	    "hello_default(06579129-27b5-44c0-905d-338f7d3ad4b7)\n"
	    "    and more words here\n"
	    "  q: 'it''s a very long single quoted string: with a colon and "
	    "more text to push it\n"
	    "    past the eighty column limit ok'\n");
	doc("{\"a\":{\"m\":\"line1\\nline2\\n\",\"s\":\"one\\ntwo\"}}", true,
	    "a:\n  m: |\n    line1\n    line2\n  s: |-\n    one\n    two\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pod_columns),
		cmocka_unit_test(test_human_duration),
		cmocka_unit_test(test_tabwriter),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_yaml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
