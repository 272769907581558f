/* doc/lshidden.schema.json against the tables that make the JSON: every
 * enum of the schema is exactly the names the code can print, and the
 * properties of its rows are exactly the columns' JSON keys. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/file_columns.h"
#include "core/fuse_conn.h"
#include "core/record.h"
#include "unit.h"

static json_t *load_schema(void)
{
    json_error_t err;
    json_t *schema = json_load_file(LSHIDDEN_SOURCE_DIR "/doc/lshidden.schema.json", 0, &err);
    if (!schema)
        fprintf(stderr, "  schema: line %d: %s\n", err.line, err.text);
    return schema;
}

static json_t *schema_def(json_t *schema, const char *name)
{
    return json_object_get(json_object_get(schema, "$defs"), name);
}

/* Whether name is a string member of the array. */
static bool array_has(json_t *array, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

/* How many members of the array are of the type (JSON_STRING, JSON_NULL). */
static size_t members_of_type(json_t *array, json_type type)
{
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(array, i, v)
    {
        n += json_typeof(v) == type;
    }
    return n;
}

/* The enum of $defs/def holds exactly names[0..n) (duplicates allowed in
 * names), plus null where nullable. */
static void check_enum(json_t *schema, const char *def, const char *const *names, size_t n,
                       bool nullable)
{
    json_t *values = json_object_get(schema_def(schema, def), "enum");
    size_t distinct = 0;
    CHECK(json_is_array(values));
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(names[k], names[i]) == 0;
        distinct += !seen;
        if (!array_has(values, names[i]))
            fprintf(stderr, "  $defs/%s lacks \"%s\"\n", def, names[i]);
        CHECK(array_has(values, names[i]));
    }
    CHECK_EQ_INT(members_of_type(values, JSON_STRING), distinct);
    CHECK_EQ_INT(members_of_type(values, JSON_NULL), nullable ? 1 : 0);
}

TEST(sources_and_holders)
{
    json_t *schema = load_schema();
    const char *sources[SOURCE_COUNT], *holders[SOURCE_COUNT];
    CHECK(schema != NULL);
    for (int s = 0; s < SOURCE_COUNT; s++) {
        sources[s] = file_source_name((enum file_source)s);
        holders[s] = source_info((enum file_source)s)->holder;
    }
    check_enum(schema, "source", sources, SOURCE_COUNT, false);
    check_enum(schema, "holder", holders, SOURCE_COUNT, false);
    json_decref(schema);
}

TEST(effects_types_methods_kinds)
{
    json_t *schema = load_schema();
    const char *effects[] = {holder_effect_name(EFFECT_BLOCKS_UMOUNT),
                             holder_effect_name(EFFECT_KEEPS_ALIVE)};
    const char *types[FTYPE_ANON + 1],
        *methods[] = {record_method_name(METHOD_PROCFS), record_method_name(METHOD_BPF)};
    const char *kinds[COLKIND_NUMBER_LIST + 1];
    CHECK(schema != NULL);
    CHECK(holder_effect_name(EFFECT_NONE) == NULL); /* hence the null */
    for (int t = 0; t <= FTYPE_ANON; t++)
        types[t] = file_type_name((enum file_type)t);
    for (int k = 0; k <= COLKIND_NUMBER_LIST; k++)
        kinds[k] = column_kind_name((enum column_kind)k);
    check_enum(schema, "effect", effects, 2, true);
    check_enum(schema, "file_type", types, FTYPE_ANON + 1, false);
    check_enum(schema, "method", methods, 2, false);
    check_enum(schema, "column_type", kinds, COLKIND_NUMBER_LIST + 1, false);
    json_decref(schema);
}

TEST(identity_origins)
{
    json_t *schema = load_schema();
    const char *origins[] = {identity_origin_name(IDENTITY_KERNEL),
                             identity_origin_name(IDENTITY_FD),
                             identity_origin_name(IDENTITY_PATH)};
    CHECK(schema != NULL);
    CHECK(identity_origin_name(IDENTITY_NONE) == NULL); /* hence the null */
    check_enum(schema, "identity", origins, 3, true);
    json_decref(schema);
}

/* The properties of $defs/def are the set's JSON keys (and KEY_raw for
 * raw-byte columns), each with a type, an enum or a reference. */
static void check_properties(json_t *schema, const char *def, const struct column_set *set)
{
    json_t *props = json_object_get(schema_def(schema, def), "properties");
    size_t keys = 0;
    for (int i = 0; i < set->count; i++) {
        const struct column_info *c = &set->columns[i];
        char raw[64];
        snprintf(raw, sizeof(raw), "%s_raw", c->json_key);
        if (!json_object_get(props, c->json_key))
            fprintf(stderr, "  $defs/%s lacks \"%s\"\n", def, c->json_key);
        CHECK(json_object_get(props, c->json_key) != NULL);
        keys++;
        if (c->flags & COLF_RAW_BYTES) {
            CHECK(json_object_get(props, raw) != NULL);
            keys++;
        }
    }
    CHECK_EQ_INT(json_object_size(props), keys);
    const char *key;
    json_t *prop;
    json_object_foreach(props, key, prop)
    {
        bool typed = json_object_get(prop, "type") || json_object_get(prop, "$ref") ||
                     json_object_get(prop, "enum");
        if (!typed)
            fprintf(stderr, "  $defs/%s/%s has no type\n", def, key);
        CHECK(typed);
    }
}

TEST(row_keys_are_the_columns)
{
    json_t *schema = load_schema();
    CHECK(schema != NULL);
    check_properties(schema, "file_record", &file_columns);
    check_properties(schema, "connection", &fuse_conn_columns);
    json_decref(schema);
}
