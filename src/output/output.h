/* Rendering rows of any column set: a human table or JSON.
 * Every mode (listing, --mount, --fuse) goes through here, so -o, -r, -n,
 * -J, escaping and write errors behave the same in all of them. */
#ifndef LSHIDDEN_OUTPUT_OUTPUT_H
#define LSHIDDEN_OUTPUT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/columns.h"
#include "core/fuse_conn.h"
#include "core/record.h"
#include "core/warnings.h"

/* The rows to print, whatever their type: the column set's value function
 * reads what at() returns. */
struct output_rows {
    size_t count;
    const void *(*at)(const void *ctx, size_t i);
    const void *ctx;
};

struct output_rows output_rows_of_records(const struct record_list *records);
struct output_rows output_rows_of_connections(const struct fuse_connection_list *list);

struct output_options {
    const struct column_set *set;
    const int *columns;
    size_t ncolumns;
    bool noheadings;
    bool raw;
};

/* Both return 0 or -errno (e.g. -EPIPE, -ENOMEM); both flush the stream. */
int output_table(const struct output_rows *rows, const struct output_options *opts, FILE *stream);
/* {"ROWS_KEY": [...], "warnings": [...]} */
int output_json(const struct output_rows *rows, const struct warning_list *warnings,
                const struct output_options *opts, FILE *stream);

/* --list-columns: the columns of opts->set, as a table or (json) as a
 * JSON object. */
int output_column_list(bool json, const struct output_options *opts, FILE *stream);

/* Whether the terminal's locale can print UTF-8. */
bool output_locale_is_utf8(void);

#endif
