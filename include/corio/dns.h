/* Name resolution with c-ares on the loop: its sockets wait on the loop's
 * poller and its timeouts on the loop's timers, so a lookup parks only the
 * asking task. /etc/hosts is honoured, IP literals never reach the resolver,
 * and answers are cached per loop for their DNS TTL (hosts-file answers for
 * 60 s; a TTL of 0 is not kept). The environment variable
 * CORIO_DNS_SERVERS ("ip[:port],...") replaces /etc/resolv.conf's servers. */
#ifndef CORIO_DNS_H
#define CORIO_DNS_H

#include <sys/socket.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct corio_addr {
    struct sockaddr_storage sa; /* port 0 */
    socklen_t len;
} corio_addr;

/* Resolves host to at most max addresses (IPv4 and IPv6 as the system is
 * configured to use them; order as the resolver gives them). Returns how
 * many, or: -ENOENT no such host (NXDOMAIN, no address), -EAGAIN the servers
 * failed or refused, -ETIMEDOUT no answer in time (deadline: absolute
 * corio_now() ms, -1: the resolver's own timeouts), -EINVAL a malformed
 * name, -ECANCELED. Misuse (aborts): outside a task. corio_strerror names
 * them. */
CORIO_API int corio_dns_resolve(const char *host, corio_addr *out, size_t max, int64_t deadline);

/* Uses these servers ("ip[:port],ip[:port]...") for this loop instead of
 * /etc/resolv.conf's (tests point it at a local server). Clears the cache.
 * Errors: -EINVAL csv NULL or not such a list; -ENOMEM. Misuse (aborts):
 * outside a loop's thread. */
CORIO_API int corio_dns_set_servers(const char *csv);

#ifdef __cplusplus
}
#endif
#endif
