#include "scan/unix_sockets.h"

#include <stdlib.h>
#include <string.h>

int bound_sockets_collect(struct bound_sockets *out, const char *proc_root,
                          const struct process_list *procs, struct warning_list *warnings)
{
    (void)out;
    (void)proc_root;
    (void)procs;
    (void)warnings;
    return 0;
}

void bound_sockets_free(struct bound_sockets *list)
{
    for (size_t i = 0; i < list->len; i++)
        free(list->items[i].path);
    free(list->items);
    memset(list, 0, sizeof(*list));
}
