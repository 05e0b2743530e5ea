/* Seed 000's generators: my_generator yields three values (sleeping in
 * between), then the coroutine form that receives values through send.
 *
 *     def my_generator(name):          def my_generator():
 *         yield name + ' 1'                i = yield "return 1"
 *         yield name + ' 2'                print("Received: {}".format(i))
 *         time.sleep(1)                    i = yield "return 2"
 *         yield name + ' 3'                print("Received: {}".format(i))
 */
#include <stdio.h>
#include <time.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static void blocking_sleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static intptr_t named(corio_gen *g, void *arg)
{
    static char out[3][32];
    const char *name = arg;
    printf("start\n");
    for (int i = 0; i < 3; i++) {
        if (i == 2)
            blocking_sleep(unit_ms);
        snprintf(out[i], sizeof out[i], "%s %d", name, i + 1);
        if (corio_gen_yield(g, (intptr_t)out[i], NULL) < 0)
            return 0;
    }
    return 0;
}

static intptr_t receiver(corio_gen *g, void *arg)
{
    (void)arg;
    intptr_t in;
    if (corio_gen_yield(g, (intptr_t) "return 1", &in) < 0)
        return 0;
    printf("Received: %s\n", in ? (const char *)in : "None");
    if (corio_gen_yield(g, (intptr_t) "return 2", &in) < 0)
        return 0;
    printf("Received: %s\n", in ? (const char *)in : "None");
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms =
        demo_unit_ms(argc, argv, 1000, "The seed's generators: next() three times, then send().");
    setvbuf(stdout, NULL, _IOLBF, 0);
    corio_gen *g;
    intptr_t v;
    if (corio_gen_new(named, "g1", 0, &g) < 0)
        return 1;
    while (corio_gen_next(g, &v) == 0)
        printf("%s\n", (const char *)v);
    corio_gen_free(g);

    if (corio_gen_new(receiver, NULL, 0, &g) < 0)
        return 1;
    corio_gen_next(g, &v);
    printf("next(g) -> '%s'\n", (const char *)v);
    corio_gen_next(g, &v);
    printf("next(g) -> '%s'\n", (const char *)v);
    corio_gen_send(g, (intptr_t) "data", &v);
    corio_gen_free(g);
    return 0;
}
