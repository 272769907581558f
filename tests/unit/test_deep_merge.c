/* Unit tests of the --deep merge (src/deep/deep_merge.c): hand-made /proc
 * scan results and kernel views, no root and no BPF.  Each test is one
 * merge rule; the fixture builders below keep them reading as scenarios. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deep/deep_merge.h"
#include "util/vec.h"
#include "unit.h"

/* Our mount table: a root, /data (mount id 30) and one FUSE mount of
 * connection 40 (a "fuse.x" on the anonymous device 0:40). */
static const char self_mountinfo[] = "26 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                                     "30 26 8:2 / /data rw - ext4 /dev/sda2 rw\n"
                                     "50 26 0:40 / /mnt/fx rw,nosuid - fuse.x x rw\n";

#define CONN      40u /* the connection of /mnt/fx */
#define CONN_NONE 41u /* a connection no mount shows */

static const char mapped_note[] =
    "ring has no fd, only mappings; its fixed files are listed by the kernel view";
static const char registered_only_note[] =
    "ring has no fd and no mapping; found through the task's registered ring fds";

/* ---- the /proc side ------------------------------------------------------- */

struct fixture {
    struct scan_result res;
    struct deep_result kernel;
};

static struct mount_ns *parse_mounts(const char *text)
{
    int err = 0;
    struct mount_ns *ns = mount_ns_parse_text(text, strlen(text), &err);
    if (!ns)
        abort();
    return ns;
}

/* A second mount table (another namespace) in res->mounts, which frees it. */
static void add_mount_table(struct fixture *fx, const char *text)
{
    if (VEC_APPEND(&fx->res.mounts, parse_mounts(text)) < 0)
        abort();
}

static void fx_init(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    record_list_init(&fx->res.records, &fx->res.arena);
    fx->res.self_mounts = parse_mounts(self_mountinfo);
    /* scan_result_free frees every table of res->mounts, ours among them. */
    if (VEC_APPEND(&fx->res.mounts, fx->res.self_mounts) < 0)
        abort();
}

/* The paths of the hand-made kernel views, as deep_decode() keeps them. */
static struct arena kernel_strings;

static void fx_free(struct fixture *fx)
{
    deep_result_free(&fx->kernel);
    arena_free(&kernel_strings);
    scan_result_free(&fx->res);
}

static struct process_info *add_proc(struct fixture *fx, pid_t pid)
{
    struct process_info *p = arena_zalloc(&fx->res.arena, sizeof(*p));
    if (!p || VEC_APPEND(&fx->res.processes, p) < 0)
        abort();
    p->pid = pid;
    p->command = "cmd";
    return p;
}

static struct file_record *add_row(struct fixture *fx, const struct process_info *proc,
                                   enum file_source source, const char *path)
{
    struct file_record *rec = record_list_add(&fx->res.records, proc, source);
    if (!rec)
        abort();
    rec->path = path;
    return rec;
}

/* A uring-fixed row as the /proc scan makes it from a ring fd's fdinfo: a
 * bare name, nothing known of its identity. */
static struct file_record *add_fixed_row(struct fixture *fx, const struct process_info *proc,
                                         int ring_fd, uint32_t slot, const char *path)
{
    struct file_record *rec = add_row(fx, proc, SOURCE_URING_FIXED, path);
    rec->has_ring_fd = rec->has_slot = true;
    rec->ring_fd = ring_fd;
    rec->slot = slot;
    rec->path_complete = false;
    return rec;
}

/* The row /proc makes for a mapped ring that no fd of the process has. */
static struct file_record *add_mapped_ring_row(struct fixture *fx, const struct process_info *proc,
                                               uint64_t ring_inode)
{
    struct file_record *rec = add_row(fx, proc, SOURCE_URING_RING, "anon_inode:[io_uring]");
    rec->type = FTYPE_ANON;
    rec->has_ring_inode = rec->has_inode = true;
    rec->ring_inode = rec->inode = ring_inode;
    rec->note = "from /proc";
    return rec;
}

/* A fuse-backing row as /sys's backing_files table gives it. */
static struct file_record *add_sys_backing_row(struct fixture *fx, const struct process_info *proc,
                                               uint32_t conn, uint32_t id, const char *path)
{
    struct file_record *rec = add_row(fx, proc, SOURCE_FUSE_BACKING, path);
    rec->has_fuse_conn = rec->has_backing_id = true;
    rec->fuse_conn = conn;
    rec->backing_id = id;
    return rec;
}

/* ---- the kernel side ------------------------------------------------------ */

enum { MAX_OBJECTS = 16 };

/* Room for MAX_OBJECTS is made once, so the pointers tests keep stay valid. */
static struct deep_object *add_object(struct deep_result *r, enum deep_object_kind kind)
{
    if (!r->cap && VEC_RESERVE(r, MAX_OBJECTS) < 0)
        abort();
    if (r->len == r->cap)
        abort();
    struct deep_object *o = &r->items[r->len++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->key = 0xffff888100000000ULL + r->len * 0x1000;
    return o;
}

static struct deep_object *add_ring(struct fixture *fx, uint64_t inode)
{
    struct deep_object *o = add_object(&fx->kernel, DEEP_OBJ_RING);
    o->inode = inode;
    o->dev_major = 0;
    o->dev_minor = 15;
    o->nslots = 16;
    o->layout = DEEP_LAYOUT_RSRC_NODES;
    return o;
}

static struct deep_object *add_fuse(struct deep_result *r, enum deep_object_kind kind,
                                    uint32_t conn)
{
    struct deep_object *o = add_object(r, kind);
    o->fuse_conn = conn;
    return o;
}

static void add_reach(struct deep_object *o, enum deep_via via, pid_t pid, pid_t tid, int fd)
{
    struct deep_reach *r =
        vec_push((void **)&o->reaches, &o->nreaches, &o->reaches_cap, sizeof(*o->reaches));
    if (!r)
        abort();
    *r = (struct deep_reach){via, pid, tid, fd};
}

/* A regular file on /data (8:2, mount id 30); the pointer is valid until
 * the next file of the same object. */
static struct deep_file *add_file(struct deep_object *o, uint32_t index, const char *path)
{
    static uint64_t next_key = 0xffff888200000000ULL;
    struct deep_file *f =
        vec_push((void **)&o->files, &o->nfiles, &o->files_cap, sizeof(*o->files));
    if (!f || !(f->path = arena_strdup(&kernel_strings, path)))
        abort();
    f->path_len = strlen(path);
    f->index = index;
    f->file_key = next_key += 0x100;
    f->dev_major = 8;
    f->dev_minor = 2;
    f->inode = 1000 + index;
    f->mode = S_IFREG | 0644;
    f->has_mount_id = true;
    f->mount_id = 30;
    f->path_complete = true;
    return f;
}

/* ---- running and reading the merge ---------------------------------------- */

static void merge(struct fixture *fx, bool want_mountpoint, bool selected_pids)
{
    struct deep_merge_options opts = {.want_mountpoint = want_mountpoint,
                                      .selected_pids = selected_pids};
    deep_merge(&fx->res, &fx->kernel, &opts);
}

static size_t count_rows(const struct fixture *fx, enum file_source source)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->res.records.len; i++)
        n += fx->res.records.items[i]->source == source;
    return n;
}

/* The n-th row (from 0) of source, or NULL. */
static struct file_record *nth_row(const struct fixture *fx, enum file_source source, size_t n)
{
    for (size_t i = 0; i < fx->res.records.len; i++)
        if (fx->res.records.items[i]->source == source && n-- == 0)
            return fx->res.records.items[i];
    return NULL;
}

static struct file_record *fixed_row(const struct fixture *fx, pid_t pid, uint32_t slot)
{
    for (size_t i = 0; i < fx->res.records.len; i++) {
        struct file_record *rec = fx->res.records.items[i];
        if (rec->source == SOURCE_URING_FIXED && rec->proc && rec->proc->pid == pid &&
            rec->has_slot && rec->slot == slot)
            return rec;
    }
    return NULL;
}

