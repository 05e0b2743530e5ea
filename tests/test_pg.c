/* The PostgreSQL client against a real server (pg_fixture.h). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <corio/corio.h>
#include <corio/pg.h>
#include <libpq-fe.h>

#include "fdcheck.h"
#include "pg_fixture.h"
#include "run.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1 /* its quarantine keeps freed memory resident */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#ifndef ASAN
#define ASAN 0
#endif

static pg_server srv;

static void setup(void)
{
    fd_check_start();
    pg_start(&srv);
}

static void teardown(void)
{
    pg_stop(&srv);
    fd_check_end();
}

static corio_pg *connect_local(void)
{
    corio_pg *c;
    int rc = corio_pg_connect(srv.local, &c, corio_now() + 10000);
    cr_assert_eq(rc, 0, "connect: %s", corio_strerror(rc));
    return c;
}

/* Runs sql, asserting success. */
static void ok(corio_pg *c, const char *sql)
{
    int rc = corio_pg_exec(c, sql, NULL, NULL, -1);
    cr_assert_eq(rc, 0, "%s: %s %s", sql, corio_strerror(rc), corio_pg_error(c));
}

static int64_t count(corio_pg *c, const char *sql)
{
    corio_pg_result *r;
    int64_t n = -1;
    cr_assert_eq(corio_pg_query(c, sql, NULL, &r, -1), 0, "%s: %s", sql, corio_pg_error(c));
    cr_assert_eq(corio_pg_get_int64(r, 0, 0, &n), 0);
    corio_pg_result_free(r);
    return n;
}

