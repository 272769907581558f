/* The human table, written by hand in two streaming passes over the rows:
 * the first measures each cell (escaped, in a scratch buffer), the second
 * escapes it again straight into one output buffer.  libsmartcols did the
 * same job with an allocation, an fputs and an mbrtowc/wcwidth per
 * character of every cell, and took half the run on a host with tens of
 * thousands of fds; see bench/README.md.  Nothing per row is kept, so the
 * table needs no more memory than JSON does.
 *
 * The layout is libsmartcols' for a stream that is not a terminal (what
 * every test and pipe sees): each column as wide as its header and its
 * widest cell, or its width hint when that is a whole number of columns
 * and wider; one space between columns; right-aligned columns padded on
 * the left; the last column not padded.  On a terminal narrower than the
 * table, the measured and fitted cells go to libsmartcols, which truncates
 * and wraps them to the terminal as before (table_terminal.c). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/cell_fit.h"
#include "output/output.h"
#include "output/table_terminal.h"
#include "parse/text_escape.h"

enum { OUT_BUF_SIZE = 64 * 1024 };

struct out_buf {
    FILE *stream;
    size_t len;
    int error;
    char data[OUT_BUF_SIZE];
};

struct table_column {
    const struct column_info *info;
    size_t header_width;
    struct width_census census;
    bool right, last;
    bool multibyte; /* a cell holds a character wider or narrower than a byte */
    size_t limit;   /* cells wider are cut (SIZE_MAX: the last column) */
    size_t width;
};

struct table {
    const struct output_rows *rows;
    const struct output_options *opts;
    bool utf8;
    struct table_column *cols;
    char *scratch; /* one escaped cell */
    size_t scratch_cap;
    struct out_buf *out;
    struct table_terminal *terminal; /* NULL: the table is written to out */
};

static void out_write(struct out_buf *out, const char *s, size_t n)
{
    errno = 0;
    if (n && !out->error && fwrite(s, 1, n, out->stream) != n)
        out->error = errno ? -errno : -EIO;
}

static void out_flush(struct out_buf *out)
{
    out_write(out, out->data, out->len);
    out->len = 0;
}

static void out_put(struct out_buf *out, const char *s, size_t n)
{
    if (out->len + n > OUT_BUF_SIZE) {
        out_flush(out);
        if (n > OUT_BUF_SIZE) {
            out_write(out, s, n);
            return;
        }
    }
    memcpy(out->data + out->len, s, n);
    out->len += n;
}

static void out_pad(struct out_buf *out, size_t n)
{
    static const char spaces[] = "                                                                ";
    for (size_t k; n; n -= k) {
        k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        out_put(out, spaces, k);
    }
}

/* Digits of v, written backwards from end; returns the first. */
static char *format_u64(char *end, uint64_t v)
{
    do
        *--end = (char)('0' + v % 10);
    while (v /= 10);
    return end;
}

/* The text of a cell as the table shows it, before escaping: v is the
 * backing store of what it returns (numbers are formatted into v->text). */
static const char *cell_text(const struct table *t, const void *row, int id, struct column_value *v)
{
    t->opts->set->value(row, id, v);
    const char *text = NULL;
    if (v->null)
        text = NULL;
    else if (v->kind == COLKIND_NUMBER) {
        char *end = v->text + sizeof(v->text) - 1;
        *end = '\0';
        bool neg = v->is_signed && v->num < 0;
        uint64_t mag = !v->is_signed ? v->unum : neg ? 0 - (uint64_t)v->num : (uint64_t)v->num;
        char *p = format_u64(end, mag);
        if (neg)
            *--p = '-';
        text = p;
    } else if (v->kind == COLKIND_BOOL)
        text = v->boolean ? "yes" : "no";
    else
        text = v->str;
    return text && *text ? text : t->opts->set->columns[id].empty_text;
}

/* Escapes a cell into t->scratch; returns its bytes, *width its columns. */
static int escape_cell(struct table *t, const char *text, size_t *bytes, size_t *width)
{
    size_t len = text ? strlen(text) : 0;
    /* Room for every byte escaped, and for the cut mark. */
    if (len * 4 + 8 > t->scratch_cap) {
        size_t cap = len * 4 + 8 > 2 * t->scratch_cap ? len * 4 + 8 : 2 * t->scratch_cap;
        char *s = realloc(t->scratch, cap);
        if (!s)
            return -ENOMEM;
        t->scratch = s;
        t->scratch_cap = cap;
    }
    *bytes = terminal_escape_into(t->scratch, text ? text : "", len, t->utf8, width);
    return 0;
}

