#include "mount_report.h"

#include <errno.h>
#include <langinfo.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text_escape.h"

static bool same_dev(const struct file_record *rec, const struct mount_target *t)
{
    return rec->has_dev && rec->dev_major == t->dev_major && rec->dev_minor == t->dev_minor;
}

/* Exact mount ids where the kernel gives them; the device alone cannot
 * tell a bind mount or another namespace's copy from this mount, and a
 * path alone can be stale, so those matches are only "possible". */
static bool process_ref_holds(struct file_record *rec, const struct mount_target *t)
{
    if (rec->has_mount_id)
        return rec->mount_id == t->mount_id;
    rec->possible = true;
    if (rec->has_dev)
        return same_dev(rec, t);
    return rec->path && mount_target_covers_path(t, rec->path);
}

static bool fixed_file_holds(struct file_record *rec, const struct mount_target *t)
{
    if (!rec->path_complete) {
        /* Linux 5.6-6.13 print a bare name: any fixed file might be it. */
        rec->possible = true;
        return true;
    }
    if (rec->has_mount_id)
        return rec->mount_id == t->mount_id;
    rec->possible = true;
    return rec->path && mount_target_covers_path(t, rec->path);
}

static bool record_holds(struct file_record *rec, const struct mount_target *t)
{
    switch (rec->source) {
    case SOURCE_URING_FIXED: return fixed_file_holds(rec, t);
    case SOURCE_FUSE_BACKING: return rec->possible || fixed_file_holds(rec, t);
    case SOURCE_URING_RING:
        /* With --deep the ring's files are rows of their own. */
        if (rec->method == METHOD_BPF)
            return false;
        rec->possible = true;
        return true;
    case SOURCE_CWD:
    case SOURCE_ROOT:
    case SOURCE_EXE:
    case SOURCE_FD:
    case SOURCE_MMAP: return process_ref_holds(rec, t);
    default: return true; /* the holder finders only add holders */
    }
}

void mount_filter_records(struct record_list *records, const struct mount_target *t)
{
    size_t kept = 0;
    pid_t self = getpid();
    for (size_t i = 0; i < records->len; i++) {
        struct file_record *rec = &records->items[i];
        /* lshidden's own cwd and libraries go away when it exits. */
        if ((rec->proc && rec->proc->pid == self) || !record_holds(rec, t))
            continue;
        if (rec->effect == EFFECT_NONE)
            rec->effect = EFFECT_BLOCKS_UMOUNT;
        records->items[kept++] = *rec;
    }
    records->len = kept;
}

static int holder_rank(enum file_source source)
{
    /* process refs first, then io_uring, then the kernel's own holders in
     * declaration order. */
    if (source == SOURCE_FUSE_BACKING)
        return SOURCE_MOUNT_NS; /* after the namespaces' copies: always last */
    return source <= SOURCE_MMAP ? 0 : source <= SOURCE_URING_FIXED ? 1 : (int)source;
}

static int cmp_by_holder(const void *a, const void *b)
{
    const struct file_record *x = a, *y = b;
    int rx = holder_rank(x->source), ry = holder_rank(y->source);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    pid_t px = x->proc ? x->proc->pid : 0, py = y->proc ? y->proc->pid : 0;
    if (px != py)
        return px < py ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

void record_list_sort_by_holder(struct record_list *records)
{
    /* seq keeps the per-process order record_list_sort established. */
    for (size_t i = 0; i < records->len; i++)
        records->items[i].seq = i;
    if (records->len > 1)
        qsort(records->items, records->len, sizeof(records->items[0]), cmp_by_holder);
}

struct holder_counts {
    size_t processes, references, hidden;           /* certain holders */
    size_t possible_processes, possible_references; /* possible only */
    size_t possible_other;
    size_t by_source[SOURCE_FUSE_BACKING + 1];
};

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* Distinct pids of certain[0..n) and of possible[0..m) not in certain. */
static void count_pids(pid_t *certain, size_t n, pid_t *possible, size_t m, size_t *ncertain,
                       size_t *npossible)
{
    qsort(certain, n, sizeof(*certain), cmp_pid);
    qsort(possible, m, sizeof(*possible), cmp_pid);
    *ncertain = *npossible = 0;
    for (size_t i = 0; i < n; i++)
        *ncertain += i == 0 || certain[i] != certain[i - 1];
    for (size_t i = 0; i < m; i++)
        if ((i == 0 || possible[i] != possible[i - 1]) &&
            !bsearch(&possible[i], certain, n, sizeof(*certain), cmp_pid))
            (*npossible)++;
}

static void count_holders(const struct record_list *records, struct holder_counts *c)
{
    memset(c, 0, sizeof(*c));
    size_t cap = records->len ? records->len : 1, n = 0, m = 0;
    pid_t *certain = malloc(cap * sizeof(pid_t)), *possible = malloc(cap * sizeof(pid_t));
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = &records->items[i];
        bool process = holder_rank(rec->source) <= 1;
        if (!process && rec->possible)
            c->possible_other++;
        else if (!process)
            c->by_source[rec->source]++;
        else if (rec->possible)
            c->possible_references++;
        else
            c->references++, c->hidden += rec->hidden;
        if (process && rec->proc && certain && possible) {
            if (rec->possible)
                possible[m++] = rec->proc->pid;
            else
                certain[n++] = rec->proc->pid;
        }
    }
    if (certain && possible)
        count_pids(certain, n, possible, m, &c->processes, &c->possible_processes);
    free(certain);
    free(possible);
}

static void put_count(FILE *stream, bool *first, size_t n, const char *one, const char *many)
{
    if (!n)
        return;
    fprintf(stream, "%s%zu %s", *first ? " " : ", ", n, n == 1 ? one : many);
    *first = false;
}

