/* What the tests of parked (idle) connections share: how long to wait for
 * a connection to park, and how many tasks the loop holds. */
#ifndef CORIO_TESTS_PARKED_H
#define CORIO_TESTS_PARKED_H

#include <criterion/criterion.h>
#include <stdio.h>

#include <corio/corio.h>

/* Longer than the server's wait before an idle connection parks (20 ms). */
#define PARKED_MS 200

/* Tasks alive on the calling loop (corio_dump_tasks' count). */
static inline int live_tasks(void)
{
    FILE *null = fopen("/dev/null", "w");
    cr_assert(null);
    int n = corio_dump_tasks(null);
    fclose(null);
    return n;
}

#endif
