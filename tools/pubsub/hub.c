/* The hub's fan-out, history ring and subscriber bookkeeping (hub.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub.h"

struct ps_sub {
    ps_hub *hub;
    corio_queue *queue;
    corio_task *task;
    ps_sub *prev, *next;
    uint64_t replay_next; /* the replay covers ids replay_next .. live_from - 1 */
    uint64_t live_from;   /* the first id that comes through the queue */
    bool dropped;
};

struct ps_hub {
    ps_limits lim;
    ps_msg **ring; /* message id k lives in ring[(k - 1) % history] */
    uint64_t next_id;
    ps_sub *subs;
    size_t nsubs;
    uint64_t dropped;
};

int ps_hub_new(const ps_limits *limits, ps_hub **out)
{
    ps_hub *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->lim = *limits;
    h->next_id = 1;
    if (h->lim.history && !(h->ring = calloc(h->lim.history, sizeof *h->ring))) {
        free(h);
        return -ENOMEM;
    }
    *out = h;
    return 0;
}

void ps_hub_free(ps_hub *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->lim.history; i++)
        if (h->ring[i])
            ps_msg_release(h->ring[i]);
    free(h->ring);
    free(h);
}

void ps_msg_release(ps_msg *m)
{
    if (--m->refs == 0)
        free(m);
}

/* The oldest id still in the ring. */
static uint64_t oldest_kept(const ps_hub *h)
{
    uint64_t published = h->next_id - 1;
    return published > h->lim.history ? published - h->lim.history + 1 : 1;
}

static void unlink_sub(ps_sub *s)
{
    ps_hub *h = s->hub;
    if (s->prev)
        s->prev->next = s->next;
    else
        h->subs = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    h->nsubs--;
}

/* A subscriber too slow to take a message: out of the fan-out at once, and
 * its task cancelled so a stream stuck writing to a peer that stopped
 * reading ends too. */
static void drop(ps_sub *s)
{
    unlink_sub(s);
    s->dropped = true;
    s->hub->dropped++;
    corio_task_cancel(s->task);
}

/* Encodes data as one event: a "data: " line for each of its lines (split
 * at \r\n, \r or \n, as EventSource reads them). Two passes: size, then
 * text. */
static size_t encode_event(char *out, uint64_t id, const char *data, size_t len)
{
    size_t n = (size_t)snprintf(out, out ? 32 : 0, "id: %llu\n", (unsigned long long)id);
    for (size_t i = 0;;) {
        size_t j = i;
        while (j < len && data[j] != '\r' && data[j] != '\n')
            j++;
        if (out) {
            memcpy(out + n, "data: ", 6);
            memcpy(out + n + 6, data + i, j - i);
            out[n + 6 + j - i] = '\n';
        }
        n += 6 + j - i + 1;
        if (j == len)
            break;
        i = j + (data[j] == '\r' && j + 1 < len && data[j + 1] == '\n' ? 2 : 1);
    }
    if (out) {
        out[n] = '\n';
        out[n + 1] = '\0';
    }
    return n + 1;
}

int ps_hub_publish(ps_hub *h, const char *data, size_t len, size_t *delivered, uint64_t *id)
{
    size_t elen = encode_event(NULL, h->next_id, data, len);
    ps_msg *m = malloc(sizeof *m + elen + 1);
    if (!m)
        return -ENOMEM;
    m->refs = 1; /* the publisher's, given back below */
    m->id = h->next_id++;
    m->len = encode_event(m->event, m->id, data, len);
    if (h->lim.history) {
        ps_msg **slot = &h->ring[(m->id - 1) % h->lim.history];
        if (*slot)
            ps_msg_release(*slot);
        *slot = m;
        m->refs++;
    }
    size_t n = 0;
    for (ps_sub *s = h->subs, *next; s; s = next) {
        next = s->next; /* drop unlinks s */
        m->refs++;
        if (corio_queue_try_put(s->queue, m) == 0) {
            n++;
        } else {
            m->refs--;
            drop(s);
        }
    }
    *delivered = n;
    *id = m->id;
    ps_msg_release(m);
    return 0;
}

int ps_hub_subscribe(ps_hub *h, uint64_t last_id, ps_sub **out)
{
    if (h->nsubs >= h->lim.max_subscribers)
        return -EAGAIN;
    ps_sub *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    int rc = corio_queue_new(&s->queue, h->lim.queue_limit, 0);
    if (rc < 0) {
        free(s);
        return rc;
    }
    s->hub = h;
    s->task = corio_current();
    s->live_from = h->next_id;
    s->replay_next = last_id + 1 < s->live_from ? last_id + 1 : s->live_from;
    s->next = h->subs;
    if (h->subs)
        h->subs->prev = s;
    h->subs = s;
    h->nsubs++;
    *out = s;
    return 0;
}

int ps_sub_next(ps_sub *s, int64_t deadline, ps_msg **out)
{
    if (s->dropped)
        return -ECANCELED;
    ps_hub *h = s->hub;
    if (s->replay_next < s->live_from) {
        /* what fell out of the ring while we waited is lost: go on from what is kept */
        uint64_t oldest = oldest_kept(h);
        if (s->replay_next < oldest)
            s->replay_next = oldest;
        if (s->replay_next < s->live_from && h->lim.history) {
            ps_msg *m = h->ring[(s->replay_next++ - 1) % h->lim.history];
            m->refs++;
            *out = m;
            return 0;
        }
    }
    void *item;
    int rc = deadline == 0 ? corio_queue_try_get(s->queue, &item)
                           : corio_queue_get(s->queue, &item, deadline);
    if (rc < 0)
        return rc;
    *out = item;
    return 0;
}

int ps_sub_try_next(ps_sub *s, ps_msg **out)
{
    return ps_sub_next(s, 0, out);
}

void ps_sub_leave(ps_sub *s)
{
    if (!s->dropped)
        unlink_sub(s);
    void *item;
    while (corio_queue_try_get(s->queue, &item) == 0)
        ps_msg_release(item);
    corio_queue_free(s->queue);
    free(s);
}

void ps_hub_stats(const ps_hub *h, ps_stats *out)
{
    uint64_t published = h->next_id - 1;
    *out = (ps_stats){
        .subscribers = h->nsubs,
        .published = published,
        .dropped_subscribers = h->dropped,
        .history = (size_t)(published < h->lim.history ? published : h->lim.history),
    };
}
