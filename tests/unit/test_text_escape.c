/* Unit tests of terminal escaping and JSON string encoding: controls,
 * invisible and direction-changing characters, invalid UTF-8. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parse/json_encode.h"
#include "parse/text_escape.h"
#include "unit.h"

static const char *escaped(const char *s, bool keep_utf8)
{
    static char buf[4096];
    char *e = terminal_escape(s, strlen(s), keep_utf8);
    snprintf(buf, sizeof(buf), "%s", e ? e : "(null)");
    free(e);
    return buf;
}

/* The JSON string our encoder writes for s, and whether jansson reads it
 * back as exactly s. */
static const char *json_of(const char *s, bool *round_trips)
{
    static char buf[4096];
    struct json_buffer out;
    json_buffer_init(&out, NULL);
    json_buffer_put_string(&out, s, strlen(s));
    snprintf(buf, sizeof(buf), "%.*s", (int)out.len, out.data);
    json_error_t err;
    json_t *v = json_loadb(out.data, out.len, JSON_DECODE_ANY, &err);
    *round_trips = v && json_is_string(v) && strcmp(json_string_value(v), s) == 0;
    json_decref(v);
    json_buffer_finish(&out);
    return buf;
}

TEST(terminal_escape_controls_and_backslash)
{
    setlocale(LC_ALL, "C.UTF-8");
    CHECK_EQ_STR(escaped("a\x1b[2Jb", true), "a\\x1b[2Jb");
    CHECK_EQ_STR(escaped("tab\there", true), "tab\\x09here");
    CHECK_EQ_STR(escaped("del\x7f", true), "del\\x7f");
    CHECK_EQ_STR(escaped("back\\slash", true), "back\\x5cslash");
    CHECK_EQ_STR(escaped("c1 \xc2\x9b"
                         "2J",
                         true),
                 "c1 \\xc2\\x9b2J");
    CHECK_EQ_STR(escaped("bad \xff byte", true), "bad \\xff byte");
}

TEST(terminal_escape_invisible_and_bidi)
{
    setlocale(LC_ALL, "C.UTF-8");
    CHECK_EQ_STR(escaped("caf\xc3\xa9", true), "caf\xc3\xa9"); /* é stays */
    CHECK_EQ_STR(escaped("caf\xc3\xa9", false), "caf\\xc3\\xa9");
    CHECK_EQ_STR(escaped("txt\xe2\x80\xaegnp.exe", true), "txt\\xe2\\x80\\xaegnp.exe"); /* RLO */
    CHECK_EQ_STR(escaped("\xe2\x81\xa6x\xe2\x81\xa9", true),
                 "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9");                        /* LRI, PDI */
    CHECK_EQ_STR(escaped("zw\xe2\x80\x8bsp", true), "zw\\xe2\\x80\\x8bsp"); /* U+200B */
    CHECK_EQ_STR(escaped("\xef\xbb\xbf"
                         "bom",
                         true),
                 "\\xef\\xbb\\xbfbom");                                     /* U+FEFF */
    CHECK_EQ_STR(escaped("al\xd8\x9cm", true), "al\\xd8\\x9cm");            /* U+061C */
    CHECK_EQ_STR(escaped("ls\xe2\x80\xa8ps", true), "ls\\xe2\\x80\\xa8ps"); /* U+2028 */
    CHECK_EQ_STR(escaped("tag\xf3\xa0\x81\x81", true), "tag\\xf3\\xa0\\x81\\x81");
    CHECK_EQ_STR(escaped("soft\xc2\xad"
                         "hyphen",
                         true),
                 "soft\\xc2\\xadhyphen");
}

TEST(unsafe_code_points)
{
    CHECK(unicode_is_unsafe(0x00));
    CHECK(unicode_is_unsafe(0x7f));
    CHECK(unicode_is_unsafe(0x9b));
    CHECK(!unicode_is_unsafe(0xa0));
    CHECK(!unicode_is_unsafe('a'));
    CHECK(unicode_is_unsafe(0x202e));
    CHECK(unicode_is_unsafe(0x2066));
    CHECK(unicode_is_unsafe(0x2069));
    CHECK(!unicode_is_unsafe(0x2070));
    CHECK(unicode_is_unsafe(0xfeff));
    CHECK(unicode_is_unsafe(0xe007f));
    CHECK(!unicode_is_unsafe(0x1f600)); /* an emoji prints */
}

TEST(json_strings_escape_c1_and_format_characters)
{
    bool ok;
    CHECK_EQ_STR(json_of("a\x1b"
                         "b",
                         &ok),
                 "\"a\\u001Bb\"");
    CHECK(ok);
    CHECK_EQ_STR(json_of("c1\xc2\x9b", &ok), "\"c1\\u009B\"");
    CHECK(ok);
    CHECK_EQ_STR(json_of("rlo\xe2\x80\xae", &ok), "\"rlo\\u202E\"");
    CHECK(ok);
    CHECK_EQ_STR(json_of("\xef\xbb\xbf", &ok), "\"\\uFEFF\"");
    CHECK(ok);
    CHECK_EQ_STR(json_of("tag\xf3\xa0\x81\x81", &ok), "\"tag\\uDB40\\uDC41\"");
    CHECK(ok);
    CHECK_EQ_STR(json_of("caf\xc3\xa9 \xf0\x9f\x98\x80", &ok), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    CHECK(ok);
    CHECK_EQ_STR(json_of("q\"b\\n\n", &ok), "\"q\\\"b\\\\n\\n\"");
    CHECK(ok);
}
