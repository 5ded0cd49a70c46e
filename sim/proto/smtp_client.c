/* smtp_client.c - the sending side of SMTP (RFC 5321) as a sans-I/O engine.
 *
 * The client waits for one reply at a time and its state says which: the
 * greeting, the reply to EHLO (or HELO), to MAIL, to each RCPT, to DATA
 * (354), to the final "." and so on; one handler per awaited reply.  It acts
 * on reply codes only (RFC 5321 4.2.1: "the text is not to be interpreted"
 * beyond the EHLO keywords), reads multi-line replies to their last line
 * (smtp_client_replies.c, with the EHLO keywords), and runs the messages it
 * is given as successive transactions on one connection.  With PIPELINING
 * (RFC 2920) MAIL, every RCPT and DATA go out as one group and the replies
 * are matched to them in order.
 */
#include <string.h>

#include "smtp-private.h"
#include "proto-private.h"
#include "mailsim/core.h"

/* Lenient: RFC 5321 4.5.3.1.5 allows servers only 512 octets per reply line. */
#define REPLY_MAX (MS_SMTP_TEXT_LINE_MAX - 2)

/* A line of a message's text: where it starts and how long it is. */
typedef struct {
    gsize start;
    gsize len;
} Span;

/* Room for a short message's lines in its own block: most messages have
 * fewer, and an array of their own cost a block for each. */
#define OUTGOING_LINES_FIRST 16

/* A message queued for this connection, in one block with its reverse
 * path and then its recipients' addresses after it, each NUL-terminated.
 * The addresses are read in order, by two cursors: the next to send RCPT
 * for, and the next whose reply makes its result. */
struct Outgoing {
    struct Outgoing *next;   /* the next message queued after it */
    char *reverse_path;      /* in the block, after the struct */
    guint n_recipients;
    const char *rcpt_send;   /* the next address to send RCPT for */
    const char *rcpt_reply;  /* the next address whose reply is awaited */
    GBytes *text;            /* the text sent: as given, or converted to 7-bit */
    Span *lines;             /* its lines, without their endings */
    guint n_lines;
    guint lines_cap;
    GBytes *data;            /* the text as given, kept while it is 8-bit */
    gboolean is_8bit;
    gboolean has_nul;        /* the text has a NUL, which ends the line it is in */
    guint64 size;            /* RFC 1870 3: octets with CRLFs, before stuffing */
    gpointer tag;
    /* MsSmtpRcptResult*, made as each RCPT reply comes (with its text in
     * its block), the rest when the message is done; room for all is
     * made at once */
    GPtrArray *rcpt_results;
    guint rcpt_replies;      /* RCPT replies seen so far */
    guint n_accepted;
    gboolean mail_accepted;
    gboolean pipelined;      /* MAIL, RCPT..., DATA went as one group */
    guint decided_code;      /* the failure that decided the result, if any */
    char *decided_text;
    Span first_lines[OUTGOING_LINES_FIRST]; /* lines until more are needed */
    char strings[];
};

/* The one place the state changes. */
static void client_state(MsSmtpClient *client, MsSmtpClientState state)
{
    if (client->state == state)
        return;
    MS_DEBUG("smtp client %s: %s -> %s", client->helo_name,
            ms_smtp_client_state_name(client->state), ms_smtp_client_state_name(state));
    client->state = state;
}

/* ---- Messages ------------------------------------------------------------------ */
static void outgoing_free(Outgoing *out)
{
    if (out == NULL)
        return;
    if (out->lines != out->first_lines)
        g_free(out->lines);
    if (out->text != NULL)
        g_bytes_unref(out->text);
    if (out->data != NULL)
        g_bytes_unref(out->data);
    if (out->rcpt_results != NULL)
        g_ptr_array_unref(out->rcpt_results);
    g_free(out->decided_text);
    g_free(out);
}

/* Where the first c at or after from is in p[0..len), or len. */
static gsize find_from(const char *p, gsize from, gsize len, char c)
{
    const char *q = from < len ? memchr(p + from, c, len - from) : NULL;
    return q != NULL ? (gsize) (q - p) : len;
}

/* Splits the text at CRLF, LF or a lone CR: the client sends every line
 * with CRLF (RFC 5321 2.3.8) whatever the text came with.  The lines are
 * spans of the text, which is kept, not copies.  Every message of a run is
 * split here: the endings are found with memchr (the next CR and the next
 * LF, each looked for again only once passed) and the 8-bit test is one
 * pass over the whole text, which only the endings, 7-bit, are not part
 * of a line of. */
