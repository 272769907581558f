/* Folds a deep scan's findings into the /proc scan's rows: rows both found
 * get the kernel's exact identity and method "bpf"; files only the deep
 * scan sees (rings with no fd or mapping, FUSE backing files) become new
 * hidden rows. */
#ifndef LSHIDDEN_DEEP_MERGE_H
#define LSHIDDEN_DEEP_MERGE_H

#include "deep_scan.h"
#include "scan.h"

void deep_merge(struct scan *scan, const struct deep_scan *ds);

#endif
