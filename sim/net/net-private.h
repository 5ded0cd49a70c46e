/* net-private.h - what the files of the net share and nobody else sees:
 * net.c (hosts, links, tasks), route.c (routes), packet.c (packets moving
 * on them), and tcp.c and tcp_input.c (connections).
 *
 * Every event the network schedules is one the net keeps a list of (a
 * "task", or a packet in flight), so that freeing the net cancels whatever
 * is still pending in the simulator's queue (the simulator outlives the net
 * and must never call back into freed memory).
 */
#pragma once

#include "mailsim/net.h"

#include <string.h>

G_BEGIN_DECLS

/* ---- Tasks: events owned by the net ---------------------------------- */
typedef struct MsNetTask MsNetTask;

/* A pending task is on the net's list (prev, next); a finished one is kept
 * on the spare list (next). */
struct MsNetTask {
    MsNet *net;
    MsEventId id;
    MsEventFn fn;
    gpointer data;
    GDestroyNotify destroy;
    MsNetTask *prev;
    MsNetTask *next;
};

/* What the simulator runs for a task: it finishes the task, then calls
 * its fn. */
void ms_net_task_run(gpointer data);

/* Schedules fn(data) at `when` (clamped to now).  If the net is freed first,
 * the event is cancelled and destroy(data) is called (when not NULL). The
 * task is gone once fn runs; do not cancel it after that. (transfer none) */
MsNetTask *ms_net_task_at(MsNet *net, MsTime when, MsEventFn fn, gpointer data,
                          GDestroyNotify destroy);
/* Cancels a pending (or stopped) task without calling its destroy notify. */
void ms_net_task_cancel(MsNet *net, MsNetTask *task);
/* Keeps the task but stops its event: it will not run unless moved.
 * Inline below, with ms_net_task_move(): a TCP side stops its timer at
 * nearly every ACK and starts it again with the next segment. */
static inline void ms_net_task_stop(MsNet *net, MsNetTask *task);
/* Moves a pending or stopped task to `when` (clamped to now), exactly as
 * cancelling it and scheduling it anew would, but without either where its
 * event can be rescheduled in place (ms_event_queue_reschedule()): for a
 * timer that is stopped and restarted on every ACK. */
static inline void ms_net_task_move(MsNet *net, MsNetTask *task, MsTime when);

/* How many hosts the route searches have settled, and how many links they
 * have looked at, so far: their work, for the tests that check it grows
 * linearly with the hosts. */
guint64 ms_net_route_settled(const MsNet *net);
guint64 ms_net_route_scanned(const MsNet *net);

/* ---- The packet layer, with the reason for a loss ---------------------- */

/* where: the host before the hop that lost the packet; why: a short English
 * reason ("link a-b down", "lost on link a-b", "host b down"). Both NULL on
 * delivery. The callee owns `data` from then on. */
typedef void (*MsNetDeliverFn)(gpointer data, gboolean lost, const MsHost *where,
                               const char *why);

/* The route between two hosts, as a sender that sends packets between the
 * same two again and again (a TCP side) keeps it: see route_cache below. */
typedef struct MsRoute MsRoute;
typedef struct MsPacket MsPacket;

/* One hop of a route: from one host to the next over a link, crossed in
 * direction dir (0: from link->a to link->b).  A route's hops are in its
 * own block, each saying all a packet needs there, so that a hop reads
 * one place instead of two lists and a comparison. */
typedef struct {
    MsHost *from;
    MsHost *to;
    MsLink *link;
    guint dir;
} MsHop;

/* A packet in flight.  It lives in its sender's object (a TCP segment's
 * wire), so that sending one allocates nothing: the net fills it in,
 * schedules its events, and gives it back when it calls the sender's fn.
 * If the net is freed first, a packet sent by ms_net_send_packet_full()
 * is on the net's list of packets in flight, and destroy is called; TCP
 * keeps every wire it made and finds its own (ms_net_packet_abandon()),
 * so that a segment costs no list.  A packet schedules its own events
 * (its arrival at the next host, or its loss) rather than going through a
 * task: it always waits for exactly one event, so it keeps the event's id
 * itself.  A task's allocation, list and trampoline cost some 80
 * instructions a hop. */
struct MsPacket {
    MsNet *net;
    MsPacket *prev;        /* in net->packets, if listed */
    MsPacket *next;
    MsEventId event;       /* the one it waits for (NONE: it never comes) */
    MsRoute *route;        /* held (route->refs) in flight; NULL at rest */
    const MsHop *at;       /* the hop that brought it where it is */
    const MsHop *last;     /* the route's last hop: it is at its destination */
    guint32 bytes;
    gboolean listed;       /* on net->packets while in flight */
    MsNetDeliverFn fn;
    gpointer data;
    GDestroyNotify destroy;
    const MsHost *lost_where;
    char *lost_why;
};