static void grow_lines(Outgoing *out)
{
    guint cap = out->lines_cap * 2;

    if (out->lines == out->first_lines) {
        out->lines = g_new(Span, cap);
        memcpy(out->lines, out->first_lines, out->n_lines * sizeof(Span));
    } else {
        out->lines = g_renew(Span, out->lines, cap);
    }
    out->lines_cap = cap;
}

static void split_lines(Outgoing *out, GBytes *data)
{
    gsize len = 0;
    const char *p = data != NULL ? g_bytes_get_data(data, &len) : NULL;

    if (out->text != NULL)
        g_bytes_unref(out->text);
    out->text = data != NULL ? g_bytes_ref(data) : NULL;

    if (ms_smtp_any_8bit(p, len))
        out->is_8bit = TRUE;
    /* Looked for once in the whole text, not in each line as it is sent. */
    out->has_nul = len > 0 && memchr(p, '\0', len) != NULL;

    gsize lf = find_from(p, 0, len, '\n');
    gsize cr = find_from(p, 0, len, '\r');
    gsize start = 0;
    while (start < len) {
        if (lf < start)
            lf = find_from(p, start, len, '\n');
        if (cr < start)
            cr = find_from(p, start, len, '\r');
        gsize end = MIN(lf, cr);
        if (out->n_lines == out->lines_cap)
            grow_lines(out);
        out->lines[out->n_lines++] = (Span) { start, end - start };
        out->size += (end - start) + 2;
        start = end + 1;
        if (end < len && p[end] == '\r' && end + 1 < len && p[end + 1] == '\n')
            start++;
    }
}

/* The first message not started, taken off the queue; NULL when none. */
static Outgoing *queue_pop(MsSmtpClient *client)
{
    Outgoing *out = client->queue_head;

    if (out != NULL) {
        client->queue_head = out->next;
        if (client->queue_head == NULL)
            client->queue_tail = NULL;
        out->next = NULL;
    }
    return out;
}

static void queue_push(MsSmtpClient *client, Outgoing *out)
{
    out->next = NULL;
    if (client->queue_tail != NULL)
        client->queue_tail->next = out;
    else
        client->queue_head = out;
    client->queue_tail = out;
}

/* ---- Output --------------------------------------------------------------------- */
static void send_line(MsSmtpClient *client, const char *text, const char *eol, const char *phase,
                      const char *note)
{
    ms_proto_output_add_len(&client->output, text, strlen(text), eol, phase, note);
}

/* The client knows which command it sends, so it gives each line the
 * phase and note that ms_smtp_command_note() would find in its text (a
 * test checks they agree), instead of having the text classified again:
 * every command of a run is sent here. */
static void send_command(MsSmtpClient *client, const char *text, const char *phase,
                         const char *note)
{
    send_line(client, text, "\r\n", phase, note);
}

/* A command put together from parts (NULL ends them) straight in its
 * line, without a copy of its own: every message's MAIL and RCPTs, every
 * session's EHLO. */
static void send_parts(MsSmtpClient *client, const char *phase, const char *note,
                       const char *const *parts)
{
    gsize lens[8];
    gsize len = 0;
    guint n = 0;

    for (; parts[n] != NULL; n++) {
        g_assert(n < G_N_ELEMENTS(lens));
        lens[n] = strlen(parts[n]);
        len += lens[n];
    }
    MsProtoLine *line = ms_proto_output_add_space(&client->output, len, "\r\n", phase, note);
    char *w = line->text;

    for (guint i = 0; i < n; i++) {
        memcpy(w, parts[i], lens[i]);
        w += lens[i];
    }
}

/* ---- Outcomes -------------------------------------------------------------------- */
static MsSmtpResult result_of_code(guint code)
{
    return code / 100 == 5 ? MS_SMTP_RESULT_PERM_FAILURE : MS_SMTP_RESULT_TEMP_FAILURE;
}

/* The result of the next recipient, whose RCPT reply (code 0 and no text
 * when none) came. */
static MsSmtpRcptResult *next_result(Outgoing *out, guint code, const char *text)
{
    const char *address = out->rcpt_reply;
    MsSmtpRcptResult *r = ms_smtp_rcpt_result_new(address, code, text);

    out->rcpt_reply = address + strlen(address) + 1;
    /* Room for n_recipients was made with the array. */
    g_assert(out->rcpt_results->len < out->n_recipients);
    out->rcpt_results->pdata[out->rcpt_results->len++] = r;
    return r;
}

