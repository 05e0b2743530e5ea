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
 *     bench-pubsub [SUBSCRIBERS (1000)] [MESSAGES (10000)]
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
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

static long subscribers = 1000, messages = 10000;
static int port;
static uint32_t *hist;
static long long delivered, out_of_order, healthy_done, readers_ended;
static int64_t last_receive_ns, longest_post_ns;
static long next_publish;

typedef struct reader {
    corio_fd *fd;
    long next_id;
} reader;

static const char stream_req[] = "GET / HTTP/1.1\r\nHost: b\r\nAccept: text/event-stream\r\n\r\n";

static int open_stream(corio_fd **fd)
{
    int rc = corio_tcp_connect("127.0.0.1", port, fd, corio_now() + 10000);
    return rc ? rc : corio_fd_write_all(*fd, stream_req, sizeof stream_req - 1, -1);
}

/* A subscriber that never reads. Its receive buffer is made small before
 * connecting, so the window it offers is small from the start and the
 * server's writes to it block after a few hundred kilobytes. A plain
 * blocking socket: connecting on loopback does not wait for the accept. */
static int open_stalled(void)
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
    if (n > 4 && !memcmp(s, "id: ", 4)) {
        long id = strtol(s + 4, NULL, 10);
        if (id != r->next_id)
            out_of_order++;
        r->next_id = id + 1;
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
    while (r->next_id <= messages) {
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
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
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
    int stalled = open_stalled();
    int rc = stalled < 0 ? stalled : 0;
    for (long i = 0; rc == 0 && i < subscribers; i++)
        rc = open_stream(&readers[i].fd);
    if (rc < 0)
        return rc;
    corio_sleep(500); /* let the server take every subscription */
    corio_spawn_opts small = {.stack_size = 128 * 1024};
    for (long i = 0; i < subscribers; i++)
        corio_spawn_ex(NULL, read_stream, &readers[i], &small, NULL);
    corio_http_client_opts co = {.max_per_host = PUBLISHERS};
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
    snprintf(url, sizeof url, "http://127.0.0.1:%d/stats", port);
    corio_http_response *r = NULL;
    const char *stats = "{}";
    if (corio_http_client_request(c, url, NULL, &r, -1) == 0)
        corio_http_response_body(r, &stats, NULL);
    /* the stalled one dropped, and no healthy one at all */
    int dropped = stats_field(stats, "dropped_subscribers") == 1 && healthy_done == subscribers;
    int all = healthy_done == subscribers && !out_of_order;
    double delivered_per_s = (double)delivered / total_s, publish_per_s = messages / publish_s;
    printf("%ld subscribers + 1 stalled, %ld messages of %d bytes\n", subscribers, messages,
           MSG_BYTES);
    printf("published in %.2f s (%.0f msg/s accepted; longest POST %.1f ms)\n", publish_s,
           publish_per_s, (double)longest_post_ns / 1e6);
    printf("delivered %lld messages in %.2f s: %.0f msg/s; latency p50 %.2f ms p99 %.2f ms\n",
           delivered, total_s, delivered_per_s, percentile(0.5), percentile(0.99));
    printf("healthy subscribers with every message in order: %lld of %ld (%lld out of order)\n",
           healthy_done, subscribers, out_of_order);
    printf("stalled subscriber dropped, and only it: %s; server stats %s\n", dropped ? "yes" : "no",
           stats);
    printf("{\"bench\":\"pubsub\",\"subscribers\":%ld,\"messages\":%ld,\"delivered_per_s\":%.0f,"
           "\"publish_per_s\":%.0f,\"longest_post_ms\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,"
           "\"all_in_order\":%s,\"stalled_dropped\":%s}\n",
           subscribers, messages, delivered_per_s, publish_per_s, (double)longest_post_ns / 1e6,
           percentile(0.5), percentile(0.99), all ? "true" : "false", dropped ? "true" : "false");
    corio_http_response_free(r);
    corio_http_client_free(c);
    close(stalled);
    for (long i = 0; i < subscribers; i++)
        corio_fd_close(readers[i].fd);
    free(readers);
    return rc;
}

/* Starts corio-pubsub from this program's directory; its port from stdout. */
static pid_t start_server(void)
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
        execl(path, path, "--port", "0", "--max-subscribers", "100000", "--hard-limit", HARD_LIMIT,
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256];
    if (!f || !fgets(line, sizeof line, f) ||
        sscanf(line, "listening on http://%*[^:]:%d", &port) != 1)
        return -1;
    return pid;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[SUBSCRIBERS (1000)] [MESSAGES (10000)]");
    if (argc > 1)
        subscribers = bench_count(argv[0], argv[1]);
    if (argc > 2)
        messages = bench_count(argv[0], argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    hist = calloc(BUCKETS, sizeof *hist);
    pid_t server = start_server();
    if (server < 0) {
        fprintf(stderr, "bench-pubsub: could not start corio-pubsub\n");
        return 1;
    }
    intptr_t rc = corio_run(run, NULL);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    if (rc < 0)
        fprintf(stderr, "bench-pubsub: %s\n", corio_strerror((int)rc));
    return rc < 0;
}
