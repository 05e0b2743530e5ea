/* bench-pg: the PostgreSQL client against pgbench and asyncpg, in the same
 * run, on a server of its own (initdb in a temp dir, fsync off) pinned to
 * CPU 0 while the clients run on CPU 1.
 *
 * `SELECT $1::int` prepared, from 16 tasks on 16 pooled connections (a
 * pool acquire and release around every query, as asyncpg's
 * pool.fetchval); the same in pipeline mode, 64 statements a batch; pgbench
 * -M prepared -c 16 -j 1 with a one-line script of that query; asyncpg (on
 * uvloop) with a pool of 16 and 16 tasks. Over a Unix socket and TCP
 * loopback; after one round not counted (warm-up), the contenders
 * alternate, in an order rotated each round, each run several times: the
 * median and the spread of queries/s, client CPU (user + system) per
 * query, and the server core's (CPU 0's busy time per query and its busy
 * share, steal left out: near 100% the server sets the pace, not the
 * client), and how often per query the client's core was woken by another
 * CPU (wake-up interrupts: each is a sleep that a reply had to end).
 *
 * usage: bench-pg [--seconds S] [--runs N] [--only NAME [--tcp]]
 *
 * --only runs one contender (corio, pipeline, pgbench or asyncpg) over the
 * Unix socket, or over TCP with --tcp, to profile it (valgrind
 * --tool=callgrind, perf): its figures and query count, no ratios. */
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>

#include <corio/pg.h>

#include "../tests/pg_server.h"
#include "bench.h"

enum { TASKS = 16, BATCH = 64, MAX_RUNS = 15 };
enum { C_PREPARED, C_PIPELINE, C_PGBENCH, C_ASYNCPG, NCONTENDERS };
static const char *const names[NCONTENDERS] = {"corio prepared", "corio pipeline x64",
                                               "pgbench -M prepared", "asyncpg"};

typedef struct sample {
    double qps, cpu_us; /* queries per second, client CPU microseconds per query */
} sample;

static const char *const keys[NCONTENDERS] = {"corio", "pipeline", "pgbench", "asyncpg"};

static double seconds = 2;
static long last_queries;  /* of the last corio run */
static double last_sys_us; /* of the last corio run: the kernel's part of cpu_us */
static const char *anchor_dir = BENCH_ANCHORS;

/* --- corio ---------------------------------------------------------------- */

typedef struct run {
    const char *conninfo;
    bool pipelined;
    corio_pg_pool *pool;
    int64_t end;
    long queries;
    int failures;
    sample out;
} run;

static int one_round(run *r, corio_pg *c, int id, const corio_pg_params *p)
{
    static const char *sql = "SELECT $1::int";
    int32_t v = -1;
    if (!r->pipelined) {
        corio_pg_result *res;
        int rc = corio_pg_query(c, sql, p, &res, -1);
        if (rc == 0 && (corio_pg_get_int32(res, 0, 0, &v) < 0 || v != id))
            rc = -EPROTO;
        corio_pg_result_free(res);
        r->queries += rc == 0;
        return rc;
    }
    corio_pg_stmt st[BATCH];
    corio_pg_result *res[BATCH];
    for (int i = 0; i < BATCH; i++)
        st[i] = (corio_pg_stmt){sql, p};
    int rc = corio_pg_pipeline(c, st, BATCH, res, NULL, -1);
    for (int i = 0; rc == 0 && i < BATCH; i++)
        if (corio_pg_get_int32(res[i], 0, 0, &v) < 0 || v != id)
            rc = -EPROTO;
    for (int i = 0; i < BATCH; i++)
        corio_pg_result_free(res[i]);
    r->queries += rc == 0 ? BATCH : 0;
    return rc;
}

static run *cur; /* the run in progress, for its tasks */

