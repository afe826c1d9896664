/* Unit tests for picoctl's service and endpoints output: the PORT(S),
 * EXTERNAL-IP, SELECTOR and ENDPOINTS cells (with kubectl's "+ N more..."
 * rule), whole `get` tables, and the `describe svc` text, on Service and
 * Endpoints JSON shaped as picolet serves them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tools/picoctl_fmt.c"
#include "tools/picoctl_svcfmt.c"

#define NOW 1700000000		/* 2023-11-14T22:13:20Z */
#define MD(name) "\"metadata\":{\"name\":\"" name "\",\"namespace\":" \
	"\"default\",\"creationTimestamp\":\"2023-11-14T20:13:20Z\"}"

static const char svc_web[] = "{\"kind\":\"Service\",\"apiVersion\":\"v1\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2023-11-14T22:08:20Z\",\"labels\":{"
    "\"tier\":\"fe\",\"app\":\"web\"}},\"spec\":{\"type\":\"ClusterIP\","
    "\"selector\":{\"app\":\"web\"},\"clusterIP\":\"10.96.0.10\","
    "\"clusterIPs\":[\"10.96.0.10\"],\"ports\":[{\"protocol\":\"TCP\","
    "\"port\":80,\"targetPort\":8080}],\"sessionAffinity\":\"None\"},"
    "\"status\":{\"loadBalancer\":{}}}";

static const char svc_np[] = "{\"kind\":\"Service\",\"apiVersion\":\"v1\","
    MD("api") ",\"spec\":{\"type\":\"NodePort\",\"selector\":{\"tier\":"
    "\"api\",\"app\":\"shop\"},\"clusterIP\":\"10.96.0.11\",\"clusterIPs\":"
    "[\"10.96.0.11\"],\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\","
    "\"port\":80,\"targetPort\":\"web\",\"nodePort\":30080},{\"name\":"
    "\"dns\",\"protocol\":\"UDP\",\"port\":53,\"targetPort\":5353,"
    "\"nodePort\":30053}],\"sessionAffinity\":\"ClientIP\","
    "\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":60}}},"
    "\"status\":{\"loadBalancer\":{}}}";

static const char svc_headless[] = "{\"kind\":\"Service\",\"apiVersion\":"
    "\"v1\"," MD("db") ",\"spec\":{\"type\":\"ClusterIP\","
    "\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"],\"ports\":[{"
    "\"protocol\":\"TCP\",\"port\":5432,\"targetPort\":5432}],"
    "\"sessionAffinity\":\"None\"},\"status\":{\"loadBalancer\":{}}}";

static const char ep_web[] = "{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
    "\"creationTimestamp\":\"2023-11-14T22:08:20Z\"},\"subsets\":[{"
    "\"addresses\":[{\"ip\":\"10.88.0.5\",\"nodeName\":\"\",\"targetRef\":{"
    "\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"web-1\",\"uid\":"
    "\"u1\"}},{\"ip\":\"10.88.0.6\"}],\"notReadyAddresses\":[{\"ip\":"
    "\"10.88.0.7\"}],\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]}";

static const char ep_api[] = "{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\","
    MD("api") ",\"subsets\":[{\"addresses\":[{\"ip\":\"10.88.0.8\"},"
    "{\"ip\":\"10.88.0.9\"}],\"ports\":[{\"name\":\"http\",\"port\":8080,"
    "\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":5353,\"protocol\":"
    "\"UDP\"}]}]}";

static struct json *
parse(const char *s)
{
	struct json *j = NULL;
	struct err err;

	if (json_parse(s, strlen(s), &j, &err) < 0)
		fail_msg("bad sample: %s: %s", err.msg, s);
	return j;
}

typedef void (*cellfn)(const struct json *, struct buf *);

static void
cell(cellfn f, const char *json, const char *want)
{
	struct json *j = parse(json);
	struct buf b;

	buf_init(&b, 1 << 20);
	f(j, &b);
	assert_string_equal(b.p ? b.p : "", want);
	buf_free(&b);
	json_free(j);
}

