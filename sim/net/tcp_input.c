/* tcp_input.c - what a side of a TCP connection does with each segment
 * that reaches it: the handshake's SYN, SYN-ACK and ACK, cumulative ACKs and
 * the RTT samples they give, in-order delivery through a reorder buffer, and
 * the FIN exchange.  Every branch follows RFC 9293 3.10.7 ("SEGMENT
 * ARRIVES") as far as the model goes.
 */
#include "net/tcp-private.h"

/* Normal end of one side: its FIN was acknowledged and the peer's FIN
 * arrived.  No TIME-WAIT is modelled. */
static void side_closed(MsTcpConn *conn, int s)
{
    MsTcpSide *side = &conn->sides[s];

    side->finished = TRUE;
    ms_tcp_set_state(conn, s, MS_TCP_STATE_CLOSED);
    if (conn->sides[1 - s].state == MS_TCP_STATE_CLOSED && !conn->close_traced) {
        MsTraceRecord rec;

        ms_tcp_conn_record(conn, MS_TRACE_CONN_CLOSE, MS_TCP_CLIENT, &rec);
        conn->close_traced = TRUE;
        rec.dir = MS_DIR_NONE;
        ms_tcp_conn_emit(conn, MS_TCP_CLIENT, &rec);
    }
    if (side->cb.closed != NULL)
        side->cb.closed(conn, FALSE, side->user_data);
}

/* ---- Receiving segments -------------------------------------------------- */

static void side_established(MsTcpConn *conn, int s)
{
    MsTcpSide *side = &conn->sides[s];
    MsTraceRecord rec;

    ms_tcp_conn_record(conn, MS_TRACE_CONN_ESTABLISHED, s, &rec);
    ms_tcp_set_state(conn, s, MS_TCP_STATE_ESTABLISHED);
    ms_tcp_conn_emit(conn, s, &rec);
    ms_tcp_side_flush(conn, s);
    if (side->cb.established != NULL)
        side->cb.established(conn, side->user_data);
}

static void rtt_sample(MsTcpSide *side, MsTime r)
{
    if (!side->have_rtt) {
        /* RFC 6298 2.2: the first measurement. */
        side->srtt = r;
        side->rttvar = r / 2;
        side->have_rtt = TRUE;
    } else {
        /* RFC 6298 2.3: beta = 1/4, alpha = 1/8; RTTVAR uses the old SRTT. */
        MsTime diff = side->srtt > r ? side->srtt - r : r - side->srtt;

        side->rttvar = (3 * side->rttvar + diff) / 4;
        side->srtt = (7 * side->srtt + r) / 8;
    }
    side->rto = side->srtt + MAX(MS_TCP_CLOCK_G, 4 * side->rttvar);
    side->rto = CLAMP(side->rto, MS_TCP_RTO_MIN, MS_TCP_RTO_MAX);
}

static void process_ack(MsTcpConn *conn, int s, guint64 ack)
{
    MsTcpSide *side = &conn->sides[s];
    gboolean retransmitted = FALSE;
    gboolean syn_acked = FALSE;
    gboolean any = FALSE;
    MsTime first_start = 0;

    /* RFC 9293 3.10.7.4: an ACK of nothing new, or of data not yet sent,
     * changes nothing. */
    if (ack <= side->snd_una || ack > side->snd_nxt)
        return;
    /* Nearly every segment's ACK comes here: the queue is linked by hand. */
    while (side->rtx_head != NULL && ms_tcp_seg_end(side->rtx_head) <= ack) {
        MsTcpSeg *seg = side->rtx_head;

        side->rtx_head = seg->next;

        retransmitted = retransmitted || seg->retransmits > 0;
        syn_acked = syn_acked || (seg->flags & MS_TCP_SYN) != 0;
        first_start = seg->first_start;
        any = TRUE;
        ms_tcp_seg_free(conn, seg);
    }
    side->snd_una = ack;
    ms_tcp_buf_acked(&side->sbuf, ms_tcp_side_keep(side));
    /* RFC 6298 3 (Karn): no sample when the ACK covers a retransmitted
     * segment, as it cannot tell which transmission it answers. */
    if (any && !retransmitted)
        rtt_sample(side, conn_now(conn) - first_start);
    /* RFC 6298 5.2: all acknowledged, stop the timer; 5.3: otherwise new
     * data was acknowledged, restart it. */
    if (side->rtx_head == NULL)
        ms_tcp_timer_stop(conn, s);
    else if (any)
        ms_tcp_timer_start(conn, s, conn_now(conn));

    if (syn_acked && side->state == MS_TCP_STATE_SYN_RECEIVED) {
        side_established(conn, s);
        return;
    }
    if (side->fin_sent && ack == side->snd_nxt) {
        /* RFC 9293 3.10.7.4: our FIN is acknowledged.  The peer has every
         * byte this side wrote, and there will be no more. */
        ms_tcp_buf_clear(&side->sbuf, &conn_table(conn)->spare_blocks);
        if (side->state == MS_TCP_STATE_FIN_WAIT_1)
            ms_tcp_set_state(conn, s, MS_TCP_STATE_FIN_WAIT_2);
        else if (side->state == MS_TCP_STATE_CLOSING || side->state == MS_TCP_STATE_LAST_ACK)
            side_closed(conn, s);
    }
}

