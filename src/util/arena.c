#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_SIZE (64 * 1024)

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    max_align_t data[];
};

/* Strings need no alignment: packing them saves a few bytes a row, which
 * a host with a million rows notices. */
static void *arena_alloc_aligned(struct arena *arena, size_t size, size_t align)
{
    struct arena_chunk *chunk = arena->head;
    size_t at = chunk ? (chunk->used + align - 1) & ~(align - 1) : 0;
    if (!chunk || at > chunk->size || chunk->size - at < size) {
        size_t cap = size > ARENA_CHUNK_SIZE ? size : ARENA_CHUNK_SIZE;
        chunk = malloc(sizeof(*chunk) + cap);
        if (!chunk)
            return NULL;
        chunk->used = 0;
        chunk->size = cap;
        chunk->next = arena->head;
        arena->head = chunk;
        at = 0;
    }
    void *p = (char *)chunk->data + at;
    chunk->used = at + size;
    return p;
}

void *arena_alloc_unaligned(struct arena *arena, size_t size)
{
    return arena_alloc_aligned(arena, size, 1);
}

void *arena_alloc(struct arena *arena, size_t size)
{
    return arena_alloc_aligned(arena, size, sizeof(max_align_t));
}

void *arena_zalloc(struct arena *arena, size_t size)
{
    void *p = arena_alloc(arena, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void arena_adopt(struct arena *arena, struct arena *other)
{
    struct arena_chunk **tail = &other->head;
    while (*tail)
        tail = &(*tail)->next;
    /* Chunks after the head are full: splicing them behind it wastes
     * nothing, and the head keeps serving small allocations. */
    if (!arena->head) {
        arena->head = other->head;
    } else {
        *tail = arena->head->next;
        arena->head->next = other->head;
    }
    other->head = NULL;
}

char *arena_strndup(struct arena *arena, const char *s, size_t len)
{
    char *p = arena_alloc_aligned(arena, len + 1, 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *arena, const char *s)
{
    return arena_strndup(arena, s, strlen(s));
}

void arena_free(struct arena *arena)
{
    struct arena_chunk *chunk = arena->head;
    while (chunk) {
        struct arena_chunk *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    arena->head = NULL;
}
