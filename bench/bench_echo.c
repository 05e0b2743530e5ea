/* bench-echo: echo round trips of 64-byte messages over loopback at 1, 64 and
 * 512 connections, for corio's echo_server and, in the same run, the anchors
 * found on this machine: a libuv echo server (built against libuv1-dev) and
 * an asyncio-streams server on uvloop (Debian's python3-uvloop).
 *
 * Each server runs pinned to CPU 0, the load generator (a plain epoll client
 * in a child process) to CPU 1. Reported per configuration: round trips/s and
 * the server core's busy time per round trip (CPU 0's user+system+irq+softirq
 * from /proc/stat, so the kernel's share of the server's work counts), the
 * median of three rounds that alternate the servers, with its spread. Then
 * the resident memory of an idle connection (10,000 of them, each having
 * echoed one message): idle_bytes_per_conn for echo_server (and
 * protocol_idle_bytes_per_conn for its --protocol mode) against
 * libuv_idle_bytes_per_conn. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MSG       64
#define WARMUP_MS 300

static double seconds = 2.0;

typedef struct server {
    const char *name;
    char *argv[5];
    pid_t pid;
    int port;
} server;

static int start(server *s)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    s->pid = fork();
    if (s->pid == 0) {
        bench_pin(0);
        dup2(p[1], 1);
        close(p[0]);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execv(s->argv[0], s->argv);
        _exit(127);
    }
    close(p[1]);
    char buf[256];
    size_t n = 0;
    struct pollfd pfd = {p[0], POLLIN, 0};
    while (n < sizeof buf - 1 && poll(&pfd, 1, 10000) > 0) {
        ssize_t r = read(p[0], buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        char *colon = strrchr(buf, ':');
        if (strchr(buf, '\n') && colon) {
            s->port = atoi(colon + 1);
            break;
        }
    }
    close(p[0]);
    if (s->port <= 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        return -1;
    }
    return 0;
}

static void stop(server *s)
{
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid)
            return;
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
}

/* The load generator, in its own process on CPU 1: writes one byte to
 * `sync` when measuring starts and the round-trip count when it ends. */
static void load(int port, int conns, int sync)
{
    bench_pin(1);
    int ep = epoll_create1(0);
    int *fds = calloc((size_t)conns, sizeof *fds);
    int *got = calloc((size_t)conns, sizeof *got);
    char msg[MSG], buf[65536];
    memset(msg, 'x', sizeof msg);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < conns; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fds[i], (struct sockaddr *)&a, sizeof a) < 0)
            _exit(1);
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
        if (write(fds[i], msg, MSG) != MSG)
            _exit(1);
    }
    long long count = 0;
    int64_t t0 = corio_now(), measure_from = t0 + WARMUP_MS,
            end = measure_from + (int64_t)(seconds * 1000);
    bool measuring = false;
    struct epoll_event evs[512];
    for (;;) {
        int64_t now = corio_now();
        if (!measuring && now >= measure_from) {
            measuring = true;
            count = 0;
            char c = 1;
            if (write(sync, &c, 1) != 1)
                _exit(1);
        }
        if (now >= end)
            break;
        int n = epoll_wait(ep, evs, 512, 100);
        for (int e = 0; e < n; e++) {
            int i = (int)evs[e].data.u32;
            ssize_t r = read(fds[i], buf, sizeof buf);
            if (r <= 0)
                continue;
            got[i] += (int)r;
            while (got[i] >= MSG) {
                got[i] -= MSG;
                count++;
                if (write(fds[i], msg, MSG) != MSG)
                    _exit(1);
            }
        }
    }
    if (write(sync, &count, sizeof count) != sizeof count)
        _exit(1);
    _exit(0);
}

