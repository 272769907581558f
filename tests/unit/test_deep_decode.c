/* Unit tests of the --deep record decoder: deep_decode, deep_result_find and
 * deep_result_free.  Records are built byte by byte the way
 * src/bpf/deep.bpf.c writes them (layout: src/deep_records.h), so these
 * tests pin the contract between the two sides. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parse/deep_decode.h"
#include "unit.h"

#define SOCKFS_MAGIC        0x534F434BULL
#define PIPEFS_MAGIC        0x50495045ULL
#define ANON_INODE_FS_MAGIC 0x09041934ULL
#define PID_FS_MAGIC        0x50494446UL
#define NSFS_MAGIC          0x6e736673UL
#define SHMEM_MAGIC         0x01021994ULL
#define EXT4_MAGIC          0xEF53ULL

/* The kernel's internal dev_t: a 12-bit major above a 20-bit minor. */
#define KDEV(major, minor) ((uint32_t)(major) << 20 | (uint32_t)(minor))

#define RING_KEY  0xffff888101234000ULL
#define RING2_KEY 0xffff888101299000ULL
#define CONN_KEY  0xffff888104440000ULL
#define OPEN_KEY  0xffff888105550000ULL
#define CONN2_KEY 0xffff888104480000ULL

/* ---- record builders ------------------------------------------------------ */

enum { MAX_RECORDS = 2048 };

/* A byte stream of records and where each complete record ends, so tests can
 * cut it at and between record boundaries. */
struct records {
    char *data;
    size_t len, cap;
    size_t ends[MAX_RECORDS];
    size_t nrecords;
};

static void put(struct records *b, const void *bytes, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *data = realloc(b->data, cap);
        if (!data)
            abort();
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void end_record(struct records *b)
{
    if (b->nrecords == MAX_RECORDS)
        abort();
    b->ends[b->nrecords++] = b->len;
}

static void records_free(struct records *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* kind and len default to a well-formed record so that tests state only what
 * they break. */
static void add_owner(struct records *b, struct deep_owner o)
{
    if (!o.kind)
        o.kind = DEEP_REC_OWNER;
    if (!o.len)
        o.len = sizeof(o);
    put(b, &o, sizeof(o));
    end_record(b);
}

static void add_trunc(struct records *b, uint64_t owner_key, uint32_t next_slot)
{
    struct deep_trunc t = {DEEP_REC_TRUNC, sizeof(t), owner_key, next_slot, 0};
    put(b, &t, sizeof(t));
    end_record(b);
}

/* The fixed part of a slot record; components and a mark must follow. */
static void begin_slot(struct records *b, struct deep_slot s)
{
    if (!s.kind)
        s.kind = DEEP_REC_SLOT;
    if (!s.len)
        s.len = sizeof(s);
    put(b, &s, sizeof(s));
}

static void put_component(struct records *b, const char *name, size_t len)
{
    uint16_t n = (uint16_t)len;
    put(b, &n, sizeof(n));
    put(b, name, len);
}

/* Where the walk stopped: the end of the slot record. */
static void put_mark(struct records *b, uint16_t mark)
{
    put(b, &mark, sizeof(mark));
    end_record(b);
}

/* A whole slot record: the NULL-terminated names, leaf first, then mark
 * (an unsigned: va_start() needs a parameter that is not promoted). */
static void add_slot(struct records *b, struct deep_slot s, unsigned mark, ...)
{
    begin_slot(b, s);
    va_list ap;
    va_start(ap, mark);
    for (const char *name; (name = va_arg(ap, const char *));)
        put_component(b, name, strlen(name));
    va_end(ap);
    put_mark(b, (uint16_t)mark);
}

static void add_seen(struct records *b, struct deep_seen s)
{
    if (!s.kind)
        s.kind = DEEP_REC_SEEN;
    if (!s.len)
        s.len = sizeof(s);
    put(b, &s, sizeof(s));
    end_record(b);
}

static struct deep_owner ring_owner(uint64_t key, uint32_t via, uint32_t pid, uint32_t tid,
                                    int32_t fd)
{
    return (struct deep_owner){.via = via,
                               .pid = pid,
                               .tid = tid,
                               .fd = fd,
                               .owner_key = key,
                               .ino = 85414,
                               .dev = KDEV(0, 15),
                               .nslots = 16,
                               .ring_flags = 0x3000,
                               .layout = DEEP_LAYOUT_RSRC_NODES,
                               .lists_slots = 1,
                               .comm = "ringholder"};
}

static struct deep_slot ext4_slot(uint64_t key, uint32_t slot, uint64_t ino)
{
    return (struct deep_slot){.owner_key = key,
                              .file = 0xffff888200000000ULL + slot * 0x100ULL,
                              .slot = slot,
                              .dev = KDEV(8, 1),
                              .ino = ino,
                              .magic = EXT4_MAGIC,
                              .mode = S_IFREG | 0644,
                              .mnt_id = 29};
}

static struct deep_slot pseudo_slot(uint64_t key, uint32_t slot, uint64_t magic, uint64_t ino,
                                    uint32_t mode)
{
    return (struct deep_slot){.owner_key = key,
                              .file = 0xffff888300000000ULL + slot * 0x100ULL,
                              .slot = slot,
                              .dev = KDEV(0, 8),
                              .ino = ino,
                              .magic = magic,
                              .mode = mode,
                              .mnt_id = 12,
                              .flags = DEEP_SLOT_DNAME};
}

/* ---- decoding and checking ------------------------------------------------ */

/* Decodes bytes [from, to) of b from a heap copy of exactly that size, so
 * that ASan catches any read past the end. */
static int decode_range(const struct records *b, size_t from, size_t to, struct deep_result *res,
                        struct deep_decode_error *err)
{
    size_t n = to - from;
    char *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    memcpy(copy, b->data + from, n);
    err->offset = (size_t)-1;
    err->reason = NULL;
    int r = deep_decode(copy, n, res, err);
    free(copy);
    return r;
}

static int decode_all(const struct records *b, struct deep_result *res,
                      struct deep_decode_error *err)
{
    return decode_range(b, 0, b->len, res, err);
}

static const struct deep_file *file_at(const struct deep_object *o, uint32_t slot)
{
    for (size_t i = 0; o && i < o->nfiles; i++)
        if (o->files[i].index == slot)
            return &o->files[i];
    return NULL;
}

static bool path_is_bytes(const struct deep_file *f, const char *want, size_t want_len)
{
    return f && f->path && f->path_len == want_len && memcmp(f->path, want, want_len) == 0 &&
           f->path[want_len] == '\0';
}

static bool path_is(const struct deep_file *f, const char *want)
{
    return path_is_bytes(f, want, strlen(want));
}

static size_t total_files(const struct deep_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->len; i++)
        n += res->items[i].nfiles;
    return n;
}

/* What every decoded result must satisfy, whatever the input. */
static bool result_sane(const struct deep_result *res)
{
    if (res->len > res->cap || (res->len && !res->items))
        return false;
    for (size_t i = 0; i < res->len; i++) {
        const struct deep_object *o = &res->items[i];
        if (o->nreaches > o->reaches_cap || o->nfiles > o->files_cap || o->nreaches == 0)
            return false;
        for (size_t j = 0; j < o->nfiles; j++) {
            const struct deep_file *f = &o->files[j];
            if (!f->path || f->path[f->path_len] != '\0' || strlen(f->path) != f->path_len)
                return false;
        }
    }
    return true;
}

static void expect_reach(const struct deep_reach *r, enum deep_via via, pid_t pid, pid_t tid,
                         int fd)
{
    CHECK_EQ_INT(r->via, via);
    CHECK_EQ_INT(r->pid, pid);
    CHECK_EQ_INT(r->tid, tid);
    CHECK_EQ_INT(r->fd, fd);
}

/* ---- well-formed listings ------------------------------------------------- */

TEST(ring_with_plain_paths)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7));
    add_slot(&b, ext4_slot(RING_KEY, 0, 1001), DEEP_PATH_END, "c", "b", "a", NULL);
    add_slot(&b, ext4_slot(RING_KEY, 1, 2), DEEP_PATH_END, NULL);
    add_slot(&b, ext4_slot(RING_KEY, 3, 1003), DEEP_PATH_END, "wal", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK(err.reason == NULL);
    CHECK_EQ_INT(res.len, 1);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o == &res.items[0]);
    if (!o)
        goto out;
    CHECK_EQ_INT(o->kind, DEEP_OBJ_RING);
    CHECK(o->key == RING_KEY);
    CHECK(o->inode == 85414);
    CHECK_EQ_INT(o->dev_major, 0);
    CHECK_EQ_INT(o->dev_minor, 15);
    CHECK_EQ_INT(o->fuse_conn, 0);
    CHECK_EQ_INT(o->nslots, 16);
    CHECK_EQ_INT(o->ring_flags, 0x3000);
    CHECK_EQ_INT(o->layout, DEEP_LAYOUT_RSRC_NODES);
    CHECK(!o->truncated);
    CHECK_EQ_INT(o->resume_slot, 0);
    CHECK_EQ_INT(o->nreaches, 1);
    if (o->nreaches == 1)
        expect_reach(&o->reaches[0], DEEP_VIA_FD, 812, 812, 7);

    CHECK_EQ_INT(o->nfiles, 3);
    const struct deep_file *f = file_at(o, 0);
    CHECK(f == &o->files[0]);
    CHECK(path_is(f, "/a/b/c"));
    if (f) {
        CHECK_EQ_INT(f->path_len, 6);
        CHECK(f->file_key == 0xffff888200000000ULL);
        CHECK_EQ_INT(f->dev_major, 8);
        CHECK_EQ_INT(f->dev_minor, 1);
        CHECK(f->inode == 1001);
        CHECK(f->fs_magic == EXT4_MAGIC);
        CHECK_EQ_INT(f->mode, S_IFREG | 0644);
        CHECK(f->has_mount_id);
        CHECK_EQ_INT(f->mount_id, 29);
        CHECK(!f->deleted);
        CHECK(!f->pseudo);
        CHECK(f->path_complete);
    }
    /* the walk started at a namespace root: the root itself */
    f = file_at(o, 1);
    CHECK(path_is(f, "/"));
    CHECK(f && f->path_complete && !f->pseudo && f->inode == 2);
    f = file_at(o, 3);
    CHECK(path_is(f, "/wal"));
    CHECK(f && f->file_key == 0xffff888200000300ULL);
