/* tcp_conn.c - a TCP connection's life around its segments: the table of
 * connections and listeners, listening, opening a connection, and freeing
 * it once it is over.  Sending and the retransmission timer are in tcp.c,
 * segments arriving in tcp_input.c.
 */
#include <string.h>

#include "net/tcp-private.h"
#include "mailsim/core.h"

/* ---- The table ----------------------------------------------------------- */

/* A connection whose protocol's name fits in this many bytes (every one
 * a run opens) is of one size: a freed one is kept for the next. */
#define CONN_PROTOCOL_BYTES 16u

/* Timer tasks must already be cancelled (or freed with the net's tasks). */
static void conn_free(gpointer data)
{
    MsTcpConn *conn = data;

    for (int s = 0; s < 2; s++) {
        MsTcpSide *side = &conn->sides[s];

        while (side->rtx_head != NULL) {
            MsTcpSeg *seg = side->rtx_head;

            side->rtx_head = seg->next;
            ms_tcp_seg_free(conn, seg);
        }
        if (side->pending != NULL)
            g_array_unref(side->pending);
        /* Nearly always empty by now, and each of these was a call. */
        if (side->ooo != NULL)
            g_list_free_full(side->ooo, g_free);
        if (side->sbuf.data != NULL)
            ms_tcp_buf_clear(&side->sbuf, &conn_table(conn)->spare_blocks);
        if (side->trackers != NULL)
            g_free(side->trackers);
        ms_net_route_release(&side->route);
    }
    if (strlen(conn->protocol) < CONN_PROTOCOL_BYTES)
        ms_spare_push(&conn_table(conn)->spare_conns, conn);
    else
        g_free(conn);
}

static void listener_free(gpointer data)
{
    MsListener *listener = data;

    g_free(listener->protocol);
    g_free(listener);
}

MsTcpTable *ms_tcp_table_new(void)
{
    MsTcpTable *table = g_new0(MsTcpTable, 1);

    table->conns = g_ptr_array_new_with_free_func(conn_free);
    table->listeners = g_ptr_array_new_with_free_func(listener_free);
    table->mss = MS_TCP_DEFAULT_MSS;
    table->initial_rto = MS_TCP_DEFAULT_RTO;
    table->max_retries = MS_TCP_DEFAULT_RETRIES;
    return table;
}

void ms_tcp_table_free(MsTcpTable *table)
{
    if (table == NULL)
        return;
    g_ptr_array_unref(table->conns);
    g_ptr_array_unref(table->listeners);
    while (table->spare_trackers != NULL) {
        MsTcpTrackers *t = table->spare_trackers;

        table->spare_trackers = t->next;
        g_free(t);
    }
    ms_spare_free_all(&table->spare_conns);
    /* Every wire is on the list of those made, the spares too; one still
     * in flight is abandoned first (the net's routes and the simulator
     * outlive the table). */
    while (table->wires != NULL) {
        MsTcpWire *wire = table->wires;

        table->wires = wire->made_next;
        if (wire->packet.route != NULL)
            ms_net_packet_abandon(&wire->packet);
        g_free(wire);
    }
    table->spare_wires = NULL;
    ms_spare_free_all(&table->spare_segs);
    ms_spare_free_all(&table->spare_blocks);
    g_free(table);
}

void ms_net_set_mss(MsNet *net, guint32 mss)
{
    g_return_if_fail(mss > 0);
    ms_net_tcp_table(net)->mss = mss;
}

void ms_net_set_rto(MsNet *net, MsTime initial_rto, guint max_retries)
{
    MsTcpTable *table = ms_net_tcp_table(net);

    g_return_if_fail(initial_rto > 0);
    table->initial_rto = initial_rto;
    table->max_retries = max_retries;
}

/* ---- Listening ----------------------------------------------------------- */

MsListener *ms_tcp_listener_find(MsTcpTable *table, const MsHost *host, guint16 port)
{
    for (guint i = 0; i < table->listeners->len; i++) {
        MsListener *listener = table->listeners->pdata[i];

        if (listener->host == host && listener->port == port)
            return listener;
    }
    return NULL;
}

