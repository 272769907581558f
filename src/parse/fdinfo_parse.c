#include "parse/fdinfo_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse/proc_names.h"
#include "util/vec.h"

struct line_iter {
    const char *p, *end;
    unsigned lineno;
};

static bool next_line(struct line_iter *it, const char **line, size_t *len)
{
    if (it->p >= it->end)
        return false;
    const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
    *line = it->p;
    *len = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
    it->p = nl ? nl + 1 : it->end;
    it->lineno++;
    return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t plen = strlen(prefix);
    return len >= plen && memcmp(s, prefix, plen) == 0;
}

/* Strict decimal: digits only, no sign, no overflow past max. */
static int parse_unsigned(const char *s, size_t len, uint64_t max, uint64_t *value)
{
    return decimal_span_parse(s, len, max, value) ? 0 : -EINVAL;
}

static int parse_int(const char *s, size_t len, int *value)
{
    bool negative = len > 0 && s[0] == '-';
    uint64_t v;
    if (parse_unsigned(s + negative, len - negative, (uint64_t)INT_MAX + negative, &v) < 0)
        return -EINVAL;
    *value = negative ? (int)-(int64_t)v : (int)v;
    return 0;
}

static int fail(struct parse_error *err, unsigned line, const char *reason)
{
    if (err) {
        err->line = line;
        err->reason = reason;
    }
    return -EINVAL;
}

/* A slot entry is "%5u: VALUE": the index right-aligned in five columns,
 * so up to four leading spaces, none once the index has five digits. */
static bool parse_entry(const char *line, size_t len, uint32_t *slot, const char **value,
                        size_t *value_len)
{
    size_t i = 0;
    while (i < len && line[i] == ' ')
        i++;
    size_t spaces = i;
    while (i < len && line[i] >= '0' && line[i] <= '9')
        i++;
    size_t digits = i - spaces;
    if (digits == 0 || spaces + digits < 5 || (spaces > 0 && spaces + digits != 5))
        return false;
    if (i + 2 > len || line[i] != ':' || line[i + 1] != ' ')
        return false;
    uint64_t v;
    if (parse_unsigned(line + spaces, digits, UINT32_MAX, &v) < 0)
        return false;
    *slot = (uint32_t)v;
    *value = line + i + 2;
    *value_len = len - i - 2;
    return true;
}

/* What 6.14+ prints: an absolute d_path, or a pseudo file's d_dname such
 * as "socket:[123]" or "anon_inode:[eventfd]".  Basenames from older
 * kernels never contain '/' and their pseudo names lack the "kind:" part
 * ("TCP", "[eventfd]"), except memfd's "memfd:NAME", which lacks the
 * bracketed number. */
static bool looks_like_full_path(const char *v, size_t len)
{
    if (len > 0 && v[0] == '/')
        return true;
    size_t i = 0;
    while (i < len && ((v[i] >= 'a' && v[i] <= 'z') || v[i] == '_'))
        i++;
    if (i == 0 || i >= len || v[i] != ':')
        return false;
    if (len > 11 && memcmp(v, "anon_inode:", 11) == 0)
        return true;
    return len - i >= 3 && v[i + 1] == '[' && v[len - 1] == ']';
}

static int names_reserve(struct name_table *t, size_t extra)
{
    if (extra > SIZE_MAX - t->names_len)
        return -ENOMEM;
    return vec_reserve((void **)&t->names, &t->names_cap, t->names_len + extra, 1, 4096);
}

static struct name_entry *files_add(struct name_table *t, uint32_t slot)
{
    if (vec_reserve((void **)&t->entries, &t->cap, t->nentries + 1, sizeof(*t->entries), 64) < 0)
        return NULL;
    struct name_entry *f = &t->entries[t->nentries++];
    f->number = slot;
    f->name_off = t->names_len;
    f->name_len = 0;
    f->deleted = false;
    return f;
}

