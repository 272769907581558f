/* --mount: which of the scanned rows hold the queried mount, and in what
 * order the holders are listed. */
#ifndef LSHIDDEN_MOUNT_MOUNT_FILTER_H
#define LSHIDDEN_MOUNT_MOUNT_FILTER_H

#include "core/record.h"
#include "mount/mount_target.h"

/* Keeps the rows that hold the target (by their source's match rule) and
 * sets their effect and certainty; drops the rest, and lshidden's own. */
void mount_filter_records(struct record_list *records, const struct mount_target *target);

/* Groups rows by holder kind (process, io_uring, loop, ...), then by pid. */
void record_list_sort_by_holder(struct record_list *records);

#endif