gboolean ms_tcp_listen(MsNet *net, MsHost *host, guint16 port, const char *protocol,
                       MsTcpAcceptFn accept, gpointer listener_data, GError **error)
{
    MsTcpTable *table = ms_net_tcp_table(net);
    MsListener *listener;

    g_return_val_if_fail(host != NULL && accept != NULL, FALSE);
    if (ms_tcp_listener_find(table, host, port) != NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SIMULATION, "%s already listens on port %u",
                    ms_host_name(host), port);
        return FALSE;
    }
    listener = g_new0(MsListener, 1);
    listener->host = host;
    listener->port = port;
    listener->protocol = g_strdup(protocol != NULL ? protocol : "TCP");
    listener->accept = accept;
    listener->data = listener_data;
    g_ptr_array_add(table->listeners, listener);
    return TRUE;
}

void ms_tcp_unlisten(MsNet *net, MsHost *host, guint16 port)
{
    MsTcpTable *table = ms_net_tcp_table(net);
    MsListener *listener = ms_tcp_listener_find(table, host, port);

    if (listener != NULL)
        g_ptr_array_remove(table->listeners, listener);
}

/* ---- Opening a connection ------------------------------------------------ */

static void side_init(MsTcpConn *conn, int s, MsTcpTable *table, MsHost *host, guint16 port)
{
    MsTcpSide *side = &conn->sides[s];

    side->conn = conn;
    side->index = s;
    side->host = host;
    side->port = port;
    side->rto = table->initial_rto;
}

static void refuse_no_route(gpointer data)
{
    MsTcpConn *conn = data;

    conn->holds--;
    if (!conn->dead)
        ms_tcp_conn_terminate(conn, "no route to host");
    ms_tcp_conn_settle(conn);
}

MsTcpConn *ms_tcp_connect(MsNet *net, MsHost *client, MsHost *server, guint16 port,
                          const char *protocol, const MsTcpCallbacks *callbacks,
                          gpointer user_data)
{
    return ms_tcp_connect_attempt(net, client, server, port, protocol, callbacks, user_data, 0);
}

MsTcpConn *ms_tcp_connect_attempt(MsNet *net, MsHost *client, MsHost *server, guint16 port,
                                  const char *protocol, const MsTcpCallbacks *callbacks,
                                  gpointer user_data, guint attempt)
{
    MsTcpTable *table = ms_net_tcp_table(net);
    MsTcpConn *conn;
    MsTraceRecord rec;
    MsRoute *route;
    gsize protocol_size;

    g_return_val_if_fail(client != NULL && server != NULL, NULL);
    if (protocol == NULL)
        protocol = "TCP";
    protocol_size = strlen(protocol) + 1;
    /* A spare one is some 250 instructions cheaper than malloc and free. */
    if (protocol_size <= CONN_PROTOCOL_BYTES)
        conn = ms_spare_pop(&table->spare_conns, sizeof *conn + CONN_PROTOCOL_BYTES);
    else
        conn = g_malloc0(sizeof *conn + protocol_size);
    conn->net = net;
    conn->sim = ms_net_sim(net);
    conn->table = table;
    conn->trace = ms_sim_trace(conn->sim);
    conn->id = ++table->last_id;
    conn->protocol = memcpy(conn->protocol_bytes, protocol, protocol_size);
    conn->attempt = attempt;
    side_init(conn, MS_TCP_CLIENT, table, client, ms_host_take_ephemeral_port(client));
    side_init(conn, MS_TCP_SERVER, table, server, port);
    if (callbacks != NULL)
        conn->sides[MS_TCP_CLIENT].cb = *callbacks;
    conn->sides[MS_TCP_CLIENT].user_data = user_data;
    conn->sides[MS_TCP_CLIENT].state = MS_TCP_STATE_SYN_SENT;
    conn->slot = table->conns->len;
    g_ptr_array_add(table->conns, conn);

    ms_tcp_conn_record(conn, MS_TRACE_CONN_OPEN, MS_TCP_CLIENT, &rec);
    ms_tcp_conn_emit(conn, MS_TCP_CLIENT, &rec);
    /* The net's own route, kept by the client side for its segments (as
     * ms_net_send_packet_full() would keep it), rather than a copy of its
     * hosts made only to be looked at: some 800 instructions a connection. */
    route = ms_net_route_find(net, client, server);
    if (!route->reachable) {
        /* Refused at once, but from an event: the caller has not even got
         * the connection back yet. */
        conn->holds++;
        ms_net_task_at(net, conn_now(conn), refuse_no_route, conn, NULL);
        return conn;
    }
    route->refs++;
    conn->sides[MS_TCP_CLIENT].route = route;
    ms_tcp_seg_send_new(conn, MS_TCP_CLIENT, MS_TCP_SYN, 0); /* ISN 0 (see the docs) */
    return conn;
}