static void peer_fin(MsTcpConn *conn, int s)
{
    MsTcpSide *side = &conn->sides[s];
    gboolean done = FALSE;

    /* RFC 9293 3.10.7.4, eighth step: the FIN moves the state on. */
    if (side->state == MS_TCP_STATE_ESTABLISHED) {
        ms_tcp_set_state(conn, s, MS_TCP_STATE_CLOSE_WAIT);
    } else if (side->state == MS_TCP_STATE_FIN_WAIT_1) {
        ms_tcp_set_state(conn, s, MS_TCP_STATE_CLOSING);
    } else if (side->state == MS_TCP_STATE_FIN_WAIT_2) {
        done = TRUE;
    }
    if (side->cb.peer_closed != NULL)
        side->cb.peer_closed(conn, side->user_data);
    if (done && !conn->dead && !side->finished)
        side_closed(conn, s);
}

static void trackers_check(MsTcpConn *conn, int sender)
{
    MsTcpTrackers *trackers = conn->sides[sender].trackers;
    guint64 received = conn->sides[1 - sender].received;

    if (trackers == NULL)
        return;
    /* The lines that arrived leave the block; the rest keep their order.
     * The trace, the clock and the length are read once, not again after
     * every call. */
    MsTrace *trace = conn_trace(conn);
    MsTime now = conn_now(conn);
    guint len = trackers->len;
    guint kept = 0;
    for (guint i = 0; i < len; i++) {
        MsTcpTracker *t = &trackers->items[i];

        if (t->end <= received)
            ms_trace_set_arrival(trace, t->trace_id, now);
        else
            trackers->items[kept++] = *t;
    }
    trackers->len = kept;
    /* A block per side, grown for the longest burst of lines and kept as
     * long as the connection, was 8 % of what a message added: it goes back
     * to the spares as soon as it is empty. */
    if (trackers->len == 0)
        ms_tcp_trackers_done(conn, sender);
}

static gint chunk_cmp(gconstpointer a, gconstpointer b)
{
    const MsTcpChunk *x = a;
    const MsTcpChunk *y = b;

    return x->seq < y->seq ? -1 : x->seq > y->seq ? 1 : 0;
}

static void buffer_insert(MsTcpSide *side, const MsTcpWire *wire)
{
    MsTcpChunk *chunk;

    for (GList *l = side->ooo; l != NULL; l = l->next) {
        if (((MsTcpChunk *) l->data)->seq == wire->seq)
            return; /* a second copy of a segment already waiting */
    }
    chunk = g_new0(MsTcpChunk, 1);
    chunk->seq = wire->seq;
    chunk->len = wire->len;
    chunk->fin = (wire->flags & MS_TCP_FIN) != 0;
    side->ooo = g_list_insert_sorted(side->ooo, chunk, chunk_cmp);
}

/* Takes the chunks now in order off the front of the buffer, advancing
 * rcv_nxt; returns them in order. */
