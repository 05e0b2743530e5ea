/* Seed 000's hand-made IOLoop: three generators driven round-robin by a
 * plain loop; a finished one (StopIteration) is dropped. The blocking sleep
 * in the third step stalls everybody, which is the point the talk makes:
 * the next step is an event loop whose waits do not block (corio_run). */
#include <stdio.h>
#include <time.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static intptr_t my_generator(corio_gen *g, void *arg)
{
    static __thread char out[32];
    const char *name = arg;
    printf("start %s\n", name);
    for (int i = 1; i <= 3; i++) {
        if (i == 3) {
            struct timespec ts = {unit_ms / 1000, (unit_ms % 1000) * 1000000};
            nanosleep(&ts, NULL); /* time.sleep(1): blocks the whole loop */
        }
        snprintf(out, sizeof out, "%s %d", name, i);
        if (corio_gen_yield(g, (intptr_t)out, NULL) < 0)
            return 0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms =
        demo_unit_ms(argc, argv, 1000, "Round-robin over three generators, as the seed's IOLoop.");
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const char *names[] = {"g1", "g2", "g3"};
    corio_gen *tasks[3];
    size_t n = 0;
    for (int i = 0; i < 3; i++)
        if (corio_gen_new(my_generator, (void *)names[i], 0, &tasks[n]) == 0)
            n++;
    int64_t t0 = corio_now();
    while (n > 0) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            intptr_t res;
            if (corio_gen_next(tasks[i], &res) == 0) {
                printf("%s\n", (const char *)res);
                tasks[kept++] = tasks[i];
            } else { /* StopIteration: drop it */
                corio_gen_free(tasks[i]);
            }
        }
        n = kept;
    }
    printf("took %.2f s: the blocking sleeps ran one after another\n",
           (double)(corio_now() - t0) / 1000.0);
    return 0;
}
