#include "scan/uprobes.h"

#include <stdlib.h>
#include <string.h>

int uprobes_collect(struct uprobe_table *out, const struct mount_ns *self_mounts,
                    const struct record_list *records, struct warning_list *warnings)
{
    (void)out;
    (void)self_mounts;
    (void)records;
    (void)warnings;
    return 0;
}

void uprobes_free(struct uprobe_table *table)
{
    for (size_t i = 0; i < table->len; i++) {
        free(table->items[i].path);
        free(table->items[i].object);
        free(table->items[i].hint);
    }
    free(table->items);
    memset(table, 0, sizeof(*table));
}
