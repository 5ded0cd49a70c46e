/* smtp.h - the SMTP protocol engines (RFC 5321, with SIZE RFC 1870,
 * 8BITMIME RFC 6152, PIPELINING RFC 2920 and enhanced status codes
 * RFC 3463).
 *
 * An SMTP session has three phases: the handshake (the server's 220
 * greeting, the client's HELO or EHLO and its reply), the transfer (one or
 * more mail transactions MAIL, RCPT..., DATA, the message text, "." - plus
 * RSET, NOOP, VRFY, HELP) and the closure (QUIT, 221).  Both engines are
 * sans-I/O: the glue in sim/agents feeds them the bytes that arrived, sends
 * the lines they produce (MsProtoLine, see proto.h) and acts on their events.
 * The server reaches the world only through the check_rcpt callback of its
 * configuration; the client never looks at reply texts, only at codes.
 */
#pragma once

#include <glib.h>
#include "mailsim/proto.h"

G_BEGIN_DECLS

/* ---- Phases and limits ---------------------------------------------------- */
#define MS_SMTP_PHASE_HANDSHAKE "smtp.handshake"
#define MS_SMTP_PHASE_TRANSFER "smtp.transfer"
#define MS_SMTP_PHASE_CLOSURE "smtp.closure"

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF. */
#define MS_SMTP_COMMAND_LINE_MAX 512
/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF. */
#define MS_SMTP_REPLY_LINE_MAX 512
/* RFC 5321 4.2.1 bounds each reply line but not their number: the client
 * takes a reply of this many lines at most and refuses a longer one (a
 * PROTOCOL_ERROR, then QUIT), so a server that never ends a reply cannot
 * grow the client without end.  An EHLO reply has a line per extension,
 * a dozen or so. */
#define MS_SMTP_REPLY_LINES_MAX 64
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets with its CRLF. */
#define MS_SMTP_TEXT_LINE_MAX 1000
/* RFC 5321 4.5.3.1.8: a server must accept at least 100 recipients. */
#define MS_SMTP_DEFAULT_MAX_RECIPIENTS 100

/* ---- States ---------------------------------------------------------------
 * X-macro: enum constant, printable name, phase key of the lines sent in it.
 *
 * Server: INIT (before the greeting), CONNECTED (greeted, waiting for HELO
 * or EHLO), REFUSED (greeted with 554: only QUIT will do, RFC 5321 3.1),
 * READY (no transaction), MAIL (sender accepted), RCPT (at least one
 * recipient accepted), DATA (reading the message text), CLOSED. */
#define MS_SMTP_SERVER_STATES(X)                                              \
    X(MS_SMTP_SERVER_INIT, "init", MS_SMTP_PHASE_HANDSHAKE)                   \
    X(MS_SMTP_SERVER_CONNECTED, "connected", MS_SMTP_PHASE_HANDSHAKE)         \
    X(MS_SMTP_SERVER_REFUSED, "refused", MS_SMTP_PHASE_HANDSHAKE)             \
    X(MS_SMTP_SERVER_READY, "ready", MS_SMTP_PHASE_TRANSFER)                  \
    X(MS_SMTP_SERVER_MAIL, "mail", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_SERVER_RCPT, "rcpt", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_SERVER_DATA, "data", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_SERVER_CLOSED, "closed", MS_SMTP_PHASE_CLOSURE)

#define MS_SMTP_STATE_ENUM_(e, name, phase) e,
typedef enum {
    MS_SMTP_SERVER_STATES(MS_SMTP_STATE_ENUM_) MS_SMTP_SERVER_N_STATES
} MsSmtpServerState;

/* Client: the reply it is waiting for.  CONNECTING (the greeting), EHLO,
 * HELO, IDLE (nothing to do until a message is added or finish() called),
 * MAIL, RCPT, DATA (the 354), DOT (the reply to the end of the message
 * text), RSET (after a failed transaction), QUIT (the 221), CLOSED. */
