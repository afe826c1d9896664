/*
 * picoctl_image: `images` (what the store holds, when each image was last
 * used), `image import` (into the store directly: picolet need not run),
 * `image pull` and `image rm` (through picolet, which knows what its pods
 * use).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "store/store.h"
#include "tools/picoctl.h"

/* "in use", "5m ago", or "<none>" when not since picolet started */
static void
last_used(const struct json *it, char *out, size_t len)
{
	const struct json *u = json_get(it, "inUse");
	char age[32];

	if (u != NULL && u->type == JSON_BOOL && u->b) {
		snprintf(out, len, "in use");
		return;
	}
	if (json_get_str(it, "lastUsed") == NULL) {
		snprintf(out, len, "<none>");
		return;
	}
	fmt_since(json_get_str(it, "lastUsed"), time(NULL), age, sizeof(age));
	snprintf(out, len, "%s ago", age);
}

/* docker's HumanSize: four significant digits, decimal units */
static void
human_size(double sz, char *out, size_t len)
{
	static const char *u[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	size_t i = 0;

	while (sz >= 1000 && i + 1 < ARRAY_SIZE(u)) {
		sz /= 1000;
		i++;
	}
	snprintf(out, len, "%.4g%s", sz, u[i]);
}

int
ctl_cmd_images(struct ctl *ctl)
{
	const struct json *items, *it;
	struct json *j;
	struct buf t, o;
	char size[32], age[32], used[40];
	const char *id;

	if (ctl_get_json(ctl, "/api/v1/images", &j) < 0)
		return 1;
	buf_init(&t, CTL_MAXBODY);
	buf_init(&o, CTL_MAXBODY);
	buf_puts(&t, "IMAGE\tID\tSIZE\tCREATED\tLAST USED\n");
	items = json_get(j, "items");
	for (it = items ? items->child : NULL; it; it = it->next) {
		id = json_get_str(it, "id") ? json_get_str(it, "id") : "";
		if (strncmp(id, "sha256:", 7) == 0)
			id += 7;
		human_size((double)json_get_int(it, "size", 0), size,
		    sizeof(size));
		fmt_since(json_get_str(it, "created"), time(NULL), age,
		    sizeof(age));
		last_used(it, used, sizeof(used));
		buf_printf(&t, "%s\t%.13s\t%s\t%s%s\t%s\n", json_get_str(it,
		    "ref") ? json_get_str(it, "ref") : "", id, size, age,
		    strcmp(age, "<unknown>") ? " ago" : "", used);
	}
	fmt_tabwrite(t.p, 6, 3, &o);
	fputs(o.p, stdout);
	buf_free(&t);
	buf_free(&o);
	json_free(j);
	return 0;
}

/* picolet's status if it answers; importing works without it. */
static struct json *
quiet_status(const struct ctl *ctl)
{
	struct json *j = NULL;
	struct buf body;
	struct err err;
	int status = 0;

	buf_init(&body, CTL_MAXBODY);
	if (ctl_http_get(ctl->sock, "/status", false, NULL, NULL, &status,
	    &body, &err) < 0 || status != 200 || json_parse(body.p ? body.p :
	    "", body.len, &j, &err) < 0)
		j = NULL;
	buf_free(&body);
	return j;
}

static int
image_import(struct ctl *ctl)
{
	struct store *st;
	struct json *j = NULL;
	struct err err;
	char **refs = NULL, *state;
	size_t i;
	int r;

	if (ctl->state)
		state = xstrdup(ctl->state);
	else if ((j = quiet_status(ctl)) && json_get_str(j, "stateDir"))
		state = xstrdup(json_get_str(j, "stateDir"));
	else
		state = xstrdup(CTL_DEFAULT_STATE);
	json_free(j);
	if ((r = store_open(&st, state, &err)) == 0) {
		r = store_import(st, ctl->args[1], &refs, &err);
		store_close(st);
	}
	free(state);
	if (r < 0) {
		fprintf(stderr, "picoctl: image import %s: %s\n",
		    ctl->args[1], err.msg);
		return 1;
	}
	for (i = 0; refs && refs[i]; i++)
		printf("imported %s\n", refs[i]);
	strv_free(refs);
	return 0;
}

/* POST or DELETE /api/v1/images[/pull]?ref=REF; prints the Status. */
static int
image_call(struct ctl *ctl, const char *method, const char *what,
    const char *ref)
{
	struct json *j = NULL;
	struct buf path, body;
	struct err err;
	const char *st, *msg;
	int status = 0, rc = 1;

	buf_init(&path, 4096);
	buf_init(&body, CTL_MAXBODY);
	buf_printf(&path, "/api/v1/images%s?ref=", what);
	ctl_query_escape(&path, ref);
	/* a pull takes as long as the registry does; picolet's own
	 * timeouts end it */
	if (ctl_http_req(ctl->sock, method, path.p, true, NULL, NULL, &status,
	    &body, &err) < 0) {
		ctl_print_conn_err(&err);
		goto out;
	}
	if (status / 100 != 2 || json_parse(body.p ? body.p : "", body.len,
	    &j, &err) < 0) {
		ctl_print_status_err(status, &body);
		goto out;
	}
	st = json_get_str(j, "status");
	msg = json_get_str(j, "message");
	if (st != NULL && strcmp(st, "Success") == 0) {
		if (msg != NULL)
			printf("%s\n", msg);
		else
			printf("removed %s\n", ref);
		rc = 0;
	} else
		ctl_print_status_err(status, &body);
out:
	json_free(j);
	buf_free(&path);
	buf_free(&body);
	return rc;
}

int
ctl_cmd_image(struct ctl *ctl)
{
	const char *sub = ctl->nargs == 2 ? ctl->args[0] : "";

	if (strcmp(sub, "import") == 0)
		return image_import(ctl);
	if (strcmp(sub, "pull") == 0)
		return image_call(ctl, "POST", "/pull", ctl->args[1]);
	if (strcmp(sub, "rm") == 0)
		return image_call(ctl, "DELETE", "", ctl->args[1]);
	ctl_usage(stderr, "image");
	return 1;
}
