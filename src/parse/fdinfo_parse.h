/* Parsers for /proc/PID/fdinfo text.  Pure functions on a buffer: no I/O,
 * so unit tests and the fuzzer drive them directly. */
#ifndef LSHIDDEN_FDINFO_PARSE_H
#define LSHIDDEN_FDINFO_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How the kernel named the files of a fixed-file table.  Detected from the
 * text, never from the kernel version: distributions backport. */
enum name_format {
    NAME_FORMAT_NONE, /* no occupied entries printed: nothing to tell */
    NAME_FORMAT_PATH, /* 6.14+: occupied slots only, full escaped d_path */
    NAME_FORMAT_NAME, /* 5.6-6.13: every slot, last component, raw bytes */
};

struct name_entry {
    uint32_t number; /* before the colon: a ring's slot, or a FUSE backing id */
    size_t name_off; /* into fixed_table.names; NUL-terminated there */
    size_t name_len;
    bool deleted; /* PATH format only: the "\040(deleted)" suffix, stripped */
};

/* The entries of a "%5u: NAME" list: io_uring's UserFiles section, and the
 * same format proposed for FUSE's connections/N/backing_files. */
struct name_table {
    enum name_format format;
    struct name_entry *entries;
    size_t nentries, cap;
    char *names; /* decoded names, back to back */
    size_t names_len, names_cap;
};

struct uring_fdinfo {
    bool has_mnt_id, has_ino;
    int mnt_id;
    uint64_t ino;

    /* False when the kernel printed no io_uring lines at all: on 6.15+
     * that is what a contended ring looks like. */
    bool has_uring_section;
    bool has_sq_thread;
    int sq_thread; /* -1 in the text means "no SQPOLL"; kept as printed */
    bool has_user_files;
    uint32_t user_files; /* table size, empty slots included */
    bool has_user_bufs;
    uint32_t user_bufs;
    struct name_table table;
};

struct parse_error {
    unsigned line; /* 1-based line of the fdinfo text, 0 if not tied to one */
    const char *reason;
};

/* Returns 0, -EINVAL for malformed text (err says where and why), or
 * -ENOMEM.  On error *out is left freed. */
int uring_fdinfo_parse(const char *buf, size_t len, struct uring_fdinfo *out,
                       struct parse_error *err);
void uring_fdinfo_free(struct uring_fdinfo *info);

/* True when the text cannot be trusted as the ring's whole table: no
 * io_uring section (6.15+ lock contention), or a table that claims slots
 * but printed fewer entries than the format guarantees (5.9-6.14.7
 * contention).  An all-empty 6.14+ table also lands here, so callers retry
 * and then decide. */
bool uring_fdinfo_maybe_contended(const struct uring_fdinfo *info);

/* Parses "%5u: NAME" lines (the body of a UserFiles section, or a FUSE
 * backing_files file) of a table with table_size slots; table_size 0 means
 * unbounded.  first_line numbers the lines in errors. */
int name_table_parse(const char *buf, size_t len, uint32_t table_size, unsigned first_line,
                     struct name_table *out, struct parse_error *err);
void name_table_free(struct name_table *table);

static inline const char *name_table_name(const struct name_table *table, size_t i)
{
    return table->names + table->entries[i].name_off;
}

/* Finds "KEY:\tVALUE" in generic fdinfo text and parses VALUE as an
 * unsigned decimal.  Returns 0, -ENOENT when absent, -EINVAL when bad. */
int fdinfo_get_u64(const char *buf, size_t len, const char *key, uint64_t *value);

#endif