out:
    deep_result_free(&res);
    records_free(&b);
}

TEST(names_keep_every_byte)
{
    static const char odd[] = "new\nline esc\x1b ff\xff back\\slash";
    char longest[DEEP_NAME_MAX + 1];
    memset(longest, 'x', DEEP_NAME_MAX);
    longest[DEEP_NAME_MAX] = '\0';

    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7));
    add_slot(&b, ext4_slot(RING_KEY, 0, 10), DEEP_PATH_END, odd, " lead", "srv", NULL);
    add_slot(&b, ext4_slot(RING_KEY, 1, 11), DEEP_PATH_END, longest, "d", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->nfiles == 2);
    CHECK(path_is(file_at(o, 0), "/srv/ lead/new\nline esc\x1b ff\xff back\\slash"));

    char want[2 + 1 + DEEP_NAME_MAX + 1];
    snprintf(want, sizeof(want), "/d/%s", longest);
    const struct deep_file *f = file_at(o, 1);
    CHECK(path_is(f, want));
    CHECK(f && f->path_len == 3 + DEEP_NAME_MAX);
    deep_result_free(&res);
    records_free(&b);
}

TEST(deepest_path_allowed)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7));
    begin_slot(&b, ext4_slot(RING_KEY, 0, 10));
    char want[2 * DEEP_MAX_DEPTH + 1];
    for (int i = 0; i < DEEP_MAX_DEPTH; i++) {
        /* leaf first: the leaf is the last letter of the path */
        char name = (char)('a' + (DEEP_MAX_DEPTH - 1 - i) % 26);
        put_component(&b, &name, 1);
        want[2 * (DEEP_MAX_DEPTH - 1 - i)] = '/';
        want[2 * (DEEP_MAX_DEPTH - 1 - i) + 1] = name;
    }
    want[2 * DEEP_MAX_DEPTH] = '\0';
    put_mark(&b, DEEP_PATH_END);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->nfiles == 1);
    CHECK(path_is(file_at(o, 0), want));
    deep_result_free(&res);
    records_free(&b);
}

