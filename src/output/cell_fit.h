/* Keeps one long cell from widening every row of a table: libsmartcols
 * pads each column to its widest cell, so a single 4 KB path in a column
 * that is not the last would make every line 4 KB long. */
#ifndef LSHIDDEN_OUTPUT_CELL_FIT_H
#define LSHIDDEN_OUTPUT_CELL_FIT_H

#include <stdbool.h>
#include <stddef.h>

/* Display columns of s (escaped text: ASCII, or UTF-8 the locale prints). */
size_t text_width(const char *s, bool utf8);

enum { CELL_FIT_MIN = 32 };

/* The widest a column's cells may be: wide enough for the header, for
 * nine cells in ten (all of them, up to ten), and for CELL_FIT_MIN
 * columns, so only the rare long outlier is cut.  Sorts widths. */
size_t cell_fit_limit(size_t *widths, size_t n, size_t header);

/* s cut to width display columns, the last of them a mark that says so;
 * malloc'd, NULL on allocation failure. */
char *text_cut(const char *s, size_t width, bool utf8);

#endif
