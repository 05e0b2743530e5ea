/* The log hook: off by default, level filtering, what a sink is given,
 * truncation, the stderr sink, setting it while other threads log, and
 * the HTTP server's reports reaching it (a malformed request, a failing
 * handler, connections over the limit) on loopback with a port the kernel
 * picks. Criterion runs every test in a process of its own, so each starts
 * with logging as a program does: off. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "fdcheck.h"
#include "http_fixture.h"
#include "run.h"

TestSuite(log, .init = fd_check_start, .fini = fd_check_end, .timeout = 60);

/* --- a sink that keeps what it is given ------------------------------------ */

typedef struct record {
    void *ud;
    int level;
    char module[32];
    char msg[CORIO_LOG_MAX];
    size_t len;
} record;

#define RECORDS 64
static record records[RECORDS];
static int nrecords;
static pthread_mutex_t records_mu = PTHREAD_MUTEX_INITIALIZER;

static void keep(void *ud, int level, const char *module, const char *msg)
{
    /* The message's end must lie inside the buffer the library promised. */
    size_t len = strnlen(msg, CORIO_LOG_MAX);
    cr_assert_lt(len, CORIO_LOG_MAX, "a message longer than CORIO_LOG_MAX");
    pthread_mutex_lock(&records_mu);
    if (nrecords < RECORDS) {
        record *r = &records[nrecords];
        r->ud = ud;
        r->level = level;
        snprintf(r->module, sizeof r->module, "%s", module);
        memcpy(r->msg, msg, len + 1);
        r->len = len;
    }
    nrecords++;
    pthread_mutex_unlock(&records_mu);
}

static int kept(void)
{
    pthread_mutex_lock(&records_mu);
    int n = nrecords;
    pthread_mutex_unlock(&records_mu);
    return n;
}

/* The first record at level from module whose message holds text, or NULL. */
static const record *find(int level, const char *module, const char *text)
{
    for (int i = 0; i < kept() && i < RECORDS; i++)
        if (records[i].level == level && !strcmp(records[i].module, module) &&
            strstr(records[i].msg, text))
            return &records[i];
    return NULL;
}

static void dump(void)
{
    for (int i = 0; i < kept() && i < RECORDS; i++)
        cr_log_info("record %d: %s: %s: %s", i, corio_log_level_name(records[i].level),
                    records[i].module, records[i].msg);
}

/* --- the hook ------------------------------------------------------------- */

Test(log, off_by_default)
{
    for (int l = CORIO_LOG_ERROR; l <= CORIO_LOG_DEBUG; l++)
        cr_assert_not(corio_log_enabled(l), "level %d on before any corio_log_set", l);
    cr_assert_not(corio_log_enabled(CORIO_LOG_OFF));
    corio_log(CORIO_LOG_ERROR, "test", "nobody hears this: %d", 1); /* and nothing breaks */

    /* A sink set with level off is never called, nor after a NULL sink. */
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_OFF), 0);
    cr_assert_not(corio_log_enabled(CORIO_LOG_ERROR));
    corio_log(CORIO_LOG_ERROR, "test", "still nobody");
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_DEBUG), 0);
    cr_assert_eq(corio_log_set(NULL, NULL, CORIO_LOG_DEBUG), 0);
    cr_assert_not(corio_log_enabled(CORIO_LOG_ERROR));
    corio_log(CORIO_LOG_ERROR, "test", "and again nobody");
    cr_assert_eq(kept(), 0);
}

Test(log, bad_levels_are_refused)
{
    cr_assert_eq(corio_log_set(keep, NULL, -1), -EINVAL);
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_DEBUG + 1), -EINVAL);
    cr_assert_not(corio_log_enabled(CORIO_LOG_ERROR), "a refused set changes nothing");
}

