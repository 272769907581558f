/* Making arbitrary file-name bytes safe for terminals and JSON. */
#ifndef LSHIDDEN_TEXT_ESCAPE_H
#define LSHIDDEN_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool utf8_valid(const char *s, size_t len);

/* The length (1-4) of the valid UTF-8 sequence at s, with its code point
 * in *cp; 0 if the bytes there are not valid UTF-8. */
size_t utf8_next(const char *s, size_t len, uint32_t *cp);

/* Whether a code point must never reach a terminal raw: C0 and C1
 * controls, DEL, Unicode format characters (Cf: bidirectional embeddings,
 * overrides and isolates, zero-width characters, U+FEFF, U+061C, ...) and
 * the line and paragraph separators. */
bool unicode_is_unsafe(uint32_t cp);

/* Lower-case hex of the bytes; malloc'd, NULL on allocation failure. */
char *hex_encode(const char *s, size_t len);

/* Valid UTF-8 copy, with each byte of an invalid sequence replaced by
 * U+FFFD; malloc'd, NULL on allocation failure. */
char *utf8_replace_invalid(const char *s, size_t len);

/* Copy in which every unsafe character (see unicode_is_unsafe), invalid
 * UTF-8, characters the locale cannot print and the backslash itself are
 * written as \xHH, byte by byte, so a name can neither drive the terminal,
 * hide or reorder text, nor be confused with an escape.  The one escaping
 * function of every text mode and message.  keep_utf8 false (a non-UTF-8 locale) escapes every
 * non-ASCII byte.  malloc'd. */
char *terminal_escape(const char *s, size_t len, bool keep_utf8);

/* terminal_escape into out (room for len * 4 + 1 bytes), with no
 * allocation; returns the bytes written (NUL not counted) and, if width
 * is not NULL, stores the display columns of the result there. */
size_t terminal_escape_into(char *out, const char *s, size_t len, bool keep_utf8, size_t *width);

#endif
