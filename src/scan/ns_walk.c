#include "scan/ns_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/procfs_io.h"
#include "parse/statmount_record.h"
#include "util/vec.h"

/* include/uapi/linux/nsfs.h of 6.12; Debian 12's is older. */
struct mnt_ns_info {
    uint32_t size;
    uint32_t nr_mounts;
    uint64_t mnt_ns_id;
};
#define NSIO            0xb7
#define NS_MNT_GET_NEXT _IOR(NSIO, 11, struct mnt_ns_info)
#define NS_MNT_GET_PREV _IOR(NSIO, 12, struct mnt_ns_info)
/* The fixed inodes of the initial namespaces (include/linux/proc_ns.h). */
#define INIT_USER_NS_INODE 0xEFFFFFFDu
#define INIT_PID_NS_INODE  0xEFFFFFFCu

/* include/uapi/linux/mount.h of 6.11: the request of both calls. */
struct mnt_id_req {
    uint32_t size;
    uint32_t spare;
    uint64_t mnt_id;
    uint64_t param;
    uint64_t mnt_ns_id;
};
#define MNT_ID_REQ_SIZE_VER1 32
#define LSMT_ROOT            0xffffffffffffffffULL
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif

/* Far above fs.mount-max (100000): a bound on a table that keeps growing
 * while we read it, not a limit a real system meets. */
#define MAX_NAMESPACES (1u << 20)

/* One step from the namespace of fd; the new fd, or -errno (-ENOENT: no
 * more that way). */
static int step(int fd, bool previous, struct mnt_ns_seen *seen)
{
    struct mnt_ns_info info = {.size = sizeof(info)};
    int next = ioctl(fd, previous ? NS_MNT_GET_PREV : NS_MNT_GET_NEXT, &info);
    struct stat st;
    if (next < 0)
        return -errno;
    if (fstat(next, &st) < 0) {
        int err = -errno;
        close(next);
        return err;
    }
    *seen = (struct mnt_ns_seen){(uint64_t)st.st_ino, info.mnt_ns_id};
    return next;
}

/* From our namespace one way to the end.  Each fd is closed once the next
 * is open: the walk holds one namespace at a time. */
static int walk_one_way(int start, bool previous, struct mnt_ns_seen_list *out)
{
    int fd = dup(start);
    if (fd < 0)
        return -errno;
    int r = 0;
    while (r == 0) {
        struct mnt_ns_seen seen;
        int next = step(fd, previous, &seen);
        if (next < 0) {
            r = next == -ENOENT ? 1 : next;
            break;
        }
        close(fd);
        fd = next;
        if (out->len >= MAX_NAMESPACES)
            r = -E2BIG;
        else if (VEC_APPEND(out, seen) < 0)
            r = -ENOMEM;
    }
    close(fd);
    return r > 0 ? 0 : r;
}

int mnt_ns_walk(const char *proc_root, struct mnt_ns_seen_list *out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/self/ns/mnt", proc_root);
    int self = open(path, O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return -errno;
    int r = walk_one_way(self, false, out);
    if (r == 0)
        r = walk_one_way(self, true, out);
    close(self);
    return r;
}

static bool ns_inode_is(const char *proc_root, const char *name, uint64_t inode)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/self/ns/%s", proc_root, name);
    return stat(path, &st) == 0 && (uint64_t)st.st_ino == inode;
}

bool mnt_ns_walk_sees_all(const char *proc_root)
{
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3];
    if (syscall(SYS_capget, &header, caps) != 0 ||
        !(caps[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))))
        return false;
    return ns_inode_is(proc_root, "user", INIT_USER_NS_INODE) &&
           ns_inode_is(proc_root, "pid", INIT_PID_NS_INODE);
}

/* statmount of one mount into *buf, grown until it fits. */
static int stat_one(uint64_t ns_id, uint64_t mnt_id, unsigned char **buf, size_t *cap)
{
    struct mnt_id_req req = {.size = MNT_ID_REQ_SIZE_VER1,
                             .mnt_id = mnt_id,
                             .param = STATMOUNT_RECORD_WANTS,
                             .mnt_ns_id = ns_id};
    for (;;) {
        if (syscall(SYS_statmount, &req, *buf, *cap, 0) == 0)
            return 0;
        /* A kernel that knows fewer fields may refuse the optional ones. */
        if (errno == EINVAL && req.param != STATMOUNT_RECORD_NEEDS) {
            req.param = STATMOUNT_RECORD_NEEDS;
            continue;
        }
        if (errno != EOVERFLOW || *cap >= (1u << 20))
            return -errno;
        unsigned char *bigger = realloc(*buf, *cap * 4);
        if (!bigger)
            return -ENOMEM;
        *buf = bigger;
        *cap *= 4;
    }
}

struct table_text {
    char *data;
    size_t len, cap;
};

static int append_line(struct table_text *t, const unsigned char *rec_buf, size_t rec_len)
{
    struct statmount_record rec;
    if (statmount_record_decode(rec_buf, rec_len, &rec) < 0)
        return -EINVAL;
    for (;;) {
        int n = t->cap > t->len ? statmount_record_format(&rec, t->data + t->len, t->cap - t->len)
                                : -ENOSPC;
        if (n >= 0) {
            t->len += (size_t)n;
            return 0;
        }
        size_t cap = t->cap ? t->cap * 2 : 64u << 10;
        char *bigger = cap <= READ_CAP_MOUNTINFO ? realloc(t->data, cap) : NULL;
        if (!bigger)
            return cap <= READ_CAP_MOUNTINFO ? -ENOMEM : -EFBIG;
        t->data = bigger;
        t->cap = cap;
    }
}

/* Every mount of namespace ns_id as mountinfo lines, in id order. */
static int read_table_text(uint64_t ns_id, struct table_text *text)
{
    enum { BATCH = 256 };
    uint64_t ids[BATCH], last = 0;
    size_t cap = 4096;
    unsigned char *buf = malloc(cap);
    int r = buf ? 0 : -ENOMEM;
    while (r == 0) {
        struct mnt_id_req req = {
            .size = MNT_ID_REQ_SIZE_VER1, .mnt_id = LSMT_ROOT, .param = last, .mnt_ns_id = ns_id};
        long n = syscall(SYS_listmount, &req, ids, (size_t)BATCH, 0);
        if (n < 0) {
            r = -errno;
            break;
        }
        for (long i = 0; r == 0 && i < n; i++) {
            r = stat_one(ns_id, ids[i], &buf, &cap);
            if (r == -ENOENT)
                r = 0; /* unmounted since listmount */
            else if (r == 0)
                r = append_line(text, buf, cap);
        }
        if (n < BATCH)
            break;
        last = ids[n - 1];
    }
    free(buf);
    return r;
}

struct mount_ns *mnt_ns_read_table(uint64_t id, uint64_t inode, int *err)
{
    struct table_text text = {0};
    struct mount_ns *ns = NULL;
    *err = read_table_text(id, &text);
    if (*err == 0)
        ns = mount_ns_parse_text(text.data ? text.data : "", text.len, err);
    if (ns)
        ns->ns_inode = inode;
    free(text.data);
    return ns;
}
