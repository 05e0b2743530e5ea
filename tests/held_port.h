/* Loopback ports for the servers the tests and benchmarks start
 * (redis-server, postgres). Picking a free port and letting it go before
 * the server binds it raced between the test programs ctest runs at once:
 * two servers were given one port, and one program's tests talked to the
 * other's server. So a port is held for the server's whole life by a socket
 * bound to it with SO_REUSEADDR that never listens: no plain bind elsewhere
 * can take it, even while the server restarts, but the server, which binds
 * with SO_REUSEADDR too, can. */
#ifndef CORIO_TESTS_HELD_PORT_H
#define CORIO_TESTS_HELD_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct held_port {
    int fd;
    int port;
} held_port;

/* Binds a free loopback port and keeps it: the port, or -1. */
static inline int port_hold(held_port *h)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int one = 1;
    h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    h->port = -1;
    if (h->fd >= 0 && setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
        bind(h->fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(h->fd, (struct sockaddr *)&a, &len) == 0)
        h->port = ntohs(a.sin_port);
    return h->port;
}

static inline void port_release(held_port *h)
{
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
}

#endif