TEST(pseudo_files_named_like_the_kernel)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7));
    /* sockfs names its dentries after the protocol; the kernel ignores it */
    add_slot(&b, pseudo_slot(RING_KEY, 0, SOCKFS_MAGIC, 222243, S_IFSOCK | 0777), DEEP_PATH_END,
             "TCP", NULL);
    add_slot(&b, pseudo_slot(RING_KEY, 1, PIPEFS_MAGIC, 4242, S_IFIFO | 0600), DEEP_PATH_END, "",
             NULL);
    add_slot(&b, pseudo_slot(RING_KEY, 2, ANON_INODE_FS_MAGIC, 9, 0600), DEEP_PATH_END, "[eventfd]",
             NULL);
    add_slot(&b, pseudo_slot(RING_KEY, 3, SHMEM_MAGIC, 5123, S_IFREG | 0777), DEEP_PATH_END,
             "memfd:buf", NULL);
    add_slot(&b, pseudo_slot(RING_KEY, 4, SOCKFS_MAGIC, 18446744073709551615ULL, S_IFSOCK),
             DEEP_PATH_END, "", NULL);
    add_slot(&b, pseudo_slot(RING_KEY, 5, PID_FS_MAGIC, 77, S_IFREG | 0600), DEEP_PATH_END, "",
             NULL);
    add_slot(&b, pseudo_slot(RING_KEY, 6, NSFS_MAGIC, 4026531840ULL, S_IFREG | 0444), DEEP_PATH_END,
             "/", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->nfiles == 7);

    const struct deep_file *f = file_at(o, 0);
    CHECK(path_is(f, "socket:[222243]"));
    CHECK(f && f->pseudo && !f->deleted && f->path_complete);
    CHECK(f && f->inode == 222243 && f->fs_magic == SOCKFS_MAGIC && f->mode == (S_IFSOCK | 0777));
    CHECK(f && f->dev_major == 0 && f->dev_minor == 8 && f->has_mount_id && f->mount_id == 12);

    f = file_at(o, 1);
    CHECK(path_is(f, "pipe:[4242]"));
    CHECK(f && f->pseudo && !f->deleted && f->path_complete);

    f = file_at(o, 2);
    CHECK(path_is(f, "anon_inode:[eventfd]"));
    CHECK(f && f->pseudo && !f->deleted && f->path_complete);

    /* shmem and memfd: simple_dname() prints "/name (deleted)" */
    f = file_at(o, 3);
    CHECK(path_is(f, "/memfd:buf"));
    CHECK(f && f->pseudo && f->deleted && f->path_complete);

    CHECK(path_is(file_at(o, 4), "socket:[18446744073709551615]"));

    /* pidfs (6.9+) names every pidfd alike */
    f = file_at(o, 5);
    CHECK(path_is(f, "anon_inode:[pidfd]"));
    CHECK(f && !f->deleted && f->path_complete);
    /* a d_dname() format not known here: a guess, and said to be one */
    f = file_at(o, 6);
    CHECK(f && f->pseudo && !f->path_complete);
    deep_result_free(&res);
    records_free(&b);
}

TEST(deleted_cut_and_detached)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7));
    struct deep_slot gone = ext4_slot(RING_KEY, 0, 20);
    gone.flags = DEEP_SLOT_DELETED;
    add_slot(&b, gone, DEEP_PATH_END, "gone", "tmp", NULL);
    add_slot(&b, ext4_slot(RING_KEY, 1, 21), DEEP_PATH_CUT, "leaf", "mid", NULL);
    add_slot(&b, ext4_slot(RING_KEY, 2, 22), DEEP_PATH_DETACHED, "f", "dir", NULL);
    add_slot(&b, ext4_slot(RING_KEY, 3, 2), DEEP_PATH_DETACHED, NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->nfiles == 4);

    /* the flag says it; the name gets no " (deleted)" */
    const struct deep_file *f = file_at(o, 0);
    CHECK(path_is(f, "/tmp/gone"));
    CHECK(f && f->deleted && !f->pseudo && f->path_complete);

    /* cut short of any root: a relative tail, not a path */
    f = file_at(o, 1);
    CHECK(path_is(f, "mid/leaf"));
    CHECK(f && !f->path_complete && !f->deleted);
    /* under a detached mount: from that mount's root, as the kernel prints it */
    f = file_at(o, 2);
    CHECK(path_is(f, "/dir/f"));
    CHECK(f && !f->path_complete);
    /* the detached tree's root itself */
    f = file_at(o, 3);
    CHECK(path_is(f, "/"));
    CHECK(f && !f->path_complete);
    deep_result_free(&res);
    records_free(&b);
}

TEST(device_numbers_and_mount_ids)
{
    struct records b = {0};
    struct deep_owner ring = ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7);
    ring.dev = KDEV(0xfff, 0xfffff);
    add_owner(&b, ring);
    struct deep_slot nvme = ext4_slot(RING_KEY, 0, 30);
    nvme.dev = KDEV(259, 3);
    add_slot(&b, nvme, DEEP_PATH_END, "x", NULL);
    struct deep_slot biggest = ext4_slot(RING_KEY, 1, 31);
    biggest.dev = KDEV(0xfff, 0xfffff);
    biggest.mnt_id = -1;
    add_slot(&b, biggest, DEEP_PATH_END, "y", NULL);
    struct deep_slot first_mount = ext4_slot(RING_KEY, 2, 32);
    first_mount.mnt_id = 0;
    add_slot(&b, first_mount, DEEP_PATH_END, "z", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->dev_major == 0xfff && o->dev_minor == 0xfffff);
    const struct deep_file *f = file_at(o, 0);
    CHECK(f && f->dev_major == 259 && f->dev_minor == 3);
    CHECK(f && f->has_mount_id && f->mount_id == 29);
    f = file_at(o, 1);
    CHECK(f && f->dev_major == 0xfff && f->dev_minor == 0xfffff);
    CHECK(f && !f->has_mount_id);
    f = file_at(o, 2);
    CHECK(f && f->has_mount_id && f->mount_id == 0);
    deep_result_free(&res);
    records_free(&b);
}

/* ---- objects reached several ways ----------------------------------------- */

TEST(one_ring_reached_many_ways)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 100, 7));
    add_slot(&b, ext4_slot(RING_KEY, 0, 40), DEEP_PATH_END, "a", NULL);
    /* the same fd seen again, from another thread sharing the table */
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 104, 7));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 100, 8));
    /* three mappings (SQ, CQ, SQEs) of one process are one way */
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_VMA, 100, 100, -1));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_VMA, 100, 100, -1));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_VMA, 100, 100, -1));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_VMA, 200, 200, -1));
    /* registered ring fds belong to a thread */
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_REGISTERED, 100, 101, 0));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_REGISTERED, 100, 102, 0));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_REGISTERED, 100, 101, 0));
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_REGISTERED, 100, 101, 3));
    add_owner(&b, ring_owner(RING2_KEY, DEEP_VIA_VMA, 100, 100, -1));
    add_slot(&b, ext4_slot(RING2_KEY, 5, 41), DEEP_PATH_END, "b", NULL);
    /* the first ring again, after another object was the last one */
    add_slot(&b, ext4_slot(RING_KEY, 1, 42), DEEP_PATH_END, "c", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK_EQ_INT(res.len, 2);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o == &res.items[0]);
    CHECK(o && o->nreaches == 7);
    if (o && o->nreaches == 7) {
        expect_reach(&o->reaches[0], DEEP_VIA_FD, 100, 100, 7);
        expect_reach(&o->reaches[1], DEEP_VIA_FD, 100, 100, 8);
        expect_reach(&o->reaches[2], DEEP_VIA_VMA, 100, 100, -1);
        expect_reach(&o->reaches[3], DEEP_VIA_VMA, 200, 200, -1);
        expect_reach(&o->reaches[4], DEEP_VIA_REGISTERED, 100, 101, 0);
        expect_reach(&o->reaches[5], DEEP_VIA_REGISTERED, 100, 102, 0);
        expect_reach(&o->reaches[6], DEEP_VIA_REGISTERED, 100, 101, 3);
    }
    CHECK(o && o->nfiles == 2);
    CHECK(path_is(file_at(o, 0), "/a"));
    CHECK(path_is(file_at(o, 1), "/c"));

    struct deep_object *o2 = deep_result_find(&res, RING2_KEY);
    CHECK(o2 == &res.items[1]);
    CHECK(o2 && o2->nreaches == 1 && o2->nfiles == 1);
    CHECK(path_is(file_at(o2, 5), "/b"));
    CHECK(deep_result_find(&res, RING_KEY) == &res.items[0]);
    CHECK(deep_result_find(&res, 0x1234) == NULL);
    deep_result_free(&res);
    records_free(&b);
}