static struct file_record *backing_row(const struct fixture *fx, uint32_t conn, uint32_t id)
{
    for (size_t i = 0; i < fx->res.records.len; i++) {
        struct file_record *rec = fx->res.records.items[i];
        if (rec->source == SOURCE_FUSE_BACKING && rec->fuse_conn == conn && rec->has_backing_id &&
            rec->backing_id == id)
            return rec;
    }
    return NULL;
}

static struct file_record *row_with_path(const struct fixture *fx, const char *path)
{
    for (size_t i = 0; i < fx->res.records.len; i++) {
        struct file_record *rec = fx->res.records.items[i];
        if (rec->path && strcmp(rec->path, path) == 0)
            return rec;
    }
    return NULL;
}

static size_t count_warnings(const struct fixture *fx, enum warning_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->res.warnings.len; i++)
        n += fx->res.warnings.items[i].kind == kind;
    return n;
}

static bool warned(const struct fixture *fx, const char *text)
{
    for (size_t i = 0; i < fx->res.warnings.len; i++)
        if (fx->res.warnings.items[i].kind == WARN_DEEP &&
            strstr(fx->res.warnings.items[i].reason, text))
            return true;
    return false;
}

/* ---- io_uring rings ------------------------------------------------------- */

TEST(ring_fd_slot_listed_by_proc_takes_kernel_identity)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100), *q = add_proc(&fx, 200);
    struct file_record *reg = add_fixed_row(&fx, p, 5, 2, "db.log");
    reg->deleted = TRI_UNKNOWN;
    struct file_record *anon = add_fixed_row(&fx, p, 5, 3, "[eventfd]");
    anon->path_complete = true;
    anon->deleted = TRI_TRUE;
    anon->has_mount_id = true;
    anon->mount_id = 99;
    /* Another process's ring fd 5, slot 2: not the kernel's ring. */
    struct file_record *other = add_fixed_row(&fx, q, 5, 2, "other");

    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    struct deep_file *f = add_file(ring, 2, "/data/db.log");
    f->deleted = true;
    f->dev_major = 8;
    f->dev_minor = 2;
    f->inode = 4711;
    f->mount_id = 30;
    const char *kernel_path = f->path;
    f = add_file(ring, 3, "anon_inode:[eventfd]");
    f->mode = 0600; /* anon inodes have no S_IFMT bits */
    f->dev_major = 0;
    f->dev_minor = 15;
    f->inode = 9;
    f->has_mount_id = false;
    f->mount_id = -1;
    f->path_complete = false;
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 3); /* no new row */
    CHECK_EQ_STR(reg->path, "/data/db.log");
    CHECK(reg->path == kernel_path); /* borrowed: the kernel view outlives the rows */
    CHECK_EQ_INT(reg->method, METHOD_BPF);
    CHECK_EQ_INT(reg->identity, IDENTITY_KERNEL);
    CHECK_EQ_INT(reg->type, FTYPE_REG);
    CHECK(reg->path_complete);
    CHECK_EQ_INT(reg->deleted, TRI_TRUE);
    CHECK(reg->has_dev && reg->has_inode);
    CHECK_EQ_INT(reg->dev_major, 8);
    CHECK_EQ_INT(reg->dev_minor, 2);
    CHECK_EQ_INT(reg->inode, 4711);
    CHECK(reg->has_mount_id);
    CHECK_EQ_INT(reg->mount_id, 30);

    CHECK_EQ_STR(anon->path, "anon_inode:[eventfd]");
    CHECK_EQ_INT(anon->method, METHOD_BPF);
    CHECK_EQ_INT(anon->identity, IDENTITY_KERNEL);
    CHECK_EQ_INT(anon->type, FTYPE_ANON);
    CHECK(!anon->path_complete);
    CHECK_EQ_INT(anon->deleted, TRI_FALSE);
    CHECK_EQ_INT(anon->dev_minor, 15);
    CHECK_EQ_INT(anon->inode, 9);
    CHECK(!anon->has_mount_id);

    CHECK_EQ_STR(other->path, "other");
    CHECK_EQ_INT(other->method, METHOD_PROCFS);
    fx_free(&fx);
}

TEST(ring_fd_slot_missing_from_proc_becomes_hidden_row)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    add_fixed_row(&fx, p, 5, 0, "a");
    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    add_file(ring, 0, "/data/a");
    add_file(ring, 7, "/data/filled-since")->inode = 55;
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 2);
    struct file_record *rec = fixed_row(&fx, 100, 7);
    CHECK(rec != NULL);
    if (rec) {
        CHECK(rec->proc == p);
        CHECK(rec->hidden);
        CHECK(rec->has_ring_fd);
        CHECK_EQ_INT(rec->ring_fd, 5);
        CHECK(rec->has_slot);
        CHECK(rec->has_ring_inode);
        CHECK_EQ_INT(rec->ring_inode, 777);
        CHECK_EQ_STR(rec->path, "/data/filled-since");
        CHECK_EQ_INT(rec->inode, 55);
        CHECK_EQ_INT(rec->method, METHOD_BPF);
    }
    fx_free(&fx);
}

TEST(mapped_ring_row_gets_bpf_and_its_fixed_files)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct file_record *ring_row = add_mapped_ring_row(&fx, p, 777);
    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_VMA, 100, 100, -1);
    add_file(ring, 0, "/data/a");
    add_file(ring, 4, "/data/b")->inode = 44;
    merge(&fx, false, false);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_RING), 1); /* /proc's row, not a new one */
    CHECK_EQ_INT(ring_row->method, METHOD_BPF);
    CHECK_EQ_STR(ring_row->note, mapped_note);
    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_FIXED), 2);
    for (uint32_t slot = 0; slot <= 4; slot += 4) {
        struct file_record *rec = fixed_row(&fx, 100, slot);
        CHECK(rec != NULL);
        if (!rec)
            continue;
        CHECK(rec->proc == p);
        CHECK(!rec->has_ring_fd);
        CHECK(rec->has_ring_inode);
        CHECK_EQ_INT(rec->ring_inode, 777);
        CHECK_EQ_INT(rec->method, METHOD_BPF);
        CHECK_EQ_STR(rec->path, slot == 0 ? "/data/a" : "/data/b");
    }
    fx_free(&fx);
}

TEST(registered_only_ring_gets_new_ring_row_and_files)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct deep_object *ring = add_ring(&fx, 888);
    ring->dev_major = 0;
    ring->dev_minor = 16;
    add_reach(ring, DEEP_VIA_REGISTERED, 100, 101, 0);
    add_file(ring, 1, "/data/reg");
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 2);
    struct file_record *row = nth_row(&fx, SOURCE_URING_RING, 0);
    CHECK(row != NULL);
    if (row) {
        CHECK(row->proc == p);
        CHECK(row->hidden);
        CHECK_EQ_STR(row->path, "anon_inode:[io_uring]");
        CHECK_EQ_INT(row->type, FTYPE_ANON);
        CHECK_EQ_INT(row->deleted, TRI_FALSE);
        CHECK(row->has_inode && row->has_dev && row->has_ring_inode);
        CHECK_EQ_INT(row->inode, 888);
        CHECK_EQ_INT(row->ring_inode, 888);
        CHECK_EQ_INT(row->dev_major, 0);
        CHECK_EQ_INT(row->dev_minor, 16);
        CHECK(!row->has_ring_fd);
        CHECK_EQ_INT(row->method, METHOD_BPF);
        CHECK_EQ_STR(row->note, registered_only_note);
    }
    struct file_record *rec = fixed_row(&fx, 100, 1);
    CHECK(rec != NULL);
    if (rec) {
        CHECK(!rec->has_ring_fd);
        CHECK_EQ_INT(rec->ring_inode, 888);
        CHECK_EQ_STR(rec->path, "/data/reg");
    }
    fx_free(&fx);
}

