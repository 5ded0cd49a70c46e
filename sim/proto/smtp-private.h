/* smtp-private.h - what the SMTP server, client and profile files share.
 *
 * Every reply the server can give has an id.  The id fixes the reply code
 * and the annotation key (they are protocol, the same in every profile); a
 * profile (smtp_profile.c) only supplies the wording, as a template where
 * {host}, {helo}, {addr}, {verb}, {param} and {size} are filled in.
 */
#pragma once

#include <string.h>

#include "mailsim/core.h"
#include "mailsim/smtp.h"
#include "proto/proto-private.h"

/* X-macro: reply id, code, note key.  Where the code is 0 the caller gives
 * it (the recipient policy's answer). */
#define MS_SMTP_REPLIES(X)                                                        \
    X(MS_SMTP_R_GREETING, 220, "smtp.reply.220")                                  \
    X(MS_SMTP_R_NO_SERVICE, 554, "smtp.reply.554.no-service")                     \
    X(MS_SMTP_R_CLOSING, 221, "smtp.reply.221")                                   \
    X(MS_SMTP_R_SHUTDOWN, 421, "smtp.reply.421")                                  \
    X(MS_SMTP_R_TOO_MANY_ERRORS, 421, "smtp.reply.421.too-many-errors")           \
    X(MS_SMTP_R_DATA_BARE_CLOSE, 421, "smtp.reply.421.bare-line-end")             \
    X(MS_SMTP_R_HELO_OK, 250, "smtp.reply.250.helo")                              \
    X(MS_SMTP_R_EHLO_OK, 250, "smtp.reply.250.ehlo")                              \
    X(MS_SMTP_R_MAIL_OK, 250, "smtp.reply.250.mail")                              \
    X(MS_SMTP_R_RCPT_OK, 250, "smtp.reply.250.rcpt")                              \
    X(MS_SMTP_R_RCPT_FORWARD, 251, "smtp.reply.251")                              \
    X(MS_SMTP_R_RCPT_OTHER_2XX, 0, "smtp.reply.250.rcpt")                         \
    X(MS_SMTP_R_RCPT_450, 450, "smtp.reply.450")                                  \
    X(MS_SMTP_R_RCPT_451, 451, "smtp.reply.451")                                  \
    X(MS_SMTP_R_RCPT_452, 452, "smtp.reply.452")                                  \
    X(MS_SMTP_R_RCPT_OTHER_4XX, 0, "smtp.reply.rcpt-4xx")                         \
    X(MS_SMTP_R_RCPT_550, 550, "smtp.reply.550")                                  \
    X(MS_SMTP_R_RCPT_551, 551, "smtp.reply.551")                                  \
    X(MS_SMTP_R_RCPT_552, 552, "smtp.reply.552")                                  \
    X(MS_SMTP_R_RCPT_553, 553, "smtp.reply.553")                                  \
    X(MS_SMTP_R_RCPT_OTHER_5XX, 0, "smtp.reply.rcpt-5xx")                         \
    X(MS_SMTP_R_TOO_MANY_RCPTS, 452, "smtp.reply.452.too-many-recipients")        \
    X(MS_SMTP_R_DATA_START, 354, "smtp.reply.354")                                \
    X(MS_SMTP_R_DATA_OK, 250, "smtp.reply.250.data")                              \
    X(MS_SMTP_R_RSET_OK, 250, "smtp.reply.250.rset")                              \
    X(MS_SMTP_R_NOOP_OK, 250, "smtp.reply.250.noop")                              \
    X(MS_SMTP_R_VRFY_CANNOT, 252, "smtp.reply.252")                               \
    X(MS_SMTP_R_HELP, 214, "smtp.reply.214")                                      \
    X(MS_SMTP_R_NEED_HELO, 503, "smtp.reply.503")                                 \
    X(MS_SMTP_R_NESTED_MAIL, 503, "smtp.reply.503")                               \
    X(MS_SMTP_R_NEED_MAIL, 503, "smtp.reply.503")                                 \
    X(MS_SMTP_R_NEED_RCPT, 503, "smtp.reply.503")                                 \
    X(MS_SMTP_R_BAD_SEQUENCE, 503, "smtp.reply.503")                              \
    X(MS_SMTP_R_NO_VALID_RCPTS, 554, "smtp.reply.554.no-valid-recipients")        \
    X(MS_SMTP_R_UNKNOWN, 500, "smtp.reply.500")                                   \
    X(MS_SMTP_R_LINE_TOO_LONG, 500, "smtp.reply.500.line-too-long")               \
    X(MS_SMTP_R_BARE_LF, 500, "smtp.reply.500.bare-lf")                           \
    X(MS_SMTP_R_BARE_CR, 500, "smtp.reply.500.bare-cr")                           \
    X(MS_SMTP_R_NOT_IMPLEMENTED, 502, "smtp.reply.502")                           \
    X(MS_SMTP_R_SYNTAX_HELO, 501, "smtp.reply.501")                               \
    X(MS_SMTP_R_SYNTAX_EHLO, 501, "smtp.reply.501")                               \
    X(MS_SMTP_R_SYNTAX_MAIL, 501, "smtp.reply.501")                               \
    X(MS_SMTP_R_SYNTAX_RCPT, 501, "smtp.reply.501")                               \
    X(MS_SMTP_R_SYNTAX_VRFY, 501, "smtp.reply.501")                               \
    X(MS_SMTP_R_SYNTAX_NO_ARGS, 501, "smtp.reply.501")                            \
    X(MS_SMTP_R_BAD_SENDER, 501, "smtp.reply.501.bad-address")                    \
    X(MS_SMTP_R_BAD_RECIPIENT, 501, "smtp.reply.501.bad-address")                 \
    X(MS_SMTP_R_PATH_TOO_LONG, 501, "smtp.reply.501.path-too-long")               \
    X(MS_SMTP_R_BAD_PARAM_VALUE, 501, "smtp.reply.501")                           \
    X(MS_SMTP_R_BAD_PARAM, 555, "smtp.reply.555")                                 \
    X(MS_SMTP_R_SIZE_TOO_BIG, 552, "smtp.reply.552.size")                         \
    X(MS_SMTP_R_DATA_TOO_BIG, 552, "smtp.reply.552.data-size")                    \
    X(MS_SMTP_R_DATA_BARE_LF, 554, "smtp.reply.554.bare-lf")                      \
    X(MS_SMTP_R_DATA_BARE_CR, 554, "smtp.reply.554.bare-cr")                      \
    X(MS_SMTP_R_DATA_NUL, 554, "smtp.reply.554.nul")                              \
    X(MS_SMTP_R_DATA_LINE_TOO_LONG, 500, "smtp.reply.500.data-line-too-long")     \
    X(MS_SMTP_R_DATA_8BIT, 554, "smtp.reply.554.8bit")

