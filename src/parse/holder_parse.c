#include "parse/holder_parse.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

void text_cursor_init(struct text_cursor *cur, const char *buf, size_t len)
{
    cur->p = buf;
    cur->end = buf + len;
    cur->line = 0;
}

static bool next_line(struct text_cursor *cur, struct text_span *line)
{
    if (cur->p >= cur->end)
        return false;
    const char *nl = memchr(cur->p, '\n', (size_t)(cur->end - cur->p));
    line->p = cur->p;
    line->len = nl ? (size_t)(nl - cur->p) : (size_t)(cur->end - cur->p);
    cur->p = nl ? nl + 1 : cur->end;
    cur->line++;
    return true;
}

static bool span_has_prefix(struct text_span s, const char *prefix)
{
    size_t plen = strlen(prefix);
    return s.len >= plen && memcmp(s.p, prefix, plen) == 0;
}

static bool span_equals(struct text_span s, const char *word)
{
    return s.len == strlen(word) && memcmp(s.p, word, s.len) == 0;
}

static struct text_span span_skip(struct text_span s, size_t n)
{
    return (struct text_span){s.p + n, s.len - n};
}

/* The last occurrence of needle in s, or NULL. */
static const char *span_find_last(struct text_span s, const char *needle)
{
    size_t nlen = strlen(needle);
    const char *found = NULL;
    for (const char *p = s.p; nlen <= (size_t)(s.p + s.len - p);) {
        const char *hit = memmem(p, (size_t)(s.p + s.len - p), needle, nlen);
        if (!hit)
            break;
        found = hit;
        p = hit + 1;
    }
    return found;
}

/* Splits off the next field of a line whose fields are separated by runs
 * of blanks (spaces or tabs). */
static bool next_field(struct text_span *rest, struct text_span *field)
{
    size_t i = 0;
    while (i < rest->len && (rest->p[i] == ' ' || rest->p[i] == '\t'))
        i++;
    size_t start = i;
    while (i < rest->len && rest->p[i] != ' ' && rest->p[i] != '\t')
        i++;
    *field = (struct text_span){rest->p + start, i - start};
    *rest = span_skip(*rest, i);
    return field->len > 0;
}

/* Strict unsigned in base 10 or 16: digits only, no sign, no overflow. */
static int parse_unsigned(struct text_span s, unsigned base, uint64_t max, uint64_t *value)
{
    if (s.len == 0)
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        unsigned digit;
        if (c >= '0' && c <= '9')
            digit = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            digit = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            digit = (unsigned)(c - 'A' + 10);
        else
            return -EINVAL;
        if (v > (max - digit) / base)
            return -EINVAL;
        v = v * base + digit;
    }
    *value = v;
    return 0;
}

static int parse_int(struct text_span s, int *value)
{
    bool negative = s.len > 0 && s.p[0] == '-';
    uint64_t v;
    if (parse_unsigned(span_skip(s, negative), 10, (uint64_t)INT_MAX + negative, &v) < 0)
        return -EINVAL;
    *value = negative ? (int)-(int64_t)v : (int)v;
    return 0;
}

/* "MAJ:MIN" in the given base, with the kernel's 12-bit major and 20-bit
 * minor limits. */
static int parse_dev(struct text_span s, unsigned base, unsigned *major, unsigned *minor)
{
    const char *colon = memchr(s.p, ':', s.len);
    if (!colon)
        return -EINVAL;
    struct text_span maj = {s.p, (size_t)(colon - s.p)};
    struct text_span min = {colon + 1, s.len - maj.len - 1};
    uint64_t a, b;
    if (parse_unsigned(maj, base, 0xfff, &a) < 0 || parse_unsigned(min, base, 0xfffff, &b) < 0)
        return -EINVAL;
    *major = (unsigned)a;
    *minor = (unsigned)b;
    return 0;
}

static int octal_digit(char c)
{
    return c >= '0' && c <= '7' ? c - '0' : -1;
}

ssize_t octal_unescape(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            out[n++] = s[i];
            continue;
        }
        if (len - i < 4)
            return -EINVAL;
        int a = octal_digit(s[i + 1]), b = octal_digit(s[i + 2]), c = octal_digit(s[i + 3]);
        if (a < 0 || a > 3 || b < 0 || c < 0 || (a | b | c) == 0)
            return -EINVAL;
        out[n++] = (char)(a << 6 | b << 3 | c);
        i += 3;
    }
    out[n] = '\0';
    return (ssize_t)n;
}

