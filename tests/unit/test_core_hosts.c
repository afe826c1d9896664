/* Unit tests for the pod's /etc/hosts (core/pod_etc.c): kubelet's layout
 * for a pod with an address, with hostname and subdomain, with
 * hostAliases, and for a hostNetwork pod (the node's file first). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: " \
    "prod}\nspec:\n  containers: [{name: a, image: x}]\n"

#define LOCAL "# Kubernetes-managed hosts file.\n" \
    "127.0.0.1\tlocalhost\n" \
    "::1\tlocalhost ip6-localhost ip6-loopback\n" \
    "fe00::0\tip6-localnet\n" \
    "fe00::0\tip6-mcastprefix\n" \
    "fe00::1\tip6-allnodes\n" \
    "fe00::2\tip6-allrouters\n"

/* Render the hosts file of the one pod in yaml. */
static void
check(const char *yaml, const char *ip, const char *hn, const char *node,
    const char *want)
{
	struct cfg_diags d;
	struct cfg_object *o;
	struct buf b;
	size_t n;

	cfg_diags_init(&d);
	assert_int_equal(cfg_manifest_parse(yaml, strlen(yaml), &o, &n, &d),
	    0);
	assert_int_equal(n, 1);
	buf_init(&b, 4096);
	assert_int_equal(pod_hosts_render(&b, o[0].u.pod, o[0].namespace, ip,
	    hn, node), 0);
	assert_string_equal(b.p, want);
	buf_free(&b);
	cfg_objects_free(o, n);
}

static void
test_plain(void **state)
{
	check(HEAD, "10.88.0.5", "p", NULL, LOCAL "10.88.0.5\tp\n");
}

static void
test_subdomain(void **state)
{
	check(HEAD "  hostname: web-0\n  subdomain: web\n", "10.88.0.6",
	    "web-0", NULL,
	    LOCAL "10.88.0.6\tweb-0.web.prod.svc.cluster.local\tweb-0\n");
}

static void
test_aliases(void **state)
{
	check(HEAD "  hostAliases:\n"
	    "  - {ip: 127.0.0.1, hostnames: [foo.local, bar.local]}\n"
	    "  - {ip: \"2001:db8::2\", hostnames: [six.remote]}\n"
	    "  - {ip: 10.1.2.3}\n", "10.88.0.7", "p", NULL,
	    LOCAL "10.88.0.7\tp\n\n# Entries added by HostAliases.\n"
	    "127.0.0.1\tfoo.local\tbar.local\n"
	    "2001:db8::2\tsix.remote\n"
	    "10.1.2.3\n");
}

static void
test_host_network(void **state)
{
	check(HEAD "  hostNetwork: true\n"
	    "  hostAliases: [{ip: 10.1.2.3, hostnames: [db]}]\n", "", "node",
	    "127.0.0.1\tlocalhost\n192.0.2.1\tnode",
	    "# Kubernetes-managed hosts file (host network).\n"
	    "127.0.0.1\tlocalhost\n192.0.2.1\tnode\n"
	    "\n# Entries added by HostAliases.\n10.1.2.3\tdb\n");
	check(HEAD "  hostNetwork: true\n", "", "node", NULL,
	    "# Kubernetes-managed hosts file (host network).\n");
}

/* Too large for the buffer: an error, not a cut file. */
static void
test_too_big(void **state)
{
	struct cfg_diags d;
	struct cfg_object *o;
	struct buf b;
	size_t n;

	cfg_diags_init(&d);
	assert_int_equal(cfg_manifest_parse(HEAD, strlen(HEAD), &o, &n, &d),
	    0);
	buf_init(&b, 64);
	assert_int_equal(pod_hosts_render(&b, o[0].u.pod, "prod", "10.0.0.1",
	    "p", NULL), -ENOSPC);
	buf_free(&b);
	cfg_objects_free(o, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_subdomain),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_host_network),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