RUN(types)
{
    (void)arg;
    corio_pg *c = connect_local();
    corio_pg_result *r;
    static const char bin[] = {'a', 0, 'b', 0, (char)0xff};
    const char *values[] = {"42", NULL, bin};
    int lengths[] = {0, 0, sizeof bin}, formats[] = {0, 0, 1};
    corio_pg_params p = {3, values, lengths, formats};
    cr_assert_eq(corio_pg_query(c,
                                "SELECT $1::int4 AS i, $2::text AS n, true AS t, false AS f, "
                                "9000000000::int8 AS big, 2.5::float8 AS d, 'héllo'::text AS s, "
                                "$3::bytea AS b, '\\x00ff00'::bytea AS b2, 'NaN'::float8 AS nan",
                                &p, &r, -1),
                 0, "%s", corio_pg_error(c));
    cr_assert_eq(corio_pg_nrows(r), 1);
    cr_assert_eq(corio_pg_ncols(r), 10);
    cr_assert_str_eq(corio_pg_colname(r, 0), "i");
    cr_assert_null(corio_pg_colname(r, 10));
    cr_assert_eq(corio_pg_coltype(r, 0), 23);
    cr_assert_eq(corio_pg_coltype(r, 4), 20);
    cr_assert_eq(corio_pg_coltype(r, 7), 17);
    int32_t i32;
    int64_t i64;
    bool b;
    double d;
    const char *s;
    size_t len;
    const void *blob;
    cr_assert_eq(corio_pg_get_int32(r, 0, 0, &i32), 0);
    cr_assert_eq(i32, 42);
    cr_assert(corio_pg_isnull(r, 0, 1));
    cr_assert(!corio_pg_isnull(r, 0, 0));
    cr_assert_eq(corio_pg_get_text(r, 0, 1, &s, &len), -ENODATA);
    cr_assert_eq(corio_pg_get_int64(r, 0, 1, &i64), -ENODATA);
    cr_assert_eq(corio_pg_get_bool(r, 0, 2, &b), 0);
    cr_assert(b);
    cr_assert_eq(corio_pg_get_bool(r, 0, 3, &b), 0);
    cr_assert(!b);
    cr_assert_eq(corio_pg_get_bool(r, 0, 0, &b), -EINVAL);
    cr_assert_eq(corio_pg_get_int64(r, 0, 4, &i64), 0);
    cr_assert_eq(i64, 9000000000);
    cr_assert_eq(corio_pg_get_int32(r, 0, 4, &i32), -ERANGE);
    cr_assert_eq(corio_pg_get_double(r, 0, 5, &d), 0);
    cr_assert_float_eq(d, 2.5, 1e-12);
    cr_assert_eq(corio_pg_get_double(r, 0, 9, &d), 0);
    cr_assert(d != d);
    cr_assert_eq(corio_pg_get_int32(r, 0, 6, &i32), -EINVAL);
    cr_assert_eq(corio_pg_get_text(r, 0, 6, &s, &len), 0);
    cr_assert_str_eq(s, "héllo");
    cr_assert_eq(len, strlen("héllo"));
    cr_assert_eq(corio_pg_get_bytea(r, 0, 7, &blob, &len), 0);
    cr_assert_eq(len, sizeof bin);
    cr_assert_eq(memcmp(blob, bin, sizeof bin), 0);
    const void *again;
    cr_assert_eq(corio_pg_get_bytea(r, 0, 7, &again, &len), 0);
    cr_assert_eq(again, blob, "decoded once");
    cr_assert_eq(corio_pg_get_bytea(r, 0, 8, &blob, &len), 0);
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(blob, "\0\xff\0", 3), 0);
    cr_assert_eq(corio_pg_get_bytea(r, 0, 6, &blob, &len), -EINVAL);
    cr_assert_eq(corio_pg_get_int32(r, 1, 0, &i32), -ERANGE);
    cr_assert_eq(corio_pg_get_int32(r, 0, -1, &i32), -ERANGE);
    corio_pg_result_free(r);

    /* Integers at the edges of int64, and text that only strtoll reads. */
    cr_assert_eq(corio_pg_exec(c,
                               "SELECT '-9223372036854775808'::int8, 9223372036854775807::int8, "
                               "'9223372036854775808', '-9223372036854775809', ' 7', '+7', '-', "
                               "'12a', '', '-0'",
                               NULL, &r, -1),
                 0, "%s", corio_pg_error(c));
    cr_assert_eq(corio_pg_get_int64(r, 0, 0, &i64), 0);
    cr_assert_eq(i64, INT64_MIN);
    cr_assert_eq(corio_pg_get_int64(r, 0, 1, &i64), 0);
    cr_assert_eq(i64, INT64_MAX);
    cr_assert_eq(corio_pg_get_int64(r, 0, 2, &i64), -ERANGE);
    cr_assert_eq(corio_pg_get_int64(r, 0, 3, &i64), -ERANGE);
    cr_assert_eq(corio_pg_get_int64(r, 0, 4, &i64), 0);
    cr_assert_eq(i64, 7);
    cr_assert_eq(corio_pg_get_int64(r, 0, 5, &i64), 0);
    cr_assert_eq(i64, 7);
    cr_assert_eq(corio_pg_get_int64(r, 0, 6, &i64), -EINVAL);
    cr_assert_eq(corio_pg_get_int64(r, 0, 7, &i64), -EINVAL);
    cr_assert_eq(corio_pg_get_int64(r, 0, 8, &i64), -EINVAL);
    cr_assert_eq(corio_pg_get_int64(r, 0, 9, &i64), 0);
    cr_assert_eq(i64, 0);
    corio_pg_result_free(r);

    /* The server's errors: code, SQLSTATE, message; the connection goes on. */
    cr_assert_eq(corio_pg_query(c, "SELECT 1/0", NULL, &r, -1), -CORIO_ESERVER);
    cr_assert_null(r);
    cr_assert_str_eq(corio_pg_sqlstate(c), "22012");
    cr_assert(strstr(corio_pg_error(c), "division by zero"));
    ok(c, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    cr_assert_eq(corio_pg_exec(c, "INSERT INTO t VALUES (1, 'a'), (2, 'b')", NULL, &r, -1), 0);
    cr_assert_eq(corio_pg_affected(r), 2);
    corio_pg_result_free(r);
    cr_assert_eq(corio_pg_exec(c, "INSERT INTO t VALUES (1, 'a')", NULL, NULL, -1), -CORIO_ESERVER);
    cr_assert_str_eq(corio_pg_sqlstate(c), "23505");
    cr_assert(strstr(corio_pg_error(c), "duplicate key"));
    cr_assert_eq(count(c, "SELECT count(*) FROM t"), 2);
    cr_assert_str_eq(corio_pg_sqlstate(c), "", "cleared by the next call");
    cr_assert(corio_pg_ok(c));
    corio_pg_close(c);
    return 0;
}

Test(pg, types_nulls_bytea_and_errors, .init = setup, .fini = teardown, .timeout = 60)
{
    types_run();
}

