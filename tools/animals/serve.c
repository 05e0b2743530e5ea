/* `corio-animals serve`: the Animals API. GET /animals lists the names, GET
 * /animals/{name} answers {"animal":NAME,"sound":SOUND} or 404 with a JSON
 * error; --delay makes every answer as slow as the talk's cloud service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <corio/pg.h>
#include <jansson.h>

#include "animals.h"
#include "cli.h"
#include "json.h"
#include "serve.h"

static int delay_ms;

/* 503 when the database did not answer: the client may retry. */
static int db_down(corio_http_resp *resp)
{
    return tool_send_json(resp, 503, json_pack("{s:s}", "error", "database unavailable"));
}

static int list_animals(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)req, (void)arg;
    int rc = corio_sleep(delay_ms);
    if (rc < 0)
        return rc;
    if (animals_pool) {
        json_t *names;
        return animals_db_names(&names) < 0 ? db_down(resp) : tool_send_json(resp, 200, names);
    }
    json_t *names = json_array();
    for (size_t i = 0; names && i < animals_count; i++)
        json_array_append_new(names, json_string(animals_table[i].name));
    return tool_send_json(resp, 200, names);
}

static int unknown(corio_http_resp *resp, const char *name)
{
    /* json_pack refuses names that are not UTF-8; tool_send_json answers 500 then */
    return tool_send_json(resp, 404,
                          json_pack("{s:s,s:s}", "error", "unknown animal", "animal", name));
}

static int get_from_db(corio_http_resp *resp, const char *name)
{
    char *sound;
    int rc = animals_db_sound(name, &sound);
    if (rc == -ENOENT)
        return unknown(resp, name);
    if (rc < 0)
        return db_down(resp);
    rc = tool_send_json(resp, 200, json_pack("{s:s,s:s}", "animal", name, "sound", sound));
    free(sound);
    return rc;
}

static int get_animal(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    int rc = corio_sleep(delay_ms);
    if (rc < 0)
        return rc;
    const char *name = corio_http_req_param(req, "name");
    if (animals_pool)
        return get_from_db(resp, name);
    const animal *a = animals_find(name);
    if (!a)
        return unknown(resp, name);
    return tool_send_json(resp, 200, json_pack("{s:s,s:s}", "animal", a->name, "sound", a->sound));
}

static void usage(void)
{
    printf("usage: %s serve [--host H] [--port N] [--delay MS] [--pg URL] [--log-level LEVEL]\n"
           "Serves the Animals API: GET /animals, GET /animals/{name} (JSON).\n"
           "  --host H           address to listen on (default 127.0.0.1)\n"
           "  --port N           port (default 8080; 0: any free one, printed)\n"
           "  --delay MS         wait before each answer, like a slow cloud service (default 0)\n"
           "  --pg URL           the animals from table animals of this PostgreSQL database\n"
           "                     (see init-db); 503 while it is down\n"
           "  --log-level LEVEL  what the server logs on stderr: error, warn (default),\n"
           "                     info (also malformed requests, timeouts), debug or off\n",
           ANIMALS_PROG);
    exit(CLI_OK);
}

static intptr_t close_pool(void *arg)
{
    (void)arg;
    if (animals_pool)
        corio_pg_pool_close(animals_pool, corio_now() + 5000);
    animals_pool = NULL;
    return 0;
}

int animals_serve(int argc, char **argv)
{
    const char *pg_url = NULL;
    cli_log(ANIMALS_PROG, CLI_LOG_DEFAULT);
    tool_server srv = {
        .prog = ANIMALS_PROG, .usage = usage, .host = "127.0.0.1", .port = 8080, .grace_ms = 5000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_server_option(&srv, argc, argv, &i))
            continue;
        else if (!strcmp(a, "--delay"))
            delay_ms =
                (int)cli_long(ANIMALS_PROG, a, cli_value(ANIMALS_PROG, argc, argv, &i), 0, 3600000);
        else if (!strcmp(a, "--pg"))
            pg_url = cli_value(ANIMALS_PROG, argc, argv, &i);
        else
            cli_usage_error(ANIMALS_PROG, "serve: unknown argument '%s'", a);
    }
    if (pg_url && corio_pg_pool_new(pg_url, NULL, &animals_pool) < 0)
        cli_usage_error(ANIMALS_PROG, "--pg: not a PostgreSQL URL: '%s'", pg_url);
    srv.after = close_pool;
    bool built = corio_http_app_new(&srv.app) == 0 &&
                 corio_http_route(srv.app, "GET", "/animals", list_animals, NULL) == 0 &&
                 corio_http_route(srv.app, "GET", "/animals/{name}", get_animal, NULL) == 0;
    return tool_serve(&srv, built);
}
