/*
 * podnet: pods on the network.  The bridge is made with the first pod
 * that needs it and, unless [network] keep_bridge, removed with the last;
 * each pod gets an address from the pod CIDR (IPAM persisted in
 * <state>/ipam, so no address is handed out twice across restarts) and a
 * veth pair into its namespace.  hostNetwork pods use the host's.  At
 * start, host veths and addresses of pods that no longer exist go.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "net/net.h"

static int
ensure_ipam(struct agent *a, struct err *err)
{
	char dir[4200];
	int r;

	if (a->nl == NULL && (r = net_nl_open(&a->nl, err)) < 0)
		return r;
	if (a->ipam == NULL) {
		snprintf(dir, sizeof(dir), "%s/ipam", a->conf.state);
		if ((r = mkdir_p(dir, 0700, err)) < 0 ||
		    (r = net_ipam_open(&a->ipam, dir, a->conf.pod_cidr,
		    err)) < 0)
			return r;
	}
	return 0;
}

static int
ensure(struct agent *a, struct err *err)
{
	char gw[16], cidr[32];
	int r;

	if ((r = ensure_ipam(a, err)) < 0)
		return r;
	if (a->bridge_up)
		return 0;
	net_ipam_gateway(a->ipam, gw);
	snprintf(cidr, sizeof(cidr), "%s/%d", gw, net_ipam_prefix(a->ipam));
	if ((r = net_bridge_ensure(a->nl, a->conf.bridge, cidr, err)) < 0 ||
	    (r = net_route_via(a->nl, a->conf.service_cidr, a->conf.bridge,
	    err)) < 0 ||
	    (r = net_ip_forward(true, err)) < 0)
		return r;
	if (net_bridge_nf_call(true, NULL) < 0)
		log_debug("br_netfilter is not loaded: pod-to-pod service "
		    "traffic on the bridge is masqueraded instead");
	a->bridge_up = true;
	return 0;
}

int
podnet_attach(struct pod *p, struct err *err)
{
	struct agent *a = p->a;
	struct net_pod_if pi;
	char ifname[16], ip[16], gw[16], cidr[32], ns[4200];
	int r;

	if (p->spec->host_network)
		return 0;
	if ((r = ensure(a, err)) < 0)
		return r;
	if ((r = net_ipam_get(a->ipam, p->uid, ip, err)) < 0) {
		p->ip_wait = r == -ENOSPC;
		return r;
	}
	p->ip_wait = false;
	net_ipam_gateway(a->ipam, gw);
	snprintf(cidr, sizeof(cidr), "%s/%d", ip, net_ipam_prefix(a->ipam));
	snprintf(ns, sizeof(ns), "%s/ns/net", p->run_dir);
	if ((r = net_pod_ifname(p->uid, ifname)) < 0)
		return err_setx(err, -r, "pod uid %s: no interface name",
		    p->uid);
	memset(&pi, 0, sizeof(pi));
	pi.bridge = a->conf.bridge;
	pi.host_ifname = ifname;
	pi.netns_path = ns;
	pi.ip_cidr = cidr;
	pi.gw = gw;
	/* The uplink's MTU when it is smaller (else PMTU black holes). */
	if (net_uplink_mtu(a->nl, &pi.mtu, NULL) < 0)
		pi.mtu = 0;
	if ((r = net_pod_attach(a->nl, &pi, err)) < 0) {
		(void)net_ipam_release(a->ipam, p->uid, NULL);
		a->ipam_freed = true;
		return r;
	}
	snprintf(p->pod_ip, sizeof(p->pod_ip), "%s", ip);
	return 0;
}

/* An adopted pod keeps the address it has. */
void
podnet_adopt(struct pod *p)
{
	struct err err;

	if (p->spec != NULL && p->spec->host_network)
		return;
	if (ensure(p->a, &err) < 0) {
		log_warn("pod %s/%s: network: %s", p->ns, p->name, err.msg);
		return;
	}
	if (net_ipam_lookup(p->a->ipam, p->uid, p->pod_ip) < 0)
		p->pod_ip[0] = '\0';
}

