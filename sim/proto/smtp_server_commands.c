/* smtp_server_commands.c - the SMTP server's commands (RFC 5321 4.1).
 *
 * Commands go through a table: each entry says in which states the command
 * is allowed (otherwise 503, and the state does not change: RFC 5321
 * 4.1.4), what arguments it takes, a check that sends the error reply and
 * stops, and a proceed that does the work.  The replies themselves are put
 * together in smtp_server.c.
 */
#include <string.h>

#include "smtp-private.h"
#include "proto-private.h"
#include "mailsim/core.h"

static const char *const state_phases[] = {
#define PHASE_(e, name, phase) phase,
    MS_SMTP_SERVER_STATES(PHASE_)
#undef PHASE_
};

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
        ms_smtp_server_reply(server, req->cmd->syntax_reply);
        return FALSE;
    }
    return TRUE;
}

static void start_session(MsSmtpServer *server, Request *req, gboolean esmtp)
{
    /* RFC 5321 4.1.4: a HELO or EHLO in the middle of a session resets it
     * like RSET. */
    ms_smtp_server_clear_transaction(server);
    server->helo_size = 0;
    server->paths_len = 0;
    add_path(server, req->args);
    server->helo_size = server->paths_len;
    server->esmtp = esmtp;
    ms_smtp_server_set_state(server, MS_SMTP_SERVER_READY);
}

static void proceed_helo(MsSmtpServer *server, Request *req)
{
    start_session(server, req, FALSE);
    ms_smtp_server_reply(server, MS_SMTP_R_HELO_OK);
}

static void proceed_ehlo(MsSmtpServer *server, Request *req)
{
    MsSmtpVars vars = { .host = server->hostname };

    start_session(server, req, TRUE);
    vars.helo = ms_smtp_server_helo_name(server);

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

    ms_smtp_server_emit_template(server, 250, FALSE,
                                 ms_smtp_profile_template(server->profile, MS_SMTP_R_EHLO_OK),
                                 &vars, ms_smtp_reply_note(MS_SMTP_R_EHLO_OK));
    for (guint i = 0; i < n; i++)
        ms_smtp_server_emit_line(server, 250, i + 1 == n, ext[i], notes[i]);
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
        ms_smtp_server_reply(server, syntax);
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
        ms_smtp_server_reply(server, syntax);
        return FALSE;
    case MS_SMTP_PATH_TOO_LONG:
        /* RFC 5321 4.5.3.1.10: "501 Path too long". */
        ms_smtp_server_reply(server, MS_SMTP_R_PATH_TOO_LONG);
        return FALSE;
    case MS_SMTP_PATH_BAD_ADDRESS:
    default:
        ms_smtp_server_reply_addr(server, is_mail ? MS_SMTP_R_BAD_SENDER : MS_SMTP_R_BAD_RECIPIENT,
                                  req->path);
        return FALSE;
    }
}

static void reply_param(MsSmtpServer *server, MsSmtpReplyId id, const char *param)
{
    MsSmtpVars vars = { .param = param };

    ms_smtp_server_reply_full(server, id, 0, &vars, NULL);
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
        ms_smtp_server_reply(server, req->cmd->syntax_reply);
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

        ms_smtp_server_reply_full(server, MS_SMTP_R_SIZE_TOO_BIG, 0, &vars, NULL);
        return FALSE;
    }
    return TRUE;
}

static void proceed_mail(MsSmtpServer *server, Request *req)
{
    /* RFC 5321 3.3: MAIL starts a new transaction with a clean slate. */
    ms_smtp_server_clear_transaction(server);
    add_path(server, req->path);
    server->body_8bitmime = req->body_8bitmime != FALSE;
    server->declared_size = req->size;
    ms_smtp_server_set_state(server, MS_SMTP_SERVER_MAIL);
    /* The null path is shown as "<>", as it was sent. */
    ms_smtp_server_reply_addr(server, MS_SMTP_R_MAIL_OK, req->path[0] != '\0' ? req->path : "<>");
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
        ms_smtp_server_reply(server, req->cmd->syntax_reply);
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
        ms_smtp_server_reply(server, MS_SMTP_R_TOO_MANY_RCPTS);
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
        char *dest = ms_smtp_server_reply_space(server, code, FALSE, n, ms_smtp_reply_note(id));

        dest[-1] = ' ';
        memcpy(dest, text, n);
    } else {
        MsSmtpVars vars = { .addr = req->path };

        ms_smtp_server_reply_full(server, id, code, &vars, NULL);
    }
    note_lenient(server, req, "smtp.reply.250.rcpt.lenient");
    if (code / 100 == 2) {
        add_path(server, req->path);
        server->n_rcpts++;
        ms_smtp_server_set_state(server, MS_SMTP_SERVER_RCPT);
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
    ms_smtp_server_reply(server, server->rcpt_attempts == 0 ? MS_SMTP_R_NEED_RCPT
                                                            : MS_SMTP_R_NO_VALID_RCPTS);
    return FALSE;
}

