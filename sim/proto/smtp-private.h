/* smtp-private.h - what the SMTP server, client and profile files share.
 *
 * Every reply the server can give has an id.  The id fixes the reply code
 * and the annotation key (they are protocol, the same in every profile); a
 * profile (smtp_profile.c) only supplies the wording, as a template where
 * {host}, {helo}, {addr}, {verb}, {param} and {size} are filled in.
 */
#pragma once

#include <string.h>

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
/* The same in two steps, for a reply written straight into its line: the
 * length of the expansion, then the expansion itself written to dest
 * (that many octets, no NUL), which returns the octets written.  Every
 * reply of a run is expanded, and a block of its own for each text cost
 * more than the expansion. */
gsize ms_smtp_expand_len(const char *template_text, const MsSmtpVars *vars);
gsize ms_smtp_expand_to(const char *template_text, const MsSmtpVars *vars, char *dest);
/* Both in one pass: writes as much of the expansion as fits in the cap
 * octets at dest (no NUL) and returns its whole length, which is all of
 * it when not above cap.  For a reply expanded on the stack first: the
 * two steps above read the template and the values twice. */
gsize ms_smtp_expand_into(const char *template_text, const MsSmtpVars *vars, char *dest,
                          gsize cap);

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
