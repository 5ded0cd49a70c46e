/* smtp_server.c - the receiving side of SMTP (RFC 5321) as a sans-I/O engine.
 *
 * The server greets, then answers one command line at a time.  Commands go
 * through a table: each entry says in which states the command is allowed
 * (otherwise 503, and the state does not change: RFC 5321 4.1.4), what
 * arguments it takes, a check that sends the error reply and stops, and a
 * proceed that does the work.  Between DATA's 354 and the final "." the
 * lines are message text, not commands: they are collected, dot-unstuffed,
 * and judged as a whole at the end (size, line endings, line length, the
 * 7-bit rule) because RFC 5321 gives the server no way to interrupt the
 * client in the middle of the text.
 */
#include <string.h>

#include "smtp-private.h"
#include "proto-private.h"
#include "mailsim/core.h"

/* RFC 5321 4.5.3.1.4 and 4.5.3.1.6: limits include the CRLF. */
#define COMMAND_MAX (MS_SMTP_COMMAND_LINE_MAX - 2)
#define TEXT_MAX (MS_SMTP_TEXT_LINE_MAX - 2)

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
};

static const char *const state_phases[] = {
#define PHASE_(e, name, phase) phase,
    MS_SMTP_SERVER_STATES(PHASE_)
#undef PHASE_
};

/* The one place the state changes. */
static void server_state(MsSmtpServer *server, MsSmtpServerState state)
{
    if (server->state == state)
        return;
    MS_DEBUG("smtp server %s: %s -> %s", server->hostname,
            ms_smtp_server_state_name(server->state), ms_smtp_server_state_name(state));
    server->state = state;
}

/* ---- Configuration and life cycle ------------------------------------------ */
void ms_smtp_server_config_init(MsSmtpServerConfig *config, const char *hostname)
{
    memset(config, 0, sizeof *config);
    config->hostname = hostname;
    config->profile = "default";
    config->offer_8bitmime = TRUE;
    config->offer_pipelining = TRUE;
    config->offer_size = TRUE;
    config->max_recipients = MS_SMTP_DEFAULT_MAX_RECIPIENTS;
}

/* The HELO or EHLO name, NULL before either. */
static const char *helo_name(const MsSmtpServer *server)
{
    return server->helo_size > 0 ? server->paths : NULL;
}

static void clear_transaction(MsSmtpServer *server)
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
}

/* Adds a name or a path to the session's buffer; returns where it starts. */
static guint add_path(MsSmtpServer *server, const char *path)
{
    /* A name is at most a command line, a path MS_SMTP_PATH_MAX octets,
     * and a transaction has at most max_recipients of them. */
    guint size = (guint) strlen(path) + 1;
    guint at = server->paths_len;

    if (at + size > server->paths_cap) {
        guint cap = MAX(server->paths_cap * 2, 256);

        while (cap < at + size)
            cap *= 2;
        server->paths = g_realloc(server->paths, cap);
        server->paths_cap = cap;
    }
    memcpy(server->paths + at, path, size);
    server->paths_len = at + size;
    return at;
}

MsSmtpServer *ms_smtp_server_new(const MsSmtpServerConfig *config, const char *peer_name)
{
    const char *hostname = config->hostname != NULL ? config->hostname : "localhost";
    gsize host_size = strlen(hostname) + 1;
    gsize peer_size = peer_name != NULL ? strlen(peer_name) + 1 : 0;
    MsSmtpServer *server = g_malloc0(sizeof *server + host_size + peer_size);

    server->hostname = memcpy((char *) (server + 1), hostname, host_size);
    if (peer_name != NULL)
        server->peer_name = memcpy(server->hostname + host_size, peer_name, peer_size);
    server->profile = ms_smtp_profile_lookup(config->profile);
    if (server->profile == NULL)
        server->profile = ms_smtp_profile_lookup(NULL);
    server->max_size = config->max_size;
    server->offer_8bitmime = config->offer_8bitmime != FALSE;
    server->offer_pipelining = config->offer_pipelining != FALSE;
    server->offer_size = config->offer_size != FALSE;
    server->refuse = config->refuse != FALSE;
    server->max_recipients = config->max_recipients > 0 ? config->max_recipients
                                                        : MS_SMTP_DEFAULT_MAX_RECIPIENTS;
    server->check_rcpt = config->check_rcpt;
    server->user_data = config->user_data;

    server->state = MS_SMTP_SERVER_INIT;
    ms_line_reader_init(&server->reader, COMMAND_MAX);
    ms_proto_output_init(&server->output);
    ms_smtp_events_init(&server->events);
    server->phase = MS_SMTP_PHASE_HANDSHAKE;
    return server;
}

void ms_smtp_server_free(MsSmtpServer *server)
{
    if (server == NULL)
        return;
    ms_line_reader_release(&server->reader);
    ms_proto_output_release(&server->output);
    ms_smtp_events_clear(&server->events);
    g_free(server->paths);
    g_free(server->data);
    g_free(server);
}

