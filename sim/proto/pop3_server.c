/* pop3_server.c - the server side of a POP3 session (RFC 1939, CAPA from
 * RFC 2449).
 *
 * The server greets, authenticates the client (USER/PASS or APOP), locks the
 * maildrop and takes a snapshot of it; in TRANSACTION it answers listings
 * and retrievals and only *marks* messages for deletion; QUIT from
 * TRANSACTION enters UPDATE, where the marked messages are handed to the
 * glue for removal and the lock is released.  Each command line goes
 * through one table (verb, states it is allowed in, check, proceed), so a
 * command in the wrong state is refused by the table, not by scattered ifs.
 */
#include "pop3-private.h"

#include <string.h>
#include "mailsim/core.h"

#define IN_AUTH (1u << MS_POP3_STATE_AUTHORIZATION)
#define IN_TRANS (1u << MS_POP3_STATE_TRANSACTION)

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

/* One parsed command line.  Its arguments are copied into buf, which holds
 * two of the longest allowed (RFC 1939 section 3) with their NULs. */
typedef struct {
    char *argv[2];
    guint argc;
    char buf[2 * (MS_POP3_ARG_MAX + 1)];
    gsize buf_used;
    guint msg;            /* message number, set by check_msg */
    guint64 lines;        /* TOP's second argument, set by check_top */
} Request;

typedef struct {
    const char *verb;
    guint states;         /* IN_AUTH | IN_TRANS */
    guint min_args;
    guint max_args;
    gboolean whole_line;  /* the rest of the line is one argument */
    /* Is the command acceptable now?  If not, it has replied -ERR. */
    gboolean (*check)(MsPop3Server *s, Request *req);
    void (*proceed)(MsPop3Server *s, Request *req);
} ServerCommand;

/* ---- Output, events, state ------------------------------------------------ */

static void set_state(MsPop3Server *s, MsPop3State state)
{
    if (s->state == state)
        return;
    MS_DEBUG("pop3 server: %s -> %s", ms_pop3_state_name(s->state), ms_pop3_state_name(state));
    s->state = state;
}

static void emit(MsPop3Server *s, const char *text, gsize len, const char *note)
{
    ms_proto_output_add_len(s->output, text, len, "\r\n", ms_pop3_state_phase(s->state), note);
}

/* The line of a reply whose format the RFC fixes is put together in the
 * scratch string without printf: every listing line and status line of a
 * run passes here. */
static GString *scratch_start(MsPop3Server *s, const char *text)
{
    s->scratch->len = 0;
    ms_pop3_string_put(s->scratch, text, strlen(text));
    return s->scratch;
}

static void scratch_uint(MsPop3Server *s, guint64 v)
{
    char digits[MS_PROTO_UINT_MAX_LEN];
    gsize n = ms_proto_format_uint(digits, v);
    ms_pop3_string_put(s->scratch, digits, n);
}

static void scratch_emit(MsPop3Server *s, const char *note)
{
    emit(s, s->scratch->str, s->scratch->len, note);
}

static void emit_text(MsPop3Server *s, const char *text, const char *note)
{
    emit(s, text, strlen(text), note);
}

/* A reply from the profile; the variables are name, value pairs ending
 * with NULL.  {host} is always available. */
static void reply(MsPop3Server *s, MsPop3TextId id, ...) G_GNUC_NULL_TERMINATED;
static void reply(MsPop3Server *s, MsPop3TextId id, ...)
{
    /* No reply has more than four variables besides {host}. */
    const char *vars[16];
    gsize n = 0;
    va_list ap;
    va_start(ap, id);
    for (const char *v = va_arg(ap, const char *); v != NULL; v = va_arg(ap, const char *)) {
        g_assert(n < G_N_ELEMENTS(vars) - 3);
        vars[n++] = v;
    }
    va_end(ap);
    g_assert(n % 2 == 0);
    vars[n++] = "host";
    vars[n++] = s->hostname;
    vars[n] = NULL;
    ms_pop3_profile_expand(s->profile, id, vars, s->scratch);
    scratch_emit(s, ms_pop3_text_note(id));
    /* The client's mistakes, not the answers about mailboxes and messages
     * (a wrong password or message number is not a broken protocol). */
    if (id == MS_POP3_T_UNKNOWN || id == MS_POP3_T_WRONG_STATE || id == MS_POP3_T_BAD_ARG
        || id == MS_POP3_T_TOO_LONG || id == MS_POP3_T_NO_USER)
        s->errors++;
}

