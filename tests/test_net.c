/* test_net.c - the network model: exact store-and-forward delays, routes,
 * and TCP (handshake, segmentation, retransmission, refusal, teardown).
 *
 * Every expected time is worked out in a comment from the model in
 * docs/network-model.md: a packet of B bytes on a link of bandwidth W and
 * latency L takes B*8/W to transmit and L to propagate, and waits for the
 * link direction to be free first.
 */
#include "testutil.h"
#include "mailsim/net.h"
#include "net/tcp-private.h"

#include <string.h>

/* 40 bytes (a bare TCP segment) at 10 Mbit/s: 320 bits / 1e7 bit/s = 32 µs. */
#define TX40 (32 * MS_USEC)
/* One way over the 10 ms, 10 Mbit/s test link for a bare segment. */
#define D40 (10 * MS_MSEC + TX40)

/* ---- Packets ------------------------------------------------------------- */

typedef struct {
    MsSim *sim;
    guint calls;
    MsTime time;
    gboolean lost;
    char *where;
} PacketResult;

static void packet_done(gpointer data, gboolean lost, const char *where)
{
    PacketResult *r = data;

    r->calls++;
    r->time = ms_sim_now(r->sim);
    r->lost = lost;
    g_free(r->where);
    r->where = g_strdup(where);
}

static void result_clear(PacketResult *r, guint n)
{
    for (guint i = 0; i < n; i++)
        g_clear_pointer(&r[i].where, g_free);
}

typedef struct {
    MsNet *net;
    MsHost *src;
    MsHost *dst;
    guint32 bytes;
    PacketResult *result;
} LaterSend;

static void later_send_fire(gpointer data)
{
    LaterSend *ls = data;

    CU_ASSERT_TRUE(ms_net_send_packet(ls->net, ls->src, ls->dst, ls->bytes, packet_done,
                                      ls->result));
}

static void test_transmission_time(void)
{
    /* 1000 bytes = 8000 bits; at 1e7 bit/s that is 8e-4 s = 800 µs. */
    CU_ASSERT_EQUAL(ms_net_transmission_time(1000, 10000000), 800 * MS_USEC);
    CU_ASSERT_EQUAL(ms_net_transmission_time(40, 10000000), TX40);
    /* 1 byte at 3 bit/s: 8e9/3 ns = 2666666666.67 ns, rounded up. */
    CU_ASSERT_EQUAL(ms_net_transmission_time(1, 3), 2666666667);
    CU_ASSERT_EQUAL(ms_net_transmission_time(1000, 0), 0); /* infinite bandwidth */
    CU_ASSERT_EQUAL(ms_net_transmission_time(0, 10000000), 0);
    /* Either side of where 64 bits stop sufficing for the product. */
    const guint64 big = G_MAXUINT64 / 8000000000u / 2;
    CU_ASSERT_EQUAL(ms_net_transmission_time(big, 1), (MsTime) (big * 8000000000u));
    CU_ASSERT_EQUAL(ms_net_transmission_time(big + 1, 2), (MsTime) ((big + 1) * 4000000000u));
    CU_ASSERT_EQUAL(ms_net_transmission_time(big, 3), (MsTime) ((big * 8000000000u + 2) / 3));
    CU_ASSERT_EQUAL(ms_net_transmission_time(1000, G_MAXUINT64), 1);
    /* 2^40 bytes at 1 bit/s does not fit in 64-bit nanoseconds. */
    CU_ASSERT_EQUAL(ms_net_transmission_time(G_GUINT64_CONSTANT(1) << 40, 1), MS_TIME_NEVER);
}

static void test_single_hop(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    MsLink *link = ms_net_add_link(net, a, b, 5 * MS_MSEC, 10000000, 0.0);
    PacketResult r = { .sim = sim };

    CU_ASSERT_EQUAL(ms_link_latency(link), 5 * MS_MSEC);
    CU_ASSERT_EQUAL(ms_link_bandwidth(link), 10000000);
    CU_ASSERT_TRUE(ms_net_send_packet(net, a, b, 1000, packet_done, &r));
    CU_ASSERT_EQUAL(r.calls, 0); /* never called back from inside the send */
    ms_sim_run(sim, MS_TIME_NEVER);
    /* 800 µs transmission + 5 ms propagation. */
    CU_ASSERT_EQUAL(r.calls, 1);
    CU_ASSERT_FALSE(r.lost);
    CU_ASSERT_EQUAL(r.time, 5 * MS_MSEC + 800 * MS_USEC);
    result_clear(&r, 1);
}

/* A packet keeps the route it left on: a link added while it travels (which
 * drops the routes found so far) does not change its path, and the old
 * route lasts as long as the packet needs it. */
static void test_route_dropped_in_flight(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    MsHost *c = ms_net_add_host(net, "c", NULL);
    ms_net_add_link(net, a, b, 5 * MS_MSEC, 0, 0.0);
    ms_net_add_link(net, b, c, 5 * MS_MSEC, 0, 0.0);
    PacketResult r[2] = { { .sim = sim }, { .sim = sim } };

    CU_ASSERT_TRUE(ms_net_send_packet(net, a, c, 1000, packet_done, &r[0]));
    ms_net_add_link(net, a, c, 1 * MS_MSEC, 0, 0.0);
    CU_ASSERT_TRUE(ms_net_send_packet(net, a, c, 1000, packet_done, &r[1]));
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(r[0].calls, 1);
    CU_ASSERT_FALSE(r[0].lost);
    CU_ASSERT_EQUAL(r[0].time, 10 * MS_MSEC);
    CU_ASSERT_EQUAL(r[1].calls, 1);
    CU_ASSERT_EQUAL(r[1].time, 1 * MS_MSEC);
    result_clear(r, 2);
}

static void test_multi_hop_store_and_forward(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    MsHost *c = ms_net_add_host(net, "c", NULL);
    PacketResult r = { .sim = sim };

    ms_net_add_link(net, a, b, 1 * MS_MSEC, 10000000, 0.0);
    ms_net_add_link(net, b, c, 2 * MS_MSEC, 100000000, 0.0);
    CU_ASSERT_TRUE(ms_net_send_packet(net, a, c, 1000, packet_done, &r));
    ms_sim_run(sim, MS_TIME_NEVER);
    /* Hop 1: 800 µs + 1 ms = 1.8 ms; b must receive the whole packet before
     * forwarding it.  Hop 2: 8000 bits at 1e8 bit/s = 80 µs, + 2 ms. */
    CU_ASSERT_EQUAL(r.time, 1800 * MS_USEC + 80 * MS_USEC + 2 * MS_MSEC);
    CU_ASSERT_FALSE(r.lost);
    result_clear(&r, 1);
}

static void test_back_to_back_queueing(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    PacketResult r[3] = { { .sim = sim }, { .sim = sim }, { .sim = sim } };

    ms_net_add_link(net, a, b, 5 * MS_MSEC, 10000000, 0.0);
    ms_net_send_packet(net, a, b, 1000, packet_done, &r[0]);
    ms_net_send_packet(net, a, b, 1000, packet_done, &r[1]);
    ms_net_send_packet(net, b, a, 1000, packet_done, &r[2]);
    ms_sim_run(sim, MS_TIME_NEVER);
    /* The first leaves at 0: 0.8 + 5 = 5.8 ms. */
    CU_ASSERT_EQUAL(r[0].time, 5800 * MS_USEC);
    /* The second waits for the first's transmission: starts at 0.8 ms,
     * ends at 1.6 ms, arrives at 6.6 ms. */
    CU_ASSERT_EQUAL(r[1].time, 6600 * MS_USEC);
    /* The other direction has its own queue. */
    CU_ASSERT_EQUAL(r[2].time, 5800 * MS_USEC);
    result_clear(r, 3);
}

static guint count_kind(MsTrace *trace, MsTraceKind kind)
{
    guint n = 0;

    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        if (ms_trace_pin(trace, i)->kind == kind)
            n++;
    }
    return n;
}

static const MsTraceRecord *nth_kind(MsTrace *trace, MsTraceKind kind, guint n)
{
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *rec = ms_trace_pin(trace, i);

        if (rec->kind == kind && n-- == 0)
            return rec;
    }
    return NULL;
}

static void test_link_down_drops(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    MsLink *link = ms_net_add_link(net, a, b, 5 * MS_MSEC, 10000000, 0.0);
    PacketResult r[4] = { { .sim = sim }, { .sim = sim }, { .sim = sim }, { .sim = sim } };
    LaterSend later = { net, a, b, 1000, &r[3] };
    MsTrace *trace = ms_sim_trace(sim);
    const MsTraceRecord *rec;

    /* Down for 1 ns at 800 µs: exactly when the second of three packets
     * sent at 0 starts its transmission. */
    ms_link_schedule_down(link, 800 * MS_USEC, 800 * MS_USEC + 1);
    CU_ASSERT_TRUE(ms_link_is_up(link, 800 * MS_USEC - 1));
    CU_ASSERT_FALSE(ms_link_is_up(link, 800 * MS_USEC));
    CU_ASSERT_TRUE(ms_link_is_up(link, 800 * MS_USEC + 1));
    for (int i = 0; i < 3; i++)
        ms_net_send_packet(net, a, b, 1000, packet_done, &r[i]);
    /* A fourth, sent while the link is up again. */
    ms_sim_schedule_at(sim, 900 * MS_USEC, later_send_fire, &later);
    ms_sim_run(sim, MS_TIME_NEVER);

    CU_ASSERT_FALSE(r[0].lost);
    CU_ASSERT_EQUAL(r[0].time, 5800 * MS_USEC);
    /* Lost at the start of its transmission, named by the host before the
     * hop; the sender still spent 800 µs sending it into the dead link. */
    CU_ASSERT_EQUAL(r[1].calls, 1);
    CU_ASSERT_TRUE(r[1].lost);
    CU_ASSERT_EQUAL(r[1].time, 800 * MS_USEC);
    MS_ASSERT_STR(r[1].where, "a");
    /* The third starts at 1.6 ms: 1.6 + 0.8 + 5 = 7.4 ms. */
    CU_ASSERT_FALSE(r[2].lost);
    CU_ASSERT_EQUAL(r[2].time, 7400 * MS_USEC);
    /* The fourth queues behind the third: starts 2.4 ms, arrives 8.2 ms. */
    CU_ASSERT_FALSE(r[3].lost);
    CU_ASSERT_EQUAL(r[3].time, 8200 * MS_USEC);

    /* The trace says when the link went down and came back. */
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_LINK), 2);
    rec = nth_kind(trace, MS_TRACE_LINK, 0);
    CU_ASSERT_EQUAL(rec->time, 800 * MS_USEC);
    MS_ASSERT_STR(rec->detail, "link a-b down");
    rec = nth_kind(trace, MS_TRACE_LINK, 1);
    CU_ASSERT_EQUAL(rec->time, 800 * MS_USEC + 1);
    MS_ASSERT_STR(rec->detail, "link a-b up");
    result_clear(r, 4);
}

