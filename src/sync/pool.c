/* The thread pool: a FIFO of jobs under one mutex, workers parked on a
 * condition variable, results posted back to the submitting loop with the
 * job's own call_soon_threadsafe node (no allocation on the way back). */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <corio/pool.h>
#include <corio/time.h>

#include "../base/log.h"
#include "../core/sched.h"

enum { JOB_QUEUED, JOB_DONE };

struct corio_job {
    struct corio_job *next;
    corio_fn *fn;
    void *arg;
    intptr_t result;
    /* For corio_to_thread: the loop to post back to and the task waiting
     * (NULL once it stopped waiting: the result is dropped). */
    corio__loop *loop;
    corio_task *task;
    intptr_t *out; /* the waiting task's result slot */
    corio__ts_node post;
    /* For corio_pool_submit: waiters block on done_cond. */
    pthread_cond_t done_cond;
    int state;
    int refs; /* submitter's handle + the pool's, for corio_pool_submit */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    corio_job *head, **tail;
    unsigned threads, idle, min, max;
    bool configured;
    bool failing; /* the last thread start failed (logged once a run of them) */
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
};

static unsigned cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

int corio_pool_configure(unsigned min_threads, unsigned max_threads)
{
    if (min_threads == 0 || max_threads < min_threads || max_threads > 4096)
        return -EINVAL;
    pthread_mutex_lock(&pool.lock);
    int rc = pool.threads ? -EBUSY : 0;
    if (rc == 0) {
        pool.min = min_threads;
        pool.max = max_threads;
        pool.configured = true;
    }
    pthread_mutex_unlock(&pool.lock);
    return rc;
}

static void finish(corio_job *j);

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.head) {
            pool.idle++;
            pthread_cond_wait(&pool.work, &pool.lock);
            pool.idle--;
        }
        corio_job *j = pool.head;
        pool.head = j->next;
        if (!pool.head)
            pool.tail = &pool.head;
        pthread_mutex_unlock(&pool.lock);
        j->result = j->fn(j->arg);
        finish(j);
        pthread_mutex_lock(&pool.lock);
    }
    return NULL;
}

/* Called with pool.lock held. */
static int start_thread(void)
{
    pthread_attr_t attr;
    pthread_t th;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&th, &attr, worker, NULL);
    pthread_attr_destroy(&attr);
    if (rc)
        return -rc;
    pool.threads++;
    return 0;
}

/* A forked child has none of the parent's threads: start afresh. */
static void after_fork_child(void)
{
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.work, NULL);
    pool.head = NULL;
    pool.tail = &pool.head;
    pool.threads = pool.idle = 0;
    pool.failing = false;
}

static void pool_init(void)
{
    pool.tail = &pool.head;
    pthread_atfork(NULL, NULL, after_fork_child);
}

static int enqueue(corio_job *j)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pool_init);
    pthread_mutex_lock(&pool.lock);
    if (!pool.configured) {
        pool.min = cores();
        pool.max = pool.min * 4 < 16 ? 16 : pool.min * 4;
        pool.configured = true;
    }
    int rc = 0;
    while (pool.threads < pool.min && rc == 0)
        rc = start_thread();
    if (pool.idle == 0 && pool.threads < pool.max)
        rc = start_thread();
    bool first_failure = rc < 0 && !pool.failing;
    pool.failing = rc < 0;
    unsigned threads = pool.threads;
    if (threads) {
        j->next = NULL;
        *pool.tail = j;
        pool.tail = &j->next;
        pthread_cond_signal(&pool.work);
    }
    pthread_mutex_unlock(&pool.lock);
    if (!threads)
        return rc < 0 ? rc : -EAGAIN;
    /* The job waits for a busy thread: say so once, outside the lock (a
     * sink may be slow). */
    if (first_failure)
        corio__log(CORIO_LOG_WARN, "pool", "cannot start a worker thread: %s (%u running)",
                   corio_strerror(rc), threads);
    return 0;
}

/* --- corio_to_thread --------------------------------------------------- */

/* On the loop, after the job ran. */
static void posted(void *arg)
{
    corio_job *j = arg;
    corio__loop *l = j->loop;
    atomic_fetch_sub(&l->external, 1);
    if (j->task) {
        *j->out = j->result;
        corio__wake(l, j->task, 0);
    }
    pthread_cond_destroy(&j->done_cond);
    free(j);
}

static void abandon(corio_task *t)
{
    corio_job *j = t->wait_data;
    j->task = NULL; /* it runs on; posted() frees it and drops the result */
}

int corio_to_thread(corio_fn *fn, void *arg, intptr_t *result, int64_t deadline)
{
    corio__loop *l = CORIO__TASK_LOOP();
    if (!fn)
        return -EINVAL;
    int rc = corio__cancelled(l, l->current);
    if (rc)
        return rc;
    if (deadline >= 0 && deadline <= corio_now())
        return -ETIMEDOUT; /* not started at all */
    corio_job *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    j->fn = fn;
    j->arg = arg;
    j->loop = l;
    j->task = l->current;
    pthread_cond_init(&j->done_cond, NULL);
    atomic_fetch_add(&l->external, 1);
    rc = enqueue(j);
    if (rc < 0) {
        atomic_fetch_sub(&l->external, 1);
        pthread_cond_destroy(&j->done_cond);
        free(j);
        return rc;
    }
    intptr_t out = 0;
    j->out = &out;
    l->current->wait_data = j;
    rc = deadline < 0 ? corio__park_now(l, "thread pool", 0, abandon)
                      : corio__wait_rc(corio__park_slow(l, "thread pool", 0,
                                                        corio__deadline_ns(deadline), abandon));
    if (rc == 0 && result)
        *result = out;
    return rc;
}

/* --- corio_pool_submit --------------------------------------------------- */

static void finish(corio_job *j)
{
    if (j->loop) {
        j->post.call = (corio__callback){posted, j};
        corio__call_threadsafe_node(j->loop, &j->post);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    j->state = JOB_DONE;
    pthread_cond_broadcast(&j->done_cond);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&pool.lock);
    if (last) {
        pthread_cond_destroy(&j->done_cond);
        free(j);
    }
}

int corio_pool_submit(corio_fn *fn, void *arg, corio_job **out)
{
    if (!fn || !out)
        return -EINVAL;
    corio_job *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    j->fn = fn;
    j->arg = arg;
    j->refs = 2;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->done_cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc = enqueue(j);
    if (rc < 0) {
        pthread_cond_destroy(&j->done_cond);
        free(j);
        return rc;
    }
    *out = j;
    return 0;
}

int corio_job_wait(corio_job *j, intptr_t *result, int64_t deadline_ms)
{
    struct timespec ts = {.tv_sec = deadline_ms / 1000, .tv_nsec = (deadline_ms % 1000) * 1000000};
    int rc = 0;
    pthread_mutex_lock(&pool.lock);
    while (j->state != JOB_DONE && rc == 0) {
        if (deadline_ms < 0)
            pthread_cond_wait(&j->done_cond, &pool.lock);
        else if (pthread_cond_timedwait(&j->done_cond, &pool.lock, &ts) == ETIMEDOUT)
            rc = j->state == JOB_DONE ? 0 : -ETIMEDOUT;
    }
    if (rc == 0 && result)
        *result = j->result;
    pthread_mutex_unlock(&pool.lock);
    return rc;
}

void corio_job_free(corio_job *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&pool.lock);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&pool.lock);
    if (last) {
        pthread_cond_destroy(&j->done_cond);
        free(j);
    }
}