static bool
live_uid(struct agent *a, const char *uid)
{
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry)
		if (!p->dead && strcmp(p->uid, uid) == 0)
			return true;
	return false;
}

static bool
live_ifname(struct agent *a, const char *ifname)
{
	char name[16];
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry)
		if (!p->dead && net_pod_ifname(p->uid, name) == 0 &&
		    strcmp(name, ifname) == 0)
			return true;
	return false;
}

void
podnet_detach(struct pod *p)
{
	struct agent *a = p->a;
	struct err err;
	char ifname[16];

	if (a->nl != NULL && net_pod_ifname(p->uid, ifname) == 0 &&
	    net_pod_detach(a->nl, ifname, &err) < 0)
		log_warn("pod %s/%s: %s", p->ns, p->name, err.msg);
	if (a->ipam != NULL && net_ipam_release(a->ipam, p->uid, &err) < 0)
		log_warn("pod %s/%s: %s", p->ns, p->name, err.msg);
	else if (p->pod_ip[0] != '\0')
		a->ipam_freed = true;
	p->pod_ip[0] = '\0';
	p->ip_wait = false;
}

/*
 * Run before the loop sleeps: an address went back, so the pods that
 * found the pod CIDR exhausted try again, in the order they came (the
 * first ones get what is free; the others wait for the next release).
 */
void
podnet_wake(struct agent *a)
{
	struct pod *p;

	if (!a->ipam_freed)
		return;
	a->ipam_freed = false;
	TAILQ_FOREACH(p, &a->pods, entry) {
		if (!p->ip_wait || p->dead || p->deletion_ns != 0)
			continue;
		p->ip_wait = false;
		log_info("pod %s/%s: an address was released: trying again",
		    p->ns, p->name);
		pod_advance(p);
	}
}

/* The last pod is gone: the bridge goes too, unless configured to stay. */
void
podnet_idle(struct agent *a)
{
	struct err err;
	struct pod *p;

	if (!a->bridge_up || a->conf.keep_bridge ||
	    (a->stopping && !a->draining))
		return;
	TAILQ_FOREACH(p, &a->pods, entry)
		if (!p->dead)
			return;
	if (net_bridge_remove(a->nl, a->conf.bridge, &err) < 0)
		log_warn("bridge %s: %s", a->conf.bridge, err.msg);
	a->bridge_up = false;
}

/* At start, after adoption: what pods that are gone left behind. */
void
podnet_gc(struct agent *a)
{
	struct pod *p;
	char **v = NULL;
	struct err err;
	size_t i;

	if (ensure_ipam(a, &err) < 0) {
		log_warn("pod network: %s", err.msg);
		return;
	}
	if (net_links_list(a->nl, NET_POD_IFPREFIX, &v, &err) >= 0)
		for (i = 0; v != NULL && v[i] != NULL; i++)
			if (!live_ifname(a, v[i]))
				(void)net_pod_detach(a->nl, v[i], NULL);
	strv_free(v);
	v = NULL;
	if (net_ipam_owners(a->ipam, &v) >= 0)
		for (i = 0; v != NULL && v[i] != NULL; i++)
			if (!live_uid(a, v[i]) &&
			    net_ipam_release(a->ipam, v[i], NULL) == 0)
				a->ipam_freed = true;
	strv_free(v);
	/* A bridge left by an earlier run with no pod now: not ours to keep. */
	if (!a->conf.keep_bridge) {
		TAILQ_FOREACH(p, &a->pods, entry)
			if (!p->dead)
				return;
		(void)net_bridge_remove(a->nl, a->conf.bridge, NULL);
	}
}

void
podnet_close(struct agent *a)
{
	net_ipam_close(a->ipam);
	net_nl_close(a->nl);
	a->ipam = NULL;
	a->nl = NULL;
}
