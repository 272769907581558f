/* The output columns, declared once: this table drives the table and JSON
 * output, --list-columns, -o parsing and the man page's COLUMNS section. */
#ifndef LSHIDDEN_COLUMNS_H
#define LSHIDDEN_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

enum column_id {
    COL_COMMAND,
    COL_PID,
    COL_UID,
    COL_USER,
    COL_SOURCE,
    COL_HIDDEN,
    COL_FD,
    COL_RING_FD,
    COL_RING_INODE,
    COL_SLOT,
    COL_TYPE,
    COL_PATH,
    COL_PATH_COMPLETE,
    COL_DELETED,
    COL_MOUNT_ID,
    COL_MOUNTPOINT,
    COL_DEV,
    COL_INODE,
    COL_SQ_THREAD,
    COL_USER_BUFS,
    COL_FUSE_CONNECTION,
    COL_FUSE_MOUNT,
    COL_BACKING_ID,
    COL_NOTE,
    COL_METHOD,
    COL_HOLDER,
    COL_EFFECT,
    COL_POSSIBLE,
    COL_OBJECT,
    COL_MNT_NS,
    COL_COUNT
};

enum column_kind { COLKIND_STRING, COLKIND_NUMBER, COLKIND_BOOL };

struct column_info {
    const char *name;     /* for -o and the table header */
    const char *json_key; /* the JSON contract */
    enum column_kind kind;
    double width_hint; /* libsmartcols whint */
    bool right_align, truncate, wrap;
    bool is_default;
    bool needs_identity; /* needs stat() of the file */
    bool mount_only;     /* meaningful with --mount only */
    const char *help;
};

extern const struct column_info column_table[COL_COUNT];

/* Index of the column named name[0..len) (case-insensitive), or -1. */
int column_by_name(const char *name, size_t len);

struct column_value {
    bool null;
    enum column_kind kind;
    const char *str; /* COLKIND_STRING; raw bytes, NUL-terminated */
    bool is_signed;
    int64_t num;
    uint64_t unum;
    bool boolean;
    char dev_text[24]; /* backing store of str for DEV */
};

void column_value(const struct file_record *rec, enum column_id id, struct column_value *out);

/* Formats a non-string value as text into buf ("yes"/"no" for booleans);
 * returns buf, or the string itself for string values, NULL for null. */
const char *column_value_text(const struct column_value *v, char *buf, size_t n);

#endif