#define MS_SMTP_CLIENT_STATES(X)                                              \
    X(MS_SMTP_CLIENT_CONNECTING, "connecting", MS_SMTP_PHASE_HANDSHAKE)       \
    X(MS_SMTP_CLIENT_EHLO, "ehlo", MS_SMTP_PHASE_HANDSHAKE)                   \
    X(MS_SMTP_CLIENT_HELO, "helo", MS_SMTP_PHASE_HANDSHAKE)                   \
    X(MS_SMTP_CLIENT_IDLE, "idle", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_CLIENT_MAIL, "mail", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_CLIENT_RCPT, "rcpt", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_CLIENT_DATA, "data", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_CLIENT_DOT, "dot", MS_SMTP_PHASE_TRANSFER)                      \
    X(MS_SMTP_CLIENT_RSET, "rset", MS_SMTP_PHASE_TRANSFER)                    \
    X(MS_SMTP_CLIENT_QUIT, "quit", MS_SMTP_PHASE_CLOSURE)                     \
    X(MS_SMTP_CLIENT_CLOSED, "closed", MS_SMTP_PHASE_CLOSURE)

typedef enum {
    MS_SMTP_CLIENT_STATES(MS_SMTP_STATE_ENUM_) MS_SMTP_CLIENT_N_STATES
} MsSmtpClientState;
#undef MS_SMTP_STATE_ENUM_

const char *ms_smtp_server_state_name(MsSmtpServerState state); /* "rcpt", ... */
const char *ms_smtp_client_state_name(MsSmtpClientState state);

/* ---- Annotation keys --------------------------------------------------------
 * Every note key the engines put on a line ("smtp.cmd.mail",
 * "smtp.reply.354", "smtp.reply.500.bare-lf", "smtp.data.line", ...) with a
 * short English description, in one static table sorted by key (for the
 * transcript's legend and for translation). */
typedef MsProtoNote MsSmtpNote;

const MsSmtpNote *ms_smtp_notes(gsize *n_out);
/* The English text of a key, or NULL if the key is not SMTP's. */
const char *ms_smtp_note_text(const char *key);
/* The note key and phase of a command line as a client would send it
 * ("smtp.cmd.rcpt" for "rcpt to:<b@x>"), or "smtp.cmd.unknown": for tracing
 * lines that do not come from MsSmtpClient (a student's scripted dialogue).
 * phase_out may be NULL.  Message text lines are not commands: tag those
 * "smtp.data.line" / "smtp.data.end" yourself. */
const char *ms_smtp_command_note(const char *line, gsize len, const char **phase_out);

/* ---- Reply-text profiles --------------------------------------------------
 * "default": a modern server's wording with RFC 3463 enhanced status codes
 * ("250 2.1.0 Ok"); "textbook": the wording of Kurose & Ross's sample
 * session ("250 alice@crepes.fr ... Sender ok"), no enhanced codes.  The
 * codes are the same in both; only the texts differ.  NULL means "default". */
gboolean ms_smtp_profile_exists(const char *name);
const char *const *ms_smtp_profile_names(void); /* NULL-terminated, static */

/* ---- Events ----------------------------------------------------------------- */
#define MS_SMTP_EVENT_KINDS(X)                                                \
    X(MS_SMTP_EVENT_MESSAGE, "message")                                       \
    X(MS_SMTP_EVENT_MESSAGE_DONE, "message-done")                             \
    X(MS_SMTP_EVENT_SERVER_INFO, "server-info")                               \
    X(MS_SMTP_EVENT_PROTOCOL_ERROR, "protocol-error")                         \
    X(MS_SMTP_EVENT_CLOSE, "close")

#define MS_SMTP_EVENT_ENUM_(e, name) e,
typedef enum { MS_SMTP_EVENT_KINDS(MS_SMTP_EVENT_ENUM_) MS_SMTP_N_EVENT_KINDS } MsSmtpEventKind;
#undef MS_SMTP_EVENT_ENUM_

const char *ms_smtp_event_kind_name(MsSmtpEventKind kind);

/* How a message the client was given ended. */
#define MS_SMTP_RESULTS(X)                                                    \
    X(MS_SMTP_RESULT_DELIVERED, "delivered")                                  \
    X(MS_SMTP_RESULT_PARTIAL, "partly-delivered")                             \
    X(MS_SMTP_RESULT_TEMP_FAILURE, "temporary-failure")                       \
    X(MS_SMTP_RESULT_PERM_FAILURE, "permanent-failure")

