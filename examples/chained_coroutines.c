/* Seed 002's chained coroutines: print_sum awaits compute. In corio a
 * coroutine calling another is a plain function call; only the sleep inside
 * suspends the task.
 *
 *     async def compute(x, y):
 *         await asyncio.sleep(1.0)
 *         return x + y
 *     async def print_sum(x, y):
 *         result = await compute(x, y)
 */
#include <stdio.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static intptr_t compute(intptr_t x, intptr_t y)
{
    printf("Compute %ld + %ld ...\n", (long)x, (long)y);
    int rc = corio_sleep(unit_ms);
    return rc < 0 ? rc : x + y;
}

static intptr_t print_sum(void *arg)
{
    (void)arg;
    intptr_t result = compute(1, 2);
    if (result < 0)
        return result;
    printf("%d + %d = %ld\n", 1, 2, (long)result);
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms = demo_unit_ms(argc, argv, 1000, "print_sum awaits compute, which sleeps one unit.");
    return demo_run("chained_coroutines", print_sum);
}
