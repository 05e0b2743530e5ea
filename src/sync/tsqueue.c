/* The thread-safe queue: a ring of items under one mutex, and FIFO lists of
 * waiters served by direct hand-off.
 *
 * A waiter is a record on the waiting caller's stack. Whoever serves it (on
 * any thread) does so under the queue's lock: it unlinks the record, stores
 * the item or the result in it and marks it served. A plain thread's record
 * carries a condition variable, signalled under the lock (the thread may
 * return and destroy it as soon as the lock is free). A task's record
 * carries a call_soon_threadsafe node, posted to the task's loop after the
 * unlock; the callback, on that loop, wakes the task (a server on the
 * task's own loop calls it directly).
 *
 * Lifetime: the posted node is on the task's stack, so the task must not
 * return while the callback may still run. This is pool.c's technique
 * without its heap record (no malloc per wait): a task whose park ended by
 * cancellation or deadline takes the lock; still queued, it leaves and no
 * callback will come; already served, the callback is on its way, so it
 * waits for it, uncancellably, and returns what it was served (nothing is
 * lost). While a task waits it counts in its loop's `external`, so the loop
 * stays up (instead of reporting a deadlock) while only another thread can
 * wake it, and is still there when the callback is posted. */
#include <stdlib.h>
#include <time.h>

#include <corio/time.h>
#include <corio/tsqueue.h>

#include "../core/sched.h"

typedef struct waiter waiter;
struct waiter {
    corio__list_node node; /* in getters or putters while queued */
    void *item;            /* a putter's offer; what a getter was given */
    int rc;                /* once served: 0 or -EPIPE */
    bool served;           /* under the queue's lock */
    corio_tsqueue *q;
    corio__loop *loop; /* the task's loop; NULL for a plain thread */
    corio_task *task;
    corio__ts_node post;
    waiter *next_wake; /* a server's list of task wakes, made after the unlock */
    /* Touched on the task's loop thread only. */
    bool parked;         /* the callback must wake the task */
    bool arrived;        /* the callback has run */
    pthread_cond_t cond; /* a plain thread's */
};

struct corio_tsqueue {
    pthread_mutex_t lock;
    void **buf;
    size_t cap;      /* allocated slots: 0 or a power of two */
    size_t head, n;  /* first item and count */
    size_t capacity; /* 0: unbounded */
    bool closed;
    /* Getters wait only while n == 0, putters only while n == capacity. */
    corio__list getters, putters;
};

int corio_tsqueue_new(size_t capacity, corio_tsqueue **out)
{
    if (!out || capacity > SIZE_MAX / 2 / sizeof(void *))
        return -EINVAL;
    corio_tsqueue *q = calloc(1, sizeof *q);
    if (!q)
        return -ENOMEM;
    q->capacity = capacity;
    if (capacity) { /* the whole ring now: no allocation per put, no -ENOMEM later */
        for (q->cap = 1; q->cap < capacity; q->cap *= 2)
            ;
        q->buf = malloc(q->cap * sizeof *q->buf);
    }
    int rc = capacity && !q->buf ? ENOMEM : pthread_mutex_init(&q->lock, NULL);
    if (rc) {
        free(q->buf);
        free(q);
        return -rc;
    }
    corio__list_init(&q->getters);
    corio__list_init(&q->putters);
    *out = q;
    return 0;
}

int corio_tsqueue_free(corio_tsqueue *q)
{
    if (!q)
        return 0;
    pthread_mutex_lock(&q->lock);
    bool busy = !corio__list_empty(&q->getters) || !corio__list_empty(&q->putters);
    pthread_mutex_unlock(&q->lock);
    if (busy)
        return -EBUSY;
    pthread_mutex_destroy(&q->lock);
    free(q->buf);
    free(q);
    return 0;
}

/* --- under the lock ------------------------------------------------------- */

