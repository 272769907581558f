#include "util/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int vec_reserve(void **items, size_t *cap, size_t need, size_t elem_size, size_t min_cap)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : min_cap;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -ENOMEM;
        n *= 2;
    }
    if (n > SIZE_MAX / elem_size)
        return -ENOMEM;
    void *p = realloc(*items, n * elem_size);
    if (!p)
        return -ENOMEM;
    *items = p;
    *cap = n;
    return 0;
}

void *vec_push(void **items, size_t *len, size_t *cap, size_t elem_size)
{
    if (vec_reserve(items, cap, *len + 1, elem_size, 8) < 0)
        return NULL;
    char *slot = (char *)*items + *len * elem_size;
    memset(slot, 0, elem_size);
    (*len)++;
    return slot;
}