static GList *buffer_take_in_order(MsTcpSide *side)
{
    GList *ready = NULL;

    while (side->ooo != NULL) {
        MsTcpChunk *chunk = side->ooo->data;
        guint64 end = chunk->seq + chunk->len + (chunk->fin ? 1 : 0);

        if (chunk->seq > side->rcv_nxt)
            break;
        side->ooo = g_list_delete_link(side->ooo, side->ooo);
        if (end <= side->rcv_nxt) {
            g_free(chunk); /* all of it arrived before */
            continue;
        }
        if (chunk->seq < side->rcv_nxt) {
            /* Overlaps what arrived: keep only the new tail. */
            chunk->len -= (guint32) (side->rcv_nxt - chunk->seq);
            chunk->seq = side->rcv_nxt;
        }
        side->rcv_nxt = end;
        ready = g_list_prepend(ready, chunk);
    }
    return g_list_reverse(ready);
}

/* In-order data (len 0: none) and a FIN, handed up to side s's
 * application, unless the connection died on the way.  The data is read
 * in place from the sender's send buffer (sequence number seq is stream
 * offset seq - 1), which keeps it where it is meanwhile. */
static void hand_up(MsTcpConn *conn, int s, guint64 seq, guint32 len, gboolean fin)
{
    MsTcpSide *side = &conn->sides[s];

    if (!conn->dead && len > 0) {
        MsTcpSendBuf *from = &conn->sides[1 - s].sbuf;

        side->received += len;
        trackers_check(conn, 1 - s);
        if (side->cb.data != NULL) {
            ms_tcp_buf_pin(from);
            side->cb.data(conn, ms_tcp_buf_at(from, seq - 1), len, side->user_data);
            ms_tcp_buf_unpin(from);
        }
    }
    if (!conn->dead && fin)
        peer_fin(conn, s);
}

/* A segment carrying data or FIN reached side s. */
static void side_receive(MsTcpConn *conn, int s, const MsTcpWire *wire)
{
    MsTcpSide *side = &conn->sides[s];
    guint64 end = wire->seq + wire->len + ((wire->flags & MS_TCP_FIN) ? 1 : 0);
    GList *ready;

    /* The usual case: the next segment expected, nothing waiting before it.
     * It is handed up as it is, with the same steps as below (rcv_nxt, the
     * ACK, the data, the FIN) but without a trip through the buffer. */
    if (side->ooo == NULL && wire->seq == side->rcv_nxt && end > side->rcv_nxt) {
        side->rcv_nxt = end;
        ms_tcp_send_ack(conn, s);
        hand_up(conn, s, wire->seq, wire->len, (wire->flags & MS_TCP_FIN) != 0);
        return;
    }
    /* RFC 9293 3.10.7.4: keep segments beyond rcv_nxt until the gap fills. */
    if (end > side->rcv_nxt)
        buffer_insert(side, wire);
    ready = buffer_take_in_order(side);
    /* RFC 9293 3.10.7.4: acknowledge every segment at once, duplicates and
     * out-of-order ones included (the ACK then repeats rcv_nxt).  The ACK
     * goes before anything the application writes in reply. */
    ms_tcp_send_ack(conn, s);
    while (ready != NULL) {
        MsTcpChunk *chunk = ready->data;

        ready = g_list_delete_link(ready, ready);
        hand_up(conn, s, chunk->seq, chunk->len, chunk->fin);
        g_free(chunk);
    }
}

