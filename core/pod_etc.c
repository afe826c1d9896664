/*
 * pod_etc: the pod's /etc/hosts, /etc/hostname and /etc/resolv.conf,
 * written once into its run dir and bound into each container.  The hosts
 * file is kubelet's: the localhost lines, the pod's address with its name
 * (its FQDN first when spec.subdomain is set), then spec.hostAliases; a
 * hostNetwork pod gets the node's own file followed by its hostAliases.
 * The aliases were checked by cfg/ (addresses and DNS names only), so
 * nothing from a manifest can add a line of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lib/util.h"

#define CLUSTER_DOMAIN	"cluster.local"
#define HOSTS_MAX	(256 * 1024)

/*
 * kubelet: the pod's name when spec.hostname is not set, cut to 63
 * characters (a label) without a trailing '-' or '.'; the node's name for
 * a hostNetwork pod.
 */
const char *
pod_hostname(const struct pod *p, char hn[64])
{
	const char *s = p->name;
	size_t n;

	if (p->spec != NULL && p->spec->host_network)
		s = p->a->node_name;
	else if (p->spec != NULL && p->spec->hostname != NULL)
		s = p->spec->hostname;
	n = strnlen(s, 63);
	while (n > 0 && (s[n - 1] == '-' || s[n - 1] == '.'))
		n--;
	memcpy(hn, s, n);
	hn[n] = '\0';
	return hn;
}

static int
aliases(struct buf *b, const struct cfg_pod *s)
{
	const struct cfg_host_alias *ha;
	size_t i, k;
	int r;

	if (s->nhost_aliases == 0)
		return 0;
	if ((r = buf_puts(b, "\n# Entries added by HostAliases.\n")) < 0)
		return r;
	for (i = 0; i < s->nhost_aliases; i++) {
		ha = &s->host_aliases[i];
		if ((r = buf_puts(b, ha->ip)) < 0)
			return r;
		for (k = 0; ha->hostnames != NULL && ha->hostnames[k] != NULL;
		    k++)
			if ((r = buf_printf(b, "\t%s", ha->hostnames[k])) < 0)
				return r;
		if ((r = buf_puts(b, "\n")) < 0)
			return r;
	}
	return 0;
}

int
pod_hosts_render(struct buf *b, const struct cfg_pod *s, const char *ns,
    const char *ip, const char *hn, const char *node_hosts)
{
	int r;

	if (s->host_network) {
		r = buf_puts(b, "# Kubernetes-managed hosts file (host "
		    "network).\n");
		if (r == 0)
			r = buf_puts(b, node_hosts != NULL ? node_hosts : "");
		if (r == 0 && b->len > 0 && b->p[b->len - 1] != '\n')
			r = buf_puts(b, "\n");
		return r < 0 ? r : aliases(b, s);
	}
	r = buf_puts(b, "# Kubernetes-managed hosts file.\n"
	    "127.0.0.1\tlocalhost\n"
	    "::1\tlocalhost ip6-localhost ip6-loopback\n"
	    "fe00::0\tip6-localnet\n"
	    "fe00::0\tip6-mcastprefix\n"
	    "fe00::1\tip6-allnodes\n"
	    "fe00::2\tip6-allrouters\n");
	if (r == 0 && ip != NULL && ip[0] != '\0') {
		if (s->subdomain != NULL)
			r = buf_printf(b, "%s\t%s.%s.%s.svc." CLUSTER_DOMAIN
			    "\t%s\n", ip, hn, s->subdomain, ns, hn);
		else
			r = buf_printf(b, "%s\t%s\n", ip, hn);
	}
	return r < 0 ? r : aliases(b, s);
}

static int
write_small(const char *path, const char *data, struct err *err)
{
	return write_replace(path, data, strlen(data), 0644, err);
}

/* The node's /etc/hosts is small and local: read in the loop, like
 * resolv.conf. */
int
pod_etc_files(struct pod *p, struct err *err)
{
	char path[4200], hn[64], line[80], *node = NULL;
	struct buf b;
	int r;

	pod_hostname(p, hn);
	if (p->spec->host_network &&
	    read_file("/etc/hosts", HOSTS_MAX / 2, &node, NULL, NULL) < 0)
		node = NULL;
	buf_init(&b, HOSTS_MAX);
	r = pod_hosts_render(&b, p->spec, p->ns, p->pod_ip, hn, node);
	free(node);
	snprintf(path, sizeof(path), "%s/hosts", p->run_dir);
	if (r < 0)
		r = err_setx(err, -r, "%s: more than %d bytes", path,
		    HOSTS_MAX);
	else
		r = write_small(path, b.p, err);
	buf_free(&b);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/hostname", p->run_dir);
	snprintf(line, sizeof(line), "%s\n", hn);
	if ((r = write_small(path, line, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/resolv.conf", p->run_dir);
	if (read_file("/etc/resolv.conf", 65536, &node, NULL, NULL) < 0)
		node = xstrdup("");
	r = write_small(path, node, err);
	free(node);
	return r;
}