GPtrArray *ms_smtp_server_take_output(MsSmtpServer *server)
{
    return ms_proto_output_take(&server->output);
}

GPtrArray *ms_smtp_server_output(MsSmtpServer *server)
{
    return ms_proto_output_lines(&server->output);
}

void ms_smtp_server_output_sent(MsSmtpServer *server)
{
    ms_proto_output_clear(&server->output);
}

MsSmtpEvent *ms_smtp_server_next_event(MsSmtpServer *server)
{
    return ms_smtp_events_next(&server->events);
}

gboolean ms_smtp_server_pop_event(MsSmtpServer *server, MsSmtpEvent *event_out)
{
    return ms_smtp_events_pop(&server->events, event_out);
}

MsSmtpServerState ms_smtp_server_state(const MsSmtpServer *server)
{
    return server->state;
}

/* ---- Replies ----------------------------------------------------------------- */
/* A reply line with room for n octets of text, which it returns.
 * RFC 5321 4.2.1: "ddd-text" on every line of a multi-line reply but the
 * last, which is "ddd text" (or "ddd" alone when there is no text).  Put
 * together by hand: every reply line of a run passes here, and printf cost
 * three times as much as the rest of the line's making. */
static char *reply_space(MsSmtpServer *server, guint code, gboolean last, gsize n,
                         const char *note)
{
    gboolean sep = n > 0 || !last;
    /* RFC 5321 4.2: a reply code is three digits, 2xx to 5xx; the codes
     * come from this file and the agents' policies, never from a peer. */
    g_assert(code >= 200 && code <= 599);
    MsProtoLine *reply = ms_proto_output_add_space(&server->output, 3 + sep + n, "\r\n",
                                                   server->phase, note);
    char *line = reply->text;
    line[0] = (char) ('0' + code / 100 % 10);
    line[1] = (char) ('0' + code / 10 % 10);
    line[2] = (char) ('0' + code % 10);
    if (sep)
        line[3] = last ? ' ' : '-';
    return line + 3 + sep;
}

static void emit_line(MsSmtpServer *server, guint code, gboolean last, const char *text,
                      const char *note)
{
    gsize n = text != NULL ? strlen(text) : 0;
    char *dest = reply_space(server, code, last, n, note);

    if (n > 0)
        memcpy(dest, text, n);
}

/* A reply line whose text is a profile's template expanded into the
 * line, without a block of its own; returns that text (transfer none,
 * NUL-terminated, valid until the output is sent). */
static const char *emit_template(MsSmtpServer *server, guint code, gboolean last,
                                 const char *template_text, const MsSmtpVars *vars,
                                 const char *note)
{
    /* Most templates have no placeholder ("2.1.0 Ok"): their text is
     * copied as it is, without expanding it twice. */
    if (strchr(template_text, '{') == NULL) {
        gsize len = strlen(template_text);
        char *text = reply_space(server, code, last, len, note);

        memcpy(text, template_text, len);
        return text;
    }

    /* Expanded once, on the stack, and copied into its line; only a text
     * longer than a reply line may be (a client's long HELO name in it)
     * is measured first and expanded in its line. */
    char buf[MS_SMTP_REPLY_LINE_MAX];
    gsize n = ms_smtp_expand_into(template_text, vars, buf, sizeof buf);
    char *dest = reply_space(server, code, last, n, note);

    if (n <= sizeof buf) {
        memcpy(dest, buf, n);
    } else {
        gsize written = ms_smtp_expand_to(template_text, vars, dest);

        g_assert(written == n);
    }
    return dest;
}

/* Sends reply `id`; code 0 takes the id's code, which it returns.  When
 * event_out is not NULL, its code, note and text are the reply's. */
static guint reply_full(MsSmtpServer *server, MsSmtpReplyId id, guint code,
                        const MsSmtpVars *extra, MsSmtpEvent *event_out)
{
    MsSmtpVars vars = { 0 };

    if (extra != NULL)
        vars = *extra;
    vars.host = server->hostname;
    vars.helo = helo_name(server);
    if (code == 0)
        code = ms_smtp_reply_code(id);
    g_assert(code >= 200 && code <= 599);
    /* 500 to 504 say the client broke the protocol (RFC 5321 4.2.2); a
     * refused mailbox or a full disk is not the client's error. */
    if (code >= 500 && code <= 504)
        server->errors++;

    const char *template_text = ms_smtp_profile_template(server->profile, id);
    const char *text = emit_template(server, code, TRUE, template_text, &vars,
                                     ms_smtp_reply_note(id));

    if (event_out != NULL) {
        event_out->code = code;
        event_out->note = ms_smtp_reply_note(id);
        /* A wording with nothing filled in ("2.0.0 Bye", the 221 of every
         * session) is the profile's static text: the event points at it
         * instead of a copy. */
        event_out->text_static_ = strchr(template_text, '{') == NULL;
        event_out->text = event_out->text_static_ ? (char *) template_text : g_strdup(text);
    }
    return code;
}