/* Emits MESSAGE_DONE for `out` and frees it.  delivered: the "." got 2xx. */
static void message_done(MsSmtpClient *client, Outgoing *out, gboolean delivered, guint code,
                         const char *text)
{
    MsSmtpEvent ev = { .kind = MS_SMTP_EVENT_MESSAGE_DONE };
    MsSmtpEvent *event = &ev;
    gboolean any_temp = FALSE;

    /* Every recipient has a result, answered or not. */
    while (out->rcpt_results->len < out->n_recipients)
        next_result(out, 0, NULL);
    for (guint i = 0; i < out->rcpt_results->len; i++) {
        const MsSmtpRcptResult *r = out->rcpt_results->pdata[i];

        if (r->code / 100 == 4)
            any_temp = TRUE;
    }
    if (delivered) {
        event->result = out->n_accepted == out->n_recipients ? MS_SMTP_RESULT_DELIVERED
                                                                : MS_SMTP_RESULT_PARTIAL;
    } else if (out->mail_accepted && out->n_accepted == 0 && out->rcpt_replies > 0) {
        /* Every recipient was refused: try again later if any refusal
         * was temporary (RFC 5321 4.2.1, 4yz means "try again"). */
        event->result = any_temp ? MS_SMTP_RESULT_TEMP_FAILURE : MS_SMTP_RESULT_PERM_FAILURE;
    } else if (code == 0) {
        event->result = MS_SMTP_RESULT_TEMP_FAILURE;
    } else {
        event->result = result_of_code(code);
    }
    event->tag = out->tag;
    event->code = code;
    event->text = g_strdup(text);
    event->rcpt_results = g_steal_pointer(&out->rcpt_results);
    ms_smtp_client_push_event(client, event);
    outgoing_free(out);
}

/* A local decision, no reply involved: code 0. */
static void message_refused_locally(MsSmtpClient *client, Outgoing *out, MsSmtpResult result,
                                    const char *text)
{
    message_done(client, out, FALSE, 0, text);
    MsSmtpEvent *event = ms_smtp_events_last(&client->events);

    event->result = result;
}

static void emit_close(MsSmtpClient *client, guint code, const char *text)
{
    MsSmtpEvent event = { .kind = MS_SMTP_EVENT_CLOSE, .code = code, .text = g_strdup(text) };

    ms_smtp_client_push_event(client, &event);
    client_state(client, MS_SMTP_CLIENT_CLOSED);
}

/* Every message not done ends with `code` / `text`; then QUIT (the server
 * is still listening) or close (it is gone, e.g. after 421). */
void ms_smtp_client_session_fail(MsSmtpClient *client, guint code, const char *text, gboolean quit)
{
    if (client->current != NULL)
        message_done(client, g_steal_pointer(&client->current), FALSE, code, text);
    for (Outgoing *out = queue_pop(client); out != NULL; out = queue_pop(client))
        message_done(client, out, FALSE, code, text);
    client->finished = TRUE;
    if (quit) {
        send_command(client, "QUIT", MS_SMTP_PHASE_CLOSURE, "smtp.cmd.quit");
        client_state(client, MS_SMTP_CLIENT_QUIT);
    } else {
        emit_close(client, code, text);
    }
}

/* ---- Transactions ---------------------------------------------------------------- */
/* RCPT for the next recipient: they are sent in order. */
static void send_rcpt(MsSmtpClient *client)
{
    Outgoing *out = client->current;
    const char *rcpt = out->rcpt_send;
    const char *const parts[] = { client->textbook_syntax ? "RCPT TO: <" : "RCPT TO:<", rcpt, ">",
                                  NULL };

    send_parts(client, MS_SMTP_PHASE_TRANSFER,
               client->textbook_syntax ? "smtp.cmd.rcpt.textbook" : "smtp.cmd.rcpt", parts);
    out->rcpt_send = rcpt + strlen(rcpt) + 1;
}

