/* Service and Endpoints decoding: values, defaults and exact errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfg/cfg.h"

static int
parse(const char *y, struct cfg_object **objs, size_t *n,
    struct cfg_diags *d)
{
	memset(d, 0, sizeof(*d));
	return cfg_manifest_parse(y, strlen(y), objs, n, d);
}

static void
service_values(void **state)
{
	const char *y =
	    "apiVersion: v1\n"
	    "kind: Service\n"
	    "metadata: {name: web, namespace: shop}\n"
	    "spec:\n"
	    "  type: NodePort\n"
	    "  selector: {app: web}\n"
	    "  sessionAffinity: ClientIP\n"
	    "  ports:\n"
	    "  - {name: http, port: 80, targetPort: http, nodePort: 30080}\n"
	    "  - {name: dns, port: 53, protocol: UDP}\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_service *s;
	size_t n;

	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, CFG_KIND_SERVICE);
	s = o[0].u.svc;
	assert_string_equal(s->meta.namespace, "shop");
	assert_int_equal(s->type, CFG_SVC_NODE_PORT);
	assert_true(s->has_selector);
	assert_string_equal(cfg_kvs_get(&s->selector, "app"), "web");
	assert_true(s->affinity_client_ip);
	assert_int_equal(s->affinity_timeout, 10800);
	assert_null(s->cluster_ip);
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[0].target_name, "http");
	assert_int_equal(s->ports[0].node_port, 30080);
	assert_string_equal(s->ports[0].protocol, "TCP");
	assert_int_equal(s->ports[1].target_port, 53);
	assert_string_equal(s->ports[1].protocol, "UDP");
	assert_int_equal(strlen(s->spec_hash), 64);
	cfg_objects_free(o, n);
}

static void
service_errors(void **state)
{
	static const struct { const char *y; int line; const char *what; } t[] = {
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\n"
		  "spec: {ports: [{port: 80}]}\n", 3, "DNS-1035" },
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
		  "spec: {ports: [{port: 80}, {port: 81}]}\n", 4, "required" },
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
		  "spec: {ports: [{port: 70000}]}\n", 4, "" },
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
		  "spec:\n  clusterIP: 10.1.2\n  ports: [{port: 80}]\n", 5,
		  "IPv4" },
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
		  "spec:\n  type: External\n  ports: [{port: 80}]\n", 5,
		  "ClusterIP" },
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
		  "spec: {}\n", 4, "ports" },
		{ "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\n"
		  "subsets:\n- addresses: [{ip: nope}]\n  ports: [{port: 80}]\n",
		  5, "IPv4" },
	};
	struct cfg_object *o = NULL;
	struct cfg_diags d;
	size_t i, k, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool found = false;

		assert_int_equal(parse(t[i].y, &o, &n, &d), -EINVAL);
		for (k = 0; k < d.n; k++)
			if (d.d[k].sev == CFG_ERROR && d.d[k].line == t[i].line &&
			    (strstr(d.d[k].msg, t[i].what) != NULL ||
			    strstr(d.d[k].path, t[i].what) != NULL))
				found = true;
		if (!found) {
			for (k = 0; k < d.n; k++)
				print_error("case %zu: %d:%d %s: %s\n", i,
				    d.d[k].line, d.d[k].col, d.d[k].path,
				    d.d[k].msg);
			fail_msg("case %zu: no error at line %d with \"%s\"", i,
			    t[i].line, t[i].what);
		}
	}
}

static void
endpoints_values(void **state)
{
	const char *y =
	    "apiVersion: v1\n"
	    "kind: Endpoints\n"
	    "metadata: {name: ext}\n"
	    "subsets:\n"
	    "- addresses: [{ip: 192.0.2.10}, {ip: 192.0.2.11}]\n"
	    "  notReadyAddresses: [{ip: 192.0.2.12}]\n"
	    "  ports: [{name: http, port: 8080}]\n";
	struct cfg_object *o;
	struct cfg_diags d;
	struct cfg_endpoints *e;
	size_t n;

	assert_int_equal(parse(y, &o, &n, &d), 0);
	assert_int_equal(o[0].kind, CFG_KIND_ENDPOINTS);
	e = o[0].u.ep;
	assert_int_equal(e->nsubsets, 1);
	assert_int_equal(e->subsets[0].naddrs, 3);
	assert_true(e->subsets[0].addrs[1].ready);
	assert_false(e->subsets[0].addrs[2].ready);
	assert_int_equal(e->subsets[0].ports[0].port, 8080);
	assert_string_equal(e->subsets[0].ports[0].protocol, "TCP");
	cfg_objects_free(o, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(service_values),
		cmocka_unit_test(service_errors),
		cmocka_unit_test(endpoints_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
