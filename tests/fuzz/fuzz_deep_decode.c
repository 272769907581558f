/* libFuzzer target for the --deep record decoder (deep_decode.c): the input
 * is a stream of BPF iterator records (deep_records.h).  It is decoded in one
 * call and again in two calls, the way deep_scan appends one iterator read
 * after another; both results must be sane, and equal whenever the split
 * falls between records.  Any broken invariant calls abort() so libFuzzer
 * keeps the input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *     -Isrc tests/fuzz/fuzz_deep_decode.c src/deep_decode.c -o /tmp/fz
 *
 * Seeds: tests/fuzz/corpus/fuzz_deep_decode/ (copy them before a run,
 * libFuzzer writes new inputs into the corpus directory). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/deep_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_deep_decode: invariant broken at line %d: %s\n", __LINE__,       \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define SOCKFS_MAGIC        0x534F434BULL
#define PIPEFS_MAGIC        0x50495045ULL
#define ANON_INODE_FS_MAGIC 0x09041934ULL
#define PID_FS_MAGIC        0x50494446ULL
#define SHMEM_MAGIC         0x01021994ULL
#define HUGETLBFS_MAGIC     0x958458f6ULL

/* The longest name the decoder makes up itself: "socket:[" UINT64_MAX "]". */
#define PSEUDO_NAME_MAX 29

/* The kind each way of reaching an object implies; a way added since is
 * left to the decoder's own range check. */
static bool via_reaches(enum deep_object_kind kind, enum deep_via via)
{
    switch (via) {
    case DEEP_VIA_FD:
    case DEEP_VIA_VMA:
    case DEEP_VIA_REGISTERED: return kind == DEEP_OBJ_RING;
    case DEEP_VIA_FUSE_DEV: return kind == DEEP_OBJ_FUSE_CONN;
    case DEEP_VIA_FUSE_FILE:
    case DEEP_VIA_FUSE_MAP: return kind == DEEP_OBJ_FUSE_OPEN;
    case DEEP_VIA_TASK: return kind == DEEP_OBJ_TASK;
    case DEEP_VIA_PERF: return kind == DEEP_OBJ_PERF;
    case DEEP_VIA_FSCONTEXT: return kind == DEEP_OBJ_FSCONTEXT;
    case DEEP_VIA_INFLIGHT: return kind == DEEP_OBJ_INFLIGHT;
    case DEEP_VIA_AIO: return kind == DEEP_OBJ_AIO;
    case DEEP_VIA_URING_REQ:
    case DEEP_VIA_URING_WORKER: return kind == DEEP_OBJ_URING_REQ;
    default: return true;
    }
}

static bool same_reach(const struct deep_reach *a, const struct deep_reach *b)
{
    return a->via == b->via && a->pid == b->pid && a->fd == b->fd &&
           (a->via != DEEP_VIA_REGISTERED || a->tid == b->tid);
}

static void check_reaches(const struct deep_object *o)
{
    REQUIRE(o->nreaches <= o->reaches_cap);
    REQUIRE(o->nreaches == 0 || o->reaches);
    for (size_t i = 0; i < o->nreaches; i++) {
        REQUIRE(via_reaches(o->kind, o->reaches[i].via));
        for (size_t j = 0; j < i; j++)
            REQUIRE(!same_reach(&o->reaches[i], &o->reaches[j]));
    }
}

static void check_pseudo_name(const struct deep_file *f)
{
    char want[PSEUDO_NAME_MAX + 1];
    bool known = true;
    if (f->fs_magic == SOCKFS_MAGIC || f->fs_magic == PIPEFS_MAGIC) {
        snprintf(want, sizeof(want), "%s:[%llu]", f->fs_magic == SOCKFS_MAGIC ? "socket" : "pipe",
                 (unsigned long long)f->inode);
        REQUIRE(strcmp(f->path, want) == 0);
    } else if (f->fs_magic == PID_FS_MAGIC) {
        REQUIRE(strcmp(f->path, "anon_inode:[pidfd]") == 0);
    } else if (f->fs_magic == ANON_INODE_FS_MAGIC) {
        REQUIRE(strncmp(f->path, "anon_inode:", 11) == 0);
        REQUIRE(f->path_len <= 11 + DEEP_NAME_MAX);
    } else {
        REQUIRE(f->path[0] == '/' && f->path_len <= 1 + DEEP_NAME_MAX);
        REQUIRE(f->deleted);
        known = f->fs_magic == SHMEM_MAGIC || f->fs_magic == HUGETLBFS_MAGIC;
    }
    /* A name format not known to the decoder is only a guess. */
    REQUIRE(f->path_complete == known);
}

