/* RUN(name) { ... } defines name_main, a body that runs as the main task of
 * a loop of its own, and name_run(), which runs it with corio_run and
 * asserts it returned 0: a Criterion test calls name_run(). */
#ifndef CORIO_TESTS_RUN_H
#define CORIO_TESTS_RUN_H

#include <criterion/criterion.h>

#include <corio/run.h>

#define RUN(fn)                                                                                    \
    static intptr_t fn##_main(void *arg);                                                          \
    static void fn##_run(void)                                                                     \
    {                                                                                              \
        cr_assert_eq(corio_run(fn##_main, NULL), 0);                                               \
    }                                                                                              \
    static intptr_t fn##_main(void *arg)

#endif
