/* tcp.c - TCP connections carried by the packet layer: sending, the
 * retransmission timer, and the public API.
 *
 * Both ends of a connection live in one MsTcpConn; segments travel between
 * them as packets on the simulated network and can be delayed or lost there.
 * The model keeps what a course on e-mail needs: the three-way handshake, an
 * application write becoming one segment (or several, split at the MSS), an
 * immediate cumulative ACK for every segment, retransmission on timeout with
 * the RTO and the single timer of RFC 6298, and the FIN teardown.  There is
 * no window, no flow or congestion control and no TIME-WAIT;
 * docs/network-model.md lists every simplification.  Segments arriving are
 * handled in tcp_input.c; the table of connections, opening a connection
 * and freeing it in tcp_conn.c.
 */
#include <string.h>

#include "net/tcp-private.h"
#include "mailsim/core.h"

#define MS_TCP_STATE_NAME_(e, s) s,
static const char *const state_names[] = { MS_TCP_STATES(MS_TCP_STATE_NAME_) };
#undef MS_TCP_STATE_NAME_

/* ---- Allocation ---------------------------------------------------------- */

#define TRACKERS_MIN 4u

/* Appends n trackers to side s's block. */
static void trackers_append(MsTcpConn *conn, int s, const MsTcpTracker *items, guint n)
{
    MsTcpSide *side = &conn->sides[s];
    MsTcpTrackers *t = side->trackers;

    if (t == NULL) {
        MsTcpTable *table = conn_table(conn);

        t = table->spare_trackers;
        if (t != NULL) {
            table->spare_trackers = t->next;
        } else {
            t = g_malloc(sizeof *t + TRACKERS_MIN * sizeof(MsTcpTracker));
            t->len = 0;
            t->cap = TRACKERS_MIN;
        }
        t->next = NULL;
        side->trackers = t;
    }
    if (t->cap - t->len < n) {
        while (t->cap - t->len < n) {
            g_assert(t->cap <= G_MAXUINT / 2);
            t->cap *= 2;
        }
        t = g_realloc(t, sizeof *t + (gsize) t->cap * sizeof(MsTcpTracker));
        side->trackers = t;
    }
    /* Most bursts are one line: a copy of one tracker, not a call. */
    if (n == 1)
        t->items[t->len] = items[0];
    else
        memcpy(&t->items[t->len], items, n * sizeof *items);
    t->len += n;
}

/* Every segment sent is a wire, with the packet that carries it: a freed
 * one is kept for the next, its first word linking the spares.  Wires
 * outlive no connection: one in flight holds its connection (conn->holds),
 * and at the end the table frees every wire it made, abandoning those
 * still in flight (ms_tcp_table_free()). */
static void wire_free(gpointer data)
{
    ms_tcp_wire_free(data);
}

void ms_tcp_wire_forget(MsTcpTable *table, MsTcpWire *wire)
{
    if (wire->made_prev != NULL)
        wire->made_prev->made_next = wire->made_next;
    else
        table->wires = wire->made_next;
    if (wire->made_next != NULL)
        wire->made_next->made_prev = wire->made_prev;
}

/* A spare wire, or a new one.  A wire's packet keeps what the net needs
 * of it that is the same at every send (its net, callback and data, not
 * listed, and no route and no loss, which the net clears when it is
 * done): a new wire sets it once, and a spare one still has it.  The
 * other fields are set at each send. */
static MsTcpWire *wire_new(MsTcpConn *conn)
{
    MsTcpTable *table = conn_table(conn);
    MsTcpWire *wire = table->spare_wires;

    if (G_LIKELY(wire != NULL)) {
        table->spare_wires = *(gpointer *) wire;
        return wire;
    }
    wire = g_malloc(sizeof *wire);
    wire->made_prev = NULL;
    wire->made_next = table->wires;
    if (table->wires != NULL)
        table->wires->made_prev = wire;
    table->wires = wire;
    wire->packet.net = conn->net;
    wire->packet.route = NULL;
    wire->packet.listed = FALSE;
    wire->packet.fn = ms_tcp_wire_done;
    wire->packet.data = wire;
    wire->packet.destroy = NULL;
    wire->packet.lost_where = NULL;
    wire->packet.lost_why = NULL;
    return wire;
}

/* ---- Small helpers ------------------------------------------------------- */

static int side_index(MsDir dir)
{
    if (dir == MS_DIR_CLIENT)
        return MS_TCP_CLIENT;
    if (dir == MS_DIR_SERVER)
        return MS_TCP_SERVER;
    return -1;
}

