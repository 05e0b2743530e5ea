/* Stacks: overflow detection (guard page and canary), sizes, exhaustion. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <corio/corio.h>

#include "child.h"

#if defined(__SANITIZE_ADDRESS__)
/* ASan's redzones make frames bigger, and its shadow memory rules out
 * RLIMIT_AS. */
#define ASAN        1
#define FRAME_SCALE 4
#else
#define ASAN        0
#define FRAME_SCALE 1
#endif

static volatile int sink;

/* Recurses until the stack runs out; the test of sink keeps the compiler
 * from seeing (and rejecting) the unbounded recursion. */
static int runaway(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (sink < 0)
        return 0;
    sink = runaway(depth + 1) + frame[0];
    return sink;
}

static intptr_t overflowing(void *arg)
{
    (void)arg;
    return runaway(0);
}

static intptr_t spawn_overflowing(void *arg)
{
    corio_spawn_opts o = {.name = "bottomless", .stack_size = 64 * 1024};
    corio_spawn_ex(NULL, overflowing, NULL, &o, NULL);
    return (intptr_t)arg;
}

static void guarded_overflow(void)
{
    corio_run(spawn_overflowing, NULL);
}

Test(stack, guard_page_overflow_names_the_task, .timeout = 20)
{
    char err[1024];
    int status = in_child(guarded_overflow, err, sizeof err);
    cr_assert(WIFSIGNALED(status), "child exited normally: %s", err);
    cr_assert(strstr(err, "corio: stack overflow in task 'bottomless'"), "stderr: %s", err);
}

/* Overflows by a bounded amount, then switches: the canary catches it. (A
 * canary only sees what is written: frames that skip it go unnoticed, which is
 * why stacks within the guard budget get a guard page instead.) */
static int bounded(int depth)
{
    volatile char frame[1024];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = (char)depth;
    if (depth == 0)
        return 0;
    return bounded(depth - 1) + frame[0];
}

static intptr_t overflow_then_yield(void *arg)
{
    sink = bounded((int)(intptr_t)arg); /* 8 KiB more than the stack holds */
    corio_yield();
    return 0;
}

static intptr_t idle(void *arg)
{
    (void)arg;
    corio_sleep(50);
    return 0;
}

static intptr_t spawn_canary(void *arg)
{
    (void)arg;
    /* 16 KiB, or the CPU's minimum when that is more (the ucontext build's
     * bigger task record raises it): the overflow must outgrow it. */
    size_t size = corio_stack_min() > 16 * 1024 ? corio_stack_min() : 16 * 1024;
    corio_spawn_opts idle_opts = {.name = "neighbour", .stack_size = size};
    corio_spawn_opts o = {.name = "canary-victim", .stack_size = size};
    /* The neighbour sits just below in the slab, so the overflow lands in
     * mapped memory and only the canary can tell. */
    corio_spawn_ex(NULL, idle, NULL, &idle_opts, NULL);
    corio_spawn_ex(NULL, overflow_then_yield, (void *)(intptr_t)(size / 1024 + 8), &o, NULL);
    return 0;
}

static void canary_overflow(void)
{
    corio_config cfg = {.guard_budget = -1};
    corio_run_ex(spawn_canary, NULL, &cfg);
}

Test(stack, canary_overflow_names_the_task, .timeout = 20)
{
    char err[1024];
    int status = in_child(canary_overflow, err, sizeof err);
    cr_assert(WIFSIGNALED(status) || ASAN, "status %d: %s", status, err);
    if (ASAN) /* it sees the overflow first, and says so */
        cr_assert(strstr(err, "AddressSanitizer: stack-buffer-underflow"), "stderr: %s", err);
    else
        cr_assert(strstr(err, "corio: stack overflow") && strstr(err, "'canary-victim'"),
                  "stderr: %s", err);
}

static int mixed_done;

static intptr_t touch_and_sleep(void *arg)
{
    volatile char buf[512];
    buf[0] = 1;
    corio_sleep((intptr_t)arg);
    mixed_done += buf[0];
    return 0;
}

static intptr_t mixed_main(void *arg)
{
    size_t sizes[] = {4096 * FRAME_SCALE, 16384, 65536, 0};
    for (int i = 0; i < 4000; i++) {
        corio_spawn_opts o = {.stack_size = sizes[i % 4]};
        cr_assert_eq(corio_spawn_ex(NULL, touch_and_sleep, arg, &o, NULL), 0);
    }
    return 0;
}

