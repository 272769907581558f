/* output/row_blocks: rows encoded by helper threads come out in order,
 * the same bytes as encoded in one go, to a stream and in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/row_blocks.h"
#include "unit.h"

/* A row's bytes depend on its index and vary in length. */
static void put_rows(struct json_buffer *out, size_t first, size_t end, const void *arg)
{
    const char *tag = arg;
    char text[64];
    for (size_t i = first; i < end; i++) {
        int n = snprintf(text, sizeof(text), "%s%zu:%.*s\n", tag, i, (int)(i % 23),
                         "xxxxxxxxxxxxxxxxxxxxxxx");
        json_buffer_put(out, text, (size_t)n);
    }
}

static char *serial(size_t nrows, size_t *len)
{
    struct json_buffer out;
    json_buffer_init(&out, NULL);
    put_rows(&out, 0, nrows, "r");
    *len = out.len;
    return out.data;
}

TEST(blocks_in_order_in_memory)
{
    static const size_t sizes[] = {0, 1, 1023, 1024, 1025, 4096, 50000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t want_len;
        char *want = serial(sizes[k], &want_len);
        struct json_buffer out;
        json_buffer_init(&out, NULL);
        row_blocks_write(&out, sizes[k], put_rows, "r");
        CHECK_EQ_INT(out.error, 0);
        CHECK_EQ_INT(out.len, want_len);
        CHECK(out.len == want_len && (!want_len || memcmp(out.data, want, want_len) == 0));
        free(want);
        json_buffer_finish(&out);
    }
}

TEST(blocks_in_order_to_a_stream)
{
    size_t want_len;
    char *want = serial(30000, &want_len);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) {
        free(want);
        return;
    }
    struct json_buffer out;
    json_buffer_init(&out, f);
    json_buffer_puts(&out, "head\n");
    row_blocks_write(&out, 30000, put_rows, "r");
    CHECK_EQ_INT(json_buffer_finish(&out), 0);
    CHECK_EQ_INT(ftell(f), (long)(want_len + 5));
    char *got = malloc(want_len + 5);
    rewind(f);
    CHECK(got && fread(got, 1, want_len + 5, f) == want_len + 5);
    CHECK(got && memcmp(got, "head\n", 5) == 0 && memcmp(got + 5, want, want_len) == 0);
    free(got);
    free(want);
    fclose(f);
}