Test(log, levels_filter)
{
    int ud;
    cr_assert_eq(corio_log_set(keep, &ud, CORIO_LOG_WARN), 0);
    cr_assert(corio_log_enabled(CORIO_LOG_ERROR));
    cr_assert(corio_log_enabled(CORIO_LOG_WARN));
    cr_assert_not(corio_log_enabled(CORIO_LOG_INFO));
    cr_assert_not(corio_log_enabled(CORIO_LOG_DEBUG));
    cr_assert_not(corio_log_enabled(CORIO_LOG_OFF), "OFF is not a level to log at");
    corio_log(CORIO_LOG_ERROR, "t", "e");
    corio_log(CORIO_LOG_WARN, "t", "w");
    corio_log(CORIO_LOG_INFO, "t", "i");
    corio_log(CORIO_LOG_DEBUG, "t", "d");
    corio_log(CORIO_LOG_OFF, "t", "never");
    corio_log(99, "t", "never either");
    cr_assert_eq(kept(), 2);
    cr_assert_eq(records[0].level, CORIO_LOG_ERROR);
    cr_assert_str_eq(records[0].msg, "e");
    cr_assert_eq(records[1].level, CORIO_LOG_WARN);
    cr_assert_str_eq(records[1].msg, "w");

    cr_assert_eq(corio_log_set(keep, &ud, CORIO_LOG_DEBUG), 0);
    corio_log(CORIO_LOG_DEBUG, "t", "d");
    cr_assert_eq(kept(), 3);
    cr_assert_eq(corio_log_set(keep, &ud, CORIO_LOG_ERROR), 0);
    corio_log(CORIO_LOG_WARN, "t", "w");
    cr_assert_eq(kept(), 3);
}

Test(log, message_module_and_ud)
{
    int ud;
    cr_assert_eq(corio_log_set(keep, &ud, CORIO_LOG_INFO), 0);
    corio_log(CORIO_LOG_INFO, "http", "%d %s for %s", 400, "Bad Request", "127.0.0.1");
    corio_log(CORIO_LOG_WARN, NULL, "no module");
    corio_log(CORIO_LOG_WARN, "t", "a\nforged line\tand\r\x7f");
    cr_assert_eq(kept(), 3);
    cr_assert_eq(records[0].ud, &ud);
    cr_assert_eq(records[0].level, CORIO_LOG_INFO);
    cr_assert_str_eq(records[0].module, "http");
    cr_assert_str_eq(records[0].msg, "400 Bad Request for 127.0.0.1");
    cr_assert_str_eq(records[1].module, "corio");
    cr_assert_str_eq(records[2].msg, "a?forged line?and??", "control characters replaced");
}

Test(log, long_messages_are_cut)
{
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_DEBUG), 0);
    size_t big = 100000;
    char *s = malloc(big + 1);
    memset(s, 'x', big);
    s[big] = '\0';
    corio_log(CORIO_LOG_INFO, "t", "start %s end", s);
    free(s);
    /* One over and exactly full: cut, and not cut. */
    char over[CORIO_LOG_MAX + 1];
    memset(over, 'y', sizeof over - 1);
    over[sizeof over - 1] = '\0';
    corio_log(CORIO_LOG_INFO, "t", "%s", over);
    over[sizeof over - 2] = '\0';
    corio_log(CORIO_LOG_INFO, "t", "%s", over);
    cr_assert_eq(kept(), 3);

    const record *r = &records[0];
    cr_assert_eq(r->len, CORIO_LOG_MAX - 1);
    cr_assert(!strncmp(r->msg, "start xxx", 9));
    cr_assert_str_eq(r->msg + r->len - 4, "x...");
    cr_assert_eq(records[1].len, CORIO_LOG_MAX - 1);
    cr_assert_str_eq(records[1].msg + records[1].len - 3, "...");
    cr_assert_eq(records[2].len, CORIO_LOG_MAX - 1);
    cr_assert_eq(strchr(records[2].msg, '.'), NULL, "a message that fits is whole");
}

Test(log, level_names)
{
    static const char *const names[] = {"off", "error", "warn", "info", "debug"};
    for (int l = CORIO_LOG_OFF; l <= CORIO_LOG_DEBUG; l++) {
        cr_assert_str_eq(corio_log_level_name(l), names[l]);
        cr_assert_eq(corio_log_level_parse(names[l]), l);
    }
    cr_assert_str_eq(corio_log_level_name(7), "?");
    cr_assert_eq(corio_log_level_parse("loud"), -EINVAL);
    cr_assert_eq(corio_log_level_parse("WARN"), -EINVAL, "names are lower case");
    cr_assert_eq(corio_log_level_parse(NULL), -EINVAL);
}