static int octal_digit(char c)
{
    return c >= '0' && c <= '7' ? c - '0' : -1;
}

/* Undo the kernel's mangle_path(): "\ooo" for space, tab, newline and
 * backslash.  A literal backslash is always escaped, so any other use of
 * one means the text is not what the kernel wrote. */
static int decode_escaped(struct name_table *t, struct name_entry *f, const char *v, size_t len)
{
    if (names_reserve(t, len + 1) < 0)
        return -ENOMEM;
    char *out = t->names + t->names_len;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] != '\\') {
            out[n++] = v[i];
            continue;
        }
        if (i + 3 >= len)
            return -EINVAL;
        int a = octal_digit(v[i + 1]), b = octal_digit(v[i + 2]), c = octal_digit(v[i + 3]);
        if (a < 0 || a > 3 || b < 0 || c < 0)
            return -EINVAL;
        char byte = (char)(a << 6 | b << 3 | c);
        if (byte == '\0')
            return -EINVAL;
        out[n++] = byte;
        i += 3;
    }
    static const char suffix[] = " (deleted)";
    const size_t slen = sizeof(suffix) - 1;
    if (n > slen && memcmp(out + n - slen, suffix, slen) == 0) {
        f->deleted = true;
        n -= slen;
    }
    out[n] = '\0';
    f->name_len = n;
    t->names_len += n + 1;
    return 0;
}

static int append_raw(struct name_table *t, struct name_entry *f, const char *v, size_t len)
{
    if (names_reserve(t, len + 1) < 0)
        return -ENOMEM;
    memcpy(t->names + t->names_len, v, len);
    t->names[t->names_len + len] = '\0';
    f->name_len = len;
    t->names_len += len + 1;
    return 0;
}

/* Old-format names are raw, so an embedded newline splits one entry over
 * several lines.  The entry is always the last name in the buffer, so the
 * continuation is appended in place. */
static int append_continuation(struct name_table *t, struct name_entry *f, const char *v,
                               size_t len)
{
    if (names_reserve(t, len + 2) < 0)
        return -ENOMEM;
    char *end = t->names + f->name_off + f->name_len; /* its NUL */
    *end++ = '\n';
    memcpy(end, v, len);
    end[len] = '\0';
    f->name_len += len + 1;
    t->names_len += len + 1;
    return 0;
}

static enum name_format detect_format(const char *buf, size_t len, int *status)
{
    struct line_iter it = {buf, buf + len, 0};
    const char *line, *v;
    size_t llen, vlen;
    uint32_t slot;
    size_t entries = 0, lines = 0;
    bool all_paths = true;

    *status = 0;
    while (next_line(&it, &line, &llen)) {
        lines++;
        if (!parse_entry(line, llen, &slot, &v, &vlen))
            continue;
        entries++;
        if (vlen == 6 && memcmp(v, "<none>", 6) == 0)
            return NAME_FORMAT_NAME;
        if (!looks_like_full_path(v, vlen))
            all_paths = false;
    }
    if (lines == 0)
        return NAME_FORMAT_NONE;
    if (entries == 0) {
        *status = -EINVAL;
        return NAME_FORMAT_NONE;
    }
    return all_paths ? NAME_FORMAT_PATH : NAME_FORMAT_NAME;
}

static int parse_path_format(const char *buf, size_t len, uint32_t table_size, unsigned first_line,
                             struct name_table *t, struct parse_error *err)
{
    struct line_iter it = {buf, buf + len, first_line - 1};
    const char *line, *v;
    size_t llen, vlen;
    uint32_t slot;
    bool have_prev = false;
    uint32_t prev = 0;