static void
ext_wide(const struct json *j, struct buf *b)
{
	fmt_svc_external_ip(j, true, b);
}

static void
ext_narrow(const struct json *j, struct buf *b)
{
	fmt_svc_external_ip(j, false, b);
}

static void
selector(const struct json *j, struct buf *b)
{
	fmt_labels(json_path(j, "spec.selector"), b);
}

static void
eps_all(const struct json *j, struct buf *b)
{
	fmt_endpoints(j, NULL, b);
}

static void
eps_dns(const struct json *j, struct buf *b)
{
	fmt_endpoints(j, "dns", b);
}

static void
eps_unnamed(const struct json *j, struct buf *b)
{
	fmt_endpoints(j, "", b);
}

static void
test_ports(void **state)
{
	(void)state;
	cell(fmt_svc_ports, svc_web, "80/TCP");
	cell(fmt_svc_ports, svc_np, "80:30080/TCP,53:30053/UDP");
	cell(fmt_svc_ports, svc_headless, "5432/TCP");
	cell(fmt_svc_ports, "{\"spec\":{\"ports\":[{\"port\":8443}]}}",
	    "8443/TCP");
	cell(fmt_svc_ports, "{\"spec\":{\"ports\":[]}}", "<none>");
	cell(fmt_svc_ports, "{\"spec\":{}}", "<none>");
}

static void
test_external_ip(void **state)
{
	(void)state;
	cell(ext_narrow, svc_web, "<none>");
	cell(ext_narrow, svc_np, "<none>");
	cell(ext_narrow, "{\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{"
	    "\"loadBalancer\":{}}}", "<pending>");
	cell(ext_narrow, "{\"spec\":{\"type\":\"ClusterIP\",\"externalIPs\":"
	    "[\"192.0.2.1\",\"192.0.2.2\"]}}", "192.0.2.1,192.0.2.2");
	/* loadBalancerWidth: cut at 16 unless wide */
	cell(ext_narrow, "{\"spec\":{\"type\":\"LoadBalancer\"},\"status\":{"
	    "\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.0.2.10\"},{"
	    "\"hostname\":\"lb.example.com\"}]}}}", "192.0.2.10,lb...");
	cell(ext_wide, "{\"spec\":{\"type\":\"LoadBalancer\",\"externalIPs\":"
	    "[\"192.0.2.1\"]},\"status\":{\"loadBalancer\":{\"ingress\":[{"
	    "\"ip\":\"192.0.2.10\"},{\"hostname\":\"lb.example.com\"}]}}}",
	    "192.0.2.10,lb.example.com,192.0.2.1");
	cell(ext_narrow, "{\"spec\":{\"type\":\"ExternalName\","
	    "\"externalName\":\"db.example.com\"}}", "db.example.com");
}

static void
test_selector(void **state)
{
	(void)state;
	cell(selector, svc_web, "app=web");
	cell(selector, svc_np, "app=shop,tier=api");
	cell(selector, svc_headless, "<none>");
	cell(selector, "{\"spec\":{\"selector\":{}}}", "<none>");
}

