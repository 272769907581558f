/* Parsers for the kernel texts that name holders of a mount other than
 * processes: /proc/swaps, binfmt_misc entry files, nfsd exports and client
 * states and loop backing_file.  Pure functions on
 * a buffer: no I/O, so unit tests drive them directly.
 *
 * Iterators hand out spans into the caller's buffer, still escaped as the
 * kernel printed them; holder_decode_path() turns a span into a path. */
#ifndef LSHIDDEN_PARSE_HOLDER_PARSE_H
#define LSHIDDEN_PARSE_HOLDER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct text_span {
    const char *p;
    size_t len;
};

/* A position in a text being read line by line; line is the 1-based
 * number of the line last handed out, for warnings. */
struct text_cursor {
    const char *p, *end;
    unsigned line;
};

void text_cursor_init(struct text_cursor *cur, const char *buf, size_t len);

/* Undoes the "\ooo" escapes of mangle_path() and seq_escape() (space,
 * tab, newline and backslash in mountinfo, /proc/swaps and nfsd exports).
 * Writes the bytes to out (room for len + 1) and NUL-terminates them.
 * Returns the decoded length, or -EINVAL when a backslash does not start
 * a three-digit octal escape of a non-NUL byte: the kernel always escapes
 * a literal backslash, so such text is not what it wrote. */
ssize_t octal_unescape(const char *s, size_t len, char *out);

/* octal_unescape() when escaped, else a plain copy (loop backing_file is
 * printed raw); then strips a trailing " (deleted)" and reports it.
 * Returns the path length or -EINVAL. */
ssize_t holder_decode_path(struct text_span span, bool escaped, char *out, bool *deleted);

/* The one line of /sys/block/loopN/loop/backing_file: the raw d_path of
 * the backing file, which may itself hold newlines, so only the final
 * one is the terminator.  Returns 0, or -EINVAL for empty text. */
int loop_backing_file_parse(const char *buf, size_t len, struct text_span *path);

/* One entry of /proc/swaps:
 *   "%s%*s%s\t%lu\t%s%lu\t%s%d\n" path (escaped, padded to 40 columns),
 *   "file\t" or "partition", size and used in KiB, priority. */
struct swap_entry {
    struct text_span path; /* escaped; may end in "\040(deleted)" */
    bool is_file;          /* "file" rather than "partition" */
    uint64_t size_kib, used_kib;
    int priority;
};

/* Returns 1 with *entry filled, 0 at the end of the text, -EINVAL for a
 * malformed line (cur->line says which; the cursor has moved past it, so
 * the caller may go on).  The "Filename Type ..." header is skipped. */
int swaps_next(struct text_cursor *cur, struct swap_entry *entry);

/* A binfmt_misc entry file (/proc/sys/fs/binfmt_misc/NAME):
 *   "enabled" | "disabled"
 *   "interpreter PATH"   (the string as registered, raw, never updated)
 *   "flags: [P][O][C][F]"
 *   "offset N" / "magic HEX" / "mask HEX", or "extension .EXT" */
struct binfmt_entry {
    bool enabled;
    struct text_span interpreter;
    struct text_span flags;
    bool open_file; /* 'F': the interpreter was opened at registration */
};

/* Returns 0, or -EINVAL when the status, interpreter or flags line is
 * missing or mangled. */
int binfmt_entry_parse(const char *buf, size_t len, struct binfmt_entry *entry);

/* One line of /proc/fs/nfsd/exports or /proc/net/rpc/nfsd.export/content:
 *   "PATH\tCLIENT(OPTIONS)" with PATH and CLIENT octal-escaped.  Comment
 * lines ("# Version 1.1", and "# " before expired or negative cache
 * entries) and blank lines are skipped. */
struct nfs_export {
    struct text_span path;   /* escaped */
    struct text_span client; /* escaped */
    struct text_span options;
};

/* Returns 1, 0 at the end, or -EINVAL for a malformed line (as
 * swaps_next). */
int exports_next(struct text_cursor *cur, struct nfs_export *export);

/* One state of /proc/fs/nfsd/clients/ID/states (5.3+):
 *   - 0x...: { type: open, access: rw, deny: --, superblock: "fd:00:1234",
 *     filename: "dir/name", owner: "..." }
 * superblock is "%02x:%02x:%lu": hex major and minor, decimal inode
 * (fs/nfsd/nfs4state.c nfs4_show_superblock; later kernels print the
 * inode with %llu, still decimal).  filename is "%pD2", the last two
 * components, raw and unquoted inside the quotes, so it may hold '"' or
 * even a newline: an entry runs to the next line that starts with "- ".
 * States with no file (a delegation being returned) have neither field. */
struct nfsd_state {
    struct text_span type; /* open, lock, deleg, layout */
    bool has_superblock;
    unsigned dev_major, dev_minor;
    uint64_t inode;
    bool has_filename;
    struct text_span filename;
};

/* Returns 1, 0 at the end, or -EINVAL for a malformed entry (as
 * swaps_next). */
int nfsd_states_next(struct text_cursor *cur, struct nfsd_state *state);

#endif