/* First pass: the census of every column's widths. */
static int measure(struct table *t)
{
    const struct output_options *opts = t->opts;
    for (size_t i = 0; i < t->rows->count; i++) {
        const void *row = t->rows->at(t->rows->ctx, i);
        for (size_t c = 0; c < opts->ncolumns; c++) {
            struct column_value v;
            size_t bytes, width;
            int r = escape_cell(t, cell_text(t, row, opts->columns[c], &v), &bytes, &width);
            if (r == 0)
                r = width_census_add(&t->cols[c].census, width);
            if (r < 0)
                return r;
            /* Escaped ASCII is one column a byte: anything else holds
             * characters whose cut width is not simply the limit. */
            if (bytes != width)
                t->cols[c].multibyte = true;
        }
    }
    return 0;
}

/* The widest a cut cell of column c ends up: the limit itself for ASCII,
 * one less where a double-width character would straddle it.  Only the
 * rare column that has both cut cells and multibyte text needs a pass. */
static int widest_cut(struct table *t, size_t c, size_t *widest)
{
    struct table_column *col = &t->cols[c];
    if (!col->multibyte) {
        *widest = col->limit;
        return 0;
    }
    *widest = 0;
    for (size_t i = 0; i < t->rows->count; i++) {
        struct column_value v;
        size_t bytes, width, used;
        const void *row = t->rows->at(t->rows->ctx, i);
        int r = escape_cell(t, cell_text(t, row, t->opts->columns[c], &v), &bytes, &width);
        if (r < 0)
            return r;
        if (width > col->limit) {
            text_cut_len(t->scratch, bytes, col->limit, t->utf8, &used);
            if (used + 1 > *widest)
                *widest = used + 1;
        }
    }
    return 0;
}

/* Each column's cut limit and width, by libsmartcols' rules: the widest
 * cell (after cutting) or the header, and a whole-number width hint when
 * the cells are narrower than it but at least as wide as the header. */
static int lay_out(struct table *t)
{
    for (size_t c = 0; c < t->opts->ncolumns; c++) {
        struct table_column *col = &t->cols[c];
        size_t data = col->census.max;
        col->limit = SIZE_MAX;
        if (!col->last) {
            col->limit = width_census_fit_limit(&col->census, col->header_width);
            data = width_census_max_upto(&col->census, col->limit);
            if (col->census.max > col->limit) {
                size_t cut;
                int r = widest_cut(t, c, &cut);
                if (r < 0)
                    return r;
                data = cut > data ? cut : data;
            }
        }
        size_t min = col->header_width ? col->header_width : 1;
        size_t hint = col->info->width_hint >= 1 ? (size_t)col->info->width_hint : 0;
        if (data < min)
            col->width = min;
        else if (data < hint && min < hint)
            col->width = hint;
        else
            col->width = data;
    }
    return 0;
}

static void put_cell(struct out_buf *out, const struct table_column *col, const char *s,
                     size_t bytes, size_t width)
{
    if (col->right && bytes && width < col->width) {
        out_pad(out, col->width - width);
        width = col->width;
    }
    out_put(out, s, bytes);
    if (col->last)
        return;
    out_pad(out, width < col->width ? col->width - width : 0);
    out_put(out, " ", 1);
}

/* Second pass: every row, escaped again and cut to its column's limit. */
static int print_rows(struct table *t)
{
    const struct output_options *opts = t->opts;
    const char *mark = text_cut_mark(t->utf8);
    if (!opts->noheadings && !t->terminal) {
        for (size_t c = 0; c < opts->ncolumns; c++)
            put_cell(t->out, &t->cols[c], t->cols[c].info->name, strlen(t->cols[c].info->name),
                     t->cols[c].header_width);
        out_put(t->out, "\n", 1);
    }
    for (size_t i = 0; i < t->rows->count && !t->out->error; i++) {
        const void *row = t->rows->at(t->rows->ctx, i);
        int r = t->terminal ? table_terminal_add_row(t->terminal) : 0;
        for (size_t c = 0; r == 0 && c < opts->ncolumns; c++) {
            const struct table_column *col = &t->cols[c];
            struct column_value v;
            size_t bytes, width;
            r = escape_cell(t, cell_text(t, row, opts->columns[c], &v), &bytes, &width);
            if (r == 0 && width > col->limit) {
                bytes = text_cut_len(t->scratch, bytes, col->limit, t->utf8, &width);
                memcpy(t->scratch + bytes, mark, strlen(mark));
                bytes += strlen(mark);
                width++;
            }
            if (r == 0 && t->terminal)
                r = table_terminal_set(t->terminal, c, t->scratch, bytes);
            else if (r == 0)
                put_cell(t->out, col, t->scratch, bytes, width);
        }
        if (r < 0)
            return r;
        if (!t->terminal)
            out_put(t->out, "\n", 1);
    }
    return 0;
}