#define MS_SMTP_RESULT_ENUM_(e, name) e,
typedef enum { MS_SMTP_RESULTS(MS_SMTP_RESULT_ENUM_) MS_SMTP_N_RESULTS } MsSmtpResult;
#undef MS_SMTP_RESULT_ENUM_

const char *ms_smtp_result_name(MsSmtpResult result);

/* The outcome for one recipient of a message the client sent. */
typedef struct {
    char *address; /* as given to add_message, without angle brackets */
    guint code;    /* the reply to its RCPT; 0 if RCPT was never answered */
    char *text;    /* that reply's text (lines joined with "\n"), or NULL;
                    * with the address, in the result's own block */
    gboolean accepted; /* RCPT got 2xx (the message went to it only if the
                        * event's result is DELIVERED or PARTIAL) */
} MsSmtpRcptResult;

/* One event.  Fields that do not apply to a kind are 0 / NULL.
 *
 * Server events:
 *   MESSAGE         a message was accepted (after the 250 to the final "."):
 *                   helo_name, peer_name, reverse_path (without <>; "" for
 *                   the null path <> of a bounce), recipients (char*, the
 *                   accepted forward paths without <>, in RCPT order), data
 *                   (the message text, CRLF line ends, dot-unstuffed,
 *                   without the final "."), body_8bitmime (MAIL had
 *                   BODY=8BITMIME), declared_size (MAIL's SIZE=, 0 if none),
 *                   esmtp (the session began with EHLO: "with ESMTP" in
 *                   Received:, RFC 3848).
 *                   The names, paths and recipients are in data's own
 *                   block: they last as long as data does (ref it to keep
 *                   them past the event).
 *   PROTOCOL_ERROR  the client broke a framing rule the reply alone does
 *                   not show: note (the reply's note key, e.g.
 *                   "smtp.reply.500.bare-lf"), code and text (the reply sent).
 *   CLOSE           the last reply (221, 421) has been produced: close the
 *                   connection.  code/text: that reply.
 * Client events:
 *   SERVER_INFO     after the EHLO (or HELO) reply: extensions (char*, the
 *                   EHLO keywords with their parameters as sent, e.g.
 *                   "SIZE 10240000"; empty after HELO), max_size (SIZE's
 *                   value, 0 if none or unlimited), esmtp (EHLO accepted).
 *   MESSAGE_DONE    exactly once for every message added: tag, result,
 *                   rcpt_results (MsSmtpRcptResult*, in the order given),
 *                   code/text (the reply that decided the result: the one
 *                   to ".", or to MAIL, DATA or the last RCPT when the
 *                   transaction failed earlier, or the greeting / 421 that
 *                   ended the session; 0 when no reply decided it, e.g. an
 *                   8-bit message not sent because 8BITMIME was not offered,
 *                   or the connection was lost).
 *   PROTOCOL_ERROR  a reply the client could not parse: text.
 *   CLOSE           the session is over (after the 221, a 421, or a
 *                   fatal error): close the connection.  Comes after the
 *                   MESSAGE_DONE of every message. */
typedef struct {
    MsSmtpEventKind kind;
    /* server MESSAGE */
    char *helo_name;
    char *peer_name;
    char *reverse_path;
    GPtrArray *recipients; /* char* */
    GBytes *data;
    gboolean body_8bitmime;
    guint64 declared_size;
    /* client MESSAGE_DONE */
    gpointer tag;
    MsSmtpResult result;
    GPtrArray *rcpt_results; /* MsSmtpRcptResult* */
    /* client SERVER_INFO */
    /* char*; the array may be kept (ref it) but its strings live in the
     * event's own block: valid until the event is freed or cleared. */
    GPtrArray *extensions;
    guint64 max_size;
    gboolean esmtp;
    /* several kinds */
    guint code;
    char *text;
    const char *note; /* static */
    /* (private) one block that fields of the event point into, freed with
     * it: SERVER_INFO's extensions are cut from it, one allocation for all */
    char *strings_;
    /* (private) TRUE when helo_name, peer_name, reverse_path and the
     * recipients' strings are in the block of data, after the text, and go
     * with it: the server's MESSAGE event, one block a message */
    gboolean in_data_;
    /* (private) TRUE when text is static, not the event's to free: the
     * server's reply wording with nothing filled in, such as its 221 */
    gboolean text_static_;
} MsSmtpEvent;