RUN(cache)
{
    (void)arg;
    corio_pg *c = connect_local();
    const char *sql = "SELECT count(*) FROM pg_prepared_statements";
    cr_assert_eq(count(c, sql), 1, "itself, prepared");
    cr_assert_eq(count(c, sql), 1, "reused, not prepared again");
    const char *v[] = {"7"};
    corio_pg_params p = {1, v, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        corio_pg_result *r;
        int32_t n;
        cr_assert_eq(corio_pg_query(c, "SELECT $1::int + 1", &p, &r, -1), 0);
        cr_assert_eq(corio_pg_get_int32(r, 0, 0, &n), 0);
        cr_assert_eq(n, 8);
        corio_pg_result_free(r);
    }
    cr_assert_eq(count(c, sql), 2);
    cr_assert_eq(corio_pg_query(c, "SELEKT 1", NULL, NULL, -1), -CORIO_ESERVER);
    cr_assert_str_eq(corio_pg_sqlstate(c), "42601");
    cr_assert_eq(count(c, sql), 2, "a statement that failed to prepare is not kept");
    corio_pg_close(c);
    return 0;
}

Test(pg, prepared_statement_cache, .init = setup, .fini = teardown, .timeout = 60)
{
    cache_run();
}

RUN(pipeline)
{
    (void)arg;
    corio_pg *c = connect_local();
    enum { N = 64 };
    char nums[N][8];
    const char *vals[N];
    corio_pg_params ps[N];
    corio_pg_stmt st[N];
    for (int i = 0; i < N; i++) {
        snprintf(nums[i], sizeof nums[i], "%d", i);
        vals[i] = nums[i];
        ps[i] = (corio_pg_params){1, &vals[i], NULL, NULL};
        st[i] = (corio_pg_stmt){"SELECT $1::int", &ps[i]};
    }
    corio_pg_result *res[N];
    cr_assert_eq(corio_pg_pipeline(c, st, N, res, NULL, -1), 0, "%s", corio_pg_error(c));
    for (int i = 0; i < N; i++) {
        int32_t v;
        cr_assert_eq(corio_pg_get_int32(res[i], 0, 0, &v), 0);
        cr_assert_eq(v, i, "in order");
        corio_pg_result_free(res[i]);
    }
    cr_assert_eq(corio_pg_pipeline(c, st, N, NULL, NULL, -1), 0, "cached now, results dropped");

    /* An error in the middle: the rest is skipped, the batch undone. */
    ok(c, "CREATE TABLE p (id int)");
    corio_pg_stmt bad[] = {{"INSERT INTO p VALUES (1)", NULL},
                           {"SELECT 1/0", NULL},
                           {"INSERT INTO p VALUES (2)", NULL},
                           {"SELECT 5", NULL}};
    size_t failed = 99;
    corio_pg_result *br[4];
    cr_assert_eq(corio_pg_pipeline(c, bad, 4, br, &failed, -1), -CORIO_ESERVER);
    cr_assert_eq(failed, 1);
    cr_assert_str_eq(corio_pg_sqlstate(c), "22012");
    cr_assert_not_null(br[0]);
    cr_assert_null(br[1]);
    cr_assert_null(br[2]);
    cr_assert_null(br[3]);
    corio_pg_result_free(br[0]);
    cr_assert_eq(count(c, "SELECT count(*) FROM p"), 0, "the implicit transaction rolled back");
    /* A statement that does not even prepare fails at its own index. */
    bad[1].sql = "SELEKT";
    cr_assert_eq(corio_pg_pipeline(c, bad, 4, NULL, &failed, -1), -CORIO_ESERVER);
    cr_assert_eq(failed, 1);
    cr_assert_eq(corio_pg_pipeline(c, st, 2, NULL, NULL, -1), 0, "usable after");
    corio_pg_close(c);
    return 0;
}

Test(pg, pipeline_order_and_error_in_the_middle, .init = setup, .fini = teardown, .timeout = 60)
{
    pipeline_run();
}

static corio_pg_pool *pool;

/* In a transaction, inserts, then sleeps on the server until cancelled. */
static intptr_t doomed(void *arg)
{
    (void)arg;
    corio_pg *c;
    int rc = corio_pg_pool_acquire(pool, &c, -1);
    if (rc < 0)
        return rc;
    cr_assert_eq(corio_pg_begin(c, -1), 0);
    cr_assert_eq(corio_pg_exec(c, "INSERT INTO tx VALUES (99)", NULL, NULL, -1), 0);
    rc = corio_pg_exec(c, "SELECT pg_sleep(30)", NULL, NULL, -1);
    cr_assert_eq(rc, -ECANCELED);
    cr_assert(corio_pg_in_transaction(c));
    corio_pg_pool_release(pool, c, -1); /* rolls back, though cancelled */
    return rc;
}

