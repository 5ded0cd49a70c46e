/* live.h - live mode (`mailsim serve`): one simulated mail server of a world
 * on real sockets, for telnet, mail clients, browsers and students'
 * programs.
 *
 * The sessions are the simulation's own (the same sans-I/O engines, the same
 * stores, the same server glue); only the transport differs: bytes come from
 * and go to a socket instead of a simulated TCP connection.  Everything is
 * recorded in the world's trace, so the same transcript, summary, trace and
 * diagram come out as from `mailsim run`.  Simulated time follows the real
 * clock: mail relayed to another simulated server takes its simulated
 * delays in real time.  One thread, GLib's main loop; limits keep one
 * client from hurting the others (docs/serve.md).
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"
#include "mailsim/world.h"

G_BEGIN_DECLS

/* The ports a live server opens: X-macro of constant, protocol, default port. */
#define MS_LIVE_SERVICES(X)                                                   \
    X(MS_LIVE_SMTP, "SMTP", 2525)                                             \
    X(MS_LIVE_POP3, "POP3", 1110)                                             \
    X(MS_LIVE_IMAP, "IMAP", 1143)                                             \
    X(MS_LIVE_HTTP, "HTTP", 8080)

#define MS_LIVE_SERVICE_ENUM_(e, name, port) e,
typedef enum { MS_LIVE_SERVICES(MS_LIVE_SERVICE_ENUM_) MS_LIVE_N_SERVICES } MsLiveService;
#undef MS_LIVE_SERVICE_ENUM_

const char *ms_live_service_name(MsLiveService service); /* "SMTP" */
guint16 ms_live_service_default_port(MsLiveService service);

/* What one client may cost.  A client that goes past a limit is told why
 * (421, -ERR, * BYE, 503) and cut off; the others never notice. */
typedef struct {
    guint max_sessions;    /* open at once, all clients (512) */
    guint max_per_client;  /* open at once from one address (64) */
    MsTime idle;           /* without a byte from the client (5 min) */
    MsTime request_time;   /* HTTP: from a request's first octet until its
                            * head and content are in (2 min); 0: none */
    gsize max_line;        /* octets in one line, whatever the protocol
                            * allows (64 KiB); the engines answer the RFC
                            * limits (SMTP 512/1000) themselves */
    gsize max_output;      /* octets waiting for a client that does not
                            * read (64 MiB: more than the largest
                            * message's RETR or FETCH) */
    guint64 max_commands;  /* command lines one session may send (100000);
                            * a message's text and IMAP literals do not
                            * count: the size limits bound those */
    guint64 max_memory;    /* resident memory of the process; above it no
                            * new session is taken, and the session that
                            * sent the most lines is cut off (1 GiB) */
} MsLiveLimits;

void ms_live_limits_init(MsLiveLimits *limits);

typedef struct {
    const char *server;    /* the simulated server to expose; NULL: the first */
    const char *listen;    /* address to listen on; NULL: 127.0.0.1 */
    /* Per service: 0 picks a free port, -1 leaves it closed. */
    int ports[MS_LIVE_N_SERVICES];
    MsLiveLimits limits;
    /* One line per session opened and closed (NULL: say nothing). */
    void (*log)(const char *line, gpointer data);
    gpointer log_data;
} MsLiveConfig;

/* Defaults: the first server, 127.0.0.1, ports 2525/1110/1143/8080. */
void ms_live_config_init(MsLiveConfig *config);

typedef struct MsLive MsLive;

/* Opens the ports on the world's server (the world must outlive it; it is
 * driven from the thread-default main context).  Fails when the server is
 * unknown or a port cannot be opened.  (transfer full) */
MsLive *ms_live_new(MsWorld *world, const MsLiveConfig *config, GError **error);
/* The port a service listens on (after 0 picked one), or 0 when closed. */
guint16 ms_live_port(const MsLive *live, MsLiveService service);
const char *ms_live_server_name(const MsLive *live);
/* Stops listening, tells every open session why ("the server is shutting
 * down") and closes it, and records the world's end state.  The trace is
 * then complete.  Idempotent. */
void ms_live_stop(MsLive *live, const char *why);
guint ms_live_sessions_open(const MsLive *live);
guint64 ms_live_sessions_total(const MsLive *live);
void ms_live_free(MsLive *live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsLive, ms_live_free)

G_END_DECLS
