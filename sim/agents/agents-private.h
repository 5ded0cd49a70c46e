/* agents-private.h - what the parts of the world (servers, user agents, the
 * session glue) share.  The world owns everything; servers and agents hold
 * a back pointer to it and never outlive it.
 */
#pragma once

#include <glib.h>
#include <string.h>

#include "mailsim/core.h"
#include "mailsim/imap.h"
#include "mailsim/queue.h"
#include "mailsim/net.h"
#include "mailsim/proto.h"
#include "mailsim/scenario.h"
#include "mailsim/trace.h"
#include "mailsim/world.h"

typedef struct MsMailServer MsMailServer;
typedef struct MsUserAgent MsUserAgent;

/* The trace context of the notes of one host, found by the address of the
 * host's name (world.c). */
typedef struct {
    const char *host;     /* the name the notes were given */
    const char *interned; /* the trace's copy of it, NULL: slot unused */
    MsTraceContext ctx;
} MsWorldNoteCtx;

#define MS_WORLD_NOTE_CTX_SLOTS 256

/* A line's (phase, note) pair as the trace interned it, found by the two
 * keys' addresses (session.c): an engine's keys are static strings
 * (MsProtoLine), so an address names one text for the whole run. */
typedef struct {
    const char *phase;
    const char *note;
    guint32 ann_plus_one; /* the MsTraceAnn + 1; 0: slot unused */
} MsWorldLineAnn;

#define MS_WORLD_LINE_ANN_SLOTS 256

struct MsWorld {
    const MsScenario *scenario;
    MsSim *sim;
    MsNet *net;
    GPtrArray *servers;   /* MsMailServer*, scenario order */
    GPtrArray *agents;    /* MsUserAgent*, scenario order */
    GHashTable *agent_index; /* host name (ms_name_hash) -> first MsUserAgent* on it */
    guint64 message_serial; /* for Message-IDs */
    GPtrArray *owned;     /* small allocations freed with the world */
    GPtrArray *links;     /* MsLink*, in scenario order (parallel to scenario->links) */
    GError *failure;      /* first simulation error, if any */
    guint64 max_events;   /* 0: the built-in cap */
    MsWorldNoteCtx note_ctx[MS_WORLD_NOTE_CTX_SLOTS];
    guint crlf_code;      /* ms_trace_eol_code("\r\n"), for session.c */
    MsWorldLineAnn line_anns[MS_WORLD_LINE_ANN_SLOTS]; /* session.c */
    MsTrace *trace;       /* the sim's, NULL until session.c first asks */
};

/* ---- session glue (session.c) ----
 * Every per-connection session struct starts with an MsSessionBase so the
 * server or agent that owns it can free it without knowing its type. */
typedef struct {
    void (*free)(gpointer self);
} MsSessionBase;

/* GDestroyNotify for arrays of sessions. */
void ms_session_free(gpointer session);

/* Writes an engine's output lines on a connection: one trace record per line
 * (its arrival filled in by TCP), then one application write for them all. */
void ms_session_send_lines(MsWorld *world, MsTcpConn *conn, MsDir side, GPtrArray *lines);
/* ---- server sessions (server_session.c) ----
 * The server side of one connection: a protocol engine working for a mail
 * server, and the transport its bytes travel on.  The plumbing (start the
 * engine, feed it, write what it says, close when it is done or when the
 * client goes) is written once here; a protocol supplies the few steps that
 * differ (MsServerProtocol), and a transport says how lines are recorded and
 * written (MsServerTransport): simulated TCP (this file) or a real socket
 * (sim/live).  Both kinds of session live in the server's `sessions`. */
typedef struct MsServerSession MsServerSession;

