/* Messages on stderr, reported once, at the edge: a path or argument in
 * them is a user's bytes, so it is escaped like any other text. */
#ifndef LSHIDDEN_OUTPUT_MESSAGES_H
#define LSHIDDEN_OUTPUT_MESSAGES_H

/* "lshidden: PREFIXPATH: REASON" */
void message_path_error(const char *prefix, const char *path, const char *reason);

/* "lshidden: write error: ..." for -errno err; nothing for EPIPE (a
 * closed pipe is the reader's choice). */
void message_write_error(int err);

#endif