static void
test_endpoints(void **state)
{
	(void)state;
	/* ready addresses only */
	cell(eps_all, ep_web, "10.88.0.5:8080,10.88.0.6:8080");
	/* port by port, three shown, the rest counted */
	cell(eps_all, ep_api, "10.88.0.8:8080,10.88.0.9:8080,10.88.0.8:5353 "
	    "+ 1 more...");
	cell(eps_dns, ep_api, "10.88.0.8:5353,10.88.0.9:5353");
	cell(eps_unnamed, ep_api, "");
	cell(eps_unnamed, ep_web, "10.88.0.5:8080,10.88.0.6:8080");
	cell(eps_all, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},"
	    "{\"ip\":\"10.0.0.2\"},{\"ip\":\"10.0.0.3\"},{\"ip\":\"10.0.0.4\"},"
	    "{\"ip\":\"10.0.0.5\"}],\"ports\":[{\"port\":80}]}]}",
	    "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...");
	cell(eps_all, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},"
	    "{\"ip\":\"10.0.0.2\"},{\"ip\":\"10.0.0.3\"}],\"ports\":[{"
	    "\"port\":80}]}]}", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80");
	/* across subsets */
	cell(eps_all, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},"
	    "{\"ip\":\"10.0.0.2\"}],\"ports\":[{\"port\":80}]},{\"addresses\":"
	    "[{\"ip\":\"10.0.0.3\"},{\"ip\":\"10.0.0.4\"}],\"ports\":[{"
	    "\"port\":81}]}]}", "10.0.0.1:80,10.0.0.2:80,10.0.0.3:81 + 1 "
	    "more...");
	/* headless without ports: bare addresses; IPv6 in brackets */
	cell(eps_all, "{\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"}]}]}",
	    "10.0.0.1");
	cell(eps_all, "{\"subsets\":[{\"addresses\":[{\"ip\":\"fd00::5\"}],"
	    "\"ports\":[{\"port\":80}]}]}", "[fd00::5]:80");
	/* nothing ready: an empty cell; no subset: <none> */
	cell(eps_all, "{\"subsets\":[{\"notReadyAddresses\":[{\"ip\":"
	    "\"10.0.0.1\"}],\"ports\":[{\"port\":80}]}]}", "");
	cell(eps_all, "{\"subsets\":[]}", "<none>");
	cell(eps_all, "{\"metadata\":{\"name\":\"x\"}}", "<none>");
}

static void
table(const char *head, const char *const *objs, bool svc, bool wide,
    bool all_ns, const char *want)
{
	struct buf t, o;
	struct json *j;

	buf_init(&t, 1 << 20);
	buf_init(&o, 1 << 20);
	buf_puts(&t, head);
	for (; *objs; objs++) {
		j = parse(*objs);
		if (svc)
			fmt_svc_row(j, wide, all_ns, NOW, &t);
		else
			fmt_ep_row(j, all_ns, NOW, &t);
		json_free(j);
	}
	fmt_tabwrite(t.p, 6, 3, &o);
	assert_string_equal(o.p, want);
	buf_free(&t);
	buf_free(&o);
}

static void
test_tables(void **state)
{
	static const char *const svcs[] = { svc_np, svc_headless, svc_web,
	    NULL };
	static const char *const eps[] = { ep_api, ep_web, NULL };

	(void)state;
	table("NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE\n", svcs,
	    true, false, false,
	    "NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)          "
	    "           AGE\n"
	    "api    NodePort    10.96.0.11   <none>        80:30080/TCP,53:"
	    "30053/UDP   120m\n"
	    "db     ClusterIP   None         <none>        5432/TCP         "
	    "           120m\n"
	    "web    ClusterIP   10.96.0.10   <none>        80/TCP           "
	    "           5m\n");
	table("NAMESPACE\tNAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE\t"
	    "SELECTOR\n", svcs + 1, true, true, true,
	    "NAMESPACE   NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)"
	    "    AGE    SELECTOR\n"
	    "default     db     ClusterIP   None         <none>        5432/TCP"
	    "   120m   <none>\n"
	    "default     web    ClusterIP   10.96.0.10   <none>        80/TCP"
	    "     5m     app=web\n");
	table("NAME\tENDPOINTS\tAGE\n", eps, false, false, false,
	    "NAME   ENDPOINTS                                                  "
	    "AGE\n"
	    "api    10.88.0.8:8080,10.88.0.9:8080,10.88.0.8:5353 + 1 more..."
	    "   120m\n"
	    "web    10.88.0.5:8080,10.88.0.6:8080                          "
	    "    5m\n");
}