static MsDir side_dir(int s)
{
    return s == MS_TCP_CLIENT ? MS_DIR_CLIENT : MS_DIR_SERVER;
}

void ms_tcp_set_state(MsTcpConn *conn, int s, MsTcpState state)
{
    MsTcpSide *side = &conn->sides[s];

    MS_DEBUG("tcp conn %u %s: %s -> %s", conn->id, s == MS_TCP_CLIENT ? "client" : "server",
            state_names[side->state], state_names[state]);
    side->state = state;
}

static gboolean side_is_open(const MsTcpConn *conn, int s)
{
    const MsTcpSide *side = &conn->sides[s];

    if (conn->dead || side->finished || side->close_requested)
        return FALSE;
    return side->state == MS_TCP_STATE_SYN_SENT || side->state == MS_TCP_STATE_SYN_RECEIVED
           || side->state == MS_TCP_STATE_ESTABLISHED || side->state == MS_TCP_STATE_CLOSE_WAIT;
}

/* A record about the connection, seen from side s.  Written in place: a
 * record is 128 bytes, and returning it by value copied it twice for every
 * segment. */
void ms_tcp_conn_record(const MsTcpConn *conn, MsTraceKind kind, int s, MsTraceRecord *rec_out)
{
    MsTraceRecord *rec = rec_out;

    memset(rec, 0, sizeof *rec);
    rec->kind = kind;
    rec->time = conn_now(conn);
    rec->arrival = -1;
    rec->conn = conn->id;
    rec->protocol = conn->protocol;
    rec->dir = side_dir(s);
    rec->src = conn->sides[s].host->name;
    rec->dst = conn->sides[1 - s].host->name;
    rec->src_port = conn->sides[s].port;
    rec->dst_port = conn->sides[1 - s].port;
    rec->count = conn->attempt;
}

/* The trace context of side s's lines (protocol: the connection's) or
 * segments ("TCP"), made on first use. */
static MsTraceContext side_context(MsTcpConn *conn, int s, gboolean segments)
{
    MsTcpSide *side = &conn->sides[s];
    guint32 *ctx = segments ? &side->wire_ctx : &side->line_ctx;

    if (*ctx == 0) {
        MsTraceRecord rec;

        ms_tcp_conn_record(conn, MS_TRACE_LINE, s, &rec);

        if (segments)
            rec.protocol = "TCP";
        *ctx = ms_trace_context(conn_trace(conn), &rec) + 1;
    }
    return *ctx - 1;
}

guint64 ms_tcp_conn_emit(MsTcpConn *conn, int s, const MsTraceRecord *rec)
{
    return ms_trace_emit_in(conn_trace(conn), side_context(conn, s, FALSE), rec);
}

static void wire_record(const MsTcpWire *wire, MsTraceKind kind, MsTraceRecord *rec_out)
{
    ms_tcp_conn_record(wire->conn, kind, wire->from, rec_out);
    rec_out->protocol = "TCP";
    rec_out->count = 0;
    rec_out->flags = wire->flags;
    /* Sequence numbers wrap at 2^32 on the wire (RFC 9293 3.4). */
    rec_out->seq = (guint32) wire->seq;
    rec_out->ack = (guint32) wire->ack;
    rec_out->len = wire->len;
    rec_out->retransmit = wire->retransmit;
}

/* ---- Sending segments ---------------------------------------------------- */

void ms_tcp_wire_lost(const MsTcpWire *wire, const char *why)
{
    MsTraceRecord rec;

    wire_record(wire, MS_TRACE_SEGMENT_LOST, &rec);
    rec.detail = why;
    ms_trace_emit(conn_trace(wire->conn), &rec);
}

/* Side s's route to its peer, searched again when the net's routes have
 * changed (or the first time). */
static G_GNUC_NO_INLINE MsRoute *side_route(MsTcpConn *conn, int s)
{
    MsTcpSide *side = &conn->sides[s];
    MsRoute *route = ms_net_route_find(conn->net, side->host, conn->sides[1 - s].host);

    ms_net_route_release(&side->route);
    route->refs++;
    side->route = route;
    return route;
}

/* Puts one segment on the network from side s and traces it.  Returns when
 * its transmission on the first link starts.  The side keeps its route, and
 * the wire its packet's fixed part, so a segment goes straight to
 * ms_net_packet_send(). */