static void test_host_down_drops(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    MsHost *c = ms_net_add_host(net, "c", NULL);
    PacketResult r[3] = { { .sim = sim }, { .sim = sim }, { .sim = sim } };

    ms_net_add_link(net, a, b, 1 * MS_MSEC, 10000000, 0.0);
    ms_net_add_link(net, b, c, 1 * MS_MSEC, 10000000, 0.0);
    /* b is down while the first packet reaches it (at 1.8 ms). */
    ms_host_schedule_down(b, 1 * MS_MSEC, 2 * MS_MSEC);
    ms_net_send_packet(net, a, c, 1000, packet_done, &r[0]);
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_TRUE(r[0].lost);
    CU_ASSERT_EQUAL(r[0].time, 1800 * MS_USEC);
    MS_ASSERT_STR(r[0].where, "a");

    /* From 10 ms on, c (the destination) is down for ever: lost on
     * arriving, after a -> b -> c, so the host before the hop is b. */
    ms_host_schedule_down(c, 10 * MS_MSEC, MS_TIME_NEVER);
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_FALSE(ms_host_is_up(c, 10 * MS_MSEC));
    ms_net_send_packet(net, a, c, 1000, packet_done, &r[1]);
    /* A host that is down does not send either: lost at once (but from an
     * event, not inside the call). */
    ms_net_send_packet(net, c, a, 1000, packet_done, &r[2]);
    CU_ASSERT_EQUAL(r[2].calls, 0);
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_TRUE(r[1].lost);
    MS_ASSERT_STR(r[1].where, "b");
    CU_ASSERT_EQUAL(r[1].time, 10 * MS_MSEC + 3600 * MS_USEC);
    CU_ASSERT_TRUE(r[2].lost);
    MS_ASSERT_STR(r[2].where, "c");
    CU_ASSERT_EQUAL(r[2].time, 10 * MS_MSEC);
    result_clear(r, 3);
}

static void test_loss_draws(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(42);
    g_autoptr(MsSim) replica = ms_sim_new(42);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    MsHost *c = ms_net_add_host(net, "c", NULL);
    PacketResult r[20];
    guint lost = 0;

    /* a - b is lossless; b - c loses half. */
    ms_net_add_link(net, a, b, 1 * MS_MSEC, 0, 0.0);
    ms_net_add_link(net, b, c, 1 * MS_MSEC, 0, 0.5);
    memset(r, 0, sizeof r);
    for (int i = 0; i < 20; i++) {
        r[i].sim = sim;
        ms_net_send_packet(net, a, c, 100, packet_done, &r[i]);
    }
    ms_sim_run(sim, MS_TIME_NEVER);
    /* One draw per packet on the lossy hop and none on the lossless one,
     * in sending order: the replica's draws say which packets were lost. */
    for (int i = 0; i < 20; i++) {
        gboolean expect = g_rand_double(ms_sim_rand(replica)) < 0.5;

        CU_ASSERT_EQUAL(r[i].calls, 1);
        CU_ASSERT_EQUAL(r[i].lost, expect);
        if (r[i].lost) {
            MS_ASSERT_STR(r[i].where, "b");
            lost++;
        }
    }
    CU_ASSERT_TRUE(lost > 0 && lost < 20);
    CU_ASSERT_EQUAL(g_rand_int(ms_sim_rand(sim)), g_rand_int(ms_sim_rand(replica)));
    result_clear(r, 20);

    /* Traffic on lossless links consumes no randomness at all. */
    for (int i = 0; i < 5; i++) {
        r[i].sim = sim;
        ms_net_send_packet(net, b, a, 100, packet_done, &r[i]);
    }
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(g_rand_int(ms_sim_rand(sim)), g_rand_int(ms_sim_rand(replica)));
    result_clear(r, 5);
}

static void test_unreachable_packet(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    PacketResult r = { .sim = sim };
    g_autoptr(GError) error = NULL;

    CU_ASSERT_FALSE(ms_net_send_packet(net, a, b, 100, packet_done, &r));
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(r.calls, 0);
    /* Host names are unique. */
    CU_ASSERT_PTR_NULL(ms_net_add_host(net, "a", &error));
    CU_ASSERT_PTR_NOT_NULL(error);
    CU_ASSERT_PTR_EQUAL(ms_net_find_host(net, "b"), b);
    CU_ASSERT_PTR_NULL(ms_net_find_host(net, "zz"));
    MS_ASSERT_STR(ms_host_name(a), "a");
}

/* Packets still travelling when the net is freed are dropped silently. */
static void test_free_with_packets_in_flight(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    MsNet *net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    PacketResult r = { .sim = sim };

    ms_net_add_link(net, a, b, 5 * MS_MSEC, 10000000, 0.0);
    ms_link_schedule_down(ms_net_add_link(net, a, b, 6 * MS_MSEC, 0, 0.0), MS_SEC, 2 * MS_SEC);
    ms_net_send_packet(net, a, b, 1000, packet_done, &r);
    /* One waiting to be reported lost (its link is down), and one on a link
     * of infinite latency, which waits for no event at all. */
    MsHost *c = ms_net_add_host(net, "c", NULL);
    MsHost *d = ms_net_add_host(net, "d", NULL);
    PacketResult lost = { .sim = sim };
    PacketResult never = { .sim = sim };
    ms_link_schedule_down(ms_net_add_link(net, a, c, 5 * MS_MSEC, 0, 0.0), 0, MS_TIME_NEVER);
    ms_net_add_link(net, a, d, MS_TIME_NEVER, 0, 0.0);
    ms_sim_run(sim, 0); /* the link goes down */
    ms_net_send_packet(net, a, c, 100, packet_done, &lost);
    ms_net_send_packet(net, a, d, 100, packet_done, &never);
    ms_net_free(net);
    CU_ASSERT_EQUAL(ms_sim_run(sim, MS_TIME_NEVER), 0);
    CU_ASSERT_EQUAL(r.calls, 0);
    CU_ASSERT_EQUAL(lost.calls, 0);
    CU_ASSERT_EQUAL(never.calls, 0);
}

/* ---- Routes -------------------------------------------------------------- */

static char *route_str(MsNet *net, const char *from, const char *to)
{
    g_autoptr(GPtrArray) route = ms_net_route(net, ms_net_find_host(net, from),
                                              ms_net_find_host(net, to));
    GString *s;

    if (route == NULL)
        return g_strdup("NULL");
    s = g_string_new(NULL);
    for (guint i = 0; i < route->len; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? "," : "", ms_host_name(route->pdata[i]));
    return g_string_free(s, FALSE);
}

static MsNet *route_net(MsSim *sim, const char *names)
{
    MsNet *net = ms_net_new(sim);
    g_auto(GStrv) v = g_strsplit(names, " ", -1);

    for (guint i = 0; v[i] != NULL; i++)
        ms_net_add_host(net, v[i], NULL);
    return net;
}

static void link_ms(MsNet *net, const char *a, const char *b, gint64 ms)
{
    ms_net_add_link(net, ms_net_find_host(net, a), ms_net_find_host(net, b), ms * MS_MSEC,
                    0, 0.0);
}

#define ASSERT_ROUTE(net, from, to, expected)             \
    do {                                                  \
        g_autofree char *got_ = route_str(net, from, to); \
        MS_ASSERT_STR(got_, expected);                    \
    } while (0)

