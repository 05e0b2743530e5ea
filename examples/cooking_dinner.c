/* Seed 004's "cooking with coroutines": salmon (20 min), rice pilaf (30 min)
 * and green beans (6 min). Cooked one after the other dinner takes 56
 * minutes; as three tasks sharing one cook it takes 30, because a cook who is
 * waiting for the oven can stir the rice. One simulated minute is --scale MS
 * (issue 7's name; --unit-ms as in the other examples), default 10 ms. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;
static int64_t t0;

static void step(const char *dish, const char *what)
{
    long minutes = (long)((corio_now() - t0 + unit_ms / 2) / (unit_ms ? unit_ms : 1));
    printf("  [%2ld min] %-6s %s\n", minutes, dish, what);
}

static void wait_minutes(int minutes)
{
    corio_sleep((int64_t)minutes * unit_ms);
}

static intptr_t cook_salmon(void *arg)
{
    (void)arg;
    step("salmon", "preheat oven to 350F, arrange filets, slather dressing");
    wait_minutes(2);
    step("salmon", "into the oven for 18 minutes");
    wait_minutes(18);
    step("salmon", "out of the oven");
    return 1;
}

static intptr_t cook_rice(void *arg)
{
    (void)arg;
    step("rice", "water and butter in the pot, bring to a boil");
    wait_minutes(3);
    step("rice", "stir in rice, cover, simmer 22 minutes");
    wait_minutes(22);
    step("rice", "fluff, let stand 5 minutes");
    wait_minutes(5);
    step("rice", "done");
    return 1;
}

static intptr_t cook_beans(void *arg)
{
    (void)arg;
    step("beans", "poke bag, microwave 5 minutes");
    wait_minutes(6);
    step("beans", "done");
    return 1;
}

static corio_fn *const dishes[] = {cook_salmon, cook_rice, cook_beans};

static intptr_t sequential(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++)
        dishes[i](NULL);
    return 0;
}

static intptr_t concurrent(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        int rc = corio_spawn(NULL, dishes[i], NULL, NULL);
        if (rc < 0)
            return rc;
    }
    return 0; /* the implicit nursery waits for all three */
}

static double served_minutes[2];

static int serve(int i, const char *how, corio_fn *fn)
{
    printf("%s:\n", how);
    t0 = corio_now();
    intptr_t rc = corio_run(fn, NULL);
    if (rc < 0) {
        fprintf(stderr, "cooking_dinner: %s\n", corio_strerror(rc));
        return 1;
    }
    double s = (double)(corio_now() - t0) / 1000.0;
    /* timers only ever fire late: whole minutes are the floor */
    served_minutes[i] = unit_ms ? floor(s * 1000.0 / (double)unit_ms) : 0.0;
    printf("  dinner served after %.0f minutes (%.2f s)\n", served_minutes[i], s);
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--scale"))
            argv[i] = "--unit-ms"; /* the same option under the name */
    unit_ms = demo_unit_ms(argc, argv, 10, "Dinner cooked one dish at a time, then concurrently.");
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (serve(0, "one dish at a time", sequential) ||
        serve(1, "all dishes at once (three tasks)", concurrent))
        return 1;
    printf("sequential %.0f minutes vs concurrent %.0f minutes\n", served_minutes[0],
           served_minutes[1]);
    return 0;
}
