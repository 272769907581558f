#include "mount/mount_filter.h"

#include <stdlib.h>
#include <unistd.h>

/* The mount a row's reference is on, and what counts as the target. */
struct target_view {
    const struct mount_target *t;
    const struct mount_ids *also; /* receiving copies; few */
};

static bool is_target_id(const struct target_view *v, int id)
{
    if (id == v->t->mount_id)
        return true;
    for (size_t i = 0; v->also && i < v->also->len; i++)
        if (v->also->ids[i] == id)
            return true;
    return false;
}

/* A mount id found by looking up a name may be another file's by now. */
static bool mount_id_holds(struct file_record *rec, const struct target_view *v)
{
    if (rec->identity == IDENTITY_PATH)
        rec->possible = true;
    return is_target_id(v, rec->mount_id);
}

static bool same_dev(const struct file_record *rec, const struct mount_target *t)
{
    return rec->has_dev && rec->dev_major == t->dev_major && rec->dev_minor == t->dev_minor;
}

/* --dev: any mount of the filesystem holds its device, and so does one
 * that is in no table any more (a lazy umount): the device decides. */
static bool device_holds(struct file_record *rec, const struct target_view *v)
{
    if (!rec->has_dev)
        return false;
    if (rec->identity == IDENTITY_PATH)
        rec->possible = true;
    return same_dev(rec, v->t);
}

/* Exact mount ids where the kernel gives them; the device alone cannot
 * tell a bind mount or another namespace's copy from this mount, and a
 * path alone can be stale, so those matches are only "possible". */
static bool process_ref_holds(struct file_record *rec, const struct target_view *v)
{
    if (v->t->by_device)
        return device_holds(rec, v);
    if (rec->has_mount_id)
        return mount_id_holds(rec, v);
    rec->possible = true;
    if (rec->has_dev)
        return same_dev(rec, v->t);
    return rec->path && mount_target_covers_path(v->t, rec->path);
}

static bool fixed_file_holds(struct file_record *rec, const struct target_view *v)
{
    if (v->t->by_device && rec->has_dev)
        return device_holds(rec, v);
    /* An exact mount id settles it, whatever the name looks like. */
    if (!v->t->by_device && rec->has_mount_id)
        return mount_id_holds(rec, v);
    if (!rec->path_complete) {
        /* Linux 5.6-6.13 print a bare name: any fixed file might be it. */
        rec->possible = true;
        return true;
    }
    rec->possible = true;
    return rec->path && mount_target_covers_path(v->t, rec->path);
}

static bool record_holds(struct file_record *rec, const struct target_view *v)
{
    switch (source_info(rec->source)->match) {
    case MATCH_PROCESS_REF: return process_ref_holds(rec, v);
    case MATCH_FIXED_FILE: return fixed_file_holds(rec, v);
    case MATCH_FUSE_BACKING: return fixed_file_holds(rec, v);
    case MATCH_URING_RING:
        /* With --deep the ring's files are rows of their own; a ring the
         * kernel view did not see was made after it, and is not guessed
         * at: it must not make an idle mount busy. */
        if (rec->method == METHOD_BPF || rec->unchecked)
            return false;
        rec->possible = true;
        return true;
    case MATCH_FOUND: break;
    }
    return true;
}

void mount_filter_records(struct record_list *records, const struct mount_target *t,
                          const struct mount_ids *also)
{
    const struct target_view v = {t, also};
    size_t kept = 0;
    pid_t self = getpid();
    for (size_t i = 0; i < records->len; i++) {
        struct file_record *rec = records->items[i];
        /* A verdict is about one target: --prometheus filters the same
         * rows against each of its mounts in turn. */
        rec->possible = false;
        rec->effect = EFFECT_NONE;
        /* lshidden's own cwd and libraries go away when it exits. */
        if ((rec->proc && rec->proc->pid == self) || !record_holds(rec, &v))
            continue;
        if (rec->effect == EFFECT_NONE)
            rec->effect = EFFECT_BLOCKS_UMOUNT;
        records->items[kept++] = rec;
    }
    records->len = kept;
}

static int cmp_by_holder(const void *a, const void *b)
{
    const struct file_record *x = *(const struct file_record *const *)a;
    const struct file_record *y = *(const struct file_record *const *)b;
    int rx = source_info(x->source)->holder_rank, ry = source_info(y->source)->holder_rank;
    if (rx != ry)
        return rx < ry ? -1 : 1;
    pid_t px = x->proc ? x->proc->pid : 0, py = y->proc ? y->proc->pid : 0;
    if (px != py)
        return px < py ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

void record_list_sort_by_holder(struct record_list *records)
{
    /* seq keeps the per-process order record_list_sort established. */
    for (size_t i = 0; i < records->len; i++)
        records->items[i]->seq = i;
    if (records->len > 1)
        qsort(records->items, records->len, sizeof(records->items[0]), cmp_by_holder);
}