TEST(later_reads_append_to_the_same_object)
{
    struct records first = {0}, second = {0};
    add_owner(&first, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 100, 7));
    add_slot(&first, ext4_slot(RING_KEY, 0, 50), DEEP_PATH_END, "a", NULL);
    add_owner(&first, ring_owner(RING_KEY, DEEP_VIA_VMA, 100, 100, -1));
    /* the next iterator's read: the same ring, and one more mapping of it */
    add_owner(&second, ring_owner(RING_KEY, DEEP_VIA_VMA, 100, 100, -1));
    add_owner(&second, ring_owner(RING_KEY, DEEP_VIA_REGISTERED, 100, 100, 2));
    add_slot(&second, ext4_slot(RING_KEY, 1, 51), DEEP_PATH_END, "b", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&first, &res, &err), 0);
    CHECK_EQ_INT(decode_all(&second, &res, &err), 0);
    CHECK_EQ_INT(res.len, 1);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->nreaches == 3 && o->nfiles == 2);
    if (o && o->nreaches == 3) {
        expect_reach(&o->reaches[0], DEEP_VIA_FD, 100, 100, 7);
        expect_reach(&o->reaches[1], DEEP_VIA_VMA, 100, 100, -1);
        expect_reach(&o->reaches[2], DEEP_VIA_REGISTERED, 100, 100, 2);
    }
    CHECK(path_is(file_at(o, 0), "/a"));
    CHECK(path_is(file_at(o, 1), "/b"));

    /* a continuation may list slots with no owner record of its own */
    struct records third = {0};
    add_slot(&third, ext4_slot(RING_KEY, 2, 52), DEEP_PATH_END, "c", NULL);
    CHECK_EQ_INT(decode_all(&third, &res, &err), 0);
    CHECK(o && o->nfiles == 3);
    CHECK(path_is(file_at(o, 2), "/c"));
    deep_result_free(&res);
    records_free(&first);
    records_free(&second);
    records_free(&third);
}

TEST(truncated_listing)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 100, 7));
    add_slot(&b, ext4_slot(RING_KEY, 0, 60), DEEP_PATH_END, "a", NULL);
    add_owner(&b, ring_owner(RING2_KEY, DEEP_VIA_FD, 100, 100, 9));
    add_trunc(&b, RING_KEY, 1);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->truncated && o->resume_slot == 1 && o->nfiles == 1);
    struct deep_object *o2 = deep_result_find(&res, RING2_KEY);
    CHECK(o2 && !o2->truncated && o2->resume_slot == 0);
    deep_result_free(&res);
    records_free(&b);
}

/* ---- FUSE ----------------------------------------------------------------- */

static struct deep_owner fuse_owner(uint64_t key, uint32_t via, uint32_t pid, int32_t fd)
{
    return (struct deep_owner){.via = via,
                               .pid = pid,
                               .tid = pid,
                               .fd = fd,
                               .owner_key = key,
                               .ino = via == DEEP_VIA_FUSE_FILE ? 77 : 0,
                               .dev = KDEV(0, 52),
                               .nslots = via == DEEP_VIA_FUSE_FILE ? 2 : 4,
                               .lists_slots = 1,
                               .comm = "fuseserver"};
}

TEST(fuse_connections_and_open_files)
{
    struct records b = {0};
    add_owner(&b, fuse_owner(CONN_KEY, DEEP_VIA_FUSE_DEV, 300, 5));
    add_slot(&b, ext4_slot(CONN_KEY, 1, 70), DEEP_PATH_END, "img", "backing", NULL);
    add_slot(&b, ext4_slot(CONN_KEY, 3, 71), DEEP_PATH_END, "other", "backing", NULL);
    add_owner(&b, fuse_owner(CONN_KEY, DEEP_VIA_FUSE_DEV, 301, 6));
    add_owner(&b, fuse_owner(OPEN_KEY, DEEP_VIA_FUSE_FILE, 400, 4));
    add_slot(&b, ext4_slot(OPEN_KEY, 0, 70), DEEP_PATH_END, "img", "backing", NULL);
    add_slot(&b, ext4_slot(OPEN_KEY, 1, 70), DEEP_PATH_END, "img", "backing", NULL);
    /* the connection number is fc->dev taken whole, never split like a dev_t */
    struct deep_owner odd = fuse_owner(CONN2_KEY, DEEP_VIA_FUSE_DEV, 302, 3);
    odd.dev = 0x12345678;
    add_owner(&b, odd);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK_EQ_INT(res.len, 3);
    struct deep_object *conn2 = deep_result_find(&res, CONN2_KEY);
    CHECK(conn2 && conn2->fuse_conn == 0x12345678 && conn2->dev_major == 0 && conn2->nfiles == 0);
    struct deep_object *conn = deep_result_find(&res, CONN_KEY);
    CHECK(conn && conn->kind == DEEP_OBJ_FUSE_CONN);
    CHECK(conn && conn->fuse_conn == 52 && conn->dev_major == 0 && conn->dev_minor == 0);
    CHECK(conn && conn->nslots == 4 && conn->nfiles == 2 && conn->nreaches == 2);
    if (conn && conn->nreaches == 2) {
        expect_reach(&conn->reaches[0], DEEP_VIA_FUSE_DEV, 300, 300, 5);
        expect_reach(&conn->reaches[1], DEEP_VIA_FUSE_DEV, 301, 301, 6);
    }
    CHECK(path_is(file_at(conn, 1), "/backing/img"));
    CHECK(path_is(file_at(conn, 3), "/backing/other"));

    struct deep_object *opened = deep_result_find(&res, OPEN_KEY);
    CHECK(opened && opened->kind == DEEP_OBJ_FUSE_OPEN);
    CHECK(opened && opened->fuse_conn == 52 && opened->inode == 77 && opened->nslots == 2);
    CHECK(opened && opened->nreaches == 1 && opened->nfiles == 2);
    if (opened && opened->nreaches == 1)
        expect_reach(&opened->reaches[0], DEEP_VIA_FUSE_FILE, 400, 400, 4);
    const struct deep_file *per_file = file_at(opened, 0), *per_inode = file_at(opened, 1);
    CHECK(path_is(per_file, "/backing/img") && path_is(per_inode, "/backing/img"));
    CHECK(per_file && per_file->file_key == 0xffff888200000000ULL);
    CHECK(per_inode && per_inode->file_key == 0xffff888200000100ULL);
    deep_result_free(&res);
    records_free(&b);
}