static void send_transaction(MsSmtpClient *client)
{
    Outgoing *out = client->current;
    const char *parts[8];
    guint n = 0;
    char digits[MS_PROTO_UINT_MAX_LEN];

    /* RFC 5321 4.1.1.2: MAIL FROM:<reverse-path> [SP Mail-parameters].
     * The line is put together from its parts, not by printf: one is
     * built for every message, and printf's parsing cost more than the
     * rest. */
    parts[n++] = client->textbook_syntax ? "MAIL FROM: <" : "MAIL FROM:<";
    parts[n++] = out->reverse_path;
    parts[n++] = ">";
    if (client->use_size && client->srv_size) {
        ms_proto_format_uint(digits, out->size);
        parts[n++] = " SIZE="; /* RFC 1870 */
        parts[n++] = digits;
    }
    if (out->is_8bit && client->use_8bitmime && client->srv_8bitmime)
        parts[n++] = " BODY=8BITMIME"; /* RFC 6152 2 */
    parts[n] = NULL;
    /* RFC 5321 4.5.5: a bounce travels with the null reverse path. */
    send_parts(client, MS_SMTP_PHASE_TRANSFER,
               client->textbook_syntax        ? "smtp.cmd.mail.textbook"
               : out->reverse_path[0] == '\0' ? "smtp.cmd.mail.null"
                                              : "smtp.cmd.mail",
               parts);

    out->pipelined = client->pipelining && client->srv_pipelining;
    if (out->pipelined) {
        /* RFC 2920 3.1: MAIL, RCPT... and DATA in one group; DATA is last
         * because the text may only follow its 354. */
        for (guint i = 0; i < out->n_recipients; i++)
            send_rcpt(client);
        send_command(client, "DATA", MS_SMTP_PHASE_TRANSFER, "smtp.cmd.data");
    }
    client_state(client, MS_SMTP_CLIENT_MAIL);
}

/* RFC 6152 3 / RFC 5321 2.4: without 8BITMIME the text must be 7-bit: it
 * is converted to 7-bit MIME when the owner can, or the message is
 * returned at once (a permanent failure, never a retry: the next attempt
 * would meet the same server).  Returns FALSE when `out` was refused. */
static gboolean downgrade(MsSmtpClient *client, Outgoing *out)
{
    g_autofree char *why = NULL;
    g_autoptr(GBytes) converted = NULL;

    if (client->downgrade != NULL)
        converted = client->downgrade(out->data, out->tag, &why, client->downgrade_data);
    if (converted == NULL) {
        message_refused_locally(client, out, MS_SMTP_RESULT_PERM_FAILURE,
                                why != NULL ? why
                                            : "not sent: the message has 8-bit data and the"
                                              " server did not offer 8BITMIME (RFC 6152); encode"
                                              " it as 7-bit (quoted-printable or base64) first");
        return FALSE;
    }
    out->n_lines = 0;
    out->is_8bit = FALSE;
    out->size = 0;
    split_lines(out, converted);
    return TRUE;
}

/* Starts the next queued message, or QUITs, or waits. */
static void start_next(MsSmtpClient *client)
{
    while (client->current == NULL && client->queue_head != NULL) {
        Outgoing *out = queue_pop(client);
        gboolean eight_ok = client->use_8bitmime && client->srv_8bitmime;

        if (out->is_8bit && !eight_ok && !client->force_8bit && !downgrade(client, out))
            continue;
        client->current = out;
        send_transaction(client);
        return;
    }
    if (client->current != NULL)
        return;
    if (client->finished) {
        send_command(client, "QUIT", MS_SMTP_PHASE_CLOSURE, "smtp.cmd.quit"); /* RFC 5321 4.1.1.10 */
        client_state(client, MS_SMTP_CLIENT_QUIT);
    } else {
        client_state(client, MS_SMTP_CLIENT_IDLE);
    }
}

/* The transaction failed before the text was accepted.  If MAIL was
 * accepted the server still holds it: RSET clears it (RFC 5321 4.1.1.5). */
static void transaction_failed(MsSmtpClient *client, guint code, const char *text)
{
    Outgoing *out = g_steal_pointer(&client->current);
    gboolean open = out->mail_accepted;

    message_done(client, out, FALSE, code, text);
    if (open) {
        send_command(client, "RSET", MS_SMTP_PHASE_TRANSFER, "smtp.cmd.rset");
        client_state(client, MS_SMTP_CLIENT_RSET);
    } else {
        start_next(client);
    }
}