static void test_route_latency_beats_hops(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = route_net(sim, "a b c d");
    PacketResult r = { .sim = sim };

    link_ms(net, "a", "b", 10);
    link_ms(net, "a", "c", 2);
    link_ms(net, "c", "d", 2);
    link_ms(net, "d", "b", 2);
    /* 2 + 2 + 2 = 6 ms over three hops beats 10 ms over one. */
    ASSERT_ROUTE(net, "a", "b", "a,c,d,b");
    ASSERT_ROUTE(net, "b", "a", "b,d,c,a");
    ASSERT_ROUTE(net, "a", "a", "a");
    /* A packet takes that route: 6 ms with infinite bandwidth. */
    ms_net_send_packet(net, ms_net_find_host(net, "a"), ms_net_find_host(net, "b"), 1000,
                       packet_done, &r);
    ms_sim_run(sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(r.time, 6 * MS_MSEC);
    result_clear(&r, 1);
}

static void test_route_ties(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = route_net(sim, "a b c d e");
    g_autoptr(MsNet) net2 = route_net(sim, "a b c d");

    /* Equal latency (6 ms): the path with fewer hops wins. */
    link_ms(net, "a", "c", 3);
    link_ms(net, "c", "b", 3);
    link_ms(net, "a", "b", 6);
    ASSERT_ROUTE(net, "a", "b", "a,b");
    /* Equal latency and hops: the path whose links were declared first. */
    link_ms(net, "a", "d", 1);
    link_ms(net, "d", "e", 1);
    link_ms(net, "a", "e", 5);
    link_ms(net, "c", "e", 1); /* a-c-e = 4 ms, a-d-e = 2 ms */
    ASSERT_ROUTE(net, "a", "e", "a,d,e");

    link_ms(net2, "a", "d", 1);
    link_ms(net2, "d", "b", 1);
    link_ms(net2, "a", "c", 1);
    link_ms(net2, "c", "b", 1);
    ASSERT_ROUTE(net2, "a", "b", "a,d,b");
    ASSERT_ROUTE(net2, "b", "a", "b,d,a");
}

static void test_route_ties_declaration_order(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = route_net(sim, "a b c d");

    /* Same as the end of test_route_ties with the c path declared first. */
    link_ms(net, "a", "c", 1);
    link_ms(net, "c", "b", 1);
    link_ms(net, "a", "d", 1);
    link_ms(net, "d", "b", 1);
    ASSERT_ROUTE(net, "a", "b", "a,c,b");
}

/* A reference for the route search: Dijkstra over whole labels (latency,
 * hops, then the list of link indices), each label a copy of its path. */
typedef struct {
    guint a, b;
    MsTime latency;
} RefLink;

static int ref_cmp(MsTime da, const GArray *pa, MsTime db, const GArray *pb)
{
    if (da != db)
        return da < db ? -1 : 1;
    if (pa->len != pb->len)
        return pa->len < pb->len ? -1 : 1;
    for (guint i = 0; i < pa->len; i++) {
        guint x = g_array_index(pa, guint, i), y = g_array_index(pb, guint, i);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

/* The hosts of the least path from src to dst, or NULL (transfer full). */
static GArray *ref_route(const RefLink *links, guint n_links, guint n, guint src, guint dst)
{
    MsTime dist[16];
    GArray *path[16] = { NULL };
    gboolean done[16] = { FALSE };
    path[src] = g_array_new(FALSE, FALSE, sizeof(guint));
    dist[src] = 0;
    for (;;) {
        gint best = -1;
        for (guint i = 0; i < n; i++) {
            if (!done[i] && path[i] != NULL &&
                (best < 0 || ref_cmp(dist[i], path[i], dist[best], path[best]) < 0))
                best = (gint) i;
        }
        if (best < 0)
            break;
        done[best] = TRUE;
        for (guint k = 0; k < n_links; k++) {
            guint v = links[k].a == (guint) best ? links[k].b
                      : links[k].b == (guint) best ? links[k].a
                                                   : G_MAXUINT;
            if (v == G_MAXUINT || done[v])
                continue;
            GArray *p = g_array_copy(path[best]);
            g_array_append_val(p, k);
            MsTime d = dist[best] + links[k].latency;
            if (path[v] == NULL || ref_cmp(d, p, dist[v], path[v]) < 0) {
                if (path[v] != NULL)
                    g_array_unref(path[v]);
                path[v] = p;
                dist[v] = d;
            } else {
                g_array_unref(p);
            }
        }
    }
    GArray *hosts = NULL;
    if (path[dst] != NULL) {
        hosts = g_array_new(FALSE, FALSE, sizeof(guint));
        guint at = src;
        g_array_append_val(hosts, at);
        for (guint i = 0; i < path[dst]->len; i++) {
            const RefLink *l = &links[g_array_index(path[dst], guint, i)];
            at = l->a == at ? l->b : l->a;
            g_array_append_val(hosts, at);
        }
    }
    for (guint i = 0; i < n; i++) {
        if (path[i] != NULL)
            g_array_unref(path[i]);
    }
    return hosts;
}

/* Every hop of the route from src to dst joins the hosts the path lists,
 * over a link between them, crossed the way its direction says. */
static void assert_hops(MsNet *net, MsHost *src, MsHost *dst, const GPtrArray *path)
{
    const MsRoute *route = ms_net_route_find(net, src, dst);
    CU_ASSERT_FATAL(route->reachable);
    CU_ASSERT_EQUAL_FATAL(route->n_hops + 1, path->len);
    CU_ASSERT_PTR_EQUAL(route->hops[0].to, src);
    for (guint i = 1; i <= route->n_hops; i++) {
        const MsHop *hop = &route->hops[i];
        CU_ASSERT_PTR_EQUAL(hop->from, path->pdata[i - 1]);
        CU_ASSERT_PTR_EQUAL(hop->to, path->pdata[i]);
        CU_ASSERT_PTR_EQUAL(ms_link_other_end(hop->link, hop->from), hop->to);
        CU_ASSERT_EQUAL(hop->dir, hop->link->a == hop->from ? 0u : 1u);
    }
}

/* Fills links with a random network of n hosts; returns how many. */
typedef guint (*RandomLinksFn)(GRand *rand, guint n, RefLink links[64]);

/* `rounds` random networks of 2 to max_hosts hosts made by make_links, and
 * queries_per_host * n * n random routes in each: every route is the
 * reference's, with its hops right, whatever order the searches come in. */
static void check_random_routes(guint32 seed, guint rounds, guint max_hosts,
                                RandomLinksFn make_links, guint queries_per_host)
{
    GRand *rand = g_rand_new_with_seed(seed);
    for (guint round = 0; round < rounds; round++) {
        g_autoptr(MsSim) sim = ms_sim_new(1);
        g_autoptr(MsNet) net = ms_net_new(sim);
        guint n = 2 + (guint) g_rand_int_range(rand, 0, (gint32) max_hosts - 1);
        MsHost *hosts[16];
        for (guint i = 0; i < n; i++) {
            g_autofree char *name = g_strdup_printf("h%u", i);
            hosts[i] = ms_net_add_host(net, name, NULL);
        }
        RefLink links[64];
        guint n_links = make_links(rand, n, links);
        for (guint k = 0; k < n_links; k++)
            ms_net_add_link(net, hosts[links[k].a], hosts[links[k].b], links[k].latency, 10000000,
                            0.0);
        for (guint q = 0; q < queries_per_host * n * n; q++) {
            guint src = (guint) g_rand_int_range(rand, 0, (gint32) n);
            guint dst = (guint) g_rand_int_range(rand, 0, (gint32) n);
            g_autoptr(GArray) want = ref_route(links, n_links, n, src, dst);
            g_autoptr(GPtrArray) got = ms_net_route(net, hosts[src], hosts[dst]);
            CU_ASSERT_EQUAL_FATAL(got == NULL, want == NULL);
            if (got == NULL)
                continue;
            CU_ASSERT_EQUAL_FATAL(got->len, want->len);
            for (guint i = 0; i < got->len; i++)
                CU_ASSERT_PTR_EQUAL(got->pdata[i], hosts[g_array_index(want, guint, i)]);
            assert_hops(net, hosts[src], hosts[dst], got);
        }
    }
    g_rand_free(rand);
}

/* A link between each two hosts with a chance of one in three, with many
 * equal latencies, declared in a shuffled direction so that link order and
 * host order differ. */
static guint dense_links(GRand *rand, guint n, RefLink links[64])
{
    guint n_links = 0;
    for (guint a = 0; a < n; a++) {
        for (guint b = a + 1; b < n && n_links < 64; b++) {
            if (g_rand_int_range(rand, 0, 3) != 0)
                continue;
            MsTime latency = g_rand_int_range(rand, 0, 3) * MS_MSEC;
            gboolean swap = g_rand_boolean(rand);
            links[n_links++] = (RefLink){ swap ? b : a, swap ? a : b, latency };
        }
    }
    return n_links;
}

/* A sparse core of the first few hosts, each later host on one host
 * before it (mostly the core) or on none: servers with computers hanging
 * off them, and chains and pairs of hosts of one link, whose route is
 * their neighbour's and the link. */
static guint leafy_links(GRand *rand, guint n, RefLink links[64])
{
    guint n_links = 0;
    guint core = 1 + (guint) g_rand_int_range(rand, 0, (gint32) MIN(n, 5u));
    for (guint a = 0; a < core; a++) {
        for (guint b = a + 1; b < core; b++) {
            if (g_rand_int_range(rand, 0, 2) == 0)
                continue;
            links[n_links++] = (RefLink){ b, a, g_rand_int_range(rand, 0, 3) * MS_MSEC };
        }
    }
    for (guint h = core; h < n; h++) {
        if (g_rand_int_range(rand, 0, 8) == 0)
            continue;
        guint on = g_rand_int_range(rand, 0, 4) == 0 ? (guint) g_rand_int_range(rand, 0, (gint32) h)
                                                     : (guint) g_rand_int_range(rand, 0, (gint32) core);
        gboolean swap = g_rand_boolean(rand);
        links[n_links++] =
            (RefLink){ swap ? on : h, swap ? h : on, g_rand_int_range(rand, 0, 3) * MS_MSEC };
    }
    return n_links;
}

static void test_route_matches_reference(void)
{
    check_random_routes(12, 200, 14, dense_links, 1);
}

static void test_route_leaves_match_reference(void)
{
    check_random_routes(34, 300, 16, leafy_links, 2);
}

static void test_route_unreachable_and_cache(void)
{
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = route_net(sim, "a b c");

    link_ms(net, "a", "b", 5);
    ASSERT_ROUTE(net, "a", "c", "NULL");
    ASSERT_ROUTE(net, "a", "b", "a,b");
    /* Adding links invalidates cached routes. */
    link_ms(net, "b", "c", 5);
    ASSERT_ROUTE(net, "a", "c", "a,b,c");
    link_ms(net, "a", "c", 1);
    ASSERT_ROUTE(net, "a", "c", "a,c");
    ASSERT_ROUTE(net, "a", "b", "a,b");
    /* A host added later is unreachable until linked. */
    ms_net_add_host(net, "d", NULL);
    ASSERT_ROUTE(net, "d", "a", "NULL");
    link_ms(net, "d", "c", 1);
    /* d-c-b = 6 ms beats d-c-a-b = 7 ms. */
    ASSERT_ROUTE(net, "d", "b", "d,c,b");
}

/* A campus: two servers, each with a thousand computers on a link of their
 * own.  Routing from a server to each of its computers and to each of the
 * other server's must not visit the other computers (dead ends), so the
 * searches' work grows with the hosts, not with their square. */
static void test_route_search_skips_dead_ends(void)
{
    enum { LEAVES = 1000 };
    g_autoptr(MsSim) sim = ms_sim_new(1);
    g_autoptr(MsNet) net = ms_net_new(sim);
    MsHost *mx[2] = { ms_net_add_host(net, "mx0", NULL), ms_net_add_host(net, "mx1", NULL) };
    ms_net_add_link(net, mx[0], mx[1], 5 * MS_MSEC, 10000000, 0.0);
    g_autofree MsHost **pc = g_new(MsHost *, 2 * LEAVES);
    for (guint i = 0; i < 2 * LEAVES; i++) {
        g_autofree char *name = g_strdup_printf("pc%u", i);
        pc[i] = ms_net_add_host(net, name, NULL);
        ms_net_add_link(net, pc[i], mx[i % 2], MS_MSEC, 10000000, 0.0);
    }
    for (guint i = 0; i < 2 * LEAVES; i++) {
        g_autoptr(GPtrArray) route = ms_net_route(net, mx[0], pc[i]);
        CU_ASSERT_EQUAL_FATAL(route->len, i % 2 == 0 ? 2u : 3u);
        CU_ASSERT_PTR_EQUAL(route->pdata[route->len - 1], pc[i]);
        g_autoptr(GPtrArray) back = ms_net_route(net, pc[i], mx[0]);
        CU_ASSERT_EQUAL_FATAL(back->len, route->len);
    }
    /* Each of the 4,000 searches settles at most the two servers and its
     * goal; visiting the computers on the way would be millions. */
    CU_ASSERT(ms_net_route_settled(net) <= 3u * 2u * 2u * LEAVES);
    /* Nor does a route to or from a computer look at each of its server's
     * links: only the route between the servers does, once each way
     * (a search for each computer would look at some four million). */
    CU_ASSERT(ms_net_route_scanned(net) <= 4u * (LEAVES + 1u) + 8u);
}

/* ---- TCP ----------------------------------------------------------------- */

typedef struct {
    MsSim *sim;
    MsNet *net;
    MsHost *c;
    MsHost *s;
    MsLink *link;
    MsTcpConn *conn;
    GPtrArray *log;        /* "time side event" */
    GString *client_rx;
    GString *server_rx;
    /* behaviours */
    const char *send_on_established; /* client writes this when established */
    gsize send_len;
    gboolean send_as_bytes;          /* ... through ms_tcp_send_bytes */
    gboolean client_close_on_established;
    gboolean server_close_on_peer_closed;
    gboolean client_close_on_data;
    gboolean server_echo;
    gboolean write_when_closed;      /* the client writes from its closed callback */
    /* The client writes this from the server's first data callback, before
     * the server looks at the bytes it was handed. */
    const char *client_write_in_sv_data;
    gsize client_write_len;
    /* what each side's last callback saw: MS_DIR_CLIENT's side, then the server's */
    gboolean client_open_at_close[2];
    gboolean server_open_at_close[2];
    guint64 late_write_end[2];       /* ms_tcp_send, then ms_tcp_send_bytes */
} Tcp;

static void tcp_log(Tcp *t, const char *side, const char *what)
{
    g_ptr_array_add(t->log, g_strdup_printf("%" G_GINT64_FORMAT " %s %s", ms_sim_now(t->sim),
                                            side, what));
}

static void cl_established(MsTcpConn *conn, gpointer data)
{
    Tcp *t = data;

    tcp_log(t, "client", "established");
    if (t->send_on_established != NULL && t->send_as_bytes)
        ms_tcp_send_bytes(conn, MS_DIR_CLIENT, g_bytes_new(t->send_on_established, t->send_len));
    else if (t->send_on_established != NULL)
        ms_tcp_send(conn, MS_DIR_CLIENT, t->send_on_established, t->send_len);
    if (t->client_close_on_established)
        ms_tcp_close(conn, MS_DIR_CLIENT);
}

static void cl_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    Tcp *t = data;
    g_autofree char *what = g_strdup_printf("data %zu", len);

    tcp_log(t, "client", what);
    g_string_append_len(t->client_rx, bytes, (gssize) len);
    if (t->client_close_on_data)
        ms_tcp_close(conn, MS_DIR_CLIENT);
}

static void cl_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    tcp_log(data, "client", "peer_closed");
}

/* What a side's last callback sees of the connection: it is still there. */
static void note_open_at_close(MsTcpConn *conn, gboolean open_at_close[2])
{
    open_at_close[0] = ms_tcp_conn_is_open(conn, MS_DIR_CLIENT);
    open_at_close[1] = ms_tcp_conn_is_open(conn, MS_DIR_SERVER);
}

static void cl_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    Tcp *t = data;
    g_autofree char *what = g_strdup_printf("refused %s", why);

    tcp_log(t, "client", what);
    note_open_at_close(conn, t->client_open_at_close);
}

static void cl_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    Tcp *t = data;

    tcp_log(t, "client", aborted ? "closed aborted" : "closed");
    note_open_at_close(conn, t->client_open_at_close);
    if (t->write_when_closed) {
        t->late_write_end[0] = ms_tcp_send(conn, MS_DIR_CLIENT, "late", 4);
        t->late_write_end[1] = ms_tcp_send_bytes(conn, MS_DIR_CLIENT, g_bytes_new("late", 4));
    }
}

static void sv_established(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    tcp_log(data, "server", "established");
}