Test(stack, guarded_and_slab_stacks_of_many_sizes, .timeout = 30)
{
    corio_config cfg = {.guard_budget = 100, .stack_pool = 64};
    mixed_done = 0;
    cr_assert_eq(corio_run_ex(mixed_main, (void *)(intptr_t)5, &cfg), 0);
    cr_assert_eq(mixed_done, 4000);
    /* Again, reusing pooled stacks of the first batch within one loop. */
    mixed_done = 0;
    cr_assert_eq(corio_run_ex(mixed_main, (void *)(intptr_t)0, &cfg), 0);
    cr_assert_eq(mixed_done, 4000);
}

static intptr_t reuse_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        corio_task *t;
        intptr_t r;
        cr_assert_eq(corio_spawn(NULL, idle, NULL, NULL), 0);
        cr_assert_eq(corio_spawn(NULL, touch_and_sleep, NULL, &t), 0);
        cr_assert_eq(corio_join(t, &r, -1), 0);
        corio_task_release(t);
    }
    return 0;
}

Test(stack, pooled_stacks_are_reused, .timeout = 60)
{
    mixed_done = 0;
    cr_assert_eq(corio_run(reuse_main, NULL), 0);
    cr_assert_eq(mixed_done, 20000);
}

/* Running out of memory or maps is an error for the spawner, not a crash. */
static long spawned;

static intptr_t forever(void *arg)
{
    (void)arg;
    corio_sleep(100);
    return 0;
}

static intptr_t exhaust_main(void *arg)
{
    (void)arg;
    int rc;
    corio_spawn_opts o = {.stack_size = 64 * 1024};
    while ((rc = corio_spawn_ex(NULL, forever, NULL, &o, NULL)) == 0)
        spawned++;
    return rc;
}

static void exhaust(void)
{
    struct rlimit lim = {.rlim_cur = 256u << 20, .rlim_max = 256u << 20};
    setrlimit(RLIMIT_AS, &lim);
    intptr_t rc = corio_run(exhaust_main, NULL);
    fprintf(stderr, "rc=%ld spawned=%ld\n", (long)rc, spawned);
    _exit(rc == -ENOMEM && spawned > 100 ? 0 : 1);
}

Test(stack, exhausting_memory_is_an_error_not_a_crash, .timeout = 30, .disabled = ASAN)
{
    char err[256];
    int status = in_child(exhaust, err, sizeof err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s", status, err);
}

/* More tasks at once than libraries with a guard page per stack can hold
 * under vm.max_map_count (they stop near 32,750): the guard budget plus slabs
 * keep the map count low. */
#define CROWD 40000
static long crowd_woken;

static intptr_t crowd_member(void *arg)
{
    (void)arg;
    corio_sleep(50);
    crowd_woken++;
    return 0;
}

static intptr_t crowd_main(void *arg)
{
    (void)arg;
    corio_spawn_opts o = {.stack_size = ASAN ? 64 * 1024 : 0};
    for (int i = 0; i < CROWD; i++)
        cr_assert_eq(corio_spawn_ex(NULL, crowd_member, NULL, &o, NULL), 0, "spawn %d failed", i);
    return 0;
}

Test(stack, forty_thousand_tasks_with_default_limits, .timeout = 120)
{
    crowd_woken = 0;
    cr_assert_eq(corio_run(crowd_main, NULL), 0);
    cr_assert_eq(crowd_woken, CROWD);
}

/* The smallest stack must hold what the CPU puts there uninvited: the lazy
 * binding trampoline's register save (test binaries bind lazily, as user
 * programs do by default) and a signal frame, both sized by the vector
 * registers (several KiB with AVX-512). Each function below is called for
 * the first time in this process on a minimum-size stack. */
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    char buf[64];
    /* first calls of their own from inside the handler, on the task stack */
    handled = strverscmp("img12", "img10") > 0 && strcasestr("Stack", "TACK") != NULL &&
              snprintf(buf, sizeof buf, "%d", sig) > 0;
}

static intptr_t first_calls(void *arg)
{
    (void)arg;
    corio_sleep(1);
    cr_assert_eq(raise(SIGUSR1), 0);
    cr_assert(handled);
    return (intptr_t)(strverscmp("a2", "a10") < 0);
}