static intptr_t worker(void *arg)
{
    run *r = cur;
    int id = (int)(intptr_t)arg;
    char num[16];
    snprintf(num, sizeof num, "%d", id);
    const char *v[] = {num};
    corio_pg_params p = {1, v, NULL, NULL};
    while (corio_now() < r->end) {
        corio_pg *c;
        int rc = corio_pg_pool_acquire(r->pool, &c, -1);
        if (rc == 0) {
            rc = one_round(r, c, id, &p);
            if (rc < 0)
                fprintf(stderr, "bench-pg: %s\n", corio_pg_error(c));
            corio_pg_pool_release(r->pool, c, -1);
        }
        if (rc < 0) {
            fprintf(stderr, "bench-pg: %s\n", corio_strerror(rc));
            r->failures++;
            return rc;
        }
    }
    return 0;
}

static intptr_t corio_main(void *arg)
{
    run *r = cur = arg;
    corio_pg_pool_opts o = {.max = TASKS, .check_idle_ms = -1};
    int rc = corio_pg_pool_new(r->conninfo, &o, &r->pool);
    if (rc < 0)
        return rc;
    /* Connected (and the statement prepared) before the clock starts: the
     * figures are for queries. */
    corio_pg *cs[TASKS];
    int n = 0;
    while (n < TASKS && (rc = corio_pg_pool_acquire(r->pool, &cs[n], -1)) == 0)
        n++;
    const char *zero[] = {"0"};
    corio_pg_params p = {1, zero, NULL, NULL};
    for (int i = 0; i < n; i++) {
        if (rc == 0)
            rc = corio_pg_query(cs[i], "SELECT $1::int", &p, NULL, -1);
        corio_pg_pool_release(r->pool, cs[i], -1);
    }
    if (rc < 0)
        return rc;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    int64_t t0 = corio_now_ns();
    r->end = corio_now() + (int64_t)(seconds * 1000);
    corio_task *t[TASKS];
    for (int i = 0; i < TASKS; i++)
        corio_spawn(NULL, worker, (void *)(intptr_t)i, &t[i]);
    for (int i = 0; i < TASKS; i++) {
        corio_join(t[i], NULL, -1);
        corio_task_release(t[i]);
    }
    double elapsed = (double)(corio_now_ns() - t0) / 1e9;
    getrusage(RUSAGE_SELF, &r1);
    last_queries = r->queries;
    struct rusage u0 = r0, u1 = r1; /* the system time alone */
    u0.ru_utime = u1.ru_utime = (struct timeval){0, 0};
    last_sys_us =
        r->queries ? (bench_rusage_s(&u1) - bench_rusage_s(&u0)) * 1e6 / (double)r->queries : 0;
    r->out.qps = (double)r->queries / elapsed;
    r->out.cpu_us =
        r->queries ? (bench_rusage_s(&r1) - bench_rusage_s(&r0)) * 1e6 / (double)r->queries : 0;
    return corio_pg_pool_close(r->pool, -1);
}

static int run_corio(const char *conninfo, bool pipelined, sample *s)
{
    run r = {.conninfo = conninfo, .pipelined = pipelined};
    intptr_t rc = corio_run(corio_main, &r);
    *s = r.out;
    return rc < 0 || r.failures ? -1 : 0;
}

/* --- the anchors ------------------------------------------------------------ */

static int run_pgbench(const pg_server *srv, bool tcp, const char *script, sample *s)
{
    char port[16], secs[16], out[8192];
    snprintf(port, sizeof port, "%d", srv->port);
    snprintf(secs, sizeof secs, "%d", (int)(seconds + 0.5));
    const char *argv[] = {PG_BIN "pgbench",
                          "-n",
                          "-M",
                          "prepared",
                          "-c",
                          "16",
                          "-j",
                          "1",
                          "-T",
                          secs,
                          "-f",
                          script,
                          "-h",
                          tcp ? "127.0.0.1" : srv->dir,
                          "-p",
                          port,
                          "-U",
                          "postgres",
                          "postgres",
                          NULL};
    double cpu = bench_run_child(argv, out, sizeof out);
    if (cpu < 0)
        return -1;
    const char *tps = strstr(out, "tps = ");
    if (!tps)
        return -1;
    s->qps = strtod(tps + 6, NULL);
    /* Its CPU includes connecting (cheap: trusted, no TLS) over the -T seconds. */
    s->cpu_us = s->qps > 0 ? cpu * 1e6 / (s->qps * (int)(seconds + 0.5)) : 0;
    return 0;
}

