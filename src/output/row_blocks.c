#include "output/row_blocks.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rows per block: large enough that handing one out costs nothing next to
 * encoding it, small enough that a few in flight stay a few MiB. */
enum { BLOCK_ROWS = 1024, MAX_HELPERS = 4, SLOTS_PER_HELPER = 2 };

enum slot_state { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

/* Block b is encoded into slot b % nslots, once the block before it in
 * that slot was written. */
struct block_slot {
    struct json_buffer text; /* in memory */
    size_t block;
    enum slot_state state;
};

struct row_blocks {
    pthread_mutex_t lock;
    pthread_cond_t slot_freed, block_done;
    struct block_slot *slots;
    size_t nslots;
    size_t nrows, nblocks, next_block;
    row_blocks_encode_fn encode;
    const void *arg;
};

static void encode_block(struct row_blocks *rb, struct json_buffer *out, size_t block)
{
    size_t first = block * BLOCK_ROWS;
    size_t end = first + BLOCK_ROWS < rb->nrows ? first + BLOCK_ROWS : rb->nrows;
    rb->encode(out, first, end, rb->arg);
}

static void *helper_main(void *arg)
{
    struct row_blocks *rb = arg;
    pthread_mutex_lock(&rb->lock);
    for (;;) {
        while (rb->next_block < rb->nblocks &&
               rb->slots[rb->next_block % rb->nslots].state != SLOT_FREE)
            pthread_cond_wait(&rb->slot_freed, &rb->lock);
        if (rb->next_block >= rb->nblocks)
            break;
        size_t block = rb->next_block++;
        struct block_slot *slot = &rb->slots[block % rb->nslots];
        slot->state = SLOT_BUSY;
        slot->block = block;
        pthread_mutex_unlock(&rb->lock);
        slot->text.len = 0;
        encode_block(rb, &slot->text, block);
        pthread_mutex_lock(&rb->lock);
        slot->state = SLOT_DONE;
        pthread_cond_broadcast(&rb->block_done);
    }
    pthread_mutex_unlock(&rb->lock);
    return NULL;
}

/* Writes every block in order as the helpers finish them. */
static void write_blocks(struct row_blocks *rb, struct json_buffer *out)
{
    for (size_t block = 0; block < rb->nblocks; block++) {
        struct block_slot *slot = &rb->slots[block % rb->nslots];
        pthread_mutex_lock(&rb->lock);
        while (slot->state != SLOT_DONE || slot->block != block)
            pthread_cond_wait(&rb->block_done, &rb->lock);
        pthread_mutex_unlock(&rb->lock);
        if (slot->text.error && !out->error)
            out->error = slot->text.error;
        json_buffer_put_block(out, slot->text.data, slot->text.len);
        pthread_mutex_lock(&rb->lock);
        slot->state = SLOT_FREE;
        pthread_cond_broadcast(&rb->slot_freed);
        pthread_mutex_unlock(&rb->lock);
    }
}

static size_t helper_count(size_t nblocks)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = cpus > 1 ? (size_t)cpus : 0;
    if (n > MAX_HELPERS)
        n = MAX_HELPERS;
    return nblocks < 4 ? 0 : n;
}

void row_blocks_write(struct json_buffer *out, size_t nrows, row_blocks_encode_fn encode,
                      const void *arg)
{
    struct row_blocks rb = {
        .nrows = nrows,
        .nblocks = (nrows + BLOCK_ROWS - 1) / BLOCK_ROWS,
        .encode = encode,
        .arg = arg,
    };
    size_t nhelpers = helper_count(rb.nblocks), started = 0;
    pthread_t threads[MAX_HELPERS];
    rb.nslots = nhelpers * SLOTS_PER_HELPER;
    rb.slots = nhelpers ? calloc(rb.nslots, sizeof(*rb.slots)) : NULL;
    if (rb.slots) {
        pthread_mutex_init(&rb.lock, NULL);
        pthread_cond_init(&rb.slot_freed, NULL);
        pthread_cond_init(&rb.block_done, NULL);
        for (size_t i = 0; i < rb.nslots; i++)
            json_buffer_init(&rb.slots[i].text, NULL);
        /* The output sandbox may refuse new threads: then this one does
         * all the work. */
        while (started < nhelpers && pthread_create(&threads[started], NULL, helper_main, &rb) == 0)
            started++;
    }
    if (started)
        write_blocks(&rb, out);
    else
        encode(out, 0, nrows, arg);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (rb.slots) {
        for (size_t i = 0; i < rb.nslots; i++)
            json_buffer_finish(&rb.slots[i].text);
        pthread_cond_destroy(&rb.block_done);
        pthread_cond_destroy(&rb.slot_freed);
        pthread_mutex_destroy(&rb.lock);
        free(rb.slots);
    }
}
