/* tcp-private.h - what tcp.c (sending, timers, the public API),
 * tcp_conn.c (the table, opening and freeing connections) and tcp_input.c
 * (segments arriving) share.
 *
 * Both ends of a connection live in one MsTcpConn; a side is indexed MS_TCP_CLIENT
 * or MS_TCP_SERVER.  Sequence numbers are 64-bit inside the model and shown modulo
 * 2^32 in the trace.
 */
#pragma once

#include "net/net-private.h"

G_BEGIN_DECLS

#define MS_TCP_DEFAULT_RTO MS_SEC        /* RFC 6298 2.1: initial RTO 1 s */
#define MS_TCP_DEFAULT_RETRIES 6         /* retransmissions of one segment */
#define MS_TCP_RTO_MIN (200 * MS_MSEC)   /* Linux TCP_RTO_MIN (RFC 6298 2.4: 1 s) */
#define MS_TCP_RTO_MAX (120 * MS_SEC)    /* Linux TCP_RTO_MAX (RFC 6298 2.5: >= 60 s) */
#define MS_TCP_CLOCK_G MS_NSEC           /* the clock granularity G of RFC 6298 */

/* RFC 9293 3.3.2 states, minus LISTEN (a listener is not a connection) and
 * TIME-WAIT (a side goes straight to CLOSED).  IDLE is a server side no SYN
 * has reached yet; REFUSED and ABORTED are how a connection can fail. */
#define MS_TCP_STATES(X)                             \
    X(MS_TCP_STATE_IDLE, "IDLE")                     \
    X(MS_TCP_STATE_SYN_SENT, "SYN-SENT")             \
    X(MS_TCP_STATE_SYN_RECEIVED, "SYN-RECEIVED")     \
    X(MS_TCP_STATE_ESTABLISHED, "ESTABLISHED")       \
    X(MS_TCP_STATE_FIN_WAIT_1, "FIN-WAIT-1")         \
    X(MS_TCP_STATE_FIN_WAIT_2, "FIN-WAIT-2")         \
    X(MS_TCP_STATE_CLOSE_WAIT, "CLOSE-WAIT")         \
    X(MS_TCP_STATE_CLOSING, "CLOSING")               \
    X(MS_TCP_STATE_LAST_ACK, "LAST-ACK")             \
    X(MS_TCP_STATE_CLOSED, "CLOSED")                 \
    X(MS_TCP_STATE_REFUSED, "REFUSED")               \
    X(MS_TCP_STATE_ABORTED, "ABORTED")

#define MS_TCP_STATE_ENUM_(e, s) e,
typedef enum { MS_TCP_STATES(MS_TCP_STATE_ENUM_) } MsTcpState;
#undef MS_TCP_STATE_ENUM_

enum { MS_TCP_CLIENT = 0, MS_TCP_SERVER = 1 };

/* A segment that consumes sequence space (SYN, data, FIN) and waits for its
 * acknowledgement in the sender's retransmission queue. */
typedef struct MsTcpSeg MsTcpSeg;
struct MsTcpSeg {
    int side;
    guint flags;           /* SYN / FIN / PSH; ACK is added when sent */
    guint64 seq;
    guint32 len;           /* its payload: bytes seq - 1 .. of the side's send buffer */
    guint retransmits;
    MsTime first_start;    /* first transmission left the host (RTT sample) */
    MsTcpSeg *next;        /* the next in the side's retransmission queue */
};

/* One transmission of a segment, travelling as the packet inside it. */
typedef struct MsTcpWire MsTcpWire;
struct MsTcpWire {
    MsTcpConn *conn;       /* first: the spares are linked through it */
    /* On the table's list of every wire it made (in use or spare), so
     * that it can find those in flight when the net is freed. */
    MsTcpWire *made_prev;
    MsTcpWire *made_next;
    int from;
    guint flags;
    guint64 seq;
    guint64 ack;
    guint32 len;           /* payload bytes, read from the sender's send buffer */
    guint retransmit;
    guint64 trace_id;      /* its SEGMENT_SENT record */
    MsPacket packet;       /* not listed by the net: see made_next */
};

/* Received out of order (or not yet handed to the application).  Its
 * bytes are still in the sender's send buffer: the sender keeps every byte
 * not acknowledged, and this side acknowledges none of these yet. */
typedef struct {
    guint64 seq;
    guint32 len;
    gboolean fin;
} MsTcpChunk;

/* The bytes a side wrote that the peer may still need, stream offsets
 * [start, end) at data[0 .. end - start).  A segment, first sent or
 * resent, is a range of it, and the peer's application is handed its data
 * from it in place: a write is copied once, into here, instead of into a
 * GBytes of its own and another for each segment.  Bytes acknowledged are
 * dropped when the next write needs their room (the live ones slide to the
 * front, or the buffer doubles), so every byte is moved a bounded number
 * of times.  While the peer's application reads from it (pinned), its
 * bytes do not move: a write that needs room then goes to a new block and
 * the old one waits in `retired` until the read is over. */
