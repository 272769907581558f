#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "text_escape.h"

/* File names are bytes, JSON strings are Unicode: invalid UTF-8 becomes
 * U+FFFD here, and path_raw keeps the exact bytes in hex. */
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

static json_t *json_value(const struct column_value *v)
{
    if (v->null)
        return json_null();
    switch (v->kind) {
    case COLKIND_STRING: return json_text(v->str);
    case COLKIND_BOOL: return json_boolean(v->boolean);
    case COLKIND_NUMBER:
        return json_integer(v->is_signed ? (json_int_t)v->num : (json_int_t)v->unum);
    }
    return json_null();
}

static json_t *path_raw_value(const struct file_record *rec)
{
    if (!rec->path || utf8_valid(rec->path, strlen(rec->path)))
        return json_null();
    char *hex = hex_encode(rec->path, strlen(rec->path));
    json_t *v = hex ? json_string(hex) : NULL;
    free(hex);
    return v;
}

static json_t *record_object(const struct file_record *rec, const struct output_options *opts)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (size_t i = 0; i < opts->ncolumns; i++) {
        enum column_id id = opts->columns[i];
        struct column_value v;
        column_value(rec, id, &v);
        if (json_object_set_new(obj, column_table[id].json_key, json_value(&v)) < 0)
            goto fail;
        if (id == COL_PATH && json_object_set_new(obj, "path_raw", path_raw_value(rec)) < 0)
            goto fail;
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

static json_t *warning_object(const struct warning *w)
{
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    json_object_set_new(obj, "pid", w->pid ? json_integer(w->pid) : json_null());
    json_object_set_new(obj, "path", w->path ? json_text(w->path) : json_null());
    json_object_set_new(obj, "reason", json_text(w->reason));
    return obj;
}

/* Written one object at a time so a host with a million open files does
 * not need the whole document in memory. */
static int dump_item(json_t *obj, bool first, FILE *stream)
{
    if (!obj)
        return -ENOMEM;
    fputs(first ? "\n    " : ",\n    ", stream);
    int r = json_dumpf(obj, stream, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    return r < 0 ? -EIO : 0;
}

int output_json(const struct record_list *records, const struct warning_list *warnings,
                const struct output_options *opts, FILE *stream)
{
    int r = 0;
    fputs("{\n  \"files\": [", stream);
    for (size_t i = 0; r == 0 && i < records->len; i++)
        r = dump_item(record_object(&records->items[i], opts), i == 0, stream);
    fputs(records->len ? "\n  ],\n  \"warnings\": [" : "],\n  \"warnings\": [", stream);
    for (size_t i = 0; r == 0 && i < warnings->len; i++)
        r = dump_item(warning_object(&warnings->items[i]), i == 0, stream);
    fputs(warnings->len ? "\n  ]\n}\n" : "]\n}\n", stream);
    if (r == 0 && (fflush(stream) != 0 || ferror(stream)))
        r = -errno ? -errno : -EIO;
    return r;
}
