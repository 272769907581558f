/* --list-columns: the column table of the mode, as a table or JSON. */
#include <errno.h>
#include <string.h>

#include <libsmartcols/libsmartcols.h>

#include "output/output.h"
#include "parse/json_encode.h"

static void put_pair(struct json_buffer *out, const char *key, const char *value, bool first)
{
    if (!first)
        json_buffer_puts(out, ", ");
    json_buffer_put_key(out, key);
    json_buffer_put_string(out, value, strlen(value));
}

static void put_flag(struct json_buffer *out, const char *key, bool value)
{
    json_buffer_puts(out, ", ");
    json_buffer_put_key(out, key);
    json_buffer_puts(out, value ? "true" : "false");
}

static int column_list_json(const struct column_set *set, FILE *stream)
{
    struct json_buffer out;
    json_buffer_init(&out, stream);
    json_buffer_puts(&out, "{\"columns\": [");
    for (int i = 0; i < set->count; i++) {
        const struct column_info *c = &set->columns[i];
        json_buffer_puts(&out, i ? ",\n  {" : "\n  {");
        put_pair(&out, "name", c->name, true);
        put_pair(&out, "json_key", c->json_key, false);
        put_pair(&out, "type", column_kind_name(c->kind), false);
        put_flag(&out, "default", c->flags & COLF_DEFAULT);
        put_flag(&out, "mount_only", c->flags & COLF_MOUNT_ONLY);
        put_pair(&out, "description", c->help, false);
        json_buffer_puts(&out, "}");
    }
    json_buffer_puts(&out, "\n]}\n");
    int r = json_buffer_finish(&out);
    if (r == 0 && fflush(stream) != 0)
        r = -errno;
    return r;
}

static int column_list_table(const struct output_options *opts, FILE *stream)
{
    const struct column_set *set = opts->set;
    static const char *const headers[] = {"NAME", "TYPE", "JSON-KEY", "DESCRIPTION"};
    struct libscols_table *tb = scols_new_table();
    if (!tb)
        return -ENOMEM;
    scols_table_enable_raw(tb, opts->raw);
    scols_table_enable_noheadings(tb, opts->noheadings);
    scols_table_set_stream(tb, stream);
    int r = 0;
    for (size_t i = 0; i < 4 && r == 0; i++)
        if (!scols_table_new_column(tb, headers[i], i == 3 ? 0.5 : 0, i == 3 ? SCOLS_FL_WRAP : 0))
            r = -ENOMEM;
    for (int i = 0; i < set->count && r == 0; i++) {
        const struct column_info *c = &set->columns[i];
        struct libscols_line *line = scols_table_new_line(tb, NULL);
        if (!line || scols_line_set_data(line, 0, c->name) ||
            scols_line_set_data(line, 1, column_kind_name(c->kind)) ||
            scols_line_set_data(line, 2, c->json_key) || scols_line_set_data(line, 3, c->help))
            r = -ENOMEM;
    }
    if (r == 0)
        r = scols_print_table(tb);
    scols_unref_table(tb);
    if (r == 0 && fflush(stream) != 0)
        r = -errno;
    return r;
}

int output_column_list(bool json, const struct output_options *opts, FILE *stream)
{
    return json ? column_list_json(opts->set, stream) : column_list_table(opts, stream);
}