TEST(ring_with_fd_and_mapping_merges_by_fd_only)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100), *q = add_proc(&fx, 200);
    add_fixed_row(&fx, p, 5, 0, "a");
    struct deep_object *ring = add_ring(&fx, 777);
    /* The mapping comes first: the fd must still win. */
    add_reach(ring, DEEP_VIA_VMA, 100, 100, -1);
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    /* Another process only maps it (a child after fork): its own ring row. */
    add_reach(ring, DEEP_VIA_VMA, 200, 200, -1);
    add_file(ring, 0, "/data/a");
    add_file(ring, 1, "/data/b");
    merge(&fx, false, false);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_RING), 1);
    struct file_record *row = nth_row(&fx, SOURCE_URING_RING, 0);
    CHECK(row && row->proc == q);
    size_t of_p = 0;
    for (size_t i = 0; i < fx.res.records.len; i++) {
        struct file_record *rec = fx.res.records.items[i];
        if (rec->proc != p)
            continue;
        of_p++;
        CHECK(rec->source == SOURCE_URING_FIXED && rec->has_ring_fd && rec->ring_fd == 5);
    }
    CHECK_EQ_INT(of_p, 2);
    CHECK_EQ_INT(fx.res.records.len, 5); /* p: 2 by fd; q: its ring and 2 files */
    fx_free(&fx);
}

TEST(ring_mapped_twice_by_one_process_merged_once)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 100);
    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_VMA, 100, 100, -1);
    add_reach(ring, DEEP_VIA_VMA, 100, 101, -1);
    add_file(ring, 0, "/data/a");
    add_file(ring, 1, "/data/b");
    /* Reached by two threads' registered ring fds and a mapping. */
    struct deep_object *ring2 = add_ring(&fx, 778);
    add_reach(ring2, DEEP_VIA_REGISTERED, 100, 100, 0);
    add_reach(ring2, DEEP_VIA_VMA, 100, 100, -1);
    add_reach(ring2, DEEP_VIA_REGISTERED, 100, 102, 1);
    add_file(ring2, 0, "/data/c");
    merge(&fx, false, false);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_RING), 2);
    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_FIXED), 3);
    struct file_record *row2 = nth_row(&fx, SOURCE_URING_RING, 1);
    CHECK(row2 && row2->ring_inode == 778);
    if (row2) /* the first reach was registered, but it is mapped too */
        CHECK_EQ_STR(row2->note, mapped_note);
    fx_free(&fx);
}

TEST(reach_by_unlisted_pid_is_ignored)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct file_record *mine = add_fixed_row(&fx, p, 5, 0, "mine");
    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_FD, 999, 999, 5);
    add_reach(ring, DEEP_VIA_VMA, 998, 998, -1);
    add_reach(ring, DEEP_VIA_REGISTERED, 997, 997, 0);
    add_file(ring, 0, "/data/a");
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 1);
    CHECK_EQ_STR(mine->path, "mine");
    CHECK_EQ_INT(mine->method, METHOD_PROCFS);
    fx_free(&fx);
}

TEST(unsupported_layout_warns_once_and_adds_nothing)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct file_record *rec = add_fixed_row(&fx, p, 5, 0, "a");
    for (int i = 0; i < 2; i++) {
        struct deep_object *ring = add_ring(&fx, 777 + (uint64_t)i);
        ring->layout = DEEP_LAYOUT_NONE;
        ring->truncated = true;
        add_reach(ring, DEEP_VIA_FD, 100, 100, 5 + i);
        add_reach(ring, DEEP_VIA_VMA, 100, 100, -1);
        add_file(ring, 0, "/data/a");
        add_file(ring, 1, "/data/b");
    }
    /* A ring of a known layout after them is still merged. */
    struct deep_object *ring = add_ring(&fx, 790);
    add_reach(ring, DEEP_VIA_FD, 100, 100, 9);
    add_file(ring, 0, "/data/c");
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.warnings.len, 1);
    CHECK_EQ_INT(count_warnings(&fx, WARN_DEEP), 1);
    CHECK(warned(&fx, "layout is not supported"));
    CHECK_EQ_INT(fx.res.records.len, 2);
    CHECK_EQ_STR(rec->path, "a");
    CHECK_EQ_INT(rec->method, METHOD_PROCFS);
    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_RING), 0);
    CHECK(row_with_path(&fx, "/data/c") != NULL);
    fx_free(&fx);
}

TEST(truncated_ring_warns_with_its_inode)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 100);
    struct deep_object *ring = add_ring(&fx, 4242);
    ring->truncated = true;
    ring->nslots = 64;
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    add_file(ring, 0, "/data/a");
    struct deep_object *whole = add_ring(&fx, 4343);
    add_reach(whole, DEEP_VIA_FD, 100, 100, 6);
    merge(&fx, false, false);

    CHECK_EQ_INT(count_warnings(&fx, WARN_DEEP), 1);
    CHECK(warned(&fx, "ring inode 4242 "));
    CHECK(warned(&fx, "64 slots"));
    if (fx.res.warnings.len)
        CHECK_EQ_INT(fx.res.warnings.items[0].pid, 100);
    CHECK(fixed_row(&fx, 100, 0) != NULL); /* what it did list is merged */
    fx_free(&fx);
}

TEST(truncated_ring_of_unselected_process_does_not_warn)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 100);
    struct deep_object *ring = add_ring(&fx, 4242);
    ring->truncated = true;
    add_reach(ring, DEEP_VIA_FD, 999, 999, 5); /* not selected (-p) */
    add_file(ring, 0, "/data/a");
    struct deep_object *shared = add_ring(&fx, 4343);
    shared->truncated = true;
    add_reach(shared, DEEP_VIA_FD, 999, 999, 6);
    add_reach(shared, DEEP_VIA_FD, 100, 100, 6);
    merge(&fx, false, false);

    CHECK_EQ_INT(count_warnings(&fx, WARN_DEEP), 1);
    CHECK(warned(&fx, "ring inode 4343 "));
    if (fx.res.warnings.len)
        CHECK_EQ_INT(fx.res.warnings.items[0].pid, 100); /* the selected one */
    fx_free(&fx);
}

TEST(ring_fd_of_another_ring_is_not_merged_into_it)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    /* The leader's ring 700 at fd 5, slot 0, as fdinfo (with ino:) shows it. */
    struct file_record *leader = add_fixed_row(&fx, p, 5, 0, "leader.log");
    leader->has_ring_inode = true;
    leader->ring_inode = 700;
    /* A thread with its own file table holds ring 701 at the same fd. */
    struct deep_object *ring = add_ring(&fx, 701);
    add_reach(ring, DEEP_VIA_FD, 100, 101, 5);
    add_file(ring, 0, "/data/thread.log");
    merge(&fx, false, false);

    CHECK_EQ_STR(leader->path, "leader.log");
    CHECK_EQ_INT(leader->method, METHOD_PROCFS);
    struct file_record *row = row_with_path(&fx, "/data/thread.log");
    CHECK(row != NULL);
    if (row) {
        CHECK(row != leader);
        CHECK_EQ_INT(row->ring_inode, 701);
        CHECK_EQ_INT(row->ring_fd, 5);
        CHECK_EQ_INT(row->method, METHOD_BPF);
    }
    fx_free(&fx);
}

TEST(ring_the_kernel_did_not_see_is_unchecked)
{
    /* /proc shows a mapped ring with no fd that the kernel's pass did not
     * list: it was made after the pass. */
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct file_record *late = add_mapped_ring_row(&fx, p, 999);
    struct deep_object *ring = add_ring(&fx, 777); /* another, seen by fd */
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    merge(&fx, false, false);
    CHECK(late->unchecked);
    CHECK(late->note && strstr(late->note, "after their pass"));
    CHECK_EQ_INT(late->method, METHOD_PROCFS);
    fx_free(&fx);
}

TEST(unsupported_layout_checks_nothing)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct file_record *row = add_mapped_ring_row(&fx, p, 999);
    struct deep_object *ring = add_ring(&fx, 777);
    ring->layout = DEEP_LAYOUT_NONE;
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    merge(&fx, false, false);
    CHECK(!row->unchecked); /* the kernel view could not read rings at all */
    fx_free(&fx);
}