static void check_file(const struct deep_file *f, size_t input_len)
{
    REQUIRE(f->path);
    REQUIRE(f->path[f->path_len] == '\0');
    REQUIRE(strlen(f->path) == f->path_len);
    REQUIRE(f->path_len <= input_len + PSEUDO_NAME_MAX);
    REQUIRE(f->path_len <= 1 + DEEP_MAX_DEPTH * (DEEP_NAME_MAX + 1));
    REQUIRE(f->dev_major <= 0xfff && f->dev_minor <= 0xfffff);
    REQUIRE(f->has_mount_id == (f->mount_id >= 0));
    if (f->pseudo)
        check_pseudo_name(f);
    else if (f->path_complete)
        REQUIRE(f->path[0] == '/');
}

static void check_result(struct deep_result *res, size_t input_len)
{
    REQUIRE(res->len <= res->cap);
    REQUIRE(res->len == 0 || res->items);
    size_t reaches = 0, files = 0;
    for (size_t i = 0; i < res->len; i++) {
        const struct deep_object *o = &res->items[i];
        REQUIRE(o->kind == DEEP_OBJ_RING || o->kind == DEEP_OBJ_FUSE_CONN ||
                o->kind == DEEP_OBJ_FUSE_OPEN || o->kind == DEEP_OBJ_TASK ||
                o->kind == DEEP_OBJ_PERF || o->kind == DEEP_OBJ_FSCONTEXT ||
                o->kind == DEEP_OBJ_INFLIGHT || o->kind == DEEP_OBJ_AIO ||
                o->kind == DEEP_OBJ_URING_REQ);
        REQUIRE(o->layout <= DEEP_LAYOUT_FIXED_FILES);
        if (o->kind == DEEP_OBJ_RING || o->kind == DEEP_OBJ_FSCONTEXT)
            REQUIRE(o->fuse_conn == 0 && o->dev_major <= 0xfff && o->dev_minor <= 0xfffff);
        else if (o->kind == DEEP_OBJ_TASK || o->kind == DEEP_OBJ_PERF ||
                 o->kind == DEEP_OBJ_INFLIGHT || o->kind == DEEP_OBJ_AIO ||
                 o->kind == DEEP_OBJ_URING_REQ)
            REQUIRE(o->fuse_conn == 0 && o->dev_major == 0 && o->dev_minor == 0);
        else
            REQUIRE(o->dev_major == 0 && o->dev_minor == 0);
        if (!o->truncated)
            REQUIRE(o->resume_slot == 0);
        check_reaches(o);
        REQUIRE(o->nfiles <= o->files_cap);
        REQUIRE(o->nfiles == 0 || o->files);
        for (size_t j = 0; j < o->nfiles; j++)
            check_file(&o->files[j], input_len);
        reaches += o->nreaches;
        files += o->nfiles;
        /* keys are unique, so each finds its own object */
        REQUIRE(deep_result_find(res, o->key) == o);
    }
    /* nothing is made up: every object, reach and file cost a record */
    REQUIRE(res->len * sizeof(struct deep_owner) <= input_len);
    REQUIRE(reaches * sizeof(struct deep_owner) <= input_len);
    REQUIRE(files * (sizeof(struct deep_slot) + 2) <= input_len);
}

static bool same_file(const struct deep_file *a, const struct deep_file *b)
{
    return a->index == b->index && a->file_key == b->file_key && a->dev_major == b->dev_major &&
           a->dev_minor == b->dev_minor && a->inode == b->inode && a->fs_magic == b->fs_magic &&
           a->mode == b->mode && a->has_mount_id == b->has_mount_id && a->mount_id == b->mount_id &&
           a->deleted == b->deleted && a->pseudo == b->pseudo &&
           a->path_complete == b->path_complete && a->path_len == b->path_len &&
           memcmp(a->path, b->path, a->path_len) == 0;
}

