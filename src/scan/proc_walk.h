/* One process of the walk over /proc, in two halves: what needs only
 * /proc (cwd, root, exe, mappings), then its fds, which -a takes from the
 * kernel view when it has them, and the handlers' finish.  walk.c runs
 * the halves back to back, or all first halves while the view runs. */
#ifndef LSHIDDEN_SCAN_PROC_WALK_H
#define LSHIDDEN_SCAN_PROC_WALK_H

#include "scan/proc_ctx.h"

/* Opens ctx->dirfd, proc_root/PID (proc_fd: proc_root).  Returns 0, or
 * -errno, told once as the process's warning. */
int proc_scan_open(struct proc_ctx *ctx, int proc_fd);

/* states: one zeroed block per file handler, kept until proc_scan_late(). */
void proc_scan_early(struct proc_ctx *ctx, void **states);
void proc_scan_late(struct proc_ctx *ctx, void **states);

#endif
