/* Unit tests of the one mountinfo reader (libmount behind core/mount_table):
 * fields, escapes, order, lookups, FUSE connections and malformed lines. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/mount_table.h"
#include "unit.h"

static struct mount_ns *parse(const char *text)
{
    int err = 0;
    struct mount_ns *ns = mount_ns_parse_text(text, strlen(text), &err);
    CHECK(ns != NULL);
    return ns;
}

TEST(mountinfo_entries)
{
    struct mount_ns *ns = parse("26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                                "42 41 259:1048575 /sub\\040dir /tmp/mt/my\\040mnt rw - ext4 "
                                "/dev/x rw\n"
                                "41 26 0:38 / /tmp/mt rw,relatime - tmpfs tmpfs rw\n");
    if (!ns)
        return;
    CHECK_EQ_INT(ns->len, 3);
    const struct mount_entry *e = mount_ns_find_id(ns, 26);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(e->parent_id, 1);
        CHECK_EQ_INT(e->dev_major, 8);
        CHECK_EQ_INT(e->dev_minor, 1);
        CHECK_EQ_STR(e->root, "/");
        CHECK_EQ_STR(e->target, "/");
        CHECK_EQ_STR(e->fstype, "ext4");
        CHECK_EQ_STR(e->source, "/dev/sda1");
        CHECK_EQ_INT(e->order, 0);
    }
    e = mount_ns_find_id(ns, 42);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(e->dev_major, 259); /* decimal here, unlike nfsd */
        CHECK_EQ_INT(e->dev_minor, 1048575);
        CHECK_EQ_STR(e->root, "/sub dir");
        CHECK_EQ_STR(e->target, "/tmp/mt/my mnt");
        CHECK_EQ_INT(e->order, 1); /* file order is kept beside the id order */
    }
    CHECK(mount_ns_find_id(ns, 43) == NULL);
    CHECK(mount_ns_find_dev(ns, 0, 38) == mount_ns_find_id(ns, 41));
    CHECK_EQ_INT(ns->bad_lines, 0);
    mount_ns_free(ns);
}

TEST(mountinfo_bind_mounts_have_no_single_dev)
{
    struct mount_ns *ns = parse("26 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                                "30 26 8:1 /srv /mnt rw - ext4 /dev/sda1 rw\n");
    if (!ns)
        return;
    CHECK(mount_ns_find_dev(ns, 8, 1) == NULL);
    mount_ns_free(ns);
}

TEST(mountinfo_malformed_lines_are_skipped_and_counted)
{
    struct mount_ns *ns = parse("27 26 0:5 / /dev rw - devtmpfs udev rw\n"
                                "bad\n"
                                "26 1 8:1 /\n"
                                "28 26 0:6 / /run rw - tmpfs tmpfs rw\n");
    if (!ns)
        return;
    CHECK_EQ_INT(ns->len, 2);
    CHECK(mount_ns_find_id(ns, 27) != NULL);
    CHECK(mount_ns_find_id(ns, 28) != NULL);
    CHECK_EQ_INT(ns->bad_lines, 2);
    CHECK_EQ_INT(ns->first_bad_line, 2);
    mount_ns_free(ns);
}

TEST(mountinfo_that_is_not_mountinfo)
{
    /* A bad first line makes libmount read the rest as fstab: no ids. */
    struct mount_ns *ns = parse("bad\n"
                                "27 26 0:5 / /dev rw - devtmpfs udev rw\n");
    if (!ns)
        return;
    CHECK_EQ_INT(ns->len, 0);
    CHECK(ns->bad_lines > 0);
    mount_ns_free(ns);
}

TEST(fuse_connections_of_mounts)
{
    struct mount_ns *ns = parse("26 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                                "50 26 0:44 / /mnt/a rw - fuse.sshfs host: rw\n"
                                "51 26 0:44 / /mnt/b rw - fuse.sshfs host: rw\n"
                                "52 26 7:3 / /mnt/blk rw - fuseblk /dev/loop3 rw\n"
                                "53 26 0:45 / /sys/fs/fuse/connections rw - fusectl fusectl rw\n");
    struct arena arena = {0};
    uint32_t conn = 0;
    if (!ns)
        return;
    CHECK(mount_entry_fuse_conn(mount_ns_find_id(ns, 50), &conn));
    CHECK_EQ_INT(conn, 44);
    CHECK(mount_entry_fuse_conn(mount_ns_find_id(ns, 52), &conn));
    CHECK_EQ_INT(conn, (7u << 20) | 3);
    CHECK(!mount_entry_fuse_conn(mount_ns_find_id(ns, 53), &conn));
    CHECK(!mount_entry_fuse_conn(mount_ns_find_id(ns, 26), &conn));
    CHECK(mount_ns_has_fuse(ns));
    CHECK_EQ_STR(mount_ns_fuse_mountpoints(ns, 44, &arena), "/mnt/a,/mnt/b");
    CHECK_EQ_STR(mount_ns_fuse_mountpoints(ns, (7u << 20) | 3, &arena), "/mnt/blk");
    CHECK(mount_ns_fuse_mountpoints(ns, 45, &arena) == NULL);
    arena_free(&arena);
    mount_ns_free(ns);
}

TEST(fstype_server_classes)
{
    CHECK_EQ_INT(fstype_server("fuse"), FS_FUSE);
    CHECK_EQ_INT(fstype_server("fuse.sshfs"), FS_FUSE);
    CHECK_EQ_INT(fstype_server("fuseblk"), FS_FUSE);
    CHECK_EQ_INT(fstype_server("fusectl"), FS_LOCAL); /* the kernel's own directory */
    CHECK_EQ_INT(fstype_server("nfs4"), FS_NETWORK);
    CHECK_EQ_INT(fstype_server("cifs"), FS_NETWORK);
    CHECK_EQ_INT(fstype_server("9p"), FS_NETWORK);
    CHECK_EQ_INT(fstype_server("ceph"), FS_NETWORK);
    CHECK_EQ_INT(fstype_server("ext4"), FS_LOCAL);
    CHECK_EQ_INT(fstype_server("nfsd"), FS_LOCAL); /* the server's control files */
    CHECK_EQ_INT(fstype_server(NULL), FS_LOCAL);
}

TEST(cover_is_the_longest_mount_point_last_stacked)
{
    struct mount_ns *ns = parse("26 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                                "41 26 0:38 / /mnt rw - tmpfs tmpfs rw\n"
                                "43 41 0:40 / /mnt/fuse rw - fuse.x x rw\n"
                                "44 43 0:41 / /mnt/fuse rw - nfs4 srv:/ rw\n");
    if (!ns)
        return;
    CHECK(mount_ns_cover(ns, "/etc/shadow") == mount_ns_find_id(ns, 26));
    CHECK(mount_ns_cover(ns, "/mnt/fusefile") == mount_ns_find_id(ns, 41));
    CHECK(mount_ns_cover(ns, "/mnt/fuse") == mount_ns_find_id(ns, 44));
    CHECK(mount_ns_cover(ns, "/mnt/fuse/a/b") == mount_ns_find_id(ns, 44));
    CHECK(mount_ns_cover(ns, "relative") == NULL);
    CHECK(mount_ns_cover(NULL, "/") == NULL);
    mount_ns_free(ns);
}