MsTime ms_tcp_wire_send(MsTcpConn *conn, int s, guint flags, guint64 seq, guint64 ack,
                        guint32 len, guint retransmit)
{
    MsTcpSide *side = &conn->sides[s];
    MsRoute *route = side->route;
    MsTcpWire *wire = wire_new(conn);
    MsTime start = conn_now(conn);

    if (G_UNLIKELY(route == NULL || route->epoch != conn->net->route_epoch))
        route = side_route(conn, s);
    wire->conn = conn;
    wire->from = s;
    wire->flags = flags;
    wire->seq = seq;
    wire->ack = ack;
    wire->len = len;
    wire->retransmit = retransmit;
    /* Sequence numbers wrap at 2^32 on the wire (RFC 9293 3.4). */
    wire->trace_id = ms_trace_emit_segment(conn_trace(conn), side_context(conn, s, TRUE),
                                           MS_TRACE_SEGMENT_SENT, start, side_dir(s), flags,
                                           (guint32) seq, (guint32) ack, len, retransmit);
    if (G_UNLIKELY(!route->reachable)) {
        MsTraceRecord rec;

        wire_record(wire, MS_TRACE_SEGMENT_LOST, &rec);
        rec.detail = "no route to host";
        ms_trace_emit(conn_trace(conn), &rec);
        wire_free(wire);
        return start;
    }
    conn->holds++;
    return ms_net_packet_send(conn->net, &wire->packet, route, MS_TCP_HEADER_BYTES + len);
}

static void rtx_timer_fired(gpointer data);

/* (Re)starts side s's retransmission timer to expire RTO after `from`. */
void ms_tcp_timer_start(MsTcpConn *conn, int s, MsTime from)
{
    MsTcpSide *side = &conn->sides[s];
    MsTime due = from > MS_TIME_NEVER - side->rto ? MS_TIME_NEVER : from + side->rto;

    if (side->timer == NULL)
        side->timer = ms_net_task_at(conn->net, due, rtx_timer_fired, side, NULL);
    else
        ms_net_task_move(conn->net, side->timer, due);
    side->timer_armed = TRUE;
}

/* Sends (or resends) a segment from the retransmission queue. */
static void seg_transmit(MsTcpConn *conn, MsTcpSeg *seg)
{
    MsTcpSide *side = &conn->sides[seg->side];
    guint flags = seg->flags;
    guint64 ack = 0;
    MsTime start;

    if (side->rcv_synced) {
        flags |= MS_TCP_ACK;
        ack = side->rcv_nxt;
    }
    start = ms_tcp_wire_send(conn, seg->side, flags, seg->seq, ack, seg->len, seg->retransmits);
    if (seg->retransmits == 0)
        seg->first_start = start;
    /* RFC 6298 5.1: start the timer if it is not running (5.6: always after
     * a retransmission).  It runs from when the segment leaves the host, as
     * a stack's timer runs from when the interface takes the segment. */
    if (!side->timer_armed || seg->retransmits > 0)
        ms_tcp_timer_start(conn, seg->side, start);
}

/* Queues a segment consuming sequence space and sends it. */
void ms_tcp_seg_send_new(MsTcpConn *conn, int s, guint flags, guint32 len)
{
    MsTcpSide *side = &conn->sides[s];
    MsTcpSeg *seg = ms_spare_take(&conn_table(conn)->spare_segs, sizeof(MsTcpSeg));

    /* Every field is set here (first_start by seg_transmit()), so a spare
     * segment is not zeroed first. */
    seg->side = s;
    seg->flags = flags;
    seg->seq = side->snd_nxt;
    seg->len = len;
    seg->retransmits = 0;
    seg->next = NULL;
    side->snd_nxt = ms_tcp_seg_end(seg);
    if (side->rtx_head == NULL)
        side->rtx_head = seg;
    else
        side->rtx_tail->next = seg;
    side->rtx_tail = seg;
    seg_transmit(conn, seg);
}

/* One application write of len bytes, the next in the send buffer after
 * what was sent: segments of at most MSS bytes, back to back; PSH marks
 * the last one, as stacks do at the end of a write. */
static void send_write(MsTcpConn *conn, int s, guint64 len)
{
    guint64 mss = conn_table(conn)->mss;

    for (guint64 off = 0; off < len; off += mss) {
        guint64 n = MIN(mss, len - off);
        guint flags = off + n == len ? MS_TCP_PSH : 0;

        ms_tcp_seg_send_new(conn, s, flags, (guint32) n);
    }
}

