/* A JSON API handler: POST /api/sum with {"numbers": [..]} answers
 * {"sum": S, "count": N}; GET /api/items/{id} answers an item or a JSON 404;
 * malformed JSON gets a 400 that says where. JSON with jansson.
 *
 *     json_api [--host H] [--port N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <corio/corio.h>

#include "server_args.h"

static server_args args = {
    .prog = "json_api",
    .usage = "[--host H] [--port N]\nPOST /api/sum {\"numbers\":[1,2]}; GET /api/items/{id}",
    .host = "127.0.0.1",
    .port = 8080,
};

/* Answers with j (taken) as the body. */
static int reply(corio_http_resp *resp, int status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return corio_http_resp_text(resp, 500, "out of memory\n");
    int rc = corio_http_resp_json(resp, status, s);
    free(s);
    return rc;
}

static int error(corio_http_resp *resp, int status, const char *msg)
{
    return reply(resp, status, json_pack("{s:s}", "error", msg));
}

static int sum(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *body;
    size_t len;
    int rc = corio_http_req_body(req, &body, &len);
    if (rc < 0)
        return rc;
    json_error_t err;
    json_t *in = json_loadb(body, len, 0, &err);
    if (!in) {
        char msg[256];
        snprintf(msg, sizeof msg, "bad JSON at line %d column %d: %s", err.line, err.column,
                 err.text);
        return error(resp, 400, msg);
    }
    json_t *numbers = json_object_get(in, "numbers");
    if (!json_is_array(numbers)) {
        json_decref(in);
        return error(resp, 422, "\"numbers\" must be an array");
    }
    double total = 0;
    size_t i;
    json_t *v;
    json_array_foreach(numbers, i, v)
    {
        if (!json_is_number(v)) {
            json_decref(in);
            return error(resp, 422, "\"numbers\" must hold numbers only");
        }
        total += json_number_value(v);
    }
    size_t n = json_array_size(numbers);
    json_decref(in);
    return reply(resp, 200, json_pack("{s:f,s:i}", "sum", total, "count", (json_int_t)n));
}

static const char *const items[] = {"apple", "banana", "cherry"};

static int item(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    char *end;
    const char *id = corio_http_req_param(req, "id");
    long i = strtol(id, &end, 10);
    if (*end || i < 0 || i >= (long)(sizeof items / sizeof *items))
        return error(resp, 404, "no such item");
    return reply(resp, 200, json_pack("{s:i,s:s}", "id", (json_int_t)i, "name", items[i]));
}

int main(int argc, char **argv)
{
    server_args_parse(&args, argc, argv);
    corio_http_app *app;
    if (corio_http_app_new(&app) < 0 || corio_http_route(app, "POST", "/api/sum", sum, NULL) < 0 ||
        corio_http_route(app, "GET", "/api/items/{id}", item, NULL) < 0)
        return 1;
    return http_example_run(&args, app);
}