#define MS_SMTP_REPLY_ENUM_(e, code, note) e,
typedef enum { MS_SMTP_REPLIES(MS_SMTP_REPLY_ENUM_) MS_SMTP_N_REPLIES } MsSmtpReplyId;
#undef MS_SMTP_REPLY_ENUM_

guint ms_smtp_reply_code(MsSmtpReplyId id);   /* 0: the caller's */
const char *ms_smtp_reply_note(MsSmtpReplyId id);
const char *ms_smtp_reply_id_name(MsSmtpReplyId id); /* "MS_SMTP_R_GREETING" */

/* Which reply id words a recipient policy's code (250, 550, 4xx ...). */
MsSmtpReplyId ms_smtp_rcpt_reply_id(guint code);

/* ---- Profiles ------------------------------------------------------------- */
typedef struct {
    MsSmtpReplyId id;
    const char *text; /* template */
} MsSmtpReplyText;

typedef struct {
    const char *name;
    gboolean enhanced_codes; /* advertise ENHANCEDSTATUSCODES (RFC 2034) */
    const MsSmtpReplyText *texts;
    gsize n_texts;
} MsSmtpProfile;

/* NULL for an unknown name; NULL name gives "default". */
const MsSmtpProfile *ms_smtp_profile_lookup(const char *name);
/* The template of a reply in a profile (never NULL: falls back to default). */
const char *ms_smtp_profile_template(const MsSmtpProfile *profile, MsSmtpReplyId id);

