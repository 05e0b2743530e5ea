/* corio_run_threads: one loop per thread, for one loop per core. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <corio/run.h>

static __thread unsigned loop_index;

typedef struct worker {
    pthread_t thread;
    unsigned index;
    corio_fn *main;
    void *arg;
    intptr_t result;
} worker;

static void *run_one(void *p)
{
    worker *w = p;
    loop_index = w->index;
    w->result = corio_run(w->main, w->arg);
    return NULL;
}

unsigned corio_loop_index(void)
{
    return loop_index;
}

intptr_t corio_run_threads(unsigned n, corio_fn *main, void *arg)
{
    if (!main || n > 1024)
        return -EINVAL;
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (unsigned)c : 1;
    }
    worker *w = calloc(n, sizeof *w);
    if (!w)
        return -ENOMEM;
    unsigned started = 0;
    intptr_t rc = 0;
    for (; started < n; started++) {
        w[started] = (worker){.index = started, .main = main, .arg = arg};
        int e = pthread_create(&w[started].thread, NULL, run_one, &w[started]);
        if (e) {
            rc = -e;
            break;
        }
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(w[i].thread, NULL);
        if (w[i].result < 0 && rc == 0)
            rc = w[i].result;
    }
    free(w);
    return rc;
}
