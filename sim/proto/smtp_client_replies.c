/* smtp_client_replies.c - how the SMTP client reads its server's replies:
 * multi-line replies gathered to their last line (RFC 5321 4.2.1) and the
 * EHLO reply's extensions.  What each reply then does is in smtp_client.c.
 */
#include <string.h>

#include "smtp-private.h"
#include "proto-private.h"
#include "mailsim/core.h"

void ms_smtp_client_server_info(MsSmtpClient *client, gboolean esmtp)
{
    MsSmtpEvent ev = { .kind = MS_SMTP_EVENT_SERVER_INFO, .esmtp = esmtp };
    MsSmtpEvent *event = &ev;

    /* RFC 5321 4.1.1.1: every line after the first is "keyword [params]".
     * The keywords are cut from the reply's text, its line breaks made
     * NULs, in the client's reply buffer, which the event takes over: every
     * session reads an EHLO reply, as a rule its only multi-line reply, and
     * a copy of the text (or of each keyword) cost a block each.  The
     * client makes another buffer if another multi-line reply comes.  The
     * array is made to their number at once, not grown to it. */
    gsize len = client->reply_len;
    const char *first_break = esmtp && len > 0 ? memchr(client->reply_buf, '\n', len) : NULL;
    /* Every line but the last was followed by one "\n": as many keywords. */
    guint n_ext = first_break != NULL ? client->reply_breaks : 0;

    event->extensions = g_ptr_array_sized_new(n_ext);
    if (first_break != NULL) {
        char *ext = (char *) first_break + 1;
        /* The text is NUL-terminated after its len octets. */
        char *stop = client->reply_buf + len;

        event->strings_ = g_steal_pointer(&client->reply_buf);
        client->reply_cap = 0;

        for (;;) {
            char *end = memchr(ext, '\n', (gsize) (stop - ext));
            gsize n = (end != NULL ? end : stop) - ext;

            ext[n] = '\0';
            /* Room for n_ext was made above: no g_ptr_array_add() call. */
            event->extensions->pdata[event->extensions->len++] = ext;
            if (n == 10 && ms_proto_ascii_caseeq(ext, "PIPELINING", 10)) {
                client->srv_pipelining = TRUE;
            } else if (n == 8 && ms_proto_ascii_caseeq(ext, "8BITMIME", 8)) {
                client->srv_8bitmime = TRUE;
            } else if (n >= 4 && ms_proto_ascii_caseeq(ext, "SIZE", 4) &&
                       (n == 4 || ext[4] == ' ')) {
                client->srv_size = TRUE;
                if (n > 5)
                    g_ascii_string_to_unsigned(ext + 5, 10, 0, G_MAXUINT64, &event->max_size,
                                               NULL);
            }
            if (end == NULL)
                break;
            ext = end + 1;
        }
    }
    ms_smtp_client_push_event(client, event);
}

/* ---- Input ------------------------------------------------------------------------ */

/* Adds n octets and then, when `brk`, a "\n" to the reply's text, which
 * stays NUL-terminated. */
static void reply_append(MsSmtpClient *client, const char *text, gsize n, gboolean brk)
{
    gsize need = client->reply_len + n + 2;

    if (need > client->reply_cap)
        ms_proto_buf_grow(&client->reply_buf, &client->reply_cap, need, 256);
    memcpy(client->reply_buf + client->reply_len, text, n);
    client->reply_len += n;
    if (brk) {
        client->reply_buf[client->reply_len++] = '\n';
        client->reply_breaks++;
    }
    client->reply_buf[client->reply_len] = '\0';
}

static void reply_reset(MsSmtpClient *client)
{
    client->reply_len = 0;
    client->reply_breaks = 0;
}

/* A line the client cannot take: it says why in a PROTOCOL_ERROR event and
 * ends the session (QUIT, unless that is what was answered). */
