/* Column machinery shared by every kind of row: a column set declares its
 * columns once, and that one table drives the table and JSON output, -o
 * parsing, --list-columns and the man page's COLUMNS section. */
#ifndef LSHIDDEN_CORE_COLUMNS_H
#define LSHIDDEN_CORE_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum column_kind {
    COLKIND_STRING,
    COLKIND_NUMBER,
    COLKIND_BOOL,
    COLKIND_STRING_LIST, /* comma-separated in a table, an array in JSON */
    COLKIND_NUMBER_LIST,
};

enum column_flags {
    COLF_RIGHT = 1 << 0, /* right-aligned in the table */
    COLF_TRUNC = 1 << 1, /* may be truncated to fit */
    COLF_WRAP = 1 << 2,  /* may wrap onto more lines */
    COLF_DEFAULT = 1 << 3,
    COLF_NEEDS_IDENTITY = 1 << 4, /* needs a stat() of the file */
    COLF_MOUNT_ONLY = 1 << 5,     /* meaningful with --mount only */
    COLF_RAW_BYTES = 1 << 6,      /* JSON adds KEY_raw: the hex of bytes that are not UTF-8
                                     (for a list: per item, or null when all are UTF-8) */
    COLF_NEEDS_OWNER = 1 << 7,    /* needs the process's cgroup (unit, container) */
};

struct column_info {
    const char *name;     /* for -o and the table header */
    const char *json_key; /* the JSON contract */
    enum column_kind kind;
    double width_hint; /* libsmartcols whint */
    unsigned flags;
    const char *empty_text; /* what the table shows for null, if not blank */
    const char *help;
};

/* A value as the output layers need it.  Lists are comma-separated text. */
struct column_value {
    bool null;
    enum column_kind kind;
    const char *str; /* strings and lists; raw bytes, NUL-terminated */
    bool is_signed;
    int64_t num;
    uint64_t unum;
    bool boolean;
    char text[24]; /* backing store of str for formatted values */
};

struct column_set {
    const char *rows_key; /* the JSON array of rows: "files", "connections" */
    const struct column_info *columns;
    int count;
    void (*value)(const void *row, int id, struct column_value *out);
};

/* Index in set of the column named name[0..len) (case-insensitive), or -1. */
int column_by_name(const struct column_set *set, const char *name, size_t len);

static inline bool column_has(const struct column_set *set, int id, unsigned flag)
{
    return (set->columns[id].flags & flag) != 0;
}

/* Formats a non-string value as text into buf ("yes"/"no" for booleans);
 * returns buf, or the string itself for string values, NULL for null. */
const char *column_value_text(const struct column_value *v, char *buf, size_t n);

void column_set_str(struct column_value *v, const char *s);
void column_set_num(struct column_value *v, bool known, int64_t n);
void column_set_unum(struct column_value *v, bool known, uint64_t n);
/* tristate: -1 unknown (null), 0 false, 1 true. */
void column_set_bool(struct column_value *v, int tristate);

const char *column_kind_name(enum column_kind kind);

#endif
