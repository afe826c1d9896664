/*
 * caps: capability names as Kubernetes writes them (no CAP_ prefix) and the
 * two sets picolet uses.  Numbers are the kernel's (linux/capability.h);
 * the table stops at CAP_CHECKPOINT_RESTORE (40), the newest we know.  A
 * running kernel may know fewer: the container child drops only up to
 * /proc/sys/kernel/cap_last_cap.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "runtime/container.h"
#include "lib/util.h"

static const char *const names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
	"NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
	"SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
	"AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
	"MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
	"PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/* containerd's default (oci.defaultUnixCaps), by name. */
static const char *const defaults[] = {
	"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
	"SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE",
	"SYS_CHROOT", "KILL", "AUDIT_WRITE",
};

int
rt_cap_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return -EINVAL;
	/* Kubernetes accepts "CAP_NET_ADMIN" too. */
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

uint64_t
rt_caps_default(void)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(defaults); i++)
		m |= UINT64_C(1) << rt_cap_from_name(defaults[i]);
	return m;
}

uint64_t
rt_caps_all(void)
{
	return (UINT64_C(1) << ARRAY_SIZE(names)) - 1;
}

const char *
rt_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(names))
		return NULL;
	return names[cap];
}