typedef struct {
    const char *protocol; /* "POP3": labels the listener and its records */
    gsize size;           /* of the protocol's session struct, which starts
                           * with an MsServerSession */
    /* Makes the engine (s->server and s->peer are set). */
    void (*init)(MsServerSession *s);
    /* The connection is up: the engine greets.  NULL when the client speaks
     * first (HTTP). */
    void (*start)(MsServerSession *s);
    void (*feed)(MsServerSession *s, const char *bytes, gsize len);
    /* Acts on the engine's events (stores mail, ...) and returns its output
     * lines (transfer full, may be NULL; transfer none when `sent` is set);
     * sets *close_out when the engine has ended the session. */
    GPtrArray *(*step)(MsServerSession *s, gboolean *close_out);
    /* The lines step returned, the engine's own, have been written: the
     * engine forgets them and keeps their memory for its next lines.  NULL
     * when step hands its lines over. */
    void (*sent)(MsServerSession *s);
    /* The client closed its side (may be NULL).  TRUE: step the engine once
     * more, for what it says on the way out. */
    gboolean (*peer_closed)(MsServerSession *s);
    /* This side has just closed (may be NULL). */
    void (*after_close)(MsServerSession *s);
    /* The connection is gone, closed both ways or aborted (may be NULL). */
    void (*gone)(MsServerSession *s, gboolean aborted);
    /* Frees the engine and whatever else the protocol added. */
    void (*finalize)(MsServerSession *s);
    /* For transports that record what the client sends (live mode), before
     * the line is fed: the note key of a line from the client, and its
     * phase in *phase_out. */
    const char *(*client_note)(MsServerSession *s, const char *line, gsize len,
                               const char **phase_out);
    /* The lines that tell a client it is being cut off and why ("idle for
     * 5 min"), before the transport closes (transfer full). */
    GPtrArray *(*farewell)(MsServerSession *s, const char *why);
    /* For transports that bound what a client sends (live mode), before
     * the next line is fed: whether the engine now reads a message's text
     * (SMTP DATA) or a literal's octets (IMAP) rather than commands; for
     * a literal, *octets_out gets how many of its octets are still to
     * come, else 0 (the text comes line by line).  NULL: only commands. */
    gboolean (*client_text)(MsServerSession *s, guint64 *octets_out);
    /* Like farewell, for a client cut off for being idle; begun: the
     * transport holds part of a line the engine has not had yet.  May
     * return NULL: the connection closes without a word.  NULL: the
     * farewell. */
    GPtrArray *(*idle_farewell)(MsServerSession *s, const char *why, gboolean begun);
    /* For transports that bound how long a request takes to arrive (live
     * mode): whether the engine is reading a request it has not had whole
     * (HTTP: its header section or content).  NULL: no such requests. */
    gboolean (*in_request)(MsServerSession *s);
} MsServerProtocol;

typedef struct {
    /* Records each line in the trace and writes them all, in one write. */
    void (*send)(MsServerSession *s, GPtrArray *lines);
    /* Closes the server's side once everything written has gone. */
    void (*close)(MsServerSession *s);
} MsServerTransport;

struct MsServerSession {
    MsSessionBase base;
    const MsServerProtocol *proto;
    MsMailServer *server;
    const MsServerTransport *transport;
    gpointer transport_data; /* the MsTcpConn, or the live connection */
    char *peer;              /* the client's host name, in the session's
                              * block (after the protocol's struct) */
    gboolean trusted;        /* the client is one of the server's own users'
                              * machines, whatever its name: it may send
                              * mail anywhere (live mode's clients) */
    gboolean closing;        /* this side has closed */
};

/* A session for a connection that has just been accepted, added to the
 * server's sessions (which own it). */
MsServerSession *ms_server_session_new(MsMailServer *server, const MsServerProtocol *proto,
                                       const char *peer, const MsServerTransport *transport,
                                       gpointer transport_data);
/* What the transport tells the session. */
void ms_server_session_established(MsServerSession *s);
void ms_server_session_data(MsServerSession *s, const char *bytes, gsize len);
void ms_server_session_peer_closed(MsServerSession *s);
/* The transport cuts the client off (idle, flooding, shutting down): the
 * protocol's farewell saying why, then this side closes. */
void ms_server_session_cut(MsServerSession *s, const char *why);
/* The same for a client that has been idle too long (the protocol's
 * idle_farewell; begun: part of a line waits in the transport). */
void ms_server_session_cut_idle(MsServerSession *s, const char *why, gboolean begun);
/* Steps the engine and writes what it says (for news it has of its own). */
void ms_server_session_pump(MsServerSession *s);
/* Whether a session in a server's `sessions` is one of proto's. */
gboolean ms_server_session_is(gpointer session, const MsServerProtocol *proto);
/* Last call: the session is removed from the server's sessions and freed. */
void ms_server_session_closed(MsServerSession *s, gboolean aborted);
/* Listens on a simulated TCP port of the server for proto's sessions. */
gboolean ms_server_session_listen(MsMailServer *server, guint16 port,
                                  const MsServerProtocol *proto, GError **error);