/* Sends what the application wrote and, if it asked, the FIN behind it;
 * only once the side is synchronised and before its FIN. */
void ms_tcp_side_flush(MsTcpConn *conn, int s)
{
    MsTcpSide *side = &conn->sides[s];

    if (side->state != MS_TCP_STATE_ESTABLISHED && side->state != MS_TCP_STATE_CLOSE_WAIT)
        return;
    if (side->pending != NULL) {
        GArray *pending = g_steal_pointer(&side->pending);

        /* Data starts at sequence number 1: the next byte to send is at
         * stream offset snd_nxt - 1. */
        for (guint i = 0; i < pending->len; i++)
            send_write(conn, s, g_array_index(pending, guint64, i) - (side->snd_nxt - 1));
        g_array_unref(pending);
    }
    if (side->close_requested && !side->fin_sent) {
        side->fin_sent = TRUE;
        /* RFC 9293 3.10.4: CLOSE in ESTABLISHED goes to FIN-WAIT-1, in
         * CLOSE-WAIT to LAST-ACK. */
        ms_tcp_set_state(conn, s,
                         side->state == MS_TCP_STATE_ESTABLISHED ? MS_TCP_STATE_FIN_WAIT_1
                                                                 : MS_TCP_STATE_LAST_ACK);
        ms_tcp_seg_send_new(conn, s, MS_TCP_FIN, 0);
    }
}

/* ---- The retransmission timer running out -------------------------------- */

static void conn_give_up(MsTcpConn *conn, int s)
{
    MsTraceRecord rec;
    g_autofree char *detail = NULL;

    if (s == MS_TCP_CLIENT && conn->sides[s].state == MS_TCP_STATE_SYN_SENT) {
        ms_tcp_conn_terminate(conn, "connection timed out");
        return;
    }
    detail = g_strdup_printf("%s gave up after %u retransmissions",
                             ms_host_name(conn->sides[s].host), conn_table(conn)->max_retries);
    ms_tcp_conn_record(conn, MS_TRACE_CONN_ABORT, s, &rec);
    rec.detail = detail;
    ms_trace_emit(conn_trace(conn), &rec);
    ms_tcp_conn_terminate(conn, "connection timed out");
}

static void rtx_timer_fired(gpointer data)
{
    MsTcpSide *side = data;
    MsTcpConn *conn = side->conn;
    MsTcpSeg *seg = side->rtx_head;

    side->timer = NULL;
    side->timer_armed = FALSE;
    if (seg == NULL || conn->dead) {
        ms_tcp_conn_settle(conn);
    } else if (seg->retransmits >= conn_table(conn)->max_retries) {
        conn_give_up(conn, side->index);
        ms_tcp_conn_settle(conn);
    } else {
        /* RFC 6298 5.4: resend the earliest unacknowledged segment; 5.5:
         * back off the timer; 5.6: restart it (in seg_transmit). */
        seg->retransmits++;
        if (side->rto < MS_TCP_RTO_MAX)
            side->rto = MIN(side->rto * 2, MS_TCP_RTO_MAX);
        seg_transmit(conn, seg);
    }
}

/* ---- Public API ---------------------------------------------------------- */

void ms_tcp_conn_set_callbacks(MsTcpConn *conn, MsDir side, const MsTcpCallbacks *callbacks,
                               gpointer user_data)
{
    int s = side_index(side);
    MsTcpCallbacks none = { 0 };

    g_return_if_fail(conn != NULL && s >= 0);
    conn->sides[s].cb = callbacks != NULL ? *callbacks : none;
    conn->sides[s].user_data = user_data;
}

char *ms_tcp_send_reserve(MsTcpConn *conn, MsDir side, gsize len)
{
    int s = side_index(side);
    MsTcpSide *me;

    g_return_val_if_fail(conn != NULL && s >= 0, NULL);
    if (!side_is_open(conn, s))
        return NULL;
    me = &conn->sides[s];
    return ms_tcp_buf_reserve(&me->sbuf, &conn_table(conn)->spare_blocks, ms_tcp_side_keep(me),
                              len);
}