/* ---- FUSE connections ----------------------------------------------------- */

TEST(fuse_server_is_lowest_listed_fuse_dev_pid)
{
    struct fixture fx;
    fx_init(&fx);
    /* Listed out of order: the merge sorts its own index. */
    add_proc(&fx, 30);
    add_proc(&fx, 10);
    struct process_info *server = add_proc(&fx, 20);
    struct deep_object *conn = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 30, 30, 3);
    add_reach(conn, DEEP_VIA_FUSE_CTL, 10, 10, 8); /* lshidden's fusectl fd */
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 21, 4);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 5, 5, 3); /* not listed */
    struct deep_file *f = add_file(conn, 3, "/data/backing");
    f->inode = 321;
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 1);
    struct file_record *rec = backing_row(&fx, CONN, 3);
    CHECK(rec != NULL);
    if (rec) {
        CHECK(rec->proc == server);
        CHECK(rec->hidden);
        CHECK(rec->has_fuse_conn);
        CHECK_EQ_INT(rec->fuse_conn, CONN);
        CHECK_EQ_STR(rec->fuse_mount, "/mnt/fx");
        CHECK_EQ_STR(rec->path, "/data/backing");
        CHECK_EQ_INT(rec->inode, 321);
        CHECK_EQ_INT(rec->method, METHOD_BPF);
    }
    fx_free(&fx);
}

TEST(fuse_backing_row_from_sys_updated_in_place)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *server = add_proc(&fx, 20);
    /* The same backing id of another connection is another file. */
    struct file_record *other = add_sys_backing_row(&fx, server, CONN_NONE, 1, "/other/conn");
    struct file_record *sys = add_sys_backing_row(&fx, server, CONN, 1, "/sys/view");
    sys->fuse_mount = "/mnt/fx";
    struct deep_object *conn = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 20, 4);
    add_file(conn, 1, "/data/one")->inode = 11;
    add_file(conn, 2, "/data/two");
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 3);
    CHECK_EQ_STR(sys->path, "/data/one");
    CHECK_EQ_INT(sys->inode, 11);
    CHECK_EQ_INT(sys->method, METHOD_BPF);
    CHECK(sys->proc == server);
    CHECK_EQ_STR(other->path, "/other/conn");
    CHECK_EQ_INT(other->method, METHOD_PROCFS);
    struct file_record *two = backing_row(&fx, CONN, 2);
    CHECK(two != NULL && two != sys && two != other);
    if (two) {
        CHECK(two->proc == server);
        CHECK_EQ_STR(two->path, "/data/two");
    }
    fx_free(&fx);
}

TEST(fuse_conn_without_server_has_rows_without_process)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 20);
    struct deep_object *conn = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(conn, DEEP_VIA_FUSE_CTL, 20, 20, 8); /* only lshidden's fusectl fd */
    add_reach(conn, DEEP_VIA_FUSE_DEV, 999, 999, 3);
    add_file(conn, 1, "/data/orphan");
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 1);
    struct file_record *rec = backing_row(&fx, CONN, 1);
    CHECK(rec != NULL);
    if (rec) {
        CHECK(rec->proc == NULL);
        CHECK_EQ_STR(rec->fuse_mount, "/mnt/fx");
        CHECK_EQ_STR(rec->path, "/data/orphan");
    }
    fx_free(&fx);
}

TEST(fuse_conn_without_server_skipped_with_selected_pids)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *server = add_proc(&fx, 20);
    struct deep_object *orphan = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(orphan, DEEP_VIA_FUSE_CTL, 20, 20, 8);
    orphan->truncated = true;
    add_file(orphan, 1, "/data/orphan");
    struct deep_object *served = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN_NONE);
    add_reach(served, DEEP_VIA_FUSE_DEV, 20, 20, 4);
    add_file(served, 1, "/data/served");
    merge(&fx, false, true);

    CHECK_EQ_INT(fx.res.records.len, 1);
    CHECK(backing_row(&fx, CONN, 1) == NULL);
    struct file_record *rec = backing_row(&fx, CONN_NONE, 1);
    CHECK(rec && rec->proc == server);
    if (rec)
        CHECK(rec->fuse_mount == NULL); /* no mount shows CONN_NONE */
    CHECK_EQ_INT(fx.res.warnings.len, 0);
    fx_free(&fx);
}

TEST(truncated_fuse_conn_warns)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 20);
    struct deep_object *conn = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    conn->truncated = true;
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 20, 4);
    add_file(conn, 1, "/data/one");
    struct deep_object *whole = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN_NONE);
    add_reach(whole, DEEP_VIA_FUSE_DEV, 20, 20, 5);
    merge(&fx, false, false);

    CHECK_EQ_INT(count_warnings(&fx, WARN_DEEP), 1);
    CHECK(warned(&fx, "FUSE connection 40 changed"));
    if (fx.res.warnings.len)
        CHECK_EQ_INT(fx.res.warnings.items[0].pid, 20);
    CHECK(backing_row(&fx, CONN, 1) != NULL);
    fx_free(&fx);
}

/* ---- open passthrough files ----------------------------------------------- */

/* Connection CONN served by pid 20, its backing id 1 on inode_file_key;
 * returns the server. */
static struct process_info *served_conn(struct fixture *fx, uint64_t inode_file_key)
{
    struct process_info *server = add_proc(fx, 20);
    add_proc(fx, 30); /* the client */
    struct deep_object *conn = add_fuse(&fx->kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 20, 4);
    add_file(conn, 1, "/data/by-id")->file_key = inode_file_key;
    return server;
}

static struct deep_object *add_open(struct fixture *fx, int client_fd)
{
    struct deep_object *open = add_fuse(&fx->kernel, DEEP_OBJ_FUSE_OPEN, CONN);
    open->inode = 5000;
    add_reach(open, DEEP_VIA_FUSE_FILE, 30, 30, client_fd);
    return open;
}

TEST(fuse_open_own_file_row_names_client)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *server = served_conn(&fx, 0xaaaa);
    struct deep_object *open = add_open(&fx, 9);
    add_file(open, DEEP_OPEN_OWN, "/data/own")->inode = 77;
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 2);
    struct file_record *rec = row_with_path(&fx, "/data/own");
    CHECK(rec != NULL);
    if (rec) {
        CHECK_EQ_INT(rec->source, SOURCE_FUSE_BACKING);
        CHECK(rec->proc == server);
        CHECK(rec->has_fuse_conn);
        CHECK_EQ_INT(rec->fuse_conn, CONN);
        CHECK(!rec->has_backing_id);
        CHECK_EQ_STR(rec->fuse_mount, "/mnt/fx");
        CHECK_EQ_INT(rec->inode, 77);
        CHECK_EQ_INT(rec->method, METHOD_BPF);
        CHECK_EQ_STR(rec->note, "backing file of the passthrough file open at fd 9 of PID 30");
    }
    fx_free(&fx);
}

TEST(fuse_open_inode_file_listed_by_backing_id_skipped)
{
    struct fixture fx;
    fx_init(&fx);
    served_conn(&fx, 0xaaaa);
    struct deep_object *open = add_open(&fx, 9);
    add_file(open, DEEP_OPEN_OWN, "/data/own");
    add_file(open, DEEP_OPEN_INODE, "/data/by-id")->file_key = 0xaaaa;
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 2); /* the backing id and the open's own */
    CHECK(backing_row(&fx, CONN, 1) != NULL);
    CHECK(row_with_path(&fx, "/data/own") != NULL);
    fx_free(&fx);
}

TEST(fuse_open_inode_file_with_closed_backing_id_becomes_row)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *server = served_conn(&fx, 0xaaaa);
    struct deep_object *open = add_open(&fx, 9);
    add_file(open, DEEP_OPEN_INODE, "/data/inode")->file_key = 0xbbbb;
    merge(&fx, false, false);

    CHECK_EQ_INT(fx.res.records.len, 2);
    struct file_record *rec = row_with_path(&fx, "/data/inode");
    CHECK(rec != NULL);
    if (rec) {
        CHECK(rec->proc == server);
        CHECK_EQ_INT(rec->fuse_conn, CONN);
        CHECK_EQ_STR(rec->note, "backing file of a FUSE inode open at fd 9 of PID 30; its "
                                "backing id is closed");
    }
    fx_free(&fx);
}

