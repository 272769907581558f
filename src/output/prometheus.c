#include "output/prometheus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse/text_escape.h"
#include "util/vec.h"

char *prom_label_value(const char *s)
{
    char *valid = utf8_replace_invalid(s, strlen(s));
    char *out = valid ? malloc(strlen(valid) * 2 + 1) : NULL;
    if (!out) {
        free(valid);
        return NULL;
    }
    char *o = out;
    for (const char *p = valid; *p; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n')
            *o++ = '\\';
        *o++ = *p == '\n' ? 'n' : *p;
    }
    *o = '\0';
    free(valid);
    return out;
}

static void put_family(FILE *out, const char *name, const char *help)
{
    fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* ---- lshidden_hidden_files ------------------------------------------------- */

/* One hidden row as its labels; rows with equal keys are one sample.  The
 * command is compared once escaped, so names that differ only in invalid
 * UTF-8 never make two samples with the same labels. */
struct hidden_key {
    enum file_source source;
    char *command;
    pid_t pid; /* 0 without --prometheus-pids, or without a process */
};

struct hidden_keys {
    struct hidden_key *items;
    size_t len, cap;
};

static int cmp_hidden(const void *a, const void *b)
{
    const struct hidden_key *x = a, *y = b;
    if (x->source != y->source)
        return x->source < y->source ? -1 : 1;
    int c = strcmp(x->command, y->command);
    if (c)
        return c;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static int collect_hidden(const struct prom_report *r, struct hidden_keys *keys)
{
    for (size_t i = 0; i < r->records->len; i++) {
        const struct file_record *rec = r->records->items[i];
        if (!rec->hidden)
            continue;
        const struct process_info *proc = rec->proc;
        char *command = prom_label_value(proc && proc->command ? proc->command : "");
        pid_t pid = r->pid_label && proc ? proc->pid : 0;
        if (!command || VEC_APPEND(keys, ((struct hidden_key){rec->source, command, pid})) < 0) {
            free(command);
            return -ENOMEM;
        }
    }
    if (keys->len > 1) /* items is NULL without rows */
        qsort(keys->items, keys->len, sizeof(*keys->items), cmp_hidden);
    return 0;
}

static void put_hidden_sample(FILE *out, const struct hidden_key *k, bool pid_label, size_t n)
{
    fprintf(out, "lshidden_hidden_files{source=\"%s\",command=\"%s\"", file_source_name(k->source),
            k->command);
    if (pid_label && k->pid)
        fprintf(out, ",pid=\"%d\"", (int)k->pid);
    else if (pid_label)
        fputs(",pid=\"\"", out);
    fprintf(out, "} %zu\n", n);
}

static int put_hidden(FILE *out, const struct prom_report *r)
{
    put_family(out, "lshidden_hidden_files",
               r->pid_label
                   ? "Files the kernel holds outside fd tables, by source, command and pid."
                   : "Files the kernel holds outside fd tables, by source and command.");
    struct hidden_keys keys = {0};
    int err = collect_hidden(r, &keys);
    for (size_t i = 0, run = 1; !err && i < keys.len; i++, run++) {
        if (i + 1 < keys.len && cmp_hidden(&keys.items[i], &keys.items[i + 1]) == 0)
            continue;
        put_hidden_sample(out, &keys.items[i], r->pid_label, run);
        run = 0;
    }
    for (size_t i = 0; i < keys.len; i++)
        free(keys.items[i].command);
    free(keys.items);
    return err;
}

/* ---- lshidden_mount_holders ------------------------------------------------ */

static bool same_unit(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

int prom_mount_count(struct prom_mount *m, const char *mountpoint,
                     const struct record_list *holders)
{
    memset(m, 0, sizeof(*m));
    m->mountpoint = mountpoint;
    for (size_t i = 0; i < holders->len; i++) {
        const struct file_record *rec = holders->items[i];
        const char *holder = source_info(rec->source)->holder;
        const char *unit = rec->proc ? rec->proc->unit : NULL;
        struct prom_holder_sample *sample = NULL;
        for (size_t k = 0; !sample && k < m->samples.len; k++) {
            struct prom_holder_sample *s = &m->samples.items[k];
            if (!strcmp(s->holder, holder) && s->effect == rec->effect &&
                s->possible == rec->possible && same_unit(s->unit, unit))
                sample = s;
        }
        if (!sample && !(sample = VEC_PUSH(&m->samples)))
            return -ENOMEM;
        *sample = (struct prom_holder_sample){holder, rec->effect, rec->possible, unit,
                                              sample->count + 1};
    }
    return 0;
}

void prom_mount_free(struct prom_mount *m)
{
    free(m->samples.items);
    memset(m, 0, sizeof(*m));
}

/* A service manager acts on units: each holder sample says which. */
static int put_mount(FILE *out, const struct prom_mount *m, const char *mountpoint)
{
    for (size_t i = 0; i < m->samples.len; i++) {
        const struct prom_holder_sample *s = &m->samples.items[i];
        char *unit = prom_label_value(s->unit ? s->unit : "");
        if (!unit)
            return -ENOMEM;
        fprintf(out,
                "lshidden_mount_holders{mountpoint=\"%s\",holder=\"%s\",effect=\"%s\","
                "possible=\"%s\",unit=\"%s\"} %zu\n",
                mountpoint, s->holder, holder_effect_name(s->effect),
                s->possible ? "true" : "false", unit, s->count);
        free(unit);
    }
    return 0;
}

static int put_mounts(FILE *out, const struct prom_report *r)
{
    if (!r->nmounts)
        return 0;
    put_family(out, "lshidden_mount_holders",
               "Holders of each --mount target, by holder kind, effect, certainty and systemd "
               "unit.");
    int err = 0;
    for (size_t i = 0; i < r->nmounts && err == 0; i++) {
        char *mountpoint = prom_label_value(r->mounts[i].mountpoint);
        err = mountpoint ? put_mount(out, &r->mounts[i], mountpoint) : -ENOMEM;
        free(mountpoint);
    }
    return err;
}

/* ---- processes, warnings, the run ------------------------------------------ */

/* A process the scan could not read, or lost, is named by a per-process
 * warning; a process with both counts once, as unreadable. */
struct pid_kind {
    pid_t pid;
    enum warning_kind kind;
};

static int cmp_pid_kind(const void *a, const void *b)
{
    const struct pid_kind *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return (x->kind > y->kind) - (x->kind < y->kind);
}

static int count_lost(const struct warning_list *warnings, size_t *unreadable, size_t *vanished)
{
    struct pid_kind *lost = malloc((warnings->len + 1) * sizeof(*lost));
    if (!lost)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < warnings->len; i++) {
        const struct warning *w = &warnings->items[i];
        if (w->pid && (w->kind == WARN_PERMISSION || w->kind == WARN_VANISHED))
            lost[n++] = (struct pid_kind){w->pid, w->kind};
    }
    qsort(lost, n, sizeof(*lost), cmp_pid_kind); /* WARN_PERMISSION first */
    for (size_t i = 0; i < n; i++)
        if (i == 0 || lost[i].pid != lost[i - 1].pid)
            ++*(lost[i].kind == WARN_PERMISSION ? unreadable : vanished);
    free(lost);
    return 0;
}

static int put_processes(FILE *out, const struct prom_report *r)
{
    size_t unreadable = 0, vanished = 0, total = r->processes->len;
    int err = count_lost(r->warnings, &unreadable, &vanished);
    if (err)
        return err;
    size_t inspected = total > unreadable + vanished ? total - unreadable - vanished : 0;
    put_family(out, "lshidden_processes", "Processes scanned, by what the scan could read.");
    fprintf(out, "lshidden_processes{state=\"inspected\"} %zu\n", inspected);
    fprintf(out, "lshidden_processes{state=\"unreadable\"} %zu\n", unreadable);
    fprintf(out, "lshidden_processes{state=\"vanished\"} %zu\n", vanished);
    return 0;
}

static void put_warnings(FILE *out, const struct warning_list *warnings)
{
    size_t count[WARN_KIND_COUNT] = {0};
    for (size_t i = 0; i < warnings->len; i++)
        if (warnings->items[i].kind < WARN_KIND_COUNT)
            count[warnings->items[i].kind]++;
    put_family(out, "lshidden_warnings", "Warnings of the run, by kind.");
    for (int k = 0; k < WARN_KIND_COUNT; k++)
        fprintf(out, "lshidden_warnings{reason=\"%s\"} %zu\n", warning_kind_name(k), count[k]);
}

static void put_run(FILE *out, const struct prom_report *r)
{
    put_family(out, "lshidden_scan_duration_seconds", "How long the scan took.");
    fprintf(out, "lshidden_scan_duration_seconds %.6f\n", r->scan_seconds);
    put_family(out, "lshidden_kernel_view",
               "1 when the kernel's own view (BPF iterators) was read, else 0.");
    fprintf(out, "lshidden_kernel_view %d\n", r->kernel_view ? 1 : 0);
}

int output_prometheus(const struct prom_report *r, FILE *out)
{
    int err = put_hidden(out, r);
    if (!err)
        err = put_mounts(out, r);
    if (!err)
        err = put_processes(out, r);
    if (!err) {
        put_warnings(out, r->warnings);
        put_run(out, r);
    }
    if (!err && fflush(out) != 0)
        err = errno ? -errno : -EIO;
    if (!err && ferror(out))
        err = -EIO;
    return err;
}