TEST(one_key_reached_as_two_kinds)
{
    static const struct {
        uint64_t key;
        uint32_t first_via, second_via;
    } cases[] = {
        {CONN_KEY, DEEP_VIA_FUSE_DEV, DEEP_VIA_FD},
        {RING_KEY, DEEP_VIA_VMA, DEEP_VIA_FUSE_FILE},
        {OPEN_KEY, DEEP_VIA_FUSE_FILE, DEEP_VIA_FUSE_DEV},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct records b = {0};
        add_owner(&b, fuse_owner(cases[i].key, cases[i].first_via, 300, 5));
        size_t bad_at = b.len;
        add_owner(&b, fuse_owner(cases[i].key, cases[i].second_via, 301, 6));

        struct deep_result res = {0};
        struct deep_decode_error err;
        CHECK_EQ_INT(decode_all(&b, &res, &err), -EINVAL);
        CHECK_EQ_INT(err.offset, bad_at);
        CHECK(err.reason != NULL);
        CHECK_EQ_INT(res.len, 1);
        struct deep_object *o = deep_result_find(&res, cases[i].key);
        CHECK(o && o->nreaches == 1 && o->reaches[0].via == (enum deep_via)cases[i].first_via);
        deep_result_free(&res);
        records_free(&b);
    }
}

/* ---- requests in flight (inflight.bpf.c) ---------------------------------- */

#define MM_KEY     0xffff888106660000ULL
#define TABLE_KEY  0xffff888101234440ULL /* inside the ring at RING_KEY */
#define WORKER_KEY 0xffff888107770000ULL

static struct deep_owner request_owner(uint64_t key, uint32_t via, uint32_t pid, uint32_t tid,
                                       int32_t fd, uint64_t ino)
{
    return (struct deep_owner){.via = via,
                               .pid = pid,
                               .tid = tid,
                               .fd = fd,
                               .owner_key = key,
                               .ino = ino,
                               .nslots = 1,
                               .lists_slots = 1,
                               .comm = "poller"};
}

TEST(requests_in_flight)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 500, 500, 5));
    add_owner(&b, request_owner(MM_KEY, DEEP_VIA_AIO, 500, 500, -1, 0));
    add_slot(&b, ext4_slot(MM_KEY, 0, 12), DEEP_PATH_END, "fifo", "mnt", NULL);
    add_owner(&b, request_owner(TABLE_KEY, DEEP_VIA_URING_REQ, 500, 500, 5, 85414));
    add_slot(&b, ext4_slot(TABLE_KEY, 0, 12), DEEP_PATH_DETACHED, "fifo", NULL);
    add_owner(&b, request_owner(WORKER_KEY, DEEP_VIA_URING_WORKER, 500, 503, -1, 0));
    add_slot(&b, ext4_slot(WORKER_KEY, 0, 13), DEEP_PATH_END, "out", "mnt", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK_EQ_INT(res.len, 4);
    struct deep_object *ring = deep_result_find(&res, RING_KEY);
    CHECK(ring && ring->kind == DEEP_OBJ_RING && ring->nfiles == 0);
    struct deep_object *aio = deep_result_find(&res, MM_KEY);
    CHECK(aio && aio->kind == DEEP_OBJ_AIO && aio->nreaches == 1 && aio->nfiles == 1);
    CHECK(aio && aio->dev_major == 0 && aio->dev_minor == 0 && aio->fuse_conn == 0);
    if (aio && aio->nreaches == 1)
        expect_reach(&aio->reaches[0], DEEP_VIA_AIO, 500, 500, -1);
    const struct deep_file *f = file_at(aio, 0);
    CHECK(path_is(f, "/mnt/fifo") && f && f->path_complete && f->dev_major == 8 && f->inode == 12 &&
          f->mount_id == 29);
    /* The table is an object of its own beside the ring. */
    struct deep_object *table = deep_result_find(&res, TABLE_KEY);
    CHECK(table && table->kind == DEEP_OBJ_URING_REQ && table->inode == 85414);
    if (table && table->nreaches == 1)
        expect_reach(&table->reaches[0], DEEP_VIA_URING_REQ, 500, 500, 5);
    f = file_at(table, 0);
    CHECK(path_is(f, "/fifo") && f && !f->path_complete);
    struct deep_object *worker = deep_result_find(&res, WORKER_KEY);
    CHECK(worker && worker->kind == DEEP_OBJ_URING_REQ && worker->nfiles == 1);
    if (worker && worker->nreaches == 1)
        expect_reach(&worker->reaches[0], DEEP_VIA_URING_WORKER, 500, 503, -1);
    CHECK(path_is(file_at(worker, 0), "/mnt/out"));
    deep_result_free(&res);
    records_free(&b);
}

TEST(request_keys_are_not_rings)
{
    /* An AIO owner (a process's mm) is never a ring, nor a worker an AIO
     * context: a key reached both ways is corruption. */
    static const uint32_t vias[][2] = {
        {DEEP_VIA_AIO, DEEP_VIA_FD},
        {DEEP_VIA_URING_WORKER, DEEP_VIA_AIO},
        {DEEP_VIA_URING_REQ, DEEP_VIA_INFLIGHT},
    };
    for (size_t i = 0; i < sizeof(vias) / sizeof(vias[0]); i++) {
        struct records b = {0};
        add_owner(&b, request_owner(MM_KEY, vias[i][0], 300, 300, -1, 0));
        size_t bad_at = b.len;
        add_owner(&b, request_owner(MM_KEY, vias[i][1], 300, 300, -1, 0));
        struct deep_result res = {0};
        struct deep_decode_error err;
        CHECK_EQ_INT(decode_all(&b, &res, &err), -EINVAL);
        CHECK_EQ_INT(err.offset, bad_at);
        CHECK_EQ_INT(res.len, 1);
        deep_result_free(&res);
        records_free(&b);
    }
}

/* A file written once with an id, then named by it: from another object
 * too, and after the table of ids has grown. */
