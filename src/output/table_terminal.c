#include "output/table_terminal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols/libsmartcols.h>

struct table_terminal {
    struct libscols_table *tb;
    struct libscols_line *line;
};

size_t table_terminal_width(void)
{
    struct libscols_table *tb = scols_new_table();
    size_t width = tb ? scols_table_get_termwidth(tb) : 80;
    scols_unref_table(tb);
    return width;
}

struct table_terminal *table_terminal_new(const struct output_options *opts, FILE *stream)
{
    struct table_terminal *tt = calloc(1, sizeof(*tt));
    if (!tt || !(tt->tb = scols_new_table())) {
        free(tt);
        return NULL;
    }
    scols_table_enable_noheadings(tt->tb, opts->noheadings);
    scols_table_enable_noencoding(tt->tb, 1);
    scols_table_set_stream(tt->tb, stream);
    for (size_t i = 0; i < opts->ncolumns; i++) {
        const struct column_info *col = &opts->set->columns[opts->columns[i]];
        int flags = (col->flags & COLF_RIGHT ? SCOLS_FL_RIGHT : 0) |
                    (col->flags & COLF_TRUNC ? SCOLS_FL_TRUNC : 0) |
                    (col->flags & COLF_WRAP ? SCOLS_FL_WRAP : 0);
        if (!scols_table_new_column(tt->tb, col->name, col->width_hint, flags)) {
            table_terminal_free(tt);
            return NULL;
        }
    }
    return tt;
}

int table_terminal_add_row(struct table_terminal *tt)
{
    tt->line = scols_table_new_line(tt->tb, NULL);
    return tt->line ? 0 : -ENOMEM;
}

int table_terminal_set(struct table_terminal *tt, size_t col, const char *data, size_t bytes)
{
    if (!bytes)
        return 0;
    char *copy = strndup(data, bytes);
    if (!copy)
        return -ENOMEM;
    return scols_line_refer_data(tt->line, col, copy);
}

int table_terminal_print(struct table_terminal *tt)
{
    int r = scols_print_table(tt->tb);
    table_terminal_free(tt);
    return r;
}

void table_terminal_free(struct table_terminal *tt)
{
    if (tt)
        scols_unref_table(tt->tb);
    free(tt);
}