/* What corio_log_stderr writes for the calls fn makes. */
static char *stderr_of(void (*fn)(void))
{
    static char out[1024];
    FILE *tmp = tmpfile();
    cr_assert_not_null(tmp);
    int saved = dup(STDERR_FILENO);
    cr_assert_geq(saved, 0);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, sizeof out - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return out;
}

static void two_lines(void)
{
    corio_log_set(corio_log_stderr, (void *)"corio-fakeweb", CORIO_LOG_INFO);
    corio_log(CORIO_LOG_WARN, "http", "accept: %s", "Too many open files");
    corio_log(CORIO_LOG_DEBUG, "http", "filtered");
    corio_log_set(corio_log_stderr, NULL, CORIO_LOG_INFO);
    corio_log(CORIO_LOG_INFO, "loop", "no name");
}

Test(log, stderr_sink_writes_one_line_a_message)
{
    cr_assert_str_eq(stderr_of(two_lines),
                     "corio-fakeweb: warn: http: accept: Too many open files\n"
                     "corio: info: loop: no name\n");
}

/* --- threads ----------------------------------------------------------------- */

/* Two sinks, each checking that it gets its own ud: corio_log_set swaps
 * them while other threads log, and no message may reach one sink with
 * the other's ud. */
static int ud_a, ud_b;
static atomic_long calls, mismatched;

static void sink_a(void *ud, int level, const char *module, const char *msg)
{
    (void)level, (void)module, (void)msg;
    atomic_fetch_add(&calls, 1);
    if (ud != &ud_a)
        atomic_fetch_add(&mismatched, 1);
}

static void sink_b(void *ud, int level, const char *module, const char *msg)
{
    (void)level, (void)module, (void)msg;
    atomic_fetch_add(&calls, 1);
    if (ud != &ud_b)
        atomic_fetch_add(&mismatched, 1);
}

static atomic_bool stop_logging;

static void *logger(void *arg)
{
    (void)arg;
    long i = 0;
    while (!atomic_load(&stop_logging) || i < 1000)
        corio_log(CORIO_LOG_INFO, "t", "message %ld", i++);
    return NULL;
}

Test(log, set_while_other_threads_log)
{
    cr_assert_eq(corio_log_set(sink_a, &ud_a, CORIO_LOG_INFO), 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, logger, NULL), 0);
    for (int i = 0; i < 2000; i++) {
        if (i % 2)
            corio_log_set(sink_a, &ud_a, CORIO_LOG_INFO);
        else
            corio_log_set(sink_b, &ud_b, CORIO_LOG_DEBUG);
    }
    atomic_store(&stop_logging, true);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    cr_assert_geq(atomic_load(&calls), 4000);
    cr_assert_eq(atomic_load(&mismatched), 0, "a sink was given another's ud");
}

/* --- the library's own reports ---------------------------------------------- */

static int hello(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    return corio_http_resp_text(resp, 200, "Hello, World!");
}

static int fails(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)resp, (void)arg;
    return -EIO;
}

static void start(fixture *f, const corio_http_limits *limits)
{
    cr_assert_eq(corio_http_app_new(&f->app), 0);
    cr_assert_eq(corio_http_route(f->app, "GET", "/", hello, NULL), 0);
    cr_assert_eq(corio_http_route(f->app, "GET", "/fail", fails, NULL), 0);
    fixture_serve(f, limits);
}

/* Whether the answer to req on a new connection holds text. */
static bool answered(const fixture *f, const char *req, const char *text)
{
    char *out = raw(f, req, 5000);
    bool found = strstr(out, text) != NULL;
    if (!found)
        cr_log_error("no '%s' in: %s", text, out);
    free(out);
    return found;
}