static void bad_reply(MsSmtpClient *client, char *why)
{
    MsSmtpEvent event = { .kind = MS_SMTP_EVENT_PROTOCOL_ERROR, .note = "smtp.error.bad-reply",
                          .text = why };

    ms_smtp_client_push_event(client, &event);
    reply_reset(client);
    if (client->state != MS_SMTP_CLIENT_QUIT)
        ms_smtp_client_session_fail(client, 0, "malformed reply from the server", TRUE);
}

/* One reply line:  Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                               Reply-code [ SP textstring ] CRLF
 * (RFC 5321 4.2).  Returns 1 when the reply is complete, 0 when more lines
 * follow, -1 when the line is not a reply line, -2 when the reply has more
 * lines than MS_SMTP_REPLY_LINES_MAX. */
static int reply_line(MsSmtpClient *client, const char *line, gsize len, guint *code_out)
{
    if (len < 3 || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
        !g_ascii_isdigit(line[2]) || line[0] < '2' || line[0] > '5')
        return -1;
    if (len > 3 && line[3] != ' ' && line[3] != '-')
        return -1;
    *code_out = (guint) ((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
    /* A reply of one line (most are) is read where it is; only the lines
     * of a multiline reply are kept until its last. */
    if (len > 3 && line[3] == '-') {
        /* The line's text up to a NUL in it, if it has one. */
        const char *text = line + 4;
        gsize n = len > 4 ? strnlen(text, len - 4) : 0;

        if (client->reply_skip)
            return 0;
        /* Each line is bounded by the reader, but RFC 5321 4.2.1 sets no
         * number of lines: a server that never ends its reply would grow
         * the buffer without end.  Past the limit the reply is refused. */
        if (client->reply_breaks >= MS_SMTP_REPLY_LINES_MAX - 1) {
            client->reply_skip = TRUE;
            return -2;
        }
        reply_append(client, text, n, TRUE);
        return 0;
    }
    return 1;
}

void ms_smtp_client_feed(MsSmtpClient *client, const char *bytes, gsize len)
{
    if (client->state == MS_SMTP_CLIENT_CLOSED)
        return;
    ms_line_reader_feed(&client->reader, bytes, len);
    while (client->state != MS_SMTP_CLIENT_CLOSED) {
        const char *line = NULL;
        gsize n = 0;
        MsEol eol = MS_EOL_CRLF;
        guint code = 0;

        /* A lenient reader: bare LF and over-long reply lines are taken as
         * they come (RFC 5321 4.5.3.1: avoid imposing length limits where
         * possible; an over-long line is cut, its code still read). */
        if (ms_line_reader_peek(&client->reader, &line, &n, &eol) == MS_LINE_NONE)
            break;
        int done = reply_line(client, line, n, &code);

        if (done == -1) {
            /* Not a reply line: the reply being dropped, if any, is taken
             * to have ended, so the next reply is read. */
            client->reply_skip = FALSE;
            bad_reply(client, g_strdup_printf("malformed reply line \"%s\"", line));
            continue;
        }
        if (done == -2) {
            bad_reply(client, g_strdup_printf("reply of more than %u lines",
                                              MS_SMTP_REPLY_LINES_MAX));
            continue;
        }
        if (done == 0)
            continue;
        if (client->reply_skip) {
            /* The last line of a reply already refused. */
            client->reply_skip = FALSE;
            continue;
        }
        /* The view is NUL-terminated after its n octets. */
        const char *last = n > 4 ? line + 4 : "";
        if (client->reply_len == 0) {
            ms_smtp_client_handle_reply(client, code, last);
            continue;
        }
        /* The reply's lines joined with "\n" are its text, and stay in the
         * buffer while the reply is handled (EHLO reads its extensions
         * from them, and its event takes the buffer). */
        reply_append(client, last, strlen(last), FALSE);
        ms_smtp_client_handle_reply(client, code, client->reply_buf);
        reply_reset(client);
    }
}
