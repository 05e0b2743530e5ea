/* A minimal static-file server: GET /path serves ROOT/path (index.html for
 * directories), with a content type from the extension; ".." and hidden
 * files are refused, and so is a symbolic link that leads out of the root.
 * Files are streamed (corio_http_resp_file: sendfile on plain connections),
 * so any size is served in bounded memory, to any number of slow readers.
 *
 *     static_server [--host H] [--port N] [--root DIR] */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static char root[4096]; /* the root, resolved */

/* Opens ROOT/rel (index.html for a directory) for reading: the descriptor
 * and the file's real path (4096 bytes), or a negative errno; -EACCES when
 * it resolves outside the root. */
static int open_under_root(const char *rel, struct stat *st, char *real)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path)
        return -ENAMETOOLONG;
    if (!realpath(path, real))
        return -errno;
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
        return -EACCES; /* a symbolic link out of the root */
    if (stat(real, st) == 0 && S_ISDIR(st->st_mode) && strlen(real) + sizeof "/index.html" <= 4096)
        strcat(real, "/index.html");
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -ENOENT;
    }
    return fd;
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
    struct stat st;
    char real[4096];
    int fd = open_under_root(rel, &st, real);
    if (fd == -ENOENT || fd == -ENOTDIR || fd == -EISDIR)
        return corio_http_resp_text(resp, 404, "Not Found\n");
    if (fd == -EACCES || fd == -ELOOP)
        return corio_http_resp_text(resp, 403, "Forbidden\n");
    if (fd < 0)
        return corio_http_resp_text(resp, 500, corio_strerror(fd));
    int rc = corio_http_resp_file(resp, 200, content_type(real), fd, 0, (int64_t)st.st_size);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    server_args_parse(&args, argc, argv);
    if (!realpath(args.value, root)) {
        fprintf(stderr, "static_server: --root %s: %s\n", args.value, strerror(errno));
        return 1;
    }
    corio_http_app *app;
    if (corio_http_app_new(&app) < 0 ||
        corio_http_route(app, "GET", "/{path...}", serve_file, NULL) < 0 ||
        corio_http_route(app, "GET", "/", serve_file, NULL) < 0)
        return 1;
    return http_example_run(&args, app);
}
