#include "deep/kernel_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/process_list.h"
#include "util/sorted.h"
#include "util/vec.h"

static void *kernel_view_thread(void *arg)
{
    struct kernel_view *kv = arg;
    deep_scan_run(kv->ds, kv->fuse_ctl_fd);
    return NULL;
}

static void *requests_thread(void *arg)
{
    struct kernel_view *kv = arg;
    inflight_scan_run(kv->requests);
    return NULL;
}

/* The requests in flight are read only for --mount, by programs loaded
 * beside the main ones. */
static void start_requests(struct kernel_view *kv, const struct deep_targets *targets)
{
    if (!targets || !targets->ndevs || !(kv->requests = calloc(1, sizeof(*kv->requests))))
        return;
    kv->requests->targets = *targets;
    kv->requests_threaded = pthread_create(&kv->requests_thread, NULL, requests_thread, kv) == 0;
    if (!kv->requests_threaded)
        requests_thread(kv);
}

void kernel_view_start(struct kernel_view *kv, int fuse_ctl_fd, const struct deep_targets *targets,
                       bool all_fds)
{
    memset(kv, 0, sizeof(*kv));
    kv->fuse_ctl_fd = fuse_ctl_fd;
    kv->ds = calloc(1, sizeof(*kv->ds));
    if (!kv->ds) {
        snprintf(kv->why, sizeof(kv->why), "out of memory");
        return;
    }
    if (targets)
        kv->ds->targets = *targets;
    kv->ds->all_fds = all_fds;
    start_requests(kv, targets);
    kv->threaded = pthread_create(&kv->thread, NULL, kernel_view_thread, kv) == 0;
    if (!kv->threaded)
        kernel_view_thread(kv);
}

static void finish_requests(struct kernel_view *kv, struct warning_list *warnings)
{
    struct inflight_scan *is = kv->requests;
    if (!is)
        return;
    if (is->unavailable[0]) {
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "kernel view: requests in flight (Linux AIO, io_uring) not read: %s",
                    is->unavailable);
        inflight_scan_free(is);
        free(is);
        kv->requests = NULL;
        return;
    }
    if (!is->uring_known)
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "kernel view: io_uring requests in flight not read: this kernel's io_uring "
                    "types (cancel_table, io-wq workers) are not known");
    if (is->cut)
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "kernel view: more files held by requests in flight than one read can list; "
                    "some are not listed");
}

const struct inflight_scan *kernel_view_requests(const struct kernel_view *kv)
{
    return kv->ds && !kv->ds->unavailable[0] ? kv->requests : NULL;
}

void kernel_view_note_requests_absence(const struct process_list *processes, bool held,
                                       const char *why, struct warning_list *warnings)
{
    size_t rings = 0;
    for (size_t i = 0; !held && i < processes->len; i++)
        rings += processes->items[i]->has_ring;
    if (!rings)
        return;
    char what[128];
    snprintf(what, sizeof(what),
             "io_uring requests in flight of %zu process%s with a ring cannot "
             "be seen",
             rings, rings == 1 ? "" : "es");
    /* One line says what the missing view hides: kernel_view_note_absence()
     * may have written it already. */
    char prefix[400];
    snprintf(prefix, sizeof(prefix), "the kernel view is not loaded (%s): ", why);
    for (size_t i = 0; i < warnings->len; i++) {
        struct warning *w = &warnings->items[i];
        char *longer = NULL;
        if (w->kind != WARN_DEEP || w->pid != 0 || strncmp(w->reason, prefix, strlen(prefix)) != 0)
            continue;
        if (asprintf(&longer, "%s; %s", w->reason, what) < 0)
            return;
        free(w->reason);
        w->reason = longer;
        return;
    }
    warning_add(warnings, WARN_DEEP, 0, NULL, "%s%s", prefix, what);
}

const struct deep_scan *kernel_view_finish(struct kernel_view *kv, struct warning_list *warnings)
{
    if (kv->threaded)
        pthread_join(kv->thread, NULL);
    kv->threaded = false;
    if (kv->requests_threaded)
        pthread_join(kv->requests_thread, NULL);
    kv->requests_threaded = false;
    struct deep_scan *ds = kv->ds;
    if (!ds)
        return NULL;
    if (ds->unavailable[0]) {
        snprintf(kv->why, sizeof(kv->why), "%s", ds->unavailable);
        return NULL;
    }
    finish_requests(kv, warnings);
    if (ds->fuse_unavailable[0])
        warning_add(warnings, WARN_DEEP, 0, NULL, "kernel view: FUSE backing files not listed: %s",
                    ds->fuse_unavailable);
    if (ds->fuse_walk_cut)
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "kernel view: a FUSE connection has more backing ids than one scan can walk; "
                    "some are not listed");
    if (ds->task_refs_cut)
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "kernel view: a process's references on the mount did not fit one read; "
                    "processes /proc hides are not counted as seen");
    return ds;
}

