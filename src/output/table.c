#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols/libsmartcols.h>

#include "output/cell_fit.h"
#include "output/output.h"
#include "parse/text_escape.h"

static int add_columns(struct libscols_table *tb, const struct output_options *opts)
{
    for (size_t i = 0; i < opts->ncolumns; i++) {
        const struct column_info *col = &opts->set->columns[opts->columns[i]];
        int flags = (col->flags & COLF_RIGHT ? SCOLS_FL_RIGHT : 0) |
                    (col->flags & COLF_TRUNC ? SCOLS_FL_TRUNC : 0) |
                    (col->flags & COLF_WRAP ? SCOLS_FL_WRAP : 0);
        if (!scols_table_new_column(tb, col->name, col->width_hint, flags))
            return -ENOMEM;
    }
    return 0;
}

/* libsmartcols' own encoding escapes control bytes but leaves a literal
 * backslash alone, so "\x1b" in a name would read like an ESC.  In table
 * mode we escape ourselves, backslash included; raw mode is left to
 * libsmartcols so that it escapes exactly like lsfd -r. */
static int set_cell(struct libscols_line *line, size_t n, const char *text, bool raw, bool utf8)
{
    if (!text)
        return 0;
    if (raw)
        return scols_line_set_data(line, n, text);
    char *safe = terminal_escape(text, strlen(text), utf8);
    if (!safe)
        return -ENOMEM;
    return scols_line_refer_data(line, n, safe);
}

static int add_row(struct libscols_table *tb, const void *row, const struct output_options *opts,
                   bool utf8)
{
    struct libscols_line *line = scols_table_new_line(tb, NULL);
    if (!line)
        return -ENOMEM;
    for (size_t i = 0; i < opts->ncolumns; i++) {
        int id = opts->columns[i];
        struct column_value v;
        char buf[32];
        opts->set->value(row, id, &v);
        const char *text = column_value_text(&v, buf, sizeof(buf));
        if (!text || !*text)
            text = opts->set->columns[id].empty_text;
        int r = set_cell(line, i, text, opts->raw, utf8);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Cuts the rare cell that is far wider than the rest of its column, in
 * every column but the last, which may run as long as it needs. */
static int fit_column(struct libscols_table *tb, size_t col, size_t nrows, bool utf8)
{
    struct libscols_iter *iter = scols_new_iter(SCOLS_ITER_FORWARD);
    size_t *widths = calloc(nrows + 1, sizeof(*widths)), n = 0;
    struct libscols_line *line;
    int r = iter && widths ? 0 : -ENOMEM;
    while (r == 0 && n < nrows && scols_table_next_line(tb, iter, &line) == 0) {
        const char *data = scols_cell_get_data(scols_line_get_cell(line, col));
        widths[n++] = data ? text_width(data, utf8) : 0;
    }
    const char *header =
        scols_cell_get_data(scols_column_get_header(scols_table_get_column(tb, col)));
    size_t limit = r == 0 ? cell_fit_limit(widths, n, header ? text_width(header, utf8) : 0) : 0;
    scols_reset_iter(iter, SCOLS_ITER_FORWARD);
    while (r == 0 && scols_table_next_line(tb, iter, &line) == 0) {
        struct libscols_cell *cell = scols_line_get_cell(line, col);
        const char *data = scols_cell_get_data(cell);
        if (!data || text_width(data, utf8) <= limit)
            continue;
        char *cut = text_cut(data, limit, utf8);
        r = cut ? scols_cell_refer_data(cell, cut) : -ENOMEM;
    }
    free(widths);
    scols_free_iter(iter);
    return r;
}

int output_table(const struct output_rows *rows, const struct output_options *opts, FILE *stream)
{
    struct libscols_table *tb = scols_new_table();
    if (!tb)
        return -ENOMEM;
    scols_table_enable_raw(tb, opts->raw);
    scols_table_enable_noheadings(tb, opts->noheadings);
    scols_table_enable_noencoding(tb, !opts->raw);
    scols_table_set_stream(tb, stream);

    /* Multibyte characters pass through only where the terminal's locale
     * can print them. */
    bool utf8 = output_locale_is_utf8();
    int r = add_columns(tb, opts);
    for (size_t i = 0; r == 0 && i < rows->count; i++)
        r = add_row(tb, rows->at(rows->ctx, i), opts, utf8);
    /* Raw output is not padded: nothing to fit. */
    for (size_t c = 0; r == 0 && !opts->raw && c + 1 < opts->ncolumns; c++)
        r = fit_column(tb, c, rows->count, utf8);
    if (r == 0 && rows->count)
        r = scols_print_table(tb);
    scols_unref_table(tb);
    if (r == 0 && fflush(stream) != 0)
        r = -errno;
    if (r == 0 && ferror(stream))
        r = -EIO;
    return r;
}
