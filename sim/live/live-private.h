/* live-private.h - what the parts of live mode share: the live server (its
 * ports, clock and limits, live.c) and its connections (live_conn.c).
 * Live mode is the server glue of sim/agents on another transport, so it
 * works with the world's internals (agents-private.h).
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "agents/agents-private.h"
#include "mailsim/live.h"

typedef struct LiveConn LiveConn;

struct MsLive {
    MsWorld *world;
    MsMailServer *server;
    MsLiveLimits limits;
    GSocketService *services[MS_LIVE_N_SERVICES];
    guint16 ports[MS_LIVE_N_SERVICES];
    GPtrArray *conns;        /* LiveConn*, open ones, refused ones included */
    guint served;            /* of those, the ones not refused: what
                              * --max-sessions bounds */
    GHashTable *per_client;  /* client address -> sessions open (GUINT_TO_POINTER) */
    gint64 start_us;         /* monotonic clock at simulated time 0 */
    guint sim_timer;         /* GSource id: the next simulated event */
    MsTime sim_timer_at;
    guint tick_timer;        /* GSource id: once a second, idle and memory checks */
    guint64 rss;             /* resident memory at the last tick, in bytes */
    guint64 total;           /* sessions ever opened */
    gboolean stopped;
    void (*log)(const char *line, gpointer data);
    gpointer log_data;
};

/* Simulated time now: the real time since the live server started. */
MsTime ms_live_now(const MsLive *live);
/* Runs the simulated events due by now, sets the simulated clock to now and
 * sets a timer for the next event.  Called around everything a socket or a
 * timer makes happen. */
void ms_live_sync(MsLive *live);
void ms_live_log(MsLive *live, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A connection just accepted on service's port.  With refuse set it is
 * told why and closed at once, without a session starting. */
LiveConn *ms_live_conn_new(MsLive *live, MsLiveService service, GSocketConnection *connection,
                           const char *peer, const char *refuse);
/* Idle and output checks, once a second. */
void ms_live_conn_tick(LiveConn *c, MsTime now);
/* Lines the client has sent so far. */
guint64 ms_live_conn_lines(const LiveConn *c);
/* Cuts the client off with a reason (the server is shutting down). */
void ms_live_conn_cut(LiveConn *c, const char *why);
/* Ends the connection now, whatever its state (at shutdown, after cut). */
void ms_live_conn_finish_now(LiveConn *c);
/* Called by the connection when it is over and about to be freed. */
void ms_live_forget(MsLive *live, LiveConn *c, const char *peer, gboolean counted);
const MsServerProtocol *ms_live_service_protocol(MsLiveService service);

/* Octets the server has sent a client on this machine that it has not
 * read yet, as its own socket counts them (live_peer.c); -1 when that
 * cannot be seen: a client elsewhere, a socket gone, no sock_diag. */
gint64 ms_live_peer_unread(GSocket *sock);
