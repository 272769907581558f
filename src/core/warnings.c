#include "core/warnings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse/text_escape.h"
#include "util/vec.h"

void warning_add(struct warning_list *list, enum warning_kind kind, pid_t pid, const char *path,
                 const char *fmt, ...)
{
    if (VEC_RESERVE(list, list->len + 1) < 0)
        return; /* losing a warning beats aborting the listing */
    struct warning *w = &list->items[list->len];
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&w->reason, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    w->kind = kind;
    w->pid = pid;
    w->path = path ? strdup(path) : NULL;
    list->len++;
}

const char *warning_kind_name(enum warning_kind kind)
{
    static const char *const names[WARN_KIND_COUNT] = {
        [WARN_PERMISSION] = "permission",
        [WARN_VANISHED] = "vanished",
        [WARN_RING_BUSY] = "ring-busy",
        [WARN_MALFORMED] = "malformed",
        [WARN_IO] = "io",
        [WARN_NOT_FOUND] = "not-found",
        [WARN_FUSE_HIDDEN] = "fuse-hidden",
        [WARN_DEEP] = "deep",
    };
    return kind < WARN_KIND_COUNT ? names[kind] : "unknown";
}

enum warning_kind warning_kind_for_errno(int err)
{
    if (err < 0)
        err = -err;
    if (err == EACCES || err == EPERM)
        return WARN_PERMISSION;
    if (err == ENOENT || err == ESRCH)
        return WARN_VANISHED;
    return WARN_IO;
}

static size_t count_kind(const struct warning_list *list, enum warning_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < list->len; i++)
        n += list->items[i].kind == kind;
    return n;
}

enum { DETAILS_SHOWN = 5 };

void warnings_print_summary(const struct warning_list *list, FILE *stream)
{
    size_t denied = count_kind(list, WARN_PERMISSION);
    size_t vanished = count_kind(list, WARN_VANISHED);
    if (denied)
        fprintf(stream, "lshidden: %zu process%s could not be inspected (permission denied%s\n",
                denied, denied == 1 ? "" : "es",
                geteuid() == 0 ? " even to root: a security module or ptrace restriction)"
                               : "); run as root for a complete view");
    if (vanished)
        fprintf(stream, "lshidden: %zu process%s exited while being scanned\n", vanished,
                vanished == 1 ? "" : "es");

    size_t shown = 0, other = list->len - denied - vanished;
    for (size_t i = 0; i < list->len && shown < DETAILS_SHOWN; i++) {
        const struct warning *w = &list->items[i];
        if (w->kind == WARN_PERMISSION || w->kind == WARN_VANISHED)
            continue;
        /* Paths come from the kernel, and reasons may quote names too. */
        char *path = w->path ? terminal_escape(w->path, strlen(w->path), false) : NULL;
        char *reason = terminal_escape(w->reason, strlen(w->reason), false);
        const char *why = reason ? reason : "?";
        if (w->pid)
            fprintf(stream, "lshidden: pid %d: %s%s%s\n", (int)w->pid, path ? path : "",
                    path ? ": " : "", why);
        else
            fprintf(stream, "lshidden: %s%s%s\n", path ? path : "", path ? ": " : "", why);
        free(path);
        free(reason);
        shown++;
    }
    if (other > shown)
        fprintf(stream, "lshidden: ... and %zu more warnings (see -J output)\n", other - shown);
}

struct warning_order {
    pid_t pid;
    size_t index;
};

static int cmp_order(const void *a, const void *b)
{
    const struct warning_order *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

void warning_list_sort(struct warning_list *list)
{
    if (list->len < 2)
        return;
    struct warning_order *order = malloc(list->len * sizeof(*order));
    struct warning *sorted = malloc(list->len * sizeof(*sorted));
    if (order && sorted) {
        for (size_t i = 0; i < list->len; i++)
            order[i] = (struct warning_order){list->items[i].pid, i};
        qsort(order, list->len, sizeof(*order), cmp_order);
        for (size_t i = 0; i < list->len; i++)
            sorted[i] = list->items[order[i].index];
        memcpy(list->items, sorted, list->len * sizeof(*sorted));
    }
    free(order);
    free(sorted);
}

int warning_list_move(struct warning_list *list, struct warning_list *src)
{
    if (src->len) {
        if (VEC_RESERVE(list, list->len + src->len) < 0)
            return -ENOMEM;
        memcpy(list->items + list->len, src->items, src->len * sizeof(*src->items));
        list->len += src->len;
    }
    free(src->items);
    memset(src, 0, sizeof(*src));
    return 0;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_warning(const struct warning *a, const struct warning *b)
{
    return a->kind == b->kind && a->pid == b->pid && same_text(a->path, b->path) &&
           same_text(a->reason, b->reason);
}

void warning_list_drop_repeats(struct warning_list *list, size_t from)
{
    size_t kept = from;
    for (size_t i = from; i < list->len; i++) {
        struct warning *w = &list->items[i];
        bool repeated = false;
        for (size_t k = 0; k < kept && !repeated; k++)
            repeated = same_warning(&list->items[k], w);
        if (repeated) {
            free(w->path);
            free(w->reason);
        } else {
            list->items[kept++] = *w;
        }
    }
    list->len = kept;
}

void warning_list_drop_if(struct warning_list *list,
                          bool (*drop)(const struct warning *w, void *arg), void *arg)
{
    size_t kept = 0;
    for (size_t i = 0; i < list->len; i++) {
        if (!drop(&list->items[i], arg)) {
            list->items[kept++] = list->items[i];
            continue;
        }
        free(list->items[i].path);
        free(list->items[i].reason);
    }
    list->len = kept;
}

void warning_list_free(struct warning_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].path);
        free(list->items[i].reason);
    }
    free(list->items);
    memset(list, 0, sizeof(*list));
}

size_t warning_list_unseen(const struct warning_list *list)
{
    size_t n = 0;
    for (size_t i = 0; i < list->len; i++) {
        enum warning_kind k = list->items[i].kind;
        n += k == WARN_PERMISSION || k == WARN_IO || k == WARN_MALFORMED || k == WARN_RING_BUSY;
    }
    return n;
}
