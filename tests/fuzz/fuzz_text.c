/* libFuzzer target for the text that reaches a terminal or a JSON reader:
 * terminal_escape never lets an unsafe character through (and the
 * table's terminal_escape_into measures what it writes), invalid UTF-8
 * becomes valid, our JSON strings read back (with jansson) as what went
 * in, and the decimal name parser agrees with strtoull.  Any broken
 * invariant calls abort().
 *
 * Seeds: tests/fuzz/corpus/fuzz_text/. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <jansson.h>

#include "parse/json_encode.h"
#include "parse/proc_names.h"
#include "parse/text_escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_text: invariant broken at line %d: %s\n", __LINE__, #cond);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_terminal_safe(const char *s, size_t len, bool keep_utf8)
{
    char *out = terminal_escape(s, len, keep_utf8);
    REQUIRE(out);
    size_t n = strlen(out), columns = 0;
    REQUIRE(utf8_valid(out, n));
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_next(out + i, n - i, &cp);
        REQUIRE(k > 0 && !unicode_is_unsafe(cp));
        REQUIRE(keep_utf8 || cp < 0x80);
        int w = k == 1 ? 1 : wcwidth((wchar_t)cp);
        columns += w > 0 ? (size_t)w : 0;
        i += k;
    }
    /* The table's escape-and-measure writes the same bytes, and the
     * display width of what it wrote. */
    char *into = malloc(len * 4 + 1);
    REQUIRE(into);
    size_t width = 0;
    REQUIRE(terminal_escape_into(into, s, len, keep_utf8, &width) == n);
    REQUIRE(memcmp(into, out, n + 1) == 0 && width == columns);
    free(into);
    free(out);
}

static void check_json_round_trip(const char *s, size_t len)
{
    char *valid = utf8_replace_invalid(s, len);
    REQUIRE(valid);
    size_t vlen = strlen(valid);
    REQUIRE(utf8_valid(valid, vlen));
    struct json_buffer out;
    json_buffer_init(&out, NULL);
    json_buffer_put_string(&out, valid, vlen);
    REQUIRE(out.error == 0);
    for (size_t i = 0; i < out.len;) { /* nothing unsafe goes out raw */
        uint32_t cp;
        size_t k = utf8_next(out.data + i, out.len - i, &cp);
        REQUIRE(k > 0 && !unicode_is_unsafe(cp));
        i += k;
    }
    json_error_t err;
    json_t *v = json_loadb(out.data, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    REQUIRE(v && json_is_string(v));
    /* The input stops at its first NUL (C strings); so does the value. */
    REQUIRE(strcmp(json_string_value(v), valid) == 0);
    json_decref(v);
    json_buffer_finish(&out);
    free(valid);
}

static void check_decimal(const char *s)
{
    uint64_t v;
    bool ok = decimal_name_parse(s, UINT64_MAX, &v);
    bool digits = *s != '\0' && strspn(s, "0123456789") == strlen(s);
    if (!digits) {
        REQUIRE(!ok);
        return;
    }
    errno = 0;
    unsigned long long want = strtoull(s, NULL, 10);
    REQUIRE(ok == (errno != ERANGE));
    REQUIRE(!ok || v == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_terminal_safe(s, size, true);
    check_terminal_safe(s, size, false);
    check_json_round_trip(s, strlen(s));
    check_decimal(s);
    free(s);
    return 0;
}
