/* Sorted arrays of numbers, as sets: sort once and drop repeats, then look
 * members up by bisection. */
#ifndef LSHIDDEN_UTIL_SORTED_H
#define LSHIDDEN_UTIL_SORTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Sorts items[0..n) and drops repeats; returns how many are left. */
size_t sorted_pids_unique(pid_t *items, size_t n);

/* Sorts n items of size bytes by cmp and keeps only those no other item
 * compares equal to, in order; returns how many are left.  For keys that
 * must name one thing (an inode two rings share names neither). */
size_t sorted_keep_lone(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Whether items[0..n), sorted, holds value. */
bool sorted_pids_has(const pid_t *items, size_t n, pid_t value);

#endif
