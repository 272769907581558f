/* Growable arrays: one helper instead of a realloc loop per list.
 *
 *   struct { struct thing *items; size_t len, cap; } list = {0};
 *   struct thing *t = VEC_PUSH(&list);   // zeroed slot, or NULL
 *   if (VEC_RESERVE(&list, n) < 0) ...   // room for n in all
 *
 * Any struct with `items`, `len` and `cap` members works; free(items)
 * releases it. */
#ifndef LSHIDDEN_UTIL_VEC_H
#define LSHIDDEN_UTIL_VEC_H

#include <errno.h>
#include <stddef.h>

/* Makes room for at least need elements of elem_size bytes in *items
 * (doubling, from min_cap).  Returns 0 or -ENOMEM; *items is unchanged on
 * failure. */
int vec_reserve(void **items, size_t *cap, size_t need, size_t elem_size, size_t min_cap);

/* Appends one zeroed element; returns it, or NULL on allocation failure. */
void *vec_push(void **items, size_t *len, size_t *cap, size_t elem_size);

#define VEC_RESERVE(v, need)                                                                       \
    vec_reserve((void **)&(v)->items, &(v)->cap, (need), sizeof(*(v)->items), 8)
#define VEC_PUSH(v) vec_push((void **)&(v)->items, &(v)->len, &(v)->cap, sizeof(*(v)->items))
/* Appends value (an expression of the element type); 0 or -ENOMEM. */
#define VEC_APPEND(v, value)                                                                       \
    (VEC_RESERVE((v), (v)->len + 1) < 0 ? -ENOMEM : ((v)->items[(v)->len++] = (value), 0))

#endif