static void reply(MsSmtpServer *server, MsSmtpReplyId id)
{
    reply_full(server, id, 0, NULL, NULL);
}

static void reply_addr(MsSmtpServer *server, MsSmtpReplyId id, const char *addr)
{
    MsSmtpVars vars = { .addr = addr };

    reply_full(server, id, 0, &vars, NULL);
}

/* A framing rule was broken: the reply says so, and so does an event, for
 * the transcript cannot show a missing CR. */
static void protocol_error(MsSmtpServer *server, MsSmtpReplyId id, const MsSmtpVars *vars)
{
    MsSmtpEvent event = { .kind = MS_SMTP_EVENT_PROTOCOL_ERROR };

    reply_full(server, id, 0, vars, &event);
    ms_smtp_events_push(&server->events, &event);
}

static void close_session(MsSmtpServer *server, MsSmtpReplyId id)
{
    MsSmtpEvent event = { .kind = MS_SMTP_EVENT_CLOSE };

    reply_full(server, id, 0, NULL, &event);
    ms_smtp_events_push(&server->events, &event);
    clear_transaction(server);
    server_state(server, MS_SMTP_SERVER_CLOSED);
}

void ms_smtp_server_start(MsSmtpServer *server)
{
    if (server->state != MS_SMTP_SERVER_INIT)
        return;
    server->phase = MS_SMTP_PHASE_HANDSHAKE;
    if (server->refuse) {
        /* RFC 5321 3.1: 554 instead of 220; then wait for QUIT. */
        reply(server, MS_SMTP_R_NO_SERVICE);
        server_state(server, MS_SMTP_SERVER_REFUSED);
    } else {
        reply(server, MS_SMTP_R_GREETING);
        server_state(server, MS_SMTP_SERVER_CONNECTED);
    }
    /* Bytes that came before the greeting are answered now. */
    ms_smtp_server_feed(server, NULL, 0);
}

void ms_smtp_server_shutdown(MsSmtpServer *server)
{
    if (server->state == MS_SMTP_SERVER_CLOSED)
        return;
    /* RFC 5321 3.8: 421 may be sent at any time when the server must shut
     * down; the transaction in progress is abandoned. */
    server->phase = MS_SMTP_PHASE_CLOSURE;
    close_session(server, MS_SMTP_R_SHUTDOWN);
}

/* ---- Commands ---------------------------------------------------------------- */
typedef struct Command Command;

typedef enum {
    ARGS_NONE,     /* RFC 5321 4.1.1: e.g. "DATA" CRLF */
    ARGS_REQUIRED,
    ARGS_OPTIONAL, /* NOOP and HELP take an optional string */
} ArgPolicy;

/* A parsed request: what check() found, for proceed() to use. */
typedef struct {
    const Command *cmd;
    const char *args; /* after the verb and its space; "" when none */
    char path[MS_SMTP_PATH_MAX]; /* MAIL's or RCPT's, once parsed */
    guint64 size;
    gboolean body_8bitmime;
    gboolean spaced; /* "MAIL FROM: <a>": a space before the path */
} Request;

struct Command {
    const char *verb;
    gsize verb_len;
    guint states; /* bit (1 << state) for each state it is allowed in */
    const char *phase;
    ArgPolicy args;
    MsSmtpReplyId syntax_reply;     /* for a missing or unexpected argument */
    MsSmtpReplyId sequence_reply;   /* when not allowed in this state */
    gboolean (*check)(MsSmtpServer *server, Request *req);
    void (*proceed)(MsSmtpServer *server, Request *req);
};

#define ST(s) (1u << (MS_SMTP_SERVER_##s))
#define SESSION (ST(CONNECTED) | ST(READY) | ST(MAIL) | ST(RCPT))

/* HELO / EHLO: the argument is one domain or address literal (RFC 5321
 * 4.1.1.1); anything with spaces is a syntax error. */
static gboolean check_hello(MsSmtpServer *server, Request *req)
{
    if (strchr(req->args, ' ') != NULL) {
        reply(server, req->cmd->syntax_reply);
        return FALSE;
    }
    return TRUE;
}

static void start_session(MsSmtpServer *server, Request *req, gboolean esmtp)
{
    /* RFC 5321 4.1.4: a HELO or EHLO in the middle of a session resets it
     * like RSET. */
    clear_transaction(server);
    server->helo_size = 0;
    server->paths_len = 0;
    add_path(server, req->args);
    server->helo_size = server->paths_len;
    server->esmtp = esmtp;
    server_state(server, MS_SMTP_SERVER_READY);
}

static void proceed_helo(MsSmtpServer *server, Request *req)
{
    start_session(server, req, FALSE);
    reply(server, MS_SMTP_R_HELO_OK);
}

