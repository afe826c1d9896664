/* libFuzzer harness for cfg/conf.c: the INI file through inih and our
 * handler.  The input goes to a private temp file, rewritten each run. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_conf c;
	struct err e;
	int fd;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/fuzz_conf.%d",
		    (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	cfg_conf_defaults(&c);
	if (cfg_conf_load(&c, path, &e) == 0 &&
	    (c.nodeport_min > c.nodeport_max || c.manifests[0] != '/'))
		abort();
	unlink(path);
	return 0;
}
