#include "parse/deep_decode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "util/vec.h"

/* Superblock magics of the filesystems whose files are named by d_dname. */
#define SOCKFS_MAGIC        0x534F434BUL
#define PIPEFS_MAGIC        0x50495045UL
#define ANON_INODE_FS_MAGIC 0x09041934UL
#define PID_FS_MAGIC        0x50494446UL
#define TMPFS_MAGIC         0x01021994UL
#define HUGETLBFS_MAGIC     0x958458f6UL

/* The most slots reserved at once for a ring's listing: the kernel caps a
 * table at RLIMIT_NOFILE, itself at most fs.nr_open (1 << 20 by default). */
#define DEEP_RESERVE_MAX (1U << 20)

#define KDEV_MAJOR(d) ((unsigned)((d) >> 20))
#define KDEV_MINOR(d) ((unsigned)((d)&0xfffff))

static int fail(struct deep_decode_error *err, size_t offset, const char *reason)
{
    err->offset = offset;
    err->reason = reason;
    return -EINVAL;
}

static int grow(void **items, size_t *cap, size_t len, size_t size)
{
    return vec_reserve(items, cap, len + 1, size, 4);
}

static size_t key_slot(uint64_t key, size_t cap)
{
    /* Kernel addresses: the low bits are alignment. */
    return (size_t)(((key >> 4) * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
}

static void index_object(struct deep_result *result, size_t i)
{
    size_t at = key_slot(result->items[i].key, result->by_key_cap);
    while (result->by_key[at])
        at = (at + 1) & (result->by_key_cap - 1);
    result->by_key[at] = (uint32_t)(i + 1);
}

/* Keeps the index at most half full; on failure drops it (finds scan). */
static void index_grow(struct deep_result *result)
{
    if (result->len * 2 < result->by_key_cap)
        return;
    size_t cap = result->by_key_cap ? result->by_key_cap * 2 : 64;
    free(result->by_key);
    result->by_key = cap <= UINT32_MAX ? calloc(cap, sizeof(*result->by_key)) : NULL;
    result->by_key_cap = result->by_key ? cap : 0;
    for (size_t i = 0; result->by_key && i < result->len; i++)
        index_object(result, i);
}

static struct deep_object *find_indexed(struct deep_result *result, uint64_t key)
{
    if (!result->by_key) {
        for (size_t i = 0; i < result->len; i++)
            if (result->items[i].key == key)
                return &result->items[i];
        return NULL;
    }
    for (size_t at = key_slot(key, result->by_key_cap); result->by_key[at];
         at = (at + 1) & (result->by_key_cap - 1))
        if (result->items[result->by_key[at] - 1].key == key)
            return &result->items[result->by_key[at] - 1];
    return NULL;
}

struct deep_object *deep_result_find(struct deep_result *result, uint64_t key)
{
    /* Slot records follow their owner, so the last object is nearly always it. */
    if (result->last < result->len && result->items[result->last].key == key)
        return &result->items[result->last];
    struct deep_object *o = find_indexed(result, key);
    if (o)
        result->last = (size_t)(o - result->items);
    return o;
}

/* A ring's listing this large is mapped apart: freed (once its rows are
 * made) it goes back to the system, where in the heap it would leave a
 * hole that stays resident. */
#define FILES_MAPPED_MIN (256 * 1024)

static int files_reserve(struct deep_object *o, size_t need)
{
    const size_t size = sizeof(*o->files);
    if (need <= o->files_cap)
        return 0;
    if (!o->files_mapped && need * size < FILES_MAPPED_MIN)
        return vec_reserve((void **)&o->files, &o->files_cap, need, size, 4);
    size_t cap = o->files_cap * 2 > need ? o->files_cap * 2 : need;
    void *p;
    if (o->files_mapped) {
        p = mremap(o->files, o->files_cap * size, cap * size, MREMAP_MAYMOVE);
    } else {
        p = mmap(NULL, cap * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            if (o->nfiles)
                memcpy(p, o->files, o->nfiles * size);
            free(o->files);
        }
    }
    if (p == MAP_FAILED)
        return -ENOMEM;
    o->files = p;
    o->files_cap = cap;
    o->files_mapped = true;
    return 0;
}

void deep_object_free_files(struct deep_object *o)
{
    if (o->files_mapped)
        munmap(o->files, o->files_cap * sizeof(*o->files));
    else
        free(o->files);
    o->files = NULL;
    o->nfiles = o->files_cap = 0;
    o->files_mapped = false;
}

static struct deep_object *object_for(struct deep_result *result, uint64_t key,
                                      enum deep_object_kind kind)
{
    struct deep_object *o = deep_result_find(result, key);
    if (o)
        return o;
    if (grow((void **)&result->items, &result->cap, result->len, sizeof(*o)) < 0)
        return NULL;
    o = &result->items[result->len];
    memset(o, 0, sizeof(*o));
    o->key = key;
    o->kind = kind;
    result->last = result->len++;
    if (result->by_key || !result->by_key_cap) {
        if (result->len * 2 >= result->by_key_cap)
            index_grow(result); /* indexes every object, this one too */
        else
            index_object(result, result->last);
    }
    return o;
}

static enum deep_object_kind kind_of_via(uint32_t via)
{
    switch (via) {
    case DEEP_VIA_FUSE_DEV:
    case DEEP_VIA_FUSE_CTL: return DEEP_OBJ_FUSE_CONN;
    case DEEP_VIA_FUSE_FILE:
    case DEEP_VIA_FUSE_MAP: return DEEP_OBJ_FUSE_OPEN;
    case DEEP_VIA_TASK: return DEEP_OBJ_TASK;
    case DEEP_VIA_PERF: return DEEP_OBJ_PERF;
    case DEEP_VIA_FSCONTEXT: return DEEP_OBJ_FSCONTEXT;
    case DEEP_VIA_INFLIGHT: return DEEP_OBJ_INFLIGHT;
    case DEEP_VIA_AIO: return DEEP_OBJ_AIO;
    case DEEP_VIA_URING_REQ:
    case DEEP_VIA_URING_WORKER: return DEEP_OBJ_URING_REQ;
    default: return DEEP_OBJ_RING;
    }
}

static int add_reach(struct deep_object *o, const struct deep_owner *rec)
{
    for (size_t i = 0; i < o->nreaches; i++) {
        const struct deep_reach *r = &o->reaches[i];
        /* A task's many mappings of one ring are one way to reach it. */
        if (r->via == (enum deep_via)rec->via && r->pid == (pid_t)rec->pid && r->fd == rec->fd &&
            (rec->via != DEEP_VIA_REGISTERED || r->tid == (pid_t)rec->tid))
            return 0;
    }
    if (grow((void **)&o->reaches, &o->reaches_cap, o->nreaches, sizeof(*o->reaches)) < 0)
        return -ENOMEM;
    o->reaches[o->nreaches++] =
        (struct deep_reach){(enum deep_via)rec->via, (pid_t)rec->pid, (pid_t)rec->tid, rec->fd};
    return 0;
}

static int decode_owner(const char *p, size_t left, size_t off, struct deep_result *result,
                        struct deep_decode_error *err)
{
    struct deep_owner rec;
    if (left < sizeof(rec))
        return fail(err, off, "short owner record");
    memcpy(&rec, p, sizeof(rec));
    if (rec.len != sizeof(rec))
        return fail(err, off, "owner record of the wrong length");
    if (rec.via < DEEP_VIA_FD || rec.via > DEEP_VIA_URING_WORKER)
        return fail(err, off, "unknown way of reaching an object");
    if (rec.layout > DEEP_LAYOUT_FIXED_FILES)
        return fail(err, off, "unknown fixed-table layout");
    struct deep_object *o = object_for(result, rec.owner_key, kind_of_via(rec.via));
    if (!o)
        return -ENOMEM;
    if (o->kind != kind_of_via(rec.via))
        return fail(err, off, "one object reached as two kinds");
    if (o->kind == DEEP_OBJ_RING || o->kind == DEEP_OBJ_FSCONTEXT) {
        o->dev_major = KDEV_MAJOR(rec.dev);
        o->dev_minor = KDEV_MINOR(rec.dev);
    }
    /* One array of the table's size, not a chain of doublings whose
     * freed steps stay in the heap: a ring can have a million slots. */
    if (o->kind == DEEP_OBJ_RING && rec.lists_slots && rec.nslots <= DEEP_RESERVE_MAX &&
        files_reserve(o, rec.nslots) < 0)
        return -ENOMEM;
    if (o->kind == DEEP_OBJ_RING && rec.ring_details) {
        o->ring_details = true;
        o->sq_thread = rec.sq_thread;
        o->user_bufs = rec.user_bufs;
    } else if (o->kind == DEEP_OBJ_TASK) {
        o->net_ns = rec.dev;
    } else if (o->kind == DEEP_OBJ_FUSE_CONN || o->kind == DEEP_OBJ_FUSE_OPEN) {
        o->fuse_conn = rec.dev;
    }
    o->inode = rec.ino;
    o->nslots = rec.nslots;
    o->ring_flags = rec.ring_flags;
    o->layout = (enum deep_layout)rec.layout;
    int r = add_reach(o, &rec);
    return r < 0 ? r : (int)sizeof(rec);
}

static int decode_trunc(const char *p, size_t left, size_t off, struct deep_result *result,
                        struct deep_decode_error *err)
{
    struct deep_trunc rec;
    if (left < sizeof(rec))
        return fail(err, off, "short truncation record");
    memcpy(&rec, p, sizeof(rec));
    if (rec.len != sizeof(rec))
        return fail(err, off, "truncation record of the wrong length");
    struct deep_object *o = deep_result_find(result, rec.owner_key);
    if (!o)
        return fail(err, off, "truncation of an object never announced");
    o->truncated = true;
    o->resume_slot = rec.next_slot;
    return (int)sizeof(rec);
}

/* The name of a file whose dentry is named by d_dname(), in the kernel's
 * own formats: socket:[N], pipe:[N], anon_inode:NAME (pidfds too), and
 * "/" + name for memfd and other shmem files, which it also shows as
 * deleted.  *exact is false for filesystems whose format is not known here
 * (nsfs, dmabuf...): "/" + name is then only a guess. */
static char *pseudo_name(struct arena *strings, const struct deep_slot *rec, const char *leaf,
                         size_t leaf_len, size_t *len, bool *exact)
{
    char buf[64 + DEEP_NAME_MAX];
    int n;
    *exact = true;
    if (rec->magic == SOCKFS_MAGIC)
        n = snprintf(buf, sizeof(buf), "socket:[%llu]", (unsigned long long)rec->ino);
    else if (rec->magic == PIPEFS_MAGIC)
        n = snprintf(buf, sizeof(buf), "pipe:[%llu]", (unsigned long long)rec->ino);
    else if (rec->magic == ANON_INODE_FS_MAGIC)
        n = snprintf(buf, sizeof(buf), "anon_inode:%.*s", (int)leaf_len, leaf);
    else if (rec->magic == PID_FS_MAGIC)
        n = snprintf(buf, sizeof(buf), "anon_inode:[pidfd]");
    else {
        *exact = rec->magic == TMPFS_MAGIC || rec->magic == HUGETLBFS_MAGIC;
        n = snprintf(buf, sizeof(buf), "/%.*s", (int)leaf_len, leaf);
    }
    if (n < 0 || (size_t)n >= sizeof(buf))
        return NULL;
    *len = (size_t)n;
    return arena_strndup(strings, buf, *len);
}

/* Components arrive leaf first; the path is "/" + their reverse join, or
 * the reverse join alone when the walk was cut short of any root.  A file
 * under a detached mount is "/" + its path from that mount's root, as the
 * kernel itself prints it. */
static char *join_components(struct arena *strings, const char *const *comp, const uint16_t *clen,
                             size_t n, bool rooted, size_t *len)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += clen[i] + 1;
    char *s = arena_alloc_unaligned(strings, total + 1);
    if (!s)
        return NULL;
    size_t at = 0;
    for (size_t i = n; i-- > 0;) {
        if (rooted || i != n - 1)
            s[at++] = '/';
        memcpy(s + at, comp[i], clen[i]);
        at += clen[i];
    }
    if (at == 0 && rooted)
        s[at++] = '/';
    s[at] = '\0';
    *len = at;
    return s;
}

static struct deep_named_file *named_at(const struct deep_result *result, uint32_t id)
{
    size_t at = (size_t)(id * 0x9E3779B1U) & (result->named_cap - 1);
    while (result->named[at].id && result->named[at].id != id)
        at = (at + 1) & (result->named_cap - 1);
    return &result->named[at];
}

/* Keeps the table at most half full. */
static int named_add(struct deep_result *result, uint32_t id, const struct deep_file *f)
{
    if ((result->nnamed + 1) * 2 > result->named_cap) {
        struct deep_result grown = *result;
        grown.named_cap = result->named_cap ? result->named_cap * 2 : 256;
        if (!(grown.named = calloc(grown.named_cap, sizeof(*grown.named))))
            return -ENOMEM;
        for (size_t i = 0; i < result->named_cap; i++)
            if (result->named[i].id)
                *named_at(&grown, result->named[i].id) = result->named[i];
        free(result->named);
        result->named = grown.named;
        result->named_cap = grown.named_cap;
    }
    struct deep_named_file *e = named_at(result, id);
    result->nnamed += !e->id;
    e->id = id;
    e->file = *f;
    return 0;
}

/* The same file as an earlier slot record, reached again. */
static int decode_seen(const char *p, size_t left, size_t off, struct deep_result *result,
                       struct deep_decode_error *err)
{
    struct deep_seen rec;
    if (left < sizeof(rec))
        return fail(err, off, "short seen record");
    memcpy(&rec, p, sizeof(rec));
    if (rec.len != sizeof(rec))
        return fail(err, off, "seen record of the wrong length");
    struct deep_object *o = deep_result_find(result, rec.owner_key);
    if (!o)
        return fail(err, off, "slot of an object never announced");
    const struct deep_named_file *e = result->named_cap ? named_at(result, rec.path_id) : NULL;
    if (!rec.path_id || !e || !e->id)
        return fail(err, off, "a file named by an id never given");
    if (files_reserve(o, o->nfiles + 1) < 0)
        return -ENOMEM;
    struct deep_file *f = &o->files[o->nfiles++];
    *f = e->file;
    f->index = rec.slot;
    f->file_key = rec.file;
    return (int)sizeof(rec);
}

static int decode_slot(const char *p, size_t left, size_t off, struct deep_result *result,
                       struct deep_decode_error *err)
{
    struct deep_slot rec;
    if (left < sizeof(rec))
        return fail(err, off, "short slot record");
    memcpy(&rec, p, sizeof(rec));
    if (rec.len != sizeof(rec))
        return fail(err, off, "slot record of the wrong length");
    struct deep_object *o = deep_result_find(result, rec.owner_key);
    if (!o)
        return fail(err, off, "slot of an object never announced");
    const char *comp[DEEP_MAX_DEPTH];
    uint16_t clen[DEEP_MAX_DEPTH];
    size_t n = 0, at = sizeof(rec);
    uint16_t mark;
    for (;;) {
        if (left - at < 2)
            return fail(err, off, "path components run past the end");
        memcpy(&mark, p + at, 2);
        at += 2;
        if (mark >= DEEP_PATH_DETACHED)
            break;
        if (mark > DEEP_NAME_MAX || left - at < mark)
            return fail(err, off, "bad path component length");
        if (n == DEEP_MAX_DEPTH)
            return fail(err, off, "too many path components");
        /* Sockets and pipes have empty names; a directory never does. */
        if (mark == 0 && !(rec.flags & DEEP_SLOT_DNAME))
            return fail(err, off, "empty path component");
        /* The BPF side reads names with bpf_probe_read_kernel_str(), which
         * stops at a NUL: one inside a name is corruption, and would leave
         * a path that strlen() and "%s" cut short of path_len. */
        if (memchr(p + at, '\0', mark))
            return fail(err, off, "NUL byte in a path component");
        comp[n] = p + at;
        clen[n++] = mark;
        at += mark;
    }
    bool pseudo = rec.flags & DEEP_SLOT_DNAME;
    if (pseudo && (n != 1 || mark != DEEP_PATH_END))
        return fail(err, off, "a pseudo file needs exactly one name");
    if (files_reserve(o, o->nfiles + 1) < 0)
        return -ENOMEM;
    struct deep_file *f = &o->files[o->nfiles];
    memset(f, 0, sizeof(*f));
    bool exact = true;
    size_t path_len = 0;
    f->path =
        pseudo ? pseudo_name(&result->strings, &rec, comp[0], clen[0], &path_len, &exact)
               : join_components(&result->strings, comp, clen, n, mark != DEEP_PATH_CUT, &path_len);
    if (!f->path)
        return -ENOMEM;
    f->path_len = (uint32_t)path_len;
    o->nfiles++;
    f->index = rec.slot;
    f->file_key = rec.file;
    f->dev_major = KDEV_MAJOR(rec.dev);
    f->dev_minor = KDEV_MINOR(rec.dev);
    f->inode = rec.ino;
    f->fs_magic = rec.magic;
    f->mode = rec.mode;
    f->has_mount_id = rec.mnt_id >= 0;
    f->mount_id = rec.mnt_id;
    f->deleted = (rec.flags & DEEP_SLOT_DELETED) ||
                 (pseudo && rec.magic != SOCKFS_MAGIC && rec.magic != PIPEFS_MAGIC &&
                  rec.magic != ANON_INODE_FS_MAGIC && rec.magic != PID_FS_MAGIC);
    f->pseudo = pseudo;
    f->path_complete = mark == DEEP_PATH_END && exact;
    if (rec.path_id && named_add(result, rec.path_id, f) < 0)
        return -ENOMEM;
    return (int)at;
}

int deep_decode(const char *buf, size_t len, struct deep_result *result,
                struct deep_decode_error *err)
{
    size_t off = 0;
    while (off < len) {
        uint32_t kind;
        if (len - off < 8)
            return fail(err, off, "short record header");
        memcpy(&kind, buf + off, 4);
        int r;
        switch (kind) {
        case DEEP_REC_OWNER: r = decode_owner(buf + off, len - off, off, result, err); break;
        case DEEP_REC_SLOT: r = decode_slot(buf + off, len - off, off, result, err); break;
        case DEEP_REC_TRUNC: r = decode_trunc(buf + off, len - off, off, result, err); break;
        case DEEP_REC_SEEN: r = decode_seen(buf + off, len - off, off, result, err); break;
        default: return fail(err, off, "unknown record kind");
        }
        if (r < 0)
            return r;
        off += (size_t)r;
    }
    return 0;
}

void deep_result_free(struct deep_result *result)
{
    for (size_t i = 0; i < result->len; i++) {
        struct deep_object *o = &result->items[i];
        deep_object_free_files(o);
        free(o->reaches);
    }
    free(result->items);
    free(result->by_key);
    free(result->named);
    arena_free(&result->strings);
    memset(result, 0, sizeof(*result));
}
