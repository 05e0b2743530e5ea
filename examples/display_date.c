/* Seed 002's coroutine displaying the current date every second for five
 * seconds (one unit here, so the smoke test can run it fast). */
#include <stdio.h>
#include <time.h>

#include <corio/corio.h>

#include "demo_args.h"

static long unit_ms;

static intptr_t display_date(void *arg)
{
    (void)arg;
    int64_t end = corio_now() + 5 * unit_ms;
    for (;;) {
        struct timespec ts;
        struct tm tm;
        char buf[64];
        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        printf("%s.%06ld\n", buf, ts.tv_nsec / 1000);
        if (corio_now() + unit_ms >= end)
            break;
        int rc = corio_sleep(unit_ms);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unit_ms = demo_unit_ms(argc, argv, 1000, "Prints the date every unit for five units.");
    return demo_run("display_date", display_date);
}