void ms_smtp_event_free(MsSmtpEvent *event);
/* Frees what an event holds and zeroes it, for an event popped into the
 * caller's own storage (ms_smtp_server_pop_event()). */
void ms_smtp_event_clear(MsSmtpEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsSmtpEvent, ms_smtp_event_free)

/* ---- Server ----------------------------------------------------------------
 * The recipient policy, supplied by the glue: is `address` (a forward path
 * without angle brackets, e.g. "bob@hamburger.edu" or "postmaster") one
 * this server takes?  Returns a reply code: 250 (local user), 251 (will
 * forward), 550 (no such user), 551 (not local), 553 (name not allowed),
 * 450 / 451 / 452 (try again later), 552 (mailbox full) ...  Any 2xx
 * accepts the recipient.  *reply_text_out may be set to a reply text
 * (transfer full, without the code, e.g. "5.1.1 No such user here"); left
 * NULL, the profile's wording for that code is used. */
typedef guint (*MsSmtpRcptFn)(const char *address, gpointer user_data, char **reply_text_out);

typedef struct {
    const char *hostname;     /* the server's domain, in the greeting */
    const char *profile;      /* "default" (NULL) or "textbook" */
    guint64 max_size;         /* message size limit in octets, 0 for none */
    gboolean offer_8bitmime;  /* advertise 8BITMIME (RFC 6152) */
    gboolean offer_pipelining;/* advertise PIPELINING (RFC 2920) */
    gboolean offer_size;      /* advertise SIZE (RFC 1870) */
    gboolean refuse;          /* greet with 554 and then serve only QUIT
                               * (RFC 5321 3.1) */
    guint max_recipients;     /* 0: MS_SMTP_DEFAULT_MAX_RECIPIENTS */
    MsSmtpRcptFn check_rcpt;  /* NULL accepts every recipient with 250 */
    gpointer user_data;
} MsSmtpServerConfig;

/* Fills in the defaults: profile "default", no size limit, all three
 * extensions offered, 100 recipients, every recipient accepted. */
void ms_smtp_server_config_init(MsSmtpServerConfig *config, const char *hostname);

typedef struct MsSmtpServer MsSmtpServer;

/* Copies what it needs from config.  peer_name (the client host, may be
 * NULL) is only passed on in MESSAGE events.  An unknown profile name is
 * taken as "default" (check it with ms_smtp_profile_exists first).
 * (transfer full) */
MsSmtpServer *ms_smtp_server_new(const MsSmtpServerConfig *config, const char *peer_name);
void ms_smtp_server_free(MsSmtpServer *server);
/* Queues the greeting: 220, or 554 when config.refuse. */
void ms_smtp_server_start(MsSmtpServer *server);
/* Takes bytes from the client and answers every complete line.  Bytes after
 * the session closed are ignored. */
void ms_smtp_server_feed(MsSmtpServer *server, const char *bytes, gsize len);
/* Queues "421 <host> Service not available, closing transmission channel"
 * (RFC 5321 3.8) and a CLOSE event: the server is shutting down.  Any
 * transaction in progress is dropped. */
void ms_smtp_server_shutdown(MsSmtpServer *server);
/* The lines to send, MsProtoLine* (transfer full; never NULL, maybe empty). */
GPtrArray *ms_smtp_server_take_output(MsSmtpServer *server);
/* The same lines without a copy, for glue that sends them at once: the
 * engine's own array (transfer none), valid until the engine is next fed
 * or asked for output.  ms_smtp_server_output_sent() then forgets them.
 * Read its len and pdata only (see ms_proto_output_lines()). */
GPtrArray *ms_smtp_server_output(MsSmtpServer *server);
void ms_smtp_server_output_sent(MsSmtpServer *server);
/* The next event, or NULL when none (transfer full). */
MsSmtpEvent *ms_smtp_server_next_event(MsSmtpServer *server);
/* The same without a block of its own: moves the next event into
 * *event_out (which then owns what it holds: release it with
 * ms_smtp_event_clear()) and returns TRUE, or returns FALSE when none,
 * *event_out untouched (there is nothing in it to release). */
gboolean ms_smtp_server_pop_event(MsSmtpServer *server, MsSmtpEvent *event_out);
MsSmtpServerState ms_smtp_server_state(const MsSmtpServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsSmtpServer, ms_smtp_server_free)

