/* io_uring: the fixed files of each ring (from its fdinfo) and the rings
 * that are left with no fd at all (from the process's mappings). */
#ifndef LSHIDDEN_URING_FILES_H
#define LSHIDDEN_URING_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps_parse.h"
#include "scan.h"

struct uring_mapped_ring {
    uint64_t inode;
    unsigned dev_major, dev_minor;
};

struct uring_mapped_rings {
    struct uring_mapped_ring *items;
    size_t len, cap;
};

/* Reads the fdinfo of ring fd `fd` (retrying while the ring is contended),
 * emits one uring-fixed row per occupied slot, and records the ring's
 * inode.  fd_row_index is the ring's own fd row (with -a) or -1. */
void uring_scan_ring_fd(struct proc_scan *ps, int fd_dirfd, int fd, ssize_t fd_row_index);

void uring_mapped_rings_add(struct uring_mapped_rings *rings, const struct map_entry *m);

/* One uring-ring row for each mapped ring whose inode no ring fd has. */
void uring_emit_fdless_rings(struct proc_scan *ps, const struct uring_mapped_rings *rings);

#endif
