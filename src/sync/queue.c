/* Queue: a ring buffer (FIFO) or a binary heap (priority) of items, with
 * waiting getters and putters handed items directly. */
#include <stdlib.h>
#include <string.h>

#include <corio/queue.h>

#include "../core/sched.h"

typedef struct slot {
    void *item;
    int64_t prio;
    uint64_t seq; /* FIFO among equal priorities */
} slot;

struct corio_queue {
    corio__loop *loop;
    slot *buf;
    size_t cap;      /* allocated slots: a power of two, so indexes wrap with a mask */
    size_t head, n;  /* ring: first item and count; heap: n items from 0 */
    size_t capacity; /* 0: unbounded */
    bool priority, closed;
    uint64_t seq;
    size_t unfinished;
    corio__waitq getters, putters, joiners;
};

static bool busy(const corio_queue *q)
{
    return !corio__list_empty(&q->getters) || !corio__list_empty(&q->putters) ||
           !corio__list_empty(&q->joiners);
}

int corio_queue_new(size_t capacity, unsigned flags, corio_queue **out)
{
    if (flags & ~(unsigned)CORIO_QUEUE_PRIORITY)
        return -EINVAL;
    corio_queue *q = calloc(1, sizeof *q);
    if (!q)
        return -ENOMEM;
    q->capacity = capacity;
    q->priority = flags & CORIO_QUEUE_PRIORITY;
    corio__waitq_init(&q->getters);
    corio__waitq_init(&q->putters);
    corio__waitq_init(&q->joiners);
    *out = q;
    return 0;
}

int corio_queue_free(corio_queue *q)
{
    if (!q)
        return 0;
    if (busy(q))
        return -EBUSY;
    free(q->buf);
    free(q);
    return 0;
}

static bool before(const slot *a, const slot *b)
{
    return a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq);
}

static int grow(corio_queue *q)
{
    size_t cap = q->cap ? q->cap * 2 : 16;
    slot *buf = malloc(cap * sizeof *buf);
    if (!buf)
        return -ENOMEM;
    /* Unroll the ring so it starts at 0 (a heap is already contiguous). */
    for (size_t i = 0; i < q->n; i++)
        buf[i] = q->buf[(q->head + i) & (q->cap - 1)];
    free(q->buf);
    q->buf = buf;
    q->cap = cap;
    q->head = 0;
    return 0;
}

/* Stores an item; there is room (bounded) or memory permitting. */
static int store(corio_queue *q, void *item, int64_t prio)
{
    if (q->n == q->cap && grow(q) < 0)
        return -ENOMEM;
    slot s = {item, prio, q->seq++};
    if (!q->priority) {
        q->buf[(q->head + q->n++) & (q->cap - 1)] = s;
        return 0;
    }
    size_t i = q->n++;
    while (i > 0 && before(&s, &q->buf[(i - 1) / 2])) {
        q->buf[i] = q->buf[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->buf[i] = s;
    return 0;
}

static void *take(corio_queue *q)
{
    void *item;
    if (!q->priority) {
        item = q->buf[q->head].item;
        q->head = (q->head + 1) & (q->cap - 1);
        q->n--;
        return item;
    }
    item = q->buf[0].item;
    slot last = q->buf[--q->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= q->n)
            break;
        if (c + 1 < q->n && before(&q->buf[c + 1], &q->buf[c]))
            c++;
        if (!before(&q->buf[c], &last))
            break;
        q->buf[i] = q->buf[c];
        i = c;
    }
    if (q->n)
        q->buf[i] = last;
    return item;
}

/* A parked putter's offer, on its stack. */
typedef struct offer {
    void *item;
    int64_t prio;
} offer;

static int try_put(corio__loop *l, corio_queue *q, void *item, int64_t prio)
{
    if (q->closed)
        return -EPIPE;
    if (!corio__list_empty(&q->getters)) {
        corio_task *g = corio__container_of(q->getters.next, corio_task, wait_node);
        *(void **)g->wait_data = item;
        corio__waitq_wake_one(l, &q->getters, 0);
        q->unfinished++;
        return 0;
    }
    if (q->capacity && q->n >= q->capacity)
        return -EAGAIN;
    int rc = store(q, item, prio);
    if (rc == 0)
        q->unfinished++;
    return rc;
}

/* The hand-off at the heart of a producer/consumer pair: a getter is
 * waiting, nothing is cancelled, the queue is this loop's. Kept small and
 * free of calls: it is most of what a queue ping-pong costs. */
static inline bool put_fast(corio_queue *q, void *item)
{
    corio__loop *l = corio__tls_loop;
    if (!q || !l || !l->current || q->loop != l || l->ncancelled || q->closed ||
        corio__list_empty(&q->getters))
        return false;
    corio_task *g = corio__container_of(q->getters.next, corio_task, wait_node);
    if (g->timer.index != SIZE_MAX)
        return false; /* a getter with a deadline: disarming it is put_slow's */
    *(void **)g->wait_data = item;
    corio__list_unlink(&g->wait_node);
    g->wake_code = 0;
    corio__runq_push(l, g);
    q->unfinished++;
    return true;
}

static int put_slow(corio_queue *q, void *item, int64_t prio, int64_t deadline)
    __attribute__((noinline));

int corio_queue_put_prio(corio_queue *q, void *item, int64_t prio, int64_t deadline)
{
    return put_fast(q, item) ? 0 : put_slow(q, item, prio, deadline);
}

static int put_slow(corio_queue *q, void *item, int64_t prio, int64_t deadline)
{
    corio__loop *l = corio__task_loop_or_die("corio_queue_put");
    if (!q)
        corio__misuse("corio_queue_put", "the queue is NULL");
    CORIO__BIND_OR_DIE(q, l, busy(q));
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    rc = try_put(l, q, item, prio);
    if (rc != -EAGAIN)
        return rc;
    offer o = {item, prio};
    l->current->wait_data = &o;
    /* 0: a getter moved our item into the queue (or took it) and counted it. */
    return corio__wait_rc(corio__waitq_park(l, &q->putters, "queue put", (int64_t)q->n,
                                            corio__deadline_ns(deadline)));
}

int corio_queue_put(corio_queue *q, void *item, int64_t deadline)
{
    return put_fast(q, item) ? 0 : put_slow(q, item, 0, deadline);
}

int corio_queue_try_put(corio_queue *q, void *item)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(q, l, busy(q));
    return try_put(l, q, item, 0);
}

