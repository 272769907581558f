#include "deep/kernel_view.h"

#include <stdlib.h>
#include <string.h>

static void *kernel_view_thread(void *arg)
{
    struct kernel_view *kv = arg;
    deep_scan_run(kv->ds, kv->fuse_ctl_fd);
    return NULL;
}

void kernel_view_start(struct kernel_view *kv, int fuse_ctl_fd, struct warning_list *warnings)
{
    memset(kv, 0, sizeof(*kv));
    kv->fuse_ctl_fd = fuse_ctl_fd;
    kv->ds = calloc(1, sizeof(*kv->ds));
    if (!kv->ds) {
        warning_add(warnings, WARN_DEEP, 0, NULL, "--deep unavailable: out of memory");
        return;
    }
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
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "--deep unavailable: %s; listing what /proc shows", ds->unavailable);
        return NULL;
    }
    if (ds->fuse_unavailable[0])
        warning_add(warnings, WARN_DEEP, 0, NULL, "--deep: FUSE backing files not listed: %s",
                    ds->fuse_unavailable);
    if (ds->fuse_walk_cut)
        warning_add(warnings, WARN_DEEP, 0, NULL,
                    "--deep: a FUSE connection has more backing ids than one scan can walk; "
                    "some are not listed");
    return ds;
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