typedef struct {
    char *data;            /* NULL until the first write */
    char *retired;         /* the block being read, replaced while pinned */
    guint64 start;         /* stream offset of data[0] */
    guint64 end;           /* stream offset past the last byte written */
    gsize cap;
    gboolean pinned;
} MsTcpSendBuf;

/* A block larger than this is given back once the peer has all of it. */
#define MS_TCP_SEND_BUF_HOLD (64u * 1024u)

/* Room for len bytes at b->end when the block lacks it (tcp_buffer.c).
 * spares (the table's spare_blocks; NULL: none) gives and takes blocks
 * of the smallest size. */
char *ms_tcp_buf_make_room(MsTcpSendBuf *b, gpointer *spares, guint64 keep, gsize len);
void ms_tcp_buf_clear(MsTcpSendBuf *b, gpointer *spares);

/* Room for len bytes at b->end, keeping the bytes from stream offset
 * `keep` (<= b->end) on; the bytes before it may be dropped.  The caller
 * fills the room and then moves b->end past what it wrote.  Most writes
 * find the room behind the last one. */
static inline char *ms_tcp_buf_reserve(MsTcpSendBuf *b, gpointer *spares, guint64 keep,
                                       gsize len)
{
    if (G_LIKELY(b->data != NULL && (b->end - b->start) + len <= b->cap))
        return b->data + (b->end - b->start);
    return ms_tcp_buf_make_room(b, spares, keep, len);
}

/* The peer has every byte before stream offset `keep`: once that is all
 * the side wrote, a block grown past MS_TCP_SEND_BUF_HOLD for something
 * large goes back to malloc, so a session that once sent an attachment
 * does not hold its size until the connection closes.  Every ACK, hence
 * inline. */
static inline void ms_tcp_buf_acked(MsTcpSendBuf *b, guint64 keep)
{
    if (G_UNLIKELY(b->cap > MS_TCP_SEND_BUF_HOLD) && !b->pinned && keep >= b->end)
        ms_tcp_buf_clear(b, NULL);
}

/* Around the peer's application reading from the buffer: every segment
 * with data that arrives, hence inline. */
static inline void ms_tcp_buf_pin(MsTcpSendBuf *b)
{
    g_assert(!b->pinned);
    b->pinned = TRUE;
}

static inline void ms_tcp_buf_unpin(MsTcpSendBuf *b)
{
    b->pinned = FALSE;
    if (G_UNLIKELY(b->retired != NULL))
        g_free(g_steal_pointer(&b->retired));
}

/* The byte at stream offset `offset`, which must still be kept. */
static inline const char *ms_tcp_buf_at(const MsTcpSendBuf *b, guint64 offset)
{
    g_assert(offset >= b->start && offset <= b->end);
    return b->data + (offset - b->start);
}

/* A record waiting for the peer to receive the stream up to end. */
typedef MsTcpArrival MsTcpTracker;

/* The trackers of one side's burst of lines, in one block that grows by
 * doubling; an emptied block waits on the table's spares for the next
 * burst. */
typedef struct MsTcpTrackers MsTcpTrackers;
struct MsTcpTrackers {
    MsTcpTrackers *next;   /* on the table's spares */
    guint len;
    guint cap;
    MsTcpTracker items[];
};

/* A campus run opens 1.8 connections a message and many are open at once,
 * so the fields are ordered to leave no padding and the flags take a byte. */
