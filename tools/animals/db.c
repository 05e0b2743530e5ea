/* The animals from PostgreSQL: `serve --pg URL` reads them from table
 * animals, which `init-db --pg URL` creates and fills from the built-in
 * table. A database that is down makes the API answer 503 until it is back;
 * the pool reconnects on its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/pg.h>
#include <jansson.h>

#include "animals.h"
#include "cli.h"

/* Each database call's bound: a down database fails the request quickly. */
#define DB_MS 2000

corio_pg_pool *animals_pool;

/* A connection from the pool, or the reason there is none (logged). */
static int acquire(corio_pg **c)
{
    int rc = corio_pg_pool_acquire(animals_pool, c, corio_now() + DB_MS);
    if (rc < 0)
        corio_log(CORIO_LOG_WARN, "animals", "database: %s", corio_strerror(rc));
    return rc;
}

static int query(const char *sql, const char *param, corio_pg_result **r)
{
    corio_pg *c;
    int rc = acquire(&c);
    if (rc < 0)
        return rc;
    corio_pg_params p = {param ? 1 : 0, &param, NULL, NULL};
    rc = corio_pg_query(c, sql, &p, r, corio_now() + DB_MS);
    if (rc < 0)
        corio_log(CORIO_LOG_WARN, "animals", "database: %s %s", corio_strerror(rc),
                  corio_pg_error(c));
    corio_pg_pool_release(animals_pool, c, corio_now() + DB_MS);
    return rc;
}

int animals_db_names(json_t **out)
{
    corio_pg_result *r;
    int rc = query("SELECT name FROM animals ORDER BY name", NULL, &r);
    if (rc < 0)
        return rc;
    json_t *names = json_array();
    for (int i = 0; names && i < corio_pg_nrows(r); i++) {
        const char *name;
        if (corio_pg_get_text(r, i, 0, &name, NULL) == 0)
            json_array_append_new(names, json_string(name));
    }
    corio_pg_result_free(r);
    *out = names;
    return names ? 0 : -ENOMEM;
}

int animals_db_sound(const char *name, char **sound)
{
    corio_pg_result *r;
    int rc = query("SELECT sound FROM animals WHERE name = $1", name, &r);
    if (rc < 0)
        return rc;
    const char *s;
    rc = corio_pg_get_text(r, 0, 0, &s, NULL);
    if (rc == 0)
        *sound = strdup(s);
    corio_pg_result_free(r);
    if (rc == -ERANGE)
        return -ENOENT;
    return rc < 0 ? rc : *sound ? 0 : -ENOMEM;
}

/* Creates the table and upserts every built-in animal in one pipeline. */
static intptr_t init_db(void *arg)
{
    const char *url = arg;
    int64_t deadline = corio_now() + 30000;
    corio_pg *c;
    int rc = corio_pg_connect(url, &c, deadline);
    if (rc < 0) {
        fprintf(stderr, "%s: cannot connect to the database: %s\n", ANIMALS_PROG,
                corio_strerror(rc));
        return rc;
    }
    rc = corio_pg_exec(c,
                       "CREATE TABLE IF NOT EXISTS animals "
                       "(name text PRIMARY KEY, sound text NOT NULL)",
                       NULL, NULL, deadline);
    corio_pg_stmt *st = calloc(animals_count, sizeof *st);
    corio_pg_params *ps = calloc(animals_count, sizeof *ps);
    const char **vals = calloc(2 * animals_count, sizeof *vals);
    if (rc == 0 && (!st || !ps || !vals))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < animals_count; i++) {
        vals[2 * i] = animals_table[i].name;
        vals[2 * i + 1] = animals_table[i].sound;
        ps[i] = (corio_pg_params){2, &vals[2 * i], NULL, NULL};
        st[i] = (corio_pg_stmt){"INSERT INTO animals VALUES ($1, $2) "
                                "ON CONFLICT (name) DO UPDATE SET sound = EXCLUDED.sound",
                                &ps[i]};
    }
    if (rc == 0)
        rc = corio_pg_pipeline(c, st, animals_count, NULL, NULL, deadline);
    if (rc < 0)
        fprintf(stderr, "%s: init-db: %s %s\n", ANIMALS_PROG, corio_strerror(rc),
                corio_pg_error(c));
    else
        printf("%zu animals in table animals\n", animals_count);
    free(st);
    free(ps);
    free(vals);
    corio_pg_close(c);
    return rc;
}

static void init_usage(void)
{
    printf("usage: %s init-db --pg URL\n"
           "Creates table animals in the PostgreSQL database at URL (a libpq URI or\n"
           "connection string) and fills it with the built-in animals.\n",
           ANIMALS_PROG);
    exit(CLI_OK);
}

int animals_init_db(int argc, char **argv)
{
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            init_usage();
        else if (!strcmp(argv[i], "--version"))
            cli_version(ANIMALS_PROG);
        else if (!strcmp(argv[i], "--pg"))
            url = cli_value(ANIMALS_PROG, argc, argv, &i);
        else
            cli_usage_error(ANIMALS_PROG, "init-db: unknown argument '%s'", argv[i]);
    }
    if (!url)
        cli_usage_error(ANIMALS_PROG, "init-db needs --pg URL");
    return corio_run(init_db, (void *)url) < 0 ? CLI_FAILURE : CLI_OK;
}
