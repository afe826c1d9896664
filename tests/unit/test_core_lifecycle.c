/*
 * Unit tests of core's pure state logic: kubelet's restart back-off, the
 * pod phase from container states, Kubernetes' command/args/env merge,
 * capabilities, and which manifest file names are read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/ctr_spec.h"
#include "core/expand.h"
#include "lib/util.h"

#define S(n) ((int64_t)(n) * 1000000000LL)

static void
backoff_kubelet_sequence(void **state)
{
	struct backoff b = { 0, 0 };
	int64_t t = S(1000);

	/* First failure: restart at once, arm 10 s. */
	assert_int_equal(backoff_wait(&b, t, t), 0);
	backoff_next(&b, t, t);
	assert_int_equal(b.delay, S(10));
	/* Crash again 1 s later: wait the remaining 10 s. */
	assert_int_equal(backoff_wait(&b, t + S(1), t + S(1)), S(10));
	assert_int_equal(backoff_wait(&b, t + S(6), t + S(1)), S(5));
	assert_int_equal(backoff_wait(&b, t + S(11), t + S(1)), 0);
	backoff_next(&b, t + S(11), t + S(1));
	assert_int_equal(b.delay, S(20));
	backoff_next(&b, t + S(40), t + S(32));
	assert_int_equal(b.delay, S(40));
}

static void
backoff_caps_at_300s(void **state)
{
	struct backoff b = { 0, 0 };
	int64_t t = S(5000);
	int i;

	for (i = 0; i < 10; i++)
		backoff_next(&b, t + S(i), t + S(i));
	assert_int_equal(b.delay, BACKOFF_MAX_NS);
}

static void
backoff_resets_after_ten_minutes(void **state)
{
	struct backoff b = { 0, 0 };
	int64_t t = S(100);

	backoff_next(&b, t, t);
	backoff_next(&b, t + S(10), t + S(5));
	assert_int_equal(b.delay, S(20));
	/* Ran for 11 minutes since the last restart: no waiting, 10 s. */
	assert_int_equal(backoff_wait(&b, t + S(671), t + S(670)), 0);
	backoff_next(&b, t + S(671), t + S(670));
	assert_int_equal(b.delay, S(10));
}

static void
set(struct ctr *c, enum ctr_state st, int code, bool last)
{
	memset(c, 0, sizeof(*c));
	c->state = st;
	c->term.set = st == CTR_TERMINATED;
	c->term.exit_code = code;
	c->last.set = last;
}

static void
phase_as_kubelet(void **state)
{
	struct ctr c[2];

	set(&c[0], CTR_WAITING, 0, false);
	assert_int_equal(pod_phase_of(CFG_RESTART_ALWAYS, c, 1),
	    PHASE_PENDING);
	set(&c[0], CTR_RUNNING, 0, false);
	assert_int_equal(pod_phase_of(CFG_RESTART_ALWAYS, c, 1),
	    PHASE_RUNNING);
	/* CrashLoopBackOff: waiting with a last state is "stopped". */
	set(&c[0], CTR_WAITING, 0, true);
	assert_int_equal(pod_phase_of(CFG_RESTART_ALWAYS, c, 1),
	    PHASE_RUNNING);
	set(&c[0], CTR_TERMINATED, 1, false);
	assert_int_equal(pod_phase_of(CFG_RESTART_NEVER, c, 1),
	    PHASE_FAILED);
	set(&c[0], CTR_TERMINATED, 0, false);
	assert_int_equal(pod_phase_of(CFG_RESTART_ON_FAILURE, c, 1),
	    PHASE_SUCCEEDED);
	set(&c[0], CTR_TERMINATED, 0, false);
	set(&c[1], CTR_RUNNING, 0, false);
	assert_int_equal(pod_phase_of(CFG_RESTART_NEVER, c, 2),
	    PHASE_RUNNING);
	set(&c[1], CTR_TERMINATED, 2, false);
	assert_int_equal(pod_phase_of(CFG_RESTART_NEVER, c, 2),
	    PHASE_FAILED);
	assert_int_equal(pod_phase_of(CFG_RESTART_ON_FAILURE, c, 2),
	    PHASE_RUNNING);
}

static char *ep[] = { "/docker-entrypoint.sh", NULL };
static char *cmd[] = { "nginx", "-g", "daemon off;", NULL };
static char *env[] = { "PATH=/opt/bin:/bin", "A=image", "B=b", NULL };

static void
join(char **v, char *out, size_t len)
{
	out[0] = '\0';
	for (; v != NULL && *v != NULL; v++) {
		strncat(out, *v, len - strlen(out) - 1);
		if (v[1] != NULL)
			strncat(out, "|", len - strlen(out) - 1);
	}
}

