/* --mount's summary under the table. */
#ifndef LSHIDDEN_OUTPUT_MOUNT_SUMMARY_H
#define LSHIDDEN_OUTPUT_MOUNT_SUMMARY_H

#include <stdio.h>

#include "core/record.h"
#include "mount/mount_target.h"

/* "/srv/data is held by 3 processes (5 references, 2 hidden), 1 loop
 * device", or that nothing holds it. */
void mount_report_summary(const struct record_list *records, const struct mount_target *target,
                          size_t unseen, FILE *stream);

#endif
