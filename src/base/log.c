/* The log hook: a level any thread reads with one relaxed load, and the
 * sink and its ud behind a sequence lock, so that a message never goes to
 * one sink with another's ud while corio_log_set runs. Messages are
 * formatted on the caller's stack, never allocated. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <corio/time.h>

#include "log.h"

atomic_int corio__log_level = CORIO_LOG_OFF;

static _Atomic(corio_log_sink *) sink;
static _Atomic(void *) sink_ud;
static atomic_uint seq; /* odd while corio_log_set writes sink and sink_ud */
static pthread_mutex_t set_mu = PTHREAD_MUTEX_INITIALIZER;

int corio_log_set(corio_log_sink *fn, void *ud, int max_level)
{
    if (max_level < CORIO_LOG_OFF || max_level > CORIO_LOG_DEBUG)
        return -EINVAL;
    if (!fn)
        max_level = CORIO_LOG_OFF;
    pthread_mutex_lock(&set_mu);
    /* Release stores: a reader that sees the new sink or ud sees the odd
     * count before it (no fences, which ThreadSanitizer cannot follow). */
    unsigned s = atomic_load_explicit(&seq, memory_order_relaxed);
    atomic_store_explicit(&seq, s + 1, memory_order_relaxed);
    atomic_store_explicit(&sink, fn, memory_order_release);
    atomic_store_explicit(&sink_ud, ud, memory_order_release);
    atomic_store_explicit(&seq, s + 2, memory_order_release);
    atomic_store_explicit(&corio__log_level, max_level, memory_order_release);
    pthread_mutex_unlock(&set_mu);
    return 0;
}

bool corio_log_enabled(int level)
{
    return level > CORIO_LOG_OFF && corio__log_on(level);
}

/* The sink and its ud as one corio_log_set left them. */
static corio_log_sink *sink_get(void **ud)
{
    for (;;) {
        unsigned s = atomic_load_explicit(&seq, memory_order_acquire);
        if (s & 1)
            continue; /* a set is halfway: it takes a few stores */
        /* Acquire loads: the second read of the count cannot move up. */
        corio_log_sink *fn = atomic_load_explicit(&sink, memory_order_acquire);
        *ud = atomic_load_explicit(&sink_ud, memory_order_acquire);
        if (atomic_load_explicit(&seq, memory_order_relaxed) == s)
            return fn;
    }
}

static void vlog(int level, const char *module, const char *fmt, va_list ap)
{
    char msg[CORIO_LOG_MAX];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        snprintf(msg, sizeof msg, "(message could not be formatted: %s)", fmt);
    else if ((size_t)n >= sizeof msg)
        memcpy(msg + sizeof msg - 4, "...", 4);
    /* One line, whatever a peer put into what is quoted: a request target
     * with a newline must not forge a line of its own. */
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    void *ud;
    corio_log_sink *fn = sink_get(&ud);
    if (fn)
        fn(ud, level, module ? module : "corio", msg);
}

void corio__log_write(int level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fmt, ap);
    va_end(ap);
}

void corio_log(int level, const char *module, const char *fmt, ...)
{
    if (!corio_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fmt, ap);
    va_end(ap);
}

unsigned long corio__log_limited(corio__log_limit *l, int level)
{
    if (!corio__log_on(level))
        return 0;
    l->count++;
    int64_t now = corio_now();
    if (now < l->next)
        return 0;
    unsigned long n = l->count;
    l->count = 0;
    l->next = now + 1000;
    return n;
}

static const char *const names[] = {"off", "error", "warn", "info", "debug"};

const char *corio_log_level_name(int level)
{
    return level >= CORIO_LOG_OFF && level <= CORIO_LOG_DEBUG ? names[level] : "?";
}

int corio_log_level_parse(const char *name)
{
    for (int l = CORIO_LOG_OFF; name && l <= CORIO_LOG_DEBUG; l++)
        if (!strcmp(name, names[l]))
            return l;
    return -EINVAL;
}

void corio_log_stderr(void *ud, int level, const char *module, const char *msg)
{
    const char *prog = ud ? ud : "corio";
    const char *lname = corio_log_level_name(level);
    struct iovec v[] = {
        {(void *)prog, strlen(prog)},     {": ", 2}, {(void *)lname, strlen(lname)}, {": ", 2},
        {(void *)module, strlen(module)}, {": ", 2}, {(void *)msg, strlen(msg)},     {"\n", 1},
    };
    /* One system call a line: lines from several threads stay whole.
     * Nothing to do if stderr fails: there is nowhere left to say so. */
    ssize_t n = writev(STDERR_FILENO, v, sizeof v / sizeof v[0]);
    (void)n;
}