static void proceed_data(MsSmtpServer *server, Request *req)
{
    (void) req;
    ms_smtp_server_reply(server, MS_SMTP_R_DATA_START);
    ms_line_reader_set_max(&server->reader, MS_SMTP_SERVER_TEXT_MAX);
    ms_smtp_server_set_state(server, MS_SMTP_SERVER_DATA);
}

static void proceed_rset(MsSmtpServer *server, Request *req)
{
    (void) req;
    /* RFC 5321 4.1.1.5: drop the transaction; the HELO stays. */
    ms_smtp_server_clear_transaction(server);
    if (server->state != MS_SMTP_SERVER_CONNECTED)
        ms_smtp_server_set_state(server, MS_SMTP_SERVER_READY);
    ms_smtp_server_reply(server, MS_SMTP_R_RSET_OK);
}

static void proceed_noop(MsSmtpServer *server, Request *req)
{
    (void) req;
    ms_smtp_server_reply(server, MS_SMTP_R_NOOP_OK); /* RFC 5321 4.1.1.9 */
}

static void proceed_vrfy(MsSmtpServer *server, Request *req)
{
    /* RFC 5321 3.5.3: 252 when the server will not say whether the address
     * is real but will take mail for it. */
    ms_smtp_server_reply_addr(server, MS_SMTP_R_VRFY_CANNOT, req->args);
}

static void proceed_help(MsSmtpServer *server, Request *req)
{
    (void) req;
    ms_smtp_server_reply(server, MS_SMTP_R_HELP); /* RFC 5321 4.1.1.8 */
}

static void proceed_not_implemented(MsSmtpServer *server, Request *req)
{
    (void) req;
    ms_smtp_server_reply(server, MS_SMTP_R_NOT_IMPLEMENTED); /* RFC 5321 4.2.4 */
}

static void proceed_quit(MsSmtpServer *server, Request *req)
{
    (void) req;
    /* RFC 5321 4.1.1.10: 221, then close; an unfinished transaction is
     * abandoned. */
    ms_smtp_server_close_session(server, MS_SMTP_R_CLOSING);
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
    /* RFC 5321 4.1.1: "SMTP receivers SHOULD tolerate trailing white space
     * before the terminating <CRLF>": "HELO crepes.fr " is HELO crepes.fr.
     * (A copy, in that rare case, so that the arguments end where the
     * command does.) */
    g_autofree char *trimmed = NULL;
    if (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t')) {
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        trimmed = g_strndup(line, len);
        line = trimmed;
    }
    const char *space = memchr(line, ' ', len);
    gsize verb_len = space != NULL ? (gsize) (space - line) : len;
    const Command *cmd = find_command(line, verb_len);

    server->phase = state_phases[server->state];
    if (cmd == NULL) {
        if (server->state == MS_SMTP_SERVER_REFUSED)
            ms_smtp_server_reply(server, MS_SMTP_R_BAD_SEQUENCE); /* RFC 5321 3.1 */
        else
            ms_smtp_server_reply(server, MS_SMTP_R_UNKNOWN); /* RFC 5321 4.2.4: 500 */
        return;
    }
    server->phase = cmd->phase;
    if ((cmd->states & (1u << server->state)) == 0) {
        /* The state is left as it was: RFC 5321 4.1.4. */
        ms_smtp_server_reply(server, sequence_reply(server, cmd));
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

            ms_smtp_server_reply_full(server, cmd->syntax_reply, 0, &vars, NULL);
        } else {
            ms_smtp_server_reply(server, cmd->syntax_reply);
        }
        return;
    }
    if (cmd->check == NULL || cmd->check(server, &req))
        cmd->proceed(server, &req);
}

void ms_smtp_server_command_line(MsSmtpServer *server, const char *line, gsize len,
                                 MsLineResult res, MsEol eol)
{
    server->phase = state_phases[server->state];
    if (res == MS_LINE_TOO_LONG) {
        /* RFC 5321 4.5.3.1.4 and 4.5.3.1.10: "500 Line too long". */
        ms_smtp_server_protocol_error(server, MS_SMTP_R_LINE_TOO_LONG, NULL);
        return;
    }
    if (eol != MS_EOL_CRLF) {
        /* RFC 5321 2.3.8: a command ended by a bare LF or CR is refused, not
         * guessed at. */
        ms_smtp_server_protocol_error(server, eol == MS_EOL_LF ? MS_SMTP_R_BARE_LF
                                                               : MS_SMTP_R_BARE_CR,
                                      NULL);
        return;
    }
    dispatch(server, line, len);
}
