#include <langinfo.h>
#include <string.h>

#include "output/output.h"

static const void *record_at(const void *ctx, size_t i)
{
    return ((const struct record_list *)ctx)->items[i];
}

static const void *connection_at(const void *ctx, size_t i)
{
    return &((const struct fuse_connection_list *)ctx)->items[i];
}

struct output_rows output_rows_of_records(const struct record_list *records)
{
    return (struct output_rows){records->len, record_at, records};
}

struct output_rows output_rows_of_connections(const struct fuse_connection_list *list)
{
    return (struct output_rows){list->len, connection_at, list};
}

bool output_locale_is_utf8(void)
{
    return strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}
