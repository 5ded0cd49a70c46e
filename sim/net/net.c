/* net.c - hosts, links, their down times, shortest-latency routes and the
 * packet layer.
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

#include <string.h>

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

struct MsNetTask {
    MsNet *net;
    MsEventId id;
    MsEventFn fn;
    gpointer data;
    GDestroyNotify destroy;
    GList node;            /* in net->tasks */
};

struct MsNet {
    MsSim *sim;
    GPtrArray *hosts;      /* MsHost, owned, by index */
    GPtrArray *links;      /* MsLink, owned, by index */
    GHashTable *by_name;   /* name -> MsHost (ms_name_equal), for lookup only */
    GPtrArray *trees;      /* per source host: gint[] predecessor link, or NULL */
    GQueue tasks;          /* pending MsNetTask */
    MsTcpTable *tcp;
};

/* ---- Tasks ------------------------------------------------------------- */

static void task_run(gpointer data)
{
    MsNetTask *task = data;
    MsEventFn fn = task->fn;
    gpointer fn_data = task->data;

    /* The task is finished before fn runs, so fn may schedule new tasks or
     * free what it owns without the net touching this one again. */
    g_queue_unlink(&task->net->tasks, &task->node);
    g_free(task);
    fn(fn_data);
}

MsNetTask *ms_net_task_at(MsNet *net, MsTime when, MsEventFn fn, gpointer data,
                          GDestroyNotify destroy)
{
    MsNetTask *task = g_new0(MsNetTask, 1);
    MsTime now = ms_sim_now(net->sim);

    task->net = net;
    task->fn = fn;
    task->data = data;
    task->destroy = destroy;
    task->node.data = task;
    g_queue_push_tail_link(&net->tasks, &task->node);
    /* A packet on a link of infinite latency, say, never arrives: keep the
     * task (its data is freed with the net) but put nothing in the queue. */
    task->id = when >= MS_TIME_NEVER ? MS_EVENT_ID_NONE
                                     : ms_sim_schedule_at(net->sim, MAX(when, now), task_run, task);
    return task;
}

void ms_net_task_cancel(MsNet *net, MsNetTask *task)
{
    if (task == NULL)
        return;
    if (task->id != MS_EVENT_ID_NONE)
        ms_sim_cancel(net->sim, task->id);
    g_queue_unlink(&net->tasks, &task->node);
    g_free(task);
}

static void tasks_free_all(MsNet *net)
{
    while (!g_queue_is_empty(&net->tasks)) {
        MsNetTask *task = g_queue_pop_head_link(&net->tasks)->data;

        if (task->id != MS_EVENT_ID_NONE)
            ms_sim_cancel(net->sim, task->id);
        if (task->destroy != NULL)
            task->destroy(task->data);
        g_free(task);
    }
}

/* ---- The net ------------------------------------------------------------ */

static void host_free(gpointer data)
{
    MsHost *host = data;

    g_free(host->name);
    g_array_unref(host->down);
    g_ptr_array_unref(host->links);
    g_free(host);
}

static void link_free(gpointer data)
{
    MsLink *link = data;

    g_free(link->name);
    g_array_unref(link->down);
    g_free(link);
}

MsNet *ms_net_new(MsSim *sim)
{
    MsNet *net;

    g_return_val_if_fail(sim != NULL, NULL);
    net = g_new0(MsNet, 1);
    net->sim = sim;
    net->hosts = g_ptr_array_new_with_free_func(host_free);
    net->links = g_ptr_array_new_with_free_func(link_free);
    net->by_name = g_hash_table_new(ms_name_hash, ms_name_hash_equal);
    net->trees = g_ptr_array_new_with_free_func(g_free);
    g_queue_init(&net->tasks);
    net->tcp = ms_tcp_table_new();
    return net;
}

void ms_net_free(MsNet *net)
{
    if (net == NULL)
        return;
    /* Packets in flight hold TCP segments; free them before the connections. */
    tasks_free_all(net);
    ms_tcp_table_free(net->tcp);
    g_ptr_array_unref(net->trees);
    g_hash_table_unref(net->by_name);
    g_ptr_array_unref(net->links);
    g_ptr_array_unref(net->hosts);
    g_free(net);
}

