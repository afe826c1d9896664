/*
 * hostalias: spec.hostAliases, the extra lines of the pod's /etc/hosts.
 * Checked as the API server checks them: ip a valid IPv4 or IPv6
 * address, each hostname a DNS-1123 subdomain.  That also means nothing
 * from the manifest can put a newline, a tab or a comment into the file.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

static bool
valid_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static void
dec_alias(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_host_alias *ha)
{
	const struct cfg_node *c, *h;
	char p[DEC_PATH], hp[DEC_PATH];
	size_t i;

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "ip")) {
			if (dec_str(d, c, p, &ha->ip) == 0 && !valid_ip(ha->ip))
				dec_error(d, c, p, "Invalid value: \"%.60s\": "
				    "must be a valid IP address, (e.g. "
				    "10.9.8.7 or 2001:db8::ffff)", ha->ip);
		} else if (!strcmp(c->key, "hostnames")) {
			if (dec_strv(d, c, p, &ha->hostnames) != 0)
				continue;
			for (h = c->child, i = 0; h != NULL &&
			    ha->hostnames[i] != NULL; h = h->next, i++) {
				dec_path_idx(hp, p, i);
				dec_name(d, h, hp, ha->hostnames[i],
				    cfg_check_dns1123_subdomain, "hostname");
			}
		} else
			dec_unknown(d, c, p);
	}
	if (ha->ip == NULL)
		dec_missing(d, m, path, "ip");
}

void
dec_host_aliases(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, struct cfg_pod *pod)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	pod->host_aliases = xcalloc(n->n + 1, sizeof(*pod->host_aliases));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (dec_item(d, c, p))
			dec_alias(d, c, p,
			    &pod->host_aliases[pod->nhost_aliases++]);
	}
}

void
dec_host_aliases_free(struct cfg_pod *pod)
{
	size_t i;

	for (i = 0; i < pod->nhost_aliases; i++) {
		free(pod->host_aliases[i].ip);
		strv_free(pod->host_aliases[i].hostnames);
	}
	free(pod->host_aliases);
}