TEST(fuse_open_inode_file_of_earlier_open_skipped)
{
    struct fixture fx;
    fx_init(&fx);
    served_conn(&fx, 0xaaaa);
    struct deep_object *first = add_open(&fx, 9);
    add_file(first, DEEP_OPEN_OWN, "/data/own1")->file_key = 0xcccc;
    add_file(first, DEEP_OPEN_INODE, "/data/inode")->file_key = 0xbbbb;
    /* The same inode opened again: its inode file once, its own file each. */
    struct deep_object *second = add_open(&fx, 10);
    add_file(second, DEEP_OPEN_OWN, "/data/own2");
    add_file(second, DEEP_OPEN_INODE, "/data/inode")->file_key = 0xbbbb;
    /* An earlier open's own file does not make an inode file listed. */
    struct deep_object *third = add_open(&fx, 11);
    add_file(third, DEEP_OPEN_INODE, "/data/odd")->file_key = 0xcccc;
    merge(&fx, false, false);

    size_t inode_rows = 0;
    for (size_t i = 0; i < fx.res.records.len; i++)
        inode_rows += strcmp(fx.res.records.items[i]->path, "/data/inode") == 0;
    CHECK_EQ_INT(inode_rows, 1);
    struct file_record *rec = row_with_path(&fx, "/data/inode");
    if (rec) /* the first open's */
        CHECK(strstr(rec->note, "fd 9 of") != NULL);
    CHECK(row_with_path(&fx, "/data/own1") != NULL);
    CHECK(row_with_path(&fx, "/data/own2") != NULL);
    CHECK(row_with_path(&fx, "/data/odd") != NULL);
    CHECK_EQ_INT(fx.res.records.len, 5);
    fx_free(&fx);
}

TEST(fuse_open_without_server_skipped_with_selected_pids)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 31); /* -p selected someone else: neither server nor client */
    struct deep_object *open = add_open(&fx, 9);
    add_file(open, DEEP_OPEN_OWN, "/data/own");
    merge(&fx, false, true);
    CHECK_EQ_INT(fx.res.records.len, 0);

    merge(&fx, false, false); /* without -p: a row with no process */
    CHECK_EQ_INT(fx.res.records.len, 1);
    struct file_record *rec = row_with_path(&fx, "/data/own");
    CHECK(rec && rec->proc == NULL);
    fx_free(&fx);
}

TEST(fuse_open_of_selected_client_is_listed)
{
    /* -p CLIENT: the backing file the kernel holds for the client's open
     * passthrough file is listed, though its server is not selected. */
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 30); /* the client */
    struct deep_object *open = add_open(&fx, 9);
    add_file(open, DEEP_OPEN_OWN, "/data/own");
    merge(&fx, false, true);
    CHECK_EQ_INT(fx.res.records.len, 1);
    struct file_record *rec = row_with_path(&fx, "/data/own");
    CHECK(rec != NULL);
    if (rec) {
        CHECK_EQ_INT(rec->source, SOURCE_FUSE_BACKING);
        CHECK(rec->note && strstr(rec->note, "fd 9 of PID 30"));
    }
    fx_free(&fx);
}

TEST(complete_proc_path_is_not_replaced_by_a_cut_one)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100);
    struct file_record *row = add_fixed_row(&fx, p, 5, 0, "/a/very/long/path/to/a/file");
    row->path_complete = true; /* 6.14+ prints the whole path */
    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    struct deep_file *f = add_file(ring, 0, "to/a/file"); /* the walk stopped early */
    f->path_complete = false;
    f->inode = 4711;
    merge(&fx, false, false);
    CHECK_EQ_STR(row->path, "/a/very/long/path/to/a/file");
    CHECK(row->path_complete);
    CHECK_EQ_INT(row->inode, 4711); /* the identity is the kernel's */
    CHECK_EQ_INT(row->method, METHOD_BPF);
    fx_free(&fx);
}

/* ---- server fds (deep_merge_fuse_servers) --------------------------------- */

static struct fuse_server_fd *add_server_fd(struct fixture *fx, const struct process_info *proc,
                                            int fd)
{
    struct fuse_server_fd *s = VEC_PUSH(&fx->res.fuse_servers);
    if (!s)
        abort();
    s->proc = proc;
    s->fd = fd;
    return s;
}

/* The -a row of a /dev/fuse fd. */
static struct file_record *add_fd_row(struct fixture *fx, const struct process_info *proc, int fd,
                                      const char *note)
{
    struct file_record *rec = add_row(fx, proc, SOURCE_FD, "/dev/fuse");
    rec->has_fd = true;
    rec->fd = fd;
    rec->note = note;
    return rec;
}

TEST(fuse_servers_guessed_conn_replaced_by_kernel)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *a = add_proc(&fx, 20), *b = add_proc(&fx, 30);
    struct file_record *row7 = add_fd_row(&fx, a, 7, "connection unknown");
    struct file_record *row8 = add_fd_row(&fx, a, 8, "connection guessed");
    row8->has_fuse_conn = true;
    row8->fuse_conn = 99;
    row8->fuse_mount = "/guess";
    struct file_record *row9 = add_fd_row(&fx, a, 9, "not seen");
    struct file_record *b7 = add_fd_row(&fx, b, 7, "another process");
    struct fuse_server_fd *s7 = add_server_fd(&fx, a, 7);
    struct fuse_server_fd *s8 = add_server_fd(&fx, a, 8);
    s8->has_conn = s8->inferred = true;
    s8->conn = 99;
    struct fuse_server_fd *s9 = add_server_fd(&fx, a, 9);
    struct deep_object *conn = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 20, 7);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 20, 8);
    add_reach(conn, DEEP_VIA_FUSE_CTL, 20, 20, 9); /* not a /dev/fuse fd */
    deep_merge_fuse_servers(&fx.res, &fx.kernel);

    for (int i = 0; i < 2; i++) {
        struct fuse_server_fd *s = i ? s8 : s7;
        struct file_record *rec = i ? row8 : row7;
        CHECK(s->has_conn);
        CHECK(!s->inferred);
        CHECK_EQ_INT(s->conn, CONN);
        CHECK(rec->has_fuse_conn);
        CHECK_EQ_INT(rec->fuse_conn, CONN);
        CHECK_EQ_STR(rec->fuse_mount, "/mnt/fx");
        CHECK(rec->note == NULL);
    }
    CHECK(!s9->has_conn);
    CHECK(!row9->has_fuse_conn);
    CHECK_EQ_STR(row9->note, "not seen");
    CHECK(!b7->has_fuse_conn);
    CHECK_EQ_STR(b7->note, "another process");
    CHECK_EQ_INT(fx.res.records.len, 4);
    fx_free(&fx);
}

TEST(fuse_servers_known_conn_keeps_row)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *a = add_proc(&fx, 20);
    struct file_record *row = add_fd_row(&fx, a, 7, "from fdinfo");
    row->has_fuse_conn = true;
    row->fuse_conn = 77;
    row->fuse_mount = "/from/fdinfo";
    struct fuse_server_fd *s = add_server_fd(&fx, a, 7);
    s->has_conn = true;
    s->conn = 77;
    /* A kernel answer that differs shows which one the server keeps. */
    struct deep_object *conn = add_fuse(&fx.kernel, DEEP_OBJ_FUSE_CONN, CONN);
    add_reach(conn, DEEP_VIA_FUSE_DEV, 20, 20, 7);
    deep_merge_fuse_servers(&fx.res, &fx.kernel);

    CHECK(s->has_conn && !s->inferred);
    CHECK_EQ_INT(s->conn, CONN);
    CHECK_EQ_INT(row->fuse_conn, 77);
    CHECK_EQ_STR(row->fuse_mount, "/from/fdinfo");
    CHECK_EQ_STR(row->note, "from fdinfo");
    CHECK_EQ_INT(row->method, METHOD_BPF); /* the kernel confirmed the fd */
    fx_free(&fx);
}