/* Values filled into a template; NULL ones become "". */
typedef struct {
    const char *host;
    const char *helo;
    const char *addr;
    const char *verb;
    const char *param;
    guint64 size;
} MsSmtpVars;

/* Expands {host}, {helo}, {addr}, {verb}, {param}, {size} (transfer full). */
char *ms_smtp_expand(const char *template_text, const MsSmtpVars *vars);
/* The same into a reply's own line, without a block for it (every reply
 * of a run is expanded, and a block of its own for each text cost more
 * than the expansion): writes as much of the expansion as fits in the cap
 * octets at dest (no NUL) and returns its whole length, which is all of
 * it when not above cap.  A reply is expanded on the stack first, read
 * once; one too long for that knows its length and is written again. */
gsize ms_smtp_expand_into(const char *template_text, const MsSmtpVars *vars, char *dest,
                          gsize cap);
/* The whole expansion written to dest, which has room for it (its length
 * from ms_smtp_expand_into()); returns the octets written. */
gsize ms_smtp_expand_to(const char *template_text, const MsSmtpVars *vars, char *dest);

/* ---- Shared helpers (smtp_common.c) ----------------------------------------- */
/* The events an engine has for its owner, in order, copied in when pushed
 * and out when popped, so no pointer into the queue leaves the engine and
 * its reuse can hide nothing from AddressSanitizer.  Most steps make one
 * event or none: it waits in the engine's own slot, and only a step that
 * makes more takes an array from the heap (kept for the engine's life); a
 * GArray made for every session cost more than its events.  One slot, not
 * two: an engine with two no longer fit in a block that malloc's per-thread
 * cache keeps (up to 1,032 bytes), and a block from beyond it cost more than
 * the array.  Under AddressSanitizer the slot is not used and the array goes
 * back to malloc whenever the queue is emptied. */
#define MS_SMTP_EVENTS_INLINE 1

typedef struct {
    MsSmtpEvent *items; /* `first`, or an array of cap from the heap */
    guint len;          /* events in items */
    guint head;         /* the first not yet popped */
    guint cap;
    MsSmtpEvent first[MS_SMTP_EVENTS_INLINE];
} MsSmtpEventQueue;

void ms_smtp_events_init(MsSmtpEventQueue *queue);
/* Frees the events not popped, and the array. */
void ms_smtp_events_clear(MsSmtpEventQueue *queue);
/* Takes what *event holds (its strings and arrays) into the queue. */
void ms_smtp_events_push(MsSmtpEventQueue *queue, const MsSmtpEvent *event);
/* The newest event not popped, or NULL: valid until the next push. */
MsSmtpEvent *ms_smtp_events_last(MsSmtpEventQueue *queue);
/* Moves the oldest event into *event_out; FALSE (and *event_out left as
 * it was) when there is none.  Every step of every session ends its loop
 * of pops with one that finds none, where zeroing the caller's storage
 * cost more than the rest of the pop. */
gboolean ms_smtp_events_pop(MsSmtpEventQueue *queue, MsSmtpEvent *event_out);
/* The oldest event in a block of its own (for ms_smtp_event_free()), or
 * NULL: what the engines' next_event functions return. */
MsSmtpEvent *ms_smtp_events_next(MsSmtpEventQueue *queue);
MsSmtpEvent *ms_smtp_event_new(MsSmtpEventKind kind);
/* A recipient's result, with its RCPT reply's code (0 when none came;
 * accepted when 2xx) and its address and text (may be NULL) copied into
 * the same block; ms_smtp_rcpt_result_free() frees all. */
MsSmtpRcptResult *ms_smtp_rcpt_result_new(const char *address, guint code, const char *text);
void ms_smtp_rcpt_result_free(MsSmtpRcptResult *result);

/* ASCII case-insensitive: does line start with prefix? */
gboolean ms_smtp_has_prefix(const char *line, gsize len, const char *prefix);