static int run_asyncpg(const pg_server *srv, bool tcp, sample *s)
{
    char dsn[200], secs[16], script[256], out[4096];
    if (tcp)
        snprintf(dsn, sizeof dsn, "postgresql://postgres@127.0.0.1:%d/postgres", srv->port);
    else
        snprintf(dsn, sizeof dsn, "postgresql://postgres@/postgres?host=%s&port=%d", srv->dir,
                 srv->port);
    snprintf(secs, sizeof secs, "%g", seconds);
    snprintf(script, sizeof script, "%s/pg_asyncpg.py", anchor_dir);
    const char *argv[] = {"/usr/bin/python3", script, dsn, secs, NULL};
    double cpu = bench_run_child(argv, out, sizeof out);
    if (cpu < 0)
        return -1;
    double queries = 0, elapsed = 0, own = 0;
    const char *q = strstr(out, "\"queries\": "), *e = strstr(out, "\"seconds\": "),
               *c = strstr(out, "\"cpu\": ");
    if (!q || !e || !c)
        return -1;
    queries = strtod(q + 11, NULL);
    elapsed = strtod(e + 11, NULL);
    own = strtod(c + 7, NULL);
    s->qps = queries / elapsed;
    s->cpu_us = queries ? own * 1e6 / queries : 0;
    return 0;
}

/* --- the report ----------------------------------------------------------- */

typedef struct stat3 {
    double median, lo, hi;
} stat3;

static stat3 stats(const double *v, int n)
{
    double s[MAX_RUNS];
    memcpy(s, v, (size_t)n * sizeof *s);
    double m = bench_median(s, n);
    return (stat3){m, s[0], s[n - 1]};
}

typedef struct result {
    stat3 qps, cpu, srv, busy; /* srv: the server core's busy us per query; busy: its share, % */
    stat3 wake;                /* the client core's wake-up interrupts per query */
} result;

static int measure(const pg_server *srv, bool tcp, const char *script, int runs, int only,
                   result res[NCONTENDERS])
{
    const char *conninfo = tcp ? srv->tcp : srv->local;
    double qps[NCONTENDERS][MAX_RUNS], cpu[NCONTENDERS][MAX_RUNS];
    double scpu[NCONTENDERS][MAX_RUNS], busy[NCONTENDERS][MAX_RUNS], wake[NCONTENDERS][MAX_RUNS];
    /* Round -1, the first time only, is not counted: the server's caches
     * and the page cache warm for whoever would otherwise run first (not
     * with --only, which runs one contender to profile it). */
    static bool warm;
    for (int r = warm || only >= 0 ? 0 : -1; r < runs; r++) {
        for (int i = 0; i < NCONTENDERS; i++) {
            /* Rotated each round: no contender always follows the same one
             * (whose backends may still be exiting on the server's CPU). */
            int k = (i + (r < 0 ? 0 : r)) % NCONTENDERS;
            if (only >= 0 && k != only)
                continue;
            sample s = {0, 0};
            bench_ticks b0 = bench_cpu_ticks(0);
            long long w0 = bench_wakeup_ipis(1);
            int64_t t0 = corio_now_ns();
            int rc = k == C_PREPARED   ? run_corio(conninfo, false, &s)
                     : k == C_PIPELINE ? run_corio(conninfo, true, &s)
                     : k == C_PGBENCH  ? run_pgbench(srv, tcp, script, &s)
                                       : run_asyncpg(srv, tcp, &s);
            if (rc < 0) {
                fprintf(stderr, "bench-pg: %s over %s failed\n", names[k], tcp ? "TCP" : "unix");
                return -1;
            }
            /* The server core over the contender's whole run, connecting
             * included (as for the anchors, which cannot be timed inside). */
            double wall = (double)(corio_now_ns() - t0) / 1e9;
            bench_ticks b1 = bench_cpu_ticks(0);
            double queries = s.qps * wall;
            if (r >= 0) {
                wake[k][r] = queries > 0 ? (double)(bench_wakeup_ipis(1) - w0) / queries : 0;
                qps[k][r] = s.qps;
                cpu[k][r] = s.cpu_us;
                scpu[k][r] = queries > 0 ? bench_busy_s(b0, b1) * 1e6 / queries : 0;
                busy[k][r] = bench_busy_pct(b0, b1);
            }
        }
    }
    warm = true;
    printf("%s:\n", tcp ? "TCP loopback" : "Unix socket");
    for (int k = 0; k < NCONTENDERS; k++) {
        if (only >= 0 && k != only)
            continue;
        res[k] = (result){stats(qps[k], runs), stats(cpu[k], runs), stats(scpu[k], runs),
                          stats(busy[k], runs), stats(wake[k], runs)};
        printf("  %-20s %9.0f q/s (%.0f..%.0f)  client CPU %6.2f us/query (%.2f..%.2f)  "
               "server core %6.2f us/query, %3.0f%% busy  client core woken %.2f/query\n",
               names[k], res[k].qps.median, res[k].qps.lo, res[k].qps.hi, res[k].cpu.median,
               res[k].cpu.lo, res[k].cpu.hi, res[k].srv.median, res[k].busy.median,
               res[k].wake.median);
    }
    return 0;
}