/* ---- deep_forget_listed_fuse ---------------------------------------------- */

static void add_unlisted(struct fixture *fx, uint32_t conn)
{
    struct fuse_unlisted u = {conn, 20, "/sys/fs/fuse/connections/x/backing_files"};
    if (VEC_APPEND(&fx->res.fuse_unlisted, u) < 0)
        abort();
}

/* What the kernel view read: connections 40 and 41 in full, 45 cut short;
 * 46 only as an open file's connection. */
static void listed_scan(struct deep_scan *ds, bool fuse_listed)
{
    memset(ds, 0, sizeof(*ds));
    ds->fuse_listed = fuse_listed;
    add_reach(add_fuse(&ds->result, DEEP_OBJ_FUSE_CONN, 40), DEEP_VIA_FUSE_DEV, 20, 20, 4);
    add_reach(add_fuse(&ds->result, DEEP_OBJ_FUSE_CONN, 41), DEEP_VIA_FUSE_CTL, 20, 20, 8);
    struct deep_object *cut = add_fuse(&ds->result, DEEP_OBJ_FUSE_CONN, 45);
    add_reach(cut, DEEP_VIA_FUSE_DEV, 20, 20, 5);
    cut->truncated = true;
    add_reach(add_fuse(&ds->result, DEEP_OBJ_FUSE_OPEN, 46), DEEP_VIA_FUSE_FILE, 30, 30, 9);
}

TEST(forget_listed_fuse_drops_fully_listed_conns)
{
    struct fixture fx;
    fx_init(&fx);
    const uint32_t conns[] = {42, 40, 45, 41, 46, 44};
    for (size_t i = 0; i < sizeof(conns) / sizeof(*conns); i++)
        add_unlisted(&fx, conns[i]);
    struct deep_scan ds;
    listed_scan(&ds, true);
    deep_forget_listed_fuse(&fx.res, &ds);

    const uint32_t kept[] = {42, 45, 46, 44};
    CHECK_EQ_INT(fx.res.fuse_unlisted.len, 4);
    for (size_t i = 0; i < 4 && i < fx.res.fuse_unlisted.len; i++)
        CHECK_EQ_INT(fx.res.fuse_unlisted.items[i].conn, kept[i]);
    deep_scan_free(&ds);
    fx_free(&fx);
}

TEST(forget_listed_fuse_keeps_all_without_fuse_listing)
{
    struct fixture fx;
    fx_init(&fx);
    add_unlisted(&fx, 40);
    add_unlisted(&fx, 41);
    struct deep_scan ds;
    listed_scan(&ds, false);
    deep_forget_listed_fuse(&fx.res, &ds);

    CHECK_EQ_INT(fx.res.fuse_unlisted.len, 2);
    if (fx.res.fuse_unlisted.len == 2) {
        CHECK_EQ_INT(fx.res.fuse_unlisted.items[0].conn, 40);
        CHECK_EQ_INT(fx.res.fuse_unlisted.items[1].conn, 41);
    }
    deep_scan_free(&ds);
    fx_free(&fx);
}

/* ---- MOUNTPOINT ----------------------------------------------------------- */

/* Ring fd 5 of pid 100 with slots 0..2 on mount ids 30, 77 and 88, each
 * listed by /proc with a stale mount point. */
static void mount_scenario(struct fixture *fx)
{
    struct process_info *p = add_proc(fx, 100);
    struct deep_object *ring = add_ring(fx, 777);
    add_reach(ring, DEEP_VIA_FD, 100, 100, 5);
    const int ids[] = {30, 77, 88};
    for (uint32_t slot = 0; slot < 3; slot++) {
        add_fixed_row(fx, p, 5, slot, "x")->mountpoint = "/stale";
        add_file(ring, slot, "/x")->mount_id = ids[slot];
    }
}

TEST(mountpoint_from_self_mounts_first)
{
    struct fixture fx;
    fx_init(&fx);
    /* Another namespace's table, ahead of ours in the cache: mount 30 is
     * seen at /elsewhere there, but our own view comes first. */
    struct mount_ns *other = parse_mounts("30 26 8:2 / /elsewhere rw - ext4 /dev/sda2 rw\n"
                                          "77 26 8:3 / /other/mnt rw - ext4 /dev/sda3 rw\n");
    if (VEC_APPEND(&fx.res.mounts, other) < 0)
        abort();
    fx.res.mounts.items[1] = fx.res.mounts.items[0];
    fx.res.mounts.items[0] = other;
    mount_scenario(&fx);
    merge(&fx, true, false);

    struct file_record *s0 = fixed_row(&fx, 100, 0), *s1 = fixed_row(&fx, 100, 1),
                       *s2 = fixed_row(&fx, 100, 2);
    CHECK(s0 && s1 && s2);
    if (s0 && s1 && s2) {
        CHECK_EQ_STR(s0->mountpoint, "/data");
        CHECK_EQ_STR(s1->mountpoint, "/other/mnt");
        CHECK(s2->mountpoint == NULL); /* mount 88 is in no table */
    }
    fx_free(&fx);
}

TEST(mountpoint_from_other_table)
{
    struct fixture fx;
    fx_init(&fx);
    add_mount_table(&fx, "77 26 8:3 / /other/mnt rw - ext4 /dev/sda3 rw\n");
    mount_scenario(&fx);
    merge(&fx, true, false);

    struct file_record *s1 = fixed_row(&fx, 100, 1);
    CHECK(s1 != NULL);
    if (s1)
        CHECK_EQ_STR(s1->mountpoint, "/other/mnt");
    fx_free(&fx);
}

TEST(mountpoint_null_without_want_mountpoint)
{
    struct fixture fx;
    fx_init(&fx);
    add_mount_table(&fx, "77 26 8:3 / /other/mnt rw - ext4 /dev/sda3 rw\n");
    mount_scenario(&fx);
    merge(&fx, false, false);

    for (uint32_t slot = 0; slot < 3; slot++) {
        struct file_record *rec = fixed_row(&fx, 100, slot);
        CHECK(rec != NULL);
        if (rec)
            CHECK(rec->mountpoint == NULL);
    }
    fx_free(&fx);
}

/* ---- passthrough files held by a mapping alone ---------------------------- */

static struct deep_object *add_map(struct fixture *fx, pid_t client)
{
    struct deep_object *map = add_fuse(&fx->kernel, DEEP_OBJ_FUSE_OPEN, CONN);
    map->inode = 5001;
    add_reach(map, DEEP_VIA_FUSE_MAP, client, client, -1);
    return map;
}

TEST(fuse_map_row_names_the_mapping_client)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *server = served_conn(&fx, 0xaaaa);
    add_file(add_map(&fx, 30), DEEP_OPEN_OWN, "/data/mapped")->inode = 88;
    merge(&fx, false, false);

    struct file_record *rec = row_with_path(&fx, "/data/mapped");
    CHECK(rec != NULL);
    if (rec) {
        CHECK_EQ_INT(rec->source, SOURCE_FUSE_BACKING);
        CHECK(rec->proc == server);
        CHECK_EQ_INT(rec->fuse_conn, CONN);
        CHECK_EQ_INT(rec->inode, 88);
        CHECK_EQ_INT(rec->mount_id, 30);
        CHECK_EQ_INT(rec->identity, IDENTITY_KERNEL);
        CHECK_EQ_STR(rec->note,
                     "backing file of a passthrough file mapped by PID 30, held by that mapping "
                     "alone");
    }
    fx_free(&fx);
}

