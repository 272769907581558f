/* Making arbitrary file-name bytes safe for terminals and JSON. */
#ifndef LSHIDDEN_TEXT_ESCAPE_H
#define LSHIDDEN_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);

/* Lower-case hex of the bytes; malloc'd, NULL on allocation failure. */
char *hex_encode(const char *s, size_t len);

/* Valid UTF-8 copy, with each byte of an invalid sequence replaced by
 * U+FFFD; malloc'd, NULL on allocation failure. */
char *utf8_replace_invalid(const char *s, size_t len);

/* Copy in which control characters (C0, DEL, C1), invalid UTF-8,
 * characters the locale cannot print and the backslash itself are written
 * as \xHH, so a name can neither drive the terminal nor be confused with an
 * escape.  keep_utf8 false (a non-UTF-8 locale) escapes every non-ASCII
 * byte.  malloc'd. */
char *terminal_escape(const char *s, size_t len, bool keep_utf8);

#endif
