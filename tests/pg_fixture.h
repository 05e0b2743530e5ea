/* A throwaway PostgreSQL server per test. The runner makes one cluster with
 * initdb before the tests (a template: initdb takes seconds); each test
 * copies it and starts a server on a Unix socket in its own temp dir and a
 * free loopback port, fsync off, and stops it at the end. PostgreSQL refuses
 * to run as root: as root the server runs as nobody, in dirs nobody owns.
 * Local (socket) connections are trusted; TCP ones need user postgres's
 * password, PG_PASSWORD. */
#ifndef CORIO_TESTS_PG_FIXTURE_H
#define CORIO_TESTS_PG_FIXTURE_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
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

#define PG_BIN      "/usr/lib/postgresql/15/bin/"
#define PG_PASSWORD "secret"

typedef struct pg_server {
    char dir[96];
    int port;
    char local[200]; /* conninfo over the Unix socket */
    char tcp[200];   /* URI over TCP loopback, with the password */
} pg_server;

/* Runs argv (output to log, appended) as nobody when root. Exit status. */
/* The fixture also runs in the runner's hooks, outside any test. */
#define PG_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "pg fixture: " __VA_ARGS__);                                           \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

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

/* A temp dir the server's user owns. */
/* dir: a prefix, completed by mkdtemp. */
static void pg_mkdir(char dir[96])
{
    size_t n = strlen(dir);
    PG_CHECK(n + 7 < 96, "path too long");
    memcpy(dir + n, "-XXXXXX", 8);
    PG_CHECK(mkdtemp(dir), "mkdtemp(dir) is NULL");
    if (getuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        PG_CHECK(pw, "pw is NULL");
        PG_CHECK(chown(dir, pw->pw_uid, pw->pw_gid) == 0,
                 "chown(dir, pw->pw_uid, pw->pw_gid) failed");
    }
}

static void pg_rmdir(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    PG_CHECK(system(cmd) == 0, "system(cmd) failed");
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    char dir[96] = "/tmp/corio-pgt", data[128], pw[128], log[128];
    pg_mkdir(dir);
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(pw, sizeof pw, "%s/pw", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    FILE *f = fopen(pw, "w");
    PG_CHECK(f, "f is NULL");
    fputs(PG_PASSWORD "\n", f);
    fclose(f);
    chmod(pw, 0644);
    const char *argv[] = {PG_BIN "initdb",
                          "-D",
                          data,
                          "-U",
                          "postgres",
                          "--auth-local=trust",
                          "--auth-host=scram-sha-256",
                          "--pwfile",
                          pw,
                          "--no-sync",
                          NULL};
    PG_CHECK(pg_run(log, argv) == 0, "initdb failed: see %s", log);
    setenv("CORIO_PG_TEMPLATE", dir, 1);
}

/* Stops the servers of tests that crashed before their own stop. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    const char *t = getenv("CORIO_PG_TEMPLATE");
    if (!t)
        return;
    char pattern[96];
    snprintf(pattern, sizeof pattern, "%s/srv-*/data/postmaster.pid", t);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            *strrchr(g.gl_pathv[i], '/') = '\0';
            const char *argv[] = {PG_BIN "pg_ctl", "-D", g.gl_pathv[i], "-m",
                                  "immediate",     "-w", "stop",        NULL};
            pg_run("/dev/null", argv);
        }
        globfree(&g);
    }
    pg_rmdir(t);
}

static int pg_free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    PG_CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
                 getsockname(s, (struct sockaddr *)&a, &len) == 0,
             "no free port");
    close(s);
    return ntohs(a.sin_port);
}

static void pg_ctl(pg_server *s, const char *action)
{
    char data[128], log[128], opts[256];
    snprintf(data, sizeof data, "%s/data", s->dir);
    snprintf(log, sizeof log, "%s/log", s->dir);
    snprintf(opts, sizeof opts,
             "-c fsync=off -c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s",
             s->port, s->dir);
    const char *argv[] = {PG_BIN "pg_ctl", "-D", data, "-l",   log, "-w", "-t", "60", "-m",
                          "fast",          "-o", opts, action, NULL};
    PG_CHECK(pg_run(log, argv) == 0, "pg_ctl %s failed: see %s", action, log);
}

static void pg_start(pg_server *s)
{
    const char *t = getenv("CORIO_PG_TEMPLATE");
    PG_CHECK(t, "no template cluster");
    snprintf(s->dir, sizeof s->dir, "%s/srv", t);
    pg_mkdir(s->dir);
    char cmd[300];
    /* As root, cp -a keeps nobody as the owner. */
    snprintf(cmd, sizeof cmd, "cp -a '%s/data' '%s/data'", t, s->dir);
    PG_CHECK(system(cmd) == 0, "system(cmd) failed");
    s->port = pg_free_port();
    snprintf(s->local, sizeof s->local, "host=%s port=%d user=postgres dbname=postgres", s->dir,
             s->port);
    snprintf(s->tcp, sizeof s->tcp, "postgresql://postgres:%s@127.0.0.1:%d/postgres", PG_PASSWORD,
             s->port);
    pg_ctl(s, "start");
}

static void pg_stop(pg_server *s)
{
    pg_ctl(s, "stop");
    pg_rmdir(s->dir);
}

#endif