TEST(fuse_map_of_a_file_still_open_is_listed_once)
{
    struct fixture fx;
    fx_init(&fx);
    served_conn(&fx, 0xaaaa);
    struct deep_file *own = add_file(add_open(&fx, 9), DEEP_OPEN_OWN, "/data/both");
    uint64_t key = own->file_key;
    add_file(add_map(&fx, 30), DEEP_OPEN_OWN, "/data/both")->file_key = key;
    merge(&fx, false, false);

    /* The backing id's row and the open file's: the mapping adds none. */
    CHECK_EQ_INT(count_rows(&fx, SOURCE_FUSE_BACKING), 2);
    struct file_record *rec = row_with_path(&fx, "/data/both");
    CHECK(rec != NULL);
    if (rec)
        CHECK_EQ_STR(rec->note, "backing file of the passthrough file open at fd 9 of PID 30");
    fx_free(&fx);
}

TEST(fuse_map_of_a_backing_ids_file_is_not_repeated)
{
    struct fixture fx;
    fx_init(&fx);
    served_conn(&fx, 0xaaaa);
    add_file(add_map(&fx, 30), DEEP_OPEN_OWN, "/data/by-id")->file_key = 0xaaaa;
    merge(&fx, false, false);
    CHECK_EQ_INT(count_rows(&fx, SOURCE_FUSE_BACKING), 1);
    fx_free(&fx);
}

/* ---- processes /proc hides (--mount) -------------------------------------- */

#define HIDDEN_NOTE "the kernel view does not show this process either"

static struct deep_object *add_task(struct fixture *fx, pid_t pid, uint64_t mnt_ns)
{
    struct deep_object *task = add_object(&fx->kernel, DEEP_OBJ_TASK);
    task->inode = mnt_ns;
    add_reach(task, DEEP_VIA_TASK, pid, pid, -1);
    return task;
}

static void merge_with_task_refs(struct fixture *fx, bool task_refs)
{
    struct deep_merge_options opts = {.task_refs = task_refs};
    deep_merge(&fx->res, &fx->kernel, &opts);
}

static struct file_record *row_of(const struct fixture *fx, pid_t pid, enum file_source source)
{
    for (size_t i = 0; i < fx->res.records.len; i++) {
        struct file_record *rec = fx->res.records.items[i];
        if (rec->source == source && rec->proc && rec->proc->pid == pid)
            return rec;
    }
    return NULL;
}

TEST(hidden_process_gets_rows_from_its_task_references)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 1);
    warning_add(&fx.res.warnings, WARN_PERMISSION, 1, "/proc/1/cwd", "Permission denied");
    struct deep_object *task = add_task(&fx, 1, 4026531840ULL);
    add_file(task, 7, "/data/log");
    add_file(task, DEEP_REF_CWD, "/data")->mode = S_IFDIR | 0755;
    uint64_t lib = add_file(task, DEEP_REF_MAP, "/data/lib.so")->file_key;
    add_file(task, DEEP_REF_MAP, "/data/lib.so")->file_key = lib; /* a second piece */
    merge_with_task_refs(&fx, true);

    CHECK_EQ_INT(fx.res.records.len, 3);
    struct file_record *fd = row_of(&fx, 1, SOURCE_FD);
    CHECK(fd != NULL);
    if (fd) {
        CHECK(fd->has_fd);
        CHECK_EQ_INT(fd->fd, 7);
        CHECK_EQ_STR(fd->path, "/data/log");
        CHECK_EQ_INT(fd->method, METHOD_BPF);
        CHECK_EQ_INT(fd->identity, IDENTITY_KERNEL);
        CHECK_EQ_INT(fd->mount_id, 30);
    }
    struct file_record *cwd = row_of(&fx, 1, SOURCE_CWD);
    CHECK(cwd != NULL);
    if (cwd)
        CHECK_EQ_INT(cwd->type, FTYPE_DIR);
    CHECK_EQ_INT(count_rows(&fx, SOURCE_MMAP), 1);
    /* Seen, after all: no warning, and its namespace is known. */
    CHECK_EQ_INT(fx.res.warnings.len, 0);
    CHECK(p->has_mnt_ns);
    CHECK_EQ_INT(p->mnt_ns, 4026531840ULL);
    fx_free(&fx);
}

TEST(seen_process_keeps_its_proc_rows_only)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 5);
    struct file_record *row = add_row(&fx, p, SOURCE_FD, "/data/x");
    row->has_fd = true;
    row->fd = 3;
    struct deep_object *task = add_task(&fx, 5, 1);
    add_file(task, 3, "/data/x");
    add_file(task, DEEP_REF_CWD, "/data");
    merge_with_task_refs(&fx, true);

    CHECK_EQ_INT(fx.res.records.len, 1);
    CHECK_EQ_INT(row->method, METHOD_PROCFS);
    fx_free(&fx);
}

TEST(partly_read_process_gets_only_what_proc_missed)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 6);
    struct file_record *row = add_row(&fx, p, SOURCE_FD, "/data/x");
    row->has_fd = true;
    row->fd = 3;
    warning_add(&fx.res.warnings, WARN_IO, 6, "/proc/6/maps", "Input/output error");
    struct deep_object *task = add_task(&fx, 6, 1);
    add_file(task, 3, "/data/x");
    add_file(task, DEEP_REF_MAP, "/data/mapped");
    merge_with_task_refs(&fx, true);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_FD), 1);
    CHECK_EQ_INT(count_rows(&fx, SOURCE_MMAP), 1);
    CHECK_EQ_INT(fx.res.warnings.len, 0);
    fx_free(&fx);
}

TEST(process_the_kernel_did_not_show_keeps_its_warning_and_says_so)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 1);
    add_proc(&fx, 2);
    warning_add(&fx.res.warnings, WARN_PERMISSION, 1, "/proc/1/cwd", "Permission denied");
    warning_add(&fx.res.warnings, WARN_VANISHED, 3, NULL, "process exited during the scan");
    add_task(&fx, 2, 1);
    merge_with_task_refs(&fx, true);

    CHECK_EQ_INT(fx.res.warnings.len, 2);
    CHECK_EQ_STR(fx.res.warnings.items[0].reason, "Permission denied; " HIDDEN_NOTE);
    CHECK_EQ_STR(fx.res.warnings.items[1].reason, "process exited during the scan");
    fx_free(&fx);
}

TEST(task_references_unused_unless_read_in_full)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 1);
    warning_add(&fx.res.warnings, WARN_PERMISSION, 1, "/proc/1/cwd", "Permission denied");
    add_file(add_task(&fx, 1, 1), 7, "/data/log");
    merge_with_task_refs(&fx, false);

    CHECK_EQ_INT(fx.res.records.len, 0);
    CHECK_EQ_INT(fx.res.warnings.len, 1);
    CHECK_EQ_STR(fx.res.warnings.items[0].reason, "Permission denied");
    fx_free(&fx);
}

TEST(listing_of_hidden_files_drops_only_what_the_kernel_showed)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 1);
    add_proc(&fx, 5);
    warning_add(&fx.res.warnings, WARN_PERMISSION, 1, "/proc/1/fd", "Permission denied");
    warning_add(&fx.res.warnings, WARN_PERMISSION, 5, "/proc/5/fd", "Permission denied");
    add_task(&fx, 5, 1);
    struct deep_merge_options opts = {.hidden_only = true};
    deep_merge(&fx.res, &fx.kernel, &opts);

    CHECK_EQ_INT(fx.res.warnings.len, 1);
    CHECK_EQ_INT(fx.res.warnings.items[0].pid, 1);
    CHECK_EQ_STR(fx.res.warnings.items[0].reason, "Permission denied; " HIDDEN_NOTE);
    fx_free(&fx);
}

/* ---- requests in flight (deep_merge_requests) ----------------------------- */

static void merge_requests(struct fixture *fx)
{
    struct deep_merge_options opts = {.want_mountpoint = true};
    deep_merge_requests(&fx->res, &fx->kernel, &opts);
}

