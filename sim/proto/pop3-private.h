/* pop3-private.h - what the POP3 server, client and profile files share.
 *
 * The server's free-text replies are data: each reply has an id, a status
 * (+OK or -ERR) and a note key fixed here, and a wording that a profile
 * ("default", "textbook") supplies as a template with {name} placeholders.
 * Replies whose format the RFC fixes ("+OK 2 320" to STAT, scan listings)
 * are built in the server and are not part of any profile.
 */
#pragma once

#include <string.h>

#include "mailsim/pop3.h"
#include "proto/proto-private.h"

G_BEGIN_DECLS

/* Whether the n octets at word are verb (upper-case letters), case-blind
 * as RFC 1939 section 3 wants keywords, without a library call: every
 * command and its note are found so.  verb is read no further than its
 * NUL, whatever word holds. */
static inline gboolean ms_pop3_verb_is(const char *verb, const char *word, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        char c = word[i] >= 'a' && word[i] <= 'z' ? (char) (word[i] - 'a' + 'A') : word[i];
        if (verb[i] == '\0' || verb[i] != c)
            return FALSE;
    }
    return verb[n] == '\0';
}

/* Appends to a GString in place when it has room (its fields are public),
 * through GLib only when it must grow: every reply and listing line is put
 * together a few octets at a time, and a call of g_string_append_len()
 * cost more than such a copy. */
static inline void ms_pop3_string_put(GString *line, const char *text, gsize len)
{
    if (G_UNLIKELY(line->len + len >= line->allocated_len)) {
        g_string_append_len(line, text, (gssize) len);
        return;
    }
    memcpy(line->str + line->len, text, len);
    line->len += len;
    line->str[line->len] = '\0';
}

/* RFC 1939 section 3: each argument may be up to 40 characters long. */
#define MS_POP3_ARG_MAX 40
/* RFC 2449 section 4: a command line is at most 255 octets with its CRLF. */
#define MS_POP3_COMMAND_MAX (255 - 2)
/* How long a reply or data line the client accepts before calling it
 * broken (RFC 2449 section 4 caps status lines at 512 octets; message lines
 * may be longer, RFC 5322 allows 998 plus the stuffed dot). */
#define MS_POP3_CLIENT_LINE_MAX 65536

/* X-macro: reply id, TRUE for +OK / FALSE for -ERR, note key. */
#define MS_POP3_TEXTS(X)                                                    \
    X(MS_POP3_T_GREETING, TRUE, "pop3.greeting")                            \
    X(MS_POP3_T_USER_OK, TRUE, "pop3.reply.user")                           \
    X(MS_POP3_T_USER_UNKNOWN, FALSE, "pop3.reply.err.auth")                 \
    X(MS_POP3_T_LOGIN_OK, TRUE, "pop3.reply.login")                         \
    X(MS_POP3_T_AUTH_FAILED, FALSE, "pop3.reply.err.auth")                  \
    X(MS_POP3_T_NO_USER, FALSE, "pop3.reply.err.sequence")                  \
    X(MS_POP3_T_APOP_UNAVAILABLE, FALSE, "pop3.reply.err.unknown")          \
    X(MS_POP3_T_LOCKED, FALSE, "pop3.reply.err.locked")                     \
    X(MS_POP3_T_LOAD_FAILED, FALSE, "pop3.reply.err.maildrop")              \
    X(MS_POP3_T_QUIT_AUTH, TRUE, "pop3.reply.quit")                         \
    X(MS_POP3_T_QUIT_EMPTY, TRUE, "pop3.reply.quit.update")                 \
    X(MS_POP3_T_QUIT_LEFT, TRUE, "pop3.reply.quit.update")                  \
    X(MS_POP3_T_LIST_ALL, TRUE, "pop3.reply.list")                          \
    X(MS_POP3_T_RETR, TRUE, "pop3.reply.retr")                              \
    X(MS_POP3_T_TOP, TRUE, "pop3.reply.top")                                \
    X(MS_POP3_T_DELE, TRUE, "pop3.reply.dele")                              \
    X(MS_POP3_T_NOOP, TRUE, "pop3.reply.ok")                                \
    X(MS_POP3_T_RSET, TRUE, "pop3.reply.rset")                              \
    X(MS_POP3_T_UIDL_ALL, TRUE, "pop3.reply.uidl")                          \
    X(MS_POP3_T_CAPA, TRUE, "pop3.reply.capa")                              \
    X(MS_POP3_T_NO_SUCH, FALSE, "pop3.reply.err.nomsg")                     \
    X(MS_POP3_T_DELETED, FALSE, "pop3.reply.err.deleted")                   \
    X(MS_POP3_T_BAD_ARG, FALSE, "pop3.reply.err.syntax")                    \
    X(MS_POP3_T_UNKNOWN, FALSE, "pop3.reply.err.unknown")                   \
    X(MS_POP3_T_WRONG_STATE, FALSE, "pop3.reply.err.state")                 \
    X(MS_POP3_T_TOO_LONG, FALSE, "pop3.reply.err.toolong")                 \
    X(MS_POP3_T_TOO_MANY_ERRORS, FALSE, "pop3.reply.err.too-many-errors")

