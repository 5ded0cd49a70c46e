/* net.h - hosts, links, routes and the TCP model that carries every dialogue.
 *
 * Hosts are joined by links with a latency, a bandwidth, a loss probability
 * and times when they are down.  A packet follows the shortest-latency route;
 * on each hop it waits for the link to be free, is transmitted (size /
 * bandwidth) and propagates (latency): store and forward.  TCP is modelled
 * enough to teach with: the three-way handshake, one segment per application
 * write (split at the MSS), an ACK for every segment, retransmission after a
 * timeout when a segment is lost, and the FIN teardown.  There is no flow or
 * congestion control; docs/network-model.md lists every simplification.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"
#include "mailsim/trace.h"

G_BEGIN_DECLS

typedef struct MsNet MsNet;
typedef struct MsHost MsHost;
typedef struct MsLink MsLink;
typedef struct MsTcpConn MsTcpConn;

/* Well-known ports (the lecture notes' numbers). */
#define MS_PORT_SMTP 25
#define MS_PORT_HTTP 80
#define MS_PORT_POP3 110
#define MS_PORT_IMAP 143
#define MS_PORT_SUBMISSION 587
#define MS_PORT_EPHEMERAL_FIRST 49152

#define MS_TCP_HEADER_BYTES 40 /* IPv4 + TCP headers without options */
#define MS_TCP_DEFAULT_MSS 1460

/* transfer full; the net keeps a pointer to sim, which must outlive it. */
MsNet *ms_net_new(MsSim *sim);
void ms_net_free(MsNet *net);
MsSim *ms_net_sim(MsNet *net);

/* Returns NULL and sets error when the name is taken. (transfer none) */
MsHost *ms_net_add_host(MsNet *net, const char *name, GError **error);
MsHost *ms_net_find_host(MsNet *net, const char *name); /* NULL if none */
const char *ms_host_name(const MsHost *host);
/* A host that is down neither sends nor receives (segments to it are lost). */
void ms_host_schedule_down(MsHost *host, MsTime from, MsTime until);
gboolean ms_host_is_up(const MsHost *host, MsTime t);
/* A service of the host (a program, "smtp") is stopped in [from, until)
 * while the host runs: its ports (one or two) refuse connections with a
 * RST, and the trace says "service smtp on HOST down" / "up". */
void ms_host_schedule_service_down(MsHost *host, const char *service, const guint16 *ports,
                                   guint n_ports, MsTime from, MsTime until);
/* FALSE while a stopped service holds the port. */
gboolean ms_host_port_open(const MsHost *host, guint16 port, MsTime t);

/* bandwidth in bit/s (0 = infinite); loss a probability in [0, 1] (1: the link loses everything).
 * (transfer none) */
MsLink *ms_net_add_link(MsNet *net, MsHost *a, MsHost *b, MsTime latency,
                        guint64 bandwidth_bps, double loss);
/* The link is down in [from, until); until may be MS_TIME_NEVER. */
void ms_link_schedule_down(MsLink *link, MsTime from, MsTime until);
gboolean ms_link_is_up(const MsLink *link, MsTime t);
MsTime ms_link_latency(const MsLink *link);
guint64 ms_link_bandwidth(const MsLink *link);

/* Shortest-latency route (ties broken by fewer hops, then by the order the
 * links were declared).  Returns the hosts from `from` to `to` inclusive
 * (transfer container), or NULL when `to` cannot be reached. */
GPtrArray *ms_net_route(MsNet *net, MsHost *from, MsHost *to);

/* Transmission time of `bytes` on a link of `bandwidth_bps`: exact, rounded
 * up to the nanosecond (1000 bytes at 10 Mbit/s = 800 µs). */
MsTime ms_net_transmission_time(guint64 bytes, guint64 bandwidth_bps);

/* Packet layer.  Sends `bytes` from src to dst along the route; fn is called
 * once, at delivery time with lost = FALSE, or at the time of the loss with
 * lost = TRUE (where names the host before the hop that lost it).  Returns
 * FALSE (and calls nothing) when no route exists. */
typedef void (*MsPacketFn)(gpointer data, gboolean lost, const char *where);
gboolean ms_net_send_packet(MsNet *net, MsHost *src, MsHost *dst, guint32 bytes,
                            MsPacketFn fn, gpointer data);

/* ---- TCP ---------------------------------------------------------------- */

typedef struct {
    /* Client: the SYN-ACK arrived.  Server: the final ACK of the handshake arrived. */
    void (*established)(MsTcpConn *conn, gpointer user_data);
    /* In-order bytes from the peer. */
    void (*data)(MsTcpConn *conn, const char *bytes, gsize len, gpointer user_data);
    /* The peer sent FIN (after all its data). */
    void (*peer_closed)(MsTcpConn *conn, gpointer user_data);
    /* Client only: nothing listens on that port (RST), or no route, or the
     * SYN was never answered. `why` is a short English reason. */
    void (*refused)(MsTcpConn *conn, const char *why, gpointer user_data);
    /* The connection is gone: closed both ways, or aborted after too many
     * retransmissions.  Last callback for this side. */
    void (*closed)(MsTcpConn *conn, gboolean aborted, gpointer user_data);
} MsTcpCallbacks;