MsSim *ms_net_sim(MsNet *net)
{
    return net->sim;
}

MsTcpTable *ms_net_tcp_table(MsNet *net)
{
    return net->tcp;
}

static void routes_invalidate(MsNet *net)
{
    g_ptr_array_set_size(net->trees, 0);
}

/* ---- Down times and their trace records -------------------------------- */

static gboolean spans_cover(const GArray *spans, MsTime t)
{
    for (guint i = 0; i < spans->len; i++) {
        const MsDownSpan *span = &g_array_index(spans, MsDownSpan, i);

        if (span->from <= t && t < span->until)
            return FALSE;
    }
    return TRUE;
}

static void link_boundary(gpointer data)
{
    MsLink *link = data;
    MsTime now = ms_sim_now(link->net->sim);
    gboolean up = ms_link_is_up(link, now);
    g_autofree char *detail = NULL;
    MsTraceRecord rec = { 0 };

    /* Two spans meeting at one instant (or overlapping) change nothing. */
    if (up == link->reported_up)
        return;
    link->reported_up = up;
    detail = g_strdup_printf("link %s %s", link->name, up ? "up" : "down");
    rec.kind = MS_TRACE_LINK;
    rec.time = now;
    rec.arrival = -1;
    rec.src = link->a->name;
    rec.dst = link->b->name;
    rec.subject = link->name;
    rec.detail = detail;
    ms_trace_emit(ms_sim_trace(link->net->sim), &rec);
}

static void host_boundary(gpointer data)
{
    MsHost *host = data;
    MsTime now = ms_sim_now(host->net->sim);
    gboolean up = ms_host_is_up(host, now);
    g_autofree char *detail = NULL;
    MsTraceRecord rec = { 0 };

    if (up == host->reported_up)
        return;
    host->reported_up = up;
    detail = g_strdup_printf("host %s %s", host->name, up ? "up" : "down");
    rec.kind = MS_TRACE_LINK;
    rec.time = now;
    rec.arrival = -1;
    rec.src = host->name;
    rec.subject = host->name;
    rec.detail = detail;
    ms_trace_emit(ms_sim_trace(host->net->sim), &rec);
}

static void schedule_span(MsNet *net, GArray *spans, MsTime from, MsTime until,
                          MsEventFn boundary, gpointer data)
{
    MsDownSpan span = { from, until };

    if (from < 0 || until <= from)
        return;
    g_array_append_val(spans, span);
    ms_net_task_at(net, from, boundary, data, NULL);
    if (until != MS_TIME_NEVER)
        ms_net_task_at(net, until, boundary, data, NULL);
}

/* ---- Hosts --------------------------------------------------------------- */

MsHost *ms_net_add_host(MsNet *net, const char *name, GError **error)
{
    MsHost *host;

    if (name == NULL || name[0] == '\0') {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "a host needs a name");
        return NULL;
    }
    if (g_hash_table_contains(net->by_name, name)) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "host \"%s\" is declared twice", name);
        return NULL;
    }
    host = g_new0(MsHost, 1);
    host->net = net;
    host->name = g_strdup(name);
    host->index = net->hosts->len;
    host->down = g_array_new(FALSE, FALSE, sizeof(MsDownSpan));
    host->links = g_ptr_array_new();
    host->reported_up = TRUE;
    host->next_port = MS_PORT_EPHEMERAL_FIRST;
    g_ptr_array_add(net->hosts, host);
    g_hash_table_insert(net->by_name, host->name, host);
    routes_invalidate(net);
    return host;
}

MsHost *ms_net_find_host(MsNet *net, const char *name)
{
    if (name == NULL)
        return NULL;
    return g_hash_table_lookup(net->by_name, name);
}

const char *ms_host_name(const MsHost *host)
{
    return host->name;
}

void ms_host_schedule_down(MsHost *host, MsTime from, MsTime until)
{
    schedule_span(host->net, host->down, from, until, host_boundary, host);
}

gboolean ms_host_is_up(const MsHost *host, MsTime t)
{
    return spans_cover(host->down, t);
}

