/* bench-pubsub: corio-pubsub's fan-out (issue 7's target). Starts the
 * server (build/bin/corio-pubsub, beside this program) on a free port with a
 * hard limit of LIMIT bytes per subscriber, opens N subscriber streams plus
 * one stalled one (a tiny receive buffer set before connecting, never read),
 * publishes M messages of 100 bytes through a few keep-alive POSTs in
 * parallel as fast as the server answers them (a publish never waits for a
 * subscriber), and reports messages delivered per second, the publish rate
 * and the longest POST, the publish-to-receive latency (p50/p99, the send
 * time travels in the message), whether every healthy subscriber got every
 * id in order, and whether the stalled one, and only it, was dropped.
 *
 * With --fleet N it also runs N instances on one redis-server (a Unix socket
 * in a temp dir, no persistence; corio-pubsub --redis), subscribers and
 * publishers spread over them round-robin, alternating with the single
 * instance, 3 runs each, and reports both and their ratios (medians; the
 * spread too). A fleet's ids are stream ids, checked to increase.
 *
 *     bench-pubsub [SUBSCRIBERS (1000)] [MESSAGES (10000)] [--fleet N]
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bench.h"

#define MSG_BYTES  100
#define BUCKET_US  50 /* latency histogram resolution */
#define BUCKETS    (60 * 1000000 / BUCKET_US)
#define PUBLISHERS 4
/* The server's hard limit per subscriber: the whole run is about 1.3 MB of
 * events, of which the stalled stream's socket buffers take about 0.5 MB,
 * so the default 32 MiB would keep it to the end */
#define HARD_LIMIT "256k"
#define MAX_FLEET  16
#define ROUNDS     3 /* with --fleet: runs of each */

static long subscribers = 1000, messages = 10000;
static long fleet_runs;                 /* --fleet N: N, else 0 */
static int ports[MAX_FLEET], ninst = 1; /* the instances of this run */
static uint32_t *hist;
static long long delivered, out_of_order, healthy_done, readers_ended;
static int64_t last_receive_ns, longest_post_ns;
static long next_publish;
static int next_publisher;
static bool stream_ids; /* a fleet's: "MS-SEQ" */

/* One run's figures. */
typedef struct figures {
    double delivered_per_s, publish_per_s, longest_post_ms, p50_ms, p99_ms;
    bool all, dropped;
} figures;
static figures last_run;

typedef struct reader {
    corio_fd *fd;
    long next_id, count;
    unsigned long long ms, seq; /* the last stream id */
} reader;

static const char stream_req[] = "GET / HTTP/1.1\r\nHost: b\r\nAccept: text/event-stream\r\n\r\n";

static int open_stream(int port, corio_fd **fd)
{
    int rc = corio_tcp_connect("127.0.0.1", port, fd, corio_now() + 10000);
    return rc ? rc : corio_fd_write_all(*fd, stream_req, sizeof stream_req - 1, -1);
}

/* A subscriber that never reads. Its receive buffer is made small before
 * connecting, so the window it offers is small from the start and the
 * server's writes to it block after a few hundred kilobytes. A plain
 * blocking socket: connecting on loopback does not wait for the accept. */
static int open_stalled(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), rcvbuf = 4096;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0 ||
        connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        write(fd, stream_req, sizeof stream_req - 1) != (ssize_t)(sizeof stream_req - 1)) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* One line of the stream: "id: N" must follow the last, "data: NS ..."
 * carries the publish time. */
static void line(reader *r, const char *s, size_t n, int64_t now)
{
    if (n > 4 && !memcmp(s, "id: ", 4) && stream_ids) {
        char *end;
        unsigned long long ms = strtoull(s + 4, &end, 10), seq = strtoull(end + 1, NULL, 10);
        if (ms < r->ms || (ms == r->ms && seq <= r->seq))
            out_of_order++;
        r->ms = ms;
        r->seq = seq;
        r->count++;
    } else if (n > 4 && !memcmp(s, "id: ", 4)) {
        long id = strtol(s + 4, NULL, 10);
        if (id != r->next_id)
            out_of_order++;
        r->next_id = id + 1;
        r->count++;
    } else if (n > 6 && !memcmp(s, "data: ", 6)) {
        long long us = (now - strtoll(s + 6, NULL, 10)) / 1000;
        hist[us / BUCKET_US < BUCKETS ? us / BUCKET_US : BUCKETS - 1]++;
        delivered++;
    }
}