    while (next_line(&it, &line, &llen)) {
        if (!parse_entry(line, llen, &slot, &v, &vlen))
            return fail(err, it.lineno, "line is not a \"%5u: PATH\" slot entry");
        if (table_size && slot >= table_size)
            return fail(err, it.lineno, "slot number is beyond the table size");
        if (have_prev && slot <= prev)
            return fail(err, it.lineno, "slot numbers are not increasing");
        struct name_entry *f = files_add(t, slot);
        if (!f)
            return -ENOMEM;
        int r = decode_escaped(t, f, v, vlen);
        if (r == -EINVAL)
            return fail(err, it.lineno, "invalid octal escape in path");
        if (r < 0)
            return r;
        have_prev = true;
        prev = slot;
    }
    return 0;
}

static int parse_name_format(const char *buf, size_t len, uint32_t table_size, unsigned first_line,
                             struct name_table *t, struct parse_error *err)
{
    struct line_iter it = {buf, buf + len, first_line - 1};
    const char *line, *v;
    size_t llen, vlen;
    uint32_t slot;
    uint64_t expected = 0;
    /* The entry that continuation lines extend: NULL before the first
     * slot, and after "<none>" until a continuation proves the file was
     * really named "<none>". */
    struct name_entry *current = NULL;
    bool current_is_none = false;

    while (next_line(&it, &line, &llen)) {
        int r = 0;
        /* Once every slot has been seen, an entry-looking line can only be
         * the last name continuing after a newline. */
        bool next_slot = !table_size || expected < table_size;
        if (next_slot && parse_entry(line, llen, &slot, &v, &vlen) && slot == expected) {
            expected++;
            current_is_none = vlen == 6 && memcmp(v, "<none>", 6) == 0;
            current = NULL;
            if (current_is_none)
                continue;
            if (!(current = files_add(t, slot)))
                return -ENOMEM;
            r = append_raw(t, current, v, vlen);
        } else if (current_is_none) {
            if (!(current = files_add(t, (uint32_t)(expected - 1))))
                return -ENOMEM;
            current_is_none = false;
            r = append_raw(t, current, "<none>", 6);
            if (r == 0)
                r = append_continuation(t, current, line, llen);
        } else if (current) {
            r = append_continuation(t, current, line, llen);
        } else {
            return fail(err, it.lineno, "text before the first slot entry");
        }
        if (r < 0)
            return r;
    }
    if (table_size && expected < table_size)
        return fail(err, first_line, "fewer slot entries than the table size");
    return 0;
}

int name_table_parse(const char *buf, size_t len, uint32_t table_size, unsigned first_line,
                     struct name_table *out, struct parse_error *err)
{
    int status;
    memset(out, 0, sizeof(*out));
    if (first_line == 0)
        first_line = 1;
    /* The kernel never prints a NUL; names are kept NUL-terminated. */
    const char *nul = memchr(buf, '\0', len);
    if (nul) {
        unsigned line = first_line;
        for (const char *p = buf; p < nul; p++)
            line += *p == '\n';
        return fail(err, line, "NUL byte in slot list");
    }
    out->format = detect_format(buf, len, &status);
    if (status < 0)
        return fail(err, first_line, "slot list holds no \"%5u: NAME\" entries");

    int r = 0;
    if (out->format == NAME_FORMAT_PATH)
        r = parse_path_format(buf, len, table_size, first_line, out, err);
    else if (out->format == NAME_FORMAT_NAME)
        r = parse_name_format(buf, len, table_size, first_line, out, err);
    if (r < 0)
        name_table_free(out);
    return r;
}

void name_table_free(struct name_table *table)
{
    free(table->entries);
    free(table->names);
    memset(table, 0, sizeof(*table));
}

/* The UserFiles body runs to the "UserBufs:" line, which every kernel with
 * the section prints right after it. */
static int parse_user_files(struct line_iter *it, const char *value, size_t vlen,
                            struct uring_fdinfo *out, struct parse_error *err)
{
    unsigned header_line = it->lineno;
    uint64_t n;
    if (out->has_user_files)
        return fail(err, header_line, "second UserFiles: line");
    if (parse_unsigned(value, vlen, UINT32_MAX, &n) < 0)
        return fail(err, header_line, "UserFiles: count is not a number");
    out->has_user_files = true;
    out->user_files = (uint32_t)n;

