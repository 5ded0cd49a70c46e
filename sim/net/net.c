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
    GPtrArray *services;   /* MsService: programs that stop while the host runs */
};

/* A service of a host ("smtp"): the ports it listens on, and when it is
 * stopped; a SYN to a stopped service's port is refused (RST). */
typedef struct {
    MsHost *host;
    char *name;
    guint16 ports[2];
    guint n_ports;
    GArray *down;          /* MsDownSpan */
    gboolean reported_up;
} MsService;

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

/* Route search (see "Routes" below). */
typedef struct {
    MsTime dist;
    guint hops;
    gint pred;   /* link index into the host, -1 for the source */
    guint stamp; /* == net->stamp when reached in the current search */
    gboolean done;
} MsLabel;

typedef struct {
    MsTime dist;
    guint hops;
    guint host;
} MsHeapItem;

struct MsRoute {
    gint64 key;       /* source index * number of hosts + destination index */
    GPtrArray *hosts; /* the route, hosts[0] = source; NULL: unreachable */
    GPtrArray *links; /* links[i] joins hosts[i] and hosts[i + 1] */
    guint refs;       /* the table's, each packet's on it, each sender's keeping it */
    guint epoch;      /* net->route_epoch when it was searched */
};

static void route_unref(gpointer data);

#define ROUTE_RECENT 64u

struct MsNet {
    MsSim *sim;
    GPtrArray *hosts;      /* MsHost, owned, by index */
    GPtrArray *links;      /* MsLink, owned, by index */
    GHashTable *by_name;   /* name -> MsHost (ms_name_equal), for lookup only */
    GHashTable *routes;    /* (source, destination) -> MsRoute, searched on use */
    MsLabel *labels;       /* the search's labels, by host index */
    guint n_labels;
    guint stamp;           /* marks the labels of the current search */
    GArray *heap;          /* the search's pending hosts */
    guint64 settled;       /* hosts settled by all searches so far */
    /* The routes last found, by (source, destination), in front of the
     * table: a connection's segments ask for the same two again and again. */
    MsRoute *recent[ROUTE_RECENT];
    guint route_epoch;     /* moves on whenever the routes are dropped */
    MsNetTask *tasks;      /* pending tasks, the latest first */
    MsNetTask *spare;      /* finished tasks, kept for reuse */
    struct MsPacket *packets; /* in flight, the latest first */
    gpointer spare_packets;/* freed packets, kept for reuse (a list through their first word) */
    MsTcpTable *tcp;
};

/* ---- Tasks ------------------------------------------------------------- */

/* Every TCP timer and connection timeout is a task (packets schedule their
 * own events, see "Packets"), so a finished one is kept for the next
 * instead of going back to malloc; there are never more spares than tasks
 * once pending at the same time.  The list of pending tasks is
 * linked by hand: two stores to join it, two to leave, where a GQueue took
 * a call and some fifty instructions for each. */
static void task_finish(MsNet *net, MsNetTask *task)
{
    if (task->prev != NULL)
        task->prev->next = task->next;
    else
        net->tasks = task->next;
    if (task->next != NULL)
        task->next->prev = task->prev;
    if (!MS_SPARE_REUSE) {
        g_free(task);
        return;
    }
    task->prev = NULL;
    task->next = net->spare;
    net->spare = task;
}

static void task_run(gpointer data)
{
    MsNetTask *task = data;
    MsEventFn fn = task->fn;
    gpointer fn_data = task->data;

    /* The task is finished before fn runs, so fn may schedule new tasks or
     * free what it owns without the net touching this one again. */
    task_finish(task->net, task);
    fn(fn_data);
}

MsNetTask *ms_net_task_at(MsNet *net, MsTime when, MsEventFn fn, gpointer data,
                          GDestroyNotify destroy)
{
    MsNetTask *task = net->spare;
    if (task != NULL)
        net->spare = task->next;
    else
        task = g_new(MsNetTask, 1);
    MsTime now = ms_sim_now(net->sim);

    task->net = net;
    task->fn = fn;
    task->data = data;
    task->destroy = destroy;
    task->prev = NULL;
    task->next = net->tasks;
    if (net->tasks != NULL)
        net->tasks->prev = task;
    net->tasks = task;
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
    task_finish(net, task);
}

void ms_net_task_stop(MsNet *net, MsNetTask *task)
{
    if (task->id != MS_EVENT_ID_NONE)
        ms_sim_cancel(net->sim, task->id);
}

