/* util/sorted: sets of pids, and keeping only the keys that name one item. */
#include <string.h>

#include "unit.h"
#include "util/sorted.h"

struct item {
    int key, tag;
};

static int cmp_item(const void *a, const void *b)
{
    int x = ((const struct item *)a)->key, y = ((const struct item *)b)->key;
    return (x > y) - (x < y);
}

TEST(lone_keys_are_kept_in_order)
{
    struct item items[] = {{5, 0}, {3, 1}, {5, 2}, {9, 3}, {1, 4}, {9, 5}, {9, 6}, {7, 7}};
    size_t n =
        sorted_keep_lone(items, sizeof(items) / sizeof(items[0]), sizeof(items[0]), cmp_item);
    CHECK_EQ_INT(n, 3);
    CHECK(items[0].key == 1 && items[0].tag == 4);
    CHECK(items[1].key == 3 && items[1].tag == 1);
    CHECK(items[2].key == 7 && items[2].tag == 7);
}

TEST(lone_keys_edges)
{
    struct item one = {4, 0};
    CHECK_EQ_INT(sorted_keep_lone(NULL, 0, sizeof(one), cmp_item), 0);
    CHECK_EQ_INT(sorted_keep_lone(&one, 1, sizeof(one), cmp_item), 1);
    struct item same[] = {{2, 0}, {2, 1}};
    CHECK_EQ_INT(sorted_keep_lone(same, 2, sizeof(same[0]), cmp_item), 0);
}

TEST(pid_sets)
{
    pid_t pids[] = {30, 10, 20, 10, 30};
    size_t n = sorted_pids_unique(pids, 5);
    CHECK_EQ_INT(n, 3);
    CHECK(pids[0] == 10 && pids[1] == 20 && pids[2] == 30);
    CHECK(sorted_pids_has(pids, n, 20));
    CHECK(!sorted_pids_has(pids, n, 25));
    CHECK(!sorted_pids_has(pids, 0, 10));
}
