/* Seed 000's naive counter client: the requests one after the other, so
 * with the server's 1 s wait five of them take about 5 s.
 *
 *     counter_naive [--count N] [URL]
 */
#include <stdio.h>

#include <corio/corio.h>

#include "counter_client.h"

static intptr_t run(void *arg)
{
    (void)arg;
    for (long i = 0; i < counter_requests; i++) {
        intptr_t count = request_count(NULL);
        if (count < 0)
            return count;
        printf("%ld\n", (long)count);
    }
    return 0;
}

int main(int argc, char **argv)
{
    counter_args(argc, argv, "Asks the counter server for its count, one request at a time.");
    return counter_run("counter_naive", run);
}
