/* Reporting stack overflows by task name.
 *
 * A guarded stack overflows into its PROT_NONE page and faults; this SIGSEGV
 * handler, on an alternate signal stack (the faulting stack is unusable),
 * checks whether the fault address lies just below the running task's stack
 * and, if so, names the task before dying. Any other fault goes to the handler
 * that was installed before ours, or to the default action. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overflow.h"
#include "sched.h"

/* How far below a stack's lowest byte a fault still counts as its overflow:
 * a large frame can skip the guard page. */
#define REACH         (256u * 1024u)
#define ALTSTACK_SIZE (64u * 1024u)

static struct sigaction previous;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static size_t put(char *buf, size_t at, const char *s)
{
    size_t n = strlen(s);
    memcpy(buf + at, s, n);
    return at + n;
}

_Noreturn void corio__die_in_task(const char *msg, const corio_task *t)
{
    char buf[512], digits[24];
    size_t n = 0, d = sizeof digits;
    uint64_t id = t ? t->id : 0;

    digits[--d] = '\0';
    do
        digits[--d] = (char)('0' + id % 10);
    while ((id /= 10) && d > 0);
    n = put(buf, n, "corio: ");
    n = put(buf, n, strnlen(msg, 300) == 300 ? "fatal error" : msg);
    n = put(buf, n, " in task '");
    if (t && t->named) {
        memcpy(buf + n, t->name, strnlen(t->name, CORIO_TASK_NAME_MAX - 1));
        n += strnlen(t->name, CORIO_TASK_NAME_MAX - 1);
    } else {
        n = put(buf, n, "task-");
        n = put(buf, n, digits + d);
    }
    n = put(buf, n, "' (id ");
    n = put(buf, n, digits + d);
    n = put(buf, n, ")\n");
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
    /* Not abort(): its handler must not run on a smashed stack; the default
     * SIGABRT action still dumps core. */
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
    _exit(134);
}

static void on_segv(int sig, siginfo_t *info, void *uctx)
{
    corio__loop *l = corio__tls_loop;
    corio_task *t = l ? l->current : NULL;
    if (t) {
        uintptr_t addr = (uintptr_t)info->si_addr, lo = (uintptr_t)t->stack.lo;
        if (addr < lo + CORIO__CANARY_WORDS * 8 && addr + REACH >= lo)
            corio__die_in_task("stack overflow", t);
    }
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, uctx);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    /* Returning re-runs the faulting access under the default action. */
    signal(SIGSEGV, SIG_DFL);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous);
}

int corio__overflow_start(corio__overflow *o)
{
    stack_t cur;
    o->altstack = NULL;
    pthread_once(&once, install);
    if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE))
        return 0; /* the thread has one already (ours from an outer user, ASan's) */
    stack_t ss = {.ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    ss.ss_sp = malloc(ALTSTACK_SIZE);
    if (!ss.ss_sp)
        return -1;
    if (sigaltstack(&ss, NULL) != 0) {
        free(ss.ss_sp);
        return -1;
    }
    o->altstack = ss.ss_sp;
    return 0;
}

void corio__overflow_stop(corio__overflow *o)
{
    if (!o->altstack)
        return;
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(o->altstack);
    o->altstack = NULL;
}
