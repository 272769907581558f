#include "util/sorted.h"

#include <stdlib.h>
#include <string.h>

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

size_t sorted_pids_unique(pid_t *items, size_t n)
{
    if (n < 2)
        return n;
    qsort(items, n, sizeof(*items), cmp_pid);
    size_t kept = 1;
    for (size_t i = 1; i < n; i++)
        if (items[i] != items[kept - 1])
            items[kept++] = items[i];
    return kept;
}

bool sorted_pids_has(const pid_t *items, size_t n, pid_t value)
{
    return n && bsearch(&value, items, n, sizeof(value), cmp_pid);
}

size_t sorted_keep_lone(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *base = items;
    if (n > 1)
        qsort(items, n, size, cmp);
    size_t kept = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && cmp(base + j * size, base + i * size) == 0)
            j++;
        if (j == i + 1 && kept != i)
            memcpy(base + kept * size, base + i * size, size);
        kept += j == i + 1;
        i = j;
    }
    return kept;
}