static void sv_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    Tcp *t = data;
    g_autofree char *what = g_strdup_printf("data %zu", len);

    tcp_log(t, "server", what);
    if (t->client_write_in_sv_data != NULL) {
        const char *w = g_steal_pointer(&t->client_write_in_sv_data);

        ms_tcp_send(conn, MS_DIR_CLIENT, w, t->client_write_len);
    }
    g_string_append_len(t->server_rx, bytes, (gssize) len);
    if (t->server_echo)
        ms_tcp_send(conn, MS_DIR_SERVER, bytes, len);
}

static void sv_peer_closed(MsTcpConn *conn, gpointer data)
{
    Tcp *t = data;

    tcp_log(t, "server", "peer_closed");
    if (t->server_close_on_peer_closed)
        ms_tcp_close(conn, MS_DIR_SERVER);
}

static void sv_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    Tcp *t = data;

    tcp_log(t, "server", aborted ? "closed aborted" : "closed");
    note_open_at_close(conn, t->server_open_at_close);
}

static const MsTcpCallbacks client_cbs = {
    cl_established, cl_data, cl_peer_closed, cl_refused, cl_closed,
};
static const MsTcpCallbacks server_cbs = {
    sv_established, sv_data, sv_peer_closed, NULL, sv_closed,
};

static void sv_accept(MsTcpConn *conn, gpointer data)
{
    tcp_log(data, "server", "accept");
    ms_tcp_conn_set_callbacks(conn, MS_DIR_SERVER, &server_cbs, data);
}

/* Client c and server s joined by one 10 ms, 10 Mbit/s link; s listens on
 * port 25. */
static void tcp_setup(Tcp *t, MsTime latency)
{
    memset(t, 0, sizeof *t);
    t->sim = ms_sim_new(7);
    t->net = ms_net_new(t->sim);
    t->c = ms_net_add_host(t->net, "c", NULL);
    t->s = ms_net_add_host(t->net, "s", NULL);
    t->link = ms_net_add_link(t->net, t->c, t->s, latency, 10000000, 0.0);
    t->log = g_ptr_array_new_with_free_func(g_free);
    t->client_rx = g_string_new(NULL);
    t->server_rx = g_string_new(NULL);
    CU_ASSERT_TRUE(ms_tcp_listen(t->net, t->s, MS_PORT_SMTP, "SMTP", sv_accept, t, NULL));
}

static void tcp_connect(Tcp *t)
{
    t->conn = ms_tcp_connect(t->net, t->c, t->s, MS_PORT_SMTP, "SMTP", &client_cbs, t);
}

static void tcp_teardown(Tcp *t)
{
    ms_net_free(t->net);
    ms_sim_free(t->sim);
    g_ptr_array_unref(t->log);
    g_string_free(t->client_rx, TRUE);
    g_string_free(t->server_rx, TRUE);
}

/* Compares the callback log with expected entries (NULL-terminated). */
static void assert_log(Tcp *t, const char *const *expected)
{
    guint n = 0;

    while (expected[n] != NULL)
        n++;
    CU_ASSERT_EQUAL(t->log->len, n);
    for (guint i = 0; i < MIN(n, t->log->len); i++) {
        if (strcmp(t->log->pdata[i], expected[i]) != 0)
            printf("\n  log[%u]: got \"%s\", want \"%s\"", i, (char *) t->log->pdata[i],
                   expected[i]);
        MS_ASSERT_STR(t->log->pdata[i], expected[i]);
    }
}

static char *at(MsTime time, const char *what)
{
    return g_strdup_printf("%" G_GINT64_FORMAT " %s", time, what);
}

/* The n-th SEGMENT_SENT (or _LOST) record from `dir` with exactly `flags`. */
static const MsTraceRecord *seg_nth(MsTrace *trace, MsTraceKind kind, MsDir dir, guint flags,
                                    guint n)
{
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *rec = ms_trace_pin(trace, i);

        if (rec->kind == kind && rec->dir == dir && rec->flags == flags && n-- == 0)
            return rec;
    }
    return NULL;
}

static guint seg_count(MsTrace *trace, MsTraceKind kind, MsDir dir, guint flags)
{
    guint n = 0;

    while (seg_nth(trace, kind, dir, flags, n) != NULL)
        n++;
    return n;
}

static void test_handshake_timing(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    MsTcpConn *second;
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(2 * D40, "client established");
    g_autofree char *e2 = at(3 * D40, "server established");
    const char *expected[] = { e0, e1, e2, NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    tcp_connect(&t);
    CU_ASSERT_EQUAL(ms_tcp_conn_id(t.conn), 1);
    MS_ASSERT_STR(ms_tcp_conn_protocol(t.conn), "SMTP");
    CU_ASSERT_PTR_EQUAL(ms_tcp_conn_host(t.conn, MS_DIR_CLIENT), t.c);
    CU_ASSERT_PTR_EQUAL(ms_tcp_conn_host(t.conn, MS_DIR_SERVER), t.s);
    CU_ASSERT_EQUAL(ms_tcp_conn_port(t.conn, MS_DIR_CLIENT), MS_PORT_EPHEMERAL_FIRST);
    CU_ASSERT_EQUAL(ms_tcp_conn_port(t.conn, MS_DIR_SERVER), 25);
    CU_ASSERT_EQUAL(t.log->len, 0);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    /* Each bare segment takes D40 = 32 µs + 10 ms one way: the SYN reaches
     * s at D40, the SYN-ACK reaches c at 2 D40, the ACK reaches s at 3 D40. */
    assert_log(&t, expected);
    CU_ASSERT_TRUE(ms_tcp_conn_is_open(t.conn, MS_DIR_CLIENT));
    CU_ASSERT_TRUE(ms_tcp_conn_is_open(t.conn, MS_DIR_SERVER));
    /* Open at the end of the run: the net still holds it. */
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 1);

    rec = nth_kind(trace, MS_TRACE_CONN_OPEN, 0);
    CU_ASSERT_EQUAL(rec->time, 0);
    CU_ASSERT_EQUAL(rec->conn, 1);
    MS_ASSERT_STR(rec->protocol, "SMTP");
    MS_ASSERT_STR(rec->src, "c");
    MS_ASSERT_STR(rec->dst, "s");
    CU_ASSERT_EQUAL(rec->src_port, 49152);
    CU_ASSERT_EQUAL(rec->dst_port, 25);

    /* SYN seq 0 (ISN 0); SYN-ACK seq 0 ack 1; ACK seq 1 ack 1. */
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN, 0);
    CU_ASSERT_EQUAL(rec->time, 0);
    CU_ASSERT_EQUAL(rec->arrival, D40);
    CU_ASSERT_EQUAL(rec->seq, 0);
    CU_ASSERT_EQUAL(rec->len, 0);
    CU_ASSERT_EQUAL(rec->retransmit, 0);
    MS_ASSERT_STR(rec->protocol, "TCP");
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_SYN | MS_TCP_ACK, 0);
    CU_ASSERT_EQUAL(rec->time, D40);
    CU_ASSERT_EQUAL(rec->arrival, 2 * D40);
    CU_ASSERT_EQUAL(rec->seq, 0);
    CU_ASSERT_EQUAL(rec->ack, 1);
    MS_ASSERT_STR(rec->src, "s");
    CU_ASSERT_EQUAL(rec->src_port, 25);
    CU_ASSERT_EQUAL(rec->dst_port, 49152);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK, 0);
    CU_ASSERT_EQUAL(rec->time, 2 * D40);
    CU_ASSERT_EQUAL(rec->arrival, 3 * D40);
    CU_ASSERT_EQUAL(rec->seq, 1);
    CU_ASSERT_EQUAL(rec->ack, 1);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_SEGMENT_SENT), 3);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_CONN_ESTABLISHED), 2);
    CU_ASSERT_EQUAL(nth_kind(trace, MS_TRACE_CONN_ESTABLISHED, 0)->dir, MS_DIR_CLIENT);
    CU_ASSERT_EQUAL(nth_kind(trace, MS_TRACE_CONN_ESTABLISHED, 1)->time, 3 * D40);

    /* The next connection from c gets the next port and id. */
    second = ms_tcp_connect(t.net, t.c, t.s, MS_PORT_SMTP, "SMTP", NULL, NULL);
    CU_ASSERT_EQUAL(ms_tcp_conn_id(second), 2);
    CU_ASSERT_EQUAL(ms_tcp_conn_port(second, MS_DIR_CLIENT), 49153);
    tcp_teardown(&t);
}

/* as_bytes: the write goes through ms_tcp_send_bytes, which must do
 * exactly what ms_tcp_send does. */
static void data_split_at_mss(gboolean as_bytes)
{
    Tcp t;
    MsTrace *trace;
    char data[4000];
    MsTraceRecord line = { .kind = MS_TRACE_LINE, .time = 0, .arrival = -1, .text = "x" };
    guint64 id_all;
    guint64 id_first;
    /* The ACK of the handshake goes first: 2 D40 .. 2 D40 + 32 µs. */
    const MsTime t0 = 2 * D40 + TX40;
    /* 1500-byte segments take 1.2 ms, the last (1080 + 40 bytes) 896 µs. */
    const MsTime arr[3] = { t0 + 1200 * MS_USEC + 10 * MS_MSEC,
                            t0 + 2400 * MS_USEC + 10 * MS_MSEC,
                            t0 + 3296 * MS_USEC + 10 * MS_MSEC };
    const guint32 lens[3] = { 1460, 1460, 1080 };
    const guint32 seqs[3] = { 1, 1461, 2921 };

    for (guint i = 0; i < sizeof data; i++)
        data[i] = (char) ('a' + i % 26);
    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = data;
    t.send_len = sizeof data;
    t.send_as_bytes = as_bytes;
    tcp_connect(&t);
    ms_sim_run(t.sim, 2 * D40);
    /* A protocol line covering all 4000 bytes, and one for the first 1460. */
    id_all = ms_trace_emit(trace, &line);
    ms_tcp_track_arrival(t.conn, MS_DIR_CLIENT, 4000, id_all);
    id_first = ms_trace_emit(trace, &line);
    ms_tcp_track_arrival(t.conn, MS_DIR_CLIENT, 1460, id_first);
    ms_sim_run(t.sim, MS_TIME_NEVER);

    /* ceil(4000 / 1460) = 3 segments, PSH only on the last of the write
     * (the first bare ACK is the handshake's). */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK), 3);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                              MS_TCP_ACK | MS_TCP_PSH), 1);
    for (guint i = 0; i < 3; i++) {
        guint flags = i == 2 ? MS_TCP_ACK | MS_TCP_PSH : MS_TCP_ACK;
        const MsTraceRecord *rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, flags,
                                           i == 2 ? 0 : i + 1);

        CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
        CU_ASSERT_EQUAL(rec->len, lens[i]);
        CU_ASSERT_EQUAL(rec->seq, seqs[i]);
        CU_ASSERT_EQUAL(rec->ack, 1);
        CU_ASSERT_EQUAL(rec->time, 2 * D40);
        CU_ASSERT_EQUAL(rec->arrival, arr[i]);
    }
    CU_ASSERT_EQUAL(t.server_rx->len, sizeof data);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str, data, sizeof data), 0);
    /* An ACK for every segment, cumulative, sent on arrival. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK), 3);
    for (guint i = 0; i < 3; i++) {
        const MsTraceRecord *ack = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER,
                                           MS_TCP_ACK, i);

        CU_ASSERT_EQUAL(ack->ack, seqs[i] + lens[i]);
        CU_ASSERT_EQUAL(ack->time, arr[i]);
        CU_ASSERT_EQUAL(ack->seq, 1);
    }
    /* Tracked arrivals: the last byte arrives with the third segment. */
    CU_ASSERT_EQUAL(ms_trace_pin(trace, id_all)->arrival, arr[2]);
    CU_ASSERT_EQUAL(ms_trace_pin(trace, id_first)->arrival, arr[0]);
    /* Already received: set at once. */
    id_all = ms_trace_emit(trace, &line);
    ms_tcp_track_arrival(t.conn, MS_DIR_CLIENT, 2000, id_all);
    CU_ASSERT_EQUAL(ms_trace_pin(trace, id_all)->arrival, ms_sim_now(t.sim));
    /* An empty write sends nothing and says where the stream is. */
    CU_ASSERT_EQUAL(ms_tcp_send_bytes(t.conn, MS_DIR_CLIENT, g_bytes_new(NULL, 0)), 4000);
    CU_ASSERT_EQUAL(ms_tcp_send_bytes(t.conn, MS_DIR_CLIENT, NULL), 4000);
    tcp_teardown(&t);
}

