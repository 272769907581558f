/* Rendering records: a human table (libsmartcols) or JSON (jansson). */
#ifndef LSHIDDEN_OUTPUT_H
#define LSHIDDEN_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "columns.h"
#include "record.h"
#include "warnings.h"

struct output_options {
    const enum column_id *columns;
    size_t ncolumns;
    bool noheadings;
    bool raw;
};

/* Both return 0 or -errno (e.g. -EPIPE, -ENOMEM). */
int output_table(const struct record_list *records, const struct output_options *opts,
                 FILE *stream);
int output_json(const struct record_list *records, const struct warning_list *warnings,
                const struct output_options *opts, FILE *stream);

/* The rest of a JSON document after "warnings": [ : the warnings and the
 * closing brackets. */
int output_json_warnings(const struct warning_list *warnings, FILE *stream);

/* --list-columns, as a table or (json) as a JSON array. */
int output_column_list(bool json, const struct output_options *opts, FILE *stream);

#endif
