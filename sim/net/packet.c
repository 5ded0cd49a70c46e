/* packet.c - packets moving along their routes, hop by hop.
 *
 * A packet of B bytes crossing a link starts its transmission when it has
 * arrived at the link's near end and the link's direction is free (each
 * direction is a FIFO with its own busy-until time), takes B*8/bandwidth to
 * transmit and then `latency` to propagate: store and forward.  It is lost if
 * the link is down when its transmission starts, if the link's random loss
 * strikes, or if the host it reaches is down.  docs/network-model.md states
 * the model in full.
 */
#include "net/net-private.h"

MsTime ms_net_transmission_time(guint64 bytes, guint64 bandwidth_bps)
{
    __extension__ typedef unsigned __int128 MsWide;
    MsWide bits_ns;
    MsWide ns;

    if (bandwidth_bps == 0)
        return 0;
    /* Any packet a run sends is small enough for 64 bits, where the division
     * is one instruction instead of a call. */
    if (bytes <= G_MAXUINT64 / 8000000000u / 2 && bandwidth_bps <= G_MAXUINT64 / 2)
        return (MsTime) ((bytes * 8000000000u + bandwidth_bps - 1) / bandwidth_bps);
    /* ceil(bytes * 8 * 1e9 / bandwidth) in 128 bits: 2^64 bytes * 8e9 would
     * not fit in 64. */
    bits_ns = (MsWide) bytes * 8u * 1000000000u;
    ns = (bits_ns + bandwidth_bps - 1) / bandwidth_bps;
    return ns > (MsWide) MS_TIME_NEVER ? MS_TIME_NEVER : (MsTime) ns;
}

/* The net is done with p: it leaves the list of packets in flight, if it
 * is on it, and lets go of its route.  Its memory is its sender's.  Every
 * packet ends here, from packet_finish(): inline. */
G_ALWAYS_INLINE static inline void packet_done(MsPacket *p)
{
    if (G_UNLIKELY(p->listed)) {
        MsNet *net = p->net;

        if (p->prev != NULL)
            p->prev->next = p->next;
        else
            net->packets = p->next;
        if (p->next != NULL)
            p->next->prev = p->prev;
    }
    ms_net_route_drop(p->route);
    p->route = NULL;
}

void ms_net_packet_abandon(MsPacket *p)
{
    if (p->event != MS_EVENT_ID_NONE)
        ms_sim_cancel(p->net->sim, p->event);
    g_free(g_steal_pointer(&p->lost_why));
    p->lost_where = NULL;
    packet_done(p);
}

/* Listed packets still in flight are dropped, their data destroyed. */
void ms_net_packets_free_all(MsNet *net)
{
    while (net->packets != NULL) {
        MsPacket *p = net->packets;

        gpointer data = p->data;
        GDestroyNotify destroy = p->destroy;

        ms_net_packet_abandon(p);
        /* Last: p may be part of what it frees. */
        if (destroy != NULL)
            destroy(data);
    }
}

/* fn(p) at `when`, which is never before now; never, for a link of
 * infinite latency say: the packet then stays in flight until the net is
 * freed. */
static void packet_schedule(MsPacket *p, MsTime when, MsEventFn fn)
{
    p->event = when >= MS_TIME_NEVER ? MS_EVENT_ID_NONE
                                     : ms_event_queue_push(p->net->queue, when, fn, p);
}

/* Inline in packet_arrive(), which every packet ends in: one call fewer
 * between the simulator and the sender's callback. */
G_ALWAYS_INLINE static inline void packet_finish(MsPacket *p, gboolean lost)
{
    MsNetDeliverFn fn = p->fn;
    gpointer data = p->data;
    const MsHost *where = p->lost_where;
    char *why = p->lost_why;

    /* The packet is its sender's again before fn runs, which may free it
     * or send it anew. */
    packet_done(p);
    /* A packet delivered has no reason to free: fn is then the last
     * thing done, a jump rather than a call. */
    if (G_LIKELY(why == NULL)) {
        fn(data, lost, where, NULL);
        return;
    }
    /* At rest a packet has no loss: a sender that keeps its packet for
     * the next send need not clear these each time. */
    p->lost_where = NULL;
    p->lost_why = NULL;
    fn(data, lost, where, why);
    g_free(why);
}

static void packet_lost_event(gpointer data)
{
    packet_finish(data, TRUE);
}

/* The packet is lost at `when`; the sender learns nothing of it, but the
 * callback (and so the trace) is told at that instant. */
static void packet_lose(MsPacket *p, MsTime when, const MsHost *where, char *why)
{
    p->lost_where = where;
    p->lost_why = why;
    packet_schedule(p, when, packet_lost_event);
}

static void packet_arrive(gpointer data);

/* The packet is where hop p->at brought it (not its destination) at
 * `now`: queue it on the next link.  Returns when its transmission
 * starts.  Inline in both callers: every packet leaves its source here,
 * from ms_net_packet_send(). */