typedef struct {
    MsTcpConn *conn;
    MsHost *host;
    MsTcpCallbacks cb;
    gpointer user_data;

    /* Sending.  ISN 0: the SYN is sequence number 0, data starts at 1, so
     * the byte at stream offset o has sequence number o + 1.  sbuf.end is
     * how many bytes the application wrote. */
    MsTcpSendBuf sbuf;
    guint64 snd_una;
    guint64 snd_nxt;
    /* The retransmission queue, by sequence number, linked by hand through
     * seg->next: a segment joins at the tail and leaves at the head, once
     * each, where a GQueue took a call into GLib for each. */
    MsTcpSeg *rtx_head;
    MsTcpSeg *rtx_tail;
    /* Where each write waiting for the handshake ends (guint64 stream
     * offsets; NULL when none waits): in the send buffer already, they go
     * out one by one, from snd_nxt on, once the side is synchronised. */
    GArray *pending;
    MsTcpTrackers *trackers; /* on bytes this side wrote; NULL when none */

    /* Receiving. */
    guint64 rcv_nxt;
    guint64 received;      /* in-order payload bytes handed up */
    GList *ooo;            /* MsTcpChunk, by sequence number */

    MsRoute *route;        /* to the peer, kept between segments */

    /* RFC 6298 state: one retransmission timer for the oldest segment.  Its
     * task is kept when the timer stops (timer_armed 0), so that starting it
     * again moves the task rather than making a new one. */
    MsNetTask *timer;
    MsTime srtt;
    MsTime rttvar;
    MsTime rto;

    /* Trace contexts of the lines and of the segments this side sends, + 1
     * (0: not made yet): every record of them repeats the same context. */
    guint32 line_ctx;
    guint32 wire_ctx;
    int index;             /* MS_TCP_CLIENT or MS_TCP_SERVER */
    MsTcpState state;
    guint16 port;
    guint8 finished;       /* its last callback (closed / refused) was made */
    guint8 close_requested;
    guint8 fin_sent;
    guint8 rcv_synced;     /* the peer's SYN arrived: rcv_nxt is valid */
    guint8 have_rtt;
    guint8 timer_armed;    /* the retransmission timer runs */
    /* Unused: it keeps a side at 256 bytes, so that finding sides[s] or
     * sides[1 - s] is a shift; at 248 it was a multiply at every use,
     * 1.3 million instructions on a 10^3-message campus. */
    guint64 spare_;
} MsTcpSide;

/* The stream offset from which a side keeps its bytes: the first the peer
 * has not acknowledged (sequence number snd_una; data starts at 1). */
static inline guint64 ms_tcp_side_keep(const MsTcpSide *side)
{
    return side->snd_una > 0 ? MIN(side->snd_una - 1, side->sbuf.end) : 0;
}

struct MsTcpConn {
    MsNet *net;
    /* The net's, kept at hand: every segment asks for them, and each was a
     * call or two into net.c and sim.c. */
    MsSim *sim;
    MsTcpTable *table;
    MsTrace *trace;
    char *protocol;        /* in protocol_bytes */
    MsTime connect_timeout; /* 0: none; else the client gives up the SYN then */
    MsTcpSide sides[2];
    guint id;
    guint attempt;         /* delivery attempt it carries (count of its
                            * connection records), 0: not counted */
    guint holds;           /* wires in flight and tasks that will still use it */
    guint slot;            /* its index in the table's conns */
    guint8 dead;           /* refused or aborted: ignores every segment */
    guint8 close_traced;
    /* The protocol's name, in the connection's own block rather than a
     * copy of its own: a malloc and a free fewer a connection. */
    char protocol_bytes[];
};

typedef struct {
    MsHost *host;
    guint16 port;
    char *protocol;
    MsTcpAcceptFn accept;
    gpointer data;
} MsListener;

struct MsTcpTable {
    GPtrArray *conns;      /* MsTcpConn, owned, until ms_tcp_conn_settle frees one */
    guint last_id;         /* connection ids, shared with real sockets */
    GPtrArray *listeners;  /* MsListener, owned */
    guint32 mss;
    MsTime initial_rto;
    guint max_retries;
    gpointer spare_conns;  /* freed MsTcpConn of one size, kept for reuse (tcp_conn.c) */
    gpointer spare_wires;  /* freed MsTcpWire, kept for reuse (a list through their first word) */
    MsTcpWire *wires;      /* every MsTcpWire made and not given back to malloc */
    gpointer spare_segs;   /* freed MsTcpSeg, likewise */
    gpointer spare_blocks; /* send buffers' smallest blocks, likewise (tcp_buffer.c) */
    MsTcpTrackers *spare_trackers; /* emptied tracker blocks, kept for reuse */
};

static inline MsTcpTable *conn_table(const MsTcpConn *conn)
{
    return conn->table;
}

static inline MsTime conn_now(const MsTcpConn *conn)
{
    return ms_sim_now(conn->sim);
}

static inline MsTrace *conn_trace(const MsTcpConn *conn)
{
    return conn->trace;
}

static inline guint64 ms_tcp_seg_end(const MsTcpSeg *seg)
{
    guint64 end = seg->seq + seg->len;

    /* RFC 9293 3.4: SYN and FIN each occupy one sequence number. */
    if (seg->flags & (MS_TCP_SYN | MS_TCP_FIN))
        end++;
    return end;
}

/* Frees a segment of conn's, acknowledged: every segment that consumes
 * sequence space is one of these until then, and a freed one is kept on
 * the table's spares for the next, like the wires.  Every such segment's
 * ACK, hence inline. */
static inline void ms_tcp_seg_free(MsTcpConn *conn, MsTcpSeg *seg)
{
    ms_spare_push(&conn_table(conn)->spare_segs, seg);
}

/* Takes a wire off the table's list of wires made, before it goes back to
 * malloc. */
