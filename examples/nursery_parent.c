/* Seed 002's trio example: a parent opens a nursery, starts two children and
 * cannot leave the nursery block until both have finished.
 *
 *     async with trio.open_nursery() as nursery:
 *         nursery.start_soon(child1)
 *         nursery.start_soon(child2)
 */
#include <stdio.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static intptr_t child(void *arg)
{
    const char *name = arg;
    printf("  %s: started! sleeping now...\n", name);
    corio_sleep(unit_ms);
    printf("  %s: exiting!\n", name);
    return 0;
}

static intptr_t parent(void *arg)
{
    (void)arg;
    corio_nursery *n;
    printf("parent: started!\n");
    int rc = corio_nursery_open(&n);
    if (rc < 0)
        return rc;
    printf("parent: spawning child1...\n");
    corio_spawn(n, child, "child1", NULL);
    printf("parent: spawning child2...\n");
    corio_spawn(n, child, "child2", NULL);
    printf("parent: waiting for children to finish...\n");
    intptr_t err = corio_nursery_close(n);
    printf("parent: all done!\n");
    return err;
}

int main(int argc, char **argv)
{
    unit_ms =
        demo_unit_ms(argc, argv, 1000, "A parent task waits in its nursery for two children.");
    return demo_run("nursery_parent", parent);
}