static intptr_t read_stream(void *arg)
{
    reader *r = arg;
    char buf[65536 + 256];
    size_t have = 0;
    r->next_id = 1;
    while (r->count < messages) {
        ssize_t n = corio_fd_read(r->fd, buf + have, sizeof buf - 256 - have, corio_now() + 30000);
        if (n <= 0) {
            readers_ended++; /* dropped: it counts as not healthy */
            return 0;
        }
        int64_t now = corio_now_ns();
        have += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < have; i++)
            if (buf[i] == '\n') {
                line(r, buf + start, i - start, now);
                start = i + 1;
            }
        memmove(buf, buf + start, have - start);
        have -= start;
    }
    healthy_done++;
    readers_ended++;
    last_receive_ns = corio_now_ns();
    return 0;
}

/* Keep-alive POSTs of 100-byte messages, each starting with its send time. */
static intptr_t publish(void *arg)
{
    corio_http_client *c = arg;
    char url[64], body[MSG_BYTES + 1];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ports[next_publisher++ % ninst]);
    corio_http_header ct = {"Content-Type", "text/plain"};
    while (next_publish < messages) {
        next_publish++;
        int len = snprintf(body, sizeof body, "%" PRId64 " ", corio_now_ns());
        memset(body + len, 'x', MSG_BYTES - (size_t)len);
        corio_http_request_opts o = {
            .method = "POST", .headers = &ct, .nheaders = 1, .body = body, .body_len = MSG_BYTES};
        corio_http_response *r;
        int64_t t0 = corio_now_ns();
        int rc = corio_http_client_request(c, url, &o, &r, -1);
        if (rc < 0)
            return rc;
        if (corio_now_ns() - t0 > longest_post_ns)
            longest_post_ns = corio_now_ns() - t0;
        corio_http_response_free(r);
    }
    return 0;
}

/* A number from the server's /stats JSON; -1 when missing. */
static long long stats_field(const char *stats, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *at = strstr(stats, k);
    return at ? strtoll(at + strlen(k), NULL, 10) : -1;
}

static double percentile(double p)
{
    long long want = (long long)(p * (double)delivered), seen = 0;
    for (long i = 0; i < BUCKETS; i++)
        if ((seen += hist[i]) > want)
            return (double)(i * BUCKET_US + BUCKET_US / 2) / 1000.0;
    return 0;
}

