/*
 * A pull against a real registry, driven by tests/system/test_pull.sh;
 * without PICOLET_REGISTRY_URL it only checks that a bad ref fails at
 * once and that cancel frees a pull that never ran.  Env:
 *   PICOLET_REGISTRY_URL   the ref to pull ("127.0.0.1:5000/busybox:1")
 *   PICOLET_PULL_STATE     the state dir of the store (created)
 *   PICOLET_PULL_EXPECT    a substring of the expected error; unset: ok
 *   PICOLET_PULL_CA        extra CA file for the ref's registry
 *   PICOLET_PULL_INSECURE  "1": the registry is insecure
 *   PICOLET_PULL_AUTH      a docker config.json (the node-wide file)
 *   PICOLET_PULL_SECRET    a dockerconfigjson blob (an imagePullSecret)
 *   PICOLET_PULL_MIRROR    a mirror URL for the ref's registry
 *   PICOLET_PULL_AGAIN     set: a failed pull is tried once more
 *   PICOLET_PULL_ALSO      another ref (same registry) pulled at the same
 *                          time on the same loop, to succeed too
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ev.h>

#include "lib/util.h"
#include "net/net.h"
#include "store/store.h"

struct result {
	int calls, error;
	char msg[600];
};

static void
done(struct store_pull *p, int error, const char *msg, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->error = error;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
}

static void
test_offline(void **state)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct store_pull_opts o = { .ref = "Bad Ref" };
	struct store_pull *p = NULL;
	struct store *s;
	struct result r = { 0 };
	struct err err;
	char dir[] = "/tmp/picolet-pull-XXXXXX";

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(&s, dir, &err), 0);
	assert_int_equal(store_pull_start(loop, s, &o, done, &r, &p, &err),
	    -EINVAL);
	o.ref = "127.0.0.1:1/x:1";
	assert_int_equal(store_pull_start(loop, s, &o, done, &r, &p, &err), 0);
	assert_string_equal(store_pull_ref(p), "127.0.0.1:1/x:1");
	store_pull_cancel(p);
	ev_run(loop, 0);
	assert_int_equal(r.calls, 0);
	/* a refused connection is an error, reported once from the loop */
	assert_int_equal(store_pull_start(loop, s, &o, done, &r, &p, &err), 0);
	store_pull_wait(p, done, &r);
	assert_int_equal(r.calls, 0);
	ev_run(loop, 0);
	assert_int_equal(r.calls, 2);
	assert_true(r.error < 0);
	store_close(s);
	assert_int_equal(rm_rf(dir, &err), 0);
	ev_loop_destroy(loop);
}

static void
resolved(int error, const char *addr, const struct err *err, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->error = error;
	snprintf(r->msg, sizeof(r->msg), "%s", error == 0 ? addr : err->msg);
}

static void
test_resolve(void **state)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct net_resolve *q;
	struct result r = { 0 };
	struct err err;

	assert_int_equal(net_resolve_start(loop, "localhost", 5000, resolved,
	    &r, &q, &err), 0);
	assert_int_equal(r.calls, 0);
	ev_run(loop, 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.error, 0);
	assert_true(strcmp(r.msg, "127.0.0.1") == 0 ||
	    strcmp(r.msg, "::1") == 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(net_resolve_start(loop, "no-such-host.invalid", 3000,
	    resolved, &r, &q, &err), 0);
	ev_run(loop, 0);
	assert_int_equal(r.calls, 1);
	assert_true(r.error == -ENOENT || r.error == -ETIMEDOUT);
	assert_non_null(strstr(r.msg, "no-such-host.invalid"));
	memset(&r, 0, sizeof(r));
	assert_int_equal(net_resolve_start(loop, "localhost", 5000, resolved,
	    &r, &q, &err), 0);
	net_resolve_cancel(q);
	ev_run(loop, 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(net_resolve_start(loop, "", 0, resolved, &r, &q,
	    &err), -EINVAL);
	ev_loop_destroy(loop);
}

static void
test_pull(void **state)
{
	const char *ref = getenv("PICOLET_REGISTRY_URL");
	const char *expect = getenv("PICOLET_PULL_EXPECT");
	const char *ins = getenv("PICOLET_PULL_INSECURE");
	const char *also = getenv("PICOLET_PULL_ALSO");
	struct ev_loop *loop;
	struct store_registry_conf rc;
	struct store_pull_opts o, o2;
	struct store_image *img;
	struct store_pull *p, *p2;
	struct store *s;
	struct result r = { 0 }, r2 = { 0 };
	struct err err;
	char host[256];
	int64_t d, t;

	if (ref == NULL || getenv("PICOLET_PULL_STATE") == NULL)
		skip();
	loop = ev_loop_new(0);
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(ref, "/"), ref);
	memset(&rc, 0, sizeof(rc));
	rc.host = host;
	rc.ca_file = getenv("PICOLET_PULL_CA");
	rc.insecure = ins != NULL && strcmp(ins, "1") == 0;
	rc.mirror = getenv("PICOLET_PULL_MIRROR");
	memset(&o, 0, sizeof(o));
	o.ref = ref;
	o.regs = &rc;
	o.nregs = 1;
	o.auth_file = getenv("PICOLET_PULL_AUTH");
	o.dockerconfigjson = getenv("PICOLET_PULL_SECRET");
	o.idle_ms = 3000;
	assert_int_equal(mkdir_p(getenv("PICOLET_PULL_STATE"), 0755, &err), 0);
	assert_int_equal(store_open(&s, getenv("PICOLET_PULL_STATE"), &err),
	    0);
	assert_int_equal(store_pull_start(loop, s, &o, done, &r, &p, &err), 0);
	if (also != NULL) {
		o2 = o;
		o2.ref = also;
		assert_int_equal(store_pull_start(loop, s, &o2, done, &r2, &p2,
		    &err), 0);
	}
	ev_run(loop, 0);
	assert_int_equal(r.calls, 1);
	printf("pull %s: %d %s\n", ref, r.error, r.msg);
	if (also != NULL) {
		printf("pull %s: %d %s\n", also, r2.error, r2.msg);
		assert_int_equal(r2.calls, 1);
		assert_int_equal(r2.error, 0);
		assert_int_equal(store_image_get(s, also, &img, &err), 0);
		store_image_free(img);
	}
	if (getenv("PICOLET_PULL_AGAIN") != NULL && r.error < 0) {
		/* what core does after a failure: pull again, same process */
		memset(&r, 0, sizeof(r));
		assert_int_equal(store_pull_start(loop, s, &o, done, &r, &p,
		    &err), 0);
		ev_run(loop, 0);
		assert_int_equal(r.calls, 1);
		printf("pull %s again: %d %s\n", ref, r.error, r.msg);
	}
	if (expect != NULL && expect[0] != '\0') {
		assert_true(r.error < 0);
		assert_non_null(strstr(r.msg, expect));
	} else {
		assert_int_equal(r.error, 0);
		assert_int_equal(store_image_get(s, ref, &img, &err), 0);
		assert_true(img->nlayers > 0);
		printf("image %s id %s layers %zu\n", img->digest, img->id,
		    img->nlayers);
		store_image_free(img);
	}
	(void)d;
	(void)t;
	store_close(s);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offline),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_pull),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