static void send_text(MsSmtpClient *client)
{
    Outgoing *out = client->current;
    const char *eol = client->bare_lf_data ? "\n" : "\r\n";

    const char *text = out->text != NULL ? g_bytes_get_data(out->text, NULL) : NULL;

    for (guint i = 0; i < out->n_lines; i++) {
        const Span *span = &out->lines[i];
        const char *line = text + span->start;
        /* A line is text: it ends at a NUL, if it has one. */
        const char *nul = out->has_nul ? memchr(line, '\0', span->len) : NULL;
        gsize n = nul != NULL ? (gsize) (nul - line) : span->len;

        if (n > 0 && line[0] == '.') {
            /* RFC 5321 4.5.2: a leading "." is doubled so the line cannot
             * be taken for the end of the text. */
            MsProtoLine *stuffed = ms_proto_output_add_space(&client->output, n + 1, eol,
                                                             MS_SMTP_PHASE_TRANSFER,
                                                             "smtp.data.stuffed");
            stuffed->text[0] = '.';
            memcpy(stuffed->text + 1, line, n);
        } else {
            ms_proto_output_add_len(&client->output, line, n, eol, MS_SMTP_PHASE_TRANSFER,
                                    "smtp.data.line");
        }
    }
    /* RFC 5321 4.1.1.4: the text ends with CRLF "." CRLF. */
    send_line(client, ".", "\r\n", MS_SMTP_PHASE_TRANSFER, "smtp.data.end");
}

/* ---- One handler per awaited reply --------------------------------------------------- */
static void on_greeting(MsSmtpClient *client, guint code, const char *text)
{
    if (code / 100 != 2) {
        /* RFC 5321 3.1: a 554 (or other refusal) greeting; the client
         * should QUIT. */
        ms_smtp_client_session_fail(client, code, text, TRUE);
        return;
    }
    const char *const parts[] = { client->use_ehlo ? "EHLO " : "HELO ", client->helo_name, NULL };

    send_parts(client, MS_SMTP_PHASE_HANDSHAKE, client->use_ehlo ? "smtp.cmd.ehlo" : "smtp.cmd.helo",
               parts);
    client_state(client, client->use_ehlo ? MS_SMTP_CLIENT_EHLO : MS_SMTP_CLIENT_HELO);
}

static void on_ehlo(MsSmtpClient *client, guint code, const char *text)
{
    if (code / 100 == 2) {
        ms_smtp_client_server_info(client, TRUE);
        start_next(client);
    } else if (code == 500 || code == 502) {
        /* RFC 5321 3.2: a server that does not know EHLO answers 500 or 502;
         * the client falls back to HELO (RFC 1869 4.5). */
        const char *const parts[] = { "HELO ", client->helo_name, NULL };

        send_parts(client, MS_SMTP_PHASE_HANDSHAKE, "smtp.cmd.helo", parts);
        client_state(client, MS_SMTP_CLIENT_HELO);
    } else {
        ms_smtp_client_session_fail(client, code, text, TRUE);
    }
}

static void on_helo(MsSmtpClient *client, guint code, const char *text)
{
    if (code / 100 != 2) {
        ms_smtp_client_session_fail(client, code, text, TRUE);
        return;
    }
    ms_smtp_client_server_info(client, FALSE);
    start_next(client);
}

static void on_mail(MsSmtpClient *client, guint code, const char *text)
{
    Outgoing *out = client->current;

    if (code / 100 == 2) {
        out->mail_accepted = TRUE;
        if (!out->pipelined)
            send_rcpt(client);
    } else if (!out->pipelined) {
        transaction_failed(client, code, text);
        return;
    } else {
        /* The RCPTs and DATA are already on their way: read their replies
         * (RFC 2920 3.1), but MAIL's refusal is what decided. */
        out->decided_code = code;
        out->decided_text = g_strdup(text);
    }
    client_state(client, MS_SMTP_CLIENT_RCPT);
}

static void on_rcpt(MsSmtpClient *client, guint code, const char *text)
{
    Outgoing *out = client->current;
    MsSmtpRcptResult *r = next_result(out, code, text);

    out->rcpt_replies++;
    if (r->accepted)
        out->n_accepted++;
    if (out->rcpt_replies < out->n_recipients) {
        if (!out->pipelined)
            send_rcpt(client);
        return;
    }
    if (out->pipelined) {
        client_state(client, MS_SMTP_CLIENT_DATA);
    } else if (out->n_accepted > 0) {
        send_command(client, "DATA", MS_SMTP_PHASE_TRANSFER, "smtp.cmd.data");
        client_state(client, MS_SMTP_CLIENT_DATA);
    } else {
        /* RFC 5321 3.3: no recipient, no DATA. */
        transaction_failed(client, code, text);
    }
}

