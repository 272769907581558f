#include "parse/cgroup_parse.h"

#include <string.h>

enum { CONTAINER_ID_HEX = 64 };

/* A span of text: a path component, a line's fields. */
struct span {
    const char *s;
    size_t len;
};

static bool span_is(struct span sp, const char *word)
{
    return sp.len == strlen(word) && memcmp(sp.s, word, sp.len) == 0;
}

static bool span_ends_with(struct span sp, const char *suffix)
{
    size_t n = strlen(suffix);
    return sp.len >= n && memcmp(sp.s + sp.len - n, suffix, n) == 0;
}

/* The component of path[*pos..len) after any slashes; *pos moves past it. */
static struct span next_component(const char *path, size_t len, size_t *pos)
{
    while (*pos < len && path[*pos] == '/')
        (*pos)++;
    struct span c = {path + *pos, 0};
    while (*pos < len && path[*pos] != '/')
        (*pos)++, c.len++;
    return c;
}

/* systemd's unit types: what may follow a unit name's last dot. */
static bool unit_type_valid(struct span suffix)
{
    static const char *const types[] = {"service",   "socket", "target", "device", "mount", "swap",
                                        "automount", "timer",  "path",   "slice",  "scope"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (span_is(suffix, types[i]))
            return true;
    return false;
}

/* unit_name_is_valid(): a plain name, or an instance with a non-empty
 * instance ("getty@tty1.service"); templates do not run processes. */
static bool unit_name_valid(struct span name, bool allow_instance)
{
    static const char valid[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ:-_.\\@";
    if (name.len == 0 || name.len >= CGROUP_UNIT_MAX)
        return false;
    const char *dot = NULL, *at = NULL;
    for (size_t i = 0; i < name.len; i++)
        if (name.s[i] == '.')
            dot = name.s + i;
    if (!dot || dot == name.s)
        return false;
    if (!unit_type_valid((struct span){dot + 1, (size_t)(name.s + name.len - dot - 1)}))
        return false;
    for (const char *p = name.s; p < dot; p++) {
        if (!memchr(valid, *p, sizeof(valid) - 1))
            return false;
        if (*p == '@' && !at)
            at = p;
    }
    if (at == name.s)
        return false;
    return !at || (allow_instance && dot > at + 1);
}

/* cg_unescape(): systemd prefixes "_" to names the kernel would refuse. */
static struct span cgroup_unescape(struct span c)
{
    if (c.len > 0 && c.s[0] == '_')
        c.s++, c.len--;
    return c;
}

static bool is_slice(struct span c)
{
    return c.len >= strlen("x.slice") && span_ends_with(c, ".slice") &&
           unit_name_valid(cgroup_unescape(c), false);
}

bool cgroup_path_unit(const char *path, size_t len, char *unit)
{
    size_t pos = 0;
    struct span c;
    do
        c = next_component(path, len, &pos);
    while (is_slice(c));
    if (c.len < 3)
        return false;
    c = cgroup_unescape(c);
    if (!unit_name_valid(c, true) || span_ends_with(c, ".slice"))
        return false;
    memcpy(unit, c.s, c.len);
    unit[c.len] = '\0';
    return true;
}

static bool is_container_id(struct span sp)
{
    if (sp.len != CONTAINER_ID_HEX)
        return false;
    for (size_t i = 0; i < sp.len; i++)
        if (!((sp.s[i] >= '0' && sp.s[i] <= '9') || (sp.s[i] >= 'a' && sp.s[i] <= 'f')))
            return false;
    return true;
}

static bool is_runtime(struct span name)
{
    static const char *const runtimes[] = {"docker", "libpod", "cri-containerd", "crio"};
    for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
        if (span_is(name, runtimes[i]))
            return true;
    return false;
}

/* "RUNTIME-ID.scope", "RUNTIME-ID", "SLICE:RUNTIME:ID" or a bare "ID". */
static bool component_container(struct span c, struct span *id)
{
    if (span_ends_with(c, ".scope"))
        c.len -= strlen(".scope");
    if (c.len < CONTAINER_ID_HEX)
        return false;
    *id = (struct span){c.s + c.len - CONTAINER_ID_HEX, CONTAINER_ID_HEX};
    if (!is_container_id(*id))
        return false;
    if (c.len == CONTAINER_ID_HEX)
        return true;
    char sep = id->s[-1];
    struct span runtime = {c.s, c.len - CONTAINER_ID_HEX - 1};
    if (sep == ':') {
        const char *colon = memchr(c.s, ':', runtime.len);
        if (!colon)
            return false;
        runtime = (struct span){colon + 1, (size_t)(id->s - 1 - colon - 1)};
    }
    return (sep == '-' || sep == ':') && is_runtime(runtime);
}

bool cgroup_path_container(const char *path, size_t len, char *id)
{
    bool found = false;
    size_t pos = 0;
    struct span c, match;
    /* The innermost match wins: a container nested in another one. */
    while ((c = next_component(path, len, &pos)).len > 0)
        if (component_container(c, &match)) {
            memcpy(id, match.s, CGROUP_CONTAINER_LEN);
            id[CGROUP_CONTAINER_LEN] = '\0';
            found = true;
        }
    return found;
}

/* Which hierarchy a line is of, in the order the answers are taken. */
enum cgroup_rank { RANK_V2, RANK_SYSTEMD, RANK_OTHER, RANK_COUNT };

/* "ID:CONTROLLERS:PATH"; the path may hold colons itself. */
static bool line_fields(struct span line, enum cgroup_rank *rank, struct span *path)
{
    const char *c1 = memchr(line.s, ':', line.len);
    const char *end = line.s + line.len;
    const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
    if (!c2)
        return false;
    struct span id = {line.s, (size_t)(c1 - line.s)};
    struct span controllers = {c1 + 1, (size_t)(c2 - c1 - 1)};
    *path = (struct span){c2 + 1, (size_t)(end - c2 - 1)};
    if (span_is(id, "0") && controllers.len == 0)
        *rank = RANK_V2;
    else
        *rank = span_is(controllers, "name=systemd") ? RANK_SYSTEMD : RANK_OTHER;
    return true;
}

static void take_answers(struct span path, enum cgroup_rank rank, struct cgroup_owner *owner)
{
    if (!owner->unit[0] && rank != RANK_OTHER)
        cgroup_path_unit(path.s, path.len, owner->unit);
    if (!owner->container[0])
        cgroup_path_container(path.s, path.len, owner->container);
}

void cgroup_file_parse(const char *text, size_t len, struct cgroup_owner *owner)
{
    memset(owner, 0, sizeof(*owner));
    for (int want = RANK_V2; want < RANK_COUNT; want++) {
        for (const char *p = text, *end = text + len; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            struct span line = {p, (size_t)((nl ? nl : end) - p)}, path;
            enum cgroup_rank rank;
            if (line_fields(line, &rank, &path) && rank == (enum cgroup_rank)want)
                take_answers(path, rank, owner);
            p = nl ? nl + 1 : end;
        }
    }
}