static void test_data_split_at_mss(void)
{
    data_split_at_mss(FALSE);
}

static void test_data_split_at_mss_bytes(void)
{
    data_split_at_mss(TRUE);
}

/* A burst of more lines than a tracker block first holds (it grows), each
 * line's arrival the arrival of the segment with its last byte; then a
 * second burst, tracked in one call, in the block the first one left. */
static void test_many_tracked_lines(void)
{
    Tcp t;
    MsTrace *trace;
    char data[4000];
    MsTraceRecord line = { .kind = MS_TRACE_LINE, .time = 0, .arrival = -1, .text = "x" };
    guint64 ids[10];
    guint64 more[5];
    const MsTime t0 = 2 * D40 + TX40;
    const MsTime arr[3] = { t0 + 1200 * MS_USEC + 10 * MS_MSEC,
                            t0 + 2400 * MS_USEC + 10 * MS_MSEC,
                            t0 + 3296 * MS_USEC + 10 * MS_MSEC };

    memset(data, 'a', sizeof data);
    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = data;
    t.send_len = sizeof data;
    tcp_connect(&t);
    ms_sim_run(t.sim, 2 * D40);
    for (guint i = 0; i < 10; i++) {
        ids[i] = ms_trace_emit(trace, &line);
        ms_tcp_track_arrival(t.conn, MS_DIR_CLIENT, 400 * (i + 1), ids[i]);
    }
    ms_sim_run(t.sim, MS_TIME_NEVER);
    for (guint i = 0; i < 10; i++) {
        guint64 end = 400 * (i + 1);
        MsTime expect = end <= 1460 ? arr[0] : end <= 2920 ? arr[1] : arr[2];

        CU_ASSERT_EQUAL(ms_trace_pin(trace, ids[i])->arrival, expect);
    }

    CU_ASSERT_EQUAL(ms_tcp_send(t.conn, MS_DIR_CLIENT, data, 100), 4100);
    MsTime sent = ms_sim_now(t.sim);
    /* The second burst tracked at once, after a line the peer has already:
     * that one arrives now, the others wait in the block. */
    MsTcpArrival burst[6];
    guint64 early = ms_trace_emit(trace, &line);
    burst[0] = (MsTcpArrival){ 4000, early };
    for (guint i = 0; i < 5; i++) {
        more[i] = ms_trace_emit(trace, &line);
        burst[i + 1] = (MsTcpArrival){ 4000 + 20 * (i + 1), more[i] };
    }
    ms_tcp_track_arrivals(t.conn, MS_DIR_CLIENT, burst, G_N_ELEMENTS(burst));
    CU_ASSERT_EQUAL(ms_trace_pin(trace, early)->arrival, sent);
    CU_ASSERT_EQUAL(ms_trace_pin(trace, more[0])->arrival, -1);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    /* 140 bytes at 10 Mbit/s: 112 µs, then 10 ms. */
    for (guint i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(ms_trace_pin(trace, more[i])->arrival, sent + 112 * MS_USEC + 10 * MS_MSEC);
    tcp_teardown(&t);
}

/* The SYN is lost: retransmitted exactly one initial RTO (1 s) later, and
 * the RTO doubles (RFC 6298 5.5).  The SYN-ACK then gives no valid RTT
 * sample (Karn: it answers a retransmitted SYN), so the backed-off 2 s RTO
 * stays for the data. */
static void test_syn_retransmission(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    const MsTime est = MS_SEC + 2 * D40;
    /* The data segment starts after the handshake ACK's 32 µs. */
    const MsTime data_start = est + TX40;
    g_autofree char *e0 = at(MS_SEC + D40, "server accept");
    g_autofree char *e1 = at(est, "client established");
    g_autofree char *e2 = at(est + D40, "server established");
    /* Retransmitted 2 s after the lost transmission started; 120 bytes +
     * 40 take 128 µs. */
    g_autofree char *e3 = at(data_start + 2 * MS_SEC + 128 * MS_USEC + 10 * MS_MSEC,
                             "server data 120");
    const char *expected[] = { e0, e1, e2, e3, NULL };
    char data[120];

    memset(data, 'x', sizeof data);
    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = data;
    t.send_len = sizeof data;
    /* Down for exactly the SYN's transmission, and for the data's. */
    ms_link_schedule_down(t.link, 0, TX40);
    ms_link_schedule_down(t.link, data_start, data_start + 128 * MS_USEC);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);

    rec = seg_nth(trace, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT, MS_TCP_SYN, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->time, 0);
    MS_ASSERT_STR(rec->detail, "link c-s down");
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN, 1);
    CU_ASSERT_EQUAL(rec->time, MS_SEC);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    CU_ASSERT_EQUAL(rec->arrival, MS_SEC + D40);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN, 0)->arrival,
                    -1);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 1);
    CU_ASSERT_EQUAL(rec->time, data_start + 2 * MS_SEC);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    CU_ASSERT_EQUAL(rec->seq, 1);
    tcp_teardown(&t);
}

/* The SYN-ACK is lost: the server's own timer resends it 1 s after it left
 * (the client's repeated SYN, arriving at that same instant, is ignored in
 * SYN-RECEIVED), and the handshake completes one RTO late. */
static void test_synack_lost(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(MS_SEC + 2 * D40, "client established");
    g_autofree char *e2 = at(MS_SEC + 3 * D40, "server established");
    const char *expected[] = { e0, e1, e2, NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    ms_link_schedule_down(t.link, D40, D40 + TX40);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER,
                              MS_TCP_SYN | MS_TCP_ACK), 2);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_SYN | MS_TCP_ACK, 1);
    CU_ASSERT_EQUAL(rec->time, D40 + MS_SEC);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    /* The client resent its SYN at 1 s as well. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN), 2);
    tcp_teardown(&t);
}

/* The handshake's last ACK is lost, but the client's first data segment
 * carries the same acknowledgement and completes the server's handshake. */
static void test_handshake_ack_lost(void)
{
    Tcp t;
    MsTrace *trace;
    /* "hello" + 40 bytes = 360 bits: 36 µs, after the lost ACK's 32 µs. */
    const MsTime arrival = 2 * D40 + TX40 + 36 * MS_USEC + 10 * MS_MSEC;
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(2 * D40, "client established");
    g_autofree char *e2 = at(arrival, "server established");
    g_autofree char *e3 = at(arrival, "server data 5");
    const char *expected[] = { e0, e1, e2, e3, NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = "hello";
    t.send_len = 5;
    ms_link_schedule_down(t.link, 2 * D40, 2 * D40 + TX40);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT, MS_TCP_ACK), 1);
    /* The SYN-ACK was acknowledged in time: never resent. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER,
                              MS_TCP_SYN | MS_TCP_ACK), 1);
    tcp_teardown(&t);
}

/* After the handshake's RTT sample R = 2 D40: RTO = R + 4 (R / 2) = 3 R
 * (RFC 6298 2.2), at least 200 ms. */
static void check_data_rto(MsTime latency, MsTime expected_rto)
{
    Tcp t;
    MsTrace *trace;
    const MsTime d40 = latency + TX40;
    const MsTime data_start = 2 * d40 + TX40;
    const MsTraceRecord *rec;

    tcp_setup(&t, latency);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = "hello";
    t.send_len = 5;
    ms_link_schedule_down(t.link, data_start, data_start + 1);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    CU_ASSERT_EQUAL(rec->time, data_start + expected_rto);
    MS_ASSERT_STR(t.server_rx->str, "hello");
    tcp_teardown(&t);
}

static void test_rto_after_rtt_sample(void)
{
    /* 10 ms links: R = 20.064 ms, 3 R = 60.192 ms < 200 ms (Linux minimum). */
    check_data_rto(10 * MS_MSEC, 200 * MS_MSEC);
    /* 100 ms links: R = 200.064 ms, RTO = 3 R = 600.192 ms. */
    check_data_rto(100 * MS_MSEC, 600192 * MS_USEC);
}

/* The middle one of three segments is lost: the third waits in the
 * receiver's buffer and is handed up only once the second is resent. */
static void test_out_of_order_delivery(void)
{
    Tcp t;
    MsTrace *trace;
    char data[4000];
    const MsTime t0 = 2 * D40 + TX40;
    const MsTime seg2_start = t0 + 1200 * MS_USEC;
    const MsTime seg3_start = t0 + 2400 * MS_USEC;
    /* The first segment arrives at seg2_start + 10 ms; its ACK is back one
     * D40 later and restarts the timer (RFC 6298 5.3), with RTO 200 ms (see
     * test_rto_after_rtt_sample). */
    const MsTime ack1_back = seg2_start + 10 * MS_MSEC + D40;
    const MsTime rtx2 = ack1_back + 200 * MS_MSEC;
    const MsTime rtx2_arrival = rtx2 + 1200 * MS_USEC + 10 * MS_MSEC;
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(2 * D40, "client established");
    g_autofree char *e2 = at(3 * D40, "server established");
    g_autofree char *e3 = at(seg2_start + 10 * MS_MSEC, "server data 1460");
    g_autofree char *e4 = at(rtx2_arrival, "server data 1460");
    g_autofree char *e5 = at(rtx2_arrival, "server data 1080");
    const char *expected[] = { e0, e1, e2, e3, e4, e5, NULL };
    const MsTraceRecord *rec;

    for (guint i = 0; i < sizeof data; i++)
        data[i] = (char) ('A' + i % 26);
    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = data;
    t.send_len = sizeof data;
    /* Covers exactly the second segment's 1.2 ms transmission. */
    ms_link_schedule_down(t.link, seg2_start, seg3_start);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(t.server_rx->len, sizeof data);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str, data, sizeof data), 0);

    /* The timer resends only the earliest unacknowledged segment (RFC 6298
     * 5.4), whose ACK then covers the buffered third one too. */
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->time, rtx2);
    CU_ASSERT_EQUAL(rec->seq, 1461);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                              MS_TCP_ACK | MS_TCP_PSH), 1);
    /* ACKs: 1461, then 1461 again for the out-of-order third, then 4001 for
     * the resent second. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK), 3);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK, 0)->ack, 1461);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK, 1)->ack, 1461);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK, 2)->ack, 4001);
    tcp_teardown(&t);
}

static void send_hundred(gpointer data)
{
    Tcp *t = data;
    char buf[100];

    memset(buf, 'z', sizeof buf);
    CU_ASSERT_EQUAL(ms_tcp_send(t->conn, MS_DIR_CLIENT, buf, sizeof buf), 100);
}

static void test_abort_after_retries(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    const MsTime sent = 40 * MS_MSEC;
    /* RTO 200 ms, doubling: resent at +200 ms and +600 ms; after the
     * second retransmission's 800 ms timer, give up at +1400 ms. */
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(2 * D40, "client established");
    g_autofree char *e2 = at(3 * D40, "server established");
    g_autofree char *e3 = at(sent + 1400 * MS_MSEC, "client closed aborted");
    g_autofree char *e4 = at(sent + 1400 * MS_MSEC, "server closed aborted");
    const char *expected[] = { e0, e1, e2, e3, e4, NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    ms_net_set_rto(t.net, MS_SEC, 2);
    ms_link_schedule_down(t.link, 35 * MS_MSEC, MS_TIME_NEVER);
    t.write_when_closed = TRUE;
    tcp_connect(&t);
    ms_sim_schedule_at(t.sim, sent, send_hundred, &t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                            MS_TCP_ACK | MS_TCP_PSH, 1)->time, sent + 200 * MS_MSEC);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                            MS_TCP_ACK | MS_TCP_PSH, 2)->time, sent + 600 * MS_MSEC);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT,
                              MS_TCP_ACK | MS_TCP_PSH), 3);
    rec = nth_kind(trace, MS_TRACE_CONN_ABORT, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->time, sent + 1400 * MS_MSEC);
    CU_ASSERT_EQUAL(rec->dir, MS_DIR_CLIENT);
    MS_ASSERT_STR(rec->detail, "c gave up after 2 retransmissions");
    CU_ASSERT_FALSE(t.client_open_at_close[0]);
    CU_ASSERT_FALSE(t.client_open_at_close[1]);
    CU_ASSERT_FALSE(t.server_open_at_close[0]);
    CU_ASSERT_FALSE(t.server_open_at_close[1]);
    /* Writes from the last callback go nowhere... */
    CU_ASSERT_EQUAL(t.late_write_end[0], 100);
    CU_ASSERT_EQUAL(t.late_write_end[1], 100);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                              MS_TCP_ACK | MS_TCP_PSH), 3);
    /* ... and the aborted connection is freed: its timers are stopped and
     * nothing of it is in flight. */
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 0);
    CU_ASSERT_EQUAL(ms_sim_run(t.sim, MS_TIME_NEVER), 0);
    tcp_teardown(&t);
}

