/* Uprobes the kernel holds a file for: tracefs uprobe_events lines and
 * BPF links of uprobe kinds (uprobe_multi, perf_event).  Collected before
 * the holder stage gives up the privileges these reads need. */
#ifndef LSHIDDEN_SCAN_UPROBES_H
#define LSHIDDEN_SCAN_UPROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mount_table.h"
#include "core/record.h"
#include "core/warnings.h"

enum uprobe_origin {
    UPROBE_TRACEFS,  /* a uprobe_events line */
    UPROBE_BPF_LINK, /* a BPF link (pinned or not) */
    UPROBE_PERF_FD,  /* a perf_event fd of a process */
};

struct uprobe_entry {
    enum uprobe_origin origin;
    char *path;   /* the probed file, as the kernel names it (malloc'd) */
    char *object; /* "p:GRP/EV", "bpf link 12", ... (malloc'd) */
    char *hint;   /* what removes it (malloc'd), or NULL */
    int pid;      /* owner of a perf_event fd, else 0 */
    int fd;       /* that fd, else -1 */
    /* The path's own " (deleted)" (a uprobe_multi link prints a d_path);
     * TRI_UNKNOWN where the kernel prints the string as written. */
    enum tristate deleted;
};

struct uprobe_table {
    struct uprobe_entry *items;
    size_t len, cap;
    bool complete; /* every source could be read */
};

/* Fills out: tracefs (found in self_mounts, or mounted privately) and
 * bpf(2)'s links; the perf_event fds among records.  Reports what it could
 * not read as warnings.  Returns 0 or -ENOMEM. */
int uprobes_collect(struct uprobe_table *out, const struct mount_ns *self_mounts,
                    const struct record_list *records, struct warning_list *warnings);
void uprobes_free(struct uprobe_table *table);

#endif
