/* An asyncio-streams line chat: every line a client sends goes to all the
 * other clients. One task per connection reads lines; a broadcast writes to
 * each client with a short deadline, so one slow reader cannot stall the
 * room (it is dropped instead). A write may wait (a full socket, or a send
 * on io_uring's ring), so a client's task does not end while a broadcast
 * is writing to it: its stream is closed when the task ends.
 *
 *     line_chat [--host H] [--port N]    then: nc 127.0.0.1 N  (from several terminals)
 */
#include <errno.h>
#include <stdio.h>

#include <corio/corio.h>

#include "server_args.h"

#define MAX_CLIENTS    256
#define LINE_MAX_BYTES 4096

/* A client in the room; it lives on its task's stack. */
typedef struct client {
    corio_stream *s;
    int writing;       /* broadcasts writing to it now */
    corio_event *idle; /* set when the last of them is done */
} client;

static client *clients[MAX_CLIENTS];
static server_args args = {
    .prog = "line_chat",
    .usage = "[--host H] [--port N]\nA line chat: each line goes to every other client.",
    .host = "127.0.0.1",
};

static void broadcast(const client *from, const char *line, size_t len)
{
    for (int i = 0; i < MAX_CLIENTS; i++) {
        client *c = clients[i];
        if (!c || c == from)
            continue;
        c->writing++;
        int rc = corio_stream_write(c->s, line, len, corio_now() + 1000);
        if (--c->writing == 0)
            corio_event_set(c->idle);
        if (rc < 0 && clients[i] == c) {
            /* too slow or gone: stop talking to it; its reader ends it */
            corio_stream_shutdown_write(c->s);
            clients[i] = NULL;
        }
    }
}

static intptr_t chat(corio_stream *s, void *arg)
{
    (void)arg;
    int slot = -1;
    for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
        if (!clients[i])
            slot = i;
    client me = {.s = s};
    if (slot < 0) {
        corio_stream_write(s, "room full\n", 10, corio_now() + 1000);
        return 0;
    }
    int rc = corio_event_new(&me.idle);
    if (rc < 0)
        return rc;
    clients[slot] = &me;
    char line[LINE_MAX_BYTES + 32];
    int n = snprintf(line, sizeof line, "* user%d joined\n", slot);
    broadcast(&me, line, (size_t)n);
    for (;;) {
        char msg[LINE_MAX_BYTES];
        ssize_t got = corio_stream_read_line(s, msg, sizeof msg, -1);
        if (got == -EMSGSIZE) { /* a line over the limit: drop what came of it */
            corio_stream_read(s, msg, sizeof msg, -1);
            continue;
        }
        if (got <= 0)
            break;
        n = snprintf(line, sizeof line, "user%d: %.*s", slot, (int)got, msg);
        broadcast(&me, line, (size_t)n);
    }
    if (clients[slot] == &me)
        clients[slot] = NULL;
    n = snprintf(line, sizeof line, "* user%d left\n", slot);
    broadcast(NULL, line, (size_t)n);
    /* A broadcast still writing holds s and me (at most its 1 s deadline):
     * wait for it even when the server is stopping, since s is closed as
     * soon as this returns. */
    corio_scope shield;
    corio_scope_enter(&shield, -1, CORIO_SCOPE_SHIELD);
    while (me.writing > 0) {
        corio_event_clear(me.idle);
        corio_event_wait(me.idle, -1);
    }
    corio_scope_exit(&shield);
    corio_event_free(me.idle);
    return 0;
}

static int serve(corio_fd *l, void *unused)
{
    (void)unused;
    return corio_serve_tcp(l, chat, NULL, -1);
}

int main(int argc, char **argv)
{
    server_args_parse(&args, argc, argv);
    return stream_example_run(&args, serve);
}