static void proceed_ehlo(MsSmtpServer *server, Request *req)
{
    MsSmtpVars vars = { .host = server->hostname };

    start_session(server, req, TRUE);
    vars.helo = helo_name(server);

    /* RFC 5321 4.1.1.1: the first line greets, each further line names an
     * extension keyword with its parameters.  Every session says these
     * lines: they are static text, but for SIZE's number. */
    const char *ext[5];
    const char *notes[G_N_ELEMENTS(ext)];
    guint n = 0;
    char size[5 + MS_PROTO_UINT_MAX_LEN]; /* "SIZE ", the digits of a guint64 and a NUL */

    if (server->offer_size) {
        /* RFC 1870 4: "SIZE" alone means no fixed limit. */
        if (server->max_size > 0) {
            memcpy(size, "SIZE ", 5);
            ms_proto_format_uint(size + 5, server->max_size);
            ext[n] = size;
        } else {
            ext[n] = "SIZE";
        }
        notes[n++] = "smtp.ext.size";
    }
    if (server->offer_8bitmime) {
        ext[n] = "8BITMIME";
        notes[n++] = "smtp.ext.8bitmime";
    }
    if (server->offer_pipelining) {
        ext[n] = "PIPELINING";
        notes[n++] = "smtp.ext.pipelining";
    }
    if (server->profile->enhanced_codes) {
        /* RFC 2034 3: enhanced codes are used only when advertised. */
        ext[n] = "ENHANCEDSTATUSCODES";
        notes[n++] = "smtp.ext.enhancedstatuscodes";
    }
    ext[n] = "HELP";
    notes[n++] = "smtp.ext.help";

    emit_template(server, 250, FALSE, ms_smtp_profile_template(server->profile, MS_SMTP_R_EHLO_OK),
                  &vars, ms_smtp_reply_note(MS_SMTP_R_EHLO_OK));
    for (guint i = 0; i < n; i++)
        emit_line(server, 250, i + 1 == n, ext[i], notes[i]);
}

/* "FROM:" or "TO:" then the path; a space before the path is tolerated (the
 * textbook prints one, RFC 5321 4.1.2 has none).  Sends the error reply and
 * returns FALSE when the argument is malformed. */
static gboolean parse_path_arg(MsSmtpServer *server, Request *req, const char *keyword,
                               gboolean is_mail, const char **rest_out)
{
    MsSmtpReplyId syntax = req->cmd->syntax_reply;
    const char *p = req->args;

    gsize keyword_len = strlen(keyword);

    /* Compared inline: a shorter argument differs at its NUL. */
    if (!ms_proto_ascii_caseeq(p, keyword, keyword_len)) {
        reply(server, syntax);
        return FALSE;
    }
    p += keyword_len;
    req->spaced = *p == ' ';
    while (*p == ' ')
        p++;

    MsSmtpPathStatus status = ms_smtp_parse_path(p, is_mail, req->path, rest_out);

    switch (status) {
    case MS_SMTP_PATH_OK:
        return TRUE;
    case MS_SMTP_PATH_SYNTAX:
        reply(server, syntax);
        return FALSE;
    case MS_SMTP_PATH_TOO_LONG:
        /* RFC 5321 4.5.3.1.10: "501 Path too long". */
        reply(server, MS_SMTP_R_PATH_TOO_LONG);
        return FALSE;
    case MS_SMTP_PATH_BAD_ADDRESS:
    default:
        reply_addr(server, is_mail ? MS_SMTP_R_BAD_SENDER : MS_SMTP_R_BAD_RECIPIENT, req->path);
        return FALSE;
    }
}

static void reply_param(MsSmtpServer *server, MsSmtpReplyId id, const char *param)
{
    MsSmtpVars vars = { .param = param };

    reply_full(server, id, 0, &vars, NULL);
}

/* RFC 5321 4.1.2 has no space between "FROM:" and the path; a server that
 * takes one anyway is being lenient, and its reply's note says so. */
static void note_lenient(MsSmtpServer *server, const Request *req, const char *note)
{
    GPtrArray *lines = ms_proto_output_lines(&server->output);
    if (!req->spaced || lines->len == 0)
        return;
    MsProtoLine *last = g_ptr_array_index(lines, lines->len - 1);
    if (last->text[0] == '2')
        last->note = note;
}

/* MAIL FROM:<reverse-path> [SP Mail-parameters]  (RFC 5321 4.1.1.2) */
static gboolean check_mail(MsSmtpServer *server, Request *req)
{
    const char *rest = NULL;
    guint n_params = 0;

    if (!parse_path_arg(server, req, "FROM:", TRUE, &rest))
        return FALSE;
    if ((rest[0] != '\0' && rest[0] != ' ') || !ms_smtp_params_valid(rest, &n_params)) {
        reply(server, req->cmd->syntax_reply);
        return FALSE;
    }
    char bad[MS_SMTP_COMMAND_LINE_MAX];
    MsSmtpReplyId id = ms_smtp_mail_params(rest, server->esmtp && server->offer_size,
                                           server->esmtp && server->offer_8bitmime, &req->size,
                                           &req->body_8bitmime, bad);

    if (id != MS_SMTP_N_REPLIES) {
        reply_param(server, id, bad);
        return FALSE;
    }
    /* RFC 1870 6.1: a declared size over the fixed limit gets 552 at once,
     * before any text is sent. */
    if (server->max_size > 0 && req->size > server->max_size) {
        MsSmtpVars vars = { .size = server->max_size };

        reply_full(server, MS_SMTP_R_SIZE_TOO_BIG, 0, &vars, NULL);
        return FALSE;
    }
    return TRUE;
}

