#include "output/cell_fit.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "parse/text_escape.h"

static size_t char_width(uint32_t cp, size_t n)
{
    if (n == 1)
        return 1;
    int w = wcwidth((wchar_t)cp);
    return w > 0 ? (size_t)w : 0;
}

size_t text_width(const char *s, bool utf8)
{
    size_t width = 0, len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp = (unsigned char)s[i];
        size_t n = utf8 && cp >= 0x80 ? utf8_next(s + i, len - i, &cp) : 1;
        n = n ? n : 1;
        width += char_width(cp, n);
        i += n;
    }
    return width;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

size_t cell_fit_limit(size_t *widths, size_t n, size_t header)
{
    if (n == 0)
        return header;
    qsort(widths, n, sizeof(*widths), cmp_size);
    /* Up to ten rows nothing is cut: the table is small whatever it holds. */
    size_t limit = widths[n * 9 / 10 < n ? n * 9 / 10 : n - 1];
    if (limit < header)
        limit = header;
    /* Short values (numbers, kinds, names) are never cut: only the rare
     * long one, which would pad every row, is worth it. */
    return limit < CELL_FIT_MIN ? CELL_FIT_MIN : limit;
}

char *text_cut(const char *s, size_t width, bool utf8)
{
    const char *mark = utf8 ? "\xe2\x80\xa6" : "~"; /* "…" */
    size_t len = strlen(s), end = 0, used = 0;
    while (end < len) {
        uint32_t cp = (unsigned char)s[end];
        size_t n = utf8 && cp >= 0x80 ? utf8_next(s + end, len - end, &cp) : 1;
        n = n ? n : 1;
        size_t w = char_width(cp, n);
        if (used + w + 1 > width)
            break;
        used += w;
        end += n;
    }
    char *out = malloc(end + strlen(mark) + 1);
    if (!out)
        return NULL;
    memcpy(out, s, end);
    strcpy(out + end, width ? mark : "");
    return out;
}
