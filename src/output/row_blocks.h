/* Rows encoded in blocks by helper threads and written in order by the
 * caller: encoding every row of a busy host as JSON costs as much as a
 * third of the run, and each block is independent of the others. */
#ifndef LSHIDDEN_OUTPUT_ROW_BLOCKS_H
#define LSHIDDEN_OUTPUT_ROW_BLOCKS_H

#include <stddef.h>

#include "parse/json_encode.h"

/* Appends rows [first, end) to out; called from several threads at once
 * for different ranges, so it must only read what it shares. */
typedef void (*row_blocks_encode_fn)(struct json_buffer *out, size_t first, size_t end,
                                     const void *arg);

/* Encodes rows [0, nrows) into out, in order: in blocks by helper threads
 * where there are enough rows and CPUs and threads can be made, else here.
 * Memory held is a few blocks, whatever nrows is.  Errors are out's. */
void row_blocks_write(struct json_buffer *out, size_t nrows, row_blocks_encode_fn encode,
                      const void *arg);

#endif