/* Emits a record of kind (ACTION, QUEUE, MAILBOX, MESSAGE, ERROR) now.  key
 * names the event ("queue.add", "mailbox.deliver", ...: the list is in
 * docs/trace-format.md) and goes in the record's note field; detail is the
 * English sentence. */
void ms_world_note(MsWorld *world, MsTraceKind kind, const char *key, const char *host,
                   const char *subject, gint64 count, const char *fmt, ...) G_GNUC_PRINTF(7, 8);
/* The same, with `text` holding what the event is about in machine form
 * (the Message-ID of a delivered message, the IDs a mailbox holds). */
void ms_world_note_text(MsWorld *world, MsTraceKind kind, const char *key, const char *host,
                        const char *subject, const char *text, gint64 count, const char *fmt,
                        ...) G_GNUC_PRINTF(8, 9);
/* At the end of a run: one "state.*" record per mailbox folder, outgoing
 * queue and agent's local store, with the Message-IDs they hold (state.c). */
void ms_world_note_end_state(MsWorld *world);
/* Records the first simulation failure; the run stops with it. */
void ms_world_fail(MsWorld *world, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
gint64 ms_world_unix_time(MsWorld *world);
/* A new Message-ID "<serial.unixtime[.tag]@domain>" (RFC 5322 3.6.4): unique
 * in the run, the same on every run (transfer full).  tag may be NULL. */
char *ms_world_message_id(MsWorld *world, const char *domain, const char *tag);
/* g_strdup_printf(), with the plain formats the event sentences use done
 * without printf (transfer full). */
char *ms_world_format(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

MsMailServer *ms_world_server_by_name(MsWorld *world, const char *name);
MsMailServer *ms_world_server_for_domain(MsWorld *world, const char *domain);

/* ---- mail servers (mail_server.c, server_smtp.c, server_pop3.c) ---- */
typedef struct {
    MsMailServer *server; /* the server the user belongs to */
    char *local;         /* "bob" */
    char *address;       /* "bob@hamburger.edu" */
    char *password;      /* NULL: cannot log in */
    char *agent_host;    /* the agent's host, NULL if none */
    /* The user's mail: folders with INBOX first, on the server.  POP3 sees
     * INBOX only; IMAP sees every folder.  One store, so what one protocol
     * or device does, the others see. */
    MsImapStore *store;
    guint store_watch;
    gboolean locked;     /* a POP3 session holds the maildrop */
    /* The IMAP sessions logged in as the user, oldest session first (not
     * owned; server_imap.c links and unlinks them), so that a change is told
     * to them without walking every session on the server. */
    gpointer imap_sessions;
} MsServerUser;

struct MsMailServer {
    MsWorld *world;
    const MsScServer *spec; /* its options (profile, relay policy, ...) */
    MsHost *host;
    char *name;
    char *domain;
    GPtrArray *users;     /* MsServerUser*, declaration order */
    GHashTable *user_index;  /* local part in ASCII lower case -> MsServerUser* */
    GHashTable *agent_hosts; /* host name (ms_name_hash) -> MsServerUser* using it */
    GPtrArray *queue;     /* MsQueuedMessage*, queue order */
    guint64 queue_serial;
    GPtrArray *sessions;  /* live inbound/outbound sessions (owned, see *_session_free) */
    GPtrArray *relaying;  /* the relay connections open now (server_relay.c's
                           * sessions, which `sessions` owns), one a domain */
    gboolean pop3_update; /* a POP3 update is removing messages (its own notes) */
    const char *appending_id; /* a delivery's Message-ID while it is stored */
    struct MsWebmail *webmail; /* the web-mail application, with `webmail on` */
    MsEventId queue_timer;
    MsTime queue_timer_at;
    guint64 pop3_sessions;
    guint64 imap_sessions;/* IMAP sessions opened, numbering them */
    guint64 smtp_ids;     /* for Received ids */
    MsTime retry_interval;/* between relay attempts (default 30 min) */
    /* The trace context of the server's store records (its name alone),
     * found for the first of them (server_imap.c). */
    MsTraceContext store_ctx;
    gboolean have_store_ctx;
    MsTime give_up_after; /* bounce after this long in the queue (5 days) */
};

MsServerUser *ms_mail_server_find_user(MsMailServer *server, const char *user);
/* The user whose mailbox mail for address reaches: its user, or for
 * "postmaster" (any case; no domain or this server's), which RFC 5321
 * 4.5.1 says every server MUST accept, the server's first user, or a
 * "postmaster" mailbox made then when it has none (docs/protocols.md).
 * NULL: no mailbox here. */
MsServerUser *ms_mail_server_find_recipient(MsMailServer *server, const char *address);
/* Delivers a message to a local user's mailbox (adds Return-Path), tracing
 * the change.  eol: the text's line ending when the caller has read its
 * header already (ms_message_prepend_peek()), so it is not read again;
 * NULL when not known. */
void ms_mail_server_deliver(MsMailServer *server, MsServerUser *user, const char *reverse_path,
                            GBytes *data, const char *message_id, const char *eol);
/* Puts a message for the n recipients in the outgoing queue (which copies
 * them); the caller wakes the queue (see ms_mail_server_wake_queue) when it
 * is time to send. */
void ms_mail_server_enqueue(MsMailServer *server, const char *reverse_path,
                            const char *const *recipients, guint n, GBytes *data,
                            const char *message_id);
/* Makes the queue run at `at` (or earlier if it is already due earlier). */
void ms_mail_server_wake_queue(MsMailServer *server, MsTime at);
/* The value of a Received: field the server writes (RFC 5321 4.4):
 * "from HELO (PEER)" (helo NULL: PEER again; PEER as an address literal
 * when it is an IP address, as mailsim serve's clients are), folded before
 * "by" when the first line would be long, "by NAME with WITH", " id N"
 * when with_id (the server's next id), ";", folded, the date.  Written in
 * buf (buf_size bytes) when it fits, else in *heap_out (transfer full,
 * NULL when buf was used); returns where. */
char *ms_mail_server_received(MsMailServer *server, const char *helo, const char *peer,
                              const char *with, gboolean with_id, char *buf, gsize buf_size,
                              char **heap_out);
/* Removes a queue entry (and frees it), tracing why. */
void ms_mail_server_dequeue(MsMailServer *server, MsQueuedMessage *q, const char *why);
gboolean ms_server_pop3_listen(MsMailServer *server, GError **error);
gboolean ms_server_imap_listen(MsMailServer *server, GError **error);
gboolean ms_server_web_listen(MsMailServer *server, GError **error);
/* Web mail with folders, flags, delete, copy and move (live mode). */
void ms_server_web_enable_folders(MsMailServer *server);
/* The server-side protocols, for listeners on other transports. */
extern const MsServerProtocol ms_server_smtp_protocol;
extern const MsServerProtocol ms_server_pop3_protocol;
extern const MsServerProtocol ms_server_imap_protocol;
extern const MsServerProtocol ms_server_web_protocol;
/* A user's store changed: tell the user's IMAP sessions (server_imap.c). */
void ms_server_imap_store_changed(MsMailServer *server, MsServerUser *user,
                                  const MsImapChange *change);
gboolean ms_server_smtp_listen(MsMailServer *server, GError **error);
void ms_server_run_queue(MsMailServer *server);
/* A message accepted for a user this server does not have ('unknown-users
 * bounce'): returned to its sender in a bounce, queued for the queue run
 * that follows the session. */
void ms_server_bounce_unknown_user(MsMailServer *server, const char *reverse_path,
                                   GBytes *data, const char *message_id, const char *rcpt);

MsMailServer *ms_mail_server_new(MsWorld *world, const MsScServer *spec, GError **error);
void ms_mail_server_free(MsMailServer *server);
const char *ms_mail_server_domain(const MsMailServer *server);
const char *ms_mail_server_name(const MsMailServer *server);
MsHost *ms_mail_server_host(const MsMailServer *server);
/* Creates the mailbox of a local user (local part, e.g. "bob"). */
void ms_mail_server_add_user(MsMailServer *server, const char *local, const char *password,
                             const char *agent_host);
MsImapStore *ms_mail_server_store(MsMailServer *server, const char *local);
/* The Message-ID of a stored message, for traces (transfer full; NULL if none). */
char *ms_message_id_of(GBytes *data);

/* ---- user agents (user_agent.c, agent_imap.c) ---- */
/* A message an agent downloaded with POP3: what it needs of it later (the
 * text itself is kept in 'received' only by agents that answer mail).  One
 * allocation with both strings, as it stays until the run ends, one for
 * every message a POP3 reader downloads. */
typedef struct {
    const char *uidl;       /* NULL when the session did not ask UIDL */
    const char *message_id; /* NULL when the message has none */
    char text[];            /* the two, each with its NUL */
} LocalCopy;

/* What an agent learnt of a server folder, so "fetch new" in a later IMAP
 * session asks only for messages it has not seen. */
typedef struct {
    char *folder;
    guint32 uidvalidity;
    guint32 uidnext;
} MsAgentKnownFolder;

void ms_agent_known_folder_clear(gpointer p);

struct MsUserAgent {
    MsWorld *world;
    const MsScAgent *spec;
    MsHost *host;
    char *host_name;
    char *address;
    char *local;
    char *server_name;
    MsHost *server_host;  /* its server's, found once */
    guint16 submit_port;  /* where it submits mail: 25, or the server's
                           * submission port (found once) */
    char *password;
    GPtrArray *store;     /* LocalCopy*: what this agent has downloaded (POP3) */
    GPtrArray *received;  /* GBytes*: every message downloaded (POP3 or IMAP),
                           * once each, in the order they came: what 'reply'
                           * and 'forward' choose from; empty unless answers */
    gboolean answers;     /* the scenario has it reply or forward */
    GPtrArray *sessions;  /* live sessions (MsSessionBase) */
    gpointer imap;        /* the IMAP session its actions drive, or NULL */
    GArray *imap_known;   /* MsAgentKnownFolder */
    gpointer web;         /* the browser's HTTP connection, or NULL */
    char *web_cookie;     /* "session=s1" while logged in to web mail */
};

/* What a reply or a forward adds to a send action (agent_answer.c): the
 * header fields taken from the original, and the original itself. */
typedef struct {
    const char *const *to;  /* NULL-terminated mailboxes; NULL: the action's */
    const char *subject;    /* "Re: Ketchup" */
    const char *in_reply_to;
    const char *references;
    const char *text;       /* the body, NULL: the action's */
    GBytes *forwarded;      /* a message/rfc822 part, NULL: none */
} MsAgentAnswer;

MsHost *ms_user_agent_server_host(MsUserAgent *agent);
/* Composes the message(s) of a send action, with answer (may be NULL)
 * for a reply or a forward, and submits them with SMTP. */
void ms_user_agent_submit(MsUserAgent *agent, const MsScAction *action,
                          const MsAgentAnswer *answer);
/* A message downloaded: kept for 'reply' and 'forward' (once per
 * Message-ID). */
void ms_user_agent_received(MsUserAgent *agent, GBytes *data);
/* 'reply' and 'forward' (agent_answer.c). */
void ms_agent_answer(MsUserAgent *agent, const MsScAction *action);
void ms_agent_imap_act(MsUserAgent *agent, const MsScAction *action);
void ms_agent_web_act(MsUserAgent *agent, const MsScAction *action);
MsUserAgent *ms_user_agent_new(MsWorld *world, const MsScAgent *spec, GError **error);
void ms_user_agent_free(MsUserAgent *agent);
const char *ms_user_agent_host_name(const MsUserAgent *agent);
void ms_user_agent_act(MsUserAgent *agent, const MsScAction *action);

/* ---- raw dialogues (telnet.c) ----
 * `at T host telnet SERVER PORT` with typed lines: a person at a terminal,
 * not a user agent.  The session is added to `sessions` (owned there). */
void ms_telnet_start(MsWorld *world, MsHost *from, const MsScAction *action,
                     GPtrArray *sessions);

/* "bob@hamburger.edu" -> "bob" / "hamburger.edu" (transfer full). */
char *ms_address_local(const char *address);
char *ms_address_domain(const char *address);
/* The domain of an address where it is, without a copy ("" when it has no
 * '@'): every recipient's domain is looked at several times on its way. */
static inline const char *ms_address_domain_in(const char *address)
{
    const char *at = strrchr(address, '@');
    return at != NULL ? at + 1 : "";
}
