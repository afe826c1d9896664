/*
 * node: facts about this machine that pods see: the host IP
 * (status.hostIP, the downward API) and the allocatable CPU and memory a
 * container without limits gets from resourceFieldRef.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "core/core.h"

void
node_facts(struct agent *a)
{
	struct ifaddrs *ifs, *i;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	a->node_cpu = (n > 0 ? n : 1) * 1000;
	a->node_mem = pages > 0 && psz > 0 ? (int64_t)pages * psz : 0;
	a->host_ip[0] = '\0';
	if (getifaddrs(&ifs) < 0)
		return;
	/* The first address of an interface that is up and not loopback. */
	for (i = ifs; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		inet_ntop(AF_INET,
		    &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr,
		    a->host_ip, sizeof(a->host_ip));
		break;
	}
	freeifaddrs(ifs);
}
