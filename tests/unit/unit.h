/* A minimal test harness: each TEST registers itself; main() in unit.c runs
 * them all and ends with the "N passed, N failed" line CI reads. */
#ifndef LSHIDDEN_UNIT_H
#define LSHIDDEN_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
    struct unit_test *next;
};

void unit_register(struct unit_test *t);
extern int unit_failures_in_test;

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    static struct unit_test name##_entry = {#name, name, NULL};                                    \
    __attribute__((constructor)) static void name##_register(void)                                 \
    {                                                                                              \
        unit_register(&name##_entry);                                                              \
    }                                                                                              \
    static void name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            unit_failures_in_test++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_,    \
                    b_);                                                                           \
            unit_failures_in_test++;                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                   \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,    \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                       \
            unit_failures_in_test++;                                                               \
        }                                                                                          \
    } while (0)

#endif
