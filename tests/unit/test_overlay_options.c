/* Unit tests of the overlayfs layer parser: the options mountinfo shows. */
#include <string.h>

#include "parse/overlay_options.h"
#include "unit.h"

static struct overlay_layers parse(const char *options)
{
    struct overlay_layers layers = {0};
    CHECK_EQ_INT(overlay_layers_parse(options, &layers), 0);
    return layers;
}

static void check_layer(const struct overlay_layers *l, size_t i, enum overlay_role role,
                        const char *path)
{
    CHECK(i < l->len);
    if (i < l->len) {
        CHECK_EQ_INT(l->items[i].role, role);
        CHECK_EQ_STR(l->items[i].path, path);
    }
}

TEST(legacy_options)
{
    struct overlay_layers l =
        parse("rw,lowerdir=/lo/a:/lo/b,upperdir=/up,workdir=/wk,uuid=on,redirect_dir=on");
    CHECK_EQ_INT(l.len, 4);
    check_layer(&l, 0, OVERLAY_LOWER, "/lo/a");
    check_layer(&l, 1, OVERLAY_LOWER, "/lo/b");
    check_layer(&l, 2, OVERLAY_UPPER, "/up");
    check_layer(&l, 3, OVERLAY_WORK, "/wk");
    overlay_layers_free(&l);
}

TEST(escaped_names)
{
    /* "lo w,er" and "c:d" and a backslash, as overlayfs escapes them. */
    struct overlay_layers l =
        parse("rw,lowerdir=/t/lo w\\,er:/t/c\\:d,upperdir=/t/b\\\\s,workdir=/w");
    CHECK_EQ_INT(l.len, 4);
    check_layer(&l, 0, OVERLAY_LOWER, "/t/lo w,er");
    check_layer(&l, 1, OVERLAY_LOWER, "/t/c:d");
    check_layer(&l, 2, OVERLAY_UPPER, "/t/b\\s");
    check_layer(&l, 3, OVERLAY_WORK, "/w");
    overlay_layers_free(&l);
}

TEST(data_only_layers_and_new_api)
{
    struct overlay_layers l = parse("ro,lowerdir=/a::/d1::/d2");
    CHECK_EQ_INT(l.len, 3);
    check_layer(&l, 0, OVERLAY_LOWER, "/a");
    check_layer(&l, 1, OVERLAY_DATA, "/d1");
    check_layer(&l, 2, OVERLAY_DATA, "/d2");
    overlay_layers_free(&l);

    l = parse("rw,lowerdir+=/x,lowerdir+=/y,datadir+=/z,upperdir=/u,workdir=/w");
    CHECK_EQ_INT(l.len, 5);
    check_layer(&l, 0, OVERLAY_LOWER, "/x");
    check_layer(&l, 1, OVERLAY_LOWER, "/y");
    check_layer(&l, 2, OVERLAY_DATA, "/z");
    overlay_layers_free(&l);
}

TEST(nothing_to_find)
{
    const char *cases[] = {"",     "rw",           "rw,uuid=on",   "lowerdir", "lowerdir=",
                           "=x,,", "lowerdirx=/a", "xlowerdir=/a", ",,,"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct overlay_layers l = parse(cases[i]);
        CHECK_EQ_INT(l.len, 0);
        overlay_layers_free(&l);
    }
    struct overlay_layers l = {0};
    CHECK_EQ_INT(overlay_layers_parse(NULL, &l), 0);
    CHECK_EQ_INT(l.len, 0);
    /* A trailing backslash is kept, not read past. */
    l = parse("upperdir=/u\\");
    check_layer(&l, 0, OVERLAY_UPPER, "/u\\");
    overlay_layers_free(&l);
}