/* ---- MAIL / RCPT arguments (smtp_path.c) ------------------------------------ */
typedef enum {
    MS_SMTP_PATH_OK = 0,
    MS_SMTP_PATH_SYNTAX,      /* no "<...>" */
    MS_SMTP_PATH_BAD_ADDRESS, /* brackets fine, mailbox malformed */
    MS_SMTP_PATH_TOO_LONG,    /* RFC 5321 4.5.3.1.3 */
} MsSmtpPathStatus;

/* RFC 5321 4.5.3.1.3: the longest path, with its brackets. */
#define MS_SMTP_PATH_MAX 256

/* Parses "<path>" at the start of args.  path_out (the caller's room, filled
 * whenever the brackets were found and the path is not too long, else ""):
 * the mailbox without brackets and source route, "" for "<>" (allowed only
 * when allow_null).  rest_out: what follows the ">".  Every MAIL and RCPT
 * of a run is parsed here, and the mailbox is copied to the caller's room
 * instead of a block of its own. */
MsSmtpPathStatus ms_smtp_parse_path(const char *args, gboolean allow_null,
                                    char path_out[MS_SMTP_PATH_MAX], const char **rest_out);
/* Splits space-separated esmtp-params ("SIZE=100 BODY=8BITMIME") into
 * strings (transfer full); FALSE when one breaks the grammar. */
gboolean ms_smtp_parse_params(const char *text, GPtrArray **params_out);
/* The same check without the copies: FALSE when one breaks the grammar,
 * else TRUE with how many there are. */
gboolean ms_smtp_params_valid(const char *text, guint *n_out);
/* Checks MAIL's parameters (valid ones: see ms_smtp_params_valid()) in
 * place: SIZE= when size_ok, BODY= when body_ok; any other is refused.
 * Returns MS_SMTP_N_REPLIES when all are fine (bad_out ""), else the reply
 * (BAD_PARAM, BAD_PARAM_VALUE) with the offending one copied to bad_out. */
MsSmtpReplyId ms_smtp_mail_params(const char *text, gboolean size_ok, gboolean body_ok,
                                  guint64 *size_out, gboolean *body_8bitmime_out,
                                  char bad_out[MS_SMTP_COMMAND_LINE_MAX]);

/* Does text hold an octet with the high bit set?  Read a word at a time:
 * every octet of every message is tested, by the client when it is given
 * the message and by the server as the text arrives. */
static inline gboolean ms_smtp_any_8bit(const char *text, gsize len)
{
    guint64 any = 0;
    gsize i = 0;

    for (; i + 8 <= len; i += 8) {
        guint64 word;

        memcpy(&word, text + i, sizeof word);
        any |= word;
    }
    for (; i < len; i++)
        any |= (guchar) text[i];
    return (any & G_GUINT64_CONSTANT(0x8080808080808080)) != 0;
}

/* What the server looks for in each line of message text, at once:
 * octets with the high bit set (8-bit text, RFC 6152) and NUL, which no
 * message text may hold, 7-bit or 8-bit (RFC 2045 2.7, 2.8).  A word at a
 * time, as ms_smtp_any_8bit(): (w - 0x01..) & ~w has a high bit set in
 * some octet exactly when w has a zero octet. */
enum { MS_SMTP_TEXT_8BIT = 1u << 0, MS_SMTP_TEXT_NUL = 1u << 1 };

static inline guint ms_smtp_text_octets(const char *text, gsize len)
{
    const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
    const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);
    guint64 any = 0, zero = 0;
    gsize i = 0;

    for (; i + 8 <= len; i += 8) {
        guint64 word;

        memcpy(&word, text + i, sizeof word);
        any |= word;
        zero |= (word - ones) & ~word;
    }
    guint found = 0;
    for (; i < len; i++) {
        any |= (guchar) text[i];
        if (text[i] == '\0')
            found = MS_SMTP_TEXT_NUL;
    }
    if ((zero & highs) != 0)
        found = MS_SMTP_TEXT_NUL;
    if ((any & highs) != 0)
        found |= MS_SMTP_TEXT_8BIT;
    return found;
}

