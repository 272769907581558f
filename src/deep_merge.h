/* Folds a deep scan's findings into the /proc scan's rows: rows both found
 * get the kernel's exact identity and method "bpf"; files only the deep
 * scan sees (rings with no fd or mapping, FUSE backing files) become new
 * hidden rows. */
#ifndef LSHIDDEN_DEEP_MERGE_H
#define LSHIDDEN_DEEP_MERGE_H

#include "deep_scan.h"
#include "scan.h"

void deep_merge(struct scan *scan, const struct deep_scan *ds);

/* Before 6.16 only --deep knows which connection a /dev/fuse fd serves:
 * fills in scan->fuse_servers (and the -a rows of those fds) where the
 * /proc scan had no answer or only a guess from the mount's type.  Called
 * before the backing files are listed, which need each one's server. */
void deep_merge_fuse_servers(struct scan *scan, const struct deep_scan *ds);

#endif
