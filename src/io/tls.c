/* TLS over corio_fd with OpenSSL. Our own BIO does the socket I/O, so that
 * writes use MSG_NOSIGNAL (a peer gone away is -EPIPE, never SIGPIPE) and
 * would-block conditions map onto the descriptor's readiness waits. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <corio/tls.h>

#include "../base/misuse.h"
#include "fd.h"
#include "stream.h"

struct corio_tls_ctx {
    SSL_CTX *ssl;
    bool client, verify;
};

typedef struct tls {
    SSL *ssl;
    corio_fd *fd;
} tls;

static __thread char last_error[256];

const char *corio_tls_last_error(void)
{
    return last_error;
}

static void set_error(const char *what)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        snprintf(last_error, sizeof last_error, "%s: %s", what, ERR_reason_error_string(e));
    else
        snprintf(last_error, sizeof last_error, "%s", what);
    ERR_clear_error();
}

/* --- the BIO ----------------------------------------------------------- */

static int bio_write(BIO *b, const char *buf, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(fd, buf, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
    int fd = (int)(intptr_t)BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = recv(fd, buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        BIO_set_retry_read(b);
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void make_bio_method(void)
{
    bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "corio");
    BIO_meth_set_write(bio_method, bio_write);
    BIO_meth_set_read(bio_method, bio_read);
    BIO_meth_set_ctrl(bio_method, bio_ctrl);
    BIO_meth_set_create(bio_method, bio_create);
}

/* --- contexts ------------------------------------------------------------- */

static int new_ctx(corio_tls_ctx **out, bool client)
{
    corio_tls_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->ssl = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
    if (!c->ssl) {
        free(c);
        return -ENOMEM;
    }
    SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
    SSL_CTX_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    c->client = client;
    *out = c;
    return 0;
}

int corio_tls_ctx_client(const char *ca_file, unsigned flags, corio_tls_ctx **out)
{
    if (!out || (flags & ~(unsigned)CORIO_TLS_NO_VERIFY))
        return -EINVAL;
    int rc = new_ctx(out, true);
    if (rc < 0)
        return rc;
    corio_tls_ctx *c = *out;
    c->verify = !(flags & CORIO_TLS_NO_VERIFY);
    SSL_CTX_set_verify(c->ssl, c->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    int ok = ca_file ? SSL_CTX_load_verify_locations(c->ssl, ca_file, NULL)
                     : SSL_CTX_set_default_verify_paths(c->ssl);
    if (!ok) {
        set_error("cannot load the CA certificates");
        corio_tls_ctx_free(c);
        return -ENOENT;
    }
    return 0;
}

int corio_tls_ctx_server(const char *cert_file, const char *key_file, corio_tls_ctx **out)
{
    if (!out || !cert_file || !key_file)
        return -EINVAL;
    int rc = new_ctx(out, false);
    if (rc < 0)
        return rc;
    corio_tls_ctx *c = *out;
    if (SSL_CTX_use_certificate_chain_file(c->ssl, cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(c->ssl, key_file, SSL_FILETYPE_PEM) != 1) {
        set_error("cannot load the certificate or key");
        corio_tls_ctx_free(c);
        return -ENOENT;
    }
    if (SSL_CTX_check_private_key(c->ssl) != 1) {
        set_error("the key does not match the certificate");
        corio_tls_ctx_free(c);
        return -EINVAL;
    }
    return 0;
}

void corio_tls_ctx_free(corio_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

/* --- I/O ----------------------------------------------------------------- */

/* After an SSL call returned ret <= 0: wait and retry (1), or an error. */
static int after(tls *t, int ret, int64_t deadline)
{
    int err = SSL_get_error(t->ssl, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: {
        int rc = corio__fd_wait_again(t->fd, err == SSL_ERROR_WANT_READ ? CORIO_READ : CORIO_WRITE,
                                      deadline);
        return rc < 0 ? rc : 1;
    }
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        return errno ? -errno : -ECONNRESET; /* an end of file without close_notify */
    default:
        set_error("TLS error");
        return -EPROTO;
    }
}

static ssize_t tls_read(void *p, void *buf, size_t len, int64_t deadline)
{
    tls *t = p;
    for (;;) {
        size_t n;
        int ret = SSL_read_ex(t->ssl, buf, len, &n);
        if (ret == 1)
            return (ssize_t)n;
        int rc = after(t, ret, deadline);
        if (rc != 1)
            return rc;
    }
}

static int tls_write_all(void *p, const void *buf, size_t len, int64_t deadline)
{
    tls *t = p;
    const char *b = buf;
    while (len > 0) {
        size_t n;
        int ret = SSL_write_ex(t->ssl, b, len, &n);
        if (ret == 1) {
            b += n;
            len -= n;
            continue;
        }
        int rc = after(t, ret, deadline);
        if (rc != 1)
            return rc == 0 ? -EPIPE : rc;
    }
    return 0;
}

static int tls_shutdown_write(void *p)
{
    tls *t = p;
    SSL_shutdown(t->ssl); /* sends close_notify; the peer reads end of stream */
    ERR_clear_error();
    return 0;
}

static int tls_close(void *p)
{
    tls *t = p;
    SSL_free(t->ssl);
    int rc = corio_fd_close(t->fd);
    free(t);
    return rc;
}

static const corio__transport tls_ops = {tls_read, tls_write_all, tls_shutdown_write, tls_close};

/* --- handshakes --------------------------------------------------------- */

static int handshake(corio_tls_ctx *ctx, corio_fd *f, const char *host, int64_t deadline,
                     corio_stream **out)
{
    last_error[0] = '\0';
    pthread_once(&bio_once, make_bio_method);
    tls *t = calloc(1, sizeof *t);
    BIO *b = bio_method ? BIO_new(bio_method) : NULL;
    if (!t || !b || !(t->ssl = SSL_new(ctx->ssl))) {
        BIO_free(b);
        free(t);
        corio_fd_close(f);
        return -ENOMEM;
    }
    t->fd = f;
    BIO_set_data(b, (void *)(intptr_t)corio_fd_fileno(f));
    SSL_set_bio(t->ssl, b, b);
    int rc = 0;
    if (ctx->client) {
        struct in6_addr ip;
        bool literal =
            host && (inet_pton(AF_INET, host, &ip) == 1 || inet_pton(AF_INET6, host, &ip) == 1);
        if (literal)
            rc = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) == 1 ? 0 : -EINVAL;
        else if (host)
            rc = SSL_set_tlsext_host_name(t->ssl, host) == 1 && SSL_set1_host(t->ssl, host) == 1
                     ? 0
                     : -EINVAL;
        SSL_set_connect_state(t->ssl);
    } else {
        SSL_set_accept_state(t->ssl);
    }
    while (rc == 0) {
        int ret = SSL_do_handshake(t->ssl);
        if (ret == 1)
            break;
        rc = after(t, ret, deadline);
        if (rc == 1) {
            rc = 0;
            continue;
        }
        long v = ctx->client && ctx->verify ? SSL_get_verify_result(t->ssl) : X509_V_OK;
        if (v != X509_V_OK) {
            snprintf(last_error, sizeof last_error, "certificate rejected: %s",
                     X509_verify_cert_error_string(v));
            ERR_clear_error();
            rc = -EKEYREJECTED;
        } else if (rc == 0) {
            rc = -ECONNRESET;
        }
    }
    if (rc == 0)
        rc = corio__stream_new(f, &tls_ops, t, out);
    if (rc < 0)
        tls_close(t);
    return rc;
}

int corio_tls_connect(corio_tls_ctx *ctx, corio_fd *f, const char *host, corio_stream **out,
                      int64_t deadline)
{
    CORIO__MISUSE_IF(!ctx || !f, "the context or the fd is NULL");
    if (!out || !ctx->client || (ctx->verify && (!host || !*host))) {
        corio_fd_close(f);
        return -EINVAL;
    }
    return handshake(ctx, f, host, deadline, out);
}

int corio_tls_accept(corio_tls_ctx *ctx, corio_fd *f, corio_stream **out, int64_t deadline)
{
    CORIO__MISUSE_IF(!ctx || !f, "the context or the fd is NULL");
    if (!out || ctx->client) {
        corio_fd_close(f);
        return -EINVAL;
    }
    return handshake(ctx, f, NULL, deadline, out);
}
