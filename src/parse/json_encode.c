#include "parse/json_encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse/text_escape.h"
#include "util/vec.h"

enum { JSON_FLUSH_AT = 256 * 1024 };

void json_buffer_init(struct json_buffer *out, FILE *stream)
{
    memset(out, 0, sizeof(*out));
    out->stream = stream;
}

static void json_buffer_flush(struct json_buffer *out)
{
    if (!out->stream || out->error || out->len == 0)
        return;
    if (fwrite(out->data, 1, out->len, out->stream) != out->len)
        out->error = errno ? -errno : -EIO;
    out->len = 0;
}

static char *json_buffer_reserve(struct json_buffer *out, size_t n)
{
    if (out->error)
        return NULL;
    if (out->len + n > out->cap) {
        if (out->len >= JSON_FLUSH_AT)
            json_buffer_flush(out);
        if (vec_reserve((void **)&out->data, &out->cap, out->len + n, 1, JSON_FLUSH_AT * 2) < 0) {
            out->error = -ENOMEM;
            return NULL;
        }
    }
    return out->data + out->len;
}

void json_buffer_put_slow(struct json_buffer *out, const char *s, size_t len)
{
    char *p = json_buffer_reserve(out, len);
    if (!p)
        return;
    memcpy(p, s, len);
    out->len += len;
}

void json_buffer_put_block(struct json_buffer *out, const char *s, size_t len)
{
    if (!out->stream) {
        json_buffer_put(out, s, len);
        return;
    }
    json_buffer_flush(out);
    if (!out->error && len && fwrite(s, 1, len, out->stream) != len)
        out->error = errno ? -errno : -EIO;
}

void json_buffer_puts(struct json_buffer *out, const char *s)
{
    json_buffer_put(out, s, strlen(s));
}

static char *put_u16(char *p, unsigned v)
{
    static const char hex[] = "0123456789ABCDEF";
    *p++ = '\\';
    *p++ = 'u';
    for (int shift = 12; shift >= 0; shift -= 4)
        *p++ = hex[(v >> shift) & 0xf];
    return p;
}

/* A \u escape of four hex digits, or a surrogate pair beyond the BMP. */
static char *put_u_escape(char *p, uint32_t cp)
{
    if (cp < 0x10000)
        return put_u16(p, cp);
    cp -= 0x10000;
    p = put_u16(p, 0xd800 | (cp >> 10));
    return put_u16(p, 0xdc00 | (cp & 0x3ff));
}

void json_buffer_put_string(struct json_buffer *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Worst case: every byte becomes \u00XX. */
    char *p = json_buffer_reserve(out, len * 6 + 2);
    if (!p)
        return;
    char *start = p;
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t n = c >= 0x80 ? utf8_next(s + i, len - i, &cp) : 0;
        if (n > 1) {
            /* C1 controls and invisible format characters are escaped, so
             * a consumer that prints a value cannot be driven by it. */
            if (unicode_is_unsafe(cp)) {
                p = put_u_escape(p, cp);
            } else {
                memcpy(p, s + i, n);
                p += n;
            }
            i += n - 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 0xf];
            p += 5;
        }
    }
    *p++ = '"';
    out->len += (size_t)(p - start);
}

void json_buffer_put_key(struct json_buffer *out, const char *key)
{
    json_buffer_put_string(out, key, strlen(key));
    json_buffer_put(out, ":", 1);
}

void json_buffer_put_uint(struct json_buffer *out, uint64_t v)
{
    /* Hand-rolled: this runs several times per row. */
    char num[24], *p = num + sizeof(num);
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    json_buffer_put(out, p, (size_t)(num + sizeof(num) - p));
}

void json_buffer_put_int(struct json_buffer *out, int64_t v)
{
    if (v < 0) {
        json_buffer_put(out, "-", 1);
        json_buffer_put_uint(out, (uint64_t)0 - (uint64_t)v);
    } else {
        json_buffer_put_uint(out, (uint64_t)v);
    }
}

int json_buffer_finish(struct json_buffer *out)
{
    json_buffer_flush(out);
    if (!out->error && out->stream && fflush(out->stream) != 0)
        out->error = errno ? -errno : -EIO;
    int r = out->error;
    free(out->data);
    out->data = NULL;
    out->len = out->cap = 0;
    return r;
}