RUN(tx)
{
    (void)arg;
    corio_pg *c = connect_local();
    ok(c, "CREATE TABLE tx (id int)");
    cr_assert_eq(corio_pg_begin(c, -1), 0);
    cr_assert(corio_pg_in_transaction(c));
    ok(c, "INSERT INTO tx VALUES (1)");
    cr_assert_eq(corio_pg_commit(c, -1), 0);
    cr_assert(!corio_pg_in_transaction(c));
    cr_assert_eq(corio_pg_begin(c, -1), 0);
    ok(c, "INSERT INTO tx VALUES (2)");
    cr_assert_eq(corio_pg_rollback(c, -1), 0);
    cr_assert_eq(count(c, "SELECT count(*) FROM tx"), 1);
    /* A failed transaction: COMMIT rolls back and says so. */
    cr_assert_eq(corio_pg_begin(c, -1), 0);
    ok(c, "INSERT INTO tx VALUES (3)");
    cr_assert_eq(corio_pg_exec(c, "SELECT 1/0", NULL, NULL, -1), -CORIO_ESERVER);
    cr_assert_eq(corio_pg_exec(c, "SELECT 1", NULL, NULL, -1), -CORIO_ESERVER);
    cr_assert_str_eq(corio_pg_sqlstate(c), "25P02");
    cr_assert_eq(corio_pg_commit(c, -1), 0); /* PostgreSQL answers ROLLBACK */
    cr_assert_eq(count(c, "SELECT count(*) FROM tx"), 1);

    /* Cancelled inside a transaction: rolled back before the pool reuses it. */
    cr_assert_eq(corio_pg_pool_new(srv.local, &(corio_pg_pool_opts){.max = 1}, &pool), 0);
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, doomed, NULL, &t), 0);
    corio_sleep(300);
    corio_task_cancel(t);
    intptr_t result;
    cr_assert_eq(corio_join(t, &result, -1), 0);
    cr_assert_eq(result, -ECANCELED);
    corio_pg *again;
    cr_assert_eq(corio_pg_pool_acquire(pool, &again, corio_now() + 5000), 0);
    cr_assert(!corio_pg_in_transaction(again));
    cr_assert_eq(count(again, "SELECT count(*) FROM tx WHERE id = 99"), 0);
    cr_assert_eq(corio_pg_pool_release(pool, again, -1), 0);
    cr_assert_eq(corio_pg_pool_close(pool, -1), 0);
    cr_assert_eq(count(c, "SELECT count(*) FROM tx"), 1);
    corio_pg_close(c);
    return 0;
}

Test(pg, transactions_and_rollback_on_cancel, .init = setup, .fini = teardown, .timeout = 60)
{
    tx_run();
}