static void proceed_mail(MsSmtpServer *server, Request *req)
{
    /* RFC 5321 3.3: MAIL starts a new transaction with a clean slate. */
    clear_transaction(server);
    add_path(server, req->path);
    server->body_8bitmime = req->body_8bitmime != FALSE;
    server->declared_size = req->size;
    server_state(server, MS_SMTP_SERVER_MAIL);
    /* The null path is shown as "<>", as it was sent. */
    reply_addr(server, MS_SMTP_R_MAIL_OK,
               req->path[0] != '\0' ? req->path : "<>");
    note_lenient(server, req, "smtp.reply.250.mail.lenient");
}

/* RCPT TO:<forward-path> [SP Rcpt-parameters]  (RFC 5321 4.1.1.3) */
static gboolean check_rcpt(MsSmtpServer *server, Request *req)
{
    const char *rest = NULL;
    guint n_params = 0;

    server->rcpt_attempts++;
    if (!parse_path_arg(server, req, "TO:", FALSE, &rest))
        return FALSE;
    if ((rest[0] != '\0' && rest[0] != ' ') || !ms_smtp_params_valid(rest, &n_params)) {
        reply(server, req->cmd->syntax_reply);
        return FALSE;
    }
    if (n_params > 0) {
        /* No RCPT parameter extension is offered (RFC 5321 4.1.1.11): with
         * neither SIZE nor BODY allowed, the first parameter is refused. */
        char bad[MS_SMTP_COMMAND_LINE_MAX];
        MsSmtpReplyId id = ms_smtp_mail_params(rest, FALSE, FALSE, &req->size,
                                               &req->body_8bitmime, bad);

        reply_param(server, id, bad);
        return FALSE;
    }
    /* RFC 5321 4.5.3.1.8 and 4.5.3.1.10: past the recipient buffer, 452
     * (temporary: the client sends the rest in a later transaction). */
    if (server->n_rcpts >= server->max_recipients) {
        reply(server, MS_SMTP_R_TOO_MANY_RCPTS);
        return FALSE;
    }
    return TRUE;
}

static void proceed_rcpt(MsSmtpServer *server, Request *req)
{
    guint code = 250;
    g_autofree char *text = NULL;

    if (server->check_rcpt != NULL)
        code = server->check_rcpt(req->path, server->user_data, &text);
    /* Only 2xx, 4xx and 5xx answer RCPT (RFC 5321 4.3.2); anything else
     * from the policy is a local error. */
    if (code < 200 || code > 599 || code / 100 == 3) {
        g_clear_pointer(&text, g_free);
        code = 451;
    }

    MsSmtpReplyId id = ms_smtp_rcpt_reply_id(code);

    if (text != NULL) {
        /* "ddd text": the policy's own wording, with the space even when
         * the text is empty. */
        gsize n = strlen(text);
        char *dest = reply_space(server, code, FALSE, n, ms_smtp_reply_note(id));

        dest[-1] = ' ';
        memcpy(dest, text, n);
    } else {
        MsSmtpVars vars = { .addr = req->path };

        reply_full(server, id, code, &vars, NULL);
    }
    note_lenient(server, req, "smtp.reply.250.rcpt.lenient");
    if (code / 100 == 2) {
        add_path(server, req->path);
        server->n_rcpts++;
        server_state(server, MS_SMTP_SERVER_RCPT);
    }
}

/* DATA needs at least one accepted recipient.  RFC 5321 3.3: with no
 * RCPT at all the answer is 503; when every RCPT was refused, 554 "no
 * valid recipients". */
static gboolean check_data(MsSmtpServer *server, Request *req)
{
    (void) req;
    if (server->n_rcpts > 0)
        return TRUE;
    reply(server, server->rcpt_attempts == 0 ? MS_SMTP_R_NEED_RCPT : MS_SMTP_R_NO_VALID_RCPTS);
    return FALSE;
}

static void proceed_data(MsSmtpServer *server, Request *req)
{
    (void) req;
    reply(server, MS_SMTP_R_DATA_START);
    ms_line_reader_set_max(&server->reader, TEXT_MAX);
    server_state(server, MS_SMTP_SERVER_DATA);
}

static void proceed_rset(MsSmtpServer *server, Request *req)
{
    (void) req;
    /* RFC 5321 4.1.1.5: drop the transaction; the HELO stays. */
    clear_transaction(server);
    if (server->state != MS_SMTP_SERVER_CONNECTED)
        server_state(server, MS_SMTP_SERVER_READY);
    reply(server, MS_SMTP_R_RSET_OK);
}

static void proceed_noop(MsSmtpServer *server, Request *req)
{
    (void) req;
    reply(server, MS_SMTP_R_NOOP_OK); /* RFC 5321 4.1.1.9 */
}

