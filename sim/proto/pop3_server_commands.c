/* pop3_server_commands.c - the POP3 server's commands (RFC 1939 sections 4
 * to 7, CAPA from RFC 2449).
 *
 * Each command line goes through one table (verb, states it is allowed in,
 * check, proceed), so a command in the wrong state is refused by the table,
 * not by scattered ifs.  A check sends the -ERR reply and stops; a proceed
 * does the work: USER, PASS and APOP open the maildrop, the transaction's
 * commands list, send and mark its messages, and QUIT enters UPDATE.  The
 * profile's replies are put together in pop3_server.c.
 */
#include "pop3-private.h"

#include <string.h>
#include "mailsim/core.h"

#define IN_AUTH (1u << MS_POP3_STATE_AUTHORIZATION)
#define IN_TRANS (1u << MS_POP3_STATE_TRANSACTION)

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

/* ---- Output and events --------------------------------------------------- */

static void emit_text(MsPop3Server *s, const char *text, const char *note)
{
    ms_pop3_server_emit(s, text, strlen(text), note);
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

static void auth_failed(MsPop3Server *s, const char *user, gboolean lock_refused)
{
    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_AUTH_FAILED);
    ev->user = g_strdup(user);
    ev->lock_refused = lock_refused;
    /* The reply just emitted, without "-ERR ". */
    GPtrArray *lines = ms_proto_output_lines(s->output);
    const MsProtoLine *last = g_ptr_array_index(lines, lines->len - 1);
    ev->text = g_strdup(strlen(last->text) > 5 ? last->text + 5 : "");
    ms_pop3_server_push_event(s, ev);
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
    ms_pop3_server_emit(s, text, len, "pop3.data.line");
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

/* RFC 1939 section 4: after successful authentication the server acquires
 * an exclusive-access lock on the maildrop, numbers its messages from 1 and
 * notes their sizes; then the session is in TRANSACTION. */
static void open_maildrop(MsPop3Server *s, const char *user, char *maildrop_owned)
{
    g_autofree char *maildrop = maildrop_owned;
    if (maildrop == NULL)
        maildrop = g_strdup(user);

    if (!s->lock(maildrop, s->user_data)) {
        ms_pop3_server_reply(s, MS_POP3_T_LOCKED, NULL);
        auth_failed(s, user, TRUE);
        return;
    }
    GPtrArray *messages = s->load(maildrop, s->user_data);
    if (messages == NULL) {
        /* Section 4: a lock taken before a negative reply is released
         * first. */
        s->unlock(maildrop, s->user_data);
        ms_pop3_server_reply(s, MS_POP3_T_LOAD_FAILED, NULL);
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
    ms_pop3_server_reply(s, MS_POP3_T_LOGIN_OK, "user", user, "count", count_s, "s",
                         plural(count), "octets", octets_s, NULL);

    MsPop3Event *ev = ms_pop3_event_new(MS_POP3_EVENT_AUTH_OK);
    ev->user = g_strdup(user);
    ev->maildrop = g_strdup(s->maildrop);
    ev->count = count;
    ev->octets = octets;
    ms_pop3_server_push_event(s, ev);
    ms_pop3_server_set_state(s, MS_POP3_STATE_TRANSACTION);
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
        ms_pop3_server_reply(s, MS_POP3_T_USER_UNKNOWN, "user", req->argv[0], NULL);
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
        ms_pop3_server_reply(s, MS_POP3_T_NO_USER, NULL);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_apop(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 7, APOP: only a server that put a timestamp in its
     * greeting supports it. */
    if (s->timestamp == NULL) {
        ms_pop3_server_reply(s, MS_POP3_T_APOP_UNAVAILABLE, NULL);
        return FALSE;
    }
    /* The digest is 16 octets in lower-case hex. */
    const char *digest = req->argv[1];
    gboolean ok = strlen(digest) == 32;
    for (const char *p = digest; ok && *p != '\0'; p++)
        ok = g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f');
    if (!ok) {
        ms_pop3_server_reply(s, MS_POP3_T_BAD_ARG, NULL);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_msg(MsPop3Server *s, Request *req)
{
    guint64 n = 0;
    if (!parse_number(req->argv[0], &n)) {
        ms_pop3_server_reply(s, MS_POP3_T_BAD_ARG, NULL);
        return FALSE;
    }
    /* RFC 1939 section 5: message numbers run from 1 to the count at login,
     * and a number may not refer to a message marked as deleted. */
    if (n < 1 || n > s->messages->len) {
        char count_s[MS_PROTO_UINT_MAX_LEN];
        ms_proto_format_uint(count_s, s->messages->len);
        ms_pop3_server_reply(s, MS_POP3_T_NO_SUCH, "count", count_s, "s",
                             plural(s->messages->len), NULL);
        return FALSE;
    }
    if (s->deleted[n - 1]) {
        char n_s[MS_PROTO_UINT_MAX_LEN];
        ms_proto_format_uint(n_s, n);
        ms_pop3_server_reply(s, MS_POP3_T_DELETED, "n", n_s, NULL);
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
        ms_pop3_server_reply(s, MS_POP3_T_BAD_ARG, NULL);
        return FALSE;
    }
    return check_msg(s, req);
}

/* ---- Proceed: AUTHORIZATION ------------------------------------------------- */

static void do_user(MsPop3Server *s, Request *req)
{
    g_free(s->user_next);
    s->user_next = g_strdup(req->argv[0]);
    ms_pop3_server_reply(s, MS_POP3_T_USER_OK, "user", req->argv[0], NULL);
}

static void do_pass(MsPop3Server *s, Request *req)
{
    char *maildrop = NULL;
    if (!s->authenticate(s->user_prev, req->argv[0], s->user_data, &maildrop)) {
        g_free(maildrop);
        /* RFC 1939 section 7, PASS: -ERR and the session stays in
         * AUTHORIZATION; the client may start again with USER. */
        ms_pop3_server_reply(s, MS_POP3_T_AUTH_FAILED, NULL);
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
        ms_pop3_server_reply(s, MS_POP3_T_AUTH_FAILED, NULL);
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
        ms_pop3_server_reply(s, MS_POP3_T_QUIT_AUTH, NULL);
    } else {
        /* RFC 1939 section 6: QUIT from TRANSACTION enters UPDATE, where
         * the marked messages are removed and the lock released. */
        ms_pop3_server_set_state(s, MS_POP3_STATE_UPDATE);
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
        ms_pop3_server_push_event(s, ev);
        ms_pop3_server_release_maildrop(s, FALSE);
        if (left == 0) {
            ms_pop3_server_reply(s, MS_POP3_T_QUIT_EMPTY, NULL);
        } else {
            char left_s[MS_PROTO_UINT_MAX_LEN];
            ms_proto_format_uint(left_s, left);
            ms_pop3_server_reply(s, MS_POP3_T_QUIT_LEFT, "count", left_s, "s", plural(left), NULL);
        }
        /* Nothing marked (never, or RSET undid the marks): UPDATE removes
         * nothing, and the note must not say it did. */
        if (!removed)
            renote_last(s, "pop3.reply.quit.update.none");
    }
    ms_pop3_server_set_state(s, MS_POP3_STATE_CLOSED);
    ms_pop3_server_push_event(s, ms_pop3_event_new(MS_POP3_EVENT_CLOSE));
}

/* ---- Proceed: TRANSACTION --------------------------------------------------- */

static void do_stat(MsPop3Server *s, Request *req)
{
    (void) req;
    guint count = 0;
    guint64 octets = 0;
    maildrop_totals(s, &count, &octets);
    /* RFC 1939 section 5, STAT: exactly "+OK nn mm". */
    ms_pop3_server_scratch_start(s, "+OK ");
    ms_pop3_server_scratch_uint(s, count);
    g_string_append_c(s->scratch, ' ');
    ms_pop3_server_scratch_uint(s, octets);
    ms_pop3_server_scratch_emit(s, "pop3.reply.stat");
}

static void do_list(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 5, LIST: "msg size" on the status line for one
     * message, otherwise a scan listing of every message not deleted. */
    if (req->argc == 1) {
        ms_pop3_server_scratch_start(s, "+OK ");
        ms_pop3_server_scratch_uint(s, req->msg);
        g_string_append_c(s->scratch, ' ');
        ms_pop3_server_scratch_uint(s, g_bytes_get_size(message_at(s, req->msg)->data));
        ms_pop3_server_scratch_emit(s, "pop3.reply.list");
        return;
    }
    guint count = 0;
    guint64 octets = 0;
    maildrop_totals(s, &count, &octets);
    char count_s[MS_PROTO_UINT_MAX_LEN], octets_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(count_s, count);
    ms_proto_format_uint(octets_s, octets);
    ms_pop3_server_reply(s, MS_POP3_T_LIST_ALL, "count", count_s, "s", plural(count), "octets",
                         octets_s, NULL);
    for (guint i = 0; i < s->messages->len; i++) {
        if (s->deleted[i])
            continue;
        ms_pop3_server_scratch_start(s, "");
        ms_pop3_server_scratch_uint(s, i + 1);
        g_string_append_c(s->scratch, ' ');
        ms_pop3_server_scratch_uint(s, g_bytes_get_size(message_at(s, i + 1)->data));
        ms_pop3_server_scratch_emit(s, "pop3.data.scan");
    }
    emit_text(s, ".", "pop3.data.end");
}

static void do_retr(MsPop3Server *s, Request *req)
{
    GBytes *data = message_at(s, req->msg)->data;
    char octets_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(octets_s, g_bytes_get_size(data));
    ms_pop3_server_reply(s, MS_POP3_T_RETR, "octets", octets_s, NULL);
    send_message(s, data, FALSE, 0);
}

static void do_top(MsPop3Server *s, Request *req)
{
    ms_pop3_server_reply(s, MS_POP3_T_TOP, NULL);
    send_message(s, message_at(s, req->msg)->data, TRUE, req->lines);
}

static void do_dele(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 5, DELE: only marked; removal waits for UPDATE. */
    s->deleted[req->msg - 1] = TRUE;
    char n_s[MS_PROTO_UINT_MAX_LEN];
    ms_proto_format_uint(n_s, req->msg);
    ms_pop3_server_reply(s, MS_POP3_T_DELE, "n", n_s, NULL);
}

static void do_noop(MsPop3Server *s, Request *req)
{
    (void) req;
    ms_pop3_server_reply(s, MS_POP3_T_NOOP, NULL);
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
    ms_pop3_server_reply(s, MS_POP3_T_RSET, "count", count_s, "s", plural(count), "octets",
                         octets_s, NULL);
    if (!had_marks)
        renote_last(s, "pop3.reply.rset.none");
}

static void do_uidl(MsPop3Server *s, Request *req)
{
    /* RFC 1939 section 7, UIDL: like LIST, with unique-ids for sizes. */
    if (req->argc == 1) {
        ms_pop3_server_scratch_start(s, "+OK ");
        ms_pop3_server_scratch_uint(s, req->msg);
        g_string_append_c(s->scratch, ' ');
        g_string_append(s->scratch, message_at(s, req->msg)->uidl);
        ms_pop3_server_scratch_emit(s, "pop3.reply.uidl");
        return;
    }
    ms_pop3_server_reply(s, MS_POP3_T_UIDL_ALL, NULL);
    for (guint i = 0; i < s->messages->len; i++) {
        if (s->deleted[i])
            continue;
        ms_pop3_server_scratch_start(s, "");
        ms_pop3_server_scratch_uint(s, i + 1);
        g_string_append_c(s->scratch, ' ');
        g_string_append(s->scratch, message_at(s, i + 1)->uidl);
        ms_pop3_server_scratch_emit(s, "pop3.data.uidl");
    }
    emit_text(s, ".", "pop3.data.end");
}

static void do_capa(MsPop3Server *s, Request *req)
{
    (void) req;
    /* RFC 2449 section 5: the same list in every state. */
    static const char *const caps[] = { "TOP", "UIDL", "USER", "IMPLEMENTATION mailsim" };
    ms_pop3_server_reply(s, MS_POP3_T_CAPA, NULL);
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

void ms_pop3_server_command_line(MsPop3Server *s, const char *line, gsize len)
{
    /* Whatever this command is, it is the one right after the previous. */
    g_free(s->user_prev);
    s->user_prev = g_steal_pointer(&s->user_next);

    const char *sp = memchr(line, ' ', len);
    gsize verb_len = sp != NULL ? (gsize) (sp - line) : len;
    const ServerCommand *cmd = find_command(line, verb_len);
    if (cmd == NULL) {
        ms_pop3_server_reply(s, MS_POP3_T_UNKNOWN, NULL);
        return;
    }
    if ((cmd->states & (1u << s->state)) == 0) {
        ms_pop3_server_reply(s, MS_POP3_T_WRONG_STATE, "verb", cmd->verb, "state",
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
        ms_pop3_server_reply(s, MS_POP3_T_BAD_ARG, NULL);
    } else if (cmd->check == NULL || cmd->check(s, &req)) {
        cmd->proceed(s, &req);
    }
}