/* A side keeps its route between segments, but not past a change of the
 * net: segments sent after a faster link is added take it. */
static void test_route_follows_new_link(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    tcp_connect(&t);
    ms_sim_run(t.sim, 100 * MS_MSEC);
    ms_net_add_link(t.net, t.c, t.s, 1 * MS_MSEC, 10000000, 0.0);
    ms_tcp_send(t.conn, MS_DIR_CLIENT, "hello", 5);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    MS_ASSERT_STR(t.server_rx->str, "hello");
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    /* 45 bytes at 10 Mbit/s (36 µs), then 1 ms instead of 10. */
    CU_ASSERT_EQUAL(rec->arrival, rec->time + 36 * MS_USEC + 1 * MS_MSEC);
    tcp_teardown(&t);
}

static void send_hundred_more(gpointer data)
{
    Tcp *t = data;
    char buf[100];

    memset(buf, 'z', sizeof buf);
    CU_ASSERT_EQUAL(ms_tcp_send(t->conn, MS_DIR_CLIENT, buf, sizeof buf), 105);
}

/* The timer stops when everything is acknowledged (RFC 6298 5.2) and the
 * next write starts it again (5.1): a lost second write is resent one RTO
 * after it left, not when the first write's timer would have expired, and
 * a stopped timer never resends anything. */
static void test_timer_restarted_by_next_write(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    /* "hello" leaves at 2 D40 + TX40 and is acknowledged 20 ms later. */
    const MsTime second = 2 * D40 + TX40 + 100 * MS_MSEC;

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = "hello";
    t.send_len = 5;
    ms_link_schedule_down(t.link, second, second + 1);
    tcp_connect(&t);
    ms_sim_schedule_at(t.sim, second, send_hundred_more, &t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT,
                              MS_TCP_ACK | MS_TCP_PSH), 1);
    /* "hello" went out once; the hundred bytes twice, the second time
     * 200 ms (the RTO, see test_rto_after_rtt_sample) after the first. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                              MS_TCP_ACK | MS_TCP_PSH), 3);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 0);
    CU_ASSERT_EQUAL(rec->time, 2 * D40); /* sent behind the handshake's ACK */
    CU_ASSERT_EQUAL(rec->retransmit, 0);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 1);
    CU_ASSERT_EQUAL(rec->time, second);
    CU_ASSERT_EQUAL(rec->retransmit, 0);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 2);
    CU_ASSERT_EQUAL(rec->time, second + 200 * MS_MSEC);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    CU_ASSERT_EQUAL(t.server_rx->len, 105);
    /* Nothing else was resent, the server's SYN-ACK included. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER,
                              MS_TCP_SYN | MS_TCP_ACK), 1);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN), 1);
    tcp_teardown(&t);
}

/* Closed normally, a connection lets its stopped timers go with it: it is
 * freed, and nothing of it is left to run. */
static void test_stopped_timers_freed_with_connection(void)
{
    Tcp t;

    tcp_setup(&t, 10 * MS_MSEC);
    t.send_on_established = "hello";
    t.send_len = 5;
    t.client_close_on_established = TRUE;
    t.server_close_on_peer_closed = TRUE;
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    MS_ASSERT_STR(t.server_rx->str, "hello");
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 0);
    CU_ASSERT_EQUAL(ms_sim_next_time(t.sim), MS_TIME_NEVER);
    tcp_teardown(&t);
}

static void test_syn_timeout(void)
{
    Tcp t;
    MsTrace *trace;
    /* Timers 1, 2, 4, 8, 16, 32 s, then 64 s after the sixth
     * retransmission (at 63 s): refused at 127 s. */
    const MsTime times[7] = { 0, 1, 3, 7, 15, 31, 63 };
    g_autofree char *e0 = at(127 * MS_SEC, "client refused connection timed out");
    const char *expected[] = { e0, NULL };
    const MsTraceRecord *rec;

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    ms_link_schedule_down(t.link, 0, MS_TIME_NEVER);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN), 7);
    for (guint i = 0; i < 7; i++) {
        rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN, i);
        CU_ASSERT_EQUAL(rec->time, times[i] * MS_SEC);
        CU_ASSERT_EQUAL(rec->retransmit, i);
    }
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT, MS_TCP_SYN), 7);
    rec = nth_kind(trace, MS_TRACE_CONN_REFUSED, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->time, 127 * MS_SEC);
    MS_ASSERT_STR(rec->detail, "connection timed out");
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_LINK), 1);
    tcp_teardown(&t);
}

static void test_connection_refused(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    g_autofree char *e0 = at(2 * D40, "client refused connection refused");
    const char *expected[] = { e0, NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.conn = ms_tcp_connect(t.net, t.c, t.s, MS_PORT_POP3, "POP3", &client_cbs, &t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    /* The RST (a bare 40-byte segment) comes straight back: 2 D40. */
    assert_log(&t, expected);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_RST | MS_TCP_ACK, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    CU_ASSERT_EQUAL(rec->seq, 0);
    CU_ASSERT_EQUAL(rec->ack, 1);
    CU_ASSERT_EQUAL(rec->arrival, 2 * D40);
    rec = nth_kind(trace, MS_TRACE_CONN_REFUSED, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    MS_ASSERT_STR(rec->detail, "connection refused");
    MS_ASSERT_STR(rec->protocol, "POP3");
    /* The SYN's timer went with the connection: no retransmission. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_SYN), 1);
    CU_ASSERT_FALSE(t.client_open_at_close[0]);
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 0);
    tcp_teardown(&t);
}

static void test_no_route(void)
{
    Tcp t;
    MsHost *x;
    MsTrace *trace;
    const char *expected[] = { "0 client refused no route to host", NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    x = ms_net_add_host(t.net, "x", NULL);
    t.conn = ms_tcp_connect(t.net, t.c, x, MS_PORT_SMTP, "SMTP", &client_cbs, &t);
    CU_ASSERT_PTR_NOT_NULL(t.conn);
    CU_ASSERT_EQUAL(t.log->len, 0); /* not from inside ms_tcp_connect */
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_SEGMENT_SENT), 0);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_CONN_REFUSED), 1);
    MS_ASSERT_STR(nth_kind(trace, MS_TRACE_CONN_REFUSED, 0)->detail, "no route to host");
    tcp_teardown(&t);
}

static void test_fin_teardown(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    /* c closes as soon as it is established: its FIN follows the handshake
     * ACK (each 32 µs to send) and reaches s at 3 D40 + 32 µs.  s ACKs it
     * and closes from peer_closed: its FIN follows that ACK and reaches c
     * at 4 D40 + 64 µs; c's last ACK reaches s at 5 D40 + 64 µs. */
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(2 * D40, "client established");
    g_autofree char *e2 = at(3 * D40, "server established");
    g_autofree char *e3 = at(3 * D40 + TX40, "server peer_closed");
    g_autofree char *e4 = at(4 * D40 + 2 * TX40, "client peer_closed");
    g_autofree char *e5 = at(4 * D40 + 2 * TX40, "client closed");
    g_autofree char *e6 = at(5 * D40 + 2 * TX40, "server closed");
    const char *expected[] = { e0, e1, e2, e3, e4, e5, e6, NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.client_close_on_established = TRUE;
    t.server_close_on_peer_closed = TRUE;
    tcp_connect(&t);
    ms_sim_run(t.sim, 2 * D40);
    CU_ASSERT_FALSE(ms_tcp_conn_is_open(t.conn, MS_DIR_CLIENT));
    CU_ASSERT_TRUE(ms_tcp_conn_is_open(t.conn, MS_DIR_SERVER));
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 1);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    /* The client's side ended first (at its last ACK), the server's with
     * that ACK's arrival; then the connection was freed. */
    CU_ASSERT_FALSE(t.client_open_at_close[0]);
    CU_ASSERT_FALSE(t.client_open_at_close[1]);
    CU_ASSERT_FALSE(t.server_open_at_close[1]);
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 0);

    /* FIN seq 1 (the SYN took 0); the server's FIN acknowledges it (ack 2). */
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_FIN | MS_TCP_ACK, 0);
    CU_ASSERT_EQUAL(rec->seq, 1);
    CU_ASSERT_EQUAL(rec->ack, 1);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_FIN | MS_TCP_ACK, 0);
    CU_ASSERT_EQUAL(rec->seq, 1);
    CU_ASSERT_EQUAL(rec->ack, 2);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK, 1);
    CU_ASSERT_EQUAL(rec->seq, 2);
    CU_ASSERT_EQUAL(rec->ack, 2);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_CONN_CLOSE), 1);
    CU_ASSERT_EQUAL(nth_kind(trace, MS_TRACE_CONN_CLOSE, 0)->time, 5 * D40 + 2 * TX40);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_CONN_ABORT), 0);
    tcp_teardown(&t);
}

/* A connection over is kept for the next one when its protocol's name is
 * short, and given back when it is long: either way the next connection
 * starts clean, with its own name, and those still open at the end are
 * freed with the net. */
static void test_conn_reused_after_settle(void)
{
    static const char long_name[] = "A-PROTOCOL-WITH-A-LONG-NAME";
    Tcp t;
    MsTrace *trace;
    MsTcpConn *conns[3];
    const char *names[3] = { "POP3", long_name, "IMAP" };

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.client_close_on_established = TRUE;
    t.server_close_on_peer_closed = TRUE;
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 0);
    for (guint i = 0; i < G_N_ELEMENTS(conns); i++) {
        conns[i] = ms_tcp_connect(t.net, t.c, t.s, MS_PORT_SMTP, names[i], NULL, NULL);
        CU_ASSERT_EQUAL(ms_tcp_conn_id(conns[i]), i + 2);
        MS_ASSERT_STR(ms_tcp_conn_protocol(conns[i]), names[i]);
        CU_ASSERT_TRUE(ms_tcp_conn_is_open(conns[i], MS_DIR_CLIENT));
        CU_ASSERT_FALSE(ms_tcp_conn_is_open(conns[i], MS_DIR_SERVER));
        CU_ASSERT_FALSE(ms_tcp_conn_quiet(conns[i])); /* its SYN is not acknowledged yet */
        MS_ASSERT_STR(nth_kind(trace, MS_TRACE_CONN_OPEN, i + 1)->protocol, names[i]);
    }
    CU_ASSERT_EQUAL(ms_tcp_conn_port(conns[2], MS_DIR_CLIENT), MS_PORT_EPHEMERAL_FIRST + 3);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    /* The server accepted each; their clients, with no callbacks, never
     * close, so all three are open at the end. */
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 3);
    for (guint i = 0; i < G_N_ELEMENTS(conns); i++)
        CU_ASSERT_TRUE(ms_tcp_conn_is_open(conns[i], MS_DIR_SERVER));
    tcp_teardown(&t);
}

