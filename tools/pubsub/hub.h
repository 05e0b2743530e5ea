/* The pub/sub hub: subscribers, the history ring and fan-out, without HTTP.
 *
 * A published message is stored once, reference-counted, and shared by the
 * history ring and every subscriber's queue: publishing is O(subscribers)
 * pointer puts. Each subscriber has a bounded queue.
 *
 * Flow control: a publisher outrunning delivery would fill every queue, and
 * dropping healthy subscribers for it loses their messages. So a publish
 * first waits while some subscriber is backed up (its queue went above half
 * the limit and has not yet drained to a quarter): the publisher goes as fast
 * as the slowest healthy subscriber. A backed-up subscriber that takes
 * nothing from its queue for stall_ms is stalled (a peer that stopped
 * reading): it is dropped, and holds nobody back any more. A queue that is
 * full when a message comes is dropped too. Dropped means unlinked and its
 * task cancelled (its stream ends; it can reconnect with the last id it
 * saw). All calls belong to the loop that created the hub. */
#ifndef CORIO_TOOLS_PUBSUB_HUB_H
#define CORIO_TOOLS_PUBSUB_HUB_H

#include <stdbool.h>
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
    int64_t stall_ms;       /* a backed-up subscriber idle this long is dropped;
                             * 0: publishers never wait (only full queues drop) */
} ps_limits;

typedef struct ps_stats {
    size_t subscribers;
    uint64_t published;           /* messages so far; also the last id */
    uint64_t dropped_subscribers; /* dropped for a full queue or stalled */
    uint64_t dropped_stalled;     /* of those, dropped as stalled */
    size_t history;               /* messages held for replay now */
    uint64_t publisher_waits;     /* publishes that waited for a backed-up subscriber */
    uint64_t publisher_wait_ms;   /* the time they waited in all */
} ps_stats;

/* -ENOMEM. */
int ps_hub_new(const ps_limits *limits, ps_hub **out);
/* Frees the hub and its history; every subscriber must have left. */
void ps_hub_free(ps_hub *h);

/* Waits while a subscriber is backed up (dropping the stalled ones), then
 * publishes a copy of data[0..len) to every subscriber, stores it in the
 * history, and reports how many subscribers took it and its id. -ENOMEM;
 * -ECANCELED when the calling task is cancelled while it waits: nothing is
 * published then. */
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
/* Whether the hub dropped s (its queue filled, or it stalled). */
bool ps_sub_dropped(const ps_sub *s);
/* Leaves the hub: releases what was still queued and frees s. */
void ps_sub_leave(ps_sub *s);

void ps_msg_release(ps_msg *m);
void ps_hub_stats(const ps_hub *h, ps_stats *out);

#endif
