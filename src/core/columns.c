#include "core/columns.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int column_by_name(const struct column_set *set, const char *name, size_t len)
{
    for (int i = 0; i < set->count; i++)
        if (strlen(set->columns[i].name) == len &&
            strncasecmp(set->columns[i].name, name, len) == 0)
            return i;
    return -1;
}

void column_set_str(struct column_value *v, const char *s)
{
    v->null = s == NULL;
    v->str = s;
}

void column_set_num(struct column_value *v, bool known, int64_t n)
{
    v->null = !known;
    v->is_signed = true;
    v->num = n;
}

void column_set_unum(struct column_value *v, bool known, uint64_t n)
{
    v->null = !known;
    v->is_signed = false;
    v->unum = n;
}

void column_set_bool(struct column_value *v, int tristate)
{
    v->null = tristate < 0;
    v->boolean = tristate > 0;
}

const char *column_value_text(const struct column_value *v, char *buf, size_t n)
{
    if (v->null)
        return NULL;
    switch (v->kind) {
    case COLKIND_STRING:
    case COLKIND_STRING_LIST:
    case COLKIND_NUMBER_LIST: return v->str;
    case COLKIND_BOOL: return v->boolean ? "yes" : "no";
    case COLKIND_NUMBER:
        if (v->is_signed)
            snprintf(buf, n, "%" PRId64, v->num);
        else
            snprintf(buf, n, "%" PRIu64, v->unum);
        return buf;
    }
    return NULL;
}

const char *column_kind_name(enum column_kind kind)
{
    switch (kind) {
    case COLKIND_NUMBER: return "number";
    case COLKIND_BOOL: return "boolean";
    case COLKIND_STRING_LIST: return "array of strings";
    case COLKIND_NUMBER_LIST: return "array of numbers";
    case COLKIND_STRING: break;
    }
    return "string";
}