static void on_data(MsSmtpClient *client, guint code, const char *text)
{
    Outgoing *out = client->current;

    if (code / 100 != 3) {
        if (out->decided_code != 0)
            transaction_failed(client, out->decided_code, out->decided_text);
        else
            transaction_failed(client, code, text);
        return;
    }
    if (out->n_accepted == 0 || !out->mail_accepted) {
        /* RFC 2920 3.1: a server that said 354 although nothing was
         * accepted gets the "." alone; the message is not sent. */
        send_line(client, ".", "\r\n", MS_SMTP_PHASE_TRANSFER, "smtp.data.end");
        if (out->decided_code == 0) {
            out->decided_code = code;
            out->decided_text = g_strdup(text);
        }
    } else {
        send_text(client);
    }
    client_state(client, MS_SMTP_CLIENT_DOT);
}

static void on_dot(MsSmtpClient *client, guint code, const char *text)
{
    Outgoing *out = g_steal_pointer(&client->current);

    if (out->decided_code != 0)
        message_done(client, out, FALSE, out->decided_code, out->decided_text);
    else
        message_done(client, out, code / 100 == 2, code, text);
    start_next(client);
}

static void on_rset(MsSmtpClient *client, guint code, const char *text)
{
    (void) code;
    (void) text;
    start_next(client);
}

static void on_quit(MsSmtpClient *client, guint code, const char *text)
{
    emit_close(client, code, text);
}

void ms_smtp_client_handle_reply(MsSmtpClient *client, guint code, const char *text)
{
    if (code == 421 && client->state != MS_SMTP_CLIENT_QUIT) {
        /* RFC 5321 3.8: the server is closing the channel; whatever was
         * under way fails for now. */
        ms_smtp_client_session_fail(client, code, text, FALSE);
        return;
    }
    switch (client->state) {
    case MS_SMTP_CLIENT_CONNECTING:
        on_greeting(client, code, text);
        break;
    case MS_SMTP_CLIENT_EHLO:
        on_ehlo(client, code, text);
        break;
    case MS_SMTP_CLIENT_HELO:
        on_helo(client, code, text);
        break;
    case MS_SMTP_CLIENT_MAIL:
        on_mail(client, code, text);
        break;
    case MS_SMTP_CLIENT_RCPT:
        on_rcpt(client, code, text);
        break;
    case MS_SMTP_CLIENT_DATA:
        on_data(client, code, text);
        break;
    case MS_SMTP_CLIENT_DOT:
        on_dot(client, code, text);
        break;
    case MS_SMTP_CLIENT_RSET:
        on_rset(client, code, text);
        break;
    case MS_SMTP_CLIENT_QUIT:
        on_quit(client, code, text);
        break;
    case MS_SMTP_CLIENT_IDLE:
    case MS_SMTP_CLIENT_CLOSED:
    default: {
        /* Nothing was asked: say so and go on. */
        MsSmtpEvent event = { .kind = MS_SMTP_EVENT_PROTOCOL_ERROR, .code = code,
                              .note = "smtp.error.bad-reply" };

        event.text = g_strdup_printf("unexpected reply %03u %s", code, text);
        ms_smtp_client_push_event(client, &event);
        break;
    }
    }
}

/* ---- Life cycle ------------------------------------------------------------------------ */
void ms_smtp_client_config_init(MsSmtpClientConfig *config, const char *helo_name)
{
    memset(config, 0, sizeof *config);
    config->helo_name = helo_name;
    config->use_ehlo = TRUE;
    config->pipelining = TRUE;
    config->use_8bitmime = TRUE;
    config->use_size = TRUE;
}

MsSmtpClient *ms_smtp_client_new(const MsSmtpClientConfig *config)
{
    /* One block for the client and its name: a client is made for every
     * session. */
    const char *helo_name = config->helo_name != NULL ? config->helo_name : "localhost";
    gsize helo_size = strlen(helo_name) + 1;
    MsSmtpClient *client = g_malloc0(sizeof *client + helo_size);

    client->helo_name = memcpy((char *) (client + 1), helo_name, helo_size);
    client->use_ehlo = config->use_ehlo;
    client->pipelining = config->pipelining;
    client->use_8bitmime = config->use_8bitmime;
    client->use_size = config->use_size;
    client->force_8bit = config->force_8bit;
    client->bare_lf_data = config->bare_lf_data;
    client->textbook_syntax = config->textbook_syntax;
    client->downgrade = config->downgrade;
    client->downgrade_data = config->downgrade_data;
    client->state = MS_SMTP_CLIENT_CONNECTING;
    ms_line_reader_init(&client->reader, REPLY_MAX);
    ms_proto_output_init(&client->output);
    ms_smtp_events_init(&client->events);
    return client;
}

