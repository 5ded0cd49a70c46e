/* pop3.h - the POP3 protocol engines (RFC 1939, with CAPA from RFC 2449).
 *
 * A POP3 session moves through three states: AUTHORIZATION (the client
 * names itself), TRANSACTION (it lists, retrieves and marks messages for
 * deletion) and UPDATE (entered only by QUIT from TRANSACTION, where the
 * marked messages are really removed).  Both engines are sans-I/O: the glue
 * in sim/agents feeds them the bytes that arrived, sends the lines they
 * produce (MsProtoLine, see proto.h) and acts on their events.  The server
 * reaches the maildrop only through the callbacks in its configuration.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"
#include "mailsim/proto.h"

G_BEGIN_DECLS

/* ---- States ------------------------------------------------------------
 * X-macro: enum constant, printable name, phase key of lines sent in it.
 * INIT (before the greeting) and CLOSED (after the last reply) are the
 * engine's own; the other three are RFC 1939 section 3's states. */
#define MS_POP3_STATES(X)                                                   \
    X(MS_POP3_STATE_INIT, "init", "pop3.authorization")                     \
    X(MS_POP3_STATE_AUTHORIZATION, "authorization", "pop3.authorization")   \
    X(MS_POP3_STATE_TRANSACTION, "transaction", "pop3.transaction")         \
    X(MS_POP3_STATE_UPDATE, "update", "pop3.update")                        \
    X(MS_POP3_STATE_CLOSED, "closed", "pop3.update")

#define MS_POP3_STATE_ENUM_(e, name, phase) e,
typedef enum { MS_POP3_STATES(MS_POP3_STATE_ENUM_) MS_POP3_N_STATES } MsPop3State;
#undef MS_POP3_STATE_ENUM_

const char *ms_pop3_state_name(MsPop3State state);  /* "authorization", ... */
const char *ms_pop3_state_phase(MsPop3State state); /* "pop3.authorization", ... */

/* ---- Annotation keys ----------------------------------------------------
 * Every note key an engine puts on a line ("pop3.cmd.user",
 * "pop3.reply.err.locked", "pop3.data.end", ...) with a short English
 * description, in one static table (for translation and for the
 * transcript's legend). */
typedef MsProtoNote MsPop3Note;

/* The whole table (static, in the order a session meets them); n_out gets
 * its length. */
const MsPop3Note *ms_pop3_notes(gsize *n_out);
/* The English text of a key, or NULL if the key is not POP3's. */
const char *ms_pop3_note_text(const char *key);
/* The note key of a command line as a client would send it ("pop3.cmd.retr"
 * for "retr 1"), or "pop3.cmd.unknown": for tracing lines that do not come
 * from MsPop3Client (a student's scripted dialogue, say). */
const char *ms_pop3_command_note(const char *line, gsize len);

/* RFC 1939 section 7 (APOP): the lower-case hex MD5 of timestamp followed by
 * secret, e.g. "<1896.697170952@dbc.mtview.ca.us>" + "tanstaaf" gives
 * "c4c9334bac560ecc979e58001b3e22fb" (transfer full). */
char *ms_pop3_apop_digest(const char *timestamp, const char *secret);

/* Reply-text profiles: "default" (RFC 1939's wording) and "textbook"
 * (Kurose & Ross's sample session).  NULL means "default". */
gboolean ms_pop3_profile_exists(const char *name);
/* NULL-terminated list of the profile names (static). */
const char *const *ms_pop3_profile_names(void);

/* ---- Messages of a maildrop ---------------------------------------------- */
typedef struct {
    char *uidl;   /* RFC 1939 section 7 unique-id: 1..70 octets 0x21..0x7E */
    GBytes *data; /* the message, lines ending in CRLF */
} MsPop3Message;

/* Copies uidl, takes a reference on data.  A NULL or malformed uidl is
 * replaced, when the server loads the maildrop, by the MD5 of the data. */