/* After an item left: let the first waiting putter in. */
static void admit_putter(corio__loop *l, corio_queue *q)
{
    if (corio__list_empty(&q->putters))
        return;
    corio_task *p = corio__container_of(q->putters.next, corio_task, wait_node);
    offer *o = p->wait_data;
    if (store(q, o->item, o->prio) < 0)
        return; /* no memory: it stays parked until the next get */
    q->unfinished++;
    corio__waitq_wake_one(l, &q->putters, 0);
}

static int try_get(corio__loop *l, corio_queue *q, void **item)
{
    if (q->n == 0)
        return q->closed ? -EPIPE : -EAGAIN;
    void *it = take(q);
    if (item)
        *item = it;
    admit_putter(l, q);
    return 0;
}

static int get_slow(corio_queue *q, void **item, int64_t deadline) __attribute__((noinline));

int corio_queue_get(corio_queue *q, void **item, int64_t deadline)
{
    /* Fast path: empty, nobody cancelled, no deadline: park for a hand-off.
     * Everything else is get_slow's, out of line so this stays small. */
    corio__loop *fl = corio__tls_loop;
    if (q && fl && fl->current && q->loop == fl && !fl->ncancelled && q->n == 0 && !q->closed &&
        deadline < 0 && corio__list_empty(&q->putters) && item) {
        corio_task *t = fl->current;
        corio__list_push(&q->getters, &t->wait_node);
        t->wait_data = item; /* a putter stores straight into it */
        /* Woken by a putter (which unlinked us) or by a cancel (whose hook did). */
        return corio__park_now(fl, "queue get", 0, corio__waitq_leave);
    }
    return get_slow(q, item, deadline);
}

static int get_slow(corio_queue *q, void **item, int64_t deadline)
{
    corio__loop *l = corio__task_loop_or_die("corio_queue_get");
    if (!q)
        corio__misuse("corio_queue_get", "the queue is NULL");
    CORIO__BIND_OR_DIE(q, l, busy(q));
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    rc = try_get(l, q, item);
    if (rc != -EAGAIN)
        return rc;
    void *got = NULL;
    l->current->wait_data = &got;
    rc = corio__wait_rc(
        corio__waitq_park(l, &q->getters, "queue get", 0, corio__deadline_ns(deadline)));
    if (rc == 0 && item)
        *item = got;
    return rc;
}

int corio_queue_try_get(corio_queue *q, void **item)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(q, l, busy(q));
    return try_get(l, q, item);
}

void corio_queue_close(corio_queue *q)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    if (q->closed)
        return;
    q->closed = true;
    if (!q->loop)
        return;
    corio__waitq_wake_all(q->loop, &q->getters, -EPIPE); /* waiting: the queue is empty */
    corio__waitq_wake_all(q->loop, &q->putters, -EPIPE);
    corio__waitq_wake_all(q->loop, &q->joiners, 0);
}

int corio_queue_task_done(corio_queue *q)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    CORIO__MISUSE_IF(q->unfinished == 0, "called more times than items were put");
    if (--q->unfinished == 0 && q->loop)
        corio__waitq_wake_all(q->loop, &q->joiners, 0);
    return 0;
}

int corio_queue_join(corio_queue *q, int64_t deadline)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    corio__loop *l = CORIO__TASK_LOOP();
    CORIO__BIND_OR_DIE(q, l, busy(q));
    if (q->unfinished == 0 || q->closed)
        return corio__cancelled(l, l->current);
    return corio__wait_rc(corio__waitq_park(l, &q->joiners, "queue join", (int64_t)q->unfinished,
                                            corio__deadline_ns(deadline)));
}

size_t corio_queue_size(const corio_queue *q)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    return q->n;
}