/* Like ms_net_send_packet(), in the packet p, which is part of data
 * (transfer none: the net uses it until it calls fn, or destroy(data)).
 * destroy(data) is called only if the net is freed while the packet is
 * still travelling.  *first_start_out (may be NULL)
 * is when the packet starts being transmitted on its first link (or now, if
 * it never gets that far): the moment the sender's interface lets go of it.
 * route_cache (may be NULL; *route_cache NULL at first) keeps the route from
 * src to dst for the next packet between them, held until
 * ms_net_route_release(); it is searched again when the net's links or
 * hosts change. */
gboolean ms_net_send_packet_full(MsNet *net, MsPacket *p, MsHost *src, MsHost *dst,
                                 guint32 bytes, MsNetDeliverFn fn, gpointer data,
                                 GDestroyNotify destroy, MsRoute **route_cache,
                                 MsTime *first_start_out);
/* The part of ms_net_send_packet_full() that every packet takes: p goes
 * from route's source, now, on route, which must be reachable and of the
 * net's current routes (route->epoch == net->route_epoch).  p's net, fn,
 * data and listed must be set, and its loss clear (lost_where and
 * lost_why NULL), as the net leaves them once it is done with p: a sender
 * that keeps its packets (TCP's wires) sets them once a packet.  An
 * unlisted packet is its sender's to find if the net is freed while it
 * travels (p->route is not NULL then): see ms_net_packet_abandon().
 * Returns when the packet starts being transmitted on its first link. */
MsTime ms_net_packet_send(MsNet *net, MsPacket *p, MsRoute *route, guint32 bytes);
/* The net is being freed while p travels: its event is cancelled, and its
 * route and loss let go.  Its memory stays its sender's. */
void ms_net_packet_abandon(MsPacket *p);
/* Lets go of a route kept by ms_net_send_packet_full() and sets it to NULL. */
void ms_net_route_release(MsRoute **route_cache);

/* Next ephemeral port of a client host: 49152, 49153, ... wrapping to 49152
 * after 65535. */
guint16 ms_host_take_ephemeral_port(MsHost *host);

/* ---- TCP state kept by the net ----------------------------------------- */
typedef struct MsTcpTable MsTcpTable;

MsTcpTable *ms_tcp_table_new(void);
/* Frees every connection and listener; pending tasks must be gone already. */
void ms_tcp_table_free(MsTcpTable *table);
MsTcpTable *ms_net_tcp_table(MsNet *net);

/* A list of freed objects of one size kept for reuse, linked through
 * their first word (the packets', TCP's wires and segments).  Under
 * AddressSanitizer they go back to malloc at once instead: a use after
 * free must be caught, not hidden by the reuse. */
#define MS_SPARE_REUSE (!MS_UNDER_ASAN)

static inline void ms_spare_push(gpointer *spares, gpointer obj)
{
    if (!MS_SPARE_REUSE) {
        g_free(obj);
        return;
    }
    *(gpointer *) obj = *spares;
    *spares = obj;
}

/* An object of `size` bytes, its contents undefined: a spare one if there
 * is one. */
static inline gpointer ms_spare_take(gpointer *spares, gsize size)
{
    gpointer obj = *spares;
    if (obj == NULL)
        return g_malloc(size);
    *spares = *(gpointer *) obj;
    return obj;
}

/* A zeroed object of `size` bytes: a spare one if there is one. */
static inline gpointer ms_spare_pop(gpointer *spares, gsize size)
{
    return memset(ms_spare_take(spares, size), 0, size);
}

static inline void ms_spare_free_all(gpointer *spares)
{
    while (*spares != NULL) {
        gpointer obj = *spares;
        *spares = *(gpointer *) obj;
        g_free(obj);
    }
}

/* ---- The net's own structures (net.c, route.c, packet.c) ---------------- */

typedef struct {
    MsTime from;
    MsTime until; /* exclusive; MS_TIME_NEVER for "for ever" */
} MsDownSpan;

struct MsHost {
    MsNet *net;
    char *name;
    guint index;           /* declaration order, from 0 */
    GArray *down;          /* MsDownSpan */
    GPtrArray *links;      /* adjacent links in declaration order (transfer none) */
    gboolean reported_up;  /* state last written to the trace */
    guint16 next_port;     /* next ephemeral port */
    GPtrArray *services;   /* MsService: programs that stop while the host runs */
};

