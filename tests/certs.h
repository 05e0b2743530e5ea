/* A throwaway CA and a server certificate for localhost and 127.0.0.1,
 * made with the openssl command at test time (.init = make_certs, .fini =
 * remove_certs; both also run the descriptor-leak check). */
#ifndef CORIO_TESTS_CERTS_H
#define CORIO_TESTS_CERTS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdcheck.h"

static char dir[] = "/tmp/corio-certs-XXXXXX";
static char ca[128], cert[128], key[128];

static inline void make_certs(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(cert, sizeof cert, "%s/srv.pem", dir);
    snprintf(key, sizeof key, "%s/srv.key", dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout ca.key -out ca.pem -days 2 -subj /CN=corio-test-ca 2>/dev/null && "
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout srv.key "
             "-out srv.csr -subj /CN=localhost 2>/dev/null && "
             "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && "
             "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem "
             "-days 2 -extfile ext 2>/dev/null",
             dir);
    cr_assert_eq(system(cmd), 0, "openssl could not make the test certificates");
    fd_check_start();
}

static inline void remove_certs(void)
{
    fd_check_end();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

#endif