static void
describe(const char *svc, const char *ep, const char *events,
    const char *want)
{
	struct json *s = parse(svc), *e = ep ? parse(ep) : NULL;
	struct json *ev = events ? parse(events) : NULL;
	struct buf b, o;

	buf_init(&b, 1 << 20);
	buf_init(&o, 1 << 20);
	fmt_svc_describe(s, e, ev, NOW, &b);
	fmt_tabwrite(b.p, 0, 2, &o);
	assert_string_equal(o.p, want);
	buf_free(&b);
	buf_free(&o);
	json_free(s);
	json_free(e);
	json_free(ev);
}

static void
test_describe(void **state)
{
	(void)state;
	describe(svc_web, ep_web, "[]",
	    "Name:              web\n"
	    "Namespace:         default\n"
	    "Labels:            app=web\n"
	    "                   tier=fe\n"
	    "Annotations:       <none>\n"
	    "Selector:          app=web\n"
	    "Type:              ClusterIP\n"
	    "IP Family Policy:  SingleStack\n"
	    "IP Families:       IPv4\n"
	    "IP:                10.96.0.10\n"
	    "IPs:               10.96.0.10\n"
	    "Port:              <unset>  80/TCP\n"
	    "TargetPort:        8080/TCP\n"
	    "Endpoints:         10.88.0.5:8080,10.88.0.6:8080\n"
	    "Session Affinity:  None\n"
	    "Events:            <none>\n");
	describe(svc_np, ep_api, "[{\"involvedObject\":{\"kind\":\"Service\","
	    "\"name\":\"api\"},\"type\":\"Warning\",\"reason\":"
	    "\"FailedToAllocate\",\"message\":\"nodePort 30080 taken\","
	    "\"source\":{\"component\":\"picolet\"},\"count\":3,"
	    "\"firstTimestamp\":\"2023-11-14T21:13:20Z\",\"lastTimestamp\":"
	    "\"2023-11-14T22:12:20Z\"},{\"involvedObject\":{\"kind\":\"Pod\","
	    "\"name\":\"api\"},\"type\":\"Normal\",\"reason\":\"Started\"}]",
	    "Name:                     api\n"
	    "Namespace:                default\n"
	    "Labels:                   <none>\n"
	    "Annotations:              <none>\n"
	    "Selector:                 app=shop,tier=api\n"
	    "Type:                     NodePort\n"
	    "IP Family Policy:         SingleStack\n"
	    "IP Families:              IPv4\n"
	    "IP:                       10.96.0.11\n"
	    "IPs:                      10.96.0.11\n"
	    "Port:                     http  80/TCP\n"
	    "TargetPort:               web/TCP\n"
	    "NodePort:                 http  30080/TCP\n"
	    "Endpoints:                10.88.0.8:8080,10.88.0.9:8080\n"
	    "Port:                     dns  53/UDP\n"
	    "TargetPort:               5353/UDP\n"
	    "NodePort:                 dns  30053/UDP\n"
	    "Endpoints:                10.88.0.8:5353,10.88.0.9:5353\n"
	    "Session Affinity:         ClientIP\n"
	    "External Traffic Policy:  Cluster\n"
	    "Events:\n"
	    "  Type     Reason            Age                From     Message\n"
	    "  ----     ------            ----               ----     -------\n"
	    "  Warning  FailedToAllocate  60s (x3 over 60m)  picolet  nodePort "
	    "30080 taken\n");
	/* headless without selector (dual stack by default), no endpoints
	 * object at all */
	describe(svc_headless, NULL, NULL,
	    "Name:              db\n"
	    "Namespace:         default\n"
	    "Labels:            <none>\n"
	    "Annotations:       <none>\n"
	    "Selector:          <none>\n"
	    "Type:              ClusterIP\n"
	    "IP Family Policy:  RequireDualStack\n"
	    "IP Families:       IPv4\n"
	    "IP:                None\n"
	    "IPs:               None\n"
	    "Port:              <unset>  5432/TCP\n"
	    "TargetPort:        5432/TCP\n"
	    "Endpoints:         <none>\n"
	    "Session Affinity:  None\n"
	    "Events:            <none>\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_external_ip),
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
