/* The hand-written table against libsmartcols, which wrote it before: the
 * same cells must give the same bytes, for random tables of ASCII, wide
 * and combining characters, controls, invalid UTF-8 and long outliers, in
 * a UTF-8 and a C locale, with -r and -n.  The reference below is the old
 * output_table: escape, cut the outliers of all but the last column (nine
 * cells in ten, CELL_FIT_MIN), then scols_print_table. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include <libsmartcols/libsmartcols.h>

#include "output/cell_fit.h"
#include "output/output.h"
#include "parse/text_escape.h"
#include "unit.h"

enum { NCOLS = 6, MAXROWS = 300 };

struct row {
    const char *s[NCOLS];
    int64_t num;
    int flag; /* -1 null */
};

static const struct column_info cols[NCOLS] = {
    {.name = "NAME", .json_key = "name", .kind = COLKIND_STRING, .width_hint = 15},
    {.name = "N", .json_key = "n", .kind = COLKIND_NUMBER, .width_hint = 5, .flags = COLF_RIGHT},
    {.name = "WHERE", .json_key = "where", .kind = COLKIND_STRING, .width_hint = 0.2},
    {.name = "OK", .json_key = "ok", .kind = COLKIND_BOOL, .width_hint = 3, .empty_text = "-"},
    {.name = "R", .json_key = "r", .kind = COLKIND_STRING, .width_hint = 4, .flags = COLF_RIGHT},
    {.name = "LAST", .json_key = "last", .kind = COLKIND_STRING, .width_hint = 0.4},
};

static void row_value(const void *r, int id, struct column_value *v)
{
    const struct row *row = r;
    memset(v, 0, sizeof(*v));
    v->kind = cols[id].kind;
    if (id == 1)
        column_set_num(v, row->num != INT64_MIN, row->num);
    else if (id == 3)
        column_set_bool(v, row->flag);
    else
        column_set_str(v, row->s[id]);
}

static const struct column_set set = {"rows", cols, NCOLS, row_value};

static struct row rows[MAXROWS];
static char text[MAXROWS][NCOLS][200];

static const void *row_at(const void *ctx, size_t i)
{
    (void)ctx;
    return &rows[i];
}

static uint32_t seed = 12345;
static uint32_t rnd(uint32_t n)
{
    seed = seed * 1103515245 + 12345;
    return (seed >> 8) % n;
}

static void random_text(char *out, size_t cap)
{
    static const char *const pieces[] = {
        "a",
        "bc",
        "/usr/lib",
        "x y",
        "\\",
        "\x1b[2J",
        "\t",
        "\xc3\xa9",
        "\xe6\xbc\xa2", /* 漢, two columns */
        "e\xcc\x81",    /* e + combining acute */
        "\xff",
        "\xe2\x80\xae",
        "0123456789",
        "\xf0\x9f\x98\x80",
        "-",
        "\xc2\x9b",
    };
    size_t n = rnd(10) == 0 ? 20 + rnd(40) : rnd(6), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
        if (len + strlen(p) + 1 > cap)
            break;
        memcpy(out + len, p, strlen(p) + 1);
        len += strlen(p);
    }
}

static void make_rows(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < NCOLS; c++) {
            random_text(text[i][c], sizeof(text[i][c]));
            rows[i].s[c] = rnd(8) == 0 ? NULL : text[i][c];
        }
        rows[i].num = rnd(6) == 0 ? INT64_MIN : (int64_t)rnd(100000) - 500;
        rows[i].flag = (int)rnd(3) - 1;
    }
}

/* The old writer's width of escaped text, and its cut. */
static size_t old_width(const char *s, bool utf8)
{
    size_t width = 0, len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp = (unsigned char)s[i];
        size_t n = utf8 && cp >= 0x80 ? utf8_next(s + i, len - i, &cp) : 1;
        n = n ? n : 1;
        int w = n == 1 ? 1 : wcwidth((wchar_t)cp);
        width += w > 0 ? (size_t)w : 0;
        i += n;
    }
    return width;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static char *reference(size_t nrows, const struct output_options *opts, bool utf8)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    struct libscols_table *tb = scols_new_table();
    scols_table_enable_raw(tb, opts->raw);
    scols_table_enable_noheadings(tb, opts->noheadings);
    scols_table_enable_noencoding(tb, !opts->raw);
    scols_table_set_stream(tb, f);
    for (size_t c = 0; c < NCOLS; c++) {
        const struct column_info *col = &cols[opts->columns[c]];
        scols_table_new_column(tb, col->name, col->width_hint,
                               col->flags & COLF_RIGHT ? SCOLS_FL_RIGHT : 0);
    }
    static char *cell[MAXROWS][NCOLS];
    for (size_t i = 0; i < nrows; i++) {
        for (size_t c = 0; c < NCOLS; c++) {
            struct column_value v;
            char num[32];
            row_value(&rows[i], opts->columns[c], &v);
            const char *t = column_value_text(&v, num, sizeof(num));
            if (!t || !*t)
                t = cols[opts->columns[c]].empty_text;
            cell[i][c] = !t ? NULL : opts->raw ? strdup(t) : terminal_escape(t, strlen(t), utf8);
        }
    }
    for (size_t c = 0; !opts->raw && c + 1 < NCOLS; c++) {
        size_t widths[MAXROWS], n = 0;
        for (size_t i = 0; i < nrows; i++)
            widths[n++] = cell[i][c] ? old_width(cell[i][c], utf8) : 0;
        qsort(widths, n, sizeof(*widths), cmp_size);
        size_t limit = widths[n * 9 / 10 < n ? n * 9 / 10 : n - 1];
        size_t header = strlen(cols[opts->columns[c]].name);
        limit = limit < header ? header : limit;
        limit = limit < CELL_FIT_MIN ? CELL_FIT_MIN : limit;
        for (size_t i = 0; i < nrows; i++) {
            if (!cell[i][c] || old_width(cell[i][c], utf8) <= limit)
                continue;
            size_t used, end = text_cut_len(cell[i][c], strlen(cell[i][c]), limit, utf8, &used);
            strcpy(cell[i][c] + end, text_cut_mark(utf8));
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        struct libscols_line *line = scols_table_new_line(tb, NULL);
        for (size_t c = 0; c < NCOLS; c++)
            if (cell[i][c])
                scols_line_refer_data(line, c, cell[i][c]);
    }
    scols_print_table(tb);
    scols_unref_table(tb);
    fclose(f);
    return buf;
}

