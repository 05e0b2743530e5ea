/* TLS over loopback with a throwaway CA and certificate made at test time. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <corio/corio.h>

#include "certs.h"
#include "fdcheck.h"

static corio_tls_ctx *server_ctx;
static int port;

/* Accepts TLS connections by hand (serve_tcp hands out plain streams). */
static intptr_t tls_server(void *arg)
{
    corio_fd *l = arg;
    for (;;) {
        corio_fd *c;
        corio_stream *s;
        int rc = corio_tcp_accept(l, &c, -1);
        if (rc < 0)
            return rc == -ECANCELED ? 0 : rc;
        if (corio_tls_accept(server_ctx, c, &s, corio_now() + 5000) < 0)
            continue; /* a client that rejected us */
        char buf[65536];
        ssize_t n;
        while ((n = corio_stream_read(s, buf, sizeof buf, -1)) > 0)
            if (corio_stream_write(s, buf, (size_t)n, -1) < 0)
                break;
        corio_stream_close(s);
    }
}

static corio_task *start(corio_fd **l)
{
    corio_task *t;
    cr_assert_eq(corio_tls_ctx_server(cert, key, &server_ctx), 0, "%s", corio_tls_last_error());
    cr_assert_eq(corio_tcp_listen("127.0.0.1", 0, 0, l), 0);
    port = corio_tcp_local_port(*l);
    corio_spawn(NULL, tls_server, *l, &t);
    return t;
}

static void stop(corio_task *t, corio_fd *l)
{
    corio_task_cancel(t);
    corio_join(t, NULL, -1);
    corio_fd_close(l);
    corio_tls_ctx_free(server_ctx);
}

static int dial(corio_tls_ctx *ctx, const char *host, corio_stream **s)
{
    corio_fd *f;
    int rc = corio_tcp_connect("127.0.0.1", port, &f, corio_now() + 5000);
    if (rc < 0)
        return rc;
    return corio_tls_connect(ctx, f, host, s, corio_now() + 5000);
}

static intptr_t ok_main(void *arg)
{
    (void)arg;
    corio_fd *l;
    corio_task *srv = start(&l);
    corio_tls_ctx *client;
    corio_stream *s;
    cr_assert_eq(corio_tls_ctx_client(ca, 0, &client), 0);
    cr_assert_eq(dial(client, "localhost", &s), 0, "%s", corio_tls_last_error());
    enum { N = 1 << 20 };
    char *out = malloc(N), *in = malloc(N);
    for (int i = 0; i < N; i++)
        out[i] = (char)(i * 7 + i / 1000);
    cr_assert_eq(corio_stream_write(s, out, 4096, -1), 0);
    cr_assert_eq(corio_stream_read_exactly(s, in, 4096, -1), 0);
    cr_assert_eq(memcmp(in, out, 4096), 0);
    corio_stream_close(s);

    cr_assert_eq(dial(client, "127.0.0.1", &s), 0, "an IP in the certificate: %s",
                 corio_tls_last_error());
    /* 1 MiB through TLS, byte-exact (the echo runs while we write in pieces) */
    for (int off = 0; off < N; off += 65536) {
        cr_assert_eq(corio_stream_write(s, out + off, 65536, -1), 0);
        cr_assert_eq(corio_stream_read_exactly(s, in + off, 65536, -1), 0);
    }
    cr_assert_eq(memcmp(in, out, N), 0);
    free(in);
    free(out);
    corio_stream_close(s);
    corio_tls_ctx_free(client);
    stop(srv, l);
    return 0;
}

Test(tls, handshake_and_transfer, .timeout = 30, .init = make_certs, .fini = remove_certs)
{
    cr_assert_eq(corio_run(ok_main, NULL), 0);
}

static intptr_t reject_main(void *arg)
{
    (void)arg;
    corio_fd *l;
    corio_task *srv = start(&l);
    corio_tls_ctx *system_ca, *test_ca, *insecure;
    corio_stream *s;
    cr_assert_eq(corio_tls_ctx_client(NULL, 0, &system_ca), 0);
    cr_assert_eq(dial(system_ca, "localhost", &s), -EKEYREJECTED, "not signed by a CA we trust");
    cr_assert(strstr(corio_tls_last_error(), "certificate"), "%s", corio_tls_last_error());
    cr_assert_eq(corio_tls_ctx_client(ca, 0, &test_ca), 0);
    cr_assert_eq(dial(test_ca, "wrong.example", &s), -EKEYREJECTED, "host name mismatch");
    cr_assert_eq(dial(test_ca, NULL, &s), -EINVAL, "verifying needs a host name");
    cr_assert_eq(corio_tls_ctx_client(NULL, CORIO_TLS_NO_VERIFY, &insecure), 0);
    cr_assert_eq(dial(insecure, "anything", &s), 0, "no verification asked");
    corio_stream_close(s);
    corio_tls_ctx_free(system_ca);
    corio_tls_ctx_free(test_ca);
    corio_tls_ctx_free(insecure);
    corio_tls_ctx *bad;
    cr_assert_eq(corio_tls_ctx_server("/nonexistent.pem", key, &bad), -ENOENT);
    cr_assert_eq(corio_tls_ctx_client("/nonexistent.pem", 0, &bad), -ENOENT);
    stop(srv, l);
    return 0;
}

Test(tls, bad_certificate_and_wrong_host_are_rejected, .timeout = 30, .init = make_certs,
     .fini = remove_certs)
{
    cr_assert_eq(corio_run(reject_main, NULL), 0);
}
