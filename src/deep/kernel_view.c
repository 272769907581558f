#include "deep/kernel_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *kernel_view_thread(void *arg)
{
    struct kernel_view *kv = arg;
    deep_scan_run(kv->ds, kv->fuse_ctl_fd);
    return NULL;
}

void kernel_view_start(struct kernel_view *kv, int fuse_ctl_fd, const struct deep_targets *targets)
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
    kv->threaded = pthread_create(&kv->thread, NULL, kernel_view_thread, kv) == 0;
    if (!kv->threaded)
        kernel_view_thread(kv);
}

const struct deep_scan *kernel_view_finish(struct kernel_view *kv, struct warning_list *warnings)
{
    if (kv->threaded)
        pthread_join(kv->thread, NULL);
    kv->threaded = false;
    struct deep_scan *ds = kv->ds;
    if (!ds)
        return NULL;
    if (ds->unavailable[0]) {
        snprintf(kv->why, sizeof(kv->why), "%s", ds->unavailable);
        return NULL;
    }
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

void kernel_view_free(struct kernel_view *kv)
{
    if (kv->threaded)
        pthread_join(kv->thread, NULL);
    if (kv->ds) {
        deep_scan_free(kv->ds);
        free(kv->ds);
    }
    memset(kv, 0, sizeof(*kv));
}