static void put_possible(FILE *stream, const struct holder_counts *c, bool certain)
{
    bool first = true;
    if (!c->possible_references && !c->possible_other)
        return;
    fputs(certain ? "; possibly also by" : "; possibly by", stream);
    if (c->possible_references) {
        fprintf(stream, " %zu %sprocess%s (%zu reference%s)", c->possible_processes,
                certain ? "more " : "", c->possible_processes == 1 ? "" : "es",
                c->possible_references, c->possible_references == 1 ? "" : "s");
        first = false;
    }
    put_count(stream, &first, c->possible_other, "other holder", "other holders");
}

void mount_report_summary(const struct record_list *records, const struct mount_target *t,
                          FILE *stream)
{
    struct holder_counts c;
    count_holders(records, &c);
    char *mp = terminal_escape(t->mountpoint, strlen(t->mountpoint), false);
    if (!records->len) {
        fprintf(stream, "%s is held by nothing lshidden can see; it can be unmounted\n",
                mp ? mp : "");
        free(mp);
        return;
    }
    bool first = true;
    fprintf(stream, "%s is held by", mp ? mp : "");
    if (c.processes) {
        fprintf(stream, " %zu process%s (%zu reference%s, %zu hidden)", c.processes,
                c.processes == 1 ? "" : "es", c.references, c.references == 1 ? "" : "s", c.hidden);
        first = false;
    }
    put_count(stream, &first, c.by_source[SOURCE_LOOP], "loop device", "loop devices");
    put_count(stream, &first, c.by_source[SOURCE_SWAP], "swap file", "swap files");
    put_count(stream, &first, c.by_source[SOURCE_BINFMT], "binfmt_misc interpreter",
              "binfmt_misc interpreters");
    put_count(stream, &first, c.by_source[SOURCE_NFS_EXPORT], "NFS export", "NFS exports");
    put_count(stream, &first, c.by_source[SOURCE_NFSD_STATE], "nfsd open file", "nfsd open files");
    put_count(stream, &first, c.by_source[SOURCE_SUBMOUNT], "submount", "submounts");
    put_count(stream, &first, c.by_source[SOURCE_MOUNT_NS], "other namespace", "other namespaces");
    put_count(stream, &first, c.by_source[SOURCE_FUSE_BACKING], "FUSE backing file",
              "FUSE backing files");
    bool certain = !first;
    if (!certain)
        fputs(" nothing certain", stream);
    put_possible(stream, &c, certain);
    fputc('\n', stream);
    free(mp);
}

/* "pid 42 (nginx) fd 5" and the like: who, in a few words. */
static void describe_holder(const struct file_record *rec, char *buf, size_t n)
{
    const char *cmd = rec->proc && rec->proc->command ? rec->proc->command : "?";
    pid_t pid = rec->proc ? rec->proc->pid : 0;
    switch (rec->source) {
    case SOURCE_FD: snprintf(buf, n, "pid %d (%s) fd %d", (int)pid, cmd, rec->fd); break;
    case SOURCE_CWD:
    case SOURCE_ROOT:
    case SOURCE_EXE:
    case SOURCE_MMAP:
        snprintf(buf, n, "pid %d (%s) %s", (int)pid, cmd, file_source_name(rec->source));
        break;
    case SOURCE_URING_FIXED:
        if (rec->has_ring_fd)
            snprintf(buf, n, "pid %d (%s) io_uring fd %d fixed file %u", (int)pid, cmd,
                     rec->ring_fd, rec->slot);
        else
            snprintf(buf, n, "pid %d (%s) io_uring fixed file %u", (int)pid, cmd, rec->slot);
        break;
    case SOURCE_URING_RING:
        snprintf(buf, n, "pid %d (%s) io_uring ring with no fd", (int)pid, cmd);
        break;
    case SOURCE_FUSE_BACKING: {
        /* A backing id's file, an open file's own one (--deep), or the
         * connection as a whole when its files cannot be listed. */
        const char *what = rec->has_backing_id ? " backing file"
                           : rec->path         ? " passthrough backing file"
                                               : "";
        if (rec->proc)
            snprintf(buf, n, "pid %d (%s) FUSE connection %u%s", (int)pid, cmd, rec->fuse_conn,
                     what);
        else
            snprintf(buf, n, "FUSE connection %u (no server)%s", rec->fuse_conn, what);
        break;
    }
    case SOURCE_MOUNT_NS:
        snprintf(buf, n, "mount namespace %s", rec->object ? rec->object : "?");
        break;
    default:
        snprintf(buf, n, "%s %s", holder_kind_name(rec->source), rec->object ? rec->object : "");
        break;
    }
}

int mount_report_journal(const struct record_list *records, const struct mount_target *t,
                         FILE *stream)
{
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    char *mp = terminal_escape(t->mountpoint, strlen(t->mountpoint), utf8);
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = &records->items[i];
        char who[512];
        describe_holder(rec, who, sizeof(who));
        char *safe_who = terminal_escape(who, strlen(who), utf8);
        char *path = rec->path ? terminal_escape(rec->path, strlen(rec->path), utf8) : NULL;
        fprintf(stream, "lshidden: %s: held by %s%s%s (%s%s%s)\n", mp ? mp : "",
                safe_who ? safe_who : "", path ? " " : "", path ? path : "",
                rec->effect == EFFECT_KEEPS_ALIVE ? "keeps it alive" : "blocks umount",
                rec->hidden ? ", hidden" : "", rec->possible ? ", possible" : "");
        free(safe_who);
        free(path);
    }
    free(mp);
    return fflush(stream) == 0 ? 0 : -errno;
}