static intptr_t run(void *arg)
{
    (void)arg;
    reader *readers = calloc((size_t)subscribers, sizeof *readers);
    int stalled = open_stalled(ports[0]);
    int rc = stalled < 0 ? stalled : 0;
    for (long i = 0; rc == 0 && i < subscribers; i++)
        rc = open_stream(ports[i % ninst], &readers[i].fd);
    if (rc < 0)
        return rc;
    corio_sleep(500); /* let the server take every subscription */
    corio_spawn_opts small = {.stack_size = 128 * 1024};
    for (long i = 0; i < subscribers; i++)
        corio_spawn_ex(NULL, read_stream, &readers[i], &small, NULL);
    corio_http_client_opts co = {.max_per_host = PUBLISHERS, .max_total = PUBLISHERS * MAX_FLEET};
    corio_http_client *c;
    corio_http_client_new(&co, &c);
    int64_t t0 = corio_now_ns();
    corio_nursery *n;
    corio_nursery_open(&n);
    for (int i = 0; i < PUBLISHERS; i++)
        corio_spawn(n, publish, c, NULL);
    rc = (int)corio_nursery_close(n);
    double publish_s = (double)(corio_now_ns() - t0) / 1e9;
    while (readers_ended < subscribers && corio_now_ns() - t0 < 120000000000LL)
        corio_sleep(10);
    double total_s = (double)((last_receive_ns ? last_receive_ns : corio_now_ns()) - t0) / 1e9;
    /* the stalled one: was its connection closed (dropped)? */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", ports[0]);
    corio_http_response *r = NULL;
    const char *stats = "{}";
    if (corio_http_client_request(c, url, NULL, &r, -1) == 0)
        corio_http_response_body(r, &stats, NULL);
    /* the stalled one dropped, and no healthy one at all */
    int dropped = stats_field(stats, "dropped_subscribers") == 1 && healthy_done == subscribers;
    int all = healthy_done == subscribers && !out_of_order;
    double delivered_per_s = (double)delivered / total_s, publish_per_s = messages / publish_s;
    printf("%d instance(s)%s: %ld subscribers + 1 stalled, %ld messages of %d bytes\n", ninst,
           stream_ids ? " on one Redis" : "", subscribers, messages, MSG_BYTES);
    printf("published in %.2f s (%.0f msg/s accepted; longest POST %.1f ms)\n", publish_s,
           publish_per_s, (double)longest_post_ns / 1e6);
    printf("delivered %lld messages in %.2f s: %.0f msg/s; latency p50 %.2f ms p99 %.2f ms\n",
           delivered, total_s, delivered_per_s, percentile(0.5), percentile(0.99));
    printf("healthy subscribers with every message in order: %lld of %ld (%lld out of order)\n",
           healthy_done, subscribers, out_of_order);
    printf("stalled subscriber dropped, and only it: %s; server stats %s\n", dropped ? "yes" : "no",
           stats);
    last_run = (figures){delivered_per_s, publish_per_s,    (double)longest_post_ns / 1e6,
                         percentile(0.5), percentile(0.99), all,
                         dropped};
    if (!stream_ids && ninst == 1 && !fleet_runs)
        printf("{\"bench\":\"pubsub\",\"subscribers\":%ld,\"messages\":%ld,"
               "\"delivered_per_s\":%.0f,\"publish_per_s\":%.0f,\"longest_post_ms\":%.1f,"
               "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"all_in_order\":%s,\"stalled_dropped\":%s}\n",
               subscribers, messages, delivered_per_s, publish_per_s, (double)longest_post_ns / 1e6,
               percentile(0.5), percentile(0.99), all ? "true" : "false",
               dropped ? "true" : "false");
    corio_http_response_free(r);
    corio_http_client_free(c);
    close(stalled);
    for (long i = 0; i < subscribers; i++)
        corio_fd_close(readers[i].fd);
    free(readers);
    return rc;
}

/* Starts corio-pubsub from this program's directory (with redis: on that
 * Redis, on channel); its port from stdout into *port. */
static pid_t start_server(const char *redis, const char *channel, int *port)
{
    char exe[PATH_MAX], path[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(path, sizeof path, "%s/corio-pubsub", exe);
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        if (redis)
            execl(path, path, "--port", "0", "--max-subscribers", "100000", "--hard-limit",
                  HARD_LIMIT, "--redis", redis, "--channel", channel, (char *)NULL);
        else
            execl(path, path, "--port", "0", "--max-subscribers", "100000", "--hard-limit",
                  HARD_LIMIT, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256];
    if (!f || !fgets(line, sizeof line, f) ||
        sscanf(line, "listening on http://%*[^:]:%d", port) != 1)
        return -1;
    return pid;
}

/* redis-server on a Unix socket in dir, no persistence; its URL in url. */
static pid_t start_redis(const char *dir, char *url, size_t size)
{
    char sock[PATH_MAX], log[PATH_MAX];
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    snprintf(log, sizeof log, "%s/redis.log", dir);
    snprintf(url, size, "unix://%s", sock);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
               "--appendonly", "no", "--dir", dir, "--logfile", log, (char *)NULL);
        _exit(127);
    }
    struct stat st;
    for (int i = 0; i < 200 && stat(sock, &st) < 0; i++)
        usleep(50000);
    return pid;
}

static void reset_run(void)
{
    memset(hist, 0, BUCKETS * sizeof *hist);
    delivered = out_of_order = healthy_done = readers_ended = 0;
    last_receive_ns = longest_post_ns = 0;
    next_publish = 0;
    next_publisher = 0;
}