TEST(seen_records_repeat_a_named_file)
{
    struct records b = {0};
    add_owner(&b, ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7));
    struct deep_slot named = ext4_slot(RING_KEY, 0, 1001);
    named.path_id = 3;
    named.flags = DEEP_SLOT_DELETED;
    add_slot(&b, named, DEEP_PATH_END, "log", "var", NULL);
    for (uint32_t id = 10; id < 600; id++) {
        struct deep_slot s = ext4_slot(RING_KEY, id, id);
        s.path_id = id;
        add_slot(&b, s, DEEP_PATH_END, "many", NULL);
    }
    add_owner(&b, ring_owner(RING2_KEY, DEEP_VIA_FD, 813, 813, 4));
    add_seen(&b,
             (struct deep_seen){.owner_key = RING2_KEY, .file = 0x1234, .slot = 9, .path_id = 3});
    add_seen(
        &b, (struct deep_seen){.owner_key = RING_KEY, .file = 0x5678, .slot = 700, .path_id = 599});

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    const struct deep_object *o = deep_result_find(&res, RING2_KEY);
    const struct deep_file *f = o ? file_at(o, 9) : NULL;
    CHECK(path_is(f, "/var/log"));
    if (f) {
        CHECK(f->file_key == 0x1234);
        CHECK(f->inode == 1001 && f->dev_major == 8 && f->dev_minor == 1);
        CHECK(f->deleted && f->path_complete && f->has_mount_id && f->mount_id == 29);
    }
    o = deep_result_find(&res, RING_KEY);
    f = o ? file_at(o, 700) : NULL;
    CHECK(path_is(f, "/many"));
    CHECK(f && f->inode == 599 && f->file_key == 0x5678);
    deep_result_free(&res);
    records_free(&b);
}

/* A large ring's listing is one mapping of the table's size, grown when a
 * later owner record announces more slots, and freed apart. */
TEST(large_listing_mapped_apart)
{
    struct records b = {0};
    struct deep_owner owner = ring_owner(RING_KEY, DEEP_VIA_FD, 812, 812, 7);
    owner.nslots = 5000;
    add_owner(&b, owner);
    for (uint32_t i = 0; i < 900; i++)
        add_slot(&b, ext4_slot(RING_KEY, i, 100 + i), DEEP_PATH_END, "f", NULL);
    owner.nslots = 20000;
    owner.via = DEEP_VIA_VMA;
    owner.fd = -1;
    add_owner(&b, owner);
    for (uint32_t i = 900; i < 1000; i++)
        add_slot(&b, ext4_slot(RING_KEY, i, 100 + i), DEEP_PATH_END, "g", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o != NULL);
    if (o) {
        CHECK(o->files_mapped);
        CHECK(o->files_cap >= 20000);
        CHECK_EQ_INT(o->nfiles, 1000);
        CHECK(path_is(file_at(o, 0), "/f") && path_is(file_at(o, 999), "/g"));
        CHECK(file_at(o, 899) && file_at(o, 899)->inode == 999);
        deep_object_free_files(o);
        CHECK(o->files == NULL && o->nfiles == 0 && !o->files_mapped);
    }
    deep_result_free(&res);
    records_free(&b);
}

/* ---- malformed input ------------------------------------------------------ */

/* A valid owner and slot, which every malformed case must leave decoded. */
static void good_start(struct records *b)
{
    add_owner(b, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 100, 7));
    add_slot(b, ext4_slot(RING_KEY, 0, 80), DEEP_PATH_END, "kept", NULL);
}

static void expect_rejected_after_good_start(const struct records *b, size_t bad_at,
                                             const char *what)
{
    struct deep_result res = {0};
    struct deep_decode_error err;
    int r = decode_all(b, &res, &err);
    if (r != -EINVAL || err.offset != bad_at || !err.reason)
        fprintf(stderr, "  case \"%s\": r=%d offset=%zu reason=%s\n", what, r, err.offset,
                err.reason ? err.reason : "(null)");
    CHECK_EQ_INT(r, -EINVAL);
    CHECK_EQ_INT(err.offset, bad_at);
    CHECK(err.reason != NULL);
    CHECK(result_sane(&res));
    CHECK_EQ_INT(res.len, 1);
    struct deep_object *o = deep_result_find(&res, RING_KEY);
    CHECK(o && o->nfiles == 1 && o->nreaches == 1 && !o->truncated);
    CHECK(path_is(file_at(o, 0), "/kept"));
    deep_result_free(&res);
}

/* Each builder appends one bad record. */
typedef void (*bad_record_fn)(struct records *b);

static void owner_too_long(struct records *b)
{
    struct deep_owner o = ring_owner(RING2_KEY, DEEP_VIA_FD, 100, 100, 8);
    o.len = sizeof(o) + 8;
    add_owner(b, o);
    put(b, (char[8]){0}, 8);
}

static void owner_too_short(struct records *b)
{
    struct deep_owner o = ring_owner(RING2_KEY, DEEP_VIA_FD, 100, 100, 8);
    o.len = sizeof(o) - 16;
    add_owner(b, o);
}

static void slot_wrong_len(struct records *b)
{
    struct deep_slot s = ext4_slot(RING_KEY, 1, 81);
    s.len = sizeof(s) + 2;
    add_slot(b, s, DEEP_PATH_END, "x", NULL);
}

static void trunc_wrong_len(struct records *b)
{
    struct deep_trunc t = {DEEP_REC_TRUNC, sizeof(t) - 8, RING_KEY, 1, 0};
    put(b, &t, sizeof(t));
}

static void trunc_of_unannounced(struct records *b)
{
    add_trunc(b, RING2_KEY, 4);
}

static void slot_of_unannounced(struct records *b)
{
    add_slot(b, ext4_slot(RING2_KEY, 0, 81), DEEP_PATH_END, "x", NULL);
}

static void kind_zero(struct records *b)
{
    uint32_t header[2] = {0, sizeof(struct deep_trunc)};
    put(b, header, sizeof(header));
    put(b, (char[16]){0}, 16);
}

static void kind_unknown(struct records *b)
{
    struct deep_trunc t = {DEEP_REC_SEEN + 1, sizeof(t), RING_KEY, 1, 0};
    put(b, &t, sizeof(t));
}

static void kind_all_ones(struct records *b)
{
    put(b, (char[24]){-1, -1, -1, -1, -1, -1, -1, -1}, 24);
}

static void header_only_half(struct records *b)
{
    uint32_t kind = DEEP_REC_OWNER;
    put(b, &kind, sizeof(kind));
}

static void via_zero(struct records *b)
{
    add_owner(b, ring_owner(RING2_KEY, 0, 100, 100, 8));
}

static void via_99(struct records *b)
{
    add_owner(b, ring_owner(RING2_KEY, 99, 100, 100, 8));
}

static void via_past_the_last(struct records *b)
{
    add_owner(b, ring_owner(RING2_KEY, DEEP_VIA_URING_WORKER + 1, 100, 100, 8));
}

static void layout_out_of_range(struct records *b)
{
    struct deep_owner o = ring_owner(RING2_KEY, DEEP_VIA_FD, 100, 100, 8);
    o.layout = DEEP_LAYOUT_FIXED_FILES + 1;
    add_owner(b, o);
}

static void component_too_long(struct records *b)
{
    char name[DEEP_NAME_MAX + 1];
    memset(name, 'n', sizeof(name));
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    put_component(b, name, sizeof(name));
    put_mark(b, DEEP_PATH_END);
}