/* -r: one space between cells, and every byte that is blank, a backslash
 * or not printable in the locale as \xHH, exactly as lsfd -r writes. */
static void put_raw(struct out_buf *out, const bool *plain, const char *s)
{
    static const char digits[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (plain[*p]) {
            out_put(out, (const char *)p, 1);
        } else {
            char esc[4] = {'\\', 'x', digits[*p >> 4], digits[*p & 0xf]};
            out_put(out, esc, sizeof(esc));
        }
    }
}

static void print_raw(struct table *t)
{
    const struct output_options *opts = t->opts;
    bool plain[256];
    for (int ch = 0; ch < 256; ch++)
        plain[ch] = ch && !isblank(ch) && ch != '\\' && isprint(ch) && !iscntrl(ch);
    for (size_t c = 0; !opts->noheadings && c < opts->ncolumns; c++) {
        put_raw(t->out, plain, t->cols[c].info->name);
        out_put(t->out, c + 1 < opts->ncolumns ? " " : "\n", 1);
    }
    for (size_t i = 0; i < t->rows->count && !t->out->error; i++) {
        const void *row = t->rows->at(t->rows->ctx, i);
        for (size_t c = 0; c < opts->ncolumns; c++) {
            struct column_value v;
            put_raw(t->out, plain, cell_text(t, row, opts->columns[c], &v));
            out_put(t->out, c + 1 < opts->ncolumns ? " " : "\n", 1);
        }
    }
}

static int print_table(struct table *t)
{
    if (t->opts->raw) {
        print_raw(t);
        return 0;
    }
    int r = measure(t);
    if (r == 0)
        r = lay_out(t);
    if (r < 0)
        return r;
    size_t width = 0;
    for (size_t c = 0; c < t->opts->ncolumns; c++)
        width += t->cols[c].width + (c ? 1 : 0);
    if (!isatty(STDOUT_FILENO) || width <= table_terminal_width())
        return print_rows(t);
    t->terminal = table_terminal_new(t->opts, t->out->stream);
    r = t->terminal ? print_rows(t) : -ENOMEM;
    if (r == 0)
        r = table_terminal_print(t->terminal);
    else
        table_terminal_free(t->terminal);
    return r;
}

int output_table(const struct output_rows *rows, const struct output_options *opts, FILE *stream)
{
    struct table t = {.rows = rows, .opts = opts, .utf8 = output_locale_is_utf8()};
    t.cols = calloc(opts->ncolumns ? opts->ncolumns : 1, sizeof(*t.cols));
    t.out = malloc(sizeof(*t.out));
    int r = t.cols && t.out ? 0 : -ENOMEM;
    for (size_t c = 0; r == 0 && c < opts->ncolumns; c++) {
        struct table_column *col = &t.cols[c];
        col->info = &opts->set->columns[opts->columns[c]];
        col->header_width = strlen(col->info->name);
        col->right = col->info->flags & COLF_RIGHT;
        col->last = c + 1 == opts->ncolumns;
    }
    if (r == 0 && rows->count) {
        t.out->stream = stream;
        t.out->len = 0;
        t.out->error = 0;
        r = print_table(&t);
        out_flush(t.out);
        if (r == 0)
            r = t.out->error;
    }
    for (size_t c = 0; t.cols && c < opts->ncolumns; c++)
        width_census_free(&t.cols[c].census);
    free(t.cols);
    free(t.out);
    free(t.scratch);
    if (r == 0 && fflush(stream) != 0)
        r = -errno;
    if (r == 0 && ferror(stream))
        r = -EIO;
    return r;
}
