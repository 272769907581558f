/* --mount's table summary: "/srv/data is held by 3 processes (5
 * references, 2 hidden) of postgresql.service, 1 loop device", or that
 * nothing holds it. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "output/mount_summary.h"
#include "parse/text_escape.h"

struct holder_counts {
    size_t processes, references, hidden;           /* certain holders */
    size_t possible_processes, possible_references; /* possible only */
    size_t possible_other;
    size_t by_source[SOURCE_COUNT];
    /* One certain holder process per distinct unit or container, in the
     * order of the rows. */
    const struct process_info **owners;
    size_t nowners;
};

enum { OWNERS_NAMED = 3 }; /* more are counted, not named */

static bool same_owner(const struct process_info *a, const struct process_info *b)
{
    if (a->container || b->container)
        return a->container && b->container && strcmp(a->container, b->container) == 0;
    return strcmp(a->unit, b->unit) == 0;
}

static void add_owner(struct holder_counts *c, const struct process_info *p)
{
    if (!c->owners || (!p->unit && !p->container))
        return;
    for (size_t i = 0; i < c->nowners; i++)
        if (same_owner(c->owners[i], p))
            return;
    c->owners[c->nowners++] = p;
}

static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

/* Distinct pids of certain[0..n) and of possible[0..m) not in certain. */
static void count_pids(pid_t *certain, size_t n, pid_t *possible, size_t m, size_t *ncertain,
                       size_t *npossible)
{
    qsort(certain, n, sizeof(*certain), cmp_pid);
    qsort(possible, m, sizeof(*possible), cmp_pid);
    *ncertain = *npossible = 0;
    for (size_t i = 0; i < n; i++)
        *ncertain += i == 0 || certain[i] != certain[i - 1];
    for (size_t i = 0; i < m; i++)
        if ((i == 0 || possible[i] != possible[i - 1]) &&
            !bsearch(&possible[i], certain, n, sizeof(*certain), cmp_pid))
            (*npossible)++;
}

static void count_holders(const struct record_list *records, struct holder_counts *c)
{
    memset(c, 0, sizeof(*c));
    size_t cap = records->len ? records->len : 1, n = 0, m = 0;
    pid_t *certain = malloc(cap * sizeof(pid_t)), *possible = malloc(cap * sizeof(pid_t));
    c->owners = malloc(cap * sizeof(*c->owners));
    for (size_t i = 0; i < records->len; i++) {
        const struct file_record *rec = records->items[i];
        bool process = source_info(rec->source)->process_reference;
        if (!process && rec->possible)
            c->possible_other++;
        else if (!process)
            c->by_source[rec->source]++;
        else if (rec->possible)
            c->possible_references++;
        else
            c->references++, c->hidden += rec->hidden;
        if (process && rec->proc && certain && possible) {
            if (rec->possible) {
                possible[m++] = rec->proc->pid;
            } else {
                certain[n++] = rec->proc->pid;
                add_owner(c, rec->proc);
            }
        }
    }
    if (certain && possible)
        count_pids(certain, n, possible, m, &c->processes, &c->possible_processes);
    free(certain);
    free(possible);
}

/* " of postgresql.service", " of a.service, container 0123456789ab and
 * b.service", " of a, b, c and 2 more". */
static void put_owners(FILE *stream, const struct holder_counts *c)
{
    size_t named = c->nowners > OWNERS_NAMED ? OWNERS_NAMED : c->nowners;
    for (size_t i = 0; i < named; i++) {
        const struct process_info *p = c->owners[i];
        const char *label = p->container ? p->container : p->unit;
        bool last = i + 1 == named && named == c->nowners;
        fputs(i == 0 ? " of " : last ? " and " : ", ", stream);
        /* Escaped like the mount point: a unit name may hold a backslash. */
        char *name = terminal_escape(label, strlen(label), false);
        fprintf(stream, "%s%s", p->container ? "container " : "", name ? name : "");
        free(name);
    }
    if (c->nowners > named)
        fprintf(stream, " and %zu more", c->nowners - named);
}

static void put_count(FILE *stream, bool *first, size_t n, const char *one, const char *many)
{
    if (!n)
        return;
    fprintf(stream, "%s%zu %s", *first ? " " : ", ", n, n == 1 ? one : many);
    *first = false;
}

/* The kernel's own holders, in the order they are listed. */
static void put_holder_counts(FILE *stream, bool *first, const struct holder_counts *c)
{
    int max_rank = 0;
    for (int s = 0; s < SOURCE_COUNT; s++)
        if (source_table[s].holder_rank > max_rank)
            max_rank = source_table[s].holder_rank;
    for (int rank = 0; rank <= max_rank; rank++)
        for (int s = 0; s < SOURCE_COUNT; s++)
            if (source_table[s].holder_rank == rank && source_table[s].one)
                put_count(stream, first, c->by_source[s], source_table[s].one,
                          source_table[s].many);
}

static void put_possible(FILE *stream, const struct holder_counts *c, bool certain)
{
    bool first = true;
    if (!c->possible_references && !c->possible_other)
        return;
    fputs(certain ? "; possibly also by" : "; possibly by", stream);
    if (c->possible_references && !c->possible_processes) {
        /* Only processes already counted: more of their references. */
        fprintf(stream, " %zu more reference%s of %s", c->possible_references,
                c->possible_references == 1 ? "" : "s",
                c->processes == 1 ? "that process" : "those processes");
        first = false;
    } else if (c->possible_references) {
        fprintf(stream, " %zu %sprocess%s (%zu reference%s)", c->possible_processes,
                certain ? "more " : "", c->possible_processes == 1 ? "" : "es",
                c->possible_references, c->possible_references == 1 ? "" : "s");
        first = false;
    }
    put_count(stream, &first, c->possible_other, "other holder", "other holders");
}

void mount_report_summary(const struct record_list *records, const struct mount_target *t,
                          size_t unseen, FILE *stream)
{
    struct holder_counts c;
    count_holders(records, &c);
    char *mp = terminal_escape(t->mountpoint, strlen(t->mountpoint), false);
    if (!records->len) {
        /* Never "free" on a partial view: what was not seen may hold it. */
        if (unseen)
            fprintf(stream,
                    "%s is held by nothing lshidden can see, but it could not see everything "
                    "(%zu warning%s): it may still be busy\n",
                    mp ? mp : "", unseen, unseen == 1 ? "" : "s");
        else
            fprintf(stream, "%s is held by nothing lshidden can see; it can be unmounted\n",
                    mp ? mp : "");
        free(c.owners);
        free(mp);
        return;
    }
    bool first = true;
    fprintf(stream, "%s is held by", mp ? mp : "");
    if (c.processes) {
        fprintf(stream, " %zu process%s (%zu reference%s, %zu hidden)", c.processes,
                c.processes == 1 ? "" : "es", c.references, c.references == 1 ? "" : "s", c.hidden);
        put_owners(stream, &c);
        first = false;
    }
    put_holder_counts(stream, &first, &c);
    bool certain = !first;
    if (!certain)
        fputs(" nothing certain", stream);
    put_possible(stream, &c, certain);
    fputc('\n', stream);
    free(c.owners);
    free(mp);
}
