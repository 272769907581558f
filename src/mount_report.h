/* --mount: which of the scanned records hold the queried mount, and how
 * they are reported (grouped table with a summary, or journal lines). */
#ifndef LSHIDDEN_MOUNT_REPORT_H
#define LSHIDDEN_MOUNT_REPORT_H

#include <stdio.h>

#include "mount_target.h"
#include "record.h"

/* Keeps the process and io_uring records that hold the target and sets
 * their effect and certainty; drops the rest. */
void mount_filter_records(struct record_list *records, const struct mount_target *target);

/* Groups rows by holder kind (process, io_uring, loop, ...), then by pid. */
void record_list_sort_by_holder(struct record_list *records);

/* "/srv/data is held by 3 processes (5 references, 2 hidden), 1 loop
 * device", or that nothing holds it. */
void mount_report_summary(const struct record_list *records, const struct mount_target *target,
                          FILE *stream);

/* One line per holder for a journal or a shutdown hook.  Returns 0 or
 * -errno. */
int mount_report_journal(const struct record_list *records, const struct mount_target *target,
                         FILE *stream);

#endif
