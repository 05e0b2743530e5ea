/* A throwaway PostgreSQL server per test (pg_server.h). The runner makes
 * one cluster with initdb before the tests (a template: initdb takes
 * seconds); each test copies it, starts a server of its own, and stops it at
 * the end; the runner stops those of tests that crashed. */
#ifndef CORIO_TESTS_PG_FIXTURE_H
#define CORIO_TESTS_PG_FIXTURE_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include "pg_server.h"

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    char dir[96] = "/tmp/corio-pgt";
    pg_mkdir(dir);
    pg_initdb(dir, "scram-sha-256");
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

static void pg_start(pg_server *s)
{
    const char *t = getenv("CORIO_PG_TEMPLATE");
    PG_CHECK(t, "no template cluster");
    snprintf(s->dir, sizeof s->dir, "%s/srv", t);
    pg_mkdir(s->dir);
    char cmd[300];
    /* As root, cp -a keeps nobody as the owner. */
    snprintf(cmd, sizeof cmd, "cp -a '%s/data' '%s/data'", t, s->dir);
    PG_CHECK(system(cmd) == 0, "%s failed", cmd);
    pg_hold_port(s);
    s->cpu = -1;
    s->extra = NULL;
    pg_conninfo(s);
    pg_ctl(s, "start");
}

static void pg_stop(pg_server *s)
{
    pg_ctl(s, "stop");
    pg_release_port(s);
    pg_rmdir(s->dir);
}

#endif
