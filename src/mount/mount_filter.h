/* --mount: which of the scanned rows hold the queried mount, and in what
 * order the holders are listed. */
#ifndef LSHIDDEN_MOUNT_MOUNT_FILTER_H
#define LSHIDDEN_MOUNT_MOUNT_FILTER_H

#include "core/record.h"
#include "mount/mount_target.h"

/* The mounts that count as the target: its own id, and the copies an
 * umount of it propagates to (holders_find_receivers). */
struct mount_ids {
    const int *ids;
    size_t len;
};

/* Keeps the rows that hold the target (by their source's match rule) and
 * sets their effect and certainty; drops the rest, and lshidden's own.
 * also: receiving copies whose references block the umount too. */
void mount_filter_records(struct record_list *records, const struct mount_target *target,
                          const struct mount_ids *also);

/* Groups rows by holder kind (process, io_uring, loop, ...), then by pid. */
void record_list_sort_by_holder(struct record_list *records);

#endif
