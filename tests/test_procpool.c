/* The process pool: results, concurrency, crashes, deadlines, results over
 * the limit. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "child.h"

#include "fdcheck.h"

static int upper(const void *in, size_t len, void **out, size_t *out_len)
{
    char *s = malloc(len + 1);
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++)
        s[i] = (char)toupper(((const unsigned char *)in)[i]);
    s[len] = '\0';
    *out = s;
    *out_len = len + 1;
    return 0;
}

static int whoami(const void *in, size_t len, void **out, size_t *out_len)
{
    (void)in;
    (void)len;
    pid_t *p = malloc(sizeof *p);
    *p = getpid();
    *out = p;
    *out_len = sizeof *p;
    return 0;
}

static int crash(const void *in, size_t len, void **out, size_t *out_len)
{
    (void)in, (void)len, (void)out, (void)out_len;
    abort();
}

static int refuse(const void *in, size_t len, void **out, size_t *out_len)
{
    (void)in, (void)len, (void)out, (void)out_len;
    return -EDOM;
}

static int slow(const void *in, size_t len, void **out, size_t *out_len)
{
    (void)in, (void)len, (void)out, (void)out_len;
    sleep(30);
    return 0;
}

/* Claims a result of 1 GiB + 1 bytes (over the limit) without making one. */
static int too_big(const void *in, size_t len, void **out, size_t *out_len)
{
    (void)in, (void)len;
    *out = malloc(1);
    *out_len = ((size_t)1 << 30) + 1;
    return *out ? 0 : -ENOMEM;
}

static corio_proc_fn *const fns[] = {upper, whoami, crash, refuse, slow, too_big};
static corio_procpool *pool;

static intptr_t caller(void *arg)
{
    char msg[32];
    void *out;
    size_t len;
    snprintf(msg, sizeof msg, "job %ld", (long)(intptr_t)arg);
    int rc = corio_procpool_call(pool, 0, msg, strlen(msg), &out, &len, -1);
    if (rc < 0)
        return rc;
    char expect[32];
    snprintf(expect, sizeof expect, "JOB %ld", (long)(intptr_t)arg);
    rc = strcmp(out, expect) == 0 ? 1 : -1;
    free(out);
    return rc;
}

static intptr_t procpool_main(void *arg)
{
    (void)arg;
    void *out;
    size_t len;
    cr_assert_eq(corio_procpool_new(2, fns, 0, &pool), -EINVAL);
    cr_assert_eq(corio_procpool_new(2, fns, 6, &pool), 0);
    corio_task *t[8];
    for (intptr_t i = 0; i < 8; i++)
        corio_spawn(NULL, caller, (void *)i, &t[i]);
    for (int i = 0; i < 8; i++) {
        intptr_t r;
        corio_join(t[i], &r, -1);
        cr_assert_eq(r, 1);
    }
    cr_assert_eq(corio_procpool_call(pool, 1, NULL, 0, &out, &len, -1), 0);
    cr_assert_neq(*(pid_t *)out, getpid(), "ran in another process");
    free(out);

    cr_assert_eq(corio_procpool_call(pool, 9, NULL, 0, &out, &len, -1), -EINVAL);
    cr_assert_eq(corio_procpool_call(pool, 3, "x", 1, &out, &len, -1), -EDOM,
                 "the function's error");
    cr_assert_eq(corio_procpool_call(pool, 2, "x", 1, &out, &len, -1), -ECHILD,
                 "the worker crashed");
    cr_assert_eq(corio_procpool_call(pool, 0, "ok", 2, &out, &len, -1), 0, "and was replaced");
    cr_assert_str_eq(out, "OK");
    free(out);
    cr_assert_eq(corio_procpool_call(pool, 4, NULL, 0, &out, &len, corio_now() + 20), -ETIMEDOUT);
    cr_assert_eq(corio_procpool_call(pool, 0, "again", 5, &out, &len, -1), 0);
    free(out);
    out = NULL;
    len = 7;
    cr_assert_eq(corio_procpool_call(pool, 5, NULL, 0, &out, &len, -1), -EMSGSIZE,
                 "a result over 1 GiB is an error, not an empty result");
    cr_assert_null(out);
    cr_assert_eq(corio_procpool_call(pool, 0, "still", 5, &out, &len, -1), 0,
                 "the worker serves on");
    cr_assert_str_eq(out, "STILL");
    free(out);
    cr_assert_eq(corio_procpool_free(pool), 0);
    return 0;
}

static void new_outside(void)
{
    corio_procpool_new(1, fns, 5, &pool);
}

Test(procpool, calls_crashes_and_deadlines, .timeout = 30, .init = fd_check_start,
     .fini = fd_check_end)
{
    assert_misuse(new_outside, "corio: corio_procpool_new: called outside a task");
    cr_assert_eq(corio_run(procpool_main, NULL), 0);
}
