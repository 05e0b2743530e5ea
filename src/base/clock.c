/* The monotonic clock. */
#include <time.h>

#include <corio/time.h>

int64_t corio_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t corio_now(void)
{
    return corio_now_ns() / 1000000;
}
