/* The columns of file rows (struct file_record): the main listing and
 * --mount. */
#ifndef LSHIDDEN_CORE_FILE_COLUMNS_H
#define LSHIDDEN_CORE_FILE_COLUMNS_H

#include "core/columns.h"

enum column_id {
    COL_COMMAND,
    COL_PID,
    COL_TID,
    COL_UID,
    COL_USER,
    COL_UNIT,
    COL_CONTAINER,
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
    COL_IDENTITY,
    COL_HOLDER,
    COL_EFFECT,
    COL_POSSIBLE,
    COL_OBJECT,
    COL_MNT_NS,
    COL_HINT,
    COL_COUNT
};

extern const struct column_info file_column_table[COL_COUNT];
extern const struct column_set file_columns;

#endif
