/* The table on a terminal narrower than it: libsmartcols shrinks the
 * columns that may be truncated, wraps the ones that may wrap, and prints.
 * The cells it gets are already escaped and cut (table.c), so it neither
 * encodes them again nor changes what a pipe would show. */
#ifndef LSHIDDEN_OUTPUT_TABLE_TERMINAL_H
#define LSHIDDEN_OUTPUT_TABLE_TERMINAL_H

#include <stddef.h>
#include <stdio.h>

#include "output/output.h"

/* The width of the terminal on stdout, as libsmartcols sees it. */
size_t table_terminal_width(void);

struct table_terminal;

/* NULL on allocation failure. */
struct table_terminal *table_terminal_new(const struct output_options *opts, FILE *stream);
/* Both return 0 or -ENOMEM: a new row, then a cell of it (copied). */
int table_terminal_add_row(struct table_terminal *tt);
int table_terminal_set(struct table_terminal *tt, size_t col, const char *data, size_t bytes);
/* Prints and frees the table; 0 or -errno. */
int table_terminal_print(struct table_terminal *tt);
void table_terminal_free(struct table_terminal *tt);

#endif
