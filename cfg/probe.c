/*
 * probe: handlers (exec, httpGet, tcpSocket) as used by probes and
 * lifecycle hooks, and the probe timing fields with Kubernetes' defaults.
 * A port is an int or a container port's name, as IntOrString: a quoted
 * "8080" is a name, and fails the name rules as it does in Kubernetes.
 */
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

static void
dec_port(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_handler *h)
{
	const char *v = n->value;

	if (n->type == CFG_SCALAR && !n->quoted && v[0] != '\0' &&
	    strspn(v + (v[0] == '-' || v[0] == '+'), "0123456789") ==
	    strlen(v + (v[0] == '-' || v[0] == '+'))) {
		dec_int32(d, n, path, 1, 65535, &h->port);
		return;
	}
	if (dec_str(d, n, path, &h->port_name) == 0)
		dec_name(d, n, path, h->port_name, cfg_check_port_name,
		    "port name");
}

static void
dec_headers(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_kvs *kvs)
{
	const struct cfg_node *c, *f;
	char p[DEC_PATH], fp[DEC_PATH];
	size_t i = 0;

	if (!dec_seq(d, n, path))
		return;
	kvs->v = xcalloc(n->n + 1, sizeof(*kvs->v));
	for (c = n->child; c != NULL; c = c->next, i++) {
		struct cfg_kv *kv = &kvs->v[kvs->n];

		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(fp, p, f->key);
			if (strcmp(f->key, "name") == 0)
				dec_str(d, f, fp, &kv->key);
			else if (strcmp(f->key, "value") == 0)
				dec_str(d, f, fp, &kv->value);
			else
				dec_unknown(d, f, fp);
		}
		if (kv->key == NULL) {
			dec_missing(d, c, p, "name");
			free(kv->value);
			kv->value = NULL;
			continue;
		}
		if (kv->value == NULL)
			kv->value = xstrdup("");
		kvs->n++;
	}
}

static void
dec_action(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_handler *h)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (h->type == CFG_H_EXEC && !strcmp(c->key, "command"))
			dec_strv(d, c, p, &h->exec);
		else if (h->type != CFG_H_EXEC && !strcmp(c->key, "port"))
			dec_port(d, c, p, h);
		else if (h->type != CFG_H_EXEC && !strcmp(c->key, "host"))
			dec_str(d, c, p, &h->host);
		else if (h->type == CFG_H_HTTP && !strcmp(c->key, "path"))
			dec_str(d, c, p, &h->path);
		else if (h->type == CFG_H_HTTP && !strcmp(c->key, "scheme")) {
			if (dec_str(d, c, p, &h->scheme) == 0 &&
			    strcmp(h->scheme, "HTTP") &&
			    strcmp(h->scheme, "HTTPS"))
				dec_error(d, c, p, "supported values: "
				    "\"HTTP\", \"HTTPS\"");
		} else if (h->type == CFG_H_HTTP &&
		    !strcmp(c->key, "httpHeaders"))
			dec_headers(d, c, p, &h->http_headers);
		else
			dec_unknown(d, c, p);
	}
	if (h->type == CFG_H_EXEC && h->exec == NULL)
		dec_missing(d, m, path, "command");
	if (h->type != CFG_H_EXEC && h->port == 0 && h->port_name == NULL)
		dec_missing(d, m, path, "port");
	if (h->type == CFG_H_HTTP && h->path == NULL)
		h->path = xstrdup("/");
	if (h->type == CFG_H_HTTP && h->scheme == NULL)
		h->scheme = xstrdup("HTTP");
}

/* One of exec/httpGet/tcpSocket from key c of a probe or hook map. */
static bool
handler_field(struct cfg_diags *d, const struct cfg_node *c,
    const char *p, struct cfg_handler *h, int *nhandlers)
{
	static const struct {
		const char *key;
		enum cfg_handler_type t;
	} types[] = { { "exec", CFG_H_EXEC }, { "httpGet", CFG_H_HTTP },
	    { "tcpSocket", CFG_H_TCP } };
	size_t i;

	if (!strcmp(c->key, "grpc") || !strcmp(c->key, "sleep")) {
		dec_error(d, c, p, "%s handlers are not supported", c->key);
		return true;
	}
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		if (strcmp(c->key, types[i].key) != 0)
			continue;
		if (dec_is_null(c))
			return true;
		if (++*nhandlers > 1) {
			dec_error(d, c, p, "may not specify more than 1 "
			    "handler type");
			return true;
		}
		h->type = types[i].t;
		dec_action(d, c, p, h);
		return true;
	}
	return false;
}

void
dec_handler(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_handler *h)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	int nh = 0;

	if (!dec_map(d, m, path))
		return;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!handler_field(d, c, p, h, &nh))
			dec_unknown(d, c, p);
	}
	if (nh == 0)
		dec_error(d, m, path, "must specify a handler type");
}

void
dec_probe(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    bool liveness_like, struct cfg_probe *pr)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	int nh = 0;

	if (!dec_map(d, m, path))
		return;
	pr->set = true;
	pr->period = 10;
	pr->timeout = 1;
	pr->success_threshold = 1;
	pr->failure_threshold = 3;
	pr->termination_grace = -1;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (handler_field(d, c, p, &pr->h, &nh))
			continue;
		if (!strcmp(c->key, "initialDelaySeconds"))
			dec_int32(d, c, p, 0, INT32_MAX, &pr->initial_delay);
		else if (!strcmp(c->key, "periodSeconds"))
			dec_int32(d, c, p, 1, INT32_MAX, &pr->period);
		else if (!strcmp(c->key, "timeoutSeconds"))
			dec_int32(d, c, p, 1, INT32_MAX, &pr->timeout);
		else if (!strcmp(c->key, "successThreshold")) {
			if (dec_int32(d, c, p, 1, INT32_MAX,
			    &pr->success_threshold) == 0 && liveness_like &&
			    pr->success_threshold != 1)
				dec_error(d, c, p, "must be 1");
		} else if (!strcmp(c->key, "failureThreshold"))
			dec_int32(d, c, p, 1, INT32_MAX,
			    &pr->failure_threshold);
		else if (!strcmp(c->key, "terminationGracePeriodSeconds"))
			dec_int(d, c, p, 1, INT64_MAX, &pr->termination_grace);
		else
			dec_unknown(d, c, p);
	}
	if (nh == 0)
		dec_error(d, m, path, "must specify a handler type");
}

void
dec_handler_free(struct cfg_handler *h)
{
	strv_free(h->exec);
	free(h->path);
	free(h->port_name);
	free(h->host);
	free(h->scheme);
	dec_kvs_free(&h->http_headers);
	memset(h, 0, sizeof(*h));
}
