/* The pub/sub hub: subscribers, the history ring and fan-out, without HTTP.
 *
 * A published message is stored once, reference-counted, and shared by the
 * history ring and every subscriber's queue: publishing is O(subscribers)
 * pointer puts and never waits. Each subscriber has a bounded queue; one
 * whose queue is full when a message comes is dropped: unlinked and its
 * task cancelled (its stream ends; it can reconnect with the last id it
 * saw). All calls belong to the loop that created the hub. */
#ifndef CORIO_TOOLS_PUBSUB_HUB_H
#define CORIO_TOOLS_PUBSUB_HUB_H

#include <stddef.h>
#include <stdint.h>

#include <corio/corio.h>

typedef struct ps_msg {
    unsigned refs;
    uint64_t id;
    size_t len;
    /* the whole server-sent event ("id: N", a "data: " line per line of the
     * message, a blank line), encoded once for every stream; NUL-terminated */
    char event[];
} ps_msg;

typedef struct ps_hub ps_hub;
typedef struct ps_sub ps_sub;

typedef struct ps_limits {
    size_t history;         /* messages kept for replay (0: none) */
    size_t queue_limit;     /* messages waiting per subscriber before it is dropped */
    size_t max_subscribers; /* beyond: ps_hub_subscribe says -EAGAIN */
} ps_limits;

typedef struct ps_stats {
    size_t subscribers;
    uint64_t published;           /* messages so far; also the last id */
    uint64_t dropped_subscribers; /* dropped for a full queue */
    size_t history;               /* messages held for replay now */
} ps_stats;

/* -ENOMEM. */
int ps_hub_new(const ps_limits *limits, ps_hub **out);
/* Frees the hub and its history; every subscriber must have left. */
void ps_hub_free(ps_hub *h);

/* Publishes a copy of data[0..len) to every subscriber, stores it in the
 * history, and reports how many subscribers took it and its id. -ENOMEM. */
int ps_hub_publish(ps_hub *h, const char *data, size_t len, size_t *delivered, uint64_t *id);

/* Subscribes the calling task: it will get the kept messages after
 * last_id (0: none), then every message published from now on. -EAGAIN at
 * max_subscribers, -ENOMEM. */
int ps_hub_subscribe(ps_hub *h, uint64_t last_id, ps_sub **out);
/* The subscriber's next message (the caller releases it), waiting until
 * deadline (absolute corio_now() ms, -1: none): -ETIMEDOUT, -ECANCELED
 * (dropped, or the task was cancelled). */
int ps_sub_next(ps_sub *s, int64_t deadline, ps_msg **out);
/* The next message if one is ready, else -EAGAIN (or -ECANCELED: dropped). */
int ps_sub_try_next(ps_sub *s, ps_msg **out);
/* Leaves the hub: releases what was still queued and frees s. */
void ps_sub_leave(ps_sub *s);

void ps_msg_release(ps_msg *m);
void ps_hub_stats(const ps_hub *h, ps_stats *out);

#endif
