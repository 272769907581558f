/* The kernel's own view (--deep) as one stage of the pipeline: loading and
 * verifying the BPF programs takes longer than a /proc walk of a busy host,
 * so it runs in a thread of its own beside the walk. */
#ifndef LSHIDDEN_DEEP_KERNEL_VIEW_H
#define LSHIDDEN_DEEP_KERNEL_VIEW_H

#include <pthread.h>
#include <stdbool.h>

#include "core/warnings.h"
#include "deep/deep_scan.h"

struct kernel_view {
    struct deep_scan *ds;
    int fuse_ctl_fd; /* borrowed */
    pthread_t thread;
    bool threaded;
};

/* Starts the BPF pass.  fuse_ctl_fd (-1 if none, open until the pass is
 * finished): fusectl's connections directory, to reach connections no
 * /dev/fuse fd holds. */
void kernel_view_start(struct kernel_view *kv, int fuse_ctl_fd, struct warning_list *warnings);

/* Waits for the pass and says, in one warning each, what it could not do.
 * Returns its findings, or NULL when it could not run at all. */
const struct deep_scan *kernel_view_finish(struct kernel_view *kv, struct warning_list *warnings);

void kernel_view_free(struct kernel_view *kv);

#endif
