#include "parse/uprobe_parse.h"

#include <errno.h>
#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The next line with anything but blanks on it; false at the end. */
static bool next_nonblank_line(struct text_cursor *cur, struct text_span *line)
{
    while (cur->p < cur->end) {
        const char *nl = memchr(cur->p, '\n', (size_t)(cur->end - cur->p));
        line->p = cur->p;
        line->len = nl ? (size_t)(nl - cur->p) : (size_t)(cur->end - cur->p);
        cur->p = nl ? nl + 1 : cur->end;
        cur->line++;
        for (size_t i = 0; i < line->len; i++)
            if (!is_blank(line->p[i]))
                return true;
    }
    return false;
}

/* Splits off the next blank-separated field. */
static bool next_field(struct text_span *rest, struct text_span *field)
{
    size_t i = 0;
    while (i < rest->len && is_blank(rest->p[i]))
        i++;
    size_t start = i;
    while (i < rest->len && !is_blank(rest->p[i]))
        i++;
    *field = (struct text_span){rest->p + start, i - start};
    *rest = (struct text_span){rest->p + i, rest->len - i};
    return field->len > 0;
}

/* "0x" and 1 to 16 hex digits: how the kernel prints an unsigned long. */
static int parse_hex(struct text_span s, uint64_t *value)
{
    if (s.len < 3 || s.len > 18 || s.p[0] != '0' || (s.p[1] != 'x' && s.p[1] != 'X'))
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 2; i < s.len; i++) {
        char c = s.p[i];
        unsigned digit;
        if (c >= '0' && c <= '9')
            digit = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            digit = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            digit = (unsigned)(c - 'A' + 10);
        else
            return -EINVAL;
        v = v << 4 | digit;
    }
    *value = v;
    return 0;
}

/* "p:GROUP/EVENT" or "r:GROUP/EVENT"; the kernel always prints the group
 * (the default one is "uprobes"), and neither name holds a '/'. */
static int parse_name(struct text_span name, struct uprobe_event *ev)
{
    if (name.len < 5 || (name.p[0] != 'p' && name.p[0] != 'r') || name.p[1] != ':')
        return -EINVAL;
    ev->is_return = name.p[0] == 'r';
    ev->name = name;
    struct text_span both = {name.p + 2, name.len - 2};
    const char *slash = memchr(both.p, '/', both.len);
    if (!slash)
        return -EINVAL;
    ev->group = (struct text_span){both.p, (size_t)(slash - both.p)};
    ev->event = (struct text_span){slash + 1, both.len - ev->group.len - 1};
    if (ev->group.len == 0 || ev->event.len == 0 || memchr(ev->event.p, '/', ev->event.len))
        return -EINVAL;
    return 0;
}

/* "PATH:0xOFFSET" or "PATH:0xOFFSET(0xREFCTR)": the last ':' ends the path,
 * as it did when the kernel read the command. */
static int parse_point(struct text_span point, struct uprobe_event *ev)
{
    const char *colon = NULL;
    for (size_t i = point.len; i > 0; i--)
        if (point.p[i - 1] == ':') {
            colon = point.p + i - 1;
            break;
        }
    if (!colon || colon == point.p)
        return -EINVAL;
    ev->path = (struct text_span){point.p, (size_t)(colon - point.p)};
    struct text_span where = {colon + 1, point.len - ev->path.len - 1};
    const char *paren = memchr(where.p, '(', where.len);
    ev->has_ref_ctr = paren != NULL;
    ev->ref_ctr_offset = 0;
    if (paren) {
        struct text_span ref = {paren + 1, where.len - (size_t)(paren - where.p) - 1};
        if (ref.len < 2 || ref.p[ref.len - 1] != ')')
            return -EINVAL;
        ref.len--;
        where.len = (size_t)(paren - where.p);
        if (parse_hex(ref, &ev->ref_ctr_offset) < 0)
            return -EINVAL;
    }
    return parse_hex(where, &ev->offset);
}

int uprobe_events_next(struct text_cursor *cur, struct uprobe_event *ev)
{
    struct text_span line, name, point;
    if (!next_nonblank_line(cur, &line))
        return 0;
    memset(ev, 0, sizeof(*ev));
    /* A NUL would cut the path short wherever it is used as a string. */
    if (memchr(line.p, '\0', line.len))
        return -EINVAL;
    struct text_span rest = line;
    if (!next_field(&rest, &name) || !next_field(&rest, &point))
        return -EINVAL;
    if (parse_name(name, ev) < 0 || parse_point(point, ev) < 0)
        return -EINVAL;
    /* The rest are fetchargs (" NAME=ARG"), which say nothing about the
     * file: they are not checked, so a new kind of them is no reason to
     * lose the probe. */
    return 1;
}