struct MsLink {
    MsNet *net;
    guint index;           /* declaration order, from 0 */
    MsHost *a;
    MsHost *b;
    char *name;            /* "a-b", for trace records */
    MsTime latency;
    guint64 bandwidth;     /* bit/s, 0 = infinite */
    double loss;
    GArray *down;          /* MsDownSpan */
    MsTime busy_until[2];  /* [0]: a -> b, [1]: b -> a */
    gboolean reported_up;
};

struct MsRoute {
    gint64 key;       /* source index * number of hosts + destination index */
    guint refs;       /* the table's, each packet's on it, each sender's keeping it */
    guint epoch;      /* net->route_epoch when it was searched */
    gboolean reachable; /* FALSE: no route, and no hops */
    guint n_hops;     /* 0 for a host's route to itself */
    /* hops[0] is a hop from the source to itself with no link, where a
     * packet starts; hops[1 .. n_hops] are the route's, in order. */
    MsHop hops[];
};

typedef struct MsLabel MsLabel; /* a host's label in a route search (route.c) */

#define MS_NET_ROUTE_RECENT 64u

struct MsNet {
    MsSim *sim;
    MsEventQueue *queue;   /* the simulator's: packets and tasks push there */
    GPtrArray *hosts;      /* MsHost, owned, by index */
    GPtrArray *links;      /* MsLink, owned, by index */
    GHashTable *by_name;   /* name -> MsHost (ms_name_equal), for lookup only */
    GHashTable *routes;    /* (source, destination) -> MsRoute, searched on use */
    MsLabel *labels;       /* the search's labels, by host index */
    guint n_labels;
    guint stamp;           /* marks the labels of the current search */
    GArray *heap;          /* the search's pending hosts */
    guint64 settled;       /* hosts settled by all searches so far */
    guint64 scanned;       /* links looked at by all searches so far */
    /* The routes last found, by (source, destination), in front of the
     * table: a connection's segments ask for the same two again and again. */
    MsRoute *recent[MS_NET_ROUTE_RECENT];
    guint route_epoch;     /* moves on whenever the routes are dropped */
    MsNetTask *tasks;      /* pending tasks, the latest first */
    MsNetTask *spare;      /* finished tasks, kept for reuse */
    MsPacket *packets;     /* in flight, the latest first */
    MsTcpTable *tcp;
};

static inline void ms_net_task_stop(MsNet *net, MsNetTask *task)
{
    if (task->id != MS_EVENT_ID_NONE)
        ms_event_queue_cancel(net->queue, task->id);
}

static inline void ms_net_task_move(MsNet *net, MsNetTask *task, MsTime when)
{
    MsTime now = ms_sim_now(net->sim);

    if (when < now)
        when = now;
    /* What ms_sim_reschedule_at() does with a time that never comes. */
    if (when == MS_TIME_NEVER) {
        ms_event_queue_cancel(net->queue, task->id);
        task->id = MS_EVENT_ID_NONE;
        return;
    }
    task->id = ms_event_queue_reschedule(net->queue, task->id, when, ms_net_task_run, task);
}

/* TRUE unless one of the spans covers t.  Every hop of every packet asks
 * it twice (the link, the host reached), hence inline. */
static inline gboolean ms_net_spans_up(const GArray *spans, MsTime t)
{
    for (guint i = 0; i < spans->len; i++) {
        const MsDownSpan *span = &g_array_index(spans, MsDownSpan, i);

        if (span->from <= t && t < span->until)
            return FALSE;
    }
    return TRUE;
}

static inline MsHost *ms_link_other_end(const MsLink *link, const MsHost *host)
{
    return link->a == host ? link->b : link->a;
}

/* a + b for b >= 0, saturating at MS_TIME_NEVER. */
static inline MsTime ms_net_time_add(MsTime a, MsTime b)
{
    return a > MS_TIME_NEVER - b ? MS_TIME_NEVER : a + b;
}

/* route.c: the route table's life, and dropping every route when a host or
 * link is added. */
void ms_net_routes_init(MsNet *net);
void ms_net_routes_free(MsNet *net);
void ms_net_routes_drop(MsNet *net);
/* The cached route from `from` to `to`, searched on first use (transfer
 * none; not reachable when there is no route). */
MsRoute *ms_net_route_find(MsNet *net, MsHost *from, MsHost *to);
/* Lets go of one count on a route (a GDestroyNotify for the table). */
void ms_net_route_unref(gpointer route);
/* The same, inline where a packet lets go of its route. */
static inline void ms_net_route_drop(MsRoute *route)
{
    if (route->refs > 1)
        route->refs--;
    else
        ms_net_route_unref(route);
}

/* packet.c: drops the packets still in flight, destroying their data. */
void ms_net_packets_free_all(MsNet *net);

G_END_DECLS