/* Gives the reply just emitted another note key: the same reply text can
 * mean different things (RSET with or without marks to undo). */
static void renote_last(MsPop3Server *s, const char *note)
{
    GPtrArray *lines = ms_proto_output_lines(s->output);
    g_assert(lines->len > 0);
    MsProtoLine *last = g_ptr_array_index(lines, lines->len - 1);
    last->note = note;
}

static void push_event(MsPop3Server *s, MsPop3Event *event)
{
    g_queue_push_tail(&s->events, event);
}

static void auth_failed(MsPop3Server *s, const char *user, gboolean lock_refused)
{
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_AUTH_FAILED);
    ev->user = g_strdup(user);
    ev->lock_refused = lock_refused;
    /* The reply just emitted, without "-ERR ". */
    GPtrArray *lines = ms_proto_output_lines(s->output);
    const MsProtoLine *last = g_ptr_array_index(lines, lines->len - 1);
    ev->text = g_strdup(strlen(last->text) > 5 ? last->text + 5 : "");
    push_event(s, ev);
}

static const char *plural(guint64 n)
{
    return n == 1 ? "" : "s";
}

/* Messages not marked as deleted, and their size: RFC 1939 section 5 says
 * marked messages are not counted by STAT, LIST or RSET's reply. */
static void maildrop_totals(const MsPop3Server *s, guint *count_out, guint64 *octets_out)
{
    guint count = 0;
    guint64 octets = 0;
    for (guint i = 0; s->messages != NULL && i < s->messages->len; i++) {
        if (s->deleted[i])
            continue;
        const MsPop3Message *m = g_ptr_array_index(s->messages, i);
        count++;
        octets += g_bytes_get_size(m->data);
    }
    *count_out = count;
    *octets_out = octets;
}

static MsPop3Message *message_at(const MsPop3Server *s, guint number)
{
    return g_ptr_array_index(s->messages, number - 1);
}

/* Sends one line of a multi-line response. */
static void send_data_line(MsPop3Server *s, const char *text, gsize len)
{
    /* RFC 1939 section 3: a line beginning with the termination octet is
     * byte-stuffed with one more "." so it cannot be taken for the end. */
    if (len > 0 && text[0] == '.') {
        MsProtoLine *stuffed = ms_proto_output_add_space(s->output, len + 1, "\r\n",
                                                         ms_pop3_state_phase(s->state),
                                                         "pop3.data.stuffed");
        stuffed->text[0] = '.';
        memcpy(stuffed->text + 1, text, len);
        return;
    }
    emit(s, text, len, "pop3.data.line");
}

/* Sends a message line by line, then the terminating ".".  With top, only
 * the header, the empty line and body_lines lines of the body (RFC 1939
 * section 7, TOP). */
static void send_message(MsPop3Server *s, GBytes *data, gboolean top, guint64 body_lines)
{
    gsize size = 0;
    const char *p = g_bytes_get_data(data, &size);
    gsize pos = 0;
    gboolean in_body = FALSE;
    guint64 body_sent = 0;
    while (pos < size) {
        if (top && in_body && body_sent >= body_lines)
            break;
        const char *nl = memchr(p + pos, '\n', size - pos);
        gsize end = nl != NULL ? (gsize) (nl - p) : size;
        gsize next = nl != NULL ? end + 1 : size;
        if (nl != NULL && end > pos && p[end - 1] == '\r')
            end--;
        send_data_line(s, p + pos, end - pos);
        if (in_body)
            body_sent++;
        else if (end == pos)
            in_body = TRUE; /* the empty line that ends the header */
        pos = next;
    }
    emit_text(s, ".", "pop3.data.end");
}

/* ---- Maildrop -------------------------------------------------------------- */

static void clear_snapshot(MsPop3Server *s)
{
    g_clear_pointer(&s->messages, g_ptr_array_unref);
    g_clear_pointer(&s->deleted, g_free);
    g_clear_pointer(&s->maildrop, g_free);
}

