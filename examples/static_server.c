/* A minimal static-file server: GET /path serves ROOT/path (index.html for
 * directories), with a content type from the extension; ".." and hidden
 * files are refused. Files are read on the thread pool, so a slow disk
 * never blocks the loop.
 *
 *     static_server [--host H] [--port N] [--root DIR] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <corio/corio.h>

#include "server_args.h"

static server_args args = {
    .prog = "static_server",
    .usage = "[--host H] [--port N] [--root DIR]\nServes the files under DIR (default .).",
    .host = "127.0.0.1",
    .port = 8080,
    .option = "--root",
    .value = ".",
};

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css"},
        {".js", "text/javascript"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".png", "image/png"},
        {".svg", "image/svg+xml"},
        {".jpg", "image/jpeg"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (!strcmp(dot, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

static int serve_file(corio_http_req *req, corio_http_resp *resp, void *arg)
{
    (void)arg;
    const char *rel = corio_http_req_param(req, "path");
    if (!rel)
        rel = "";
    /* No way out of the root, and nothing hidden. */
    if (strstr(rel, "..") || strstr(rel, "/.") || rel[0] == '.')
        return corio_http_resp_text(resp, 403, "Forbidden\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", args.value, rel);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        strncat(path, "/index.html", sizeof path - strlen(path) - 1);
    void *data;
    size_t len;
    int rc = corio_file_read_all(path, &data, &len, 64 << 20);
    if (rc == -ENOENT || rc == -ENOTDIR || rc == -EISDIR)
        return corio_http_resp_text(resp, 404, "Not Found\n");
    if (rc < 0)
        return corio_http_resp_text(resp, 500, corio_strerror(rc));
    rc = corio_http_resp_send(resp, 200, content_type(path), data, len);
    free(data);
    return rc;
}

int main(int argc, char **argv)
{
    server_args_parse(&args, argc, argv);
    corio_http_app *app;
    if (corio_http_app_new(&app) < 0 ||
        corio_http_route(app, "GET", "/{path...}", serve_file, NULL) < 0 ||
        corio_http_route(app, "GET", "/", serve_file, NULL) < 0)
        return 1;
    return http_example_run(&args, app);
}