static bool same_object(const struct deep_object *a, const struct deep_object *b)
{
    if (a->kind != b->kind || a->key != b->key || a->inode != b->inode ||
        a->dev_major != b->dev_major || a->dev_minor != b->dev_minor ||
        a->fuse_conn != b->fuse_conn || a->nslots != b->nslots || a->ring_flags != b->ring_flags ||
        a->layout != b->layout || a->truncated != b->truncated ||
        a->resume_slot != b->resume_slot || a->nreaches != b->nreaches || a->nfiles != b->nfiles)
        return false;
    for (size_t i = 0; i < a->nreaches; i++)
        if (memcmp(&a->reaches[i], &b->reaches[i], sizeof(a->reaches[i])) != 0)
            return false;
    for (size_t i = 0; i < a->nfiles; i++)
        if (!same_file(&a->files[i], &b->files[i]))
            return false;
    return true;
}

static void require_same(const struct deep_result *a, const struct deep_result *b)
{
    REQUIRE(a->len == b->len);
    for (size_t i = 0; i < a->len; i++)
        REQUIRE(same_object(&a->items[i], &b->items[i]));
}

static void check_error(int r, const struct deep_decode_error *err, size_t len)
{
    REQUIRE(r == 0 || r == -EINVAL || r == -ENOMEM);
    if (r == -EINVAL) {
        REQUIRE(err->reason != NULL);
        REQUIRE(err->offset < len);
    }
}

/* Decodes data[from, to) from a heap copy of exactly that size, so that ASan
 * catches any read past the end. */
static int decode_range(const uint8_t *data, size_t from, size_t to, struct deep_result *res,
                        struct deep_decode_error *err)
{
    size_t n = to - from;
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, data + from, n);
    err->offset = 0;
    err->reason = NULL;
    int r = deep_decode(copy, n, res, err);
    free(copy);
    check_error(r, err, n);
    return r;
}

/* FNV-1a: any change to the input moves the split point. */
static size_t pick_split(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h % (size + 1);
}

static void free_and_check(struct deep_result *res)
{
    static const struct deep_result zero;
    deep_result_free(res);
    REQUIRE(memcmp(res, &zero, sizeof(*res)) == 0);
}

/* Two reads split at a record boundary must give what one read gives.  The
 * split is moved back to the start of the record it cuts, which is where a
 * failed first read says it failed. */
static void fuzz_split(const uint8_t *data, size_t size, int whole_r,
                       const struct deep_decode_error *whole_err, const struct deep_result *whole)
{
    size_t split = pick_split(data, size);
    struct deep_result res = {0};
    struct deep_decode_error err;
    int r = decode_range(data, 0, split, &res, &err);
    check_result(&res, split);
    if (r == -ENOMEM)
        goto out;
    if (r == -EINVAL) {
        /* a read after a failed one appends to a usable result */
        size_t boundary = err.offset;
        decode_range(data, split, size, &res, &err);
        check_result(&res, size);
        free_and_check(&res);
        split = boundary;
        r = decode_range(data, 0, split, &res, &err);
        if (r == -ENOMEM)
            goto out;
        REQUIRE(r == 0);
    }
    r = decode_range(data, split, size, &res, &err);
    check_result(&res, size);
    if (r == -ENOMEM || whole_r == -ENOMEM)
        goto out;
    REQUIRE(r == whole_r);
    if (r == -EINVAL) {
        REQUIRE(err.offset + split == whole_err->offset);
        REQUIRE(strcmp(err.reason, whole_err->reason) == 0);
    }
    require_same(&res, whole);
out:
    free_and_check(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct deep_result whole = {0};
    struct deep_decode_error err;
    int r = decode_range(data, 0, size, &whole, &err);
    check_result(&whole, size);
    if (size == 0)
        REQUIRE(r == 0 && whole.len == 0);
    fuzz_split(data, size, r, &err, &whole);
    free_and_check(&whole);
    /* freeing twice is harmless */
    free_and_check(&whole);
    return 0;
}