/* ---- The server engine (smtp_server.c, smtp_server_commands.c) ----------- */
/* What both of the server's files use.  The small helpers are inline here,
 * as they were inlined when the server was one file: they run for every
 * command of a run. */
/* RFC 5321 4.5.3.1.4 and 4.5.3.1.6: limits include the CRLF. */
#define MS_SMTP_SERVER_COMMAND_MAX (MS_SMTP_COMMAND_LINE_MAX - 2)
#define MS_SMTP_SERVER_TEXT_MAX (MS_SMTP_TEXT_LINE_MAX - 2)

struct MsSmtpServer {
    /* configuration; the names are copied into the server's own block,
     * after the struct: a server is made for every session, and its flags
     * are bits so that the block stays within what malloc keeps at hand
     * (its per-thread cache takes up to 1,032 bytes) */
    char *hostname;
    char *peer_name; /* NULL when not given */
    const MsSmtpProfile *profile;
    guint64 max_size;
    guint offer_8bitmime : 1;
    guint offer_pipelining : 1;
    guint offer_size : 1;
    guint refuse : 1;
    guint max_recipients;
    MsSmtpRcptFn check_rcpt;
    gpointer user_data;

    MsSmtpServerState state;
    guint errors; /* protocol errors this session (MS_PROTO_MAX_ERRORS) */
    MsLineReader reader; /* inside the engine: see proto-private.h */
    MsProtoOutput output;
    MsSmtpEventQueue events;
    const char *phase; /* of the command being answered */

    /* The names of the session and its transaction, each NUL-terminated,
     * one after the other in one buffer kept for the session's life: the
     * HELO or EHLO name (RFC 5321 4.1.1.1) from offset 0, helo_size octets
     * of it with its NUL (0 before HELO), then the transaction's reverse
     * path (RFC 5321 3.3, once MAIL is accepted) and its accepted
     * recipients in RCPT order.  Every session and every message of a run
     * has them, and a block for the name and another for where each
     * recipient starts cost more than a walk over the recipients when the
     * message is taken. */
    char *paths;
    guint paths_len;
    guint paths_cap;
    guint helo_size;
    gboolean esmtp;
    guint n_rcpts;
    guint rcpt_attempts;
    guint body_8bitmime : 1;
    guint64 declared_size;

    /* message text, while in DATA: the server's own buffer, kept from one
     * message to the next, for every line of every message is added here */
    char *data;
    gsize data_len;
    gsize data_cap;
    guint data_too_big : 1;
    guint data_bare_lf : 1;
    guint data_bare_cr : 1;
    guint data_line_too_long : 1;
    guint data_8bit : 1;
    guint data_nul : 1;
};

/* The one place the state changes. */
static inline void ms_smtp_server_set_state(MsSmtpServer *server, MsSmtpServerState state)
{
    if (server->state == state)
        return;
    MS_DEBUG("smtp server %s: %s -> %s", server->hostname,
            ms_smtp_server_state_name(server->state), ms_smtp_server_state_name(state));
    server->state = state;
}

/* The HELO or EHLO name, NULL before either. */
static inline const char *ms_smtp_server_helo_name(const MsSmtpServer *server)
{
    return server->helo_size > 0 ? server->paths : NULL;
}

static inline void ms_smtp_server_clear_transaction(MsSmtpServer *server)
{
    server->paths_len = server->helo_size;
    server->n_rcpts = 0;
    server->rcpt_attempts = 0;
    server->body_8bitmime = FALSE;
    server->declared_size = 0;
    server->data_len = 0;
    server->data_too_big = FALSE;
    server->data_bare_lf = FALSE;
    server->data_bare_cr = FALSE;
    server->data_line_too_long = FALSE;
    server->data_8bit = FALSE;
    server->data_nul = FALSE;
}

/* Replies (smtp_server.c). */
char *ms_smtp_server_reply_space(MsSmtpServer *server, guint code, gboolean last, gsize n,
                                 const char *note);
