
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "output/output.h"
#include "parse/json_encode.h"
#include "parse/text_escape.h"

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

/* A comma-separated list as a JSON array; a null list is an empty one. */
static void put_list(struct json_buffer *out, const char *csv, bool numbers)
{
    json_buffer_puts(out, "[");
    for (const char *p = csv; p && *p;) {
        size_t len = strcspn(p, ",");
        if (p != csv)
            json_buffer_puts(out, ",");
        if (numbers) {
            json_buffer_put(out, p, len);
        } else {
            char *item = strndup(p, len);
            if (!item) {
                out->error = -ENOMEM;
                return;
            }
            put_text(out, item);
            free(item);
        }
        p += len + (p[len] == ',');
    }
    json_buffer_puts(out, "]");
}

static void put_value(struct json_buffer *out, const struct column_value *v)
{
    if (v->kind == COLKIND_STRING_LIST || v->kind == COLKIND_NUMBER_LIST) {
        put_list(out, v->null ? NULL : v->str, v->kind == COLKIND_NUMBER_LIST);
        return;
    }
    if (v->null) {
        json_buffer_puts(out, "null");
        return;
    }
    switch (v->kind) {
    case COLKIND_STRING_LIST:
    case COLKIND_NUMBER_LIST:
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

/* The exact bytes of a name that is not valid UTF-8, in hex; null for one
 * that is. */
static void put_hex_or_null(struct json_buffer *out, const char *s, size_t len)
{
    if (!s || utf8_valid(s, len)) {
        json_buffer_puts(out, "null");
        return;
    }
    char *hex = hex_encode(s, len);
    if (!hex) {
        out->error = -ENOMEM;
        return;
    }
    json_buffer_put_string(out, hex, len * 2);
    free(hex);
}

/* KEY_raw: for a string, put_hex_or_null; for a list, null when every item
 * is UTF-8, else one put_hex_or_null per item. */
static void put_raw_bytes(struct json_buffer *out, const struct column_value *v)
{
    const char *s = v->null ? NULL : v->str;
    size_t len = s ? strlen(s) : 0;
    if (v->kind != COLKIND_STRING_LIST || !s || utf8_valid(s, len)) {
        put_hex_or_null(out, s, len);
        return;
    }
    json_buffer_puts(out, "[");
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ",");
        if (p != s)
            json_buffer_puts(out, ",");
        put_hex_or_null(out, p, n);
        p += n + (p[n] == ',');
    }
    json_buffer_puts(out, "]");
}

static void put_row(struct json_buffer *out, const void *row, const struct output_options *opts)
{
    json_buffer_puts(out, "{");
    for (size_t i = 0; i < opts->ncolumns; i++) {
        int id = opts->columns[i];
        const struct column_info *col = &opts->set->columns[id];
        struct column_value v;
        opts->set->value(row, id, &v);
        if (i)
            json_buffer_puts(out, ",");
        json_buffer_put_key(out, col->json_key);
        put_value(out, &v);
        if (col->flags & COLF_RAW_BYTES) {
            char key[64];
            snprintf(key, sizeof(key), "%s_raw", col->json_key);
            json_buffer_puts(out, ",");
            json_buffer_put_key(out, key);
            put_raw_bytes(out, &v);
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
    /* ASCII only: every C1 control and format character is \u-escaped,
     * as in the rows. */
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(obj);
    if (!text)
        return -ENOMEM;
    json_buffer_put(out, text, strlen(text));
    free(text);
    return 0;
}

int output_json(const struct output_rows *rows, const struct warning_list *warnings,
                const struct output_options *opts, FILE *stream)
{
    struct json_buffer out;
    json_buffer_init(&out, stream);
    json_buffer_puts(&out, "{\n  ");
    json_buffer_put_string(&out, opts->set->rows_key, strlen(opts->set->rows_key));
    json_buffer_puts(&out, ": [");
    for (size_t i = 0; i < rows->count && !out.error; i++) {
        json_buffer_puts(&out, i ? ",\n    " : "\n    ");
        put_row(&out, rows->at(rows->ctx, i), opts);
    }
    json_buffer_puts(&out, rows->count ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [");
    for (size_t i = 0; i < warnings->len && !out.error; i++) {
        json_buffer_puts(&out, i ? ",\n    " : "\n    ");
        int r = put_warning(&out, &warnings->items[i]);
        if (r < 0)
            out.error = r;
    }
    json_buffer_puts(&out, warnings->len ? "\n  ]\n}\n" : "]\n}\n");
    return json_buffer_finish(&out);
}