static void component_length_below_marks(struct records *b)
{
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    put_mark(b, DEEP_PATH_DETACHED - 1);
    put_mark(b, DEEP_PATH_END);
}

static void too_many_components(struct records *b)
{
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    for (int i = 0; i <= DEEP_MAX_DEPTH; i++)
        put_component(b, "d", 1);
    put_mark(b, DEEP_PATH_END);
}

static void empty_component(struct records *b)
{
    add_slot(b, ext4_slot(RING_KEY, 1, 81), DEEP_PATH_END, "leaf", "", "top", NULL);
}

static void nul_in_component(struct records *b)
{
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    put_component(b, "a\0b", 3);
    put_mark(b, DEEP_PATH_END);
}

static void nul_in_pseudo_name(struct records *b)
{
    begin_slot(b, pseudo_slot(RING_KEY, 1, ANON_INODE_FS_MAGIC, 9, 0600));
    put_component(b, "[a\0b]", 5);
    put_mark(b, DEEP_PATH_END);
}

static void pseudo_without_name(struct records *b)
{
    add_slot(b, pseudo_slot(RING_KEY, 1, SOCKFS_MAGIC, 9, S_IFSOCK), DEEP_PATH_END, NULL);
}

static void pseudo_with_two_names(struct records *b)
{
    add_slot(b, pseudo_slot(RING_KEY, 1, ANON_INODE_FS_MAGIC, 9, 0600), DEEP_PATH_END, "[x]", "y",
             NULL);
}

static void pseudo_cut(struct records *b)
{
    add_slot(b, pseudo_slot(RING_KEY, 1, PIPEFS_MAGIC, 9, S_IFIFO), DEEP_PATH_CUT, "", NULL);
}

static void component_past_the_end(struct records *b)
{
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    uint16_t len = 10;
    put(b, &len, sizeof(len));
    put(b, "short", 5);
}

static void no_end_mark(struct records *b)
{
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    put_component(b, "name", 4);
}

static void half_end_mark(struct records *b)
{
    begin_slot(b, ext4_slot(RING_KEY, 1, 81));
    put(b, "\xff", 1);
}

static void seen_wrong_len(struct records *b)
{
    add_seen(b, (struct deep_seen){.len = sizeof(struct deep_seen) - 8, .owner_key = RING_KEY});
}

static void seen_of_unannounced(struct records *b)
{
    add_seen(b, (struct deep_seen){.owner_key = RING2_KEY, .slot = 1, .path_id = 1});
}

static void seen_of_unknown_id(struct records *b)
{
    add_seen(b, (struct deep_seen){.owner_key = RING_KEY, .slot = 1, .path_id = 7});
}

static void seen_of_id_zero(struct records *b)
{
    add_seen(b, (struct deep_seen){.owner_key = RING_KEY, .slot = 1});
}

TEST(malformed_records_rejected)
{
    static const struct {
        const char *what;
        bad_record_fn append;
    } cases[] = {
        {"owner len too long", owner_too_long},
        {"owner len too short", owner_too_short},
        {"slot len wrong", slot_wrong_len},
        {"trunc len wrong", trunc_wrong_len},
        {"trunc of an unannounced object", trunc_of_unannounced},
        {"slot of an unannounced object", slot_of_unannounced},
        {"kind 0", kind_zero},
        {"kind 5", kind_unknown},
        {"seen len wrong", seen_wrong_len},
        {"seen of an unannounced object", seen_of_unannounced},
        {"seen of an id never given", seen_of_unknown_id},
        {"seen of id 0", seen_of_id_zero},
        {"kind 0xffffffff", kind_all_ones},
        {"half a header", header_only_half},
        {"via 0", via_zero},
        {"via 99", via_99},
        {"via past the last", via_past_the_last},
        {"layout 3", layout_out_of_range},
        {"component of 256 bytes", component_too_long},
        {"component length 0xfffc", component_length_below_marks},
        {"49 components", too_many_components},
        {"empty component", empty_component},
        {"NUL in a component", nul_in_component},
        {"NUL in a pseudo name", nul_in_pseudo_name},
        {"pseudo file, no name", pseudo_without_name},
        {"pseudo file, two names", pseudo_with_two_names},
        {"pseudo file, cut", pseudo_cut},
        {"component past the end", component_past_the_end},
        {"no end mark", no_end_mark},
        {"half an end mark", half_end_mark},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct records b = {0};
        good_start(&b);
        size_t bad_at = b.len;
        cases[i].append(&b);
        /* a good record after the bad one must not be reached either */
        add_owner(&b, ring_owner(RING2_KEY, DEEP_VIA_FD, 100, 100, 9));
        expect_rejected_after_good_start(&b, bad_at, cases[i].what);
        records_free(&b);
    }
}

/* A listing with every record kind and path shape, for the cut tests. */
static void build_mixed_listing(struct records *b)
{
    add_owner(b, ring_owner(RING_KEY, DEEP_VIA_FD, 100, 100, 7));
    add_slot(b, ext4_slot(RING_KEY, 0, 90), DEEP_PATH_END, "c", "b", "a", NULL);
    add_slot(b, ext4_slot(RING_KEY, 1, 2), DEEP_PATH_END, NULL);
    add_slot(b, pseudo_slot(RING_KEY, 2, SOCKFS_MAGIC, 91, S_IFSOCK), DEEP_PATH_END, "", NULL);
    add_slot(b, pseudo_slot(RING_KEY, 3, ANON_INODE_FS_MAGIC, 92, 0600), DEEP_PATH_END,
             "[io_uring]", NULL);
    add_slot(b, ext4_slot(RING_KEY, 4, 93), DEEP_PATH_DETACHED, "f", "d", NULL);
    add_trunc(b, RING_KEY, 5);
    add_owner(b, ring_owner(RING_KEY, DEEP_VIA_VMA, 100, 100, -1));
    add_owner(b, fuse_owner(CONN_KEY, DEEP_VIA_FUSE_DEV, 300, 5));
    add_slot(b, ext4_slot(CONN_KEY, 1, 94), DEEP_PATH_CUT, "img\n", NULL);
    add_owner(b, fuse_owner(OPEN_KEY, DEEP_VIA_FUSE_FILE, 400, 4));
    add_slot(b, ext4_slot(OPEN_KEY, 0, 94), DEEP_PATH_END, "img\n", "backing", NULL);
}

static size_t records_before(const struct records *b, size_t len)
{
    size_t n = 0;
    while (n < b->nrecords && b->ends[n] <= len)
        n++;
    return n;
}

