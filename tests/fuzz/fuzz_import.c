/*
 * libFuzzer harness for store_import: the input is written as an archive
 * file and imported into a temp store.  Whatever happens, nothing may be
 * written outside that store, and a failed import leaves tmp/ empty.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *root;

static void
cleanup(void)
{
	(void)rm_rf(root, NULL);
}

static size_t
entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *archive, *state, *tmp, **refs = NULL;
	struct store *s;
	struct err err;
	int fd, r;

	if (root == NULL) {
		char tmpl[] = "/tmp/picolet-fuzz-import-XXXXXX";

		if (mkdtemp(tmpl) == NULL)
			abort();
		root = strdup(tmpl);
		atexit(cleanup);
	}
	archive = xasprintf("%s/in.tar", root);
	state = xasprintf("%s/state", root);
	tmp = xasprintf("%s/images/tmp", state);
	fd = open(archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, data, size) < 0)
		abort();
	close(fd);
	if (store_open(&s, state, &err) != 0)
		abort();
	r = store_import(s, archive, &refs, &err);
	strv_free(refs);
	store_close(s);
	if (r < 0 && entries(tmp) != 0)
		__builtin_trap();
	/* only in.tar and state/ may exist beside each other */
	if (entries(root) != 2)
		__builtin_trap();
	(void)rm_rf(state, NULL);
	free(archive);
	free(state);
	free(tmp);
	return 0;
}