static void connect_timeout_fired(gpointer data)
{
    MsTcpConn *conn = data;

    conn->holds--;
    if (!conn->dead && conn->sides[MS_TCP_CLIENT].state == MS_TCP_STATE_SYN_SENT) {
        g_autofree char *span = ms_time_format_human(conn->connect_timeout);
        g_autofree char *why = g_strdup_printf("connection timed out after %s", span);
        ms_tcp_conn_terminate(conn, why);
    }
    ms_tcp_conn_settle(conn);
}

void ms_tcp_conn_set_connect_timeout(MsTcpConn *conn, MsTime timeout)
{
    g_return_if_fail(conn != NULL && timeout > 0);
    if (conn->dead || conn->sides[MS_TCP_CLIENT].state != MS_TCP_STATE_SYN_SENT)
        return;
    conn->connect_timeout = timeout;
    conn->holds++;
    ms_net_task_at(conn->net, ms_time_add(conn_now(conn), timeout), connect_timeout_fired, conn,
                   NULL);
}

/* ---- Ending a connection ------------------------------------------------- */

/* Refusal or abort: every side still running hears of it, the client with
 * `refused` if it never got through the handshake, otherwise `closed`. */
void ms_tcp_conn_terminate(MsTcpConn *conn, const char *why)
{
    conn->dead = TRUE;
    ms_tcp_timer_stop(conn, MS_TCP_CLIENT);
    ms_tcp_timer_stop(conn, MS_TCP_SERVER);
    for (int s = 0; s < 2; s++) {
        MsTcpSide *side = &conn->sides[s];
        gboolean never_connected = side->state == MS_TCP_STATE_SYN_SENT;

        if (side->finished || side->state == MS_TCP_STATE_IDLE)
            continue;
        side->finished = TRUE;
        ms_tcp_set_state(conn, s, never_connected ? MS_TCP_STATE_REFUSED : MS_TCP_STATE_ABORTED);
        if (never_connected) {
            MsTraceRecord rec;

            ms_tcp_conn_record(conn, MS_TRACE_CONN_REFUSED, s, &rec);
            rec.detail = why;
            ms_trace_emit(conn_trace(conn), &rec);
            if (side->cb.refused != NULL)
                side->cb.refused(conn, why, side->user_data);
        } else if (side->cb.closed != NULL) {
            side->cb.closed(conn, TRUE, side->user_data);
        }
    }
}

static gboolean side_over(const MsTcpSide *side)
{
    return side->finished || side->state == MS_TCP_STATE_IDLE;
}

void ms_tcp_conn_settle(MsTcpConn *conn)
{
    GPtrArray *conns = conn_table(conn)->conns;

    if (conn->holds > 0 || conn->sides[0].timer_armed || conn->sides[1].timer_armed
        || !side_over(&conn->sides[0]) || !side_over(&conn->sides[1]))
        return;
    for (int s = 0; s < 2; s++)
        ms_net_task_cancel(conn->net, g_steal_pointer(&conn->sides[s].timer));
    /* The last connection takes its place: the table's order is only the
     * order of freeing at the end. */
    g_ptr_array_steal_index_fast(conns, conn->slot);
    if (conn->slot < conns->len)
        ((MsTcpConn *) conns->pdata[conn->slot])->slot = conn->slot;
    conn_free(conn);
}