static int store(corio_tsqueue *q, void *item)
{
    if (q->n == q->cap) { /* unbounded and full: double, unrolling the ring */
        size_t cap = q->cap ? q->cap * 2 : 16;
        void **buf = cap > SIZE_MAX / sizeof *buf ? NULL : malloc(cap * sizeof *buf);
        if (!buf)
            return -ENOMEM;
        for (size_t i = 0; i < q->n; i++)
            buf[i] = q->buf[(q->head + i) & (q->cap - 1)];
        free(q->buf);
        q->buf = buf;
        q->cap = cap;
        q->head = 0;
    }
    q->buf[(q->head + q->n++) & (q->cap - 1)] = item;
    return 0;
}

static waiter *first(corio__list *l)
{
    return corio__container_of(l->next, waiter, node);
}

/* Takes w out of its list with its result. A thread is signalled now; a
 * task's wake is chained on *wake, to be made after the unlock. */
static void serve(waiter *w, int rc, waiter **wake)
{
    corio__list_unlink(&w->node);
    w->rc = rc;
    w->served = true;
    if (w->loop) {
        w->next_wake = *wake;
        *wake = w;
    } else
        pthread_cond_signal(&w->cond);
}

static int put_locked(corio_tsqueue *q, void *item, waiter **wake)
{
    if (q->closed)
        return -EPIPE;
    if (!corio__list_empty(&q->getters)) {
        waiter *g = first(&q->getters);
        g->item = item;
        serve(g, 0, wake);
        return 0;
    }
    if (q->capacity && q->n >= q->capacity)
        return -EAGAIN;
    return store(q, item);
}

static int get_locked(corio_tsqueue *q, void **item, waiter **wake)
{
    if (q->n == 0)
        return q->closed ? -EPIPE : -EAGAIN;
    void *it = q->buf[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->n--;
    if (item)
        *item = it;
    if (!corio__list_empty(&q->putters)) { /* the first putter's item takes the free slot */
        waiter *p = first(&q->putters);
        q->buf[(q->head + q->n++) & (q->cap - 1)] = p->item;
        serve(p, 0, wake);
    }
    return 0;
}

/* --- waking and waiting --------------------------------------------------- */

/* On the waiter's loop. */
static void arrived(void *arg)
{
    waiter *w = arg;
    w->arrived = true;
    if (w->parked) {
        w->parked = false;
        corio__wake(w->loop, w->task, 0);
    }
}

/* After the unlock: the task waiters served. */
static void wake_tasks(waiter *w)
{
    corio__loop *here = corio__tls_loop;
    while (w) {
        waiter *next = w->next_wake; /* w may be gone once its callback ran */
        if (w->loop == here)
            arrived(w);
        else {
            w->post.call = (corio__callback){arrived, w};
            corio__call_threadsafe_node(w->loop, &w->post);
        }
        w = next;
    }
}

/* Unlocks q, then wakes what the operation served; returns rc. */
static int finish(corio_tsqueue *q, waiter *wake, int rc)
{
    pthread_mutex_unlock(&q->lock);
    wake_tasks(wake);
    return rc;
}

/* Takes a task's record out of its list unless it was served: true if it
 * left. Twice is harmless. */
static bool leave(waiter *w)
{
    pthread_mutex_lock(&w->q->lock);
    bool left = !w->served;
    if (left)
        corio__list_unlink(&w->node);
    pthread_mutex_unlock(&w->q->lock);
    return left;
}

/* The cancel hook (also run before a deadline wake). */
static void leave_hook(corio_task *t)
{
    waiter *w = t->wait_data;
    w->parked = false; /* a callback still to come must not wake it again */
    leave(w);
}

static int wait_task(corio__loop *l, waiter *w, const char *what, int64_t deadline)
{
    w->loop = l;
    w->task = l->current;
    w->parked = true;
    l->current->wait_data = w;
    atomic_fetch_add(&l->external, 1);
    pthread_mutex_unlock(&w->q->lock);
    int rc = deadline >= 0 ? corio__park_slow(l, what, 0, corio__deadline_ns(deadline), leave_hook)
                           : corio__park_now(l, what, 0, leave_hook);
    w->parked = false;
    if (rc != 0 && !leave(w) && !w->arrived) {
        /* Served as it was leaving: the callback is on its way and uses w. */
        w->parked = true;
        corio__park_uncancellable(l, what, 0);
    }
    atomic_fetch_sub(&l->external, 1);
    return w->served ? w->rc : corio__wait_rc(rc);
}

static int wait_thread(waiter *w, int64_t deadline)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* corio_now()'s clock */
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    int rc = 0;
    while (!w->served && rc == 0) {
        if (deadline < 0)
            pthread_cond_wait(&w->cond, &w->q->lock);
        else if (pthread_cond_timedwait(&w->cond, &w->q->lock, &ts) == ETIMEDOUT && !w->served) {
            corio__list_unlink(&w->node);
            rc = -ETIMEDOUT;
        }
    }
    if (w->served)
        rc = w->rc;
    pthread_mutex_unlock(&w->q->lock);
    pthread_cond_destroy(&w->cond);
    return rc;
}