static void server_syn(MsTcpConn *conn, const MsTcpWire *wire)
{
    MsTcpSide *side = &conn->sides[MS_TCP_SERVER];
    MsListener *listener;

    if (side->state != MS_TCP_STATE_IDLE) {
        /* A repeated SYN: in SYN-RECEIVED the SYN-ACK's timer resends it;
         * once synchronised, answer with an ACK (RFC 9293 3.10.7.4). */
        if (side->state != MS_TCP_STATE_SYN_RECEIVED)
            ms_tcp_send_ack(conn, MS_TCP_SERVER);
        return;
    }
    listener = ms_tcp_listener_find(conn_table(conn), side->host, side->port);
    /* A stopped service is a closed port: the host answers, the program
     * does not (distinct from a host that is down and answers nothing). */
    if (listener != NULL && !ms_host_port_open(side->host, side->port, conn_now(conn)))
        listener = NULL;
    if (listener == NULL) {
        /* RFC 9293 3.10.7.1: a SYN to a CLOSED port is answered by
         * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
        ms_tcp_wire_send(conn, MS_TCP_SERVER, MS_TCP_RST | MS_TCP_ACK, 0, wire->seq + 1, 0, 0);
        return;
    }
    side->rcv_synced = TRUE;
    side->rcv_nxt = wire->seq + 1;
    ms_tcp_set_state(conn, MS_TCP_SERVER, MS_TCP_STATE_SYN_RECEIVED);
    listener->accept(conn, listener->data);
    if (conn->dead)
        return;
    /* RFC 9293 3.10.7.2: answer with our SYN and an ACK of theirs. */
    ms_tcp_seg_send_new(conn, MS_TCP_SERVER, MS_TCP_SYN, 0);
}

static void client_synack(MsTcpConn *conn, const MsTcpWire *wire)
{
    MsTcpSide *side = &conn->sides[MS_TCP_CLIENT];

    if (side->state != MS_TCP_STATE_SYN_SENT) {
        /* Our ACK of the first SYN-ACK was lost; acknowledge again. */
        ms_tcp_send_ack(conn, MS_TCP_CLIENT);
        return;
    }
    /* RFC 9293 3.10.7.3: SYN-SENT accepts a SYN whose ACK covers our SYN. */
    if (wire->ack != side->snd_nxt)
        return;
    side->rcv_synced = TRUE;
    side->rcv_nxt = wire->seq + 1;
    process_ack(conn, MS_TCP_CLIENT, wire->ack);
    ms_tcp_send_ack(conn, MS_TCP_CLIENT); /* the third segment of the handshake */
    side_established(conn, MS_TCP_CLIENT);
}

/* A transmission of a segment reached its destination. */
static void tcp_deliver(MsTcpConn *conn, const MsTcpWire *wire)
{
    int to = 1 - wire->from;
    MsTcpSide *side = &conn->sides[to];

    if (conn->dead)
        return;
    if (wire->flags & MS_TCP_RST) {
        /* RFC 9293 3.10.7.3: a RST acknowledging our SYN refuses it. */
        if (to == MS_TCP_CLIENT && side->state == MS_TCP_STATE_SYN_SENT
            && wire->ack == side->snd_nxt)
            ms_tcp_conn_terminate(conn, "connection refused");
        return;
    }
    if ((wire->flags & MS_TCP_SYN) && !(wire->flags & MS_TCP_ACK)) {
        if (to == MS_TCP_SERVER)
            server_syn(conn, wire);
        return;
    }
    if (wire->flags & MS_TCP_SYN) {
        if (to == MS_TCP_CLIENT)
            client_synack(conn, wire);
        return;
    }
    if (side->state == MS_TCP_STATE_IDLE || side->state == MS_TCP_STATE_SYN_SENT)
        return;
    /* Most segments with data acknowledge nothing new: the test that
     * process_ack() begins with is made here, without the call. */
    if ((wire->flags & MS_TCP_ACK) && wire->ack > side->snd_una && wire->ack <= side->snd_nxt)
        process_ack(conn, to, wire->ack);
    if (conn->dead || side->state == MS_TCP_STATE_SYN_RECEIVED)
        return;
    if (wire->len > 0 || (wire->flags & MS_TCP_FIN))
        side_receive(conn, to, wire);
}

/* Here rather than beside the sending in tcp.c, so that the segment's
 * handling above is a part of it rather than a call. */
void ms_tcp_wire_done(gpointer data, gboolean lost, const MsHost *where, const char *why)
{
    MsTcpWire *wire = data;
    MsTcpConn *conn = wire->conn;

    (void) where;
    if (lost) {
        ms_tcp_wire_lost(wire, why);
    } else {
        ms_trace_set_arrival(conn_trace(conn), wire->trace_id, conn_now(conn));
        tcp_deliver(conn, wire);
    }
    ms_tcp_wire_free(wire);
    /* A connection with another segment in flight is not over yet. */
    if (--conn->holds == 0)
        ms_tcp_conn_settle(conn);
}