/* Callbacks that write and close re-entrantly; a write made before the
 * handshake completes waits for it. */
static void test_echo_reentrant(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;

    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.server_echo = TRUE;
    t.client_close_on_data = TRUE;
    t.server_close_on_peer_closed = TRUE;
    tcp_connect(&t);
    CU_ASSERT_EQUAL(ms_tcp_send(t.conn, MS_DIR_CLIENT, "HELO x\r\n", 8), 8);
    CU_ASSERT_EQUAL(ms_tcp_send(t.conn, MS_DIR_CLIENT, "", 0), 8);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    MS_ASSERT_STR(t.server_rx->str, "HELO x\r\n");
    MS_ASSERT_STR(t.client_rx->str, "HELO x\r\n");
    /* The early write leaves right after the handshake's ACK. */
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 0);
    CU_ASSERT_EQUAL(rec->time, 2 * D40);
    CU_ASSERT_EQUAL(rec->len, 8);
    CU_ASSERT_EQUAL(rec->arrival, 2 * D40 + TX40 + 48 * 8 * 100 + 10 * MS_MSEC);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_CONN_CLOSE), 1);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_CONN_ABORT), 0);
    CU_ASSERT_EQUAL(count_kind(trace, MS_TRACE_SEGMENT_LOST), 0);
    tcp_teardown(&t);
}

/* ---- The send buffer ----------------------------------------------------- */

static char *buf_write(MsTcpSendBuf *b, guint64 keep, gsize len, char fill)
{
    char *room = ms_tcp_buf_reserve(b, NULL, keep, len);

    memset(room, fill, len);
    b->end += len;
    return room;
}

static gboolean buf_holds(const MsTcpSendBuf *b, guint64 from, gsize len, char fill)
{
    const char *p = ms_tcp_buf_at(b, from);

    for (gsize i = 0; i < len; i++) {
        if (p[i] != fill)
            return FALSE;
    }
    return TRUE;
}

/* Writes go behind the last; acknowledged bytes make room by sliding the
 * kept ones to the front when they fill at most half the block, and the
 * block doubles otherwise; with nothing kept a write starts at the front.
 * While pinned (read by the peer) the bytes never move: a write that needs
 * room gets a new block and the old one stays until unpinned. */
/* The smallest blocks go to the table's spares and come back from them:
 * one given back as its buffer grows is the next buffer's first, which
 * holds what is written to it; a larger block goes to malloc. */
static void test_send_buffer_spare_blocks(void)
{
    gpointer spares = NULL;
    MsTcpSendBuf a = { 0 };
    MsTcpSendBuf b = { 0 };
    char *room;

    room = ms_tcp_buf_reserve(&a, &spares, 0, 100);
    memset(room, 'a', 100);
    a.end += 100;
    CU_ASSERT_EQUAL(a.cap, 256);
    room = ms_tcp_buf_reserve(&a, &spares, 0, 300);
    memset(room, 'b', 300);
    a.end += 300;
    CU_ASSERT_EQUAL(a.cap, 512);
    CU_ASSERT_TRUE(buf_holds(&a, 0, 100, 'a'));
    CU_ASSERT_TRUE(buf_holds(&a, 100, 300, 'b'));
    CU_ASSERT_EQUAL(spares != NULL, MS_SPARE_REUSE);

    room = ms_tcp_buf_reserve(&b, &spares, 0, 10);
    memset(room, 'c', 10);
    b.end += 10;
    CU_ASSERT_EQUAL(b.cap, 256);
    CU_ASSERT_TRUE(buf_holds(&b, 0, 10, 'c'));
    CU_ASSERT_PTR_NULL(spares);

    ms_tcp_buf_clear(&a, &spares); /* 512 bytes: to malloc */
    CU_ASSERT_PTR_NULL(spares);
    ms_tcp_buf_clear(&b, &spares);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.start, 10);
    CU_ASSERT_EQUAL(spares != NULL, MS_SPARE_REUSE);
    ms_spare_free_all(&spares);
}

static void test_send_buffer_slide_grow(void)
{
    MsTcpSendBuf b = { 0 };
    char *room;

    room = buf_write(&b, 0, 100, 'a');
    CU_ASSERT_EQUAL(b.cap, 256);
    CU_ASSERT_EQUAL(b.start, 0);
    CU_ASSERT_PTR_EQUAL(room, b.data);
    room = buf_write(&b, 0, 100, 'b');
    CU_ASSERT_PTR_EQUAL(room, b.data + 100);

    /* 180 acknowledged: 20 kept + 100 new fill no more than half of 256. */
    room = buf_write(&b, 180, 100, 'c');
    CU_ASSERT_EQUAL(b.cap, 256);
    CU_ASSERT_EQUAL(b.start, 180);
    CU_ASSERT_PTR_EQUAL(room, b.data + 20);
    CU_ASSERT_TRUE(buf_holds(&b, 180, 20, 'b'));
    CU_ASSERT_TRUE(buf_holds(&b, 200, 100, 'c'));

    /* Nothing more acknowledged: 120 kept + 200 new need a bigger block,
     * where the kept bytes stay in order. */
    buf_write(&b, 180, 200, 'd');
    CU_ASSERT_EQUAL(b.cap, 512);
    CU_ASSERT_EQUAL(b.start, 180);
    CU_ASSERT_EQUAL(b.end, 500);
    CU_ASSERT_TRUE(buf_holds(&b, 180, 20, 'b'));
    CU_ASSERT_TRUE(buf_holds(&b, 200, 100, 'c'));
    CU_ASSERT_TRUE(buf_holds(&b, 300, 200, 'd'));

    /* Everything acknowledged: a write of more than half the block starts
     * at its front, moving nothing. */
    room = buf_write(&b, 500, 400, 'e');
    CU_ASSERT_EQUAL(b.cap, 512);
    CU_ASSERT_EQUAL(b.start, 500);
    CU_ASSERT_PTR_EQUAL(room, b.data);

    /* Pinned: the block being read is kept whole while writes need room. */
    ms_tcp_buf_pin(&b);
    const char *read = ms_tcp_buf_at(&b, 500);
    buf_write(&b, 500, 300, 'f');
    CU_ASSERT_EQUAL(b.cap, 1024);
    CU_ASSERT_PTR_EQUAL(b.retired, read);
    CU_ASSERT_PTR_NOT_EQUAL(ms_tcp_buf_at(&b, 500), read);
    CU_ASSERT_EQUAL(memcmp(read, ms_tcp_buf_at(&b, 500), 400), 0);
    CU_ASSERT_TRUE(buf_holds(&b, 900, 300, 'f'));
    /* A second block replaced while pinned nobody reads: it goes at once,
     * and the one read still waits. */
    buf_write(&b, 500, 1000, 'g');
    CU_ASSERT_EQUAL(b.cap, 2048);
    CU_ASSERT_PTR_EQUAL(b.retired, read);
    CU_ASSERT_EQUAL(read[399], 'e');
    ms_tcp_buf_unpin(&b);
    CU_ASSERT_PTR_NULL(b.retired);
    CU_ASSERT_TRUE(buf_holds(&b, 500, 400, 'e'));
    CU_ASSERT_TRUE(buf_holds(&b, 900, 300, 'f'));
    CU_ASSERT_TRUE(buf_holds(&b, 1200, 1000, 'g'));

    ms_tcp_buf_clear(&b, NULL);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.start, 2200);
}

static void fill_pattern(char *data, gsize len, char first)
{
    for (gsize i = 0; i < len; i++)
        data[i] = (char) (first + i % 26);
}

static void send_pattern(gpointer data)
{
    Tcp *t = data;
    char buf[3000];

    fill_pattern(buf, sizeof buf, 'A');
    CU_ASSERT_EQUAL(ms_tcp_send(t->conn, MS_DIR_CLIENT, buf, sizeof buf), 3100);
}

/* A first write is lost and a larger one follows before the timer fires:
 * the buffer grows with the first write's bytes still kept at its front,
 * the resent segment carries them, and the second write's segments, which
 * arrived first, wait in the receiver's reorder buffer until it does. */
static void test_retransmit_after_more_writes(void)
{
    Tcp t;
    MsTrace *trace;
    const MsTraceRecord *rec;
    char first[100];
    char second[3000];
    const MsTime sent = 2 * D40;                 /* behind the handshake's ACK */
    const MsTime later = sent + 50 * MS_MSEC;
    /* The timer runs from the first write's start, with the 200 ms RTO
     * (see test_rto_after_rtt_sample); 140 bytes take 112 µs. */
    const MsTime rtx = sent + TX40 + 200 * MS_MSEC;
    g_autofree char *e3 = at(rtx + 112 * MS_USEC + 10 * MS_MSEC, "server data 100");
    g_autofree char *e4 = at(rtx + 112 * MS_USEC + 10 * MS_MSEC, "server data 1460");
    g_autofree char *e5 = at(rtx + 112 * MS_USEC + 10 * MS_MSEC, "server data 1460");
    g_autofree char *e6 = at(rtx + 112 * MS_USEC + 10 * MS_MSEC, "server data 80");
    g_autofree char *e0 = at(D40, "server accept");
    g_autofree char *e1 = at(2 * D40, "client established");
    g_autofree char *e2 = at(3 * D40, "server established");
    const char *expected[] = { e0, e1, e2, e3, e4, e5, e6, NULL };

    fill_pattern(first, sizeof first, 'a');
    fill_pattern(second, sizeof second, 'A');
    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = first;
    t.send_len = sizeof first;
    ms_link_schedule_down(t.link, sent + TX40, sent + TX40 + 112 * MS_USEC);
    tcp_connect(&t);
    ms_sim_schedule_at(t.sim, later, send_pattern, &t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    assert_log(&t, expected);
    CU_ASSERT_EQUAL_FATAL(t.server_rx->len, sizeof first + sizeof second);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str, first, sizeof first), 0);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str + sizeof first, second, sizeof second), 0);

    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 0);
    CU_ASSERT_EQUAL(rec->seq, 1);
    CU_ASSERT_EQUAL(rec->len, 100);
    CU_ASSERT_EQUAL(rec->arrival, -1);
    rec = seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK | MS_TCP_PSH, 2);
    CU_ASSERT_EQUAL(rec->time, rtx);
    CU_ASSERT_EQUAL(rec->seq, 1);
    CU_ASSERT_EQUAL(rec->len, 100);
    CU_ASSERT_EQUAL(rec->retransmit, 1);
    /* Three duplicate ACKs of 1 for the second write's segments, then one
     * of everything. */
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK, 2)->ack, 1);
    CU_ASSERT_EQUAL(seg_nth(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, MS_TCP_ACK, 3)->ack,
                    3101);

    /* The block grew for the second write with the first one still in it. */
    CU_ASSERT_EQUAL(t.conn->sides[MS_TCP_CLIENT].sbuf.start, 0);
    CU_ASSERT_EQUAL(t.conn->sides[MS_TCP_CLIENT].sbuf.cap, 4096);
    CU_ASSERT_EQUAL(ms_tcp_send(t.conn, MS_DIR_CLIENT, "tail", 4), 3104);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(t.server_rx->len, 3104);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str + 3100, "tail", 4), 0);
    tcp_teardown(&t);
}