/* Resident memory of a process, in KiB (VmRSS). */
static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int count_fds(pid_t pid)
{
    char path[64];
    int n = 0;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

/* Opens `conns` connections to the server from a child process, each of
 * which echoes one message and then stays idle, and returns the growth of
 * the server's resident memory per connection, in bytes, half a second
 * after (corio's echo server parks a connection after 20 ms without bytes). */
static double idle_rss_per_conn(server *s, int conns, int *held_out)
{
    int p[2];
    if (pipe(p) < 0)
        return 0;
    long before = rss_kib(s->pid);
    int fds_before = count_fds(s->pid);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        bench_pin(1);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int opened = 0;
        char msg[MSG], back[MSG];
        memset(msg, 'i', sizeof msg);
        for (; opened < conns; opened++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
                write(fd, msg, MSG) != MSG)
                break;
            for (ssize_t got = 0, r; got < MSG; got += r)
                if ((r = read(fd, back, MSG - (size_t)got)) <= 0)
                    _exit(1);
        }
        if (write(p[1], &opened, sizeof opened) != sizeof opened)
            _exit(1);
        for (;;)
            pause(); /* holding them open until the parent kills us */
    }
    close(p[1]);
    int opened = 0;
    if (read(p[0], &opened, sizeof opened) != sizeof opened)
        opened = 0;
    /* Count what the server really holds (its descriptors): connections
     * the kernel completed while the accept queue overflowed may never
     * reach it. */
    int held = 0;
    for (int i = 0; i < 100; i++) {
        held = count_fds(s->pid) - fds_before;
        if (held >= opened)
            break;
        usleep(100000);
    }
    usleep(200000);
    long after = rss_kib(s->pid);
    close(p[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    *held_out = held;
    return held > 0 ? (double)(after - before) * 1024.0 / held : 0;
}

typedef struct result {
    double rps, cpu_us;
} result;

static int run_load(server *s, int conns, result *out)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        load(s->port, conns, p[1]);
    }
    close(p[1]);
    char c;
    long long count = 0;
    if (read(p[0], &c, 1) != 1)
        return -1;
    bench_ticks b0 = bench_cpu_ticks(0);
    int64_t t0 = corio_now_ns();
    if (read(p[0], &count, sizeof count) != sizeof count)
        return -1;
    double el = (double)(corio_now_ns() - t0) / 1e9;
    bench_ticks b1 = bench_cpu_ticks(0);
    close(p[0]);
    waitpid(pid, NULL, 0);
    out->rps = (double)count / el;
    out->cpu_us = count ? bench_busy_s(b0, b1) * 1e6 / (double)count : 0;
    return 0;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[SECONDS]  (per configuration; default 2)");
    if (argc > 1)
        seconds = (double)bench_count(argv[0], argv[1]);
    char self[PATH_MAX], dir[PATH_MAX], corio_bin[PATH_MAX + 16], uv_bin[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    snprintf(dir, sizeof dir, "%s", self);
    *strrchr(dir, '/') = '\0';
    snprintf(corio_bin, sizeof corio_bin, "%s/echo_server", dir);
    snprintf(uv_bin, sizeof uv_bin, "%s/uv-echo", dir);
    server servers[4] = {
        {"corio", {corio_bin, "--port", "0", NULL}, 0, 0},
        {"corio-p", {corio_bin, "--protocol", "--port", "0"}, 0, 0},
        {"libuv", {uv_bin, "0", NULL, NULL}, 0, 0},
        {"uvloop",
         {"/usr/bin/python3", CORIO_SOURCE_DIR "/bench/anchors/uvloop_echo.py", "0", NULL},
         0,
         0},
    };
    static const int conns[] = {1, 64, 512};
    enum { RUNS = 3, IDLE_CONNS = 10000 };
    double rps[4][3][RUNS] = {{{0}}}, cpu[4][3][RUNS] = {{{0}}};
    result r[4][3] = {{{0, 0}}}; /* medians */
    double spread[4][3] = {{0}};
    double idle[4] = {0};
    bool ran[4] = {false}, missing[4] = {false};
    signal(SIGPIPE, SIG_IGN);
    /* Rounds alternate the servers (each round starts one later), so that a
     * disturbance of the shared machine does not fall on one of them. */
    for (int run = 0; run < RUNS; run++)
        for (int k = 0; k < 4; k++) {
            int i = (k + run) % 4;
            if (missing[i])
                continue;
            if (access(servers[i].argv[0], X_OK) != 0 || start(&servers[i]) < 0) {
                printf("%-7s not available, skipped\n", servers[i].name);
                missing[i] = true;
                continue;
            }
            ran[i] = true;
            for (int c = 0; c < 3; c++) {
                result one = {0, 0};
                if (run_load(&servers[i], conns[c], &one) < 0)
                    one = (result){0, 0};
                rps[i][c][run] = one.rps;
                cpu[i][c][run] = one.cpu_us;
            }
            if (run == 0) {
                int held = 0;
                idle[i] = idle_rss_per_conn(&servers[i], IDLE_CONNS, &held);
                printf("%-7s %d idle connections (%d held by the server): %.0f bytes of server RSS "
                       "each\n",
                       servers[i].name, IDLE_CONNS, held, idle[i]);
            }
            stop(&servers[i]);
        }
    for (int i = 0; i < 4; i++)
        for (int c = 0; ran[i] && c < 3; c++) {
            r[i][c].rps = bench_median(rps[i][c], RUNS);
            r[i][c].cpu_us = bench_median(cpu[i][c], RUNS);
            spread[i][c] =
                r[i][c].cpu_us ? (cpu[i][c][RUNS - 1] - cpu[i][c][0]) / r[i][c].cpu_us : 0;
            printf("%-7s %4d conns: %9.0f round trips/s, %6.2f us server CPU per round trip "
                   "(median of %d alternated runs, spread %.0f%%)\n",
                   servers[i].name, conns[c], r[i][c].rps, r[i][c].cpu_us, RUNS,
                   spread[i][c] * 100);
        }
    enum { CORIO, CORIO_P, LIBUV, UVLOOP };
    double vs_uv = ran[LIBUV] && r[LIBUV][1].rps ? r[CORIO][1].rps / r[LIBUV][1].rps : 0;
    double vs_uvloop = ran[UVLOOP] && r[UVLOOP][1].rps ? r[CORIO][1].rps / r[UVLOOP][1].rps : 0;
    double cpu_vs_uv =
        ran[LIBUV] && r[CORIO][1].cpu_us ? r[LIBUV][1].cpu_us / r[CORIO][1].cpu_us : 0;
    double cpu_vs_uv_512 =
        ran[LIBUV] && r[CORIO][2].cpu_us ? r[LIBUV][2].cpu_us / r[CORIO][2].cpu_us : 0;
    double p_vs_uv = ran[LIBUV] && r[LIBUV][1].rps ? r[CORIO_P][1].rps / r[LIBUV][1].rps : 0;
    double p_cpu_vs_uv =
        ran[LIBUV] && r[CORIO_P][1].cpu_us ? r[LIBUV][1].cpu_us / r[CORIO_P][1].cpu_us : 0;
    const char *backend = getenv("CORIO_BACKEND");
    printf("{\"bench\":\"echo\",\"backend\":\"%s\",\"runs\":%d,\"msg_bytes\":%d,\"conns\":64,"
           "\"corio_rps\":%.0f,\"corio_cpu_us\":%.2f,\"corio_cpu_spread\":%.2f,"
           "\"libuv_rps\":%.0f,\"libuv_cpu_us\":%.2f,\"libuv_cpu_spread\":%.2f,"
           "\"uvloop_rps\":%.0f,\"uvloop_cpu_us\":%.2f,"
           "\"ratio_vs_libuv\":%.2f,\"ratio_vs_uvloop\":%.2f,\"cpu_ratio_vs_libuv\":%.2f,"
           "\"corio_cpu_us_512\":%.2f,\"libuv_cpu_us_512\":%.2f,\"cpu_ratio_vs_libuv_512\":%.2f,"
           "\"protocol_rps\":%.0f,\"protocol_ratio_vs_libuv\":%.2f,\"protocol_cpu_ratio_vs_libuv\":"
           "%.2f,"
           "\"idle_conns\":%d,\"idle_bytes_per_conn\":%.0f,\"protocol_idle_bytes_per_conn\":%.0f,"
           "\"libuv_idle_bytes_per_conn\":%.0f}\n",
           backend ? backend : "default", RUNS, MSG, r[CORIO][1].rps, r[CORIO][1].cpu_us,
           spread[CORIO][1], r[LIBUV][1].rps, r[LIBUV][1].cpu_us, spread[LIBUV][1],
           r[UVLOOP][1].rps, r[UVLOOP][1].cpu_us, vs_uv, vs_uvloop, cpu_vs_uv, r[CORIO][2].cpu_us,
           r[LIBUV][2].cpu_us, cpu_vs_uv_512, r[CORIO_P][1].rps, p_vs_uv, p_cpu_vs_uv, IDLE_CONNS,
           idle[CORIO], idle[CORIO_P], idle[LIBUV]);
    return 0;
}
