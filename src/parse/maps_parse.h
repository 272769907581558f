/* Parser for /proc/PID/maps.  Pure: works on a buffer, no I/O. */
#ifndef LSHIDDEN_MAPS_PARSE_H
#define LSHIDDEN_MAPS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map_entry {
    uint64_t start, end, offset;
    unsigned dev_major, dev_minor;
    uint64_t inode;
    char perms[5];
    const char *path; /* span in the buffer, still escaped; may be empty */
    size_t path_len;
};

/* Parses the line at *cursor and advances past it.  Returns 1 with *entry
 * filled, 0 at the end of the buffer, -EINVAL on a malformed line. */
int maps_next(const char **cursor, const char *end, struct map_entry *entry);

/* The kernel escapes only '\n' (as "\012") in maps paths.  Writes the
 * decoded path to out (room for path_len + 1 bytes) and returns its length. */
size_t maps_decode_path(const char *path, size_t path_len, char *out);

/* The ring's mapping of an io_uring instance. */
bool map_entry_is_uring(const struct map_entry *entry);

/* The ring's mapping of a Linux AIO context (io_setup): "/[aio]", which
 * the kernel shows as deleted. */
bool map_entry_is_aio(const struct map_entry *entry);

#endif