void ms_net_task_move(MsNet *net, MsNetTask *task, MsTime when)
{
    MsTime now = ms_sim_now(net->sim);

    task->id = ms_sim_reschedule_at(net->sim, task->id, MAX(when, now), task_run, task);
}

/* The oldest pending task first, as when they were kept in a queue: a
 * destroy notify may be told in that order. */
static void tasks_free_all(MsNet *net)
{
    MsNetTask *oldest = net->tasks;

    while (oldest != NULL && oldest->next != NULL)
        oldest = oldest->next;
    while (oldest != NULL) {
        MsNetTask *task = oldest;

        oldest = task->prev;
        if (task->id != MS_EVENT_ID_NONE)
            ms_sim_cancel(net->sim, task->id);
        if (task->destroy != NULL)
            task->destroy(task->data);
        g_free(task);
    }
    net->tasks = NULL;
    while (net->spare != NULL) {
        MsNetTask *task = net->spare;
        net->spare = task->next;
        g_free(task);
    }
}

/* ---- The net ------------------------------------------------------------ */

static void service_free(gpointer data)
{
    MsService *svc = data;

    g_free(svc->name);
    g_array_unref(svc->down);
    g_free(svc);
}

static void host_free(gpointer data)
{
    MsHost *host = data;

    g_free(host->name);
    g_array_unref(host->down);
    g_ptr_array_unref(host->services);
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
    net->routes = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, route_unref);
    net->heap = g_array_new(FALSE, FALSE, sizeof(MsHeapItem));
    net->tcp = ms_tcp_table_new();
    return net;
}

static void packets_free_all(MsNet *net);

