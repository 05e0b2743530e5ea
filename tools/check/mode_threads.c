/* threads mode: the seed's thread version, as a real pool: --concurrency
 * pthreads, each taking the next URL and checking it with blocking
 * sockets. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef struct threads_run {
    pthread_mutex_t mu; /* guards everything below */
    const check_opts *o;
    check_sink *sink;
    FILE *f;
    char *line;
    size_t cap;
    uint64_t next;
    int failed;
} threads_run;

static void *worker(void *arg)
{
    threads_run *t = arg;
    for (;;) {
        const char *url;
        pthread_mutex_lock(&t->mu);
        int more = !t->failed && check_input_next(t->f, &t->line, &t->cap, &url) == 1;
        char *copy = more ? strdup(url) : NULL;
        uint64_t index = t->next++;
        pthread_mutex_unlock(&t->mu);
        if (!more)
            return NULL;
        check_result r = {.outcome = -ENOMEM};
        if (copy)
            check_fetch_blocking(copy, t->o, &r);
        free(copy);
        pthread_mutex_lock(&t->mu);
        if (check_sink_add(t->sink, index, &r) < 0)
            t->failed = 1;
        pthread_mutex_unlock(&t->mu);
    }
}

int check_run_threads(const check_input *in, const check_opts *o, check_sink *s)
{
    threads_run t = {.mu = PTHREAD_MUTEX_INITIALIZER, .o = o, .sink = s};
    if (!(t.f = check_input_reopen(in)))
        return -errno;
    long n = o->concurrency < in->urls ? o->concurrency : in->urls;
    pthread_t *tids = calloc(n ? (size_t)n : 1, sizeof *tids);
    long started = 0;
    int rc = tids ? 0 : -ENOMEM;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Blocking HTTP needs little stack; https runs a corio loop whose tasks
     * have stacks of their own. */
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (; rc == 0 && started < n; started++)
        rc = -pthread_create(&tids[started], &attr, worker, &t);
    if (rc < 0) {
        pthread_mutex_lock(&t.mu);
        t.failed = 1;
        pthread_mutex_unlock(&t.mu);
        started--;
    }
    for (long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_attr_destroy(&attr);
    free(tids);
    fclose(t.f);
    free(t.line);
    return rc < 0 ? rc : t.failed ? -ENOMEM : 0;
}