static void
argv_merge_as_kubernetes(void **state)
{
	struct store_image img = { .entrypoint = ep, .cmd = cmd };
	struct cfg_container c;
	char *kcmd[] = { "sh", "-c", NULL }, *kargs[] = { "echo hi", NULL };
	char **argv, out[256];
	struct err err;

	memset(&c, 0, sizeof(c));
	assert_int_equal(ctr_argv(&c, &img, NULL, &argv, &err), 0);
	join(argv, out, sizeof(out));
	assert_string_equal(out, "/docker-entrypoint.sh|nginx|-g|daemon off;");
	strv_free(argv);
	c.args = kargs;		/* args replace Cmd, keep Entrypoint */
	assert_int_equal(ctr_argv(&c, &img, NULL, &argv, &err), 0);
	join(argv, out, sizeof(out));
	assert_string_equal(out, "/docker-entrypoint.sh|echo hi");
	strv_free(argv);
	c.command = kcmd;	/* command replaces both */
	assert_int_equal(ctr_argv(&c, &img, NULL, &argv, &err), 0);
	join(argv, out, sizeof(out));
	assert_string_equal(out, "sh|-c|echo hi");
	strv_free(argv);
	c.args = NULL;
	assert_int_equal(ctr_argv(&c, &img, NULL, &argv, &err), 0);
	join(argv, out, sizeof(out));
	assert_string_equal(out, "sh|-c");
	strv_free(argv);
	memset(&img, 0, sizeof(img));
	c.command = NULL;
	assert_int_equal(ctr_argv(&c, &img, NULL, &argv, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no command"));
}

static struct ctr_ctx
ctx(struct cfg_pod *pod)
{
	struct ctr_ctx x = { .pod = pod, .uid = "u-1", .node_name = "pi",
	    .pod_ip = "", .host_ip = "192.0.2.7", .node_cpu = 4000,
	    .node_mem = 1 << 30 };

	return x;
}

static void
env_merge(void **state)
{
	struct store_image img = { .env = env };
	struct cfg_env ce[2] = {
		{ .name = "A", .value = "pod", .src = CFG_ENV_VALUE },
		{ .name = "C", .value = "", .src = CFG_ENV_VALUE },
	};
	struct cfg_container c;
	struct cfg_pod pod;
	struct ctr_ctx x;
	struct err err;
	char **cenv, **e, out[512], reason[64];

	memset(&c, 0, sizeof(c));
	memset(&pod, 0, sizeof(pod));
	x = ctx(&pod);
	c.env = ce;
	c.nenv = 2;
	assert_int_equal(ctr_env_resolve(&x, &c, &cenv, reason,
	    sizeof(reason), &err), 0);
	e = ctr_env_final(cenv, NULL, &img, "web");
	join(e, out, sizeof(out));
	assert_string_equal(out, "PATH=/opt/bin:/bin|HOSTNAME=web|A=pod|B=b|C=");
	strv_free(e);
	strv_free(cenv);
}

static const char *
lookup_ab(void *arg, const char *name, size_t n)
{
	if (n == 1 && name[0] == 'A')
		return "a";
	if (n == 2 && memcmp(name, "BB", 2) == 0)
		return "$(A)";
	return NULL;
}

static void
expansion_rules(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "$(A)", "a" },
		{ "x$(A)y$(A)", "xaya" },
		{ "$(BB)", "$(A)" },		/* no recursion */
		{ "$(NOPE)", "$(NOPE)" },	/* undefined stays */
		{ "$$(A)", "$(A)" },		/* escaped */
		{ "$$", "$" },
		{ "$A", "$A" },
		{ "$(A", "$(A" },		/* unclosed */
		{ "100$", "100$" },
		{ "", "" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		char *o = expand_vars(t[i].in, lookup_ab, NULL);

		assert_string_equal(o, t[i].out);
		free(o);
	}
}

static void
env_in_order_and_downward_api(void **state)
{
	struct cfg_kv lab = { "app", "web" };
	struct cfg_env ce[] = {
		{ .name = "POD", .src = CFG_ENV_FIELD,
		  .ref_key = "metadata.name" },
		{ .name = "GREETING", .value = "hi $(POD) $(LATER) $$(POD)",
		  .src = CFG_ENV_VALUE },
		{ .name = "LATER", .value = "x", .src = CFG_ENV_VALUE },
		{ .name = "APP", .src = CFG_ENV_FIELD,
		  .ref_key = "metadata.labels['app']" },
		{ .name = "HOST", .src = CFG_ENV_FIELD,
		  .ref_key = "status.hostIP" },
		{ .name = "MEM", .src = CFG_ENV_RESOURCE,
		  .ref_key = "limits.memory", .divisor = "1Mi" },
		{ .name = "CPU", .src = CFG_ENV_RESOURCE,
		  .ref_key = "limits.cpu" },
		{ .name = "CPUREQ", .src = CFG_ENV_RESOURCE,
		  .ref_key = "requests.cpu", .divisor = "1m" },
	};
	char *kcmd[] = { "echo", "$(GREETING)", NULL };
	struct store_image img = { 0 };
	struct cfg_container c;
	struct cfg_pod pod;
	struct ctr_ctx x;
	struct err err;
	char **cenv, **argv, out[1024], reason[64];

	memset(&pod, 0, sizeof(pod));
	pod.meta.name = "web-1";
	pod.meta.labels.v = &lab;
	pod.meta.labels.n = 1;
	memset(&c, 0, sizeof(c));
	c.name = "main";
	c.env = ce;
	c.nenv = ARRAY_SIZE(ce);
	c.res.cpu_limit = 1500;
	c.res.cpu_request = 250;
	c.res.mem_limit = 64 << 20;
	c.command = kcmd;
	x = ctx(&pod);
	assert_int_equal(ctr_env_resolve(&x, &c, &cenv, reason,
	    sizeof(reason), &err), 0);
	join(cenv, out, sizeof(out));
	assert_string_equal(out, "POD=web-1|GREETING=hi web-1 $(LATER) "
	    "$(POD)|LATER=x|APP=web|HOST=192.0.2.7|MEM=64|CPU=2|CPUREQ=250");
	assert_int_equal(ctr_argv(&c, &img, cenv, &argv, &err), 0);
	join(argv, out, sizeof(out));
	assert_string_equal(out, "echo|hi web-1 $(LATER) $(POD)");
	strv_free(argv);
	strv_free(cenv);
}

static void
env_missing_configmap(void **state)
{
	struct cfg_env ce[] = {
		{ .name = "A", .src = CFG_ENV_CONFIGMAP, .ref_name = "cfg",
		  .ref_key = "k" },
	};
	struct cfg_container c;
	struct cfg_pod pod;
	struct ctr_ctx x;
	struct err err;
	char **cenv = NULL, reason[64];

	memset(&pod, 0, sizeof(pod));
	memset(&c, 0, sizeof(c));
	c.env = ce;
	c.nenv = 1;
	x = ctx(&pod);
	assert_int_equal(ctr_env_resolve(&x, &c, &cenv, reason,
	    sizeof(reason), &err), -ENOENT);
	assert_string_equal(reason, "CreateContainerConfigError");
	assert_string_equal(err.msg, "configmap \"cfg\" not found");
	ce[0].optional = true;
	assert_int_equal(ctr_env_resolve(&x, &c, &cenv, reason,
	    sizeof(reason), &err), 0);
	assert_null(cenv);
}

static void
caps_add_drop(void **state)
{
	char *drop_all[] = { "ALL", NULL }, *add[] = { "NET_ADMIN", NULL };
	char *drop[] = { "CHOWN", NULL };
	struct cfg_security s;
	int net_admin = rt_cap_from_name("NET_ADMIN");
	int chown_ = rt_cap_from_name("CHOWN");

	memset(&s, 0, sizeof(s));
	s.privileged = -1;
	assert_int_equal(ctr_caps(&s), rt_caps_default());
	s.cap_drop = drop;
	assert_false(ctr_caps(&s) & (1ULL << chown_));
	s.cap_drop = drop_all;
	s.cap_add = add;
	assert_int_equal(ctr_caps(&s), 1ULL << net_admin);
	s.privileged = 1;
	assert_int_equal(ctr_caps(&s), rt_caps_all());
}

static void
manifest_names(void **state)
{
	assert_true(mdir_wanted("pod.yaml"));
	assert_true(mdir_wanted("pod.yml"));
	assert_true(mdir_wanted("pod.json"));
	assert_false(mdir_wanted(".pod.yaml.swp"));
	assert_false(mdir_wanted(".pod.yaml"));
	assert_false(mdir_wanted("pod.yaml~"));
	assert_false(mdir_wanted("#pod.yaml#"));
	assert_false(mdir_wanted("4913"));
	assert_false(mdir_wanted("pod.txt"));
	assert_false(mdir_wanted(".yaml"));
}

static void
events_fold_and_ring(void **state)
{
	static struct events ev;
	const struct event *e;
	int i;

	memset(&ev, 0, sizeof(ev));
	events_add(&ev, true, "Pod", "default", "a", "u1", "", "BackOff",
	    "Back-off %d", 1);
	events_add(&ev, true, "Pod", "default", "a", "u1", "", "BackOff",
	    "Back-off %d", 1);
	assert_int_equal(ev.n, 1);
	e = events_at(&ev, 0);
	assert_int_equal(e->count, 2);
	for (i = 0; i < EVENTS_MAX + 10; i++)
		events_add(&ev, false, "Pod", "default", "b", "u2", "",
		    "Started", "n=%d", i);
	assert_int_equal(ev.n, EVENTS_MAX);
	e = events_at(&ev, EVENTS_MAX - 1);
	assert_string_equal(e->message, "n=521");
	assert_null(events_at(&ev, EVENTS_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_kubelet_sequence),
		cmocka_unit_test(backoff_caps_at_300s),
		cmocka_unit_test(backoff_resets_after_ten_minutes),
		cmocka_unit_test(phase_as_kubelet),
		cmocka_unit_test(argv_merge_as_kubernetes),
		cmocka_unit_test(env_merge),
		cmocka_unit_test(expansion_rules),
		cmocka_unit_test(env_in_order_and_downward_api),
		cmocka_unit_test(env_missing_configmap),
		cmocka_unit_test(caps_add_drop),
		cmocka_unit_test(manifest_names),
		cmocka_unit_test(events_fold_and_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