/* With q->lock held and the operation unable to go on: queues w on list and
 * waits until it is served; returns with the lock released. */
static int wait_on(corio_tsqueue *q, waiter *w, corio__list *list, const char *what,
                   int64_t deadline)
{
    corio__loop *l = corio__tls_loop;
    if (l && !l->current) { /* it would block the loop */
        pthread_mutex_unlock(&q->lock);
        corio__misuse(list == &q->putters ? "corio_tsqueue_put" : "corio_tsqueue_get",
                      "a blocking call on a loop's thread outside a task");
    }
    if (deadline >= 0 && deadline <= corio_now()) {
        pthread_mutex_unlock(&q->lock);
        return -ETIMEDOUT;
    }
    w->q = q;
    w->served = false;
    corio__list_push(list, &w->node);
    return l ? wait_task(l, w, what, deadline) : wait_thread(w, deadline);
}

/* A put of *slot or a get into *slot (NULL: drop it). With wait, a task's
 * call is a checkpoint and a full or empty queue makes it wait. */
static int transfer(corio_tsqueue *q, bool put, void **slot, int64_t deadline, bool wait)
{
    corio__loop *l = corio__task_loop();
    int rc = wait && l ? corio__cancelled(l, l->current) : 0;
    if (rc)
        return rc;
    waiter *wake = NULL;
    pthread_mutex_lock(&q->lock);
    rc = put ? put_locked(q, *slot, &wake) : get_locked(q, slot, &wake);
    if (rc != -EAGAIN || !wait)
        return finish(q, wake, rc);
    waiter w = {.item = put ? *slot : NULL};
    rc = wait_on(q, &w, put ? &q->putters : &q->getters, put ? "tsqueue put" : "tsqueue get",
                 deadline);
    if (rc == 0 && !put && slot)
        *slot = w.item;
    return rc;
}

/* --- the API ---------------------------------------------------------------- */

int corio_tsqueue_put(corio_tsqueue *q, void *item, int64_t deadline)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    return transfer(q, true, &item, deadline, true);
}

int corio_tsqueue_try_put(corio_tsqueue *q, void *item)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    return transfer(q, true, &item, -1, false);
}

int corio_tsqueue_get(corio_tsqueue *q, void **item, int64_t deadline)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    return transfer(q, false, item, deadline, true);
}

int corio_tsqueue_try_get(corio_tsqueue *q, void **item)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    return transfer(q, false, item, -1, false);
}

void corio_tsqueue_close(corio_tsqueue *q)
{
    if (!q)
        return;
    waiter *wake = NULL;
    pthread_mutex_lock(&q->lock);
    if (!q->closed) {
        q->closed = true;
        /* Getters wait only on an empty queue: nothing is left for them. */
        while (!corio__list_empty(&q->getters))
            serve(first(&q->getters), -EPIPE, &wake);
        while (!corio__list_empty(&q->putters))
            serve(first(&q->putters), -EPIPE, &wake);
    }
    finish(q, wake, 0);
}

size_t corio_tsqueue_size(corio_tsqueue *q)
{
    CORIO__MISUSE_IF(!q, "the queue is NULL");
    pthread_mutex_lock(&q->lock);
    size_t n = q->n;
    pthread_mutex_unlock(&q->lock);
    return n;
}
