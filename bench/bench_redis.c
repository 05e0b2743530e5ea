/* bench-redis: SET and GET of 100-byte values from 50 tasks against one
 * redis-server, for corio's client in three ways — a connection per task, all
 * 50 on one shared connection (implicit pipelining), a connection per task
 * with explicit pipelines of 16 — and, in the same run and on the same
 * server, the anchors: redis-benchmark -c 50 -P 1 and -P 16 (hiredis and
 * ae, C), and redis-py's asyncio client with 50 tasks.
 *
 * redis-server runs pinned to CPU 0, every client to CPU 1. Reported per
 * contender: ops/s and the client's CPU time (user + system, from getrusage:
 * this process's for corio, the child's for the anchors) per op, and the
 * server core's: CPU 0's busy time per op and its busy share, which says
 * whether the server or the client set the pace; median of the runs
 * (contenders alternate), and the spread. Last line: JSON.
 *
 *     bench-redis [--runs N] [--scale X] [--only KEY]
 *
 * --only runs one contender (KEY as in the JSON: corio_shared, ...), to
 * profile it (valgrind --tool=callgrind, perf); its figures are printed,
 * the ratios are not.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define TASKS      50
#define VALUE_SIZE 100
#define PIPE       16
#define MAX_RUNS   9

static int port;
static char tmpdir[] = "/tmp/corio-bench-redis-XXXXXX";

/* Client CPU and the server core's busy time per op; the server core's busy
 * share (is the server the bottleneck?). */
typedef struct result {
    double ops_s, cpu_us, server_us, server_pct;
} result;

enum contender { PER_TASK, SHARED, PIPELINED, RB_P1, RB_P16, REDIS_PY, NCONTENDERS };
static const char *const names[NCONTENDERS] = {
    "corio, a connection per task",    "corio, one shared connection",
    "corio, pipelines of 16 per task", "redis-benchmark -c 50 -P 1",
    "redis-benchmark -c 50 -P 16",     "redis-py asyncio, 50 tasks",
};

static const char *const keys[NCONTENDERS] = {"corio_per_task",      "corio_shared",
                                              "corio_pipe16",        "redis_benchmark_p1",
                                              "redis_benchmark_p16", "redis_py"};

static int key_index(const char *key)
{
    for (int c = 0; c < NCONTENDERS; c++)
        if (!strcmp(key, keys[c]))
            return c;
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs argv with stdout into out (cap bytes): the child's CPU seconds. */
static double run_child(const char *const *argv, char *out, size_t cap)
{
    double cpu = bench_run_child(argv, out, cap);
    if (cpu < 0) {
        fprintf(stderr, "bench-redis: %s failed\n", argv[3]);
        exit(1);
    }
    return cpu;
}

static pid_t start_server(void)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the bench */
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execlp("taskset", "taskset", "-c", "0", "redis-server", "--port", p, "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", tmpdir, "--logfile", "", (char *)NULL);
        _exit(127);
    }
    char out[256];
    for (int i = 0; i < 500; i++) {
        const char *ping[] = {"redis-cli", "-p", p, "PING", NULL};
        int fds[2];
        if (pipe(fds) < 0)
            exit(1);
        pid_t c = fork();
        if (c == 0) {
            dup2(fds[1], 1);
            dup2(fds[1], 2);
            execvp(ping[0], (char *const *)ping);
            _exit(127);
        }
        close(fds[1]);
        ssize_t n = read(fds[0], out, sizeof out - 1);
        close(fds[0]);
        waitpid(c, NULL, 0);
        if (n > 0 && strncmp(out, "PONG", 4) == 0)
            return pid;
        usleep(10000);
    }
    fprintf(stderr, "bench-redis: redis-server did not start\n");
    kill(pid, SIGKILL);
    exit(1);
}

/* --- corio's client ------------------------------------------------------ */
/* The tasks of a run share one count of commands still to send, as
 * redis-benchmark's clients share -n: a task whose connection is served
 * faster does more, and no task is left running alone at the end. */