guint16 ms_host_take_ephemeral_port(MsHost *host)
{
    guint16 port = host->next_port;

    host->next_port = port == G_MAXUINT16 ? MS_PORT_EPHEMERAL_FIRST : port + 1;
    return port;
}

/* ---- Links --------------------------------------------------------------- */

MsLink *ms_net_add_link(MsNet *net, MsHost *a, MsHost *b, MsTime latency,
                        guint64 bandwidth_bps, double loss)
{
    MsLink *link;

    g_return_val_if_fail(a != NULL && b != NULL && a != b, NULL);
    g_return_val_if_fail(a->net == net && b->net == net, NULL);
    g_return_val_if_fail(latency >= 0, NULL);
    g_return_val_if_fail(loss >= 0.0 && loss <= 1.0, NULL);

    link = g_new0(MsLink, 1);
    link->net = net;
    link->index = net->links->len;
    link->a = a;
    link->b = b;
    link->name = g_strdup_printf("%s-%s", a->name, b->name);
    link->latency = latency;
    link->bandwidth = bandwidth_bps;
    link->loss = loss;
    link->down = g_array_new(FALSE, FALSE, sizeof(MsDownSpan));
    link->reported_up = TRUE;
    g_ptr_array_add(net->links, link);
    g_ptr_array_add(a->links, link);
    g_ptr_array_add(b->links, link);
    routes_invalidate(net);
    return link;
}

void ms_link_schedule_down(MsLink *link, MsTime from, MsTime until)
{
    schedule_span(link->net, link->down, from, until, link_boundary, link);
}

gboolean ms_link_is_up(const MsLink *link, MsTime t)
{
    return spans_cover(link->down, t);
}

MsTime ms_link_latency(const MsLink *link)
{
    return link->latency;
}

guint64 ms_link_bandwidth(const MsLink *link)
{
    return link->bandwidth;
}

static MsHost *link_other_end(const MsLink *link, const MsHost *host)
{
    return link->a == host ? link->b : link->a;
}

static MsTime time_add(MsTime a, MsTime b)
{
    return a > MS_TIME_NEVER - b ? MS_TIME_NEVER : a + b;
}

MsTime ms_net_transmission_time(guint64 bytes, guint64 bandwidth_bps)
{
    __extension__ typedef unsigned __int128 MsWide;
    MsWide bits_ns;
    MsWide ns;

    if (bandwidth_bps == 0)
        return 0;
    /* ceil(bytes * 8 * 1e9 / bandwidth) in 128 bits: 2^64 bytes * 8e9 would
     * not fit in 64. */
    bits_ns = (MsWide) bytes * 8u * 1000000000u;
    ns = (bits_ns + bandwidth_bps - 1) / bandwidth_bps;
    return ns > (MsWide) MS_TIME_NEVER ? MS_TIME_NEVER : (MsTime) ns;
}

/* ---- Routes: Dijkstra on (latency, hops, link indices) ------------------
 * A path's label is its total latency, then its hop count, then the list of
 * the indices of its links in declaration order, compared element by
 * element.  This is a total order that extending a path by one link
 * preserves, so Dijkstra finds the unique least path and the result does not
 * depend on the order hosts are visited in.
 */
typedef struct {
    MsTime dist;
    GArray *path; /* guint link indices from the source; NULL = unreached */
} MsLabel;

static int label_cmp(MsTime dist_a, const GArray *path_a, MsTime dist_b, const GArray *path_b)
{
    if (dist_a != dist_b)
        return dist_a < dist_b ? -1 : 1;
    if (path_a->len != path_b->len)
        return path_a->len < path_b->len ? -1 : 1;
    for (guint i = 0; i < path_a->len; i++) {
        guint x = g_array_index(path_a, guint, i);
        guint y = g_array_index(path_b, guint, i);

        if (x != y)
            return x < y ? -1 : 1;
    }
    return 0;
}