RUN(copy)
{
    (void)arg;
    corio_pg *c = connect_local();
    ok(c, "CREATE TABLE cp (id int, name text)");
    cr_assert_eq(corio_pg_copy_in_start(c, "COPY cp FROM STDIN", -1), 0, "%s", corio_pg_error(c));
    cr_assert_eq(corio_pg_query(c, "SELECT 1", NULL, NULL, -1), -EBUSY, "busy copying");
    enum { ROWS = 20000 };
    char buf[8192];
    size_t used = 0;
    for (int i = 0; i < ROWS; i++) {
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%d\tname %d\n", i, i);
        if (used > sizeof buf - 64 || i == ROWS - 1) {
            cr_assert_eq(corio_pg_copy_in_write(c, buf, used, -1), 0);
            used = 0;
        }
    }
    int64_t rows = 0;
    cr_assert_eq(corio_pg_copy_in_end(c, NULL, &rows, -1), 0, "%s", corio_pg_error(c));
    cr_assert_eq(rows, ROWS);
    cr_assert_eq(count(c, "SELECT count(*) FROM cp"), ROWS);

    /* An aborted COPY FROM copies nothing. */
    cr_assert_eq(corio_pg_copy_in_start(c, "COPY cp FROM STDIN", -1), 0);
    cr_assert_eq(corio_pg_copy_in_write(c, "1\tx\n", 4, -1), 0);
    cr_assert_eq(corio_pg_copy_in_end(c, "changed my mind", NULL, -1), -CORIO_ESERVER);
    cr_assert(strstr(corio_pg_error(c), "changed my mind"));
    cr_assert_eq(count(c, "SELECT count(*) FROM cp"), ROWS);

    cr_assert_eq(corio_pg_copy_out_start(c, "COPY (SELECT * FROM cp ORDER BY id) TO STDOUT", -1),
                 0);
    const char *data;
    size_t len, n = 0, bytes = 0;
    int rc;
    while ((rc = corio_pg_copy_out_read(c, &data, &len, -1)) == 1) {
        if (n == 12345) {
            char want[32];
            snprintf(want, sizeof want, "12345\tname 12345\n");
            cr_assert_eq(len, strlen(want));
            cr_assert_eq(memcmp(data, want, len), 0);
        }
        n++;
        bytes += len;
    }
    cr_assert_eq(rc, 0, "%s", corio_pg_error(c));
    cr_assert_eq(n, ROWS, "a chunk per row");
    cr_assert_gt(bytes, (size_t)ROWS * 8);
    cr_assert_eq(corio_pg_copy_in_start(c, "SELECT 1", -1), -EINVAL);
    cr_assert_eq(count(c, "SELECT 3"), 3, "usable after");
    corio_pg_close(c);
    return 0;
}

Test(pg, copy_in_and_out, .init = setup, .fini = teardown, .timeout = 60)
{
    copy_run();
}

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* 32 MiB each way while the process grows by less than 8 MiB. */
RUN(copy_big)
{
    (void)arg;
    corio_pg *c = connect_local();
    ok(c, "CREATE UNLOGGED TABLE big (id int, pad text)");
    static char chunk[64 * 1024];
    char pad[100];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    long base = rss_kib(), peak = base;
    cr_assert_eq(corio_pg_copy_in_start(c, "COPY big FROM STDIN", -1), 0);
    int id = 0;
    for (size_t sent = 0; sent < 32u << 20;) {
        size_t used = 0;
        while (used + 128 < sizeof chunk)
            used += (size_t)snprintf(chunk + used, sizeof chunk - used, "%d\t%s\n", id++, pad);
        cr_assert_eq(corio_pg_copy_in_write(c, chunk, used, -1), 0);
        sent += used;
        long now = rss_kib();
        peak = now > peak ? now : peak;
    }
    int64_t rows;
    cr_assert_eq(corio_pg_copy_in_end(c, NULL, &rows, -1), 0);
    cr_assert_eq(rows, id);
    cr_assert_lt(peak - base, 8 << 10, "COPY FROM grew the process by %ld KiB", peak - base);
    cr_assert_eq(corio_pg_copy_out_start(c, "COPY big TO STDOUT", -1), 0);
    const char *data;
    size_t len, n = 0;
    int rc;
    while ((rc = corio_pg_copy_out_read(c, &data, &len, -1)) == 1)
        if (++n % 4096 == 0) {
            long now = rss_kib();
            peak = now > peak ? now : peak;
        }
    cr_assert_eq(rc, 0);
    cr_assert_eq(n, (size_t)id);
    cr_assert_lt(peak - base, 8 << 10, "COPY TO grew the process by %ld KiB", peak - base);
    cr_log_info("64 MiB copied with the process %ld KiB bigger at most", peak - base);
    corio_pg_close(c);
    return 0;
}

Test(pg, copy_memory_stays_bounded, .init = setup, .fini = teardown, .timeout = 120,
     .disabled = ASAN)
{
    copy_big_run();
}