MsPop3Message *ms_pop3_message_new(const char *uidl, GBytes *data);
void ms_pop3_message_free(MsPop3Message *msg);
/* A GPtrArray that frees MsPop3Message elements (transfer full). */
GPtrArray *ms_pop3_messages_new(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsPop3Message, ms_pop3_message_free)

/* ---- Events -------------------------------------------------------------- */
#define MS_POP3_EVENT_KINDS(X)                                              \
    X(MS_POP3_EVENT_AUTH_OK, "auth-ok")                                     \
    X(MS_POP3_EVENT_AUTH_FAILED, "auth-failed")                             \
    X(MS_POP3_EVENT_UPDATE, "update")                                       \
    X(MS_POP3_EVENT_UNLOCKED, "unlocked")                                   \
    X(MS_POP3_EVENT_MESSAGE, "message")                                     \
    X(MS_POP3_EVENT_DONE, "done")                                           \
    X(MS_POP3_EVENT_ERROR, "error")                                         \
    X(MS_POP3_EVENT_CLOSE, "close")

#define MS_POP3_EVENT_ENUM_(e, name) e,
typedef enum { MS_POP3_EVENT_KINDS(MS_POP3_EVENT_ENUM_) MS_POP3_N_EVENT_KINDS } MsPop3EventKind;
#undef MS_POP3_EVENT_ENUM_

const char *ms_pop3_event_kind_name(MsPop3EventKind kind);

/* One event.  Fields that do not apply to a kind are 0 / NULL.
 *
 * Server events:
 *   AUTH_OK      user, maildrop, count, octets: the maildrop is locked and
 *                its snapshot taken (RFC 1939 section 4).
 *   AUTH_FAILED  user, text (the -ERR reply's text): an unknown name at
 *                USER, wrong credentials at PASS or APOP, or lock_refused
 *                when they were right but the maildrop was already locked.
 *                The session stays in AUTHORIZATION; the client may retry.
 *   UPDATE       maildrop, numbers (guint, 1-based positions in the array
 *                load() returned, ascending) and uidls (char*, same order):
 *                the messages to remove now.  Only after QUIT from
 *                TRANSACTION (RFC 1939 section 6).
 *   UNLOCKED     maildrop: the lock was released (unlock() has been called);
 *                aborted when the connection dropped, in which case no
 *                UPDATE came and nothing may be removed.
 *   CLOSE        the last reply has been produced: close the connection.
 * Client events:
 *   AUTH_OK      user: the server accepted the credentials.
 *   AUTH_FAILED  user, text: -ERR to USER, PASS or APOP; the client QUITs.
 *   MESSAGE      number, uidl (NULL unless UIDL was used), data (the message
 *                with byte-stuffing removed, CRLF line ends, without the
 *                terminating "."), octets (the size LIST announced).
 *   ERROR        text: an unexpected -ERR or a malformed reply; the client
 *                goes on when it can, otherwise QUITs.
 *   DONE         listed (messages in LIST), octets (their total size),
 *                retrieved, deleted (DELE acknowledged and QUIT +OK, so
 *                really removed): after the reply to QUIT of a session that
 *                logged in.
 *   CLOSE        the session is over: close the connection. */
typedef struct {
    MsPop3EventKind kind;
    char *user;
    char *maildrop;
    char *text;
    guint count;
    guint64 octets;
    gboolean lock_refused;
    gboolean aborted;
    GArray *numbers;    /* guint */
    GPtrArray *uidls;   /* char* */
    guint number;
    char *uidl;
    GBytes *data;
    guint listed;
    guint retrieved;
    guint deleted;
} MsPop3Event;

void ms_pop3_event_free(MsPop3Event *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsPop3Event, ms_pop3_event_free)

/* ---- Server ---------------------------------------------------------------
 * Callbacks into the glue.  Each gets the config's user_data last. */

/* Optional.  FALSE makes USER answer "-ERR sorry, no mailbox for <user>
 * here" (RFC 1939 section 7, USER); NULL accepts every name at USER. */
