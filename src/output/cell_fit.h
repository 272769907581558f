/* Keeps one long cell from widening every row of a table: a column is as
 * wide as its widest cell, so a single 4 KB path in a column that is not
 * the last would make every line 4 KB long. */
#ifndef LSHIDDEN_OUTPUT_CELL_FIT_H
#define LSHIDDEN_OUTPUT_CELL_FIT_H

#include <stdbool.h>
#include <stddef.h>

enum { CELL_FIT_MIN = 32, CELL_FIT_DIRECT = 256 };

/* The widths of one column's cells, counted rather than kept: the fit
 * limit is a quantile, and a histogram answers it in constant memory and
 * without sorting a million widths.  Widths of CELL_FIT_DIRECT and more
 * are rare and kept one by one.  Zero-initialise. */
struct width_census {
    size_t n, max;
    size_t count[CELL_FIT_DIRECT];
    size_t *wide, nwide, cap;
};

/* 0, or -ENOMEM. */
int width_census_add(struct width_census *c, size_t width);
void width_census_free(struct width_census *c);

/* The widest a column's cells may be: wide enough for the header, for
 * nine cells in ten (all of them, up to ten), and for CELL_FIT_MIN
 * columns, so only the rare long outlier is cut.  Sorts c->wide. */
size_t width_census_fit_limit(struct width_census *c, size_t header);

/* The widest counted width that is at most limit (0 if none). */
size_t width_census_max_upto(const struct width_census *c, size_t limit);

/* How many bytes of s (escaped text, len bytes) fit in width - 1 display
 * columns, leaving one for the mark that says the cell was cut; *used gets
 * their display columns. */
size_t text_cut_len(const char *s, size_t len, size_t width, bool utf8, size_t *used);

/* The mark text_cut_len leaves room for: "…" in UTF-8, else "~". */
const char *text_cut_mark(bool utf8);

#endif