static double min2(double a, double b)
{
    return a < b ? a : b;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[--seconds S] [--runs N] [--anchors DIR] [--only NAME [--tcp]]");
    int runs = 5, only = -1;
    bool only_tcp = false;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "--tcp")) {
            only_tcp = true;
            i--;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: '%s' wants a value\n", argv[0], argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--only")) {
            for (int k = 0; k < NCONTENDERS; k++)
                if (!strcmp(argv[i + 1], keys[k]))
                    only = k;
            if (only < 0) {
                fprintf(stderr, "%s: --only: one of corio, pipeline, pgbench, asyncpg\n", argv[0]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--seconds"))
            seconds = (double)bench_count(argv[0], argv[i + 1]);
        else if (!strcmp(argv[i], "--runs"))
            runs = (int)bench_count(argv[0], argv[i + 1]);
        else if (!strcmp(argv[i], "--anchors"))
            anchor_dir = argv[i + 1];
    }
    if (runs > MAX_RUNS)
        runs = MAX_RUNS;
    bool two = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    pg_server srv = {.dir = "/tmp/corio-bench-pg", .cpu = two ? 0 : -1};
    pg_mkdir(srv.dir);
    pg_initdb(srv.dir, "trust");
    pg_hold_port(&srv);
    pg_conninfo(&srv);
    pg_ctl(&srv, "start");
    if (two)
        bench_pin(1); /* the anchors, children, inherit it */
    char script[160];
    snprintf(script, sizeof script, "%s/select.sql", srv.dir);
    FILE *f = fopen(script, "w");
    if (f) {
        fputs("SELECT :client_id::int;\n", f);
        fclose(f);
    }
    printf("bench-pg: SELECT $1::int, %d tasks on %d pooled connections, %d runs of %g s each "
           "(median, spread)%s\n",
           TASKS, TASKS, runs, seconds,
           two ? "; server on CPU 0, clients on CPU 1" : "; one CPU, not pinned");
    result unix_res[NCONTENDERS], tcp_res[NCONTENDERS];
    int rc = only >= 0 && only_tcp ? 0 : measure(&srv, false, script, runs, only, unix_res);
    if (rc == 0 && (only < 0 || only_tcp))
        rc = measure(&srv, true, script, runs, only, tcp_res);
    pg_ctl(&srv, "stop");
    pg_release_port(&srv);
    pg_rmdir(srv.dir);
    if (rc < 0)
        return 1;
    if (only >= 0) {
        result *x = only_tcp ? tcp_res : unix_res;
        printf("{\"bench\":\"pg\",\"only\":\"%s\",\"transport\":\"%s\",\"qps\":%.0f,"
               "\"cpu_us\":%.2f,\"last_corio_queries\":%ld,\"last_corio_sys_us\":%.2f}\n",
               keys[only], only_tcp ? "tcp" : "unix", x[only].qps.median, x[only].cpu.median,
               last_queries, last_sys_us);
        return 0;
    }
    result *u = unix_res, *t = tcp_res;
    /* The headline ratios are the worse of the two transports. */
    double vs_pgbench = min2(u[C_PREPARED].qps.median / u[C_PGBENCH].qps.median,
                             t[C_PREPARED].qps.median / t[C_PGBENCH].qps.median);
    double cpu_vs_pgbench = min2(u[C_PGBENCH].cpu.median / u[C_PREPARED].cpu.median,
                                 t[C_PGBENCH].cpu.median / t[C_PREPARED].cpu.median);
    double speedup = min2(u[C_PIPELINE].qps.median / u[C_PREPARED].qps.median,
                          t[C_PIPELINE].qps.median / t[C_PREPARED].qps.median);
    double vs_asyncpg = min2(u[C_PREPARED].qps.median / u[C_ASYNCPG].qps.median,
                             t[C_PREPARED].qps.median / t[C_ASYNCPG].qps.median);
    double cpu_vs_asyncpg = min2(u[C_ASYNCPG].cpu.median / u[C_PREPARED].cpu.median,
                                 t[C_ASYNCPG].cpu.median / t[C_PREPARED].cpu.median);
    printf("corio vs pgbench: %.2fx the queries/s, %.2fx less CPU per query; pipeline mode "
           "%.1fx; vs asyncpg: %.2fx the queries/s, %.1fx less CPU per query\n",
           vs_pgbench, cpu_vs_pgbench, speedup, vs_asyncpg, cpu_vs_asyncpg);
    printf("{\"bench\":\"pg\",\"seconds\":%g,\"runs\":%d", seconds, runs);
    for (int w = 0; w < 2; w++) {
        result *x = w ? t : u;
        printf(",\"%s\":{\"corio_qps\":%.0f,\"corio_cpu_us\":%.2f,\"pipeline_qps\":%.0f,"
               "\"pipeline_cpu_us\":%.2f,\"pgbench_qps\":%.0f,\"pgbench_cpu_us\":%.2f,"
               "\"asyncpg_qps\":%.0f,\"asyncpg_cpu_us\":%.2f,\"corio_server_us\":%.2f,"
               "\"corio_server_busy_pct\":%.0f,\"pgbench_server_us\":%.2f,"
               "\"pgbench_server_busy_pct\":%.0f,\"corio_client_wakeups\":%.2f,"
               "\"pgbench_client_wakeups\":%.2f}",
               w ? "tcp" : "unix", x[C_PREPARED].qps.median, x[C_PREPARED].cpu.median,
               x[C_PIPELINE].qps.median, x[C_PIPELINE].cpu.median, x[C_PGBENCH].qps.median,
               x[C_PGBENCH].cpu.median, x[C_ASYNCPG].qps.median, x[C_ASYNCPG].cpu.median,
               x[C_PREPARED].srv.median, x[C_PREPARED].busy.median, x[C_PGBENCH].srv.median,
               x[C_PGBENCH].busy.median, x[C_PREPARED].wake.median, x[C_PGBENCH].wake.median);
    }
    printf(",\"ratio_vs_pgbench\":%.2f,\"cpu_ratio_vs_pgbench\":%.2f,\"pipeline_speedup\":%.2f,"
           "\"ratio_vs_asyncpg\":%.2f,\"cpu_ratio_vs_asyncpg\":%.2f}\n",
           vs_pgbench, cpu_vs_pgbench, speedup, vs_asyncpg, cpu_vs_asyncpg);
    return 0;
}