void ms_smtp_client_free(MsSmtpClient *client)
{
    if (client == NULL)
        return;
    ms_line_reader_release(&client->reader);
    ms_proto_output_release(&client->output);
    ms_smtp_events_clear(&client->events);
    for (Outgoing *out = queue_pop(client); out != NULL; out = queue_pop(client))
        outgoing_free(out);
    outgoing_free(client->current);
    g_free(client->reply_buf);
    g_free(client);
}

void ms_smtp_client_add_message(MsSmtpClient *client, const char *reverse_path,
                                const char *const *recipients, guint n_recipients,
                                GBytes *data, gpointer tag)
{
    const char *path = reverse_path != NULL ? reverse_path : "";
    gsize path_size = strlen(path) + 1;
    gsize rcpts_size = 0;

    for (guint i = 0; i < n_recipients; i++)
        rcpts_size += strlen(recipients[i]) + 1;
    Outgoing *out = g_malloc0(sizeof *out + path_size + rcpts_size);
    char *w = out->strings + path_size;

    out->reverse_path = memcpy(out->strings, path, path_size);
    out->rcpt_send = out->rcpt_reply = w;
    for (guint i = 0; i < n_recipients; i++) {
        gsize size = strlen(recipients[i]) + 1;

        memcpy(w, recipients[i], size);
        w += size;
    }
    out->lines = out->first_lines;
    out->lines_cap = OUTGOING_LINES_FIRST;
    out->n_recipients = n_recipients;
    out->rcpt_results = g_ptr_array_new_full(n_recipients,
                                             (GDestroyNotify) ms_smtp_rcpt_result_free);
    /* The lines' spans in the message's own block, then in an array grown
     * by doubling: every line of every message is added, and a GArray's
     * append cost more than the span. */
    split_lines(out, data);
    if (out->is_8bit && data != NULL)
        out->data = g_bytes_ref(data);
    out->tag = tag;

    /* Every message gets exactly one MESSAGE_DONE, even one that cannot
     * be sent. */
    if (n_recipients == 0) {
        message_refused_locally(client, out, MS_SMTP_RESULT_PERM_FAILURE,
                                "not sent: no recipients");
        return;
    }
    if (client->finished || client->state == MS_SMTP_CLIENT_CLOSED) {
        message_refused_locally(client, out, MS_SMTP_RESULT_TEMP_FAILURE,
                                "not sent: the session is ending");
        return;
    }
    queue_push(client, out);
    if (client->state == MS_SMTP_CLIENT_IDLE)
        start_next(client);
}

void ms_smtp_client_finish(MsSmtpClient *client)
{
    if (client->finished || client->state == MS_SMTP_CLIENT_CLOSED)
        return;
    client->finished = TRUE;
    if (client->state == MS_SMTP_CLIENT_IDLE)
        start_next(client);
}

void ms_smtp_client_connection_lost(MsSmtpClient *client)
{
    if (client->state == MS_SMTP_CLIENT_CLOSED)
        return;
    ms_smtp_client_session_fail(client, 0, "connection lost", FALSE);
}

GPtrArray *ms_smtp_client_take_output(MsSmtpClient *client)
{
    return ms_proto_output_take(&client->output);
}

GPtrArray *ms_smtp_client_output(MsSmtpClient *client)
{
    return ms_proto_output_lines(&client->output);
}

void ms_smtp_client_output_sent(MsSmtpClient *client)
{
    ms_proto_output_clear(&client->output);
}

MsSmtpEvent *ms_smtp_client_next_event(MsSmtpClient *client)
{
    return ms_smtp_events_next(&client->events);
}

gboolean ms_smtp_client_pop_event(MsSmtpClient *client, MsSmtpEvent *event_out)
{
    return ms_smtp_events_pop(&client->events, event_out);
}

MsSmtpClientState ms_smtp_client_state(const MsSmtpClient *client)
{
    return client->state;
}
