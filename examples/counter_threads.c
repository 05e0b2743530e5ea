/* Seed 000's threaded counter client: one thread per request, each with a
 * loop of its own running one blocking-looking request (as each Python
 * thread ran urlopen), so five requests take about one server wait.
 *
 *     counter_threads [--count N] [URL]
 */
#include <pthread.h>
#include <stdio.h>

#include <corio/corio.h>

#include "counter_client.h"

static void *thread_main(void *arg)
{
    intptr_t *result = arg;
    *result = corio_run(request_count, NULL);
    if (*result > 0)
        printf("%ld\n", (long)*result);
    return NULL;
}

int main(int argc, char **argv)
{
    counter_args(argc, argv, "Asks the counter server for its count from one thread per request.");
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t threads[1000];
    intptr_t results[1000];
    int64_t t0 = corio_now();
    long started = 0;
    for (; started < counter_requests; started++)
        if (pthread_create(&threads[started], NULL, thread_main, &results[started]) != 0)
            break;
    int status = started == counter_requests ? 0 : 1;
    for (long i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        if (results[i] < 0) {
            fprintf(stderr, "counter_threads: %s: %s\n", counter_url,
                    corio_strerror((int)results[i]));
            status = 1;
        }
    }
    if (status == 0)
        counter_report("counter_threads", t0);
    return status;
}