void ms_net_free(MsNet *net)
{
    if (net == NULL)
        return;
    /* Packets in flight hold TCP segments; free them (and the tasks) before
     * the connections. */
    tasks_free_all(net);
    packets_free_all(net);
    ms_tcp_table_free(net->tcp);
    g_hash_table_unref(net->routes);
    g_free(net->labels);
    g_array_unref(net->heap);
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
    net->route_epoch++;
    memset(net->recent, 0, sizeof net->recent);
    g_hash_table_remove_all(net->routes);
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
    rec.note = up ? "link.up" : "link.down";
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
    rec.note = up ? "host.up" : "host.down";
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
    host->services = g_ptr_array_new_with_free_func(service_free);
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

static void service_boundary(gpointer data)
{
    MsService *svc = data;
    MsNet *net = svc->host->net;
    MsTime now = ms_sim_now(net->sim);
    gboolean up = spans_cover(svc->down, now);
    g_autofree char *detail = NULL;
    MsTraceRecord rec = { 0 };

    if (up == svc->reported_up)
        return;
    svc->reported_up = up;
    detail = g_strdup_printf("service %s on %s %s", svc->name, svc->host->name,
                             up ? "up" : "down");
    rec.kind = MS_TRACE_LINK;
    rec.time = now;
    rec.arrival = -1;
    rec.src = svc->host->name;
    rec.subject = svc->host->name;
    rec.note = up ? "service.up" : "service.down";
    rec.detail = detail;
    ms_trace_emit(ms_sim_trace(net->sim), &rec);
}

void ms_host_schedule_service_down(MsHost *host, const char *service, const guint16 *ports,
                                   guint n_ports, MsTime from, MsTime until)
{
    MsService *svc = NULL;

    g_return_if_fail(n_ports >= 1 && n_ports <= 2);
    for (guint i = 0; i < host->services->len && svc == NULL; i++) {
        MsService *s = g_ptr_array_index(host->services, i);
        if (strcmp(s->name, service) == 0)
            svc = s;
    }
    if (svc == NULL) {
        svc = g_new0(MsService, 1);
        svc->host = host;
        svc->name = g_strdup(service);
        memcpy(svc->ports, ports, n_ports * sizeof *ports);
        svc->n_ports = n_ports;
        svc->down = g_array_new(FALSE, FALSE, sizeof(MsDownSpan));
        svc->reported_up = TRUE;
        g_ptr_array_add(host->services, svc);
    }
    schedule_span(host->net, svc->down, from, until, service_boundary, svc);
}

gboolean ms_host_port_open(const MsHost *host, guint16 port, MsTime t)
{
    for (guint i = 0; i < host->services->len; i++) {
        const MsService *svc = g_ptr_array_index(host->services, i);
        for (guint p = 0; p < svc->n_ports; p++) {
            if (svc->ports[p] == port && !spans_cover(svc->down, t))
                return FALSE;
        }
    }
    return TRUE;
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

/* ---- Routes: Dijkstra on (latency, hops, link indices) ------------------
 * A path's label is its total latency, then its hop count, then the list of
 * the indices of its links in declaration order, compared element by
 * element.  This is a total order that extending a path by one link
 * preserves, so Dijkstra finds the unique least path and the result does not
 * depend on the order hosts are visited in.
 *
 * A route is searched when a packet first needs it, from its source until
 * its destination is reached (a user's computer needs the route to its own
 * server, not the whole campus), and kept: packets share the cached host
 * and link lists.  The heap orders by (latency, hops) only: every path
 * through a host not yet settled is longer in that order, so a host's label
 * is final when it is popped.  The third key, the link indices, only
 * decides between two paths of equal latency and hops to the same host;
 * both end in hosts already settled, whose least paths form a tree, so the
 * lists differ first just below the two hosts' common ancestor and
 * comparing them costs a walk up the tree, not a copy of the paths.
 */
/* A packet holds its route (one count, not a reference on each of its two
 * arrays, which GLib counts atomically): a route the table drops while
 * packets travel on it stays until the last of them is gone. */
static void route_unref(gpointer data)
{
    MsRoute *route = data;

    if (--route->refs > 0)
        return;
    if (route->hosts != NULL) {
        g_ptr_array_unref(route->hosts);
        g_ptr_array_unref(route->links);
    }
    g_free(route);
}

static gboolean heap_less(const MsHeapItem *x, const MsHeapItem *y)
{
    if (x->dist != y->dist)
        return x->dist < y->dist;
    if (x->hops != y->hops)
        return x->hops < y->hops;
    return x->host < y->host;
}

static void heap_push(GArray *heap, MsHeapItem item)
{
    guint i = heap->len;

    g_array_set_size(heap, heap->len + 1);
    MsHeapItem *a = (MsHeapItem *) (void *) heap->data;
    while (i > 0 && heap_less(&item, &a[(i - 1) / 2])) {
        a[i] = a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    a[i] = item;
}

static MsHeapItem heap_pop(GArray *heap)
{
    MsHeapItem *a = (MsHeapItem *) (void *) heap->data;
    MsHeapItem top = a[0];
    MsHeapItem last = a[heap->len - 1];
    guint n = heap->len - 1;
    guint i = 0;

    for (;;) {
        guint c = 2 * i + 1;

        if (c >= n)
            break;
        if (c + 1 < n && heap_less(&a[c + 1], &a[c]))
            c++;
        if (!heap_less(&a[c], &last))
            break;
        a[i] = a[c];
        i = c;
    }
    if (n > 0)
        a[i] = last;
    g_array_set_size(heap, n);
    return top;
}

/* Compares, by their link indices, the path to settled host u extended by
 * link lu with the path to settled host w extended by link lw; both paths
 * have the same number of hops. */
static int path_cmp(MsNet *net, guint u, guint lu, guint w, guint lw)
{
    const MsLabel *labels = net->labels;

    while (u != w) {
        lu = (guint) labels[u].pred;
        lw = (guint) labels[w].pred;
        u = link_other_end(net->links->pdata[lu], net->hosts->pdata[u])->index;
        w = link_other_end(net->links->pdata[lw], net->hosts->pdata[w])->index;
    }
    return lu < lw ? -1 : lu > lw ? 1 : 0;
}

/* Searches the least path from `from` to `to` (NULL lists when there is
 * none). */
static MsRoute *route_search(MsNet *net, MsHost *from, MsHost *to)
{
    guint n = net->hosts->len;
    MsRoute *route = g_new0(MsRoute, 1);

    route->refs = 1;
    route->epoch = net->route_epoch;
    if (net->n_labels < n) {
        g_free(net->labels);
        net->labels = g_new0(MsLabel, n);
        net->n_labels = n;
        net->stamp = 0;
    }
    if (++net->stamp == 0) {
        memset(net->labels, 0, sizeof(MsLabel) * net->n_labels);
        net->stamp = 1;
    }
    MsLabel *labels = net->labels;
    GArray *heap = net->heap;
    g_array_set_size(heap, 0);
    labels[from->index] = (MsLabel){ 0, 0, -1, net->stamp, FALSE };
    heap_push(heap, (MsHeapItem){ 0, 0, from->index });
    gboolean found = FALSE;
    while (heap->len > 0) {
        MsHeapItem top = heap_pop(heap);
        MsLabel *lu = &labels[top.host];

        if (lu->done || lu->dist != top.dist || lu->hops != top.hops)
            continue; /* a stale entry */
        lu->done = TRUE;
        net->settled++;
        if (top.host == to->index) {
            found = TRUE;
            break;
        }
        MsHost *u = net->hosts->pdata[top.host];
        for (guint k = 0; k < u->links->len; k++) {
            MsLink *link = u->links->pdata[k];
            MsHost *v = link_other_end(link, u);
            /* A host with one link is a dead end: no shortest path passes
             * through it, so unless it is the goal it need not be visited.
             * A campus's computers hang off their servers this way, and
             * without this every search from a server would visit all of
             * them: quadratic in the users. */
            if (v->links->len == 1 && v != to)
                continue;
            MsLabel *lv = &labels[v->index];
            MsTime dist = time_add(lu->dist, link->latency);
            guint hops = lu->hops + 1;

            if (lv->stamp == net->stamp) {
                if (lv->done)
                    continue;
                if (dist > lv->dist || (dist == lv->dist && hops > lv->hops))
                    continue;
                if (dist == lv->dist && hops == lv->hops) {
                    /* Equal so far: the link indices decide; the heap
                     * entry stays as it is. */
                    MsLink *old = net->links->pdata[lv->pred];
                    guint w = link_other_end(old, v)->index;
                    if (path_cmp(net, top.host, link->index, w, (guint) lv->pred) < 0)
                        lv->pred = (gint) link->index;
                    continue;
                }
            }
            *lv = (MsLabel){ dist, hops, (gint) link->index, net->stamp, FALSE };
            heap_push(heap, (MsHeapItem){ dist, hops, v->index });
        }
    }
    if (!found)
        return route;
    /* Walk back from the destination, then reverse. */
    route->hosts = g_ptr_array_sized_new(labels[to->index].hops + 1);
    route->links = g_ptr_array_sized_new(labels[to->index].hops);
    MsHost *v = to;
    g_ptr_array_add(route->hosts, v);
    while (v != from) {
        MsLink *link = net->links->pdata[labels[v->index].pred];

        g_ptr_array_add(route->links, link);
        v = link_other_end(link, v);
        g_ptr_array_add(route->hosts, v);
    }
    for (guint i = 0, j = route->hosts->len - 1; i < j; i++, j--) {
        gpointer t = route->hosts->pdata[i];

        route->hosts->pdata[i] = route->hosts->pdata[j];
        route->hosts->pdata[j] = t;
    }
    for (guint i = 0, j = route->links->len; i + 1 < j; i++, j--) {
        gpointer t = route->links->pdata[i];

        route->links->pdata[i] = route->links->pdata[j - 1];
        route->links->pdata[j - 1] = t;
    }
    return route;
}

/* The cached route from `from` to `to`, searched on first use (transfer
 * none; its lists are NULL when there is no route). */
static MsRoute *route_find(MsNet *net, MsHost *from, MsHost *to)
{
    gint64 key = (gint64) from->index * (gint64) net->hosts->len + (gint64) to->index;
    MsRoute **recent = &net->recent[(from->index * 31u + to->index) % ROUTE_RECENT];
    if (*recent != NULL && (*recent)->key == key)
        return *recent;
    MsRoute *route = g_hash_table_lookup(net->routes, &key);

    if (route == NULL) {
        route = route_search(net, from, to);
        route->key = key;
        g_hash_table_insert(net->routes, &route->key, route);
    }
    *recent = route;
    return route;
}

guint64 ms_net_route_settled(const MsNet *net)
{
    return net->settled;
}

GPtrArray *ms_net_route(MsNet *net, MsHost *from, MsHost *to)
{
    g_return_val_if_fail(from != NULL && to != NULL, NULL);
    const MsRoute *route = route_find(net, from, to);
    if (route->hosts == NULL)
        return NULL;
    GPtrArray *hosts = g_ptr_array_sized_new(route->hosts->len);
    for (guint i = 0; i < route->hosts->len; i++)
        g_ptr_array_add(hosts, route->hosts->pdata[i]);
    return hosts;
}

/* ---- Packets ------------------------------------------------------------- */

/* A packet schedules its own events (its arrival at the next host, or its
 * loss) rather than going through a task: a packet is always waiting for
 * exactly one event, so it can keep the event's id and its place on the
 * net's list of packets in flight itself, for freeing the net.  A task's
 * allocation, list and trampoline cost some 80 instructions a hop. */
typedef struct MsPacket MsPacket;

struct MsPacket {
    MsNet *net;            /* first: the spares are linked through it */
    MsPacket *prev;        /* in net->packets */
    MsPacket *next;
    MsEventId event;       /* the one it waits for (NONE: it never comes) */
    MsRoute *route;        /* held (route->refs) */
    GPtrArray *hosts;      /* the route's hosts, hosts[0] = source */
    GPtrArray *links;      /* links[i] joins hosts[i] and hosts[i + 1] */
    guint hop;             /* index in hosts of where the packet is */
    guint32 bytes;
    MsNetDeliverFn fn;
    gpointer data;
    GDestroyNotify destroy;
    const MsHost *lost_where;
    char *lost_why;
};

/* Every segment is a packet: a freed one is kept for the next instead of
 * going back to malloc, its first word linking the spares. */
static void packet_free(MsPacket *p)
{
    MsNet *net = p->net;

    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        net->packets = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    if (p->data != NULL && p->destroy != NULL)
        p->destroy(p->data);
    route_unref(p->route);
    g_free(p->lost_why);
    ms_spare_push(&net->spare_packets, p);
}

static MsPacket *packet_new(MsNet *net)
{
    MsPacket *p = ms_spare_pop(&net->spare_packets, sizeof(MsPacket));

    p->net = net;
    p->next = net->packets;
    if (net->packets != NULL)
        net->packets->prev = p;
    net->packets = p;
    return p;
}

/* Packets still in flight are dropped, their data destroyed. */
static void packets_free_all(MsNet *net)
{
    while (net->packets != NULL) {
        MsPacket *p = net->packets;

        if (p->event != MS_EVENT_ID_NONE)
            ms_sim_cancel(net->sim, p->event);
        packet_free(p);
    }
    ms_spare_free_all(&net->spare_packets);
}

/* fn(p) at `when` (clamped to now); never, for a link of infinite latency
 * say: the packet then stays in flight until the net is freed. */
static void packet_schedule(MsPacket *p, MsTime when, MsEventFn fn)
{
    MsSim *sim = p->net->sim;

    p->event = when >= MS_TIME_NEVER ? MS_EVENT_ID_NONE
                                     : ms_sim_schedule_at(sim, MAX(when, ms_sim_now(sim)), fn, p);
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
    packet_schedule(p, when, packet_lost_event);
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
    packet_schedule(p, arrive, packet_arrive);
    return start;
}

gboolean ms_net_send_packet_full(MsNet *net, MsHost *src, MsHost *dst, guint32 bytes,
                                 MsNetDeliverFn fn, gpointer data, GDestroyNotify destroy,
                                 MsRoute **route_cache, MsTime *first_start_out)
{
    MsTime now = ms_sim_now(net->sim);
    MsTime start = now;
    MsPacket *p;

    g_return_val_if_fail(src != NULL && dst != NULL && fn != NULL, FALSE);
    MsRoute *route = route_cache != NULL ? *route_cache : NULL;
    if (route == NULL || route->epoch != net->route_epoch) {
        route = route_find(net, src, dst);
        if (route_cache != NULL) {
            ms_net_route_release(route_cache);
            route->refs++;
            *route_cache = route;
        }
    }
    if (route->hosts == NULL)
        return FALSE;
    p = packet_new(net);
    p->route = route;
    route->refs++;
    p->hosts = route->hosts;
    p->links = route->links;
    p->bytes = bytes;
    p->fn = fn;
    p->data = data;
    p->destroy = destroy;
    if (!ms_host_is_up(src, now))
        packet_lose(p, now, src, g_strdup_printf("host %s down", src->name));
    else if (p->hosts->len == 1)
        packet_schedule(p, now, packet_arrive); /* to itself */
    else
        start = packet_forward(p);
    if (first_start_out != NULL)
        *first_start_out = start;
    return TRUE;
}

void ms_net_route_release(MsRoute **route_cache)
{
    if (*route_cache != NULL)
        route_unref(g_steal_pointer(route_cache));
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
    if (!ms_net_send_packet_full(net, src, dst, bytes, public_packet_done, pp, g_free, NULL,
                                 NULL)) {
        g_free(pp);
        return FALSE;
    }
    return TRUE;
}
