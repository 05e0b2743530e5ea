/* bench-tsqueue: the thread-safe queue between two loops on two threads —
 * items per second from a producer loop to a consumer loop through a
 * bounded queue, and a ping-pong round trip through two queues — against
 * the anchor measured in the same run: the same two exchanges between two
 * plain threads over a mutex + condition variable queue. */
#include <pthread.h>
#include <stdbool.h>

#include "bench.h"

#define RUNS 3
#define CAP  1024

static long items, trips;
static corio_tsqueue *q1, *q2;

/* --- corio: two loops (corio_run_threads), index 0 produces/serves ------- */

static intptr_t stream_main(void *arg)
{
    int64_t *ns = arg;
    void *item;
    if (corio_loop_index() == 0) {
        for (long i = 0; i < items; i++)
            if (corio_tsqueue_put(q1, (void *)(intptr_t)(i + 1), -1) < 0)
                return -1;
        return 0;
    }
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < items; i++)
        if (corio_tsqueue_get(q1, &item, -1) < 0)
            return -1;
    *ns = corio_now_ns() - t0;
    return 0;
}

static intptr_t pingpong_main(void *arg)
{
    int64_t *ns = arg;
    void *item;
    if (corio_loop_index() == 0) {
        for (long i = 0; i < trips; i++)
            if (corio_tsqueue_get(q1, &item, -1) < 0 || corio_tsqueue_put(q2, item, -1) < 0)
                return -1;
        return 0;
    }
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < trips; i++)
        if (corio_tsqueue_put(q1, (void *)1, -1) < 0 || corio_tsqueue_get(q2, &item, -1) < 0)
            return -1;
    *ns = corio_now_ns() - t0;
    return 0;
}

static double corio_ns(corio_fn *fn, size_t cap, long n)
{
    int64_t ns = 0;
    if (corio_tsqueue_new(cap, &q1) < 0 || corio_tsqueue_new(cap, &q2) < 0)
        exit(1);
    if (corio_run_threads(2, fn, &ns) != 0)
        exit(1);
    corio_tsqueue_free(q1);
    corio_tsqueue_free(q2);
    return (double)ns / (double)n;
}

/* --- the anchor: a bounded mutex + condvar queue between two threads ------- */

typedef struct condq {
    pthread_mutex_t m;
    pthread_cond_t not_empty, not_full;
    void **buf;
    size_t cap, head, n;
} condq;

static condq a1, a2;

static void condq_init(condq *c, size_t cap)
{
    pthread_mutex_init(&c->m, NULL);
    pthread_cond_init(&c->not_empty, NULL);
    pthread_cond_init(&c->not_full, NULL);
    c->buf = malloc(cap * sizeof *c->buf);
    c->cap = cap;
    c->head = c->n = 0;
}

static void condq_fini(condq *c)
{
    pthread_mutex_destroy(&c->m);
    pthread_cond_destroy(&c->not_empty);
    pthread_cond_destroy(&c->not_full);
    free(c->buf);
}

static void condq_put(condq *c, void *item)
{
    pthread_mutex_lock(&c->m);
    while (c->n == c->cap)
        pthread_cond_wait(&c->not_full, &c->m);
    c->buf[(c->head + c->n++) % c->cap] = item;
    pthread_cond_signal(&c->not_empty);
    pthread_mutex_unlock(&c->m);
}

static void *condq_get(condq *c)
{
    pthread_mutex_lock(&c->m);
    while (c->n == 0)
        pthread_cond_wait(&c->not_empty, &c->m);
    void *item = c->buf[c->head];
    c->head = (c->head + 1) % c->cap;
    c->n--;
    pthread_cond_signal(&c->not_full);
    pthread_mutex_unlock(&c->m);
    return item;
}

static void *anchor_producer(void *arg)
{
    (void)arg;
    for (long i = 0; i < items; i++)
        condq_put(&a1, (void *)(intptr_t)(i + 1));
    return NULL;
}

static void *anchor_server(void *arg)
{
    (void)arg;
    for (long i = 0; i < trips; i++)
        condq_put(&a2, condq_get(&a1));
    return NULL;
}

static double anchor_ns(bool pingpong, size_t cap, long n)
{
    pthread_t th;
    condq_init(&a1, cap);
    condq_init(&a2, cap);
    pthread_create(&th, NULL, pingpong ? anchor_server : anchor_producer, NULL);
    int64_t t0 = corio_now_ns();
    for (long i = 0; i < n; i++) {
        if (pingpong) {
            condq_put(&a1, (void *)1);
            condq_get(&a2);
        } else
            condq_get(&a1);
    }
    double per = (double)(corio_now_ns() - t0) / (double)n;
    pthread_join(th, NULL);
    condq_fini(&a1);
    condq_fini(&a2);
    return per;
}

static double min(double a, double b)
{
    return a < b ? a : b;
}

int main(int argc, char **argv)
{
    bench_usage(argc, argv, "[ITEMS [ROUND_TRIPS]]  (defaults 1000000 and 20000)");
    items = argc > 1 ? bench_count(argv[0], argv[1]) : 1000000;
    trips = argc > 2 ? bench_count(argv[0], argv[2]) : 20000;
    double stream = 1e18, stream_a = 1e18, pp = 1e18, pp_a = 1e18;
    for (int r = 0; r < RUNS; r++) {
        stream = min(stream, corio_ns(stream_main, CAP, items));
        stream_a = min(stream_a, anchor_ns(false, CAP, items));
        pp = min(pp, corio_ns(pingpong_main, 1, trips));
        pp_a = min(pp_a, anchor_ns(true, 1, trips));
    }
    double ips = 1e9 / stream, ips_a = 1e9 / stream_a;
    printf("loop -> loop stream (capacity %d):    %.2fM items/s (%.0f ns/item)\n", CAP, ips / 1e6,
           stream);
    printf("mutex+condvar queue, two threads:      %.2fM items/s (%.0f ns/item)\n", ips_a / 1e6,
           stream_a);
    printf("throughput ratio (corio / anchor):     %.2f\n", ips / ips_a);
    printf("loop <-> loop ping-pong round trip:    %.0f ns\n", pp);
    printf("mutex+condvar ping-pong, two threads:  %.0f ns\n", pp_a);
    printf("round-trip ratio (corio / anchor):     %.2f\n", pp / pp_a);
    printf("{\"bench\":\"tsqueue\",\"items_per_s\":%.0f,\"pingpong_ns\":%.0f,"
           "\"anchor\":\"pthread_cond_queue\",\"anchor_items_per_s\":%.0f,"
           "\"anchor_pingpong_ns\":%.0f,\"throughput_ratio\":%.2f,\"ratio\":%.2f}\n",
           ips, pp, ips_a, pp_a, ips / ips_a, pp / pp_a);
    return 0;
}