/* Gives the lock back; no message is removed here. */
static void release_maildrop(MsPop3Server *s, gboolean aborted)
{
    if (s->maildrop == NULL)
        return;
    s->unlock(s->maildrop, s->user_data);
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_UNLOCKED);
    ev->maildrop = g_strdup(s->maildrop);
    ev->aborted = aborted;
    push_event(s, ev);
    clear_snapshot(s);
}

/* RFC 1939 section 4: after successful authentication the server acquires
 * an exclusive-access lock on the maildrop, numbers its messages from 1 and
 * notes their sizes; then the session is in TRANSACTION. */
static void open_maildrop(MsPop3Server *s, const char *user, char *maildrop_owned)
{
    g_autofree char *maildrop = maildrop_owned;
    if (maildrop == NULL)
        maildrop = g_strdup(user);

    if (!s->lock(maildrop, s->user_data)) {
        reply(s, MS_POP3_T_LOCKED, NULL);
        auth_failed(s, user, TRUE);
        return;
    }
    GPtrArray *messages = s->load(maildrop, s->user_data);
    if (messages == NULL) {
        /* Section 4: a lock taken before a negative reply is released
         * first. */
        s->unlock(maildrop, s->user_data);
        reply(s, MS_POP3_T_LOAD_FAILED, NULL);
        auth_failed(s, user, FALSE);
        return;
    }
    for (guint i = 0; i < messages->len; i++) {
        MsPop3Message *m = g_ptr_array_index(messages, i);
        if (!ms_pop3_uidl_is_valid(m->uidl)) {
            /* Section 7: a unique-id is needed for UIDL; the digest of the
             * content is stable across sessions. */
            g_free(m->uidl);
            m->uidl = g_compute_checksum_for_bytes(G_CHECKSUM_MD5, m->data);
        }
    }
    s->maildrop = g_steal_pointer(&maildrop);
    s->messages = messages;
    s->deleted = g_new0(gboolean, messages->len + 1);

    guint count = 0;
    guint64 octets = 0;
    maildrop_totals(s, &count, &octets);
    char count_s[MS_PROTO_UINT_MAX_LEN], octets_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(count_s, count);
    ms_proto_format_uint(octets_s, octets);
    reply(s, MS_POP3_T_LOGIN_OK, "user", user, "count", count_s, "s", plural(count),
          "octets", octets_s, NULL);

    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_AUTH_OK);
    ev->user = g_strdup(user);
    ev->maildrop = g_strdup(s->maildrop);
    ev->count = count;
    ev->octets = octets;
    push_event(s, ev);
    set_state(s, MS_POP3_STATE_TRANSACTION);
}

/* ---- Checks ----------------------------------------------------------------- */

/* Decimal digits only; anything too big for a guint is "no such message". */
static gboolean parse_number(const char *arg, guint64 *out)
{
    if (arg[0] == '\0')
        return FALSE;
    guint64 v = 0;
    for (const char *p = arg; *p != '\0'; p++) {
        if (!g_ascii_isdigit(*p))
            return FALSE;
        if (v < G_MAXUINT32)
            v = v * 10 + (guint64) (*p - '0');
    }
    *out = v;
    return TRUE;
}