/* ---- Client ---------------------------------------------------------------- */
typedef struct {
    const char *helo_name;   /* the client's domain, for HELO / EHLO */
    gboolean use_ehlo;       /* EHLO first, HELO if refused (RFC 5321 3.2) */
    gboolean pipelining;     /* group MAIL, RCPT..., DATA when the server
                              * offers PIPELINING (RFC 2920) */
    gboolean use_8bitmime;   /* send 8-bit messages with BODY=8BITMIME when
                              * offered (RFC 6152) */
    gboolean use_size;       /* add SIZE=n to MAIL when offered (RFC 1870) */
    gboolean force_8bit;     /* a careless client: send an 8-bit message raw
                              * even when 8BITMIME is not offered */
    gboolean bare_lf_data;   /* a careless client: end message text lines
                              * with a bare LF (RFC 5321 2.3.8 forbids it) */
    gboolean textbook_syntax;/* "MAIL FROM: <a>" with a space, as printed in
                              * Kurose & Ross (RFC 5321 4.1.2 has none) */
    /* RFC 6152 3: a message with 8-bit text for a server that did not offer
     * 8BITMIME must be converted to 7-bit MIME or returned.  When downgrade
     * is set the client calls it with the message text and the message's
     * tag; it returns the converted text (transfer full), which is sent
     * instead, or NULL with *why_out set (transfer full), and the message
     * ends at once with a permanent failure (code 0, that text).  When
     * unset, such a message is refused the same way without a try. */
    GBytes *(*downgrade)(GBytes *data, gpointer tag, char **why_out, gpointer user_data);
    gpointer downgrade_data;
} MsSmtpClientConfig;

/* Fills in the defaults: EHLO, pipelining, 8BITMIME and SIZE used when
 * offered, everything careless off. */
void ms_smtp_client_config_init(MsSmtpClientConfig *config, const char *helo_name);

typedef struct MsSmtpClient MsSmtpClient;

/* (transfer full) */
MsSmtpClient *ms_smtp_client_new(const MsSmtpClientConfig *config);
void ms_smtp_client_free(MsSmtpClient *client);
/* Queues a message for this connection; the transactions run one after
 * the other, in the order added, and a message may be added while another
 * is being sent.  reverse_path and recipients are addresses without angle
 * brackets ("" for the null reverse path).  data is the message (RFC 5322
 * header and body) with LF or CRLF line ends: the client sends it with CRLF
 * and dot-stuffed (RFC 5321 4.5.2).  A reference is taken on data; tag comes
 * back in the message's MESSAGE_DONE.  Ignored once finish() was called. */
void ms_smtp_client_add_message(MsSmtpClient *client, const char *reverse_path,
                                const char *const *recipients, guint n_recipients,
                                GBytes *data, gpointer tag);
/* No more messages: QUIT once the queued ones are done. */
void ms_smtp_client_finish(MsSmtpClient *client);
/* Takes bytes from the server and acts on every complete reply. */
void ms_smtp_client_feed(MsSmtpClient *client, const char *bytes, gsize len);
/* The connection is gone without a 221 (closed, reset, timed out): every
 * message not yet done ends with a temporary failure (code 0), then CLOSE. */
void ms_smtp_client_connection_lost(MsSmtpClient *client);
/* The lines to send, MsProtoLine* (transfer full; never NULL, maybe empty). */
GPtrArray *ms_smtp_client_take_output(MsSmtpClient *client);
/* The same lines without a copy, for glue that sends them at once: the
 * engine's own array (transfer none), valid until the engine is next fed
 * or asked for output.  ms_smtp_client_output_sent() then forgets them.
 * Read its len and pdata only (see ms_proto_output_lines()). */
GPtrArray *ms_smtp_client_output(MsSmtpClient *client);
void ms_smtp_client_output_sent(MsSmtpClient *client);
/* The next event, or NULL when none (transfer full). */
MsSmtpEvent *ms_smtp_client_next_event(MsSmtpClient *client);
/* As ms_smtp_server_pop_event(). */
gboolean ms_smtp_client_pop_event(MsSmtpClient *client, MsSmtpEvent *event_out);
MsSmtpClientState ms_smtp_client_state(const MsSmtpClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsSmtpClient, ms_smtp_client_free)

G_END_DECLS
