/* net.c - the net: its hosts and links, their down times and the trace
 * records those make, and the net's tasks.
 *
 * Routes between the hosts are searched in route.c, and packets move along
 * them in packet.c; docs/network-model.md states the model in full.
 */
#include "net/net-private.h"

#include <string.h>

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

void ms_net_task_run(gpointer data)
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
    task->id = when >= MS_TIME_NEVER
                   ? MS_EVENT_ID_NONE
                   : ms_event_queue_push(net->queue, MAX(when, now), ms_net_task_run, task);
    return task;
}

void ms_net_task_cancel(MsNet *net, MsNetTask *task)
{
    if (task == NULL)
        return;
    if (task->id != MS_EVENT_ID_NONE)
        ms_event_queue_cancel(net->queue, task->id);
    task_finish(net, task);
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
    net->queue = ms_sim_queue(sim);
    net->hosts = g_ptr_array_new_with_free_func(host_free);
    net->links = g_ptr_array_new_with_free_func(link_free);
    net->by_name = g_hash_table_new(ms_name_hash, ms_name_hash_equal);
    ms_net_routes_init(net);
    net->tcp = ms_tcp_table_new();
    return net;
}

void ms_net_free(MsNet *net)
{
    if (net == NULL)
        return;
    /* Packets in flight hold TCP segments; free them (and the tasks) before
     * the connections. */
    tasks_free_all(net);
    ms_net_packets_free_all(net);
    ms_tcp_table_free(net->tcp);
    ms_net_routes_free(net);
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

/* ---- Down times and their trace records -------------------------------- */

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
    ms_net_routes_drop(net);
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
    return ms_net_spans_up(host->down, t);
}

static void service_boundary(gpointer data)
{
    MsService *svc = data;
    MsNet *net = svc->host->net;
    MsTime now = ms_sim_now(net->sim);
    gboolean up = ms_net_spans_up(svc->down, now);
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
            if (svc->ports[p] == port && !ms_net_spans_up(svc->down, t))
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
    ms_net_routes_drop(net);
    return link;
}

void ms_link_schedule_down(MsLink *link, MsTime from, MsTime until)
{
    schedule_span(link->net, link->down, from, until, link_boundary, link);
}

gboolean ms_link_is_up(const MsLink *link, MsTime t)
{
    return ms_net_spans_up(link->down, t);
}

MsTime ms_link_latency(const MsLink *link)
{
    return link->latency;
}

guint64 ms_link_bandwidth(const MsLink *link)
{
    return link->bandwidth;
}