static gboolean check_user(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 7, USER: the server may refuse an unknown name. */
    if (s->known_user != NULL && !s->known_user(req->argv[0], s->user_data)) {
        reply(s, MS_POP3_T_USER_UNKNOWN, "user", req->argv[0], NULL);
        auth_failed(s, req->argv[0], FALSE);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_pass(MsPop3Server *s, Request *req)
{
    (void) req;
    /* RFC 1939 section 7, PASS: only immediately after a successful USER. */
    if (s->user_prev == NULL) {
        reply(s, MS_POP3_T_NO_USER, NULL);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_apop(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 7, APOP: only a server that put a timestamp in its
     * greeting supports it. */
    if (s->timestamp == NULL) {
        reply(s, MS_POP3_T_APOP_UNAVAILABLE, NULL);
        return FALSE;
    }
    /* The digest is 16 octets in lower-case hex. */
    const char *digest = req->argv[1];
    gboolean ok = strlen(digest) == 32;
    for (const char *p = digest; ok && *p != '\0'; p++)
        ok = g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f');
    if (!ok) {
        reply(s, MS_POP3_T_BAD_ARG, NULL);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_msg(MsPop3Server *s, Request *req)
{
    guint64 n = 0;
    if (!parse_number(req->argv[0], &n)) {
        reply(s, MS_POP3_T_BAD_ARG, NULL);
        return FALSE;
    }
    /* RFC 1939 section 5: message numbers run from 1 to the count at login,
     * and a number may not refer to a message marked as deleted. */
    if (n < 1 || n > s->messages->len) {
        char count_s[MS_PROTO_UINT_MAX_LEN];
        ms_proto_format_uint(count_s, s->messages->len);
        reply(s, MS_POP3_T_NO_SUCH, "count", count_s, "s", plural(s->messages->len), NULL);
        return FALSE;
    }
    if (s->deleted[n - 1]) {
        char n_s[MS_PROTO_UINT_MAX_LEN];
        ms_proto_format_uint(n_s, n);
        reply(s, MS_POP3_T_DELETED, "n", n_s, NULL);
        return FALSE;
    }
    req->msg = (guint) n;
    return TRUE;
}

static gboolean check_msg_optional(MsPop3Server *s, Request *req)
{
    return req->argc == 0 || check_msg(s, req);
}

static gboolean check_top(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 7, TOP: n must be a non-negative number. */
    if (!parse_number(req->argv[1], &req->lines)) {
        reply(s, MS_POP3_T_BAD_ARG, NULL);
        return FALSE;
    }
    return check_msg(s, req);
}

/* ---- Proceed: AUTHORIZATION ------------------------------------------------- */

static void do_user(MsPop3Server *s, Request *req)
{
    g_free(s->user_next);
    s->user_next = g_strdup(req->argv[0]);
    reply(s, MS_POP3_T_USER_OK, "user", req->argv[0], NULL);
}

static void do_pass(MsPop3Server *s, Request *req)
{
    char *maildrop = NULL;
    if (!s->authenticate(s->user_prev, req->argv[0], s->user_data, &maildrop)) {
        g_free(maildrop);
        /* RFC 1939 section 7, PASS: -ERR and the session stays in
         * AUTHORIZATION; the client may start again with USER. */
        reply(s, MS_POP3_T_AUTH_FAILED, NULL);
        auth_failed(s, s->user_prev, FALSE);
        return;
    }
    open_maildrop(s, s->user_prev, maildrop);
}

static void do_apop(MsPop3Server *s, Request *req)
{
    const char *user = req->argv[0];
    char *maildrop = NULL;
    g_autofree char *secret = s->apop_secret(user, s->user_data, &maildrop);
    g_autofree char *expected = secret != NULL ? ms_pop3_apop_digest(s->timestamp, secret) : NULL;
    if (expected == NULL || strcmp(expected, req->argv[1]) != 0) {
        g_free(maildrop);
        reply(s, MS_POP3_T_AUTH_FAILED, NULL);
        auth_failed(s, user, FALSE);
        return;
    }
    open_maildrop(s, user, maildrop);
}

static void do_quit(MsPop3Server *s, Request *req)
{
    (void) req;
    if (s->state == MS_POP3_STATE_AUTHORIZATION) {
        /* RFC 1939 section 4: QUIT here ends the session without UPDATE. */
        reply(s, MS_POP3_T_QUIT_AUTH, NULL);
    } else {
        /* RFC 1939 section 6: QUIT from TRANSACTION enters UPDATE, where
         * the marked messages are removed and the lock released. */
        set_state(s, MS_POP3_STATE_UPDATE);
        MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_UPDATE);
        ev->maildrop = g_strdup(s->maildrop);
        ev->numbers = g_array_sized_new(FALSE, FALSE, sizeof(guint), s->messages->len);
        ev->uidls = g_ptr_array_new_full(s->messages->len, g_free);
        guint left = 0;
        for (guint i = 0; i < s->messages->len; i++) {
            if (!s->deleted[i]) {
                left++;
                continue;
            }
            guint number = i + 1;
            g_array_append_val(ev->numbers, number);
            /* The snapshot is released below: its UIDLs move to the event. */
            g_ptr_array_add(ev->uidls, g_steal_pointer(&message_at(s, number)->uidl));
        }
        gboolean removed = ev->numbers->len > 0;
        push_event(s, ev);
        release_maildrop(s, FALSE);
        if (left == 0) {
            reply(s, MS_POP3_T_QUIT_EMPTY, NULL);
        } else {
            char left_s[MS_PROTO_UINT_MAX_LEN];
            ms_proto_format_uint(left_s, left);
            reply(s, MS_POP3_T_QUIT_LEFT, "count", left_s, "s", plural(left), NULL);
        }
        /* Nothing marked (never, or RSET undid the marks): UPDATE removes
         * nothing, and the note must not say it did. */
        if (!removed)
            renote_last(s, "pop3.reply.quit.update.none");
    }
    set_state(s, MS_POP3_STATE_CLOSED);
    push_event(s, ms_pop3_event_new(MS_POP3_EVENT_CLOSE));
}

/* ---- Proceed: TRANSACTION --------------------------------------------------- */

static void do_stat(MsPop3Server *s, Request *req)
{
    (void) req;
    guint count = 0;
    guint64 octets = 0;
    maildrop_totals(s, &count, &octets);
    /* RFC 1939 section 5, STAT: exactly "+OK nn mm". */
    scratch_start(s, "+OK ");
    scratch_uint(s, count);
    g_string_append_c(s->scratch, ' ');
    scratch_uint(s, octets);
    scratch_emit(s, "pop3.reply.stat");
}

static void do_list(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 5, LIST: "msg size" on the status line for one
     * message, otherwise a scan listing of every message not deleted. */
    if (req->argc == 1) {
        scratch_start(s, "+OK ");
        scratch_uint(s, req->msg);
        g_string_append_c(s->scratch, ' ');
        scratch_uint(s, g_bytes_get_size(message_at(s, req->msg)->data));
        scratch_emit(s, "pop3.reply.list");
        return;
    }
    guint count = 0;
    guint64 octets = 0;
    maildrop_totals(s, &count, &octets);
    char count_s[MS_PROTO_UINT_MAX_LEN], octets_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(count_s, count);
    ms_proto_format_uint(octets_s, octets);
    reply(s, MS_POP3_T_LIST_ALL, "count", count_s, "s", plural(count), "octets", octets_s, NULL);
    for (guint i = 0; i < s->messages->len; i++) {
        if (s->deleted[i])
            continue;
        scratch_start(s, "");
        scratch_uint(s, i + 1);
        g_string_append_c(s->scratch, ' ');
        scratch_uint(s, g_bytes_get_size(message_at(s, i + 1)->data));
        scratch_emit(s, "pop3.data.scan");
    }
    emit_text(s, ".", "pop3.data.end");
}

static void do_retr(MsPop3Server *s, Request *req)
{
    GBytes *data = message_at(s, req->msg)->data;
    char octets_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(octets_s, g_bytes_get_size(data));
    reply(s, MS_POP3_T_RETR, "octets", octets_s, NULL);
    send_message(s, data, FALSE, 0);
}

static void do_top(MsPop3Server *s, Request *req)
{
    reply(s, MS_POP3_T_TOP, NULL);
    send_message(s, message_at(s, req->msg)->data, TRUE, req->lines);
}

static void do_dele(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 5, DELE: only marked; removal waits for UPDATE. */
    s->deleted[req->msg - 1] = TRUE;
    char n_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(n_s, req->msg);
    reply(s, MS_POP3_T_DELE, "n", n_s, NULL);
}

static void do_noop(MsPop3Server *s, Request *req)
{
    (void) req;
    reply(s, MS_POP3_T_NOOP, NULL);
}

static void do_rset(MsPop3Server *s, Request *req)
{
    (void) req;
    /* RFC 1939 section 5, RSET: every deletion mark is removed. */
    gboolean had_marks = FALSE;
    for (guint i = 0; i < s->messages->len; i++)
        had_marks = had_marks || s->deleted[i];
    memset(s->deleted, 0, sizeof(gboolean) * s->messages->len);
    guint count = 0;
    guint64 octets = 0;
    maildrop_totals(s, &count, &octets);
    char count_s[MS_PROTO_UINT_MAX_LEN], octets_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(count_s, count);
    ms_proto_format_uint(octets_s, octets);
    reply(s, MS_POP3_T_RSET, "count", count_s, "s", plural(count), "octets", octets_s, NULL);
    if (!had_marks)
        renote_last(s, "pop3.reply.rset.none");
}

static void do_uidl(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 7, UIDL: like LIST, with unique-ids for sizes. */
    if (req->argc == 1) {
        scratch_start(s, "+OK ");
        scratch_uint(s, req->msg);
        g_string_append_c(s->scratch, ' ');
        g_string_append(s->scratch, message_at(s, req->msg)->uidl);
        scratch_emit(s, "pop3.reply.uidl");
        return;
    }
    reply(s, MS_POP3_T_UIDL_ALL, NULL);
    for (guint i = 0; i < s->messages->len; i++) {
        if (s->deleted[i])
            continue;
        scratch_start(s, "");
        scratch_uint(s, i + 1);
        g_string_append_c(s->scratch, ' ');
        g_string_append(s->scratch, message_at(s, i + 1)->uidl);
        scratch_emit(s, "pop3.data.uidl");
    }
    emit_text(s, ".", "pop3.data.end");
}

static void do_capa(MsPop3Server *s, Request *req)
{
    (void) req;
    /* RFC 2449 section 5: the same list in every state. */
    static const char *const caps[] = { "TOP", "UIDL", "USER", "IMPLEMENTATION mailsim" };
    reply(s, MS_POP3_T_CAPA, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(caps); i++)
        emit_text(s, caps[i], "pop3.data.capa");
    emit_text(s, ".", "pop3.data.end");
}

/* RFC 1939 section 9, the command summary, plus CAPA (RFC 2449 section 5). */
static const ServerCommand commands[] = {
    { "USER", IN_AUTH, 1, 1, FALSE, check_user, do_user },
    /* RFC 1939 section 7: spaces may be part of the password. */
    { "PASS", IN_AUTH, 1, 1, TRUE, check_pass, do_pass },
    { "APOP", IN_AUTH, 2, 2, FALSE, check_apop, do_apop },
    { "QUIT", IN_AUTH | IN_TRANS, 0, 0, FALSE, NULL, do_quit },
    { "STAT", IN_TRANS, 0, 0, FALSE, NULL, do_stat },
    { "LIST", IN_TRANS, 0, 1, FALSE, check_msg_optional, do_list },
    { "RETR", IN_TRANS, 1, 1, FALSE, check_msg, do_retr },
    { "DELE", IN_TRANS, 1, 1, FALSE, check_msg, do_dele },
    { "NOOP", IN_TRANS, 0, 0, FALSE, NULL, do_noop },
    { "RSET", IN_TRANS, 0, 0, FALSE, NULL, do_rset },
    { "TOP", IN_TRANS, 2, 2, FALSE, check_top, do_top },
    { "UIDL", IN_TRANS, 0, 1, FALSE, check_msg_optional, do_uidl },
    { "CAPA", IN_AUTH | IN_TRANS, 0, 0, FALSE, NULL, do_capa },
};

/* ---- Parsing and dispatch ----------------------------------------------------- */

/* RFC 1939 section 3: printable ASCII, at most 40 characters. */
static gboolean arg_is_valid(const char *arg, gsize len, gboolean spaces_ok)
{
    if (len == 0 || len > MS_POP3_ARG_MAX)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar) arg[i];
        if (c > 0x7e || c < 0x20 || (c == ' ' && !spaces_ok))
            return FALSE;
    }
    return TRUE;
}

/* Adds an argument that arg_is_valid() accepted, so at most
 * MS_POP3_ARG_MAX octets: two fit in the request's buffer. */
static void add_arg(Request *req, const char *arg, gsize len)
{
    g_assert(req->argc < G_N_ELEMENTS(req->argv) && len <= MS_POP3_ARG_MAX);
    char *copy = req->buf + req->buf_used;
    memcpy(copy, arg, len);
    copy[len] = '\0';
    req->buf_used += len + 1;
    req->argv[req->argc++] = copy;
}

/*   command = keyword *(SP argument) CRLF     (RFC 1939 section 3)
 * Splits the arguments of a line whose keyword is cmd's.  FALSE when they
 * do not fit cmd's count or the rules for arguments. */
static gboolean parse_args(const ServerCommand *cmd, const char *rest, gsize len, Request *req)
{
    if (rest == NULL)
        return cmd->min_args == 0;
    if (cmd->whole_line) {
        if (!arg_is_valid(rest, len, TRUE))
            return FALSE;
        add_arg(req, rest, len);
        return TRUE;
    }
    gsize pos = 0;
    for (;;) {
        const char *sp = memchr(rest + pos, ' ', len - pos);
        gsize end = sp != NULL ? (gsize) (sp - rest) : len;
        if (req->argc == cmd->max_args || !arg_is_valid(rest + pos, end - pos, FALSE))
            return FALSE;
        add_arg(req, rest + pos, end - pos);
        if (sp == NULL)
            break;
        pos = end + 1;
    }
    return req->argc >= cmd->min_args;
}

static const ServerCommand *find_command(const char *line, gsize len)
{
    /* Keywords are three or four characters, case-insensitive (section 3). */
    if (len < 3 || len > 4)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (ms_pop3_verb_is(commands[i].verb, line, len))
            return &commands[i];
    }
    return NULL;
}

static void handle_line(MsPop3Server *s, const char *line, gsize len)
{
    /* Whatever this command is, it is the one right after the previous. */
    g_free(s->user_prev);
    s->user_prev = g_steal_pointer(&s->user_next);

    const char *sp = memchr(line, ' ', len);
    gsize verb_len = sp != NULL ? (gsize) (sp - line) : len;
    const ServerCommand *cmd = find_command(line, verb_len);
    if (cmd == NULL) {
        reply(s, MS_POP3_T_UNKNOWN, NULL);
        return;
    }
    if ((cmd->states & (1u << s->state)) == 0) {
        reply(s, MS_POP3_T_WRONG_STATE, "verb", cmd->verb, "state",
              ms_pop3_state_name(s->state), NULL);
        return;
    }
    Request req;
    req.argc = 0;
    req.buf_used = 0;
    req.msg = 0;
    req.lines = 0;
    const char *rest = sp != NULL ? sp + 1 : NULL;
    gsize rest_len = sp != NULL ? len - verb_len - 1 : 0;
    if (!parse_args(cmd, rest, rest_len, &req)) {
        reply(s, MS_POP3_T_BAD_ARG, NULL);
    } else if (cmd->check == NULL || cmd->check(s, &req)) {
        cmd->proceed(s, &req);
    }
}

static void process(MsPop3Server *s)
{
    while (s->state == MS_POP3_STATE_AUTHORIZATION || s->state == MS_POP3_STATE_TRANSACTION) {
        const char *line = NULL;
        gsize len = 0;
        MsEol eol = MS_EOL_CRLF;
        MsLineResult r = ms_line_reader_peek(s->reader, &line, &len, &eol);
        if (r == MS_LINE_NONE)
            return;
        if (r == MS_LINE_TOO_LONG) {
            /* RFC 2449 section 4: at most 255 octets with the CRLF. */
            g_clear_pointer(&s->user_next, g_free);
            reply(s, MS_POP3_T_TOO_LONG, NULL);
        } else {
            handle_line(s, line, len);
        }
        if (s->errors >= MS_PROTO_MAX_ERRORS && s->state != MS_POP3_STATE_CLOSED) {
            /* RFC 1939 has no reply for this; like Dovecot, the server
             * says -ERR and closes.  Not through UPDATE: the session did
             * not end with QUIT, so nothing marked is removed (section 6). */
            reply(s, MS_POP3_T_TOO_MANY_ERRORS, NULL);
            release_maildrop(s, TRUE);
            set_state(s, MS_POP3_STATE_CLOSED);
            push_event(s, ms_pop3_event_new(MS_POP3_EVENT_CLOSE));
        }
    }
}

/* ---- Public ----------------------------------------------------------------- */

MsPop3Server *ms_pop3_server_new(const MsPop3ServerConfig *config, GError **error)
{
    g_return_val_if_fail(config != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    const MsPop3Profile *profile = ms_pop3_profile_find(config->profile);
    if (profile == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO,
                    "unknown POP3 reply profile \"%s\" (known: default, textbook)",
                    config->profile);
        return NULL;
    }
    if (config->authenticate == NULL || config->lock == NULL || config->unlock == NULL
        || config->load == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO,
                    "a POP3 server needs authenticate, lock, unlock and load callbacks");
        return NULL;
    }
    MsPop3Server *s = g_new0(MsPop3Server, 1);
    s->state = MS_POP3_STATE_INIT;
    s->profile = profile;
    s->hostname = g_strdup(config->hostname != NULL ? config->hostname : "localhost");
    s->known_user = config->known_user;
    s->authenticate = config->authenticate;
    s->apop_secret = config->apop_secret;
    s->lock = config->lock;
    s->unlock = config->unlock;
    s->load = config->load;
    s->user_data = config->user_data;
    if (s->apop_secret != NULL) {
        /* RFC 1939 section 7: "<process-ID.clock@hostname>". */
        s->timestamp = g_strdup_printf("<%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT "@%s>",
                                       config->apop_pid, config->apop_clock, s->hostname);
    }
    s->reader = ms_line_reader_new(MS_POP3_COMMAND_MAX);
    s->output = ms_proto_output_new();
    s->scratch = g_string_sized_new(128);
    g_queue_init(&s->events);
    return s;
}

void ms_pop3_server_free(MsPop3Server *server)
{
    if (server == NULL)
        return;
    if (server->maildrop != NULL)
        server->unlock(server->maildrop, server->user_data);
    clear_snapshot(server);
    g_queue_clear_full(&server->events, (GDestroyNotify) ms_pop3_event_free);
    ms_proto_output_free(server->output);
    g_string_free(server->scratch, TRUE);
    ms_line_reader_free(server->reader);
    g_free(server->user_next);
    g_free(server->user_prev);
    g_free(server->timestamp);
    g_free(server->hostname);
    g_free(server);
}

void ms_pop3_server_start(MsPop3Server *server)
{
    g_return_if_fail(server != NULL);
    if (server->state != MS_POP3_STATE_INIT)
        return;
    /* RFC 1939 section 4: the greeting puts the session in AUTHORIZATION. */
    set_state(server, MS_POP3_STATE_AUTHORIZATION);
    reply(server, MS_POP3_T_GREETING, "timestamp",
          server->timestamp != NULL ? server->timestamp : "", NULL);
    process(server);
}

void ms_pop3_server_feed(MsPop3Server *server, const char *bytes, gsize len)
{
    g_return_if_fail(server != NULL);
    if (server->state == MS_POP3_STATE_CLOSED || server->state == MS_POP3_STATE_UPDATE)
        return;
    ms_line_reader_feed(server->reader, bytes, len);
    process(server);
}

GPtrArray *ms_pop3_server_take_output(MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return ms_proto_output_take(server->output);
}

GPtrArray *ms_pop3_server_output(MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return ms_proto_output_lines(server->output);
}

void ms_pop3_server_output_sent(MsPop3Server *server)
{
    g_return_if_fail(server != NULL);
    ms_proto_output_clear(server->output);
}

MsPop3Event *ms_pop3_server_next_event(MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return g_queue_pop_head(&server->events);
}

void ms_pop3_server_abort(MsPop3Server *server)
{
    g_return_if_fail(server != NULL);
    /* RFC 1939 section 6: a session that ends other than by QUIT from
     * TRANSACTION does not enter UPDATE; nothing is removed. */
    release_maildrop(server, TRUE);
    set_state(server, MS_POP3_STATE_CLOSED);
}

MsPop3State ms_pop3_server_state(const MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, MS_POP3_STATE_CLOSED);
    return server->state;
}

const char *ms_pop3_server_timestamp(const MsPop3Server *server)
{
    g_return_val_if_fail(server != NULL, NULL);
    return server->timestamp;
}
