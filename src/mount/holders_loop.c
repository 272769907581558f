/* --mount: loop devices whose backing file lies on the mount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mount/holder_common.h"
#include "parse/proc_names.h"

static bool is_loop_name(const char *name)
{
    uint64_t n;
    return strncmp(name, "loop", 4) == 0 && decimal_name_parse(name + 4, UINT32_MAX, &n);
}

struct loop_status {
    bool known;
    unsigned dev_major, dev_minor; /* of the filesystem holding the backing file */
    uint64_t inode;
};

/* LOOP_GET_STATUS64 on dev_root/NAME.  ENXIO means the device was
 * detached meanwhile; other failures are told once per scan. */
static int query_loop(struct holder_scan *hs, const char *name, struct loop_status *st,
                      bool *warned)
{
    char *path = holder_path(hs, hs->dev_root, "%s", name);
    if (!path)
        return -ENOMEM;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct loop_info64 info;
    int err = 0;
    if (fd < 0)
        err = -errno;
    else if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
        err = -errno;
    if (fd >= 0)
        close(fd);
    if (err < 0) {
        if (err != -ENXIO && err != -ENOENT && !*warned) {
            holder_report_error(hs, err, 0, path);
            *warned = true;
        }
        return err;
    }
    st->known = true;
    st->dev_major = major((dev_t)info.lo_device);
    st->dev_minor = minor((dev_t)info.lo_device);
    st->inode = info.lo_inode;
    return 0;
}

/* Whether, and how surely, a loop device's backing file is on the
 * target.  The device of the backing filesystem is the kernel's own
 * word; the path only places the file below the mount point. */
static bool loop_on_target(struct holder_scan *hs, const char *path, bool deleted,
                           const struct loop_status *st, bool *possible)
{
    bool covered = mount_target_covers_path(hs->target, path);
    struct file_identity id;
    if (st->known && !holder_is_target_dev(hs, st->dev_major, st->dev_minor))
        return false;
    if (covered) {
        *possible = false;
        return true;
    }
    enum stat_match m = holder_stat_path(hs, path, deleted, &id);
    if (m == STAT_ON_TARGET) {
        *possible = false;
        return true;
    }
    /* Same filesystem, reached through another mount of it (a bind
     * mount elsewhere): the device alone cannot tell which mount. */
    *possible = true;
    return st->known;
}

static void find_one_loop(struct holder_scan *hs, const char *name, struct read_buf *buf,
                          bool *warned)
{
    char *file = holder_path(hs, hs->sys_root, "block/%s/loop/backing_file", name);
    if (holder_read_file(hs, file, buf, READ_CAP_SMALL) < 0)
        return; /* ENOENT: not bound to a file */
    struct text_span span;
    if (loop_backing_file_parse(buf->data, buf->len, &span) < 0) {
        holder_report_malformed(hs, file, 1);
        return;
    }
    bool deleted, possible;
    char *path = holder_decode_span(hs, span, false, &deleted);
    if (!path)
        return;
    struct loop_status st = {0};
    if (hs->live)
        query_loop(hs, name, &st, warned);
    if (!loop_on_target(hs, path, deleted, &st, &possible))
        return;

    char object[64];
    snprintf(object, sizeof(object), "/dev/%s", name);
    struct file_record *rec = holder_add(hs, SOURCE_LOOP, object, path);
    if (!rec)
        return;
    rec->deleted = deleted ? TRI_TRUE : TRI_FALSE;
    if (!possible)
        holder_set_on_target(hs, rec);
    rec->possible = possible;
    if (st.known) {
        rec->has_dev = rec->has_inode = true;
        rec->identity = IDENTITY_KERNEL; /* the loop device's own status */
        rec->dev_major = st.dev_major;
        rec->dev_minor = st.dev_minor;
        rec->inode = st.inode;
    }
}

/* Loop devices: sys_root/block/loopN/loop/backing_file.  Live, the
 * backing filesystem's device from LOOP_GET_STATUS64 must be the target's;
 * the row is certain when the path also lies below the mount point (or
 * statx puts it on the mount), possible when only the device matches (the
 * file reached through another mount of the same filesystem).  In a
 * fixture the path alone decides, and is taken at its word. */
void holders_find_loop(struct holder_scan *hs)
{
    if (!hs->sys_root)
        return; /* a --proc-root snapshot without a /sys tree */
    char *dir = holder_path(hs, hs->sys_root, "block");
    struct name_list names;
    if (!dir)
        return;
    int r = holder_list_dir(dir, is_loop_name, &names);
    if (r < 0) {
        if (r != -ENOENT)
            holder_report_error(hs, r, 0, dir);
        return;
    }
    struct read_buf buf = {0};
    bool warned = false;
    for (size_t i = 0; i < names.len; i++)
        find_one_loop(hs, names.names[i], &buf, &warned);
    read_buf_free(&buf);
    name_list_free(&names);
}