typedef gboolean (*MsPop3UserFn)(const char *user, gpointer user_data);
/* USER/PASS: TRUE if password is user's; then *maildrop_out gets the
 * canonical maildrop name (transfer full). */
typedef gboolean (*MsPop3AuthFn)(const char *user, const char *password,
                                 gpointer user_data, char **maildrop_out);
/* APOP: the shared secret of user (transfer full) and its maildrop name in
 * *maildrop_out (transfer full), or NULL if the user has no secret. */
typedef char *(*MsPop3SecretFn)(const char *user, gpointer user_data, char **maildrop_out);
/* FALSE when another session holds the maildrop ("-ERR maildrop already
 * locked", RFC 1939 section 4). */
typedef gboolean (*MsPop3LockFn)(const char *maildrop, gpointer user_data);
typedef void (*MsPop3UnlockFn)(const char *maildrop, gpointer user_data);
/* The maildrop's messages in order, as a GPtrArray of MsPop3Message from
 * ms_pop3_messages_new() (transfer full), or NULL if it cannot be read. */
typedef GPtrArray *(*MsPop3MaildropFn)(const char *maildrop, gpointer user_data);

typedef struct {
    const char *hostname;        /* in the greeting, the APOP timestamp and QUIT */
    const char *profile;         /* "default" (NULL) or "textbook" */
    MsPop3UserFn known_user;     /* optional */
    MsPop3AuthFn authenticate;   /* required */
    MsPop3SecretFn apop_secret;  /* optional: NULL disables APOP */
    MsPop3LockFn lock;           /* required */
    MsPop3UnlockFn unlock;       /* required */
    MsPop3MaildropFn load;       /* required */
    gpointer user_data;
    /* The APOP timestamp "<pid.clock@hostname>" (RFC 1939 section 7) is
     * built from these two numbers, not from a real process id or clock:
     * the glue passes, say, a per-server session counter and the simulated
     * time in seconds, so every run gives the same banner. */
    guint64 apop_pid;
    guint64 apop_clock;
} MsPop3ServerConfig;

typedef struct MsPop3Server MsPop3Server;

/* Copies what it needs from config.  Fails (MS_ERROR_SCENARIO) on an
 * unknown profile or a missing required callback. */
MsPop3Server *ms_pop3_server_new(const MsPop3ServerConfig *config, GError **error);
/* Releases the maildrop lock (unlock()) if still held, like an abort. */
void ms_pop3_server_free(MsPop3Server *server);
/* The connection is open: produces the greeting (RFC 1939 section 4). */
void ms_pop3_server_start(MsPop3Server *server);
/* Bytes from the client; each complete command line is answered. */
void ms_pop3_server_feed(MsPop3Server *server, const char *bytes, gsize len);
/* Lines to send, in order (transfer full; an empty array when none). */
GPtrArray *ms_pop3_server_take_output(MsPop3Server *server);
/* The same lines without a copy, for glue that sends them at once: the
 * engine's own array (transfer none), valid until the engine is next fed
 * or asked for output.  ms_pop3_server_output_sent() then forgets them.
 * Read its len and pdata only (see ms_proto_output_lines()). */
GPtrArray *ms_pop3_server_output(MsPop3Server *server);
void ms_pop3_server_output_sent(MsPop3Server *server);
/* Next pending event, or NULL (transfer full). */
MsPop3Event *ms_pop3_server_next_event(MsPop3Server *server);
/* The connection dropped: RFC 1939 section 6 says no message is removed;
 * the lock is released (UNLOCKED with aborted) and the engine is closed. */
void ms_pop3_server_abort(MsPop3Server *server);
MsPop3State ms_pop3_server_state(const MsPop3Server *server);
/* "<pid.clock@hostname>" of the greeting, or NULL when APOP is disabled. */
const char *ms_pop3_server_timestamp(const MsPop3Server *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsPop3Server, ms_pop3_server_free)