/* One run on n instances (a fleet on redis when it is not NULL). */
static int run_once(int n, const char *redis, int round, figures *out)
{
    pid_t servers[MAX_FLEET];
    char channel[32];
    snprintf(channel, sizeof channel, "bench%d", round);
    ninst = n;
    stream_ids = redis != NULL;
    reset_run();
    int started = 0;
    for (; started < n; started++)
        if ((servers[started] = start_server(redis, channel, &ports[started])) < 0)
            break;
    intptr_t rc = started == n ? corio_run(run, NULL) : -EIO;
    for (int i = 0; i < started; i++) {
        kill(servers[i], SIGTERM);
        waitpid(servers[i], NULL, 0);
    }
    *out = last_run;
    return (int)rc;
}

/* --fleet: ROUNDS runs of each, alternating; medians, spreads, ratios. */
static int compare(void)
{
    char dir[] = "/tmp/bench-pubsub-XXXXXX", url[PATH_MAX + 16];
    if (!mkdtemp(dir))
        return -errno;
    pid_t redis = start_redis(dir, url, sizeof url);
    figures single[ROUNDS], fleet[ROUNDS];
    int rc = redis < 0 ? -EIO : 0;
    for (int r = 0; rc == 0 && r < ROUNDS; r++) {
        rc = run_once(1, NULL, r, &single[r]);
        rc = rc ? rc : run_once((int)fleet_runs, url, r, &fleet[r]);
    }
    kill(redis, SIGTERM);
    waitpid(redis, NULL, 0);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench-pubsub: could not remove %s\n", dir);
    if (rc < 0)
        return rc;
    double sd[ROUNDS], fd[ROUNDS], sp[ROUNDS], fp[ROUNDS];
    bool all = true;
    for (int r = 0; r < ROUNDS; r++) {
        sd[r] = single[r].delivered_per_s;
        fd[r] = fleet[r].delivered_per_s;
        sp[r] = single[r].p99_ms;
        fp[r] = fleet[r].p99_ms;
        all = all && single[r].all && fleet[r].all;
    }
    double msd = bench_median(sd, ROUNDS), mfd = bench_median(fd, ROUNDS);
    double msp = bench_median(sp, ROUNDS), mfp = bench_median(fp, ROUNDS);
    double sd_min = sd[0], sd_max = sd[ROUNDS - 1], fd_min = fd[0], fd_max = fd[ROUNDS - 1];
    printf("single instance: %.0f deliveries/s (%.0f..%.0f), p99 %.2f ms (median of %d)\n", msd,
           sd_min, sd_max, msp, ROUNDS);
    printf("%ld instances on one Redis: %.0f deliveries/s (%.0f..%.0f), p99 %.2f ms; "
           "%.2fx the deliveries/s, %.2fx the p99\n",
           fleet_runs, mfd, fd_min, fd_max, mfp, mfd / msd, mfp / msp);
    printf("every healthy subscriber got every message in order in every run: %s\n",
           all ? "yes" : "no");
    printf("{\"bench\":\"pubsub_fleet\",\"subscribers\":%ld,\"messages\":%ld,\"instances\":%ld,"
           "\"runs\":%d,\"single_delivered_per_s\":%.0f,\"fleet_delivered_per_s\":%.0f,"
           "\"single_p99_ms\":%.2f,\"fleet_p99_ms\":%.2f,\"deliveries_ratio\":%.2f,"
           "\"all_in_order\":%s}\n",
           subscribers, messages, fleet_runs, ROUNDS, msd, mfd, msp, mfp, mfd / msd,
           all ? "true" : "false");
    return 0;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[SUBSCRIBERS (1000)] [MESSAGES (10000)] [--fleet N]");
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fleet") && i + 1 < argc) {
            fleet_runs = bench_count(argv[0], argv[++i]);
            if (fleet_runs > MAX_FLEET)
                fleet_runs = MAX_FLEET;
        } else if (pos++ == 0) {
            subscribers = bench_count(argv[0], argv[i]);
        } else {
            messages = bench_count(argv[0], argv[i]);
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    hist = calloc(BUCKETS, sizeof *hist);
    figures f;
    intptr_t rc = fleet_runs ? compare() : run_once(1, NULL, 0, &f);
    if (rc == -EIO)
        fprintf(stderr, "bench-pubsub: could not start corio-pubsub or redis-server\n");
    else if (rc < 0)
        fprintf(stderr, "bench-pubsub: %s\n", corio_strerror((int)rc));
    return rc < 0;
}