void ms_smtp_server_emit_line(MsSmtpServer *server, guint code, gboolean last, const char *text,
                              const char *note);
const char *ms_smtp_server_emit_template(MsSmtpServer *server, guint code, gboolean last,
                                         const char *template_text, const MsSmtpVars *vars,
                                         const char *note);
guint ms_smtp_server_reply_full(MsSmtpServer *server, MsSmtpReplyId id, guint code,
                                const MsSmtpVars *extra, MsSmtpEvent *event_out);
void ms_smtp_server_protocol_error(MsSmtpServer *server, MsSmtpReplyId id,
                                   const MsSmtpVars *vars);
void ms_smtp_server_close_session(MsSmtpServer *server, MsSmtpReplyId id);

static inline void ms_smtp_server_reply(MsSmtpServer *server, MsSmtpReplyId id)
{
    ms_smtp_server_reply_full(server, id, 0, NULL, NULL);
}

static inline void ms_smtp_server_reply_addr(MsSmtpServer *server, MsSmtpReplyId id,
                                             const char *addr)
{
    MsSmtpVars vars = { .addr = addr };

    ms_smtp_server_reply_full(server, id, 0, &vars, NULL);
}

/* A command line as the reader gave it: its framing checked, then answered
 * (smtp_server_commands.c). */
void ms_smtp_server_command_line(MsSmtpServer *server, const char *line, gsize len,
                                 MsLineResult res, MsEol eol);

/* ---- The client engine (smtp_client.c, smtp_client_replies.c) ----------- */
/* A message queued for a client (smtp_client.c). */
typedef struct Outgoing Outgoing;

struct MsSmtpClient {
    char *helo_name; /* in the client's own block, after the struct */
    gboolean use_ehlo;
    gboolean pipelining;
    gboolean use_8bitmime;
    gboolean use_size;
    gboolean force_8bit;
    gboolean bare_lf_data;
    gboolean textbook_syntax;
    GBytes *(*downgrade)(GBytes *data, gpointer tag, char **why_out, gpointer user_data);
    gpointer downgrade_data;

    MsSmtpClientState state;
    MsLineReader reader; /* inside the engine: see proto-private.h */
    MsProtoOutput output;
    MsSmtpEventQueue events;
    /* the messages not started, in order: a list through their `next`,
     * for a GQueue took a link of its own for every message */
    Outgoing *queue_head;
    Outgoing *queue_tail;
    Outgoing *current;
    gboolean finished;

    /* what the server offered in its EHLO reply */
    gboolean srv_pipelining;
    gboolean srv_8bitmime;
    gboolean srv_size;

    /* the reply being read: RFC 5321 4.2.1 multi-line replies.  The text
     * of each line but the last (after "ddd-"), each followed by "\n",
     * kept in one buffer until the last line comes: then the reply's text
     * is the buffer with that line's text added.  reply_len is 0 while no
     * multi-line reply is under way; reply_breaks counts its "\n"s.  The
     * buffer is made at a multi-line reply and kept, but for the EHLO
     * reply's (as a rule the only one), which its SERVER_INFO event takes:
     * a GString made for every client cost more than the text it held. */
    char *reply_buf;
    gsize reply_len;
    gsize reply_cap;
    guint reply_breaks;
    /* the rest of a reply that passed MS_SMTP_REPLY_LINES_MAX is read to
     * its last line and dropped */
    gboolean reply_skip;
};

static inline void ms_smtp_client_push_event(MsSmtpClient *client, const MsSmtpEvent *event)
{
    ms_smtp_events_push(&client->events, event);
}

/* The replies' handlers and the session's end (smtp_client.c). */
void ms_smtp_client_handle_reply(MsSmtpClient *client, guint code, const char *text);
void ms_smtp_client_session_fail(MsSmtpClient *client, guint code, const char *text,
                                 gboolean quit);
/* The SERVER_INFO event of an EHLO or HELO reply, with what the EHLO reply
 * offered (smtp_client_replies.c). */
void ms_smtp_client_server_info(MsSmtpClient *client, gboolean esmtp);