static void proceed_vrfy(MsSmtpServer *server, Request *req)
{
    /* RFC 5321 3.5.3: 252 when the server will not say whether the address
     * is real but will take mail for it. */
    reply_addr(server, MS_SMTP_R_VRFY_CANNOT, req->args);
}

static void proceed_help(MsSmtpServer *server, Request *req)
{
    (void) req;
    reply(server, MS_SMTP_R_HELP); /* RFC 5321 4.1.1.8 */
}

static void proceed_not_implemented(MsSmtpServer *server, Request *req)
{
    (void) req;
    reply(server, MS_SMTP_R_NOT_IMPLEMENTED); /* RFC 5321 4.2.4 */
}

static void proceed_quit(MsSmtpServer *server, Request *req)
{
    (void) req;
    /* RFC 5321 4.1.1.10: 221, then close; an unfinished transaction is
     * abandoned. */
    close_session(server, MS_SMTP_R_CLOSING);
}

/* A verb and its length, which find_command() compares first. */
#define VERB(v) v, sizeof v - 1

/* In the order of how often they come (MAIL, RCPT and DATA for every
 * message, EHLO and QUIT for every session): find_command() goes through
 * them in turn for every command of a run. */
static const Command commands[] = {
    { VERB("MAIL"), ST(READY), MS_SMTP_PHASE_TRANSFER, ARGS_REQUIRED, MS_SMTP_R_SYNTAX_MAIL,
      MS_SMTP_R_NESTED_MAIL, check_mail, proceed_mail },
    { VERB("RCPT"), ST(MAIL) | ST(RCPT), MS_SMTP_PHASE_TRANSFER, ARGS_REQUIRED,
      MS_SMTP_R_SYNTAX_RCPT, MS_SMTP_R_NEED_MAIL, check_rcpt, proceed_rcpt },
    { VERB("DATA"), ST(MAIL) | ST(RCPT), MS_SMTP_PHASE_TRANSFER, ARGS_NONE,
      MS_SMTP_R_SYNTAX_NO_ARGS, MS_SMTP_R_NEED_MAIL, check_data, proceed_data },
    { VERB("EHLO"), SESSION, MS_SMTP_PHASE_HANDSHAKE, ARGS_REQUIRED, MS_SMTP_R_SYNTAX_EHLO,
      MS_SMTP_R_BAD_SEQUENCE, check_hello, proceed_ehlo },
    { VERB("QUIT"), SESSION | ST(REFUSED), MS_SMTP_PHASE_CLOSURE, ARGS_NONE,
      MS_SMTP_R_SYNTAX_NO_ARGS, MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_quit },
    { VERB("HELO"), SESSION, MS_SMTP_PHASE_HANDSHAKE, ARGS_REQUIRED, MS_SMTP_R_SYNTAX_HELO,
      MS_SMTP_R_BAD_SEQUENCE, check_hello, proceed_helo },
    { VERB("RSET"), SESSION, MS_SMTP_PHASE_TRANSFER, ARGS_NONE, MS_SMTP_R_SYNTAX_NO_ARGS,
      MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_rset },
    { VERB("NOOP"), SESSION, MS_SMTP_PHASE_TRANSFER, ARGS_OPTIONAL, MS_SMTP_R_SYNTAX_NO_ARGS,
      MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_noop },
    { VERB("VRFY"), SESSION, MS_SMTP_PHASE_TRANSFER, ARGS_REQUIRED, MS_SMTP_R_SYNTAX_VRFY,
      MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_vrfy },
    { VERB("HELP"), SESSION, MS_SMTP_PHASE_TRANSFER, ARGS_OPTIONAL, MS_SMTP_R_SYNTAX_NO_ARGS,
      MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_help },
    { VERB("EXPN"), SESSION, MS_SMTP_PHASE_TRANSFER, ARGS_OPTIONAL, MS_SMTP_R_SYNTAX_NO_ARGS,
      MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_not_implemented },
    { VERB("TURN"), SESSION, MS_SMTP_PHASE_TRANSFER, ARGS_OPTIONAL, MS_SMTP_R_SYNTAX_NO_ARGS,
      MS_SMTP_R_BAD_SEQUENCE, NULL, proceed_not_implemented },
};

#undef VERB
#undef SESSION
#undef ST

static const Command *find_command(const char *verb, gsize len)
{
    if (len == 0)
        return NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        /* RFC 5321 2.4: verbs are case-insensitive.  The first letters are
         * compared first, a case bit set in both: where they differ so,
         * they differ in any case. */
        if ((verb[0] | 0x20) == (commands[i].verb[0] | 0x20) &&
            len == commands[i].verb_len &&
            ms_proto_ascii_caseeq(verb, commands[i].verb, len))
            return &commands[i];
    }
    return NULL;
}

