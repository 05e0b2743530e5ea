/* Throwaway PostgreSQL servers for the tests and bench-pg: initdb, pg_ctl
 * start on a Unix socket in a temp dir and a loopback port, fsync off.
 * PostgreSQL refuses to run as root: as root its programs run as nobody, in
 * dirs nobody owns. Failures abort (the callers are tests and benchmarks). */
#ifndef CORIO_TESTS_PG_SERVER_H
#define CORIO_TESTS_PG_SERVER_H

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "held_port.h"

#define PG_BIN      "/usr/lib/postgresql/15/bin/"
#define PG_PASSWORD "secret"

typedef struct pg_server {
    char dir[96]; /* the data is in dir/data, the log in dir/log */
    int port;
    held_port hold;    /* the port, held for the server's life (pg_hold_port) */
    int cpu;           /* >= 0: the server runs pinned to that CPU */
    const char *extra; /* more server options ("-c ssl=on ..."), or NULL */
    char local[200];   /* conninfo over the Unix socket */
    char tcp[200];     /* URI over TCP loopback, with the password */
} pg_server;

/* Also used in Criterion's hooks, outside any test: no cr_assert. */
#define PG_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "pg fixture: " __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Runs argv (output to log, appended) as nobody when root. Exit status. */
static int pg_run(const char *log, const char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        if (getuid() == 0) {
            struct passwd *pw = getpwnam("nobody");
            if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
                _exit(126);
        }
        /* Opened as the server's user, who appends to it too. */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A temp dir the server's user owns; dir is a prefix mkdtemp completes. */
static void pg_mkdir(char dir[96])
{
    size_t n = strlen(dir);
    PG_CHECK(n + 7 < 96, "path too long");
    memcpy(dir + n, "-XXXXXX", 8);
    PG_CHECK(mkdtemp(dir), "cannot make %s", dir);
    if (getuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        PG_CHECK(pw && chown(dir, pw->pw_uid, pw->pw_gid) == 0, "cannot give %s to nobody", dir);
    }
}

static void pg_rmdir(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    PG_CHECK(system(cmd) == 0, "%s failed", cmd);
}

/* initdb into dir/data: local connections trusted, TCP ones with
 * host_auth ("trust", or "scram-sha-256": user postgres's password is
 * PG_PASSWORD). */
static void pg_initdb(const char *dir, const char *host_auth)
{
    char data[128], pw[128], log[128];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(pw, sizeof pw, "%s/pw", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    char auth[64];
    snprintf(auth, sizeof auth, "--auth-host=%s", host_auth);
    FILE *f = fopen(pw, "w");
    PG_CHECK(f, "cannot write %s", pw);
    fputs(PG_PASSWORD "\n", f);
    fclose(f);
    chmod(pw, 0644);
    const char *argv[] = {
        PG_BIN "initdb", "-D", data,        "-U", "postgres", "--auth-local=trust", auth,
        "--pwfile",      pw,   "--no-sync", NULL};
    PG_CHECK(pg_run(log, argv) == 0, "initdb failed: see %s", log);
}

/* A port for s, held until pg_release_port. */
static void pg_hold_port(pg_server *s)
{
    s->port = port_hold(&s->hold);
    PG_CHECK(s->port > 0, "no free port");
}

static void pg_release_port(pg_server *s)
{
    port_release(&s->hold);
}

/* pg_ctl start, stop (fast) or restart. */
static void pg_ctl(pg_server *s, const char *action)
{
    char data[128], log[128], opts[512];
    snprintf(data, sizeof data, "%s/data", s->dir);
    snprintf(log, sizeof log, "%s/log", s->dir);
    snprintf(opts, sizeof opts,
             "-c fsync=off -c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s %s",
             s->port, s->dir, s->extra ? s->extra : "");
    char cpu[16];
    snprintf(cpu, sizeof cpu, "%d", s->cpu);
    const char *argv[] = {"/usr/bin/taskset",
                          "-c",
                          cpu,
                          PG_BIN "pg_ctl",
                          "-D",
                          data,
                          "-l",
                          log,
                          "-w",
                          "-t",
                          "60",
                          "-m",
                          "fast",
                          "-o",
                          opts,
                          action,
                          NULL};
    /* The postmaster and its backends inherit the affinity. */
    PG_CHECK(pg_run(log, s->cpu >= 0 ? argv : argv + 3) == 0, "pg_ctl %s failed: see %s", action,
             log);
}

/* The connection strings for s's port and dir. */
static void pg_conninfo(pg_server *s)
{
    snprintf(s->local, sizeof s->local, "host=%s port=%d user=postgres dbname=postgres", s->dir,
             s->port);
    snprintf(s->tcp, sizeof s->tcp, "postgresql://postgres:%s@127.0.0.1:%d/postgres", PG_PASSWORD,
             s->port);
}

#endif
