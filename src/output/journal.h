/* --journal: one line per holder of the queried mount. */
#ifndef LSHIDDEN_OUTPUT_JOURNAL_H
#define LSHIDDEN_OUTPUT_JOURNAL_H

#include <stdio.h>

#include "core/record.h"
#include "mount/mount_target.h"

/* One line per holder for a journal or a shutdown hook.  Returns 0 or
 * -errno. */
int mount_report_journal(const struct record_list *records, const struct mount_target *target,
                         size_t unseen, FILE *stream);

#endif
