/* Bump allocator for strings that live as long as one scan.  A host with
 * hundreds of thousands of fds would otherwise malloc once per path. */
#ifndef LSHIDDEN_ARENA_H
#define LSHIDDEN_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;
};

/* Both return NULL only on allocation failure. */
void *arena_alloc(struct arena *arena, size_t size);
char *arena_strndup(struct arena *arena, const char *s, size_t len);
char *arena_strdup(struct arena *arena, const char *s);
void arena_free(struct arena *arena);

#endif