/* One write of 40,000 bytes, many times the buffer's first block and the
 * MSS; its fifth segment is lost, and the 23 behind it wait for the
 * resent one, each read from the sender's buffer when it is handed up. */
static void test_write_larger_than_buffer(void)
{
    Tcp t;
    MsTrace *trace;
    const guint n = 40000;
    g_autofree char *data = g_malloc(n);
    /* 1500-byte segments take 1.2 ms each, back to back from 2 D40 + TX40. */
    const MsTime fifth = 2 * D40 + TX40 + 4 * 1200 * MS_USEC;

    fill_pattern(data, n, 'a');
    tcp_setup(&t, 10 * MS_MSEC);
    trace = ms_sim_trace(t.sim);
    t.send_on_established = data;
    t.send_len = n;
    ms_link_schedule_down(t.link, fifth, fifth + 1200 * MS_USEC);
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL_FATAL(t.server_rx->len, n);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str, data, n), 0);
    /* ceil(40000 / 1460) = 28 segments, and the fifth once more. */
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT, MS_TCP_ACK), 1);
    CU_ASSERT_EQUAL(seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, MS_TCP_ACK)
                    + seg_count(trace, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT,
                                MS_TCP_ACK | MS_TCP_PSH),
                    1 + 28 + 1);
    /* The first four were handed up as they came, then the rest at once. */
    CU_ASSERT_EQUAL(t.log->len, 3 + 28);
    tcp_teardown(&t);
}

/* The client writes from inside the server's data callback, needing a
 * bigger block than the one the server is reading: the server still reads
 * what it was handed (AddressSanitizer would see a read of freed memory). */
static void test_write_while_peer_reads(void)
{
    Tcp t;
    char more[1000];

    fill_pattern(more, sizeof more, 'k');
    tcp_setup(&t, 10 * MS_MSEC);
    t.send_on_established = "hello";
    t.send_len = 5;
    t.client_write_in_sv_data = more;
    t.client_write_len = sizeof more;
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_PTR_NULL(t.client_write_in_sv_data);
    CU_ASSERT_EQUAL_FATAL(t.server_rx->len, 5 + sizeof more);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str, "hello", 5), 0);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str + 5, more, sizeof more), 0);
    CU_ASSERT_PTR_NULL(t.conn->sides[MS_TCP_CLIENT].sbuf.retired);
    tcp_teardown(&t);
}

/* A write far larger than usual grows the block; once the peer has all of
 * it the block goes back, and the next write starts a small one. */
static void test_large_write_block_released(void)
{
    Tcp t;
    gsize len = 200000;
    g_autofree char *data = g_malloc(len);

    fill_pattern(data, len, 'r');
    tcp_setup(&t, 10 * MS_MSEC);
    t.send_on_established = data;
    t.send_len = len;
    tcp_connect(&t);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL_FATAL(t.server_rx->len, len);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str, data, len), 0);
    CU_ASSERT_PTR_NULL(t.conn->sides[MS_TCP_CLIENT].sbuf.data);
    CU_ASSERT_EQUAL(t.conn->sides[MS_TCP_CLIENT].sbuf.cap, 0);
    CU_ASSERT_EQUAL(ms_tcp_send(t.conn, MS_DIR_CLIENT, "tail", 4), len + 4);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    CU_ASSERT_EQUAL_FATAL(t.server_rx->len, len + 4);
    CU_ASSERT_EQUAL(memcmp(t.server_rx->str + len, "tail", 4), 0);
    CU_ASSERT(t.conn->sides[MS_TCP_CLIENT].sbuf.cap <= MS_TCP_SEND_BUF_HOLD);
    tcp_teardown(&t);
}

/* The net freed with segments of a connection still travelling: their
 * wires, and the packets inside them, go with it (LeakSanitizer checks). */
static void test_free_with_segments_in_flight(void)
{
    Tcp t;
    char data[4000];

    memset(data, 'w', sizeof data);
    tcp_setup(&t, 10 * MS_MSEC);
    t.send_on_established = data;
    t.send_len = sizeof data;
    tcp_connect(&t);
    /* The three data segments have left; none has arrived. */
    ms_sim_run(t.sim, 2 * D40 + 5 * MS_MSEC);
    CU_ASSERT_EQUAL(t.server_rx->len, 0);
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 1);
    tcp_teardown(&t);

    /* A segment whose loss is due but not yet told (its reason made) is
     * let go with the rest. */
    tcp_setup(&t, 10 * MS_MSEC);
    ms_link_schedule_down(t.link, 0, MS_TIME_NEVER);
    tcp_connect(&t);
    CU_ASSERT_EQUAL(ms_net_tcp_conn_count(t.net), 1);
    CU_ASSERT_EQUAL(t.log->len, 0);
    tcp_teardown(&t);
}

static void test_listen_errors(void)
{
    Tcp t;
    g_autoptr(GError) error = NULL;
    const char *expected[] = { NULL };

    tcp_setup(&t, 10 * MS_MSEC);
    CU_ASSERT_FALSE(ms_tcp_listen(t.net, t.s, MS_PORT_SMTP, "SMTP", sv_accept, &t, &error));
    CU_ASSERT_PTR_NOT_NULL(error);
    ms_tcp_unlisten(t.net, t.s, MS_PORT_SMTP);
    ms_tcp_unlisten(t.net, t.s, MS_PORT_SMTP); /* harmless twice */
    t.conn = ms_tcp_connect(t.net, t.c, t.s, MS_PORT_SMTP, "SMTP", NULL, NULL);
    ms_sim_run(t.sim, MS_TIME_NEVER);
    /* Nobody listens any more: refused (no callbacks were given). */
    assert_log(&t, expected);
    CU_ASSERT_EQUAL(count_kind(ms_sim_trace(t.sim), MS_TRACE_CONN_REFUSED), 1);
    tcp_teardown(&t);
}

/* A small busy world on lossy links, run twice with the same seed. */
static MsSim *busy_run(guint64 seed)
{
    MsSim *sim = ms_sim_new(seed);
    MsNet *net = ms_net_new(sim);
    MsHost *a = ms_net_add_host(net, "a", NULL);
    MsHost *r = ms_net_add_host(net, "r", NULL);
    MsHost *b = ms_net_add_host(net, "b", NULL);
    Tcp t;
    char data[5000];

    memset(&t, 0, sizeof t);
    t.sim = sim;
    t.log = g_ptr_array_new_with_free_func(g_free);
    t.client_rx = g_string_new(NULL);
    t.server_rx = g_string_new(NULL);
    t.server_echo = TRUE;
    t.server_close_on_peer_closed = TRUE;
    t.client_close_on_data = TRUE;
    memset(data, 'q', sizeof data);
    t.send_on_established = data;
    t.send_len = sizeof data;
    ms_net_add_link(net, a, r, 5 * MS_MSEC, 10000000, 0.2);
    ms_net_add_link(net, r, b, 20 * MS_MSEC, 100000000, 0.2);
    ms_tcp_listen(net, b, MS_PORT_SMTP, "SMTP", sv_accept, &t, NULL);
    for (int i = 0; i < 4; i++)
        ms_tcp_connect(net, a, b, MS_PORT_SMTP, "SMTP", &client_cbs, &t);
    ms_sim_run(sim, MS_TIME_NEVER);
    ms_net_free(net);
    g_ptr_array_unref(t.log);
    g_string_free(t.client_rx, TRUE);
    g_string_free(t.server_rx, TRUE);
    return sim;
}

static void test_determinism(void)
{
    g_autoptr(MsSim) one = busy_run(3);
    g_autoptr(MsSim) two = busy_run(3);
    MsTrace *x = ms_sim_trace(one);
    MsTrace *y = ms_sim_trace(two);

    CU_ASSERT_TRUE(count_kind(x, MS_TRACE_SEGMENT_LOST) > 0);
    CU_ASSERT_TRUE(count_kind(x, MS_TRACE_SEGMENT_SENT) > 20);
    CU_ASSERT_EQUAL_FATAL(ms_trace_length(x), ms_trace_length(y));
    for (guint64 i = 0; i < ms_trace_length(x); i++) {
        const MsTraceRecord *p = ms_trace_pin(x, i);
        const MsTraceRecord *q = ms_trace_pin(y, i);

        CU_ASSERT_EQUAL(p->kind, q->kind);
        CU_ASSERT_EQUAL(p->time, q->time);
        CU_ASSERT_EQUAL(p->arrival, q->arrival);
        CU_ASSERT_EQUAL(p->conn, q->conn);
        CU_ASSERT_EQUAL(p->dir, q->dir);
        CU_ASSERT_EQUAL(p->flags, q->flags);
        CU_ASSERT_EQUAL(p->seq, q->seq);
        CU_ASSERT_EQUAL(p->ack, q->ack);
        CU_ASSERT_EQUAL(p->len, q->len);
        CU_ASSERT_EQUAL(p->retransmit, q->retransmit);
        CU_ASSERT_EQUAL(p->src_port, q->src_port);
        CU_ASSERT_STRING_EQUAL(p->src != NULL ? p->src : "", q->src != NULL ? q->src : "");
        CU_ASSERT_STRING_EQUAL(p->detail != NULL ? p->detail : "",
                               q->detail != NULL ? q->detail : "");
    }
}

static const MsTestCase link_cases[] = {
    MS_TEST(test_transmission_time),
    MS_TEST(test_single_hop),
    MS_TEST(test_multi_hop_store_and_forward),
    MS_TEST(test_back_to_back_queueing),
    MS_TEST(test_link_down_drops),
    MS_TEST(test_host_down_drops),
    MS_TEST(test_loss_draws),
    MS_TEST(test_unreachable_packet),
    MS_TEST(test_free_with_packets_in_flight),
    MS_TEST(test_route_dropped_in_flight),
    MS_TEST_END,
};

static const MsTestCase route_cases[] = {
    MS_TEST(test_route_latency_beats_hops),
    MS_TEST(test_route_ties),
    MS_TEST(test_route_ties_declaration_order),
    MS_TEST(test_route_matches_reference),
    MS_TEST(test_route_leaves_match_reference),
    MS_TEST(test_route_unreachable_and_cache),
    MS_TEST(test_route_search_skips_dead_ends),
    MS_TEST_END,
};

static const MsTestCase tcp_cases[] = {
    MS_TEST(test_handshake_timing),
    MS_TEST(test_data_split_at_mss),
    MS_TEST(test_data_split_at_mss_bytes),
    MS_TEST(test_many_tracked_lines),
    MS_TEST(test_syn_retransmission),
    MS_TEST(test_synack_lost),
    MS_TEST(test_handshake_ack_lost),
    MS_TEST(test_rto_after_rtt_sample),
    MS_TEST(test_out_of_order_delivery),
    MS_TEST(test_abort_after_retries),
    MS_TEST(test_timer_restarted_by_next_write),
    MS_TEST(test_route_follows_new_link),
    MS_TEST(test_stopped_timers_freed_with_connection),
    MS_TEST(test_syn_timeout),
    MS_TEST(test_connection_refused),
    MS_TEST(test_no_route),
    MS_TEST(test_fin_teardown),
    MS_TEST(test_conn_reused_after_settle),
    MS_TEST(test_echo_reentrant),
    MS_TEST(test_send_buffer_spare_blocks),
    MS_TEST(test_send_buffer_slide_grow),
    MS_TEST(test_retransmit_after_more_writes),
    MS_TEST(test_write_larger_than_buffer),
    MS_TEST(test_write_while_peer_reads),
    MS_TEST(test_large_write_block_released),
    MS_TEST(test_free_with_segments_in_flight),
    MS_TEST(test_listen_errors),
    MS_TEST(test_determinism),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("net/link", link_cases);
    ms_test_add_suite("net/route", route_cases);
    ms_test_add_suite("net/tcp", tcp_cases);
    return ms_test_run();
}