static MsSmtpReplyId sequence_reply(const MsSmtpServer *server, const Command *cmd)
{
    /* RFC 5321 3.1: after a 554 greeting, 503 to everything but QUIT. */
    if (server->state == MS_SMTP_SERVER_REFUSED)
        return MS_SMTP_R_BAD_SEQUENCE;
    /* RFC 5321 4.1.4: a mail transaction needs HELO or EHLO first. */
    if (server->state == MS_SMTP_SERVER_CONNECTED)
        return MS_SMTP_R_NEED_HELO;
    return cmd->sequence_reply;
}

static void dispatch(MsSmtpServer *server, const char *line, gsize len)
{
    const char *space = memchr(line, ' ', len);
    gsize verb_len = space != NULL ? (gsize) (space - line) : len;
    const Command *cmd = find_command(line, verb_len);

    server->phase = state_phases[server->state];
    if (cmd == NULL) {
        if (server->state == MS_SMTP_SERVER_REFUSED)
            reply(server, MS_SMTP_R_BAD_SEQUENCE); /* RFC 5321 3.1 */
        else
            reply(server, MS_SMTP_R_UNKNOWN); /* RFC 5321 4.2.4: 500 */
        return;
    }
    server->phase = cmd->phase;
    if ((cmd->states & (1u << server->state)) == 0) {
        /* The state is left as it was: RFC 5321 4.1.4. */
        reply(server, sequence_reply(server, cmd));
        return;
    }

    /* A NUL would cut the argument short: treat it as a syntax error. */
    gboolean has_nul = memchr(line, '\0', len) != NULL;
    /* Set field by field: the path's room is filled only by MAIL and
     * RCPT, which write it before they read it. */
    Request req;

    req.cmd = cmd;
    req.args = space != NULL ? space + 1 : "";
    req.path[0] = '\0';
    req.size = 0;
    req.body_8bitmime = FALSE;
    req.spaced = FALSE;

    if (has_nul || (cmd->args == ARGS_NONE && req.args[0] != '\0') ||
        (cmd->args == ARGS_REQUIRED && req.args[0] == '\0')) {
        if (cmd->syntax_reply == MS_SMTP_R_SYNTAX_NO_ARGS) {
            MsSmtpVars vars = { .verb = cmd->verb };

            reply_full(server, cmd->syntax_reply, 0, &vars, NULL);
        } else {
            reply(server, cmd->syntax_reply);
        }
        return;
    }
    if (cmd->check == NULL || cmd->check(server, &req))
        cmd->proceed(server, &req);
}

/* ---- Message text ------------------------------------------------------------ */
/* The MESSAGE event's text, names, sender and recipients, all in one block
 * that the event's data owns: a message a block, not one for each. */
static void message_event(MsSmtpServer *server, MsSmtpEvent *event)
{
    gsize peer_size = server->peer_name != NULL ? strlen(server->peer_name) + 1 : 0;
    char *block = g_malloc(server->data_len + peer_size + server->paths_len);
    char *w = block + server->data_len;

    memcpy(block, server->data, server->data_len);
    if (peer_size > 0) {
        event->peer_name = memcpy(w, server->peer_name, peer_size);
        w += peer_size;
    }
    /* The name, the reverse path and the recipients, as they follow one
     * another in the session's buffer. */
    memcpy(w, server->paths, server->paths_len);
    if (server->helo_size > 0)
        event->helo_name = w;
    w += server->helo_size;
    event->reverse_path = w;
    event->recipients = g_ptr_array_sized_new(server->n_rcpts);
    for (guint i = 0; i < server->n_rcpts; i++) {
        w += strlen(w) + 1;
        event->recipients->pdata[i] = w;
    }
    event->recipients->len = server->n_rcpts;
    event->data = g_bytes_new_with_free_func(block, server->data_len, g_free, block);
    event->in_data_ = TRUE;
}

static void end_of_data(MsSmtpServer *server)
{
    MsSmtpReplyId refusal = MS_SMTP_N_REPLIES;

    server->phase = MS_SMTP_PHASE_TRANSFER;
    if (server->data_too_big) {
        refusal = MS_SMTP_R_DATA_TOO_BIG; /* RFC 1870 6.1, RFC 5321 4.5.3.1.10 */
    } else if (server->data_bare_lf) {
        refusal = MS_SMTP_R_DATA_BARE_LF; /* RFC 5321 2.3.8 */
    } else if (server->data_bare_cr) {
        refusal = MS_SMTP_R_DATA_BARE_CR; /* RFC 5321 2.3.8 */
    } else if (server->data_line_too_long) {
        /* RFC 5321 4.5.3.1.6 sets the limit and 4.5.3.1.10 names the reply,
         * "500 Line too long"; it can only come after the ".". */
        refusal = MS_SMTP_R_DATA_LINE_TOO_LONG;
    } else if (server->data_8bit && !server->body_8bitmime) {
        /* RFC 5321 2.4 / 3.6: SMTP text is 7-bit US-ASCII unless the 8BITMIME
         * extension was used for this message (RFC 6152 3). */
        refusal = MS_SMTP_R_DATA_8BIT;
    }

    if (refusal != MS_SMTP_N_REPLIES) {
        MsSmtpVars vars = { .size = server->max_size };

        if (refusal == MS_SMTP_R_DATA_TOO_BIG)
            reply_full(server, refusal, 0, &vars, NULL);
        else
            protocol_error(server, refusal, NULL);
    } else {
        MsSmtpEvent event = { .kind = MS_SMTP_EVENT_MESSAGE };

        reply(server, MS_SMTP_R_DATA_OK);
        event.code = 250;
        message_event(server, &event);
        event.body_8bitmime = server->body_8bitmime;
        event.declared_size = server->declared_size;
        event.esmtp = server->esmtp;
        ms_smtp_events_push(&server->events, &event);
    }
    /* RFC 5321 4.1.1.4: accepted or not, the transaction is over. */
    clear_transaction(server);
    ms_line_reader_set_max(&server->reader, COMMAND_MAX);
    server_state(server, MS_SMTP_SERVER_READY);
}

