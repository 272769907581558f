/* Which processes to scan, with their metadata (pid, command, user). */
#ifndef LSHIDDEN_CORE_PROCESS_LIST_H
#define LSHIDDEN_CORE_PROCESS_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/record.h"
#include "core/warnings.h"
#include "util/arena.h"

struct process_list {
    struct process_info **items;
    size_t len, cap;
};

/* From libproc2 when reading the live /proc (it cannot be pointed
 * elsewhere), from proc_root's own status files otherwise.  pids/npids
 * restrict the set (npids 0: every process); with warn_missing, a pid
 * that is not there is a warning.  Returns 0 or -errno. */
int process_list_collect(struct process_list *set, const char *proc_root, bool live,
                         const pid_t *pids, size_t npids, bool warn_missing, struct arena *arena,
                         struct warning_list *warnings);

/* Every pid proc_root lists, sorted, in *pids (malloc'd).  Returns 0 or
 * -errno. */
int process_list_pids(const char *proc_root, pid_t **pids, size_t *npids);
void process_list_free(struct process_list *set);

#endif
