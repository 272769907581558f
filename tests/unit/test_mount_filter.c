/* Unit tests of --mount's filter: which rows hold the target, and which
 * only possibly. */
#include <string.h>

#include "mount/mount_filter.h"
#include "unit.h"

struct fixture {
    struct arena arena;
    struct record_list rows;
    struct process_info proc;
    struct mount_target target;
};

static void fx_init(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    record_list_init(&fx->rows, &fx->arena);
    fx->proc.pid = 4242;
    fx->target.mount_id = 40;
    fx->target.mountpoint = "/srv/data";
}

static void fx_free(struct fixture *fx)
{
    record_list_free(&fx->rows);
    arena_free(&fx->arena);
}

static struct file_record *fixed_row(struct fixture *fx, const char *path, bool complete)
{
    struct file_record *rec = record_list_add(&fx->rows, &fx->proc, SOURCE_URING_FIXED);
    rec->path = path;
    rec->path_complete = complete;
    return rec;
}

TEST(exact_mount_id_settles_a_cut_path)
{
    struct fixture fx;
    fx_init(&fx);
    struct file_record *on = fixed_row(&fx, "file", false);
    on->has_mount_id = true;
    on->mount_id = 40;
    struct file_record *off = fixed_row(&fx, "other", false);
    off->has_mount_id = true;
    off->mount_id = 41;
    mount_filter_records(&fx.rows, &fx.target, NULL);
    CHECK_EQ_INT(fx.rows.len, 1);
    CHECK(fx.rows.len == 1 && fx.rows.items[0] == on);
    CHECK(!on->possible);
    CHECK_EQ_INT(on->effect, EFFECT_BLOCKS_UMOUNT);
    fx_free(&fx);
}

TEST(bare_name_without_mount_id_is_possible)
{
    struct fixture fx;
    fx_init(&fx);
    struct file_record *bare = fixed_row(&fx, "file", false);
    mount_filter_records(&fx.rows, &fx.target, NULL);
    CHECK_EQ_INT(fx.rows.len, 1);
    CHECK(bare->possible);
    fx_free(&fx);
}

TEST(receiving_copies_count_as_the_target)
{
    struct fixture fx;
    fx_init(&fx);
    struct file_record *cwd = record_list_add(&fx.rows, &fx.proc, SOURCE_CWD);
    cwd->has_mount_id = true;
    cwd->mount_id = 90; /* the copy in another namespace */
    int ids[] = {90};
    struct mount_ids also = {ids, 1};
    mount_filter_records(&fx.rows, &fx.target, &also);
    CHECK_EQ_INT(fx.rows.len, 1);
    CHECK(!cwd->possible);
    mount_filter_records(&fx.rows, &fx.target, NULL);
    CHECK_EQ_INT(fx.rows.len, 0);
    fx_free(&fx);
}

TEST(ring_made_after_the_kernel_pass_is_left_out)
{
    struct fixture fx;
    fx_init(&fx);
    struct file_record *seen = record_list_add(&fx.rows, &fx.proc, SOURCE_URING_RING);
    struct file_record *late = record_list_add(&fx.rows, &fx.proc, SOURCE_URING_RING);
    late->unchecked = true;
    mount_filter_records(&fx.rows, &fx.target, NULL);
    /* The procfs-only ring is a possible holder; the unchecked one is not
     * guessed at, so it cannot make an idle mount busy. */
    CHECK_EQ_INT(fx.rows.len, 1);
    CHECK(fx.rows.len == 1 && fx.rows.items[0] == seen && seen->possible);
    fx_free(&fx);
}
