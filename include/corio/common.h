/* Shared definitions for every corio header: export macro, the task entry
 * type, and the calling rule every public function follows (API 1.0).
 *
 * THE CALLING RULE
 *
 * Deadlines. A call that can block takes `int64_t deadline` as its last
 * parameter: an absolute time in corio_now() milliseconds; -1 means none; 0
 * (or any time already past) means do not wait: -ETIMEDOUT at once if the
 * call would have to wait. Every blocking call is a cancellation checkpoint
 * (-ECANCELED) and also honours the deadline of the enclosing cancel scope
 * (-ETIMEDOUT). Option structs hold no deadlines, so a zero-initialised
 * struct always means "the defaults"; relative limits that are not about one
 * call (idle timeouts, per-read timeouts of a server) are `*_ms` fields.
 * One exception: a variadic call (corio_redis_command and its kin) takes the
 * deadline just before its format, since nothing may follow the `...`.
 *
 * Out-parameters come after the inputs, immediately before the deadline (or
 * last when there is none): corio_tcp_connect(host, port, &fd, deadline),
 * corio_queue_new(capacity, flags, &q). A caller's buffer and its size stay
 * together, as in read(2).
 *
 * Flags are `bool` or a named enum (or an `unsigned` set of named bits),
 * never an `int` used as a boolean.
 *
 * Errors. A call returns 0 (or a count, a size, a handle) on success and a
 * negative errno on failure; errno itself is never the channel. Each header
 * comment lists the codes each function can return, one meaning each;
 * corio_strerror() says what went wrong for corio's own uses of each code.
 *
 * Misuse vs failure. A programming error the caller cannot handle at run
 * time is misuse, and aborts the process with one line on stderr,
 * "corio: <function>: <what was wrong>": a NULL handle where one is
 * required; a handle of another loop or thread; a blocking call made outside
 * a task (or on a loop's thread outside a task); scopes or nurseries closed
 * out of order or by another task; a lock released by a task that does not
 * hold it; a handle used after its release, or released twice. A failure is
 * a condition of the run: timeouts, cancellation, I/O errors, resource
 * exhaustion, and bad data or values that may come from outside (a
 * malformed URL, an over-large size, a negative count). Failures return a
 * negative errno; header comments name the misuse each function aborts on.
 *
 * Ownership. The caller owns what a `_new`/`_open` returned until the
 * matching `_free`/`_close`; a function that takes ownership of an argument
 * says so ("f taken"). Strings and buffers passed in are copied unless the
 * comment says otherwise; pointers handed out stay valid as long as the
 * object that owns them, as documented per function.
 *
 * Threads. Everything belongs to the loop of the thread that created it (or,
 * for sync objects, the loop whose tasks use it) and is used from that
 * thread only, unless its header says otherwise: the thread-safe entry points
 * are corio_call_soon_threadsafe, corio_tsqueue_*, the thread pool's
 * submission and the TLS contexts. */
#ifndef CORIO_COMMON_H
#define CORIO_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CORIO_API __attribute__((visibility("default")))
#else
#define CORIO_API
#endif

#define CORIO_VERSION_MAJOR  1
#define CORIO_VERSION_MINOR  0
#define CORIO_VERSION_PATCH  0
#define CORIO_VERSION_STRING "1.0.0"

#ifdef __cplusplus
extern "C" {
#endif

/* A task's body. It returns a value >= 0 on success (a count, a pointer cast to
 * intptr_t, ...) or a negative errno on failure, like every corio call. */
typedef intptr_t corio_fn(void *arg);

typedef struct corio_task corio_task;
typedef struct corio_nursery corio_nursery;

/* "1.0.0": the version of the library actually linked. */
CORIO_API const char *corio_version(void);

#ifdef __cplusplus
}
#endif
#endif