G_ALWAYS_INLINE static inline MsTime packet_forward(MsPacket *p, MsTime now)
{
    const MsHop *hop = p->at + 1;
    MsLink *link = hop->link;
    guint dir = hop->dir;
    MsTime start = MAX(now, link->busy_until[dir]);
    MsTime done;
    MsTime arrive;

    /* The sender cannot tell a dead link from a live one: it transmits
     * either way, so the link is busy for the packet's transmission time
     * even when the packet is lost. */
    done = ms_net_time_add(start, ms_net_transmission_time(p->bytes, link->bandwidth));
    link->busy_until[dir] = done;
    arrive = ms_net_time_add(done, link->latency);
    if (!ms_net_spans_up(link->down, start)) {
        packet_lose(p, start, hop->from, g_strdup_printf("link %s down", link->name));
        return start;
    }
    /* Exactly one draw per hop on a lossy link, none on a lossless one, so a
     * run without loss consumes no randomness. */
    if (link->loss > 0.0 && g_rand_double(ms_sim_rand(p->net->sim)) < link->loss) {
        packet_lose(p, arrive, hop->from, g_strdup_printf("lost on link %s", link->name));
        return start;
    }
    p->at = hop;
    packet_schedule(p, arrive, packet_arrive);
    return start;
}

static void packet_arrive(gpointer data)
{
    MsPacket *p = data;
    MsTime now = ms_sim_now(p->net->sim);
    const MsHop *at = p->at;
    MsHost *here = at->to;

    if (!ms_net_spans_up(here->down, now)) {
        p->lost_where = at->from;
        p->lost_why = g_strdup_printf("host %s down", here->name);
        packet_finish(p, TRUE);
        return;
    }
    if (at == p->last) {
        packet_finish(p, FALSE);
        return;
    }
    packet_forward(p, now);
}

MsTime ms_net_packet_send(MsNet *net, MsPacket *p, MsRoute *route, guint32 bytes)
{
    MsTime now = ms_sim_now(net->sim);
    MsHost *src = route->hops[0].from;

    p->route = route;
    route->refs++;
    p->at = &route->hops[0];
    p->last = &route->hops[route->n_hops];
    p->bytes = bytes;
    if (!ms_net_spans_up(src->down, now)) {
        packet_lose(p, now, src, g_strdup_printf("host %s down", src->name));
        return now;
    }
    if (route->n_hops == 0) {
        packet_schedule(p, now, packet_arrive); /* to itself */
        return now;
    }
    return packet_forward(p, now);
}

gboolean ms_net_send_packet_full(MsNet *net, MsPacket *p, MsHost *src, MsHost *dst,
                                 guint32 bytes, MsNetDeliverFn fn, gpointer data,
                                 GDestroyNotify destroy, MsRoute **route_cache,
                                 MsTime *first_start_out)
{
    MsRoute *route = route_cache != NULL ? *route_cache : NULL;
    MsTime start;

    if (route == NULL || route->epoch != net->route_epoch) {
        route = ms_net_route_find(net, src, dst);
        if (route_cache != NULL) {
            ms_net_route_release(route_cache);
            route->refs++;
            *route_cache = route;
        }
    }
    if (!route->reachable)
        return FALSE;
    p->net = net;
    p->fn = fn;
    p->data = data;
    p->destroy = destroy;
    p->lost_where = NULL;
    p->lost_why = NULL;
    p->listed = TRUE;
    p->prev = NULL;
    p->next = net->packets;
    if (net->packets != NULL)
        net->packets->prev = p;
    net->packets = p;
    start = ms_net_packet_send(net, p, route, bytes);
    if (first_start_out != NULL)
        *first_start_out = start;
    return TRUE;
}

void ms_net_route_release(MsRoute **route_cache)
{
    if (*route_cache != NULL)
        ms_net_route_drop(g_steal_pointer(route_cache));
}

typedef struct {
    MsPacket packet;
    MsPacketFn fn;
    gpointer data;
} MsPublicPacket;

static void public_packet_done(gpointer data, gboolean lost, const MsHost *where,
                               const char *why)
{
    MsPublicPacket *pp = data;

    (void) why;
    if (pp->fn != NULL)
        pp->fn(pp->data, lost, where != NULL ? where->name : NULL);
    g_free(pp);
}

gboolean ms_net_send_packet(MsNet *net, MsHost *src, MsHost *dst, guint32 bytes,
                            MsPacketFn fn, gpointer data)
{
    MsPublicPacket *pp;

    g_return_val_if_fail(net != NULL && src != NULL && dst != NULL, FALSE);
    pp = g_new0(MsPublicPacket, 1);
    pp->fn = fn;
    pp->data = data;
    if (!ms_net_send_packet_full(net, &pp->packet, src, dst, bytes, public_packet_done, pp,
                                 g_free, NULL, NULL)) {
        g_free(pp);
        return FALSE;
    }
    return TRUE;
}

