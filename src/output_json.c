#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_encode.h"
#include "text_escape.h"

/* Records are encoded by json_encode.c straight into a buffer: building a
 * jansson object per row took half the run time on a host with tens of
 * thousands of fds (a malloc per value, an fwrite per token).  jansson
 * still encodes the warnings, and the tests check both encoders agree. */

/* File and process names are bytes; JSON strings are Unicode.  Invalid
 * UTF-8 becomes U+FFFD (path_raw keeps a path's exact bytes). */
static void put_text(struct json_buffer *out, const char *s)
{
    size_t len = strlen(s);
    if (utf8_valid(s, len)) {
        json_buffer_put_string(out, s, len);
        return;
    }
    char *fixed = utf8_replace_invalid(s, len);
    if (!fixed) {
        out->error = -ENOMEM;
        return;
    }
    json_buffer_put_string(out, fixed, strlen(fixed));
    free(fixed);
}

static void put_value(struct json_buffer *out, const struct column_value *v)
{
    if (v->null) {
        json_buffer_puts(out, "null");
        return;
    }
    switch (v->kind) {
    case COLKIND_STRING: put_text(out, v->str); break;
    case COLKIND_BOOL: json_buffer_puts(out, v->boolean ? "true" : "false"); break;
    case COLKIND_NUMBER:
        if (v->is_signed)
            json_buffer_put_int(out, v->num);
        else
            json_buffer_put_uint(out, v->unum);
        break;
    }
}

/* path_raw: the exact bytes of a name that is not valid UTF-8, in hex. */
static void put_path_raw(struct json_buffer *out, const struct file_record *rec)
{
    size_t len = rec->path ? strlen(rec->path) : 0;
    if (!rec->path || utf8_valid(rec->path, len)) {
        json_buffer_puts(out, "null");
        return;
    }
    char *hex = hex_encode(rec->path, len);
    if (!hex) {
        out->error = -ENOMEM;
        return;
    }
    json_buffer_put_string(out, hex, len * 2);
    free(hex);
}

static void put_record(struct json_buffer *out, const struct file_record *rec,
                       const struct output_options *opts)
{
    json_buffer_puts(out, "{");
    for (size_t i = 0; i < opts->ncolumns; i++) {
        enum column_id id = opts->columns[i];
        struct column_value v;
        column_value(rec, id, &v);
        if (i)
            json_buffer_puts(out, ",");
        json_buffer_put_key(out, column_table[id].json_key);
        put_value(out, &v);
        if (id == COL_PATH) {
            json_buffer_puts(out, ",");
            json_buffer_put_key(out, "path_raw");
            put_path_raw(out, rec);
        }
    }
    json_buffer_puts(out, "}");
}

static json_t *json_text(const char *s)
{
    size_t len = strlen(s);
    if (utf8_valid(s, len))
        return json_stringn(s, len);
    char *fixed = utf8_replace_invalid(s, len);
    json_t *v = fixed ? json_string(fixed) : NULL;
    free(fixed);
    return v;
}

static int put_warning(struct json_buffer *out, const struct warning *w)
{
    json_t *obj = json_object();
    if (!obj)
        return -ENOMEM;
    json_object_set_new(obj, "pid", w->pid ? json_integer(w->pid) : json_null());
    json_object_set_new(obj, "path", w->path ? json_text(w->path) : json_null());
    json_object_set_new(obj, "reason", json_text(w->reason));
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!text)
        return -ENOMEM;
    json_buffer_put(out, text, strlen(text));
    free(text);
    return 0;
}

int output_json(const struct record_list *records, const struct warning_list *warnings,
                const struct output_options *opts, FILE *stream)
{
    struct json_buffer out;
    json_buffer_init(&out, stream);
    json_buffer_puts(&out, "{\n  \"files\": [");
    for (size_t i = 0; i < records->len && !out.error; i++) {
        json_buffer_puts(&out, i ? ",\n    " : "\n    ");
        put_record(&out, &records->items[i], opts);
    }
    json_buffer_puts(&out, records->len ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [");
    int r = json_buffer_finish(&out);
    return r < 0 ? r : output_json_warnings(warnings, stream);
}

int output_json_warnings(const struct warning_list *warnings, FILE *stream)
{
    struct json_buffer out;
    json_buffer_init(&out, stream);
    for (size_t i = 0; i < warnings->len && !out.error; i++) {
        json_buffer_puts(&out, i ? ",\n    " : "\n    ");
        int r = put_warning(&out, &warnings->items[i]);
        if (r < 0)
            out.error = r;
    }
    json_buffer_puts(&out, warnings->len ? "\n  ]\n}\n" : "]\n}\n");
    return json_buffer_finish(&out);
}