#define MS_POP3_TEXT_ENUM_(e, ok, note) e,
typedef enum { MS_POP3_TEXTS(MS_POP3_TEXT_ENUM_) MS_POP3_N_TEXTS } MsPop3TextId;
#undef MS_POP3_TEXT_ENUM_

typedef struct MsPop3Profile MsPop3Profile;

/* NULL for an unknown name; NULL name means "default". */
const MsPop3Profile *ms_pop3_profile_find(const char *name);
gboolean ms_pop3_text_is_ok(MsPop3TextId id);
const char *ms_pop3_text_note(MsPop3TextId id);
/* The whole status line, "+OK ..." or "-ERR ...", with the profile's
 * template for id expanded; vars is a NULL-terminated list of name, value
 * pairs.  An empty wording gives the bare "+OK" (transfer full). */
char *ms_pop3_profile_reply(const MsPop3Profile *profile, MsPop3TextId id,
                            const char *const *vars);
/* The same line written over line, which a server keeps from one reply
 * to the next instead of allocating each. */
void ms_pop3_profile_expand(const MsPop3Profile *profile, MsPop3TextId id,
                            const char *const *vars, GString *line);

/* RFC 1939 section 7, UIDL: 1 to 70 characters in the range 0x21..0x7E. */
gboolean ms_pop3_uidl_is_valid(const char *uidl);

/* A new, zeroed event of the given kind (transfer full). */
MsPop3Event *ms_pop3_event_new(MsPop3EventKind kind);

/* ---- The server engine (pop3_server.c, pop3_server_commands.c) ---------- */
/* What both of the server's files use.  The small helpers are inline here,
 * as they were inlined when the server was one file: every reply and
 * listing line of a run passes through them. */

struct MsPop3Server {
    MsPop3State state;
    const MsPop3Profile *profile;
    char *hostname;
    char *timestamp;      /* APOP banner, NULL when APOP is off */
    MsPop3UserFn known_user;
    MsPop3AuthFn authenticate;
    MsPop3SecretFn apop_secret;
    MsPop3LockFn lock;
    MsPop3UnlockFn unlock;
    MsPop3MaildropFn load;
    gpointer user_data;

    guint errors;         /* protocol errors this session (MS_PROTO_MAX_ERRORS) */
    MsLineReader *reader;
    MsProtoOutput *output;
    GString *scratch;     /* the line being put together, kept from one to the next */
    GQueue events;        /* MsPop3Event */

    char *user_next;      /* set by an accepted USER, for the next command */
    char *user_prev;      /* the USER of the command before this one */

    char *maildrop;       /* locked maildrop, NULL when none */
    GPtrArray *messages;  /* MsPop3Message: the snapshot taken at login */
    gboolean *deleted;    /* one mark per message */
};

/* The one place the state changes. */
static inline void ms_pop3_server_set_state(MsPop3Server *s, MsPop3State state)
{
    if (s->state == state)
        return;
    MS_DEBUG("pop3 server: %s -> %s", ms_pop3_state_name(s->state), ms_pop3_state_name(state));
    s->state = state;
}

static inline void ms_pop3_server_emit(MsPop3Server *s, const char *text, gsize len,
                                       const char *note)
{
    ms_proto_output_add_len(s->output, text, len, "\r\n", ms_pop3_state_phase(s->state), note);
}

/* The line of a reply whose format the RFC fixes is put together in the
 * scratch string without printf: every listing line and status line of a
 * run passes here. */
static inline GString *ms_pop3_server_scratch_start(MsPop3Server *s, const char *text)
{
    s->scratch->len = 0;
    ms_pop3_string_put(s->scratch, text, strlen(text));
    return s->scratch;
}

static inline void ms_pop3_server_scratch_uint(MsPop3Server *s, guint64 v)
{
    char digits[MS_PROTO_UINT_MAX_LEN];
    gsize n = ms_proto_format_uint(digits, v);
    ms_pop3_string_put(s->scratch, digits, n);
}

static inline void ms_pop3_server_scratch_emit(MsPop3Server *s, const char *note)
{
    ms_pop3_server_emit(s, s->scratch->str, s->scratch->len, note);
}

static inline void ms_pop3_server_push_event(MsPop3Server *s, MsPop3Event *event)
{
    g_queue_push_tail(&s->events, event);
}

/* A reply from the profile (pop3_server.c); the variables are name, value
 * pairs ending with NULL.  {host} is always available. */
void ms_pop3_server_reply(MsPop3Server *s, MsPop3TextId id, ...) G_GNUC_NULL_TERMINATED;
/* Gives the lock back (pop3_server.c). */
void ms_pop3_server_release_maildrop(MsPop3Server *s, gboolean aborted);
/* A command line as the reader gave it, answered through the table of
 * commands (pop3_server_commands.c). */
void ms_pop3_server_command_line(MsPop3Server *s, const char *line, gsize len);

G_END_DECLS