RUN(notify)
{
    (void)arg;
    corio_pg *l = connect_local(), *n = connect_local();
    cr_assert_eq(corio_pg_listen(l, "news \"today\"", -1), 0, "%s", corio_pg_error(l));
    corio_pg_notify *msg;
    cr_assert_eq(corio_pg_notify_get(l, &msg, corio_now() + 50), -ETIMEDOUT);
    ok(n, "NOTIFY \"news \"\"today\"\"\", 'first'");
    ok(n, "SELECT pg_notify('news \"today\"', 'second')");
    ok(n, "NOTIFY other, 'not for us'");
    cr_assert_eq(corio_pg_notify_get(l, &msg, corio_now() + 5000), 0);
    cr_assert_str_eq(msg->channel, "news \"today\"");
    cr_assert_str_eq(msg->payload, "first");
    corio_pg_notify_free(msg);
    /* One that arrives during a query is kept for the next get. */
    cr_assert_eq(count(l, "SELECT 4"), 4);
    cr_assert_eq(corio_pg_notify_get(l, &msg, corio_now() + 5000), 0);
    cr_assert_str_eq(msg->payload, "second");
    cr_assert_gt(msg->pid, 0);
    corio_pg_notify_free(msg);
    cr_assert_eq(corio_pg_notify_get(l, &msg, 0), -ETIMEDOUT);
    corio_pg_close(l);
    corio_pg_close(n);
    return 0;
}

Test(pg, listen_notify, .init = setup, .fini = teardown, .timeout = 60)
{
    notify_run();
}

static corio_pg *sleeper_conn;

static intptr_t sleeper(void *arg)
{
    (void)arg;
    return corio_pg_exec(sleeper_conn, "SELECT pg_sleep(30)", NULL, NULL, -1);
}

RUN(cancel)
{
    (void)arg;
    corio_pg *c = connect_local();
    int64_t start = corio_now(), deadline = start + 300;
    int rc = corio_pg_exec(c, "SELECT pg_sleep(30)", NULL, NULL, deadline);
    int64_t late = corio_now() - deadline;
    cr_assert_eq(rc, -ETIMEDOUT);
    cr_log_info("pg_sleep(30) with a 300 ms deadline returned %lld ms after it", (long long)late);
    /* Typically a few ms; the margin is for a loaded machine, far below 30 s. */
    cr_assert_lt(late, 3000);
    cr_assert(corio_pg_ok(c));
    cr_assert_eq(count(c, "SELECT 1"), 1, "usable after");

    /* The same through a scope's deadline, and a cancelled task. */
    corio_scope s;
    corio_scope_enter_timeout(&s, 200, 0);
    rc = corio_pg_query(c, "SELECT pg_sleep(30)", NULL, NULL, -1);
    cr_assert_eq(corio_scope_exit(&s), -ETIMEDOUT);
    cr_assert_eq(rc, -ETIMEDOUT);
    cr_assert_eq(count(c, "SELECT 2"), 2);

    sleeper_conn = c;
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, sleeper, NULL, &t), 0);
    corio_sleep(200);
    cr_assert_eq(corio_pg_exec(c, "SELECT 1", NULL, NULL, -1), -EBUSY, "one task at a time");
    start = corio_now();
    corio_task_cancel(t);
    intptr_t result;
    cr_assert_eq(corio_join(t, &result, -1), 0);
    cr_assert_eq(result, -ECANCELED);
    cr_assert_lt(corio_now() - start, 3000);
    cr_assert_eq(count(c, "SELECT 3"), 3);
    /* 0: do not wait — done at once if the answer is already there, else -ETIMEDOUT */
    rc = corio_pg_exec(c, "SELECT 1", NULL, NULL, 0);
    cr_assert(rc == 0 || rc == -ETIMEDOUT, "0: do not wait: %d", rc);

    /* A pipeline cut short by its deadline: drained, pipeline mode left. */
    corio_pg_stmt batch[] = {{"SELECT 1", NULL}, {"SELECT pg_sleep(30)", NULL}, {"SELECT 2", NULL}};
    corio_pg_result *res[3];
    start = corio_now();
    cr_assert_eq(corio_pg_pipeline(c, batch, 3, res, NULL, start + 200), -ETIMEDOUT);
    cr_assert_lt(corio_now() - start, 3000);
    cr_assert_null(res[0]);
    cr_assert_eq(corio_pg_pipeline(c, batch, 1, NULL, NULL, -1), 0, "%s", corio_pg_error(c));
    cr_assert_eq(count(c, "SELECT 5"), 5);
    corio_pg_close(c);
    return 0;
}

Test(pg, deadline_and_cancel_mid_query, .init = setup, .fini = teardown, .timeout = 60)
{
    cancel_run();
}

static intptr_t restart_server(void *arg)
{
    (void)arg;
    pg_ctl(&srv, "stop");
    pg_ctl(&srv, "start");
    return 0;
}

static intptr_t holder(void *arg)
{
    corio_pg *c = arg;
    corio_sleep(100);
    return corio_pg_pool_release(pool, c, -1);
}

