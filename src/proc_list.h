/* Which processes to scan, with their metadata (pid, command, user). */
#ifndef LSHIDDEN_PROC_LIST_H
#define LSHIDDEN_PROC_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "arena.h"
#include "record.h"
#include "warnings.h"

struct process_set {
    struct process_info **items;
    size_t len, cap;
};

/* From libproc2 when reading the live /proc (it cannot be pointed
 * elsewhere), from proc_root's own status files otherwise.  pids/npids
 * restrict the set (npids 0: every process).  Returns 0 or -errno. */
int process_set_collect(struct process_set *set, const char *proc_root, bool live,
                        const pid_t *pids, size_t npids, struct arena *arena,
                        struct warning_list *warnings);
void process_set_free(struct process_set *set);

#endif
