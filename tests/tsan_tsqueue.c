/* The thread-safe queue under ThreadSanitizer (Criterion cannot start under
 * it, Snaipe/Criterion#274): test_tsqueue's stress runs, smaller, as a plain
 * program that prints what it counted and exits non-zero on any loss,
 * duplicate, reordering or error. */
#include <stdio.h>

#include "tsqueue_stress.h"

static int run(const char *name, size_t capacity, bool hurry, long per_producer)
{
    static tsq_stress s;
    s = (tsq_stress){.capacity = capacity, .loops = 4, .tasks = 2, .threads = 1, .hurry = hurry};
    s.per_producer = per_producer;
    int rc = tsq_stress_run(&s);
    printf("%s %s: run %ld, received %ld, dups %ld, out of order %ld, errors %ld, leaves %ld\n",
           rc ? "FAIL" : "ok", name, (long)s.run_rc, atomic_load(&s.received), atomic_load(&s.dups),
           atomic_load(&s.out_of_order), atomic_load(&s.errors), atomic_load(&s.leaves));
    return rc ? 1 : 0;
}

int main(void)
{
    int failed = run("bounded", 8, false, 5000);
    failed += run("unbounded", 0, false, 5000);
    failed += run("waiters leaving", 2, true, 2000);
    return failed ? 1 : 0;
}
