/*
 * quota: project quotas, the one way a directory's size can be limited
 * on a Linux file system without a mount of its own.  A directory
 * tagged with a project id and FS_XFLAG_PROJINHERIT passes the id on to
 * everything made inside it, the file system counts the blocks of each
 * id, and a hard limit on the id makes writes past it fail with EDQUOT.
 * ext4 does this when made with -O quota,project and mounted with
 * prjquota; xfs with -o prjquota.
 *
 * The limit is set with quotactl_fd(2) (Linux 5.14), on a descriptor of
 * the directory itself, so nothing here has to find the block device.
 * Errors tell the caller which of the three cases it is in: the file
 * system has no project ids at all (-EOPNOTSUPP), it has them but
 * quotas are not enforced on this mount (-ESRCH), or the kernel has no
 * quotactl_fd (-ENOSYS).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dqblk_xfs.h>
#include <linux/fs.h>
#include <linux/quota.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/util.h"
#include "runtime/rt.h"

#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443		/* the same on every architecture */
#endif

/* deepest directory tree rt_quota_tag_tree follows */
#define TAG_MAX_DEPTH 64

static int
quotactl_fd(int fd, unsigned int cmd, uint32_t id, void *addr)
{
	return (int)syscall(SYS_quotactl_fd, fd, cmd, id, addr);
}

/* ENOTTY and friends all mean "no project ids here". */
static int
xattr_errno(int e)
{
	return e == ENOTTY || e == EINVAL || e == ENOSYS ? -EOPNOTSUPP : -e;
}

int
rt_quota_project(int dirfd, uint32_t *id, struct err *err)
{
	struct fsxattr fsx;

	if (ioctl(dirfd, FS_IOC_FSGETXATTR, &fsx) < 0)
		return err_set(err, -xattr_errno(errno), "FS_IOC_FSGETXATTR");
	*id = (fsx.fsx_xflags & FS_XFLAG_PROJINHERIT) ? fsx.fsx_projid : 0;
	return 0;
}

/* Tag one open file or directory; inherit is for directories. */
static int
tag_fd(int fd, uint32_t id, bool inherit)
{
	struct fsxattr fsx;

	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx) < 0)
		return xattr_errno(errno);
	if (fsx.fsx_projid == id && (!inherit ||
	    (fsx.fsx_xflags & FS_XFLAG_PROJINHERIT)))
		return 0;
	fsx.fsx_projid = id;
	if (inherit)
		fsx.fsx_xflags |= FS_XFLAG_PROJINHERIT;
	if (ioctl(fd, FS_IOC_FSSETXATTR, &fsx) < 0)
		return xattr_errno(errno);
	return 0;
}

int
rt_quota_assign(int dirfd, uint32_t id, struct err *err)
{
	int r;

	if ((r = tag_fd(dirfd, id, true)) < 0)
		return err_set(err, -r, "project id %u", id);
	return 0;
}

/*
 * Everything below dirfd gets the id, as `chattr -R -p` does: what was
 * in the directory before it was tagged is counted from now on.  Only
 * regular files and directories can be opened to be tagged; symlinks
 * and special files take no blocks worth counting.  Mount points and
 * other file systems are not crossed.
 */
static int
tag_tree(int dirfd, uint32_t id, dev_t dev, int depth, struct err *err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, r = 0;

	if (depth > TAG_MAX_DEPTH)
		return err_setx(err, ELOOP, "deeper than %d directories",
		    TAG_MAX_DEPTH);
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		r = err_set(err, errno, "opendir");
		if (fd >= 0)
			close(fd);
		return r;
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != dev ||
		    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
			continue;
		cfd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (cfd < 0)
			continue;	/* gone since readdir */
		if ((r = tag_fd(cfd, id, S_ISDIR(st.st_mode))) < 0)
			r = err_set(err, -r, "%s", de->d_name);
		else if (S_ISDIR(st.st_mode))
			r = tag_tree(cfd, id, dev, depth + 1, err);
		close(cfd);
	}
	closedir(d);
	return r;
}

int
rt_quota_tag_tree(int dirfd, uint32_t id, struct err *err)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return err_set(err, errno, "fstat");
	return tag_tree(dirfd, id, st.st_dev, 0, err);
}

static int
quota_errno(int e)
{
	return e == ENOTTY || e == EINVAL ? -EOPNOTSUPP : -e;
}

int
rt_quota_limit(int dirfd, uint32_t id, int64_t bytes, struct err *err)
{
	struct if_dqblk dq;

	memset(&dq, 0, sizeof(dq));
	/* in 1 KiB quota blocks, rounded up; 0 is no limit */
	dq.dqb_bhardlimit = bytes > 0 ? ((uint64_t)bytes + QIF_DQBLKSIZE - 1) /
	    QIF_DQBLKSIZE : 0;
	dq.dqb_valid = QIF_BLIMITS;
	if (quotactl_fd(dirfd, QCMD(Q_SETQUOTA, PRJQUOTA), id, &dq) < 0)
		return err_set(err, -quota_errno(errno), "quotactl_fd "
		    "Q_SETQUOTA project %u", id);
	return 0;
}

int
rt_quota_usage(int dirfd, uint32_t id, int64_t *used, int64_t *limit,
    struct err *err)
{
	struct if_dqblk dq;

	memset(&dq, 0, sizeof(dq));
	if (quotactl_fd(dirfd, QCMD(Q_GETQUOTA, PRJQUOTA), id, &dq) < 0)
		return err_set(err, -quota_errno(errno), "quotactl_fd "
		    "Q_GETQUOTA project %u", id);
	*used = (int64_t)dq.dqb_curspace;
	*limit = (int64_t)(dq.dqb_bhardlimit * QIF_DQBLKSIZE);
	return 0;
}

/*
 * ext4 with the quota feature counts use even when mounted without
 * prjquota; limits then bind nothing.  Whether they do is in the quota
 * state's flags (Q_XGETQSTATV, which the generic quota code answers for
 * every file system, -ENOSYS when it counts nothing at all).
 */
int
rt_quota_enforced(int dirfd, struct err *err)
{
	struct fs_quota_statv qs;

	memset(&qs, 0, sizeof(qs));
	qs.qs_version = FS_QSTATV_VERSION1;
	if (quotactl_fd(dirfd, QCMD(Q_XGETQSTATV, PRJQUOTA), 0, &qs) < 0)
		return err_set(err, -quota_errno(errno), "quotactl_fd "
		    "Q_XGETQSTATV");
	return (qs.qs_flags & FS_QUOTA_PDQ_ENFD) != 0;
}
