/* call_soon, call_later and call_soon_threadsafe. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <corio/loop.h>
#include <corio/time.h>

#include "sched.h"

struct corio_handle {
    corio__timer timer;
    corio__loop *loop;
    corio_callback *cb;
    void *arg;
    bool kept; /* the caller holds it: freed by corio_handle_cancel */
    bool ran;
};

static void on_wake(corio__io *io, uint32_t events)
{
    (void)events;
    uint64_t n;
    ssize_t r = read(io->fd, &n, sizeof n); /* clears it; ts_pending says what to do */
    (void)r;
}

int corio__callbacks_init(corio__loop *l)
{
    int rc = pthread_mutex_init(&l->ts_lock, NULL);
    if (rc)
        return -rc;
    l->ts_tail = &l->ts_head;
    l->wake_io.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->wake_io.ready = on_wake;
    if (l->wake_io.fd < 0) {
        rc = -errno;
        pthread_mutex_destroy(&l->ts_lock);
        return rc;
    }
    rc = corio__poller_add(&l->poller, &l->wake_io, EPOLLIN, false);
    if (rc < 0) {
        close(l->wake_io.fd);
        pthread_mutex_destroy(&l->ts_lock);
    }
    return rc;
}

void corio__callbacks_destroy(corio__loop *l)
{
    corio__callbacks_drain_threadsafe(l); /* frees the nodes; the calls are dropped */
    free(l->cbq);
    close(l->wake_io.fd);
    pthread_mutex_destroy(&l->ts_lock);
}

static int push(corio__loop *l, corio_callback *cb, void *arg)
{
    if (l->cbq_n == l->cbq_cap) {
        size_t cap = l->cbq_cap ? l->cbq_cap * 2 : 64;
        corio__callback *q = malloc(cap * sizeof *q);
        if (!q)
            return -ENOMEM;
        for (size_t i = 0; i < l->cbq_n; i++)
            q[i] = l->cbq[(l->cbq_head + i) % l->cbq_cap];
        free(l->cbq);
        l->cbq = q;
        l->cbq_cap = cap;
        l->cbq_head = 0;
    }
    l->cbq[(l->cbq_head + l->cbq_n++) % l->cbq_cap] = (corio__callback){cb, arg};
    return 0;
}

void corio__callbacks_run(corio__loop *l)
{
    for (size_t n = l->cbq_n; n > 0 && l->cbq_n > 0; n--) {
        corio__callback c = l->cbq[l->cbq_head];
        l->cbq_head = (l->cbq_head + 1) % l->cbq_cap;
        l->cbq_n--;
        c.cb(c.arg);
    }
}

void corio__callbacks_drain_threadsafe(corio__loop *l)
{
    /* Clear the flag first: a call queued after we take the list sets it
     * again, so nothing is left behind unnoticed. */
    atomic_store(&l->ts_pending, false);
    pthread_mutex_lock(&l->ts_lock);
    corio__ts_node *n = l->ts_head;
    l->ts_head = NULL;
    l->ts_tail = &l->ts_head;
    pthread_mutex_unlock(&l->ts_lock);
    while (n) {
        corio__ts_node *next = n->next;
        corio__callback call = n->call;
        if (n->owned)
            free(n);
        if (push(l, call.cb, call.arg) < 0)
            call.cb(call.arg); /* no memory for the ring: run it now rather than lose it */
        n = next;
    }
}

corio_loop *corio_loop_current(void)
{
    return corio__loop_get();
}

int corio_call_soon(corio_callback *cb, void *arg)
{
    corio__loop *l = CORIO__LOOP();
    CORIO__MISUSE_IF(!cb, "cb is NULL");
    return push(l, cb, arg);
}

static void fire(corio__timer *timer)
{
    corio_handle *h = corio__container_of(timer, corio_handle, timer);
    h->ran = true;
    corio_callback *cb = h->cb;
    void *arg = h->arg;
    if (!h->kept)
        free(h);
    cb(arg);
}

int corio_call_later(int64_t ms, corio_callback *cb, void *arg, corio_handle **handle)
{
    corio__loop *l = CORIO__LOOP();
    CORIO__MISUSE_IF(!cb, "cb is NULL");
    if (ms < 0)
        return -EINVAL;
    corio_handle *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->loop = l;
    h->cb = cb;
    h->arg = arg;
    h->kept = handle != NULL;
    h->timer.fire = fire;
    h->timer.index = SIZE_MAX;
    int64_t now = corio_now_ns();
    int64_t at = ms > (INT64_MAX - now) / 1000000 ? INT64_MAX : now + ms * 1000000;
    int rc = corio__timer_add(&l->timers, &h->timer, at);
    if (rc < 0) {
        free(h);
        return rc;
    }
    if (handle)
        *handle = h;
    return 0;
}

int corio_handle_cancel(corio_handle *h)
{
    CORIO__MISUSE_IF(!h, "the handle is NULL");
    int rc = h->ran ? -EALREADY : 0;
    if (!h->ran)
        corio__timer_remove(&h->loop->timers, &h->timer);
    free(h);
    return rc;
}

int corio_call_soon_threadsafe(corio_loop *l, corio_callback *cb, void *arg)
{
    CORIO__MISUSE_IF(!l || !cb, "the loop or cb is NULL");
    corio__ts_node *n = malloc(sizeof *n);
    if (!n)
        return -ENOMEM;
    n->call = (corio__callback){cb, arg};
    n->owned = true;
    corio__call_threadsafe_node(l, n);
    return 0;
}

void corio__call_threadsafe_node(corio__loop *l, corio__ts_node *n)
{
    n->next = NULL;
    /* The wake-up is written under the lock: once the loop has taken the
     * node (under the same lock) it may finish and close the eventfd, so no
     * caller may still be about to write to it. */
    pthread_mutex_lock(&l->ts_lock);
    *l->ts_tail = n;
    l->ts_tail = &n->next;
    if (!atomic_exchange(&l->ts_pending, true)) {
        uint64_t one = 1;
        ssize_t w = write(l->wake_io.fd, &one, sizeof one);
        (void)w; /* EAGAIN: the counter is full, so the loop is awake anyway */
    }
    pthread_mutex_unlock(&l->ts_lock);
}
