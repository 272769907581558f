/* `--deep`: load the BPF iterators of src/bpf/deep.bpf.c (embedded in the
 * binary by bpftool's skeleton), run each one to the end, unload them, and
 * decode what they found.  Nothing is loaded unless this is called. */
#ifndef LSHIDDEN_DEEP_DEEP_SCAN_H
#define LSHIDDEN_DEEP_DEEP_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "parse/deep_decode.h"

/* What --mount asks about: the superblocks (kernel dev_t, major << 20 |
 * minor) whose references the pass reads from every task, for the
 * processes /proc hides.  ndevs 0: none are read. */
struct deep_targets {
    uint32_t ndevs;
    uint32_t devs[DEEP_MAX_TARGETS];
};

struct deep_scan {
    struct deep_targets targets; /* set before deep_scan_run() */
    /* Set before deep_scan_run(): every task's fds are read, each a file
     * of its DEEP_OBJ_TASK object (index: the fd). */
    bool all_fds;
    struct deep_result result;
    bool fuse_listed; /* the FUSE iterator ran and knew this kernel's FUSE
                         types (6.9+, passthrough, BTF for the module) */
    /* One line each, for the user, when the scan or its FUSE part could
     * not be done; empty otherwise. */
    char unavailable[320];
    char fuse_unavailable[320];
    /* A FUSE backing-id table too large to walk to its end. */
    bool fuse_walk_cut;
    /* A task's references on the targets did not fit its seq buffer: the
     * tasks /proc hides are not known to be seen whole. */
    bool task_refs_cut;
};

/* LSHIDDEN_DEEP_BTF names the kernel BTF file to use instead of
 * /sys/kernel/btf/vmlinux (kernels that keep it elsewhere, and tests).
 * fuse_ctl_fd: fusectl's connections directory (-1 if none), to reach
 * FUSE connections that no /dev/fuse fd holds any more.
 * Returns 0, or -errno with ds->unavailable set; the result is then empty. */
int deep_scan_run(struct deep_scan *ds, int fuse_ctl_fd);
void deep_scan_free(struct deep_scan *ds);

/* Why the scan could not read FUSE backing-id tables, in a few words. */
const char *deep_scan_fuse_reason(const struct deep_scan *ds);

/* Whether the scan read FUSE connection conn's backing-id table. */
bool deep_scan_listed_fuse_conn(const struct deep_scan *ds, uint32_t conn);

#endif