/* How many objects and files the first n records of b announce. */
static void count_records(const struct records *b, size_t n, size_t *objects, size_t *files)
{
    uint64_t keys[MAX_RECORDS];
    *objects = *files = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rec = b->data + (i ? b->ends[i - 1] : 0);
        uint32_t kind;
        memcpy(&kind, rec, sizeof(kind));
        *files += kind == DEEP_REC_SLOT;
        if (kind != DEEP_REC_OWNER)
            continue;
        struct deep_owner o;
        memcpy(&o, rec, sizeof(o));
        size_t k = 0;
        while (k < *objects && keys[k] != o.owner_key)
            k++;
        if (k == *objects)
            keys[(*objects)++] = o.owner_key;
    }
}

TEST(every_cut_of_a_listing)
{
    struct records b = {0};
    build_mixed_listing(&b);
    struct deep_result full = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &full, &err), 0);
    CHECK_EQ_INT(full.len, 3);
    CHECK_EQ_INT(total_files(&full), 7);

    for (size_t len = 0; len <= b.len; len++) {
        size_t complete = records_before(&b, len);
        size_t boundary = complete ? b.ends[complete - 1] : 0;
        struct deep_result res = {0};
        int r = decode_range(&b, 0, len, &res, &err);
        if (len == boundary) {
            CHECK_EQ_INT(r, 0);
        } else {
            CHECK_EQ_INT(r, -EINVAL);
            CHECK_EQ_INT(err.offset, boundary);
            CHECK(err.reason != NULL);
        }
        CHECK(result_sane(&res));
        /* exactly the complete records were decoded, as in the full run */
        size_t want_objects, want_files;
        count_records(&b, complete, &want_objects, &want_files);
        CHECK_EQ_INT(res.len, want_objects);
        CHECK_EQ_INT(total_files(&res), want_files);
        for (size_t i = 0; i < res.len && i < full.len; i++) {
            const struct deep_object *o = &res.items[i], *want = &full.items[i];
            CHECK(o->key == want->key && o->kind == want->kind);
            CHECK(o->nreaches <= want->nreaches && o->nfiles <= want->nfiles);
            for (size_t j = 0; j < o->nfiles && j < want->nfiles; j++)
                CHECK(path_is_bytes(&o->files[j], want->files[j].path, want->files[j].path_len));
        }
        deep_result_free(&res);
    }
    deep_result_free(&full);
    records_free(&b);
}

TEST(two_reads_split_at_every_record)
{
    struct records b = {0};
    build_mixed_listing(&b);
    struct deep_result full = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &full, &err), 0);
    for (size_t i = 0; i < b.nrecords; i++) {
        struct deep_result res = {0};
        CHECK_EQ_INT(decode_range(&b, 0, b.ends[i], &res, &err), 0);
        CHECK_EQ_INT(decode_range(&b, b.ends[i], b.len, &res, &err), 0);
        CHECK_EQ_INT(res.len, full.len);
        for (size_t k = 0; k < res.len && k < full.len; k++) {
            const struct deep_object *o = &res.items[k], *want = &full.items[k];
            CHECK(o->key == want->key && o->kind == want->kind && o->truncated == want->truncated);
            CHECK(o->nreaches == want->nreaches && o->nfiles == want->nfiles);
            for (size_t j = 0; j < o->nfiles && j < want->nfiles; j++)
                CHECK(path_is_bytes(&o->files[j], want->files[j].path, want->files[j].path_len));
        }
        deep_result_free(&res);
    }
    deep_result_free(&full);
    records_free(&b);
}

TEST(empty_buffer)
{
    struct deep_result res = {0};
    struct deep_decode_error err = {42, "untouched"};
    CHECK_EQ_INT(deep_decode("", 0, &res, &err), 0);
    CHECK_EQ_INT(res.len, 0);
    CHECK(res.items == NULL);
    CHECK(deep_result_find(&res, RING_KEY) == NULL);
    CHECK_EQ_INT(err.offset, 42);
    deep_result_free(&res);
}

TEST(free_leaves_a_zeroed_result)
{
    static const struct deep_result zero;
    struct deep_result res = {0};
    deep_result_free(&res);
    CHECK(memcmp(&res, &zero, sizeof(res)) == 0);

    struct records b = {0};
    build_mixed_listing(&b);
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK(res.len == 3 && res.items != NULL);
    deep_result_free(&res);
    CHECK(memcmp(&res, &zero, sizeof(res)) == 0);
    /* and it can be used again */
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK_EQ_INT(res.len, 3);
    deep_result_free(&res);
    deep_result_free(&res);
    CHECK(memcmp(&res, &zero, sizeof(res)) == 0);
    records_free(&b);
}

TEST(mapped_passthrough_files_and_task_references)
{
    enum { MAP_KEY = 0x7000, TASK_KEY = 0x8000 };
    struct records b = {0};
    struct deep_owner map = fuse_owner(MAP_KEY, DEEP_VIA_FUSE_MAP, 400, -1);
    map.ino = 78;
    add_owner(&b, map);
    add_slot(&b, ext4_slot(MAP_KEY, 0, 70), DEEP_PATH_END, "img", "backing", NULL);
    map.pid = map.tid = 401; /* a second task sharing the mapping */
    add_owner(&b, map);
    struct deep_owner task = fuse_owner(TASK_KEY, DEEP_VIA_TASK, 1, -1);
    task.ino = 4026531840ULL; /* its mount namespace */
    task.dev = 0;
    add_owner(&b, task);
    add_slot(&b, ext4_slot(TASK_KEY, DEEP_REF_CWD, 2), DEEP_PATH_END, NULL);
    add_owner(&b, task); /* announced again by its fd */
    add_slot(&b, ext4_slot(TASK_KEY, 9, 71), DEEP_PATH_END, "log", "backing", NULL);

    struct deep_result res = {0};
    struct deep_decode_error err;
    CHECK_EQ_INT(decode_all(&b, &res, &err), 0);
    CHECK_EQ_INT(res.len, 2);
    struct deep_object *mapped = deep_result_find(&res, MAP_KEY);
    CHECK(mapped && mapped->kind == DEEP_OBJ_FUSE_OPEN && mapped->fuse_conn == 52);
    CHECK(mapped && mapped->inode == 78 && mapped->nfiles == 1 && mapped->nreaches == 2);
    if (mapped && mapped->nreaches == 2) {
        expect_reach(&mapped->reaches[0], DEEP_VIA_FUSE_MAP, 400, 400, -1);
        expect_reach(&mapped->reaches[1], DEEP_VIA_FUSE_MAP, 401, 401, -1);
    }
    struct deep_object *t = deep_result_find(&res, TASK_KEY);
    CHECK(t && t->kind == DEEP_OBJ_TASK && t->inode == 4026531840ULL);
    CHECK(t && t->nreaches == 1 && t->nfiles == 2);
    CHECK(path_is(file_at(t, DEEP_REF_CWD), "/"));
    CHECK(path_is(file_at(t, 9), "/backing/log"));
    deep_result_free(&res);
    records_free(&b);
}
