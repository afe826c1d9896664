/*
 * picolet: the node agent.  One process, one thread, one libev loop.
 *
 * Start: read the config, open the image store and the cgroup hierarchy,
 * read every manifest, adopt the pods that survived a restart of picolet,
 * then sync desired state and serve the endpoint.  SIGTERM or SIGINT: stop
 * serving and exit, leaving containers running (their shims keep them and
 * their logs), unless draining (--drain or [agent] drain), which stops
 * every pod first.  SIGHUP: read the manifest directory again.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "core/pull.h"
#include "lib/util.h"
#include "net/net.h"
#include "store/store.h"

#define DEFAULT_CONF "/etc/picolet/picolet.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: picolet [-c FILE] [--drain] [--debug]\n"
	    "       picolet --version\n"
	    "\n"
	    "Runs the pods described by the Kubernetes manifests in the\n"
	    "manifest directory (default /etc/manifests) on this machine.\n"
	    "\n"
	    "  -c, --config FILE  config file (default " DEFAULT_CONF ";\n"
	    "                     a missing default file means defaults)\n"
	    "      --drain        stop every pod when picolet stops\n"
	    "  -d, --debug        log at debug level\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         this text\n");
}

static bool
all_gone(struct agent *a)
{
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry)
		if (!p->dead)
			return false;
	return true;
}

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *a = w->data;

	if (a->stopping) {
		log_warn("second signal: exiting without waiting");
		a->draining = false;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	a->stopping = true;
	log_info("signal %d: stopping%s", w->signum,
	    a->draining ? " all pods (drain)" : "; containers keep running");
	if (a->draining)
		agent_sync(a);	/* with stopping set, nothing is wanted */
	ev_break(loop, EVBREAK_ALL);
}

static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct agent *a = w->data;

	log_info("SIGHUP: reading the manifest directory again");
	mdir_scan(&a->mdir);
}

static int
load_conf(struct agent *a, const char *path, bool given)
{
	struct err err;
	int r;

	cfg_conf_defaults(&a->conf);
	r = cfg_conf_load(&a->conf, path, &err);
	if (r == -ENOENT && !given)
		return 0;
	if (r < 0) {
		fprintf(stderr, "picolet: %s\n", err.msg);
		return r;
	}
	snprintf(a->conf_path, sizeof(a->conf_path), "%s", path);
	return 0;
}

static void
default_shim(struct agent *a)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (a->conf.shim[0] != '\0')
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(a->conf.shim, sizeof(a->conf.shim), "picolet-shim");
		return;
	}
	exe[n] = '\0';
	snprintf(a->conf.shim, sizeof(a->conf.shim), "%s/picolet-shim",
	    dirname(exe));
}

static int
setup(struct agent *a)
{
	const char *dirs[] = { a->conf.run, a->conf.state, a->conf.logs };
	enum log_level lvl;
	struct err err;
	char path[PATH_MAX + 16];
	size_t i;

	if (log_level_parse(a->conf.log_level, &lvl) == 0)
		log_set_level(lvl);
	default_shim(a);
	if (a->conf.node_name[0] != '\0')
		snprintf(a->node_name, sizeof(a->node_name), "%s",
		    a->conf.node_name);
	else if (gethostname(a->node_name, sizeof(a->node_name) - 1) < 0)
		snprintf(a->node_name, sizeof(a->node_name), "localhost");
	node_facts(a);
	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		if (mkdir_p(dirs[i], 0755, &err) < 0)
			goto fail;
	snprintf(path, sizeof(path), "%s/pods", a->conf.run);
	if (mkdir_p(path, 0700, &err) < 0)
		goto fail;
	if (store_open(&a->store, a->conf.state, &err) < 0)
		goto fail;
	if (rt_cgroup_open(&a->cg, NULL, a->conf.cgroup, &err) < 0)
		goto fail;
	if (mdir_start(&a->mdir, a, &err) < 0)
		goto fail;
	if (images_start(a, &err) < 0)
		goto fail;
	image_gc_start(a);
	if (api_start(a, &err) < 0)
		goto fail;
	return 0;
fail:
	log_error("%s", err.msg);
	return -1;
}

static void
signals(struct agent *a)
{
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&a->sigterm, on_stop, SIGTERM);
	ev_signal_init(&a->sigint, on_stop, SIGINT);
	ev_signal_init(&a->sighup, on_hup, SIGHUP);
	a->sigterm.data = a->sigint.data = a->sighup.data = a;
	ev_signal_start(a->loop, &a->sigterm);
	ev_signal_start(a->loop, &a->sigint);
	ev_signal_start(a->loop, &a->sighup);
}

static void
shutdown_(struct agent *a)
{
	struct pod *p;

	net_http_stop(a->http);
	mdir_stop(&a->mdir);
	images_stop(a);
	image_gc_stop(a);
	/* Without drain the containers keep running: only let go of them. */
	while ((p = TAILQ_FIRST(&a->pods)) != NULL) {
		TAILQ_REMOVE(&a->pods, p, entry);
		pod_free(p);
	}
	pulls_stop(a);
	if (a->draining) {
		/* Everything is gone: so are the table and the bridge. */
		services_compute(a);
		services_apply(a);
	}
	services_free(a);
	net_nft_close(a->nft);
	net_ipam_close(a->svc_ipam);
	podnet_close(a);
	rt_cgroup_close(a->cg);
	store_close(a->store);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "drain", no_argument, NULL, 'D' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct agent agent;
	struct agent *a = &agent;
	const char *conf = DEFAULT_CONF;
	bool given = false, drain = false, debug = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:dVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; given = true; break;
		case 'D': drain = true; break;
		case 'd': debug = true; break;
		case 'V': printf("picolet %s\n", PICOLET_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (load_conf(a, conf, given) < 0)
		return 1;
	if (debug)
		snprintf(a->conf.log_level, sizeof(a->conf.log_level), "debug");
	a->draining = drain || a->conf.drain;
	/*
	 * Not the default loop: it would reap every child on SIGCHLD, and
	 * picolet waits for its children (shims, jobs) through pidfds.
	 */
	a->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_SIGNALFD);
	if (a->loop == NULL) {
		fprintf(stderr, "picolet: cannot make the event loop\n");
		return 1;
	}
	a->started_ns = time_now_ns();
	TAILQ_INIT(&a->pods);
	TAILQ_INIT(&a->logstreams);
	TAILQ_INIT(&a->pulls);
	signals(a);
	agent_reap_start(a);
	if (setup(a) < 0)
		return 1;
	log_info("picolet %s: node %s, manifests %s, cgroups %s",
	    PICOLET_VERSION, a->node_name, a->conf.manifests,
	    rt_cgroup_mode_name(a->cg));
	mdir_scan(&a->mdir);
	log_info("adopted %d pod(s)", adopt_all(a));
	a->ready = true;
	agent_sync(a);
	images_scan(a);
	for (;;) {
		ev_run(a->loop, 0);
		if (a->stopping && (!a->draining || all_gone(a)))
			break;
	}
	shutdown_(a);
	log_info("stopped");
	return 0;
}