ssize_t holder_decode_path(struct text_span span, bool escaped, char *out, bool *deleted)
{
    ssize_t n;
    if (escaped) {
        n = octal_unescape(span.p, span.len, out);
        if (n < 0)
            return n;
    } else {
        memcpy(out, span.p, span.len);
        out[span.len] = '\0';
        n = (ssize_t)span.len;
    }
    /* The kernel appends the suffix to whatever name the file had; a file
     * really called "x (deleted)" looks the same, so this is a hint. */
    static const char suffix[] = " (deleted)";
    const size_t slen = sizeof(suffix) - 1;
    *deleted = (size_t)n > slen && memcmp(out + n - slen, suffix, slen) == 0;
    if (*deleted) {
        n -= (ssize_t)slen;
        out[n] = '\0';
    }
    return n;
}

int loop_backing_file_parse(const char *buf, size_t len, struct text_span *path)
{
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len == 0 || memchr(buf, '\0', len))
        return -EINVAL;
    *path = (struct text_span){buf, len};
    return 0;
}

static int parse_swap_line(struct text_span line, struct swap_entry *e)
{
    struct text_span rest = line, type, size, used, prio;
    /* The path is escaped, so the first blank ends it. */
    if (line.len == 0 || line.p[0] == ' ' || line.p[0] == '\t')
        return -EINVAL;
    if (!next_field(&rest, &e->path) || !next_field(&rest, &type) || !next_field(&rest, &size) ||
        !next_field(&rest, &used) || !next_field(&rest, &prio))
        return -EINVAL;
    struct text_span extra;
    if (next_field(&rest, &extra))
        return -EINVAL;
    if (span_equals(type, "file"))
        e->is_file = true;
    else if (span_equals(type, "partition"))
        e->is_file = false;
    else
        return -EINVAL;
    if (parse_unsigned(size, 10, UINT64_MAX, &e->size_kib) < 0 ||
        parse_unsigned(used, 10, UINT64_MAX, &e->used_kib) < 0 || parse_int(prio, &e->priority) < 0)
        return -EINVAL;
    return 0;
}

int swaps_next(struct text_cursor *cur, struct swap_entry *entry)
{
    struct text_span line;
    while (next_line(cur, &line)) {
        if (line.len == 0)
            continue;
        if (cur->line == 1 && span_has_prefix(line, "Filename"))
            continue;
        memset(entry, 0, sizeof(*entry));
        return parse_swap_line(line, entry) < 0 ? -EINVAL : 1;
    }
    return 0;
}

int binfmt_entry_parse(const char *buf, size_t len, struct binfmt_entry *entry)
{
    struct text_cursor cur;
    struct text_span status, line;
    memset(entry, 0, sizeof(*entry));
    text_cursor_init(&cur, buf, len);
    if (!next_line(&cur, &status))
        return -EINVAL;
    if (span_equals(status, "enabled"))
        entry->enabled = true;
    else if (!span_equals(status, "disabled"))
        return -EINVAL;

    /* The interpreter is printed raw and could hold a newline, so it runs
     * to the flags line rather than to the end of its own line. */
    static const char interp_key[] = "interpreter ", flags_key[] = "\nflags: ";
    struct text_span rest = {cur.p, (size_t)(cur.end - cur.p)};
    if (!span_has_prefix(rest, interp_key))
        return -EINVAL;
    rest = span_skip(rest, sizeof(interp_key) - 1);
    const char *flags = memmem(rest.p, rest.len, flags_key, sizeof(flags_key) - 1);
    if (!flags || flags == rest.p)
        return -EINVAL;
    entry->interpreter = (struct text_span){rest.p, (size_t)(flags - rest.p)};

    const char *flags_value = flags + sizeof(flags_key) - 1;
    text_cursor_init(&cur, flags_value, (size_t)(buf + len - flags_value));
    if (!next_line(&cur, &line))
        line = (struct text_span){cur.p, 0};
    for (size_t i = 0; i < line.len; i++)
        if (line.p[i] < 'A' || line.p[i] > 'Z')
            return -EINVAL;
    entry->flags = line;
    entry->open_file = memchr(line.p, 'F', line.len) != NULL;
    return 0;
}

static int parse_export_line(struct text_span line, struct nfs_export *e)
{
    const char *tab = memchr(line.p, '\t', line.len);
    if (!tab || tab == line.p)
        return -EINVAL;
    e->path = (struct text_span){line.p, (size_t)(tab - line.p)};
    struct text_span rest = {tab + 1, line.len - e->path.len - 1};
    const char *open = memchr(rest.p, '(', rest.len);
    if (!open || open == rest.p || rest.p[rest.len - 1] != ')')
        return -EINVAL;
    e->client = (struct text_span){rest.p, (size_t)(open - rest.p)};
    e->options = (struct text_span){open + 1, (size_t)(rest.p + rest.len - 1 - (open + 1))};
    /* Both names are escaped, so a raw blank means this is not one entry. */
    if (memchr(e->path.p, ' ', e->path.len) || memchr(e->client.p, ' ', e->client.len) ||
        memchr(e->client.p, '\t', e->client.len))
        return -EINVAL;
    return 0;
}