void kernel_view_note_absence(const struct record_list *records, const char *why,
                              struct warning_list *warnings)
{
    size_t by_name = 0, unread_rings = 0;
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        if (rec->source == SOURCE_URING_FIXED)
            by_name++; /* a name from fdinfo, looked up again at best */
        else if (rec->source == SOURCE_URING_RING)
            unread_rings++;
    }
    if (!by_name && !unread_rings)
        return;
    char fixed[96] = "", rings[96] = "";
    if (by_name)
        snprintf(fixed, sizeof(fixed), "%zu fixed file%s named by path only", by_name,
                 by_name == 1 ? " is" : "s are");
    if (unread_rings)
        snprintf(rings, sizeof(rings), "%s%zu ring%s with no fd cannot be read",
                 by_name ? "; " : "", unread_rings, unread_rings == 1 ? "'s files" : "s' files");
    warning_add(warnings, WARN_DEEP, 0, NULL, "the kernel view is not loaded (%s): %s%s", why,
                fixed, rings);
}

struct pid_set {
    pid_t *items;
    size_t len, cap;
};

/* Every task the view looked at has a DEEP_OBJ_TASK object; every other
 * object's reaches name the processes that hold it. */
static int split_tasks(const struct deep_result *result, struct pid_set *seen,
                       struct pid_set *owners)
{
    for (size_t i = 0; i < result->len; i++) {
        const struct deep_object *o = &result->items[i];
        struct pid_set *set = o->kind == DEEP_OBJ_TASK ? seen : owners;
        for (size_t k = 0; k < o->nreaches; k++)
            if (VEC_APPEND(set, o->reaches[k].pid) < 0)
                return -ENOMEM;
    }
    seen->len = sorted_pids_unique(seen->items, seen->len);
    return 0;
}

int kernel_view_walk_pids(const struct deep_scan *ds, const char *proc_root, pid_t **pids,
                          size_t *npids)
{
    struct pid_set seen = {0}, walk = {0};
    pid_t *all = NULL;
    size_t nall = 0;
    int r = split_tasks(&ds->result, &seen, &walk);
    if (r == 0)
        r = process_list_pids(proc_root, &all, &nall);
    for (size_t i = 0; r == 0 && i < nall; i++)
        if (!sorted_pids_has(seen.items, seen.len, all[i]))
            r = VEC_APPEND(&walk, all[i]);
    free(all);
    free(seen.items);
    if (r < 0) {
        free(walk.items);
        return r;
    }
    *pids = walk.items;
    *npids = sorted_pids_unique(walk.items, walk.len);
    return 0;
}

static int cmp_ring_inode(const void *a, const void *b)
{
    uint64_t x = ((const struct kernel_ring *)a)->inode, y = ((const struct kernel_ring *)b)->inode;
    return (x > y) - (x < y);
}

int kernel_view_listed_rings(const struct deep_scan *ds, struct kernel_ring **rings, size_t *nrings)
{
    struct {
        struct kernel_ring *items;
        size_t len, cap;
    } set = {0};
    for (size_t i = 0; i < ds->result.len; i++) {
        const struct deep_object *o = &ds->result.items[i];
        if (o->kind != DEEP_OBJ_RING || o->truncated || o->layout == DEEP_LAYOUT_NONE)
            continue;
        struct kernel_ring ring = {o->inode, o->ring_details, o->sq_thread, o->user_bufs};
        if (VEC_APPEND(&set, ring) < 0) {
            free(set.items);
            return -ENOMEM;
        }
    }
    *rings = set.items;
    *nrings = sorted_keep_lone(set.items, set.len, sizeof(*set.items), cmp_ring_inode);
    return 0;
}

static int cmp_table_pid(const void *a, const void *b)
{
    pid_t x = ((const struct kernel_fd_table *)a)->pid,
          y = ((const struct kernel_fd_table *)b)->pid;
    return (x > y) - (x < y);
}

int kernel_view_fd_tables(const struct deep_scan *ds, struct kernel_fd_table **tables,
                          size_t *ntables)
{
    struct {
        struct kernel_fd_table *items;
        size_t len, cap;
    } set = {0};
    *tables = NULL;
    *ntables = 0;
    if (!ds->all_fds || ds->task_refs_cut)
        return 0;
    pid_t self = getpid();
    for (size_t i = 0; i < ds->result.len; i++) {
        const struct deep_object *o = &ds->result.items[i];
        if (o->kind != DEEP_OBJ_TASK || !o->nreaches || o->reaches[0].pid != o->reaches[0].tid ||
            o->reaches[0].pid == self)
            continue; /* threads with tables of their own are read from /proc */
        struct kernel_fd_table t = {o->reaches[0].pid, o->files, o->nfiles};
        if (VEC_APPEND(&set, t) < 0) {
            free(set.items);
            return -ENOMEM;
        }
    }
    /* A pid reused during the pass has two tables: neither is used. */
    *tables = set.items;
    *ntables = sorted_keep_lone(set.items, set.len, sizeof(*set.items), cmp_table_pid);
    return 0;
}

void kernel_view_free(struct kernel_view *kv)
{
    if (kv->threaded)
        pthread_join(kv->thread, NULL);
    if (kv->requests_threaded)
        pthread_join(kv->requests_thread, NULL);
    if (kv->requests) {
        inflight_scan_free(kv->requests);
        free(kv->requests);
    }
    if (kv->ds) {
        deep_scan_free(kv->ds);
        free(kv->ds);
    }
    memset(kv, 0, sizeof(*kv));
}
