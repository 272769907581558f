/* Unit tests of the --mount HINT of each kind of holder
 * (src/mount/holder_hint.c): hand-made rows, no root. */
#include <stdlib.h>
#include <string.h>

#include "mount/holders.h"
#include "unit.h"

struct fixture {
    struct scan_result res;
    struct holder_scan hs;
};

static void fx_init(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    record_list_init(&fx->res.records, &fx->res.arena);
    fx->hs.res = &fx->res;
    fx->hs.records = &fx->res.records;
    fx->hs.arena = &fx->res.arena;
}

static struct file_record *row(struct fixture *fx, const struct process_info *proc,
                               enum file_source source, const char *path, const char *object)
{
    struct file_record *rec = record_list_add(&fx->res.records, proc, source);
    if (!rec)
        abort();
    rec->path = path;
    rec->object = object;
    return rec;
}

TEST(process_references_name_the_pid_and_unit)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info db = {.pid = 812, .command = "db", .unit = "postgresql.service"};
    struct process_info box = {.pid = 90, .command = "app", .container = "0123456789ab"};
    struct process_info sh = {.pid = 7, .command = "sh"};
    struct file_record *a = row(&fx, &db, SOURCE_URING_FIXED, "/srv/data/wal", NULL);
    struct file_record *b = row(&fx, &box, SOURCE_FD, "/srv/data/x", NULL);
    struct file_record *c = row(&fx, &sh, SOURCE_CWD, "/srv/data", NULL);
    holders_set_hints(&fx.hs);
    CHECK_EQ_STR(a->hint, "kill 812 (or restart postgresql.service)");
    CHECK_EQ_STR(b->hint, "kill 90 (or stop container 0123456789ab)");
    CHECK_EQ_STR(c->hint, "kill 7");
    scan_result_free(&fx.res);
}

TEST(kernel_holders_name_the_command_that_releases_them)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info reader = {.pid = 200, .command = "postgres"};
    struct file_record *loop = row(&fx, NULL, SOURCE_LOOP, "/srv/a.img", "/dev/loop3");
    struct file_record *swap = row(&fx, NULL, SOURCE_SWAP, "/srv/swap file", "swap");
    struct file_record *binfmt =
        row(&fx, NULL, SOURCE_BINFMT, "/srv/qemu", "binfmt_misc:qemu-aarch64");
    struct file_record *export = row(&fx, NULL, SOURCE_NFS_EXPORT, "/srv/pub", "export to *");
    struct file_record *sub = row(&fx, NULL, SOURCE_SUBMOUNT, "/srv/it's", "/srv/it's");
    struct file_record *ns = row(&fx, &reader, SOURCE_MOUNT_NS, "/data", "mnt:[4026532300]");
    struct file_record *bind = row(&fx, NULL, SOURCE_BIND, "/exports", "/exports");
    struct file_record *kept = row(&fx, NULL, SOURCE_OVERLAY, "/srv/lower", "/m (lowerdir)");
    kept->hint = "umount /m";
    holders_set_hints(&fx.hs);
    CHECK_EQ_STR(loop->hint, "losetup -d /dev/loop3");
    CHECK_EQ_STR(swap->hint, "swapoff '/srv/swap file'");
    CHECK_EQ_STR(binfmt->hint, "echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64");
    CHECK_EQ_STR(export->hint, "exportfs -u '*':/srv/pub");
    CHECK_EQ_STR(sub->hint, "umount '/srv/it'\\''s'");
    CHECK_EQ_STR(ns->hint, "nsenter -t 200 -m umount /data");
    CHECK_EQ_STR(bind->hint, "umount /exports");
    CHECK_EQ_STR(kept->hint, "umount /m");
    scan_result_free(&fx.res);
}

TEST(fuse_backing_files)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info server = {.pid = 44, .command = "fusesrv"};
    struct file_record *a = row(&fx, &server, SOURCE_FUSE_BACKING, "/back/one", NULL);
    a->fuse_mount = "/mnt/fx";
    struct file_record *b = row(&fx, NULL, SOURCE_FUSE_BACKING, "/back/two", NULL);
    b->fuse_mount = "/mnt/fx";
    struct file_record *c = row(&fx, NULL, SOURCE_FUSE_BACKING, "/back/three", NULL);
    holders_set_hints(&fx.hs);
    CHECK_EQ_STR(a->hint, "umount /mnt/fx and stop its server 44");
    CHECK_EQ_STR(b->hint, "umount /mnt/fx");
    CHECK(c->hint == NULL);
    scan_result_free(&fx.res);
}