/* ---- Client ---------------------------------------------------------------
 * A mail reader fetching a maildrop: greeting, USER/PASS (or APOP), [STAT],
 * LIST, [UIDL], then RETR (and DELE, unless keep) for each message, [RSET],
 * QUIT. */

/* Client states: enum constant, printable name.  One per awaited reply. */
#define MS_POP3_CLIENT_STATES(X)                                            \
    X(MS_POP3_CLIENT_GREETING, "greeting")                                  \
    X(MS_POP3_CLIENT_USER, "user")                                          \
    X(MS_POP3_CLIENT_PASS, "pass")                                          \
    X(MS_POP3_CLIENT_APOP, "apop")                                          \
    X(MS_POP3_CLIENT_STAT, "stat")                                          \
    X(MS_POP3_CLIENT_LIST, "list")                                          \
    X(MS_POP3_CLIENT_UIDL, "uidl")                                          \
    X(MS_POP3_CLIENT_RETR, "retr")                                          \
    X(MS_POP3_CLIENT_DELE, "dele")                                          \
    X(MS_POP3_CLIENT_RSET, "rset")                                          \
    X(MS_POP3_CLIENT_QUIT, "quit")                                          \
    X(MS_POP3_CLIENT_DONE, "done")

#define MS_POP3_CLIENT_STATE_ENUM_(e, name) e,
typedef enum {
    MS_POP3_CLIENT_STATES(MS_POP3_CLIENT_STATE_ENUM_) MS_POP3_N_CLIENT_STATES
} MsPop3ClientState;
#undef MS_POP3_CLIENT_STATE_ENUM_

const char *ms_pop3_client_state_name(MsPop3ClientState state);

typedef struct {
    const char *user;
    const char *password;               /* also the APOP secret */
    gboolean keep;                      /* download-and-keep: no DELE */
    gboolean list_only;                 /* LIST (and UIDL), then QUIT */
    const char *const *known_uidls;     /* NULL-terminated; with keep, RETR
                                           only messages not in it */
    gboolean use_apop;                  /* APOP if the greeting has a
                                           timestamp, else USER/PASS */
    gboolean use_uidl;                  /* UIDL even without known_uidls */
    gboolean use_stat;                  /* STAT before LIST, as RFC 1939
                                           section 10 does */
    gboolean use_rset;                  /* RSET before QUIT: every DELE
                                           mark undone (section 5) */
    gboolean lowercase;                 /* "user bob", "retr 1": Kurose &
                                           Ross's sample session */
} MsPop3ClientConfig;

typedef struct MsPop3Client MsPop3Client;

/* Copies config (strings included). */
MsPop3Client *ms_pop3_client_new(const MsPop3ClientConfig *config);
void ms_pop3_client_free(MsPop3Client *client);
/* Bytes from the server; the client answers each complete reply. */
void ms_pop3_client_feed(MsPop3Client *client, const char *bytes, gsize len);
GPtrArray *ms_pop3_client_take_output(MsPop3Client *client); /* transfer full */
/* The same lines without a copy (transfer none), valid until the client is
 * next fed or asked for output; ms_pop3_client_output_sent() then forgets
 * them.  Read its len and pdata only (see ms_proto_output_lines()). */
GPtrArray *ms_pop3_client_output(MsPop3Client *client);
void ms_pop3_client_output_sent(MsPop3Client *client);
MsPop3Event *ms_pop3_client_next_event(MsPop3Client *client); /* transfer full */
/* The connection dropped: the client stops (no event; nothing it marked
 * was removed, RFC 1939 section 6). */
void ms_pop3_client_abort(MsPop3Client *client);
MsPop3ClientState ms_pop3_client_state(const MsPop3Client *client);
/* The RFC 1939 state the session is in, as the client sees it. */
MsPop3State ms_pop3_client_phase(const MsPop3Client *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsPop3Client, ms_pop3_client_free)

G_END_DECLS