typedef struct job {
    enum contender mode;
    long *left;
    corio_redis *conn;
    int index;
} job;

static char value[VALUE_SIZE];

static intptr_t worker(void *arg)
{
    job *j = arg;
    char key[32];
    snprintf(key, sizeof key, "corio:%d", j->index);
    const char *set[] = {"SET", key, value}, *get[] = {"GET", key};
    size_t setlen[] = {3, strlen(key), VALUE_SIZE}, getlen[] = {3, strlen(key)};
    if (j->mode == PIPELINED) {
        corio_redis_pipe *p;
        if (corio_redis_pipe_new(&p) < 0)
            return -ENOMEM;
        for (int i = 0; i < PIPE; i++)
            if (i % 2 ? corio_redis_pipe_argv(p, 2, get, getlen)
                      : corio_redis_pipe_argv(p, 3, set, setlen))
                return -ENOMEM;
        corio_redis_reply *r[PIPE];
        while (*j->left >= PIPE) {
            *j->left -= PIPE;
            int rc = corio_redis_pipe_run(j->conn, p, r, -1);
            if (rc < 0)
                return rc;
            for (int i = 0; i < PIPE; i++)
                corio_redis_reply_free(r[i]);
        }
        corio_redis_pipe_free(p);
        return 0;
    }
    for (long n = 0; *j->left > 0; n++) {
        --*j->left;
        corio_redis_reply *r;
        int rc = n % 2 ? corio_redis_argv(j->conn, 2, get, getlen, &r, -1)
                       : corio_redis_argv(j->conn, 3, set, setlen, &r, -1);
        corio_redis_reply_free(r);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int run_tasks(job *jobs)
{
    corio_task *t[TASKS];
    int rc = 0;
    for (int i = 0; i < TASKS; i++)
        corio_spawn(NULL, worker, &jobs[i], &t[i]);
    for (int i = 0; i < TASKS; i++) {
        intptr_t res;
        corio_join(t[i], &res, -1);
        if (res < 0)
            rc = (int)res;
        corio_task_release(t[i]);
    }
    return rc;
}

typedef struct corio_run_args {
    enum contender mode;
    long ops;
    result r;
} corio_run_args;

static intptr_t corio_main(void *arg)
{
    corio_run_args *a = arg;
    char url[64];
    snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
    job jobs[TASKS];
    corio_redis *conns[TASKS] = {0};
    int nconns = a->mode == SHARED ? 1 : TASKS;
    for (int i = 0; i < nconns; i++)
        if (corio_redis_connect(url, NULL, &conns[i], corio_now() + 5000) < 0)
            return -1;
    long left = TASKS * 2 * PIPE; /* warm up */
    for (int i = 0; i < TASKS; i++)
        jobs[i] = (job){a->mode, &left, conns[a->mode == SHARED ? 0 : i], i};
    int rc = run_tasks(jobs);
    left = a->ops;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    bench_ticks s0 = bench_cpu_ticks(0);
    double t0 = now_s();
    if (rc == 0)
        rc = run_tasks(jobs);
    double t1 = now_s();
    bench_ticks s1 = bench_cpu_ticks(0);
    getrusage(RUSAGE_SELF, &r1);
    long done = a->ops; /* a multiple of TASKS * PIPE */
    a->r.ops_s = done / (t1 - t0);
    a->r.cpu_us = (bench_rusage_s(&r1) - bench_rusage_s(&r0)) * 1e6 / done;
    a->r.server_us = bench_busy_s(s0, s1) * 1e6 / done;
    a->r.server_pct = bench_busy_pct(s0, s1);
    for (int i = 0; i < nconns; i++)
        corio_redis_close(conns[i]);
    return rc;
}

/* --- anchors -------------------------------------------------------------- */
static result redis_benchmark(long ops, int pipeline)
{
    char p[16], n[24], pl[16], out[4096];
    snprintf(p, sizeof p, "%d", port);
    snprintf(n, sizeof n, "%ld", ops / 2);
    snprintf(pl, sizeof pl, "%d", pipeline);
    const char *argv[] = {
        "taskset", "-c",  "1",  "redis-benchmark", "-p",    p,   "-c", "50", "-n", n, "-P", pl,
        "-d",      "100", "-t", "set,get",         "--csv", NULL};
    double cpu = run_child(argv, out, sizeof out);
    double secs = 0;
    int found = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char test[16];
        double rps;
        if (sscanf(line, "\"%15[^\"]\",\"%lf\"", test, &rps) == 2 && rps > 0 &&
            (!strcmp(test, "SET") || !strcmp(test, "GET"))) {
            secs += (double)(ops / 2) / rps;
            found++;
        }
    }
    if (found != 2) {
        fprintf(stderr, "bench-redis: cannot read redis-benchmark's output:\n%s\n", out);
        exit(1);
    }
    return (result){(double)(ops / 2 * 2) / secs, cpu * 1e6 / (double)(ops / 2 * 2), 0, 0};
}

static result redis_py(long ops)
{
    char p[16], n[24], out[256];
    snprintf(p, sizeof p, "%d", port);
    snprintf(n, sizeof n, "%ld", ops);
    const char *argv[] = {"taskset",
                          "-c",
                          "1",
                          "/usr/bin/python3",
                          CORIO_SOURCE_DIR "/bench/anchors/redis_py_asyncio.py",
                          p,
                          n,
                          "50",
                          NULL};
    run_child(argv, out, sizeof out);
    double done, secs, cpu;
    if (sscanf(out, "%lf %lf %lf", &done, &secs, &cpu) != 3 || secs <= 0) {
        fprintf(stderr, "bench-redis: cannot read the redis-py anchor's output: %s\n", out);
        exit(1);
    }
    return (result){done / secs, cpu * 1e6 / done, 0, 0};
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[--runs N] [--scale X] [--only KEY]");
    int runs = 3, only = -1;
    double scale = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = (int)bench_count(argv[0], argv[++i]);
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc && (only = key_index(argv[++i])) >= 0)
            ;
        else {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
            return 2;
        }
    }
    if (runs > MAX_RUNS || scale <= 0) {
        fprintf(stderr, "%s: --runs at most %d, --scale > 0\n", argv[0], MAX_RUNS);
        return 2;
    }
    memset(value, 'v', sizeof value);
    bench_pin(1);
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(tmpdir))
        return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    port = ntohs(a.sin_port);
    pid_t server = start_server();

    /* Ops per run: about a second or two each on a 2-core VM. */
    long ops[NCONTENDERS] = {200000, 200000, 1600000, 200000, 1600000, 20000};
    double ops_s[NCONTENDERS][MAX_RUNS], cpu[NCONTENDERS][MAX_RUNS];
    double srv[NCONTENDERS][MAX_RUNS], pct[NCONTENDERS][MAX_RUNS];
    for (int run = 0; run < runs; run++)
        for (int c = 0; c < NCONTENDERS; c++) {
            if (only >= 0 && c != only)
                continue;
            long n = (long)(ops[c] * scale) / (TASKS * PIPE) * (TASKS * PIPE);
            n = n > 0 ? n : TASKS * PIPE;
            result r;
            bench_ticks s0 = bench_cpu_ticks(0);
            if (c == RB_P1 || c == RB_P16) {
                r = redis_benchmark(n, c == RB_P1 ? 1 : PIPE);
            } else if (c == REDIS_PY) {
                r = redis_py(n);
            } else {
                corio_run_args ra = {(enum contender)c, n, {0, 0, 0, 0}};
                if (corio_run(corio_main, &ra) != 0) {
                    fprintf(stderr, "bench-redis: %s failed\n", names[c]);
                    kill(server, SIGKILL);
                    return 1;
                }
                r = ra.r;
            }
            if (c >= RB_P1) { /* the anchors: over the child's life */
                bench_ticks s1 = bench_cpu_ticks(0);
                r.server_us = bench_busy_s(s0, s1) * 1e6 / (double)n;
                r.server_pct = bench_busy_pct(s0, s1);
            }
            ops_s[c][run] = r.ops_s;
            cpu[c][run] = r.cpu_us;
            srv[c][run] = r.server_us;
            pct[c][run] = r.server_pct;
        }
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    rmdir(tmpdir);

    double m[NCONTENDERS], mc[NCONTENDERS], ms[NCONTENDERS], mp[NCONTENDERS];
    printf("bench-redis: SET/GET, 100-byte values, 50 tasks; server on CPU 0, clients on CPU 1; "
           "median of %d runs (spread). Server core: CPU 0's busy time per op and its busy share "
           "(steal left out); at ~100%% the server, not the client, sets the ops/s.\n",
           runs);
    printf("%-34s %10s %7s %13s %7s %12s %6s\n", "", "ops/s", "spread", "client CPU/op", "spread",
           "server CPU/op", "busy");
    for (int c = 0; c < NCONTENDERS; c++) {
        if (only >= 0 && c != only)
            continue;
        double so = bench_spread_pct(ops_s[c], runs), sc = bench_spread_pct(cpu[c], runs);
        m[c] = bench_median(ops_s[c], runs);
        mc[c] = bench_median(cpu[c], runs);
        ms[c] = bench_median(srv[c], runs);
        mp[c] = bench_median(pct[c], runs);
        printf("%-34s %10.0f %6.1f%% %10.2f us %6.1f%% %9.2f us %5.0f%%\n", names[c], m[c], so,
               mc[c], sc, ms[c], mp[c]);
    }
    if (only >= 0) {
        printf("{\"bench\":\"redis\",\"runs\":%d,\"%s_ops_s\":%.0f,\"%s_cpu_us_per_op\":%.3f}\n",
               runs, keys[only], m[only], keys[only], mc[only]);
        return 0;
    }
    double r1 = m[PER_TASK] / m[RB_P1], r16 = m[PIPELINED] / m[RB_P16];
    double rs = m[SHARED] / m[RB_P1];
    double c1 = mc[RB_P1] / mc[PER_TASK], c16 = mc[RB_P16] / mc[PIPELINED];
    double py = m[PER_TASK] / m[REDIS_PY], pys = m[SHARED] / m[REDIS_PY];
    printf("ops/s vs redis-benchmark: P1 %.2f (shared connection %.2f), P16 %.2f\n", r1, rs, r16);
    printf("client CPU/op, redis-benchmark's over corio's: P1 %.2f, P16 %.2f\n", c1, c16);
    printf("ops/s vs redis-py asyncio: %.1fx (shared connection %.1fx)\n", py, pys);
    printf("{\"bench\":\"redis\",\"runs\":%d", runs);
    for (int c = 0; c < NCONTENDERS; c++)
        printf(",\"%s_ops_s\":%.0f,\"%s_cpu_us_per_op\":%.3f,\"%s_server_us_per_op\":%.3f,"
               "\"%s_server_busy_pct\":%.0f",
               keys[c], m[c], keys[c], mc[c], keys[c], ms[c], keys[c], mp[c]);
    printf(",\"ratio_p1\":%.3f,\"ratio_shared_p1\":%.3f,\"ratio_p16\":%.3f", r1, rs, r16);
    printf(",\"ratio_vs_redis_benchmark\":%.3f,\"cpu_ratio_vs_redis_benchmark\":%.3f",
           r1 < r16 ? r1 : r16, c1 < c16 ? c1 : c16);
    /* redis-py's 50 tasks each await one command at a time, as corio's do on
     * the shared connection; its pool gives each task a connection, as the
     * per-task row does. The shared row is what corio's users get from the
     * same code; both are printed. */
    printf(",\"ratio_vs_redis_py\":%.2f,\"ratio_vs_redis_py_per_task\":%.2f}\n", pys, py);
    return 0;
}