RUN(pool)
{
    (void)arg;
    corio_pg_pool_opts o = {.max = 2, .check_idle_ms = -1};
    cr_assert_eq(corio_pg_pool_new(srv.local, &o, &pool), 0);
    corio_pg *a, *b, *x;
    cr_assert_eq(corio_pg_pool_acquire(pool, &a, -1), 0);
    cr_assert_eq(corio_pg_pool_acquire(pool, &b, -1), 0);
    cr_assert_eq(corio_pg_pool_acquire(pool, &x, corio_now() + 50), -ETIMEDOUT, "max 2");
    cr_assert_eq(count(a, "SELECT 1"), 1);
    cr_assert_eq(corio_pg_pool_release(pool, a, -1), 0);
    cr_assert_eq(corio_pg_pool_release(pool, b, -1), 0);

    /* The server restarts under the pool: its connections are dead, new
     * acquires replace them. */
    intptr_t rc;
    cr_assert_eq(corio_to_thread(restart_server, NULL, &rc, -1), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(corio_pg_pool_acquire(pool, &a, corio_now() + 10000), 0);
        cr_assert_eq(count(a, "SELECT 7"), 7, "%s", corio_pg_error(a));
        cr_assert_eq(corio_pg_pool_release(pool, a, -1), 0);
    }

    /* close waits for the connections out. */
    cr_assert_eq(corio_pg_pool_acquire(pool, &a, -1), 0);
    cr_assert_eq(corio_spawn(NULL, holder, a, NULL), 0);
    int64_t start = corio_now();
    cr_assert_eq(corio_pg_pool_close(pool, -1), 0);
    cr_assert_geq(corio_now() - start, 90);
    return 0;
}

Test(pg, pool_survives_a_server_restart, .init = setup, .fini = teardown, .timeout = 90)
{
    pool_run();
}

RUN(checks)
{
    (void)arg;
    corio_pg_pool_opts o = {.max = 1, .check_idle_ms = 1};
    cr_assert_eq(corio_pg_pool_new(srv.local, &o, &pool), 0);
    corio_pg *a, *b;
    cr_assert_eq(corio_pg_pool_acquire(pool, &a, -1), 0);
    cr_assert_eq(corio_pg_pool_release(pool, a, -1), 0);
    corio_sleep(5);
    cr_assert_eq(corio_pg_pool_acquire(pool, &b, -1), 0, "checked with a round trip");
    cr_assert_eq(a, b);
    /* A connection the server ended while it idled is replaced, unseen. */
    int64_t pid = count(b, "SELECT pg_backend_pid()");
    cr_assert_eq(corio_pg_pool_release(pool, b, -1), 0);
    corio_pg *killer = connect_local();
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    ok(killer, sql);
    corio_pg_close(killer);
    corio_sleep(100);
    cr_assert_eq(corio_pg_pool_acquire(pool, &b, -1), 0);
    cr_assert_neq(count(b, "SELECT pg_backend_pid()"), pid);
    cr_assert_eq(corio_pg_pool_release(pool, b, -1), 0);
    return corio_pg_pool_close(pool, -1);
}

Test(pg, pool_idle_check, .init = setup, .fini = teardown, .timeout = 60)
{
    checks_run();
}

static int ticks;

static intptr_t ticker(void *arg)
{
    (void)arg;
    for (;;) {
        if (corio_sleep(10) < 0)
            return 0;
        ticks++;
    }
}

/* The task waiting for the server parks; the loop runs the others. A
 * server that accepts but never answers costs connect its deadline only. */
RUN(parks)
{
    (void)arg;
    corio_pg *c = connect_local();
    corio_task *t;
    cr_assert_eq(corio_spawn(NULL, ticker, NULL, &t), 0);
    ticks = 0;
    cr_assert_eq(corio_pg_exec(c, "SELECT pg_sleep(0.3)", NULL, NULL, -1), 0);
    cr_assert_geq(ticks, 5, "only %d ticks during the query", ticks);
    corio_task_cancel(t);
    corio_pg_close(c);

    corio_fd *mute;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 4, &mute), 0);
    char uri[128];
    snprintf(uri, sizeof uri, "postgresql://x@127.0.0.1:%d/x?sslmode=disable&gssencmode=disable",
             corio_tcp_local_port(mute));
    int64_t deadline = corio_now() + 200;
    cr_assert_eq(corio_pg_connect(uri, &c, deadline), -ETIMEDOUT);
    cr_assert_lt(corio_now() - deadline, 1000);
    corio_fd_close(mute);
    return 0;
}