guint64 ms_tcp_send_commit(MsTcpConn *conn, MsDir side, gsize len)
{
    int s = side_index(side);
    MsTcpSide *me;

    g_return_val_if_fail(conn != NULL && s >= 0, 0);
    me = &conn->sides[s];
    if (len == 0)
        return me->sbuf.end;
    g_return_val_if_fail(side_is_open(conn, s) && me->sbuf.data != NULL, me->sbuf.end);
    g_return_val_if_fail(me->sbuf.end + len - me->sbuf.start <= me->sbuf.cap, me->sbuf.end);
    me->sbuf.end += len;
    /* Once established, with nothing waiting before it, the write goes out
     * at once (what ms_tcp_side_flush() would do) without being queued. */
    if (me->pending == NULL &&
        (me->state == MS_TCP_STATE_ESTABLISHED || me->state == MS_TCP_STATE_CLOSE_WAIT)) {
        send_write(conn, s, len);
        return me->sbuf.end;
    }
    if (me->pending == NULL)
        me->pending = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_array_append_val(me->pending, me->sbuf.end);
    ms_tcp_side_flush(conn, s);
    return me->sbuf.end;
}

guint64 ms_tcp_send(MsTcpConn *conn, MsDir side, const char *bytes, gsize len)
{
    int s = side_index(side);
    char *room;

    g_return_val_if_fail(conn != NULL && s >= 0, 0);
    if (len == 0 || bytes == NULL)
        return conn->sides[s].sbuf.end;
    room = ms_tcp_send_reserve(conn, side, len);
    if (room == NULL)
        return conn->sides[s].sbuf.end;
    memcpy(room, bytes, len);
    return ms_tcp_send_commit(conn, side, len);
}

guint64 ms_tcp_send_bytes(MsTcpConn *conn, MsDir side, GBytes *bytes)
{
    g_autoptr(GBytes) owned = bytes;
    gsize len = 0;
    const char *data = bytes != NULL ? g_bytes_get_data(bytes, &len) : NULL;

    return ms_tcp_send(conn, side, data, len);
}

void ms_tcp_track_arrival(MsTcpConn *conn, MsDir side, guint64 end_offset, guint64 trace_id)
{
    MsTcpArrival line = { end_offset, trace_id };

    ms_tcp_track_arrivals(conn, side, &line, 1);
}

void ms_tcp_track_arrivals(MsTcpConn *conn, MsDir side, const MsTcpArrival *lines, guint n)
{
    int s = side_index(side);
    guint i = 0;

    g_return_if_fail(conn != NULL && s >= 0);
    /* The lines the peer has already received are arrived now; the rest,
     * which end later in the stream, wait in one block. */
    guint64 received = conn->sides[1 - s].received;
    for (; i < n && lines[i].end <= received; i++)
        ms_trace_set_arrival(conn_trace(conn), lines[i].trace_id, conn_now(conn));
    if (i < n)
        trackers_append(conn, s, lines + i, n - i);
}

void ms_tcp_close(MsTcpConn *conn, MsDir side)
{
    int s = side_index(side);
    MsTcpSide *me;

    g_return_if_fail(conn != NULL && s >= 0);
    me = &conn->sides[s];
    if (!side_is_open(conn, s))
        return;
    me->close_requested = TRUE;
    ms_tcp_side_flush(conn, s);
}

guint ms_net_take_conn_id(MsNet *net)
{
    return ++ms_net_tcp_table(net)->last_id;
}

MsTraceContext ms_tcp_conn_trace_context(MsTcpConn *conn, MsDir side)
{
    int s = side_index(side);

    g_return_val_if_fail(conn != NULL && s >= 0, 0);
    return side_context(conn, s, FALSE);
}

guint ms_tcp_conn_id(const MsTcpConn *conn)
{
    return conn->id;
}

const char *ms_tcp_conn_protocol(const MsTcpConn *conn)
{
    return conn->protocol;
}

MsHost *ms_tcp_conn_host(const MsTcpConn *conn, MsDir side)
{
    int s = side_index(side);

    return s >= 0 ? conn->sides[s].host : NULL;
}

guint16 ms_tcp_conn_port(const MsTcpConn *conn, MsDir side)
{
    int s = side_index(side);

    return s >= 0 ? conn->sides[s].port : 0;
}

gboolean ms_tcp_conn_is_open(const MsTcpConn *conn, MsDir side)
{
    int s = side_index(side);

    return s >= 0 && side_is_open(conn, s);
}

guint ms_net_tcp_conn_count(MsNet *net)
{
    return ms_net_tcp_table(net)->conns->len;
}

gboolean ms_tcp_conn_quiet(const MsTcpConn *conn)
{
    for (int s = 0; s < 2; s++) {
        const MsTcpSide *side = &conn->sides[s];

        if (side->rtx_head != NULL || side->pending != NULL)
            return FALSE;
    }
    return TRUE;
}
