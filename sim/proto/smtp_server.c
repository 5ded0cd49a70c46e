/* smtp_server.c - the receiving side of SMTP (RFC 5321) as a sans-I/O engine.
 *
 * The server greets, then answers one command line at a time; the commands
 * are in smtp_server_commands.c, and this file has the engine's life cycle,
 * its replies and its input.  Between DATA's 354 and the final "." the
 * lines are message text, not commands: they are collected, dot-unstuffed,
 * and judged as a whole at the end (size, line endings, line length, the
 * 7-bit rule) because RFC 5321 gives the server no way to interrupt the
 * client in the middle of the text.
 */
#include <string.h>

#include "smtp-private.h"
#include "proto-private.h"
#include "mailsim/core.h"

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
    ms_line_reader_init(&server->reader, MS_SMTP_SERVER_COMMAND_MAX);
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
char *ms_smtp_server_reply_space(MsSmtpServer *server, guint code, gboolean last, gsize n,
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

void ms_smtp_server_emit_line(MsSmtpServer *server, guint code, gboolean last, const char *text,
                              const char *note)
{
    gsize n = text != NULL ? strlen(text) : 0;
    char *dest = ms_smtp_server_reply_space(server, code, last, n, note);

    if (n > 0)
        memcpy(dest, text, n);
}

/* A reply line whose text is a profile's template expanded into the
 * line, without a block of its own; returns that text (transfer none,
 * NUL-terminated, valid until the output is sent). */
const char *ms_smtp_server_emit_template(MsSmtpServer *server, guint code, gboolean last,
                                         const char *template_text, const MsSmtpVars *vars,
                                         const char *note)
{
    /* Most templates have no placeholder ("2.1.0 Ok"): their text is
     * copied as it is, without expanding it twice. */
    if (strchr(template_text, '{') == NULL) {
        gsize len = strlen(template_text);
        char *text = ms_smtp_server_reply_space(server, code, last, len, note);

        memcpy(text, template_text, len);
        return text;
    }

    /* Expanded once, on the stack, and copied into its line; only a text
     * longer than a reply line may be (a client's long HELO name in it)
     * is measured first and expanded in its line. */
    char buf[MS_SMTP_REPLY_LINE_MAX];
    gsize n = ms_smtp_expand_into(template_text, vars, buf, sizeof buf);
    char *dest = ms_smtp_server_reply_space(server, code, last, n, note);

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
guint ms_smtp_server_reply_full(MsSmtpServer *server, MsSmtpReplyId id, guint code,
                                const MsSmtpVars *extra, MsSmtpEvent *event_out)
{
    MsSmtpVars vars = { 0 };

    if (extra != NULL)
        vars = *extra;
    vars.host = server->hostname;
    vars.helo = ms_smtp_server_helo_name(server);
    if (code == 0)
        code = ms_smtp_reply_code(id);
    g_assert(code >= 200 && code <= 599);
    /* 500 to 504 say the client broke the protocol (RFC 5321 4.2.2); a
     * refused mailbox or a full disk is not the client's error. */
    if (code >= 500 && code <= 504)
        server->errors++;

    const char *template_text = ms_smtp_profile_template(server->profile, id);
    const char *text = ms_smtp_server_emit_template(server, code, TRUE, template_text, &vars,
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


/* A framing rule was broken: the reply says so, and so does an event, for
 * the transcript cannot show a missing CR. */
void ms_smtp_server_protocol_error(MsSmtpServer *server, MsSmtpReplyId id,
                                   const MsSmtpVars *vars)
{
    MsSmtpEvent event = { .kind = MS_SMTP_EVENT_PROTOCOL_ERROR };

    ms_smtp_server_reply_full(server, id, 0, vars, &event);
    ms_smtp_events_push(&server->events, &event);
}

void ms_smtp_server_close_session(MsSmtpServer *server, MsSmtpReplyId id)
{
    MsSmtpEvent event = { .kind = MS_SMTP_EVENT_CLOSE };

    ms_smtp_server_reply_full(server, id, 0, NULL, &event);
    ms_smtp_events_push(&server->events, &event);
    ms_smtp_server_clear_transaction(server);
    ms_smtp_server_set_state(server, MS_SMTP_SERVER_CLOSED);
}

void ms_smtp_server_start(MsSmtpServer *server)
{
    if (server->state != MS_SMTP_SERVER_INIT)
        return;
    server->phase = MS_SMTP_PHASE_HANDSHAKE;
    if (server->refuse) {
        /* RFC 5321 3.1: 554 instead of 220; then wait for QUIT. */
        ms_smtp_server_reply(server, MS_SMTP_R_NO_SERVICE);
        ms_smtp_server_set_state(server, MS_SMTP_SERVER_REFUSED);
    } else {
        ms_smtp_server_reply(server, MS_SMTP_R_GREETING);
        ms_smtp_server_set_state(server, MS_SMTP_SERVER_CONNECTED);
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
    ms_smtp_server_close_session(server, MS_SMTP_R_SHUTDOWN);
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
    /* Taken before the transaction is cleared: see the end. */
    gboolean bare_line_end = server->data_bare_lf || server->data_bare_cr;

    server->phase = MS_SMTP_PHASE_TRANSFER;
    if (server->data_too_big) {
        refusal = MS_SMTP_R_DATA_TOO_BIG; /* RFC 1870 6.1, RFC 5321 4.5.3.1.10 */
    } else if (server->data_bare_lf) {
        refusal = MS_SMTP_R_DATA_BARE_LF; /* RFC 5321 2.3.8 */
    } else if (server->data_bare_cr) {
        refusal = MS_SMTP_R_DATA_BARE_CR; /* RFC 5321 2.3.8 */
    } else if (server->data_nul) {
        /* RFC 2045 2.7 and 2.8: neither 7bit nor 8bit text holds a NUL,
         * BODY=8BITMIME or not (RFC 6152 3 asks for 8bit MIME text); a
         * reader's IMAP would have to send it in a literal, which RFC 9051
         * 4.3 forbids. */
        refusal = MS_SMTP_R_DATA_NUL;
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
            ms_smtp_server_reply_full(server, refusal, 0, &vars, NULL);
        else
            ms_smtp_server_protocol_error(server, refusal, NULL);
    } else {
        MsSmtpEvent event = { .kind = MS_SMTP_EVENT_MESSAGE };

        ms_smtp_server_reply(server, MS_SMTP_R_DATA_OK);
        event.code = 250;
        message_event(server, &event);
        event.body_8bitmime = server->body_8bitmime;
        event.declared_size = server->declared_size;
        event.esmtp = server->esmtp;
        ms_smtp_events_push(&server->events, &event);
    }
    /* RFC 5321 4.1.1.4: accepted or not, the transaction is over. */
    ms_smtp_server_clear_transaction(server);
    ms_line_reader_set_max(&server->reader, MS_SMTP_SERVER_COMMAND_MAX);
    if (bare_line_end) {
        /* RFC 5321 4.1.1.4 and 2.3.8: only CRLF "." CRLF ends the text.
         * This one had a bare LF or CR, and the "." taken as its end may
         * not be where the client, or a server that relayed it, saw the
         * end: "\n.\n" or "\n.\r\n" can be text to them.  What follows
         * would then be read as commands, a second message smuggled in
         * after the first (CVE-2023-51764).  So nothing more is read:
         * RFC 5321 3.8 lets a server close after 421, sent here at once
         * after the refusal, for the client's next command; the refusal
         * stays a 5yz, so the message is not retried as it is. */
        server->phase = MS_SMTP_PHASE_CLOSURE;
        ms_smtp_server_close_session(server, MS_SMTP_R_DATA_BARE_CLOSE);
        return;
    }
    ms_smtp_server_set_state(server, MS_SMTP_SERVER_READY);
}

static void data_line(MsSmtpServer *server, const char *line, gsize len, MsLineResult res,
                      MsEol eol)
{
    /* RFC 5321 4.1.1.4: the text ends with a line holding only ".".  A "."
     * ended by a bare LF ends it too, so that a client that uses bare LFs
     * throughout gets its refusal instead of hanging; the session then
     * closes (end_of_data()), so no line after it is taken for a command. */
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
    if (!server->data_8bit || !server->data_nul) {
        guint found = ms_smtp_text_octets(line, len);
        if (found & MS_SMTP_TEXT_8BIT)
            server->data_8bit = TRUE;
        if (found & MS_SMTP_TEXT_NUL)
            server->data_nul = TRUE;
    }
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
            ms_smtp_server_command_line(server, line, n, res, eol);
        if (server->errors >= MS_PROTO_MAX_ERRORS && server->state != MS_SMTP_SERVER_CLOSED) {
            /* RFC 5321 3.8 and 4.3.2: a server may answer 421 and close
             * when it must; a client that keeps sending bad commands is
             * cut off, as Postfix does after 20 errors. */
            server->phase = MS_SMTP_PHASE_CLOSURE;
            ms_smtp_server_close_session(server, MS_SMTP_R_TOO_MANY_ERRORS);
        }
    }
}