static char *ours(size_t nrows, const struct output_options *opts)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    struct output_rows r = {nrows, row_at, NULL};
    CHECK_EQ_INT(output_table(&r, opts, f), 0);
    fclose(f);
    return buf;
}

static void compare(const char *locale)
{
    if (!setlocale(LC_ALL, locale))
        return;
    bool utf8 = output_locale_is_utf8();
    static const size_t sizes[] = {1, 3, 12, 57, MAXROWS};
    static const int orders[2][NCOLS] = {{0, 1, 2, 3, 4, 5}, {5, 3, 2, 0, 4, 1}};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (int mode = 0; mode < 8; mode++) {
            const int *order = orders[mode >> 2];
            make_rows(sizes[k]);
            struct output_options opts = {.set = &set,
                                          .columns = order,
                                          .ncolumns = NCOLS,
                                          .raw = mode & 1,
                                          .noheadings = mode & 2};
            char *want = reference(sizes[k], &opts, utf8), *got = ours(sizes[k], &opts);
            if (strcmp(want, got) != 0) {
                fprintf(stderr, "  %s, %zu rows, mode %d:\n--- libsmartcols\n%s--- ours\n%s",
                        locale, sizes[k], mode, want, got);
                unit_failures_in_test++;
            }
            free(want);
            free(got);
        }
    }
}

TEST(table_matches_libsmartcols_utf8)
{
    if (isatty(STDOUT_FILENO))
        return; /* libsmartcols would fit the reference to the terminal */
    compare("C.UTF-8");
}

TEST(table_matches_libsmartcols_c_locale)
{
    if (isatty(STDOUT_FILENO))
        return;
    compare("C");
}

/* A cut that a double-width character straddles ends one column short
 * of the limit, and the column is only as wide as that. */
TEST(table_cut_before_a_wide_character)
{
    if (isatty(STDOUT_FILENO) || !setlocale(LC_ALL, "C.UTF-8"))
        return;
    static const int order[NCOLS] = {0, 1, 2, 3, 4, 5};
    struct output_options opts = {.set = &set, .columns = order, .ncolumns = NCOLS};
    for (size_t i = 0; i < 20; i++) {
        rows[i] = (struct row){.s = {"a", "b", "c", NULL, "d", "e"}, .num = 1, .flag = 1};
        text[i][0][0] = '\0';
    }
    for (size_t i = 0; i < 40; i++)
        strcat(text[0][0], "\xe6\xbc\xa2");
    rows[0].s[0] = text[0][0];
    char *want = reference(20, &opts, true), *got = ours(20, &opts);
    CHECK_EQ_STR(got, want);
    /* NAME is 31 columns, then a space and N, right-aligned in its 5. */
    CHECK(strncmp(got, "NAME", 4) == 0 && strspn(got + 4, " ") == 27 + 1 + 4 && got[36] == 'N');
    free(want);
    free(got);
}

TEST(width_census_limit_is_the_ninth_decile)
{
    struct width_census c = {0};
    for (size_t w = 1; w <= 100; w++)
        width_census_add(&c, w * 10); /* 10 .. 1000, some past CELL_FIT_DIRECT */
    CHECK_EQ_INT(width_census_fit_limit(&c, 4), 910);
    CHECK_EQ_INT(width_census_max_upto(&c, 915), 910);
    CHECK_EQ_INT(width_census_max_upto(&c, 255), 250);
    CHECK_EQ_INT(width_census_max_upto(&c, 5000), 1000);
    width_census_free(&c);
    struct width_census few = {0};
    width_census_add(&few, 3);
    CHECK_EQ_INT(width_census_fit_limit(&few, 4), CELL_FIT_MIN);
    width_census_free(&few);
}