static gint *route_tree_compute(MsNet *net, const MsHost *src)
{
    guint n = net->hosts->len;
    g_autofree MsLabel *labels = g_new0(MsLabel, n);
    g_autofree gboolean *done = g_new0(gboolean, n);
    gint *pred = g_new(gint, n);

    for (guint i = 0; i < n; i++)
        pred[i] = -1;
    labels[src->index].path = g_array_new(FALSE, FALSE, sizeof(guint));
    for (;;) {
        gint best = -1;
        MsHost *u;

        for (guint i = 0; i < n; i++) {
            if (done[i] || labels[i].path == NULL)
                continue;
            if (best < 0 || label_cmp(labels[i].dist, labels[i].path,
                                      labels[best].dist, labels[best].path) < 0)
                best = (gint) i;
        }
        if (best < 0)
            break;
        done[best] = TRUE;
        u = net->hosts->pdata[best];
        for (guint k = 0; k < u->links->len; k++) {
            MsLink *link = u->links->pdata[k];
            MsHost *v = link_other_end(link, u);
            MsTime dist = time_add(labels[best].dist, link->latency);
            GArray *path;

            if (done[v->index])
                continue;
            path = g_array_copy(labels[best].path);
            g_array_append_val(path, link->index);
            if (labels[v->index].path == NULL
                || label_cmp(dist, path, labels[v->index].dist, labels[v->index].path) < 0) {
                if (labels[v->index].path != NULL)
                    g_array_unref(labels[v->index].path);
                labels[v->index].dist = dist;
                labels[v->index].path = path;
                pred[v->index] = (gint) link->index;
            } else {
                g_array_unref(path);
            }
        }
    }
    for (guint i = 0; i < n; i++) {
        if (labels[i].path != NULL)
            g_array_unref(labels[i].path);
    }
    return pred;
}

/* Fills hosts (and links, if not NULL) with the route; FALSE if none. */
static gboolean route_find(MsNet *net, MsHost *from, MsHost *to, GPtrArray *hosts,
                           GPtrArray *links)
{
    const gint *pred;
    MsHost *v = to;

    if (net->trees->len < net->hosts->len)
        g_ptr_array_set_size(net->trees, (gint) net->hosts->len);
    if (net->trees->pdata[from->index] == NULL)
        net->trees->pdata[from->index] = route_tree_compute(net, from);
    pred = net->trees->pdata[from->index];
    if (from != to && pred[to->index] < 0)
        return FALSE;
    /* Walk back from the destination, then reverse. */
    g_ptr_array_add(hosts, v);
    while (v != from) {
        MsLink *link = net->links->pdata[pred[v->index]];

        if (links != NULL)
            g_ptr_array_add(links, link);
        v = link_other_end(link, v);
        g_ptr_array_add(hosts, v);
    }
    for (guint i = 0, j = hosts->len - 1; i < j; i++, j--) {
        gpointer t = hosts->pdata[i];

        hosts->pdata[i] = hosts->pdata[j];
        hosts->pdata[j] = t;
    }
    if (links != NULL && links->len > 1) {
        for (guint i = 0, j = links->len - 1; i < j; i++, j--) {
            gpointer t = links->pdata[i];

            links->pdata[i] = links->pdata[j];
            links->pdata[j] = t;
        }
    }
    return TRUE;
}

GPtrArray *ms_net_route(MsNet *net, MsHost *from, MsHost *to)
{
    g_autoptr(GPtrArray) hosts = g_ptr_array_new();

    g_return_val_if_fail(from != NULL && to != NULL, NULL);
    if (!route_find(net, from, to, hosts, NULL))
        return NULL;
    return g_steal_pointer(&hosts);
}

/* ---- Packets ------------------------------------------------------------- */

typedef struct {
    MsNet *net;
    GPtrArray *hosts;      /* the route, hosts[0] = source (transfer none items) */
    GPtrArray *links;      /* links[i] joins hosts[i] and hosts[i + 1] */
    guint hop;             /* index in hosts of where the packet is */
    guint32 bytes;
    MsNetDeliverFn fn;
    gpointer data;
    GDestroyNotify destroy;
    const MsHost *lost_where;
    char *lost_why;
} MsPacket;

static void packet_free(gpointer data)
{
    MsPacket *p = data;

    if (p->data != NULL && p->destroy != NULL)
        p->destroy(p->data);
    g_ptr_array_unref(p->hosts);
    g_ptr_array_unref(p->links);
    g_free(p->lost_why);
    g_free(p);
}