/* Called when a SYN reaches a listening port.  The listener sets the server
 * side's callbacks with ms_tcp_conn_set_callbacks() before returning. */
typedef void (*MsTcpAcceptFn)(MsTcpConn *conn, gpointer listener_data);

/* protocol names the application ("SMTP"); it labels trace records. */
gboolean ms_tcp_listen(MsNet *net, MsHost *host, guint16 port, const char *protocol,
                       MsTcpAcceptFn accept, gpointer listener_data, GError **error);
void ms_tcp_unlisten(MsNet *net, MsHost *host, guint16 port);

/* Opens a connection from an ephemeral port of `client` (transfer none: the
 * net owns it, and frees it once it is over: after the last callback of
 * both sides, once no segment of it is still in flight; the server side of
 * a connection no SYN reached counts as over). */
MsTcpConn *ms_tcp_connect(MsNet *net, MsHost *client, MsHost *server, guint16 port,
                          const char *protocol, const MsTcpCallbacks *callbacks,
                          gpointer user_data);
/* The same for a delivery attempt: the connection's records (conn-open,
 * conn-established, conn-refused, conn-abort, conn-close) carry `attempt`
 * (1 for the first try of the messages it carries, 2 for the first retry,
 * ...) in their count, trace.json's "attempt". */
MsTcpConn *ms_tcp_connect_attempt(MsNet *net, MsHost *client, MsHost *server, guint16 port,
                                  const char *protocol, const MsTcpCallbacks *callbacks,
                                  gpointer user_data, guint attempt);
/* The client gives up a connection not established within `timeout` after
 * it was opened, instead of only when its SYN retransmissions run out.
 * RFC 5321 4.5.3.2 times each command, not the connect; mail servers give
 * up connecting after about 30 s (Postfix's smtp_connect_timeout).  The
 * client hears `refused` with "connection timed out after T". */
void ms_tcp_conn_set_connect_timeout(MsTcpConn *conn, MsTime timeout);
void ms_tcp_conn_set_callbacks(MsTcpConn *conn, MsDir side, const MsTcpCallbacks *callbacks,
                               gpointer user_data);

/* One application write from `side`: one segment, or several if len > MSS.
 * The bytes are copied into the side's send buffer, where they stay until
 * the peer acknowledges them.  Returns the stream offset just past the
 * last byte written.  A side that may no longer send writes nothing. */
guint64 ms_tcp_send(MsTcpConn *conn, MsDir side, const char *bytes, gsize len);
/* The same for bytes in a GBytes (transfer full). */
guint64 ms_tcp_send_bytes(MsTcpConn *conn, MsDir side, GBytes *bytes);
/* A write put together in place: room for len bytes at the end of the
 * side's send buffer (transfer none), to be filled and then sent as one
 * write with ms_tcp_send_commit(conn, side, len); nothing else may be
 * written on the connection in between.  NULL when the side may no longer
 * send: then nothing is to be committed. */
char *ms_tcp_send_reserve(MsTcpConn *conn, MsDir side, gsize len);
/* Sends the len bytes (0: none) just filled in as one write, as
 * ms_tcp_send() would; returns the stream offset just past them. */
guint64 ms_tcp_send_commit(MsTcpConn *conn, MsDir side, gsize len);
/* When the peer of `side` has received the stream up to `end_offset`, set the
 * arrival time of trace record `trace_id`.  Used for protocol lines. */
void ms_tcp_track_arrival(MsTcpConn *conn, MsDir side, guint64 end_offset, guint64 trace_id);
/* The same for the n lines of a write at once, their ends in the order
 * written. */
typedef struct {
    guint64 end;
    guint64 trace_id;
} MsTcpArrival;
void ms_tcp_track_arrivals(MsTcpConn *conn, MsDir side, const MsTcpArrival *lines, guint n);
/* Sends FIN from `side` once everything written before has been sent. */
void ms_tcp_close(MsTcpConn *conn, MsDir side);

/* The trace context of the lines `side` sends on conn: its id, protocol,
 * hosts and ports (see ms_trace_emit_in()). */
MsTraceContext ms_tcp_conn_trace_context(MsTcpConn *conn, MsDir side);
guint ms_tcp_conn_id(const MsTcpConn *conn);
/* A connection id for a connection the net does not carry (a real socket in
 * live mode), from the same sequence as the simulated ones. */
guint ms_net_take_conn_id(MsNet *net);
const char *ms_tcp_conn_protocol(const MsTcpConn *conn);
MsHost *ms_tcp_conn_host(const MsTcpConn *conn, MsDir side);
guint16 ms_tcp_conn_port(const MsTcpConn *conn, MsDir side);
gboolean ms_tcp_conn_is_open(const MsTcpConn *conn, MsDir side); /* may still send */
/* Nothing written on either side waits to be sent or acknowledged: every
 * byte has reached the other end, and the answers to it too. */
gboolean ms_tcp_conn_quiet(const MsTcpConn *conn);
/* Connections the net still holds: open, closing, or over with a segment
 * still in flight. */
guint ms_net_tcp_conn_count(MsNet *net);

/* Tuning, for scenarios and tests. */
void ms_net_set_mss(MsNet *net, guint32 mss);
void ms_net_set_rto(MsNet *net, MsTime initial_rto, guint max_retries);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsNet, ms_net_free)

G_END_DECLS