RUN(malformed)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    /* At warn, a client's mistake is not worth a line. */
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_WARN), 0);
    cr_assert(answered(&f, "GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"));
    cr_assert_eq(kept(), 0);
    /* At info it is, and the client still gets its 400. */
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_INFO), 0);
    cr_assert(answered(&f, "GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"));
    cr_assert(answered(&f, "GET / HTTP/1.1\r\nBad Header : 1\r\n\r\n", "HTTP/1.1 400 Bad Request"));
    dump();
    cr_assert_eq(kept(), 2);
    cr_assert_not_null(
        find(CORIO_LOG_INFO, "http", "400 Bad Request for 127.0.0.1: malformed head"));
    cr_assert_not_null(find(CORIO_LOG_INFO, "http", "whitespace before a colon"));
    /* A good request logs nothing. */
    cr_assert(
        answered(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "Hello, World!"));
    cr_assert_eq(kept(), 2);
    stop(&f);
    return 0;
}
Test(log, malformed_request_is_logged_at_info_and_answered_400)
{
    malformed_run();
}

RUN(handler_fails)
{
    (void)arg;
    fixture f = {0};
    start(&f, NULL);
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_WARN), 0);
    cr_assert(answered(&f, "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 500 "));
    dump();
    cr_assert_eq(kept(), 1);
    cr_assert_not_null(find(CORIO_LOG_WARN, "http", "GET /fail: handler failed: "));
    stop(&f);
    return 0;
}
Test(log, failing_handler_is_logged_at_warn)
{
    handler_fails_run();
}

RUN(over_the_limit)
{
    (void)arg;
    fixture f = {0};
    corio_http_limits l = {.max_connections = 1};
    start(&f, &l);
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_DEBUG), 0);
    corio_fd *held;
    cr_assert_eq(corio_tcp_connect("127.0.0.1", f.port, &held, -1), 0);
    corio_sleep(20);
    for (int i = 0; i < 3; i++)
        cr_assert(answered(&f, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 503 "));
    dump();
    /* Three refusals within a second: one line, not three. */
    cr_assert_eq(kept(), 1);
    cr_assert_not_null(
        find(CORIO_LOG_WARN, "http", "at the connection limit (1, max_connections)"));
    corio_fd_close(held);
    stop(&f);
    return 0;
}
Test(log, connections_over_the_limit_are_logged_once_a_second)
{
    over_the_limit_run();
}

/* --- corio_serve_tcp: a handler's failure reaches the hook ------------------ */

static intptr_t failing_handler(corio_stream *conn, void *arg)
{
    (void)conn, (void)arg;
    return -EPROTO;
}

static intptr_t cancelled_handler(corio_stream *conn, void *arg)
{
    (void)conn, (void)arg;
    return -ECANCELED;
}

typedef struct served {
    corio_fd *listener;
    corio_conn_fn *handler;
} served;

static intptr_t serve_task(void *arg)
{
    served *s = arg;
    return corio_serve_tcp(s->listener, s->handler, NULL, -1);
}

/* Serves with handler, makes one connection and waits up to 5 s for a
 * record; the number kept. */
static int serve_once(corio_conn_fn *handler)
{
    corio_fd *listener, *c;
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 16, &listener), 0);
    served s = {listener, handler};
    corio_task *server;
    cr_assert_eq(corio_spawn(NULL, serve_task, &s, &server), 0);
    cr_assert_eq(corio_tcp_connect("127.0.0.1", corio_tcp_local_port(listener), &c, -1), 0);
    /* The handler ends the connection: its close is seen once it has run. */
    char b;
    cr_assert_geq(corio_fd_read(c, &b, 1, corio_now() + 5000), 0);
    for (int i = 0; i < 50 && kept() == 0; i++)
        corio_sleep(10);
    corio_fd_close(c);
    corio_task_cancel(server);
    intptr_t rc;
    corio_join(server, &rc, -1);
    cr_assert_eq(rc, -ECANCELED);
    corio_fd_close(listener);
    return kept();
}

RUN(serve_tcp_handler_fails)
{
    (void)arg;
    cr_assert_eq(corio_log_set(keep, NULL, CORIO_LOG_WARN), 0);
    cr_assert_eq(serve_once(cancelled_handler), 0, "a cancelled handler is not a failure");
    cr_assert_eq(serve_once(failing_handler), 1);
    dump();
    cr_assert_not_null(find(CORIO_LOG_WARN, "tcp", "connection handler failed: "));
    cr_assert_not_null(find(CORIO_LOG_WARN, "tcp", corio_strerror(-EPROTO)));
    return 0;
}
Test(log, serve_tcp_reports_a_failing_handler_at_warn)
{
    serve_tcp_handler_fails_run();
}
