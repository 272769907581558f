#include "unit.h"

static struct unit_test *tests_head, **tests_tail = &tests_head;
int unit_failures_in_test;

void unit_register(struct unit_test *t)
{
    *tests_tail = t;
    tests_tail = &t->next;
}

int main(void)
{
    int passed = 0, failed = 0;
    for (struct unit_test *t = tests_head; t; t = t->next) {
        unit_failures_in_test = 0;
        t->fn();
        if (unit_failures_in_test) {
            printf("FAIL %s\n", t->name);
            failed++;
        } else {
            printf("ok   %s\n", t->name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
