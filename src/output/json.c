
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "output/output.h"
#include "output/row_blocks.h"
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
    JSON_PUT_LITERAL(out, "[");
    for (const char *p = csv; p && *p;) {
        size_t len = strcspn(p, ",");
        if (p != csv)
            JSON_PUT_LITERAL(out, ",");
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
    JSON_PUT_LITERAL(out, "]");
}

static void put_value(struct json_buffer *out, const struct column_value *v)
{
    if (v->kind == COLKIND_STRING_LIST || v->kind == COLKIND_NUMBER_LIST) {
        put_list(out, v->null ? NULL : v->str, v->kind == COLKIND_NUMBER_LIST);
        return;
    }
    if (v->null) {
        JSON_PUT_LITERAL(out, "null");
        return;
    }
    switch (v->kind) {
    case COLKIND_STRING_LIST:
    case COLKIND_NUMBER_LIST:
    case COLKIND_STRING: put_text(out, v->str); break;
    case COLKIND_BOOL:
        if (v->boolean)
            JSON_PUT_LITERAL(out, "true");
        else
            JSON_PUT_LITERAL(out, "false");
        break;
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
        JSON_PUT_LITERAL(out, "null");
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
    JSON_PUT_LITERAL(out, "[");
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ",");
        if (p != s)
            JSON_PUT_LITERAL(out, ",");
        put_hex_or_null(out, p, n);
        p += n + (p[n] == ',');
    }
    JSON_PUT_LITERAL(out, "]");
}

/* Each column's `"key":` after what comes before it in a row ("{" or
 * ","), and `,"key_raw":` for raw-byte columns, encoded once: a row writes
 * tens of keys, and escaping each anew (with an snprintf for every _raw
 * key) was a fifth of the encoder's work. */
struct json_keys {
    struct json_buffer text; /* in memory: every key, back to back */
    struct json_key_span {
        size_t off, len, raw_off, raw_len;
    } * cols;
};

static int json_keys_build(struct json_keys *k, const struct output_options *opts)
{
    json_buffer_init(&k->text, NULL);
    k->cols = calloc(opts->ncolumns ? opts->ncolumns : 1, sizeof(*k->cols));
    if (!k->cols)
        return -ENOMEM;
    for (size_t i = 0; i < opts->ncolumns; i++) {
        const struct column_info *col = &opts->set->columns[opts->columns[i]];
        struct json_key_span *span = &k->cols[i];
        span->off = k->text.len;
        json_buffer_puts(&k->text, i ? "," : "{");
        json_buffer_put_key(&k->text, col->json_key);
        span->len = k->text.len - span->off;
        if (col->flags & COLF_RAW_BYTES) {
            char key[64];
            snprintf(key, sizeof(key), "%s_raw", col->json_key);
            span->raw_off = k->text.len;
            JSON_PUT_LITERAL(&k->text, ",");
            json_buffer_put_key(&k->text, key);
            span->raw_len = k->text.len - span->raw_off;
        }
    }
    return k->text.error;
}

static void json_keys_free(struct json_keys *k)
{
    json_buffer_finish(&k->text);
    free(k->cols);
}

static void put_row(struct json_buffer *out, const void *row, const struct output_options *opts,
                    const struct json_keys *keys)
{
    if (!opts->ncolumns)
        JSON_PUT_LITERAL(out, "{");
    for (size_t i = 0; i < opts->ncolumns; i++) {
        const struct json_key_span *span = &keys->cols[i];
        struct column_value v;
        opts->set->value(row, opts->columns[i], &v);
        json_buffer_put(out, keys->text.data + span->off, span->len);
        put_value(out, &v);
        if (span->raw_len) {
            json_buffer_put(out, keys->text.data + span->raw_off, span->raw_len);
            put_raw_bytes(out, &v);
        }
    }
    JSON_PUT_LITERAL(out, "}");
}

struct row_range_job {
    const struct output_rows *rows;
    const struct output_options *opts;
    const struct json_keys *keys;
};

/* Rows [first, end), each after its separator. */
static void put_row_range(struct json_buffer *out, size_t first, size_t end, const void *arg)
{
    const struct row_range_job *job = arg;
    for (size_t i = first; i < end && !out->error; i++) {
        json_buffer_puts(out, i ? ",\n    " : "\n    ");
        put_row(out, job->rows->at(job->rows->ctx, i), job->opts, job->keys);
    }
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
    struct json_keys keys;
    json_buffer_init(&out, stream);
    int r = json_keys_build(&keys, opts);
    if (r < 0) {
        json_keys_free(&keys);
        json_buffer_finish(&out);
        return r;
    }
    json_buffer_puts(&out, "{\n  ");
    json_buffer_put_string(&out, opts->set->rows_key, strlen(opts->set->rows_key));
    json_buffer_puts(&out, ": [");
    const struct row_range_job job = {rows, opts, &keys};
    row_blocks_write(&out, rows->count, put_row_range, &job);
    json_buffer_puts(&out, rows->count ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [");
    for (size_t i = 0; i < warnings->len && !out.error; i++) {
        json_buffer_puts(&out, i ? ",\n    " : "\n    ");
        r = put_warning(&out, &warnings->items[i]);
        if (r < 0)
            out.error = r;
    }
    json_buffer_puts(&out, warnings->len ? "\n  ]\n}\n" : "]\n}\n");
    json_keys_free(&keys);
    return json_buffer_finish(&out);
}
