/* Seed 004's "cooking with coroutines": salmon (20 min), rice pilaf (30 min)
 * and green beans (6 min). Cooked one after the other dinner takes 56
 * minutes; as three tasks sharing one cook it takes 30, because a cook who is
 * waiting for the oven can stir the rice. One simulated minute is --unit-ms
 * (default 50 ms). */
#include <stdio.h>

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

static int serve(const char *how, corio_fn *fn)
{
    printf("%s:\n", how);
    t0 = corio_now();
    intptr_t rc = corio_run(fn, NULL);
    if (rc < 0) {
        fprintf(stderr, "cooking_dinner: %s\n", corio_strerror(rc));
        return 1;
    }
    double s = (double)(corio_now() - t0) / 1000.0;
    printf("  dinner served after %.0f minutes (%.2f s)\n",
           unit_ms ? s * 1000.0 / (double)unit_ms : 0.0, s);
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms = demo_unit_ms(argc, argv, 50, "Dinner cooked one dish at a time, then concurrently.");
    setvbuf(stdout, NULL, _IOLBF, 0);
    return serve("one dish at a time", sequential) ||
           serve("all dishes at once (three tasks)", concurrent);
}
