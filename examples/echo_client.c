/* The trio tutorial's echo client (seed 002): a sender task writes a message
 * every unit while a receiver task prints what comes back; both live in the
 * parent's nursery.
 *
 *     echo_client [--host H] [--port N] [--count N] [--unit-ms MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/corio.h>

static const char *host = "127.0.0.1";
static long port = 12345, count = 3, unit_ms = 1000;
static const char message[] = "async can sometimes be confusing, but I believe in you!";

static intptr_t sender(void *arg)
{
    corio_stream *s = arg;
    printf("sender: started!\n");
    for (long i = 0; i < count; i++) {
        printf("sender: sending '%s'\n", message);
        int rc = corio_stream_write(s, message, sizeof message - 1, -1);
        if (rc < 0)
            return rc;
        if ((rc = corio_sleep(unit_ms)) < 0)
            return rc;
    }
    return corio_stream_shutdown_write(s); /* done: the server sees end of stream */
}

static intptr_t receiver(void *arg)
{
    corio_stream *s = arg;
    char buf[16384];
    printf("receiver: started!\n");
    for (;;) {
        ssize_t n = corio_stream_read(s, buf, sizeof buf, -1);
        if (n < 0)
            return n;
        if (n == 0) {
            printf("receiver: connection closed\n");
            return 0;
        }
        printf("receiver: got data '%.*s'\n", (int)n, buf);
    }
}

static intptr_t parent(void *arg)
{
    (void)arg;
    corio_fd *f;
    corio_stream *s;
    printf("parent: connecting to %s:%ld\n", host, port);
    int rc = corio_tcp_connect(host, (int)port, &f, corio_now() + 10000);
    if (rc < 0) {
        fprintf(stderr, "echo_client: cannot connect to %s:%ld: %s\n", host, port,
                corio_strerror(rc));
        return rc;
    }
    if ((rc = corio_stream_open(f, &s)) < 0)
        return rc;
    corio_nursery *n;
    if ((rc = corio_nursery_open(&n)) == 0) {
        printf("parent: spawning sender...\n");
        corio_spawn(n, sender, s, NULL);
        printf("parent: spawning receiver...\n");
        corio_spawn(n, receiver, s, NULL);
        rc = (int)corio_nursery_close(n);
    }
    corio_stream_close(s);
    return rc;
}

static long number(const char *opt, const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) {
        fprintf(stderr, "echo_client: %s: not a number in %ld..%ld: '%s'\n", opt, lo, hi, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: %s [--host H] [--port N] [--count N] [--unit-ms MS]\n"
                   "Sends a message every unit, prints the echoes.\n",
                   argv[0]);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("echo_client (corio) %s\n", corio_version());
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--host")) {
            host = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--port")) {
            port = number("--port", argv[++i], 1, 65535);
        } else if (i + 1 < argc && !strcmp(argv[i], "--count")) {
            count = number("--count", argv[++i], 0, 1000000);
        } else if (i + 1 < argc && !strcmp(argv[i], "--unit-ms")) {
            unit_ms = number("--unit-ms", argv[++i], 0, 60000);
        } else {
            fprintf(stderr, "echo_client: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    return corio_run(parent, NULL) < 0 ? 1 : 0;
}