Test(pg, a_query_parks_only_its_task, .init = setup, .fini = teardown, .timeout = 60)
{
    parks_run();
}

RUN(auth)
{
    (void)arg;
    corio_pg *c;
    char uri[256];
    snprintf(uri, sizeof uri, "postgresql://postgres:wrong@127.0.0.1:%d/postgres", srv.port);
    cr_assert_eq(corio_pg_connect(uri, &c, corio_now() + 10000), -CORIO_ESERVER);
    cr_assert_eq(corio_pg_connect(srv.tcp, &c, corio_now() + 10000), 0, "the right password");
    cr_assert_eq(count(c, "SELECT 1"), 1);
    corio_pg_close(c);
    /* A host name, resolved by corio (from /etc/hosts here), not by libpq. */
    snprintf(uri, sizeof uri, "postgresql://postgres:%s@localhost:%d/postgres", PG_PASSWORD,
             srv.port);
    cr_assert_eq(corio_pg_connect(uri, &c, corio_now() + 10000), 0, "%s", uri);
    cr_assert_eq(count(c, "SELECT 2"), 2);
    corio_pg_close(c);
    held_port nobody; /* bound, never listening: refused */
    snprintf(uri, sizeof uri, "postgresql://postgres@127.0.0.1:%d/postgres", port_hold(&nobody));
    cr_assert_eq(corio_pg_connect(uri, &c, corio_now() + 10000), -ECONNREFUSED);
    port_release(&nobody);
    cr_assert_eq(corio_pg_connect("host=/nonexistent port=1", &c, -1), -ECONNREFUSED);
    cr_assert_eq(corio_pg_connect("nonsense", &c, -1), -EINVAL);
    cr_assert_eq(corio_pg_connect("postgresql://x@127.0.0.1:1/?bogus=1", &c, -1), -EINVAL);
    return 0;
}

Test(pg, auth_failure_and_unreachable, .init = setup, .fini = teardown, .timeout = 60)
{
    auth_run();
}

/* TLS (libpq's): waits are level-triggered on libpq's descriptor, as TLS
 * keeps data the socket cannot show. */
RUN(tls)
{
    (void)arg;
    char uri[256];
    snprintf(uri, sizeof uri, "%s?sslmode=require", srv.tcp);
    corio_pg *c;
    cr_assert_eq(corio_pg_connect(uri, &c, corio_now() + 10000), 0);
    cr_assert(PQsslInUse(corio_pg_native(c)));
    cr_assert_eq(count(c, "SELECT count(*) FROM generate_series(1, 100000)"), 100000);
    corio_pg_result *r;
    cr_assert_eq(corio_pg_query(c, "SELECT repeat('x', 1000000)", NULL, &r, -1), 0);
    size_t len;
    const char *s;
    cr_assert_eq(corio_pg_get_text(r, 0, 0, &s, &len), 0);
    cr_assert_eq(len, 1000000);
    corio_pg_result_free(r);
    int64_t deadline = corio_now() + 200;
    cr_assert_eq(corio_pg_exec(c, "SELECT pg_sleep(30)", NULL, NULL, deadline), -ETIMEDOUT);
    cr_assert_lt(corio_now() - deadline, 3000);
    cr_assert_eq(count(c, "SELECT 6"), 6);
    corio_pg_close(c);
    return 0;
}

/* A self-signed certificate, and the server restarted with TLS on. */
static void setup_tls(void)
{
    setup();
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
             "-nodes -keyout srv.key -out srv.pem -days 2 -subj /CN=localhost 2>/dev/null && "
             "chmod 600 srv.key && { [ $(id -u) -ne 0 ] || chown nobody srv.key srv.pem; }",
             srv.dir);
    cr_assert_eq(system(cmd), 0);
    static char extra[300];
    snprintf(extra, sizeof extra,
             "-c ssl=on -c ssl_cert_file=%s/srv.pem -c ssl_key_file=%s/srv.key", srv.dir, srv.dir);
    srv.extra = extra;
    pg_ctl(&srv, "restart");
}

Test(pg, tls_connections, .init = setup_tls, .fini = teardown, .timeout = 60)
{
    tls_run();
}
