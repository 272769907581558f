/* The kernel's own view as one stage of the pipeline: loading and
 * verifying the BPF programs takes longer than a /proc walk of a busy host,
 * so it runs in a thread of its own beside the walk. */
#ifndef LSHIDDEN_DEEP_KERNEL_VIEW_H
#define LSHIDDEN_DEEP_KERNEL_VIEW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/process_list.h"
#include "core/record.h"
#include "core/warnings.h"
#include "deep/deep_scan.h"
#include "deep/inflight_scan.h"
#include "scan/scan.h"

struct kernel_view {
    struct deep_scan *ds;
    int fuse_ctl_fd; /* borrowed */
    pthread_t thread;
    bool threaded;
    /* --mount: the requests in flight, read by programs of their own in a
     * second thread (NULL without targets). */
    struct inflight_scan *requests;
    pthread_t requests_thread;
    bool requests_threaded;
    /* Why the view could not run, once kernel_view_finish() said so. */
    char why[320];
};

/* Starts the BPF pass.  fuse_ctl_fd (-1 if none, open until the pass is
 * finished): fusectl's connections directory, to reach connections no
 * /dev/fuse fd holds.  targets: what --mount asks about, read by the pass
 * for the processes /proc hides (NULL: none).  all_fds: every task's fds
 * are read too (kernel_view_fd_tables()). */
void kernel_view_start(struct kernel_view *kv, int fuse_ctl_fd, const struct deep_targets *targets,
                       bool all_fds);

/* Waits for the pass.  Returns its findings, with one warning each for
 * what it could not do in part; or NULL when it could not run at all,
 * with kv->why saying why. */
const struct deep_scan *kernel_view_finish(struct kernel_view *kv, struct warning_list *warnings);

/* After kernel_view_finish() returned the findings: the requests in flight
 * on the --mount targets, or NULL when they were not read (no targets, or
 * their programs could not run: said in one warning). */
const struct inflight_scan *kernel_view_requests(const struct kernel_view *kv);

/* --mount without the view (why): one warning when io_uring requests in
 * flight, which /proc never shows, could change the answer: some process
 * has a ring and nothing certain holds the target. */
void kernel_view_note_requests_absence(const struct process_list *processes, bool held,
                                       const char *why, struct warning_list *warnings);

/* A run without the view (it could not be loaded: why): one warning, only
 * when the rows are less than the view would have made them: fixed files
 * named by path alone, rings with no fd whose files /proc cannot read. */
void kernel_view_note_absence(const struct record_list *records, const char *why,
                              struct warning_list *warnings);

/* The processes a walk of proc_root still needs once the view has run,
 * for the hidden rows alone: those that own a ring or a FUSE object the
 * view found, and those it did not see at all (hidden from it, or newer
 * than its pass), sorted in *pids (malloc'd).  Returns 0 or -errno. */
int kernel_view_walk_pids(const struct deep_scan *ds, const char *proc_root, pid_t **pids,
                          size_t *npids);

/* The rings whose every slot the view listed, sorted by inode, in *rings
 * (malloc'd).  An inode two rings share (kernels before 5.16 give every
 * ring one) names neither.  Returns 0 or -errno. */
int kernel_view_listed_rings(const struct deep_scan *ds, struct kernel_ring **rings,
                             size_t *nrings);

/* -a, after a pass with all_fds: the fd table of every process the view
 * read whole, but our own (ours changed since), sorted by pid in *tables
 * (malloc'd; the files are the view's).  None when a table did not fit
 * its read.  Returns 0 or -errno. */
int kernel_view_fd_tables(const struct deep_scan *ds, struct kernel_fd_table **tables,
                          size_t *ntables);

void kernel_view_free(struct kernel_view *kv);

#endif
