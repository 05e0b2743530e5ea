/* Running an event loop: corio_run() turns the calling thread into a loop,
 * runs `main` as the first task and returns when it and every task it started
 * have finished. One loop per thread; a loop and its tasks never leave it. */
#ifndef CORIO_RUN_H
#define CORIO_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults of corio_config; each can be overridden per loop. */
#define CORIO_STACK_DEFAULT      (256u * 1024u) /* bytes per task stack */
#define CORIO_STACK_MIN          4096u          /* the floor of corio_stack_min() */
#define CORIO_STACK_MAX          (1024u * 1024u * 1024u)
#define CORIO_STACK_POOL_DEFAULT 1024u /* idle stacks kept ready for reuse */

/* The readiness poller a loop runs on (docs/io.md, "Backends"). */
typedef enum corio_backend {
    CORIO_BACKEND_DEFAULT,  /* the environment's CORIO_BACKEND, else epoll */
    CORIO_BACKEND_EPOLL,    /* epoll */
    CORIO_BACKEND_IO_URING, /* io_uring poll requests (Linux 5.13 or later) */
} corio_backend;

/* What io_uring carries beyond readiness on this loop, bits of
 * corio_loop_features(). Each is probed when the loop starts and used where
 * the kernel offers it; without it that path makes its own system calls, as
 * on epoll. None changes what a call returns. */
/* Socket writes are ring sends, submitted together once per loop turn. */
#define CORIO_FEATURE_SEND (1u << 0)
/* corio_tcp_accept takes from a multishot accept (Linux 5.19). */
#define CORIO_FEATURE_ACCEPT (1u << 1)
/* Closing a connection is an IORING_OP_CLOSE submitted with the turn's
 * others: its file is released by the end of the scheduler's round. */
#define CORIO_FEATURE_CLOSE (1u << 2)
/* Socket reads take from a multishot receive into buffers the loop lends
 * a connection only while it holds unread bytes (Linux 6.0). */
#define CORIO_FEATURE_RECV (1u << 3)

/* The CORIO_FEATURE_* bits the calling thread's loop uses: 0 on epoll.
 * Errors: -ESRCH outside a loop's thread. */
CORIO_API int corio_loop_features(void);

/* The smallest task stack on this machine, in bytes: room for the kernel's
 * signal frame and the dynamic linker's lazy-binding save area, both sized
 * by the CPU's vector registers (several KiB with AVX-512), plus corio's own
 * task record and switch frames; whole pages, never below CORIO_STACK_MIN.
 * Computed at run time, once. A smaller stack size asked of corio_config or
 * corio_spawn_opts is raised to it. Any thread, no loop needed. */
CORIO_API size_t corio_stack_min(void);

/* Loop settings. Zero-initialise, then set what you need; 0 means default. */
typedef struct corio_config {
    /* Stack size of a task spawned without its own size (bytes, raised to
     * corio_stack_min() and rounded up to a page; at most CORIO_STACK_MAX). */
    size_t stack_size;
    /* Stacks with a PROT_NONE guard page cost two memory maps each, and the
     * kernel allows vm.max_map_count (65530 by default) per process. Up to
     * this many live stacks get a guard page; stacks beyond it get a canary
     * checked on every switch. 0: a quarter of vm.max_map_count. -1: none. */
    long guard_budget;
    /* Idle stacks kept for reuse; beyond this their memory is given back to
     * the kernel. 0: CORIO_STACK_POOL_DEFAULT. */
    size_t stack_pool;
    /* Report stack overflows in guarded stacks (a SIGSEGV handler on an
     * alternate signal stack, installed only when SIGSEGV is at its default
     * action). 0: on; 1: leave SIGSEGV alone. */
    bool no_segv_handler;
    /* The poller. CORIO_BACKEND_DEFAULT reads the environment variable
     * CORIO_BACKEND ("epoll" or "io_uring"; unset or anything else: epoll)
     * and quietly runs on epoll if io_uring cannot start (an old kernel,
     * seccomp, kernel.io_uring_disabled). Asked for here, io_uring does not
     * fall back: corio_run fails with its error (-ENOSYS, -EPERM,
     * -EOPNOTSUPP, ...). corio_loop_backend() tells which one runs. */
    corio_backend backend;
} corio_config;

/* Runs main(arg) as the root task of a new loop on the calling thread and
 * returns main's result once main and all its descendants have finished.
 * Errors (negative): -EINVAL main is NULL; -EBUSY this thread already runs a
 * loop; -ENOMEM, -EMFILE setting up the loop; -EDEADLK every remaining task
 * waits for something that nothing can deliver (those tasks are abandoned and
 * their stacks freed, without running further). */
CORIO_API intptr_t corio_run(corio_fn *main, void *arg);
/* corio_run with settings (NULL: the defaults). Errors: those of corio_run;
 * -EINVAL also for a stack_size over CORIO_STACK_MAX; the poller's error
 * when cfg->backend asks for io_uring and it cannot start (-ENOSYS,
 * -EPERM, ...). */
CORIO_API intptr_t corio_run_ex(corio_fn *main, void *arg, const corio_config *cfg);

/* One loop per core: runs main(arg) in n threads (0: one per core), each
 * its own loop (corio_run), and returns when all have: 0, or the first
 * negative result (a loop's, or -EAGAIN when a thread could not be
 * started; -EINVAL main NULL or n over 1024; -ENOMEM). main can tell the
 * loops apart by corio_loop_index().
 * Listeners meant to share a port use CORIO_LISTEN_REUSEPORT (net.h). */
CORIO_API intptr_t corio_run_threads(unsigned n, corio_fn *main, void *arg);
/* 0..n-1 inside corio_run_threads' loops, 0 in a plain corio_run. */
CORIO_API unsigned corio_loop_index(void);

/* Writes one line per live task of this thread's loop: id, name, state and
 * what it waits on. Returns the number of tasks listed; it cannot fail (no
 * negative errno). Misuse (aborts): outside a loop's thread. Safe to call
 * from any task. */
CORIO_API int corio_dump_tasks(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