static void packet_finish(MsPacket *p, gboolean lost)
{
    gpointer data = g_steal_pointer(&p->data);

    p->fn(data, lost, p->lost_where, p->lost_why);
    packet_free(p);
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
    ms_net_task_at(p->net, when, packet_lost_event, p, packet_free);
}

/* The packet is at hosts[hop] (not the last) at `now`: queue it on the next
 * link.  Returns when its transmission starts. */
static MsTime packet_forward(MsPacket *p);

static void packet_arrive(gpointer data)
{
    MsPacket *p = data;
    MsTime now = ms_sim_now(p->net->sim);
    MsHost *here = p->hosts->pdata[p->hop];

    if (!ms_host_is_up(here, now)) {
        p->lost_where = p->hop > 0 ? p->hosts->pdata[p->hop - 1] : here;
        p->lost_why = g_strdup_printf("host %s down", here->name);
        packet_finish(p, TRUE);
        return;
    }
    if (p->hop + 1 == p->hosts->len) {
        packet_finish(p, FALSE);
        return;
    }
    packet_forward(p);
}

static MsTime packet_forward(MsPacket *p)
{
    MsSim *sim = p->net->sim;
    MsTime now = ms_sim_now(sim);
    MsHost *from = p->hosts->pdata[p->hop];
    MsLink *link = p->links->pdata[p->hop];
    int dir = link->a == from ? 0 : 1;
    MsTime start = MAX(now, link->busy_until[dir]);
    MsTime done;
    MsTime arrive;

    /* The sender cannot tell a dead link from a live one: it transmits
     * either way, so the link is busy for the packet's transmission time
     * even when the packet is lost. */
    done = time_add(start, ms_net_transmission_time(p->bytes, link->bandwidth));
    link->busy_until[dir] = done;
    arrive = time_add(done, link->latency);
    if (!ms_link_is_up(link, start)) {
        packet_lose(p, start, from, g_strdup_printf("link %s down", link->name));
        return start;
    }
    /* Exactly one draw per hop on a lossy link, none on a lossless one, so a
     * run without loss consumes no randomness. */
    if (link->loss > 0.0 && g_rand_double(ms_sim_rand(sim)) < link->loss) {
        packet_lose(p, arrive, from, g_strdup_printf("lost on link %s", link->name));
        return start;
    }
    p->hop++;
    ms_net_task_at(p->net, arrive, packet_arrive, p, packet_free);
    return start;
}

gboolean ms_net_send_packet_full(MsNet *net, MsHost *src, MsHost *dst, guint32 bytes,
                                 MsNetDeliverFn fn, gpointer data, GDestroyNotify destroy,
                                 MsTime *first_start_out)
{
    MsTime now = ms_sim_now(net->sim);
    MsTime start = now;
    MsPacket *p;

    g_return_val_if_fail(src != NULL && dst != NULL && fn != NULL, FALSE);
    p = g_new0(MsPacket, 1);
    p->net = net;
    p->hosts = g_ptr_array_new();
    p->links = g_ptr_array_new();
    if (!route_find(net, src, dst, p->hosts, p->links)) {
        packet_free(p); /* data is not ours yet: p->data is still NULL */
        return FALSE;
    }
    p->bytes = bytes;
    p->fn = fn;
    p->data = data;
    p->destroy = destroy;
    if (!ms_host_is_up(src, now))
        packet_lose(p, now, src, g_strdup_printf("host %s down", src->name));
    else if (p->hosts->len == 1)
        ms_net_task_at(net, now, packet_arrive, p, packet_free); /* to itself */
    else
        start = packet_forward(p);
    if (first_start_out != NULL)
        *first_start_out = start;
    return TRUE;
}

typedef struct {
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
    MsPublicPacket *pp = g_new0(MsPublicPacket, 1);

    pp->fn = fn;
    pp->data = data;
    if (!ms_net_send_packet_full(net, src, dst, bytes, public_packet_done, pp, g_free, NULL)) {
        g_free(pp);
        return FALSE;
    }
    return TRUE;
}