void ms_tcp_wire_forget(MsTcpTable *table, MsTcpWire *wire);

/* Frees a wire (onto the table's spares): every segment, hence inline.
 * Under AddressSanitizer it goes back to malloc, and so leaves the list
 * of wires made. */
static inline void ms_tcp_wire_free(MsTcpWire *wire)
{
    MsTcpTable *table = conn_table(wire->conn);

    if (!MS_SPARE_REUSE)
        ms_tcp_wire_forget(table, wire);
    ms_spare_push(&table->spare_wires, wire);
}

/* ---- tcp.c --------------------------------------------------------------- */
void ms_tcp_set_state(MsTcpConn *conn, int s, MsTcpState state);
/* A record about the connection, seen from side s (time: now), written
 * whole into *rec_out. */
void ms_tcp_conn_record(const MsTcpConn *conn, MsTraceKind kind, int s, MsTraceRecord *rec_out);
/* Logs a record made by ms_tcp_conn_record() for side s (its protocol,
 * hosts and ports left as they were) in the context of that side's lines,
 * so the trace need not find the context again: a connection's open,
 * established and close events, a few a message. */
guint64 ms_tcp_conn_emit(MsTcpConn *conn, int s, const MsTraceRecord *rec);
/* Puts one segment on the network from side s and traces it; returns when
 * its transmission on the first link starts. */
MsTime ms_tcp_wire_send(MsTcpConn *conn, int s, guint flags, guint64 seq, guint64 ack,
                        guint32 len, guint retransmit);
/* A pure ACK of what side s received: every other segment, hence inline,
 * one call fewer on its way to the net. */
static inline void ms_tcp_send_ack(MsTcpConn *conn, int s)
{
    const MsTcpSide *side = &conn->sides[s];

    ms_tcp_wire_send(conn, s, MS_TCP_ACK, side->snd_nxt, side->rcv_nxt, 0, 0);
}
/* Queues a segment consuming sequence space, with the next len bytes of
 * the send buffer as its payload, and sends it. */
void ms_tcp_seg_send_new(MsTcpConn *conn, int s, guint flags, guint32 len);
/* Side s's trackers, all arrived: the block is kept for the next burst.
 * A run makes a tracker block for most bursts of lines it sends: an
 * emptied block goes back to the table for the next burst instead of to
 * malloc, so there are never more of them than sides waiting at one time.
 * (They were GArrays on a GPtrArray of spares: five calls into GLib a
 * burst, some 400 instructions.)  Every burst, hence inline. */
static inline void ms_tcp_trackers_done(MsTcpConn *conn, int s)
{
    MsTcpTrackers *trackers = g_steal_pointer(&conn->sides[s].trackers);
    MsTcpTable *table = conn_table(conn);

    if (!MS_SPARE_REUSE) {
        g_free(trackers);
        return;
    }
    trackers->len = 0;
    trackers->next = table->spare_trackers;
    table->spare_trackers = trackers;
}
/* (Re)starts side s's retransmission timer to expire one RTO after `from`. */
void ms_tcp_timer_start(MsTcpConn *conn, int s, MsTime from);
/* The task stays with the side (ms_tcp_conn_settle() lets it go), so that
 * the next start, usually the next write, finds it.  Nearly every ACK
 * stops the timer, hence inline. */
static inline void ms_tcp_timer_stop(MsTcpConn *conn, int s)
{
    MsTcpSide *side = &conn->sides[s];

    if (side->timer_armed)
        ms_net_task_stop(conn->net, side->timer);
    side->timer_armed = FALSE;
}
/* Sends pending writes, then the FIN if asked, once s is synchronised. */
void ms_tcp_side_flush(MsTcpConn *conn, int s);
/* Traces a transmission lost on the way, for the reason why. */
void ms_tcp_wire_lost(const MsTcpWire *wire, const char *why);

/* ---- tcp_conn.c ---------------------------------------------------------- */
/* Refusal or abort: every side still running is told, and it is over. */
void ms_tcp_conn_terminate(MsTcpConn *conn, const char *why);
/* Frees a connection that is over: both sides have had their last callback
 * (or the server side was never reached), and no wire, timer or task will
 * use it again.  Called only where an event of the net ends (a wire done, a
 * timer or task fired), never inside the callbacks of a connection. */
void ms_tcp_conn_settle(MsTcpConn *conn);
MsListener *ms_tcp_listener_find(MsTcpTable *table, const MsHost *host, guint16 port);

/* ---- tcp_input.c ----------------------------------------------------------- */
/* The net is done with a wire (an MsNetDeliverFn): it reached its
 * destination or was lost on the way. */
void ms_tcp_wire_done(gpointer data, gboolean lost, const MsHost *where, const char *why);

G_END_DECLS
