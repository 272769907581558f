/* Bump allocator for what lives as long as one scan: records and their
 * strings.  A host with hundreds of thousands of fds would otherwise malloc
 * several times per row, and row pointers never move. */
#ifndef LSHIDDEN_UTIL_ARENA_H
#define LSHIDDEN_UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
};

/* Both return NULL only on allocation failure. */
void *arena_alloc(struct arena *arena, size_t size);
void *arena_zalloc(struct arena *arena, size_t size);
/* For bytes (strings): not aligned, so packed. */
void *arena_alloc_unaligned(struct arena *arena, size_t size);
char *arena_strndup(struct arena *arena, const char *s, size_t len);
char *arena_strdup(struct arena *arena, const char *s);
/* Moves every chunk of other into arena (other ends up empty), so what a
 * worker thread allocated lives as long as the result it merged into. */
void arena_adopt(struct arena *arena, struct arena *other);
void arena_free(struct arena *arena);

#endif
