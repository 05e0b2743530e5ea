/* Per-test descriptor leak check: .init = fd_check_start, .fini =
 * fd_check_end counts /proc/self/fd before and after a test. */
#ifndef CORIO_TESTS_FDCHECK_H
#define CORIO_TESTS_FDCHECK_H

#include <criterion/criterion.h>
#include <dirent.h>

static int fds_before;

static inline int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static inline void fd_check_start(void)
{
    fds_before = count_fds();
}

static inline void fd_check_end(void)
{
    cr_assert_eq(count_fds(), fds_before, "descriptors leaked");
}

#endif
