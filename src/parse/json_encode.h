/* A minimal JSON writer for the hot path: strings, numbers and literals
 * appended to a buffer that is flushed to a stream in large writes. */
#ifndef LSHIDDEN_JSON_ENCODE_H
#define LSHIDDEN_JSON_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct json_buffer {
    char *data;
    size_t len, cap;
    FILE *stream; /* NULL: keep everything in memory (tests) */
    int error;    /* first -errno; later writes are dropped */
};

void json_buffer_init(struct json_buffer *out, FILE *stream);
/* Appends len bytes where they do not fit the buffer (it grows, or is
 * written out first); json_buffer_put() calls it then. */
void json_buffer_put_slow(struct json_buffer *out, const char *s, size_t len);

/* Inline: a row of JSON is tens of short appends. */
static inline void json_buffer_put(struct json_buffer *out, const char *s, size_t len)
{
    if (out->data && len <= out->cap - out->len && !out->error) {
        memcpy(out->data + out->len, s, len);
        out->len += len;
    } else {
        json_buffer_put_slow(out, s, len);
    }
}

/* A NUL-terminated literal: JSON punctuation, keywords, layout. */
void json_buffer_puts(struct json_buffer *out, const char *s);
/* The same for a string literal, its length known when compiled (the
 * hot path writes several a value). */
#define JSON_PUT_LITERAL(out, lit) json_buffer_put((out), "" lit, sizeof(lit) - 1)
/* A JSON string of valid UTF-8 s: quotes, backslash and control characters
 * escaped the way jansson does ("\n", "\u001B").  The caller makes invalid
 * UTF-8 valid first. */
void json_buffer_put_string(struct json_buffer *out, const char *s, size_t len);
void json_buffer_put_key(struct json_buffer *out, const char *key);
void json_buffer_put_int(struct json_buffer *out, int64_t v);
void json_buffer_put_uint(struct json_buffer *out, uint64_t v);
/* Appends len bytes encoded elsewhere: to a stream, what the buffer holds
 * is written first and s after it, not copied. */
void json_buffer_put_block(struct json_buffer *out, const char *s, size_t len);
/* Flushes and frees; returns 0 or the first -errno. */
int json_buffer_finish(struct json_buffer *out);

#endif