    const char *body = it->p, *line;
    size_t llen;
    while (next_line(it, &line, &llen)) {
        if (!has_prefix(line, llen, "UserBufs:\t"))
            continue;
        if (parse_unsigned(line + 10, llen - 10, UINT32_MAX, &n) < 0)
            return fail(err, it->lineno, "UserBufs: count is not a number");
        out->has_user_bufs = true;
        out->user_bufs = (uint32_t)n;
        /* table_size 0 means "unbounded" to name_table_parse; here it
         * means an empty table, which has no entries. */
        if (out->user_files == 0 && line != body)
            return fail(err, header_line + 1, "entries after \"UserFiles:\t0\"");
        return name_table_parse(body, (size_t)(line - body), out->user_files, header_line + 1,
                                &out->table, err);
    }
    return fail(err, header_line, "UserFiles: section is not followed by UserBufs:");
}

static int parse_fdinfo_line(struct line_iter *it, const char *line, size_t len,
                             struct uring_fdinfo *out, struct parse_error *err)
{
    uint64_t v;
    if (has_prefix(line, len, "mnt_id:\t")) {
        if (parse_int(line + 8, len - 8, &out->mnt_id) < 0)
            return fail(err, it->lineno, "mnt_id: is not a number");
        out->has_mnt_id = true;
    } else if (has_prefix(line, len, "ino:\t")) {
        if (parse_unsigned(line + 5, len - 5, UINT64_MAX, &v) < 0)
            return fail(err, it->lineno, "ino: is not a number");
        out->ino = v;
        out->has_ino = true;
    } else if (has_prefix(line, len, "SqMask:\t")) {
        out->has_uring_section = true;
    } else if (has_prefix(line, len, "SqThread:\t")) {
        if (parse_int(line + 10, len - 10, &out->sq_thread) < 0)
            return fail(err, it->lineno, "SqThread: is not a number");
        out->has_sq_thread = true;
        out->has_uring_section = true;
    } else if (has_prefix(line, len, "UserFiles:\t")) {
        out->has_uring_section = true;
        return parse_user_files(it, line + 11, len - 11, out, err);
    }
    return 0;
}

int uring_fdinfo_parse(const char *buf, size_t len, struct uring_fdinfo *out,
                       struct parse_error *err)
{
    struct line_iter it = {buf, buf + len, 0};
    const char *line;
    size_t llen;

    memset(out, 0, sizeof(*out));
    while (next_line(&it, &line, &llen)) {
        int r = parse_fdinfo_line(&it, line, llen, out, err);
        if (r < 0) {
            uring_fdinfo_free(out);
            return r;
        }
    }
    return 0;
}

void uring_fdinfo_free(struct uring_fdinfo *info)
{
    name_table_free(&info->table);
    memset(info, 0, sizeof(*info));
}

bool uring_fdinfo_maybe_contended(const struct uring_fdinfo *info)
{
    if (!info->has_uring_section || !info->has_user_files)
        return true;
    return info->user_files > 0 && info->table.format == NAME_FORMAT_NONE;
}

int fdinfo_get_u64(const char *buf, size_t len, const char *key, uint64_t *value)
{
    struct line_iter it = {buf, buf + len, 0};
    const char *line;
    size_t llen, klen = strlen(key);

    while (next_line(&it, &line, &llen)) {
        if (llen < klen + 1 || memcmp(line, key, klen) != 0 || line[klen] != ':')
            continue;
        size_t i = klen + 1;
        while (i < llen && (line[i] == '\t' || line[i] == ' '))
            i++;
        return parse_unsigned(line + i, llen - i, UINT64_MAX, value);
    }
    return -ENOENT;
}
