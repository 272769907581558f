#include "output/cell_fit.h"

#include <errno.h>
#include <stdint.h>
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

int width_census_add(struct width_census *c, size_t width)
{
    if (width >= CELL_FIT_DIRECT) {
        if (c->nwide == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            size_t *wide = realloc(c->wide, cap * sizeof(*wide));
            if (!wide)
                return -ENOMEM;
            c->wide = wide;
            c->cap = cap;
        }
        c->wide[c->nwide++] = width;
    } else {
        c->count[width]++;
    }
    c->n++;
    if (width > c->max)
        c->max = width;
    return 0;
}

void width_census_free(struct width_census *c)
{
    free(c->wide);
    c->wide = NULL;
    c->nwide = c->cap = 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The width of rank k (from 0) in ascending order. */
static size_t census_rank(struct width_census *c, size_t k)
{
    size_t below = 0;
    for (size_t w = 0; w < CELL_FIT_DIRECT; w++) {
        below += c->count[w];
        if (k < below)
            return w;
    }
    qsort(c->wide, c->nwide, sizeof(*c->wide), cmp_size);
    return c->wide[k - below];
}

size_t width_census_fit_limit(struct width_census *c, size_t header)
{
    if (c->n == 0)
        return header;
    /* Up to ten rows nothing is cut: the table is small whatever it holds. */
    size_t n = c->n, limit = census_rank(c, n * 9 / 10 < n ? n * 9 / 10 : n - 1);
    if (limit < header)
        limit = header;
    /* Short values (numbers, kinds, names) are never cut: only the rare
     * long one, which would pad every row, is worth it. */
    return limit < CELL_FIT_MIN ? CELL_FIT_MIN : limit;
}

size_t width_census_max_upto(const struct width_census *c, size_t limit)
{
    if (c->max <= limit)
        return c->max;
    size_t best = 0;
    for (size_t i = 0; i < c->nwide; i++)
        if (c->wide[i] <= limit && c->wide[i] > best)
            best = c->wide[i];
    for (size_t w = limit < CELL_FIT_DIRECT ? limit + 1 : CELL_FIT_DIRECT; w-- > best;)
        if (c->count[w])
            return w;
    return best;
}

size_t text_cut_len(const char *s, size_t len, size_t width, bool utf8, size_t *used)
{
    size_t end = 0, cols = 0;
    while (end < len) {
        uint32_t cp = (unsigned char)s[end];
        size_t n = utf8 && cp >= 0x80 ? utf8_next(s + end, len - end, &cp) : 1;
        n = n ? n : 1;
        size_t w = char_width(cp, n);
        if (cols + w + 1 > width)
            break;
        cols += w;
        end += n;
    }
    *used = cols;
    return end;
}

const char *text_cut_mark(bool utf8)
{
    return utf8 ? "\xe2\x80\xa6" : "~"; /* "…" */
}
