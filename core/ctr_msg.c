/*
 * ctr_msg: termination messages.  Each container gets an empty file of
 * its own bind-mounted at terminationMessagePath (/dev/termination-log by
 * default); what the workload wrote there (4 KiB at most, as kubelet
 * reads) becomes the terminated state's message.  With
 * terminationMessagePolicy FallbackToLogsOnError, a failed container
 * that wrote nothing gets the end of its log instead (80 lines, 2 KiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "lib/buf.h"
#include "lib/util.h"

#define MSG_MAX 4096
#define TAIL_LINES 80
#define TAIL_BYTES 2048

int
ctr_msg_file(const struct ctr *c, char *path, size_t len, struct err *err)
{
	int fd;

	snprintf(path, len, "%s/termination-log", c->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0666);
	if (fd < 0)
		return err_set(err, errno, "create %s", path);
	/* Any user in the container may write it, as under kubelet. */
	(void)fchmod(fd, 0666);
	close(fd);
	return 0;
}

const char *
ctr_msg_path(const struct ctr *c)
{
	const char *p = c->spec != NULL ? c->spec->termination_message_path :
	    NULL;

	return p != NULL && p[0] == '/' ? p : "/dev/termination-log";
}

/* The last TAIL_LINES lines of the log's messages, at most TAIL_BYTES. */
static void
log_tail(const struct ctr *c, char *out, size_t outlen)
{
	char dir[4096], path[4200], *data = NULL, *lines[TAIL_LINES];
	struct rt_logrec rec;
	struct buf b;
	size_t len, n = 0, i, k;
	char *p, *nl;

	out[0] = '\0';
	ctr_log_dir(c, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%d.log", dir, c->restarts);
	/* Reading the file is bounded: at most one rotation's worth, and
	 * only when a container failed with this policy. */
	if (read_file(path, 16 << 20, &data, &len, NULL) < 0)
		return;
	for (p = data; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		lines[n % TAIL_LINES] = p;
		*nl = '\0';
		n++;
	}
	buf_init(&b, TAIL_BYTES * 4);
	k = n > TAIL_LINES ? n - TAIL_LINES : 0;
	for (i = k; i < n; i++) {
		char *l = lines[i % TAIL_LINES];

		if (rt_log_parse(l, strlen(l), &rec) < 0)
			continue;
		buf_append(&b, rec.msg, rec.msglen);
		if (!rec.partial)
			buf_append(&b, "\n", 1);
	}
	if (b.len > 0) {
		/* The end of it, when over the limit. */
		const char *s = b.len > TAIL_BYTES ? b.p + b.len - TAIL_BYTES :
		    b.p;

		snprintf(out, outlen, "%s", s);
	}
	buf_free(&b);
	free(data);
}

void
ctr_msg_read(const struct ctr *c, struct ctr_term *t)
{
	char path[4200], *data = NULL;
	size_t len = 0;
	const char *policy = c->spec != NULL ?
	    c->spec->termination_message_policy : NULL;

	snprintf(path, sizeof(path), "%s/termination-log", c->dir);
	if (read_file(path, MSG_MAX, &data, &len, NULL) == 0 && len > 0) {
		snprintf(t->message, sizeof(t->message), "%s", data);
	} else if (t->exit_code != 0 && policy != NULL &&
	    strcmp(policy, "FallbackToLogsOnError") == 0) {
		log_tail(c, t->message, sizeof(t->message));
	}
	free(data);
}
