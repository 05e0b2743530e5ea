/* corio-pubsub's HTTP side: the routes over a hub (hub.h). */
#ifndef CORIO_TOOLS_PUBSUB_SERVER_H
#define CORIO_TOOLS_PUBSUB_SERVER_H

#include <corio/corio.h>

#include "fleet.h"
#include "hub.h"

#define PUBSUB_MAX_MESSAGE (64 * 1024) /* bytes in one published message */

typedef struct pubsub_server {
    ps_limits limits;
    int64_t heartbeat_ms; /* a comment on idle streams this often */
    ps_hub *hub;          /* made by the startup hook, freed by the shutdown hook */
    /* --redis (NULL: this instance alone) and --channel; the fleet is made
     * and freed with the hub */
    const char *redis;
    const char *channel;
    ps_fleet *fleet;
} pubsub_server;

/* Adds the routes and hooks of the service to app: GET / (a stream, or the
 * page for browsers), POST / (publish), GET /stats. -ENOMEM. */
int pubsub_routes(corio_http_app *app, pubsub_server *s);

#endif