int exports_next(struct text_cursor *cur, struct nfs_export *export)
{
    struct text_span line;
    while (next_line(cur, &line)) {
        if (line.len == 0 || line.p[0] == '#')
            continue;
        memset(export, 0, sizeof(*export));
        return parse_export_line(line, export) < 0 ? -EINVAL : 1;
    }
    return 0;
}

/* The span after the first "key" in entry, or NULL. */
static const char *find_after(struct text_span entry, const char *key)
{
    const char *hit = memmem(entry.p, entry.len, key, strlen(key));
    return hit ? hit + strlen(key) : NULL;
}

static int parse_superblock(struct text_span entry, struct nfsd_state *st)
{
    const char *v = find_after(entry, "superblock: \"");
    if (!v)
        return 0;
    const char *end = entry.p + entry.len;
    const char *quote = memchr(v, '"', (size_t)(end - v));
    if (!quote)
        return -EINVAL;
    struct text_span value = {v, (size_t)(quote - v)};
    /* "MAJ:MIN:INO": the device in hex, the inode in decimal. */
    const char *last_colon = NULL;
    for (const char *p = value.p; p < quote; p++)
        if (*p == ':')
            last_colon = p;
    if (!last_colon)
        return -EINVAL;
    struct text_span dev = {value.p, (size_t)(last_colon - value.p)};
    struct text_span ino = {last_colon + 1, (size_t)(quote - last_colon - 1)};
    if (parse_dev(dev, 16, &st->dev_major, &st->dev_minor) < 0 ||
        parse_unsigned(ino, 10, UINT64_MAX, &st->inode) < 0)
        return -EINVAL;
    st->has_superblock = true;
    return 0;
}

/* The name is raw, so its closing quote is found from what the kernel
 * prints after it: ", owner: " (whose value is escaped and never holds a
 * quote), ", admin-revoked", or the closing " }". */
static int parse_filename(struct text_span entry, struct nfsd_state *st)
{
    const char *v = find_after(entry, "filename: \"");
    if (!v)
        return 0;
    struct text_span tail = {v, (size_t)(entry.p + entry.len - v)};
    const char *close = span_find_last(tail, "\", owner: \"");
    if (!close)
        close = span_find_last(tail, "\", admin-revoked");
    if (!close && tail.len >= 3 && memcmp(tail.p + tail.len - 3, "\" }", 3) == 0)
        close = tail.p + tail.len - 3;
    if (!close)
        return -EINVAL;
    st->filename = (struct text_span){v, (size_t)(close - v)};
    st->has_filename = true;
    return 0;
}

static int parse_state_entry(struct text_span entry, struct nfsd_state *st)
{
    const char *t = find_after(entry, ": { type: ");
    if (!t)
        return -EINVAL;
    const char *end = entry.p + entry.len;
    const char *p = t;
    while (p < end && *p >= 'a' && *p <= 'z')
        p++;
    if (p == t)
        return -EINVAL;
    st->type = (struct text_span){t, (size_t)(p - t)};
    if (entry.len < 2 || memcmp(end - 2, " }", 2) != 0)
        return -EINVAL;
    if (parse_superblock(entry, st) < 0 || parse_filename(entry, st) < 0)
        return -EINVAL;
    return 0;
}

int nfsd_states_next(struct text_cursor *cur, struct nfsd_state *state)
{
    struct text_span line;
    do {
        if (!next_line(cur, &line))
            return 0;
    } while (line.len == 0);
    memset(state, 0, sizeof(*state));
    if (!span_has_prefix(line, "- "))
        return -EINVAL;

    /* A filename with a newline continues the entry on the next lines. */
    struct text_span entry = line;
    while (cur->p < cur->end && !(cur->end - cur->p >= 2 && memcmp(cur->p, "- ", 2) == 0)) {
        if (!next_line(cur, &line))
            break;
        entry.len = (size_t)(line.p + line.len - entry.p);
    }
    while (entry.len > 0 && entry.p[entry.len - 1] == '\n')
        entry.len--;
    return parse_state_entry(entry, state) < 0 ? -EINVAL : 1;
}
