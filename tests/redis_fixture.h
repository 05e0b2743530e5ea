/* Starts a redis-server of the test's own: on a free loopback port and a
 * Unix socket in a temp dir, no persistence, and stops it. Plain C, called
 * outside corio_run. */
#ifndef CORIO_TESTS_REDIS_FIXTURE_H
#define CORIO_TESTS_REDIS_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "held_port.h"

typedef struct redis_server {
    pid_t pid;
    int port;
    held_port hold; /* the port, held for the server's life */
    char dir[64];
    char sock[96];
    char log[96];
    char url[128];      /* redis://127.0.0.1:port */
    char unix_url[128]; /* unix:///dir/redis.sock */
} redis_server;

/* True once the server answers PING on its port. */
static int redis_answers(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[64] = {0};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 && write(fd, "PING\r\n", 6) == 6 &&
             read(fd, buf, sizeof buf - 1) > 0 &&
             (strncmp(buf, "+PONG", 5) == 0 || strncmp(buf, "-NOAUTH", 7) == 0);
    close(fd);
    return ok;
}

/* extra: more "--name value" arguments (NULL-terminated), or NULL. */
static void redis_start(redis_server *s, const char *const *extra)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/corio-redis-XXXXXX");
    cr_assert(mkdtemp(s->dir));
    snprintf(s->sock, sizeof s->sock, "%s/redis.sock", s->dir);
    snprintf(s->log, sizeof s->log, "%s/redis.log", s->dir);
    s->port = port_hold(&s->hold);
    cr_assert(s->port > 0, "no free port");
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(s->url, sizeof s->url, "redis://127.0.0.1:%d", s->port);
    snprintf(s->unix_url, sizeof s->unix_url, "unix://%s", s->sock);
    const char *argv[48] = {"redis-server",
                            "--port",
                            port,
                            "--bind",
                            "127.0.0.1",
                            "--save",
                            "",
                            "--appendonly",
                            "no",
                            "--dir",
                            s->dir,
                            "--unixsocket",
                            s->sock,
                            "--unixsocketperm",
                            "700",
                            "--enable-debug-command",
                            "yes",
                            "--loglevel",
                            "warning",
                            "--logfile",
                            s->log};
    int n = 0;
    while (argv[n])
        n++;
    for (int i = 0; extra && extra[i] && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    s->pid = fork();
    cr_assert(s->pid >= 0);
    if (s->pid == 0) {
        /* A test that crashes takes its server with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 1000 && !redis_answers(s->port); i++) {
        if (waitpid(s->pid, NULL, WNOHANG) != 0) {
            char why[512] = "";
            FILE *f = fopen(s->log, "r");
            size_t n = f ? fread(why, 1, sizeof why - 1, f) : 0;
            why[n] = '\0';
            if (f)
                fclose(f);
            cr_assert_fail("redis-server did not start: %s", why);
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    cr_assert(redis_answers(s->port), "redis-server does not answer");
}

/* Kills the server (SIGKILL when hard: no goodbye), reaps it, removes its dir. */
static void redis_stop_sig(redis_server *s, int sig)
{
    if (s->pid > 0) {
        kill(s->pid, sig);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    port_release(&s->hold);
    unlink(s->sock);
    unlink(s->log);
    rmdir(s->dir);
}

static void redis_stop(redis_server *s)
{
    redis_stop_sig(s, SIGTERM);
}

#endif
