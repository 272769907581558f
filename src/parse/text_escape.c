#include "parse/text_escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *hex_encode(const char *s, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(len * 2 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[(unsigned char)s[i] >> 4];
        out[2 * i + 1] = digits[(unsigned char)s[i] & 0xf];
    }
    out[len * 2] = '\0';
    return out;
}

char *utf8_replace_invalid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

size_t utf8_next(const char *s, size_t len, uint32_t *cp)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    const unsigned char *p = (const unsigned char *)s;
    size_t n = utf8_seq_len(p, len);
    if (n == 0)
        return 0;
    *cp = p[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++)
        *cp = *cp << 6 | (p[i] & 0x3f);
    return n;
}

/* Unicode's format characters (category Cf, as of Unicode 15.1), which
 * are invisible and may reorder or hide the text around them. */
static const struct {
    uint32_t first, last;
} format_chars[] = {
    {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},
    {0x070f, 0x070f},   {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},
    {0x200b, 0x200f},   {0x202a, 0x202e},   {0x2060, 0x2064},   {0x2066, 0x206f},
    {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
    {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
    {0xe0020, 0xe007f},
};

bool unicode_is_unsafe(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return true; /* C0, DEL, C1 */
    if (cp == 0x2028 || cp == 0x2029)
        return true; /* line and paragraph separators */
    for (size_t i = 0; i < sizeof(format_chars) / sizeof(format_chars[0]); i++)
        if (cp >= format_chars[i].first && cp <= format_chars[i].last)
            return true;
    return false;
}

/* Printable by the terminal as is: nothing unsafe, not the backslash our
 * escapes start with, and (for multibyte characters) something the locale
 * knows to be printable. */
static bool printable_seq(const char *s, size_t n, uint32_t cp, bool keep_utf8)
{
    if (n == 1)
        return !unicode_is_unsafe(cp) && s[0] != '\\';
    return keep_utf8 && !unicode_is_unsafe(cp) && wcwidth((wchar_t)cp) >= 0;
}

/* Display columns of one character that printable_seq let through. */
static size_t printable_width(size_t n, uint32_t cp)
{
    if (n == 1)
        return 1;
    int w = wcwidth((wchar_t)cp);
    return w > 0 ? (size_t)w : 0;
}

size_t terminal_escape_into(char *out, const char *s, size_t len, bool keep_utf8, size_t *width)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, w = 0;
    for (size_t i = 0; i < len;) {
        /* Printable ASCII is nearly every byte of a path or a name. */
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
            out[o++] = (char)p[i++];
            w++;
            continue;
        }
        uint32_t cp = 0;
        size_t n = p[i] < 0x80 ? 1 : utf8_next(s + i, len - i, &cp);
        size_t count = n ? n : 1;
        if (p[i] >= 0x80 && n && printable_seq(s + i, n, cp, keep_utf8)) {
            memcpy(out + o, s + i, n);
            o += n;
            w += printable_width(n, cp);
        } else {
            for (size_t k = 0; k < count; k++) {
                out[o++] = '\\';
                out[o++] = 'x';
                out[o++] = digits[p[i + k] >> 4];
                out[o++] = digits[p[i + k] & 0xf];
            }
            w += 4 * count;
        }
        i += count;
    }
    out[o] = '\0';
    if (width)
        *width = w;
    return o;
}

char *terminal_escape(const char *s, size_t len, bool keep_utf8)
{
    char *out = malloc(len * 4 + 1);
    if (out)
        terminal_escape_into(out, s, len, keep_utf8, NULL);
    return out;
}
