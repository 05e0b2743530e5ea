/* Seeds 000 and 002: a future resolved by another task, with a done-callback
 * and the main task awaiting it.
 *
 *     async def slow_operation(future):
 *         await asyncio.sleep(1)
 *         future.set_result('Future is done!')
 *     future.add_done_callback(on_complete)
 */
#include <stdio.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static intptr_t slow_operation(void *arg)
{
    corio_future *f = arg;
    int rc = corio_sleep(unit_ms);
    if (rc < 0)
        return rc;
    return corio_future_set_result(f, 10);
}

static void on_complete(corio_future *f, void *arg)
{
    (void)arg;
    printf("callback: the future is done with %ld\n", (long)corio_future_result(f));
}

static intptr_t main_task(void *arg)
{
    (void)arg;
    corio_future *f;
    intptr_t value;
    int rc = corio_future_new(&f);
    if (rc < 0)
        return rc;
    corio_future_add_done_callback(f, on_complete, NULL);
    corio_spawn(NULL, slow_operation, f, NULL);
    printf("main: waiting for the future...\n");
    rc = corio_future_await(f, &value, -1);
    printf("main: Future is done! result %ld\n", (long)value);
    corio_yield(); /* let the callback run before the future goes */
    corio_future_free(f);
    return rc;
}

int main(int argc, char **argv)
{
    unit_ms = demo_unit_ms(argc, argv, 1000,
                           "A task resolves a future after one unit; a callback and main see it.");
    return demo_run("future_callback", main_task);
}