TEST(requests_in_flight_become_in_flight_rows)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 40);
    add_proc(&fx, 41);
    struct deep_object *aio = add_object(&fx.kernel, DEEP_OBJ_AIO);
    add_reach(aio, DEEP_VIA_AIO, 40, 40, -1);
    add_file(aio, 0, "/data/fifo");
    struct deep_object *table = add_object(&fx.kernel, DEEP_OBJ_URING_REQ);
    table->inode = 9001;
    add_reach(table, DEEP_VIA_URING_REQ, 41, 41, 6);
    add_file(table, 0, "/data/poll");
    struct deep_object *worker = add_object(&fx.kernel, DEEP_OBJ_URING_REQ);
    add_reach(worker, DEEP_VIA_URING_WORKER, 41, 44, -1);
    add_file(worker, 0, "/data/splice");
    /* The main view's objects are not this merge's. */
    add_file(add_ring(&fx, 77), 0, "/data/fixed");
    merge_requests(&fx);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_IN_FLIGHT), 3);
    CHECK_EQ_INT(fx.res.records.len, 3);
    struct file_record *r = row_with_path(&fx, "/data/fifo");
    CHECK(r && r->source == SOURCE_IN_FLIGHT && r->proc->pid == 40 && !r->has_tid);
    CHECK(r && r->method == METHOD_BPF && r->has_mount_id && r->mount_id == 30 && !r->possible);
    CHECK(r && r->mountpoint && strcmp(r->mountpoint, "/data") == 0);
    CHECK(r && r->note && strcmp(r->note, "held by a pending Linux AIO poll request") == 0);
    r = row_with_path(&fx, "/data/poll");
    CHECK(r && r->proc->pid == 41 && r->has_ring_fd && r->ring_fd == 6 && r->has_ring_inode &&
          r->ring_inode == 9001 && !r->has_tid);
    CHECK(r && r->note &&
          strcmp(r->note, "held by an io_uring request armed for poll on ring fd 6") == 0);
    r = row_with_path(&fx, "/data/splice");
    CHECK(r && r->proc->pid == 41 && r->has_tid && r->tid == 44 && !r->has_ring_fd);
    CHECK(r && r->note && strstr(r->note, "io-wq worker thread 44"));
    fx_free(&fx);
}

TEST(request_on_a_file_still_open_by_fd_adds_no_row)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 40);
    struct file_record *fd = add_row(&fx, p, SOURCE_FD, "/data/fifo");
    fd->has_fd = fd->has_dev = fd->has_inode = true;
    fd->fd = 3;
    fd->dev_major = 8;
    fd->dev_minor = 2;
    fd->inode = 1000;
    struct deep_object *aio = add_object(&fx.kernel, DEEP_OBJ_AIO);
    add_reach(aio, DEEP_VIA_AIO, 40, 40, -1);
    add_file(aio, 0, "/data/fifo"); /* inode 1000 on 8:2: the fd's */
    add_file(aio, 1, "/data/other");
    merge_requests(&fx);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_IN_FLIGHT), 1);
    struct file_record *r = nth_row(&fx, SOURCE_IN_FLIGHT, 0);
    CHECK(r && strcmp(r->path, "/data/other") == 0);
    fx_free(&fx);
}

TEST(request_file_listed_twice_and_unknown_process)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 41);
    /* A ring reached through two fds lists its table twice. */
    struct deep_object *table = add_object(&fx.kernel, DEEP_OBJ_URING_REQ);
    add_reach(table, DEEP_VIA_URING_REQ, 41, 41, 6);
    add_reach(table, DEEP_VIA_URING_REQ, 41, 41, 9);
    struct deep_file *f = add_file(table, 0, "/data/poll");
    uint64_t key = f->file_key;
    add_file(table, 0, "/data/poll")->file_key = key;
    /* A process the /proc scan does not know: nobody to attach it to. */
    struct deep_object *aio = add_object(&fx.kernel, DEEP_OBJ_AIO);
    add_reach(aio, DEEP_VIA_AIO, 99, 99, -1);
    add_file(aio, 0, "/data/fifo");
    merge_requests(&fx);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_IN_FLIGHT), 1);
    struct file_record *r = nth_row(&fx, SOURCE_IN_FLIGHT, 0);
    CHECK(r && r->ring_fd == 6 && strcmp(r->path, "/data/poll") == 0);
    fx_free(&fx);
}

/* The merge looks rows up in sorted indexes: among many rows of several
 * processes, each object finds its own rows and only those. */
TEST(fdless_ring_row_found_among_other_processes_rows)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100), *q = add_proc(&fx, 200);
    for (uint32_t slot = 0; slot < 50; slot++)
        add_fixed_row(&fx, q, 9, slot, "busy");
    struct file_record *q_row = add_mapped_ring_row(&fx, q, 777);
    struct file_record *p_row = add_mapped_ring_row(&fx, p, 777);
    struct file_record *p_other = add_mapped_ring_row(&fx, p, 778);
    struct deep_object *ring = add_ring(&fx, 777);
    add_reach(ring, DEEP_VIA_VMA, 200, 200, -1);
    add_file(ring, 0, "/data/a");
    merge(&fx, false, false);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_RING), 3); /* /proc's rows, no new one */
    CHECK_EQ_INT(q_row->method, METHOD_BPF);
    CHECK_EQ_STR(q_row->note, mapped_note);
    CHECK_EQ_INT(p_row->method, METHOD_PROCFS);
    CHECK_EQ_INT(p_other->method, METHOD_PROCFS);
    fx_free(&fx);
}

/* Two rings of one process with one anon inode (kernels before ~5.16):
 * the second finds the row the merge made for the first. */
TEST(fdless_rings_sharing_an_inode_share_the_row_the_merge_made)
{
    struct fixture fx;
    fx_init(&fx);
    add_proc(&fx, 100);
    struct deep_object *first = add_ring(&fx, 777);
    add_reach(first, DEEP_VIA_REGISTERED, 100, 100, 0);
    struct deep_object *second = add_ring(&fx, 777);
    add_reach(second, DEEP_VIA_VMA, 100, 100, -1);
    merge(&fx, false, false);

    CHECK_EQ_INT(count_rows(&fx, SOURCE_URING_RING), 1);
    fx_free(&fx);
}

/* The -a row of a perf_event or fsopen() fd. */
static struct file_record *add_anon_fd_row(struct fixture *fx, const struct process_info *proc,
                                           int fd)
{
    struct file_record *rec = add_fd_row(fx, proc, fd, NULL);
    rec->path = "anon_inode:[perf_event]";
    return rec;
}

TEST(perf_and_fscontext_fd_rows_learn_their_detail)
{
    struct fixture fx;
    fx_init(&fx);
    struct process_info *p = add_proc(&fx, 100), *q = add_proc(&fx, 200);
    struct file_record *q_perf = add_anon_fd_row(&fx, q, 3);
    struct file_record *perf = add_anon_fd_row(&fx, p, 3);
    struct file_record *thread_perf = add_anon_fd_row(&fx, p, 3);
    thread_perf->has_tid = true;
    thread_perf->tid = 101;
    struct file_record *fsctx = add_anon_fd_row(&fx, p, 5);
    struct file_record *other = add_anon_fd_row(&fx, p, 4);
    struct deep_object *event = add_object(&fx.kernel, DEEP_OBJ_PERF);
    event->nslots = 8;
    add_reach(event, DEEP_VIA_PERF, 100, 100, 3);
    struct deep_object *context = add_object(&fx.kernel, DEEP_OBJ_FSCONTEXT);
    context->dev_major = 0;
    context->dev_minor = 55;
    add_reach(context, DEEP_VIA_FSCONTEXT, 100, 100, 5);
    merge(&fx, false, false);

    CHECK(perf->has_perf_type);
    CHECK_EQ_INT(perf->perf_type, 8);
    CHECK(!q_perf->has_perf_type);
    CHECK(!thread_perf->has_perf_type); /* another fd table's fd 3 */
    CHECK(!other->has_perf_type && !other->has_context_sb);
    CHECK(fsctx->has_context_sb);
    CHECK_EQ_INT(fsctx->context_sb_minor, 55);
    CHECK(!perf->has_context_sb);
    fx_free(&fx);
}