static intptr_t min_stack_main(void *arg)
{
    (void)arg;
    corio_spawn_opts o = {.name = "minimum", .stack_size = 1};
    corio_task *t;
    intptr_t r = -1;
    cr_assert_eq(corio_spawn_ex(NULL, first_calls, NULL, &o, &t), 0);
    cr_assert_eq(corio_join(t, &r, -1), 0);
    corio_task_release(t);
    return r;
}

static void min_stack_child(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    /* guarded (an overflow faults) and canary (checked at the switch) */
    corio_config guarded = {.guard_budget = 100};
    corio_config canary = {.guard_budget = -1};
    if (corio_run_ex(min_stack_main, NULL, &guarded) != 1 ||
        corio_run_ex(min_stack_main, NULL, &canary) != 1)
        _exit(3);
    _exit(0);
}

Test(stack, minimum_stack_takes_lazy_binding_and_a_signal, .timeout = 20)
{
    size_t min = corio_stack_min();
    cr_assert_geq(min, CORIO_STACK_MIN);
    cr_assert_eq(min % (size_t)sysconf(_SC_PAGESIZE), 0);
    cr_assert_geq(min, (size_t)sysconf(_SC_MINSIGSTKSZ), "min %zu", min);
    char err[1024];
    int status = in_child(min_stack_child, err, sizeof err);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s", status, err);
}

/* After a burst of tasks, the loop gives back the heap's free pages, not
 * only its surplus stacks: glibc keeps memory freed below a live block
 * mapped, so without that RSS ratchets up from burst to burst. */
static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Every 100th task of a burst leaves a small block behind, as a server's
 * long-lived connections do: the burst's freed memory is then holes below
 * live blocks, which free() alone never returns. */
static void *pins[4 * 50];
static int npins;

static intptr_t holds_heap(void *arg)
{
    char *p = malloc(16384);
    memset(p, 1, 16384);
    if (arg)
        pins[npins++] = malloc(64);
    corio_sleep(20);
    free(p);
    return 0;
}

static intptr_t burst_main(void *arg)
{
    long *grown = arg;
    long base = rss_kib();
    for (int round = 0; round < 4; round++) {
        corio_spawn_opts o = {.stack_size = 16384};
        for (intptr_t i = 0; i < 5000; i++)
            cr_assert_eq(
                corio_spawn_ex(NULL, holds_heap, (void *)(intptr_t)(i % 100 == 0), &o, NULL), 0);
        corio_sleep(1500); /* the burst ends; the loop idles */
    }
    *grown = rss_kib() - base;
    while (npins > 0)
        free(pins[--npins]);
    return 0;
}

Test(stack, heap_is_returned_after_a_burst, .timeout = 60)
{
    if (ASAN)
        cr_skip_test("ASan's allocator keeps its own memory");
    long grown = 0;
    cr_assert_eq(corio_run(burst_main, &grown), 0);
    /* each burst held 5000 x 16 KiB = 80 MiB of heap */
    cr_assert_lt(grown, 40 * 1024, "RSS grew by %ld KiB over four bursts", grown);
}

/* Trimmed slab stacks give all their pages back, the top one too (where the
 * task record lived): a burst of tasks leaves no resident page per stack
 * beyond the pool's. */
#define BURST 64
static uintptr_t burst_tops[BURST];

static intptr_t record_top(void *arg)
{
    burst_tops[(intptr_t)arg] = (uintptr_t)corio_current(); /* at the top of its stack */
    corio_sleep(1);
    return 0;
}

static intptr_t trimmed_main(void *arg)
{
    (void)arg;
    for (intptr_t i = 0; i < BURST; i++)
        cr_assert_eq(corio_spawn(NULL, record_top, (void *)i, NULL), 0);
    corio_sleep(20); /* they end; the loop idles and trims the pool */
    long page = sysconf(_SC_PAGESIZE);
    int resident = 0;
    for (int i = 0; i < BURST; i++) {
        unsigned char in;
        void *pg = (void *)(burst_tops[i] & ~(uintptr_t)(page - 1));
        cr_assert_eq(mincore(pg, (size_t)page, &in), 0);
        resident += in & 1;
    }
    cr_assert_leq(resident, 1, "%d of %d trimmed stacks kept their top page", resident, BURST);
    return 0;
}

Test(stack, trimmed_stacks_keep_no_page, .timeout = 20)
{
    /* No guard pages: every stack comes from a slab; one stays pooled. */
    corio_config cfg = {.guard_budget = -1, .stack_pool = 1};
    cr_assert_eq(corio_run_ex(trimmed_main, NULL, &cfg), 0);
}