static void data_line(MsSmtpServer *server, const char *line, gsize len, MsLineResult res,
                      MsEol eol)
{
    /* RFC 5321 4.1.1.4: the text ends with a line holding only ".".  A "."
     * ended by a bare LF ends it too, so that a client that uses bare LFs
     * throughout gets its refusal instead of hanging. */
    if (len == 1 && line[0] == '.') {
        if (eol == MS_EOL_LF)
            server->data_bare_lf = TRUE;
        else if (eol == MS_EOL_CR)
            server->data_bare_cr = TRUE;
        end_of_data(server);
        return;
    }
    /* RFC 5321 2.3.8: lines end with CRLF; bare CR and LF are not allowed. */
    if (eol == MS_EOL_LF)
        server->data_bare_lf = TRUE;
    else if (eol == MS_EOL_CR)
        server->data_bare_cr = TRUE;
    if (res == MS_LINE_TOO_LONG)
        server->data_line_too_long = TRUE;
    /* RFC 5321 4.5.2: a leading "." was doubled by the client; drop one. */
    if (len > 0 && line[0] == '.') {
        line++;
        len--;
    }
    if (!server->data_8bit && ms_smtp_any_8bit(line, len))
        server->data_8bit = TRUE;
    if (server->data_too_big)
        return;
    if (server->max_size > 0 && server->data_len + len + 2 > server->max_size) {
        /* Stop keeping the text (memory stays bounded) but read to the ".". */
        server->data_too_big = TRUE;
        server->data_len = 0;
        return;
    }
    gsize need = server->data_len + len + 2;
    if (need > server->data_cap)
        ms_proto_buf_grow(&server->data, &server->data_cap, need, 1024);
    memcpy(server->data + server->data_len, line, len);
    memcpy(server->data + server->data_len + len, "\r\n", 2);
    server->data_len = need;
}

/* ---- Input -------------------------------------------------------------------- */
static void command_line(MsSmtpServer *server, const char *line, gsize len, MsLineResult res,
                         MsEol eol)
{
    server->phase = state_phases[server->state];
    if (res == MS_LINE_TOO_LONG) {
        /* RFC 5321 4.5.3.1.4 and 4.5.3.1.10: "500 Line too long". */
        protocol_error(server, MS_SMTP_R_LINE_TOO_LONG, NULL);
        return;
    }
    if (eol != MS_EOL_CRLF) {
        /* RFC 5321 2.3.8: a command ended by a bare LF or CR is refused, not
         * guessed at. */
        protocol_error(server, eol == MS_EOL_LF ? MS_SMTP_R_BARE_LF : MS_SMTP_R_BARE_CR, NULL);
        return;
    }
    dispatch(server, line, len);
}

void ms_smtp_server_feed(MsSmtpServer *server, const char *bytes, gsize len)
{
    if (server->state == MS_SMTP_SERVER_CLOSED)
        return;
    ms_line_reader_feed(&server->reader, bytes, len);
    /* Before the greeting nothing is answered (the bytes wait). */
    while (server->state != MS_SMTP_SERVER_INIT && server->state != MS_SMTP_SERVER_CLOSED) {
        const char *line = NULL;
        gsize n = 0;
        MsEol eol = MS_EOL_CRLF;
        MsLineResult res = ms_line_reader_peek(&server->reader, &line, &n, &eol);

        if (res == MS_LINE_NONE)
            break;
        if (server->state == MS_SMTP_SERVER_DATA)
            data_line(server, line, n, res, eol);
        else
            command_line(server, line, n, res, eol);
        if (server->errors >= MS_PROTO_MAX_ERRORS && server->state != MS_SMTP_SERVER_CLOSED) {
            /* RFC 5321 3.8 and 4.3.2: a server may answer 421 and close
             * when it must; a client that keeps sending bad commands is
             * cut off, as Postfix does after 20 errors. */
            server->phase = MS_SMTP_PHASE_CLOSURE;
            close_session(server, MS_SMTP_R_TOO_MANY_ERRORS);
        }
    }
}
