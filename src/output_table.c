#include "output.h"

#include <errno.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols/libsmartcols.h>

#include "json_encode.h"
#include "text_escape.h"

static int add_columns(struct libscols_table *tb, const struct output_options *opts)
{
    for (size_t i = 0; i < opts->ncolumns; i++) {
        const struct column_info *col = &column_table[opts->columns[i]];
        int flags = (col->right_align ? SCOLS_FL_RIGHT : 0) | (col->truncate ? SCOLS_FL_TRUNC : 0) |
                    (col->wrap ? SCOLS_FL_WRAP : 0);
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

static int add_row(struct libscols_table *tb, const struct file_record *rec,
                   const struct output_options *opts, bool utf8)
{
    struct libscols_line *line = scols_table_new_line(tb, NULL);
    if (!line)
        return -ENOMEM;
    for (size_t i = 0; i < opts->ncolumns; i++) {
        struct column_value v;
        char buf[32];
        column_value(rec, opts->columns[i], &v);
        int r = set_cell(line, i, column_value_text(&v, buf, sizeof(buf)), opts->raw, utf8);
        if (r < 0)
            return r;
    }
    return 0;
}

int output_table(const struct record_list *records, const struct output_options *opts, FILE *stream)
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
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    int r = add_columns(tb, opts);
    for (size_t i = 0; r == 0 && i < records->len; i++)
        r = add_row(tb, &records->items[i], opts, utf8);
    if (r == 0 && records->len)
        r = scols_print_table(tb);
    scols_unref_table(tb);
    if (r == 0 && fflush(stream) != 0)
        r = -errno;
    return r;
}

static const char *kind_name(enum column_kind kind)
{
    return kind == COLKIND_NUMBER ? "number" : kind == COLKIND_BOOL ? "boolean" : "string";
}

static int column_list_json(FILE *stream)
{
    struct json_buffer out;
    json_buffer_init(&out, stream);
    json_buffer_puts(&out, "{\"columns\": [");
    for (int i = 0; i < COL_COUNT; i++) {
        const struct column_info *c = &column_table[i];
        json_buffer_puts(&out, i ? ",\n  {" : "\n  {");
        json_buffer_put_key(&out, "name");
        json_buffer_put_string(&out, c->name, strlen(c->name));
        json_buffer_puts(&out, ", ");
        json_buffer_put_key(&out, "json_key");
        json_buffer_put_string(&out, c->json_key, strlen(c->json_key));
        json_buffer_puts(&out, ", ");
        json_buffer_put_key(&out, "type");
        json_buffer_puts(&out, c->kind == COLKIND_NUMBER ? "\"number\""
                               : c->kind == COLKIND_BOOL ? "\"boolean\""
                                                         : "\"string\"");
        json_buffer_puts(&out, ", ");
        json_buffer_put_key(&out, "default");
        json_buffer_puts(&out, c->is_default ? "true" : "false");
        json_buffer_puts(&out, ", ");
        json_buffer_put_key(&out, "mount_only");
        json_buffer_puts(&out, c->mount_only ? "true" : "false");
        json_buffer_puts(&out, ", ");
        json_buffer_put_key(&out, "description");
        json_buffer_put_string(&out, c->help, strlen(c->help));
        json_buffer_puts(&out, "}");
    }
    json_buffer_puts(&out, "\n]}\n");
    return json_buffer_finish(&out);
}

int output_column_list(bool json, const struct output_options *opts, FILE *stream)
{
    if (json)
        return column_list_json(stream);
    struct libscols_table *tb = scols_new_table();
    if (!tb)
        return -ENOMEM;
    scols_table_enable_raw(tb, opts->raw);
    scols_table_enable_noheadings(tb, opts->noheadings);
    scols_table_set_stream(tb, stream);
    const char *headers[] = {"NAME", "TYPE", "JSON-KEY", "DESCRIPTION"};
    for (size_t i = 0; i < 4; i++)
        if (!scols_table_new_column(tb, headers[i], i == 3 ? 0.5 : 0, i == 3 ? SCOLS_FL_WRAP : 0))
            goto fail;
    for (int i = 0; i < COL_COUNT; i++) {
        struct libscols_line *line = scols_table_new_line(tb, NULL);
        if (!line || scols_line_set_data(line, 0, column_table[i].name) ||
            scols_line_set_data(line, 1, kind_name(column_table[i].kind)) ||
            scols_line_set_data(line, 2, column_table[i].json_key) ||
            scols_line_set_data(line, 3, column_table[i].help))
            goto fail;
    }
    int r = scols_print_table(tb);
    scols_unref_table(tb);
    return r;
fail:
    scols_unref_table(tb);
    return -ENOMEM;
}
