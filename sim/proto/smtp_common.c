/* smtp_common.c - what both SMTP engines share: printable names, events,
 * and the annotation keys with the sentence a lecturer would say about each
 * step of a dialogue.
 */
#include <string.h>

#include "smtp-private.h"
#include "mailsim/core.h"

/* ---- Printable names -------------------------------------------------------- */
#define NAME_3_(e, name, phase) name,
#define NAME_2_(e, name) name,
static const char *const server_state_names[] = { MS_SMTP_SERVER_STATES(NAME_3_) };
static const char *const client_state_names[] = { MS_SMTP_CLIENT_STATES(NAME_3_) };
static const char *const event_kind_names[] = { MS_SMTP_EVENT_KINDS(NAME_2_) };
static const char *const result_names[] = { MS_SMTP_RESULTS(NAME_2_) };
#undef NAME_3_
#undef NAME_2_

const char *ms_smtp_server_state_name(MsSmtpServerState state)
{
    return (guint) state < MS_SMTP_SERVER_N_STATES ? server_state_names[state] : "?";
}

const char *ms_smtp_client_state_name(MsSmtpClientState state)
{
    return (guint) state < MS_SMTP_CLIENT_N_STATES ? client_state_names[state] : "?";
}

const char *ms_smtp_event_kind_name(MsSmtpEventKind kind)
{
    return (guint) kind < MS_SMTP_N_EVENT_KINDS ? event_kind_names[kind] : "?";
}

const char *ms_smtp_result_name(MsSmtpResult result)
{
    return (guint) result < MS_SMTP_N_RESULTS ? result_names[result] : "?";
}

/* ---- Events ---------------------------------------------------------------- */
MsSmtpEvent *ms_smtp_event_new(MsSmtpEventKind kind)
{
    MsSmtpEvent *event = g_new0(MsSmtpEvent, 1);

    event->kind = kind;
    return event;
}

void ms_smtp_event_clear(MsSmtpEvent *event)
{
    /* Each field is tested here, not in g_free(): most of an event's
     * fields are NULL, and every event of a run is cleared. */
    if (!event->in_data_) {
        if (event->helo_name != NULL)
            g_free(event->helo_name);
        if (event->peer_name != NULL)
            g_free(event->peer_name);
        if (event->reverse_path != NULL)
            g_free(event->reverse_path);
    }
    if (event->recipients != NULL)
        g_ptr_array_unref(event->recipients);
    if (event->data != NULL)
        g_bytes_unref(event->data);
    if (event->rcpt_results != NULL)
        g_ptr_array_unref(event->rcpt_results);
    if (event->extensions != NULL)
        g_ptr_array_unref(event->extensions);
    if (event->strings_ != NULL)
        g_free(event->strings_);
    if (event->text != NULL && !event->text_static_)
        g_free(event->text);
    memset(event, 0, sizeof *event);
}

void ms_smtp_event_free(MsSmtpEvent *event)
{
    if (event == NULL)
        return;
    ms_smtp_event_clear(event);
    g_free(event);
}

void ms_smtp_events_init(MsSmtpEventQueue *queue)
{
    queue->items = queue->first;
    queue->len = 0;
    queue->head = 0;
    queue->cap = MS_UNDER_ASAN ? 0 : MS_SMTP_EVENTS_INLINE;
}

void ms_smtp_events_clear(MsSmtpEventQueue *queue)
{
    for (guint i = queue->head; i < queue->len; i++)
        ms_smtp_event_clear(&queue->items[i]);
    if (queue->items != queue->first)
        g_free(queue->items);
    ms_smtp_events_init(queue);
}

void ms_smtp_events_push(MsSmtpEventQueue *queue, const MsSmtpEvent *event)
{
    if (G_UNLIKELY(queue->len == queue->cap)) {
        guint cap = MAX(queue->cap * 2, 8);

        if (queue->items == queue->first) {
            queue->items = g_new(MsSmtpEvent, cap);
            memcpy(queue->items, queue->first, queue->len * sizeof *queue->items);
        } else {
            queue->items = g_renew(MsSmtpEvent, queue->items, cap);
        }
        queue->cap = cap;
    }
    queue->items[queue->len++] = *event;
}

MsSmtpEvent *ms_smtp_events_last(MsSmtpEventQueue *queue)
{
    if (queue->head == queue->len)
        return NULL;
    return &queue->items[queue->len - 1];
}

gboolean ms_smtp_events_pop(MsSmtpEventQueue *queue, MsSmtpEvent *event_out)
{
    if (queue->head == queue->len)
        return FALSE;
    *event_out = queue->items[queue->head++];
    if (queue->head == queue->len) {
        /* All read, as usual after a step: start again at the front. */
        queue->len = 0;
        queue->head = 0;
        if (MS_UNDER_ASAN && queue->items != queue->first) {
            g_free(queue->items);
            ms_smtp_events_init(queue);
        }
    }
    return TRUE;
}

MsSmtpEvent *ms_smtp_events_next(MsSmtpEventQueue *queue)
{
    MsSmtpEvent event;

    if (!ms_smtp_events_pop(queue, &event))
        return NULL;
    return g_memdup2(&event, sizeof event);
}

MsSmtpRcptResult *ms_smtp_rcpt_result_new(const char *address, guint code, const char *text)
{
    /* The address and the text in the result's own block: every
     * recipient of every message sent has one. */
    gsize size = strlen(address) + 1;
    gsize text_size = text != NULL ? strlen(text) + 1 : 0;
    MsSmtpRcptResult *result = g_malloc(sizeof *result + size + text_size);
    char *w = (char *) (result + 1);

    result->address = memcpy(w, address, size);
    result->code = code;
    result->text = text != NULL ? memcpy(w + size, text, text_size) : NULL;
    result->accepted = code / 100 == 2;
    return result;
}

void ms_smtp_rcpt_result_free(MsSmtpRcptResult *result)
{
    g_free(result);
}

gboolean ms_smtp_has_prefix(const char *line, gsize len, const char *prefix)
{
    gsize n = strlen(prefix);

    return len >= n && ms_proto_ascii_caseeq(line, prefix, n);
}

/* ---- Annotation keys, sorted by key ------------------------------------------ */
static const MsSmtpNote notes[] = {
    { "smtp.cmd.data", "DATA: the client asks to send the message text" },
    { "smtp.cmd.ehlo", "EHLO: the client names its host and asks which extensions"
                       " the server supports (ESMTP)" },
    { "smtp.cmd.expn", "EXPN: the client asks the server to expand a mailing list" },
    { "smtp.cmd.helo", "HELO: the client names its host and opens the session" },
    { "smtp.cmd.help", "HELP: the client asks for help" },
    { "smtp.cmd.mail", "MAIL FROM: starts a mail transaction and gives the reverse"
                       " path, the sender that errors go back to" },
    { "smtp.cmd.mail.null", "MAIL FROM:<>: the null reverse path, which bounces and other"
                            " delivery notices use: nothing is ever sent back about this"
                            " message, so bounces cannot loop (RFC 5321 4.5.5)" },
    { "smtp.cmd.mail.textbook", "MAIL FROM: starts a mail transaction and gives the reverse"
                                " path; written as the textbook prints it, with a space"
                                " before \"<\", which RFC 5321 4.1.2 does not allow"
                                " (MAIL FROM:<...>); only a lenient server takes it" },
    { "smtp.cmd.noop", "NOOP: does nothing; checks the server is still there" },
    { "smtp.cmd.quit", "QUIT: the client ends the session" },
    { "smtp.cmd.rcpt", "RCPT TO: names one recipient (forward path); repeated for each" },
    { "smtp.cmd.rcpt.textbook", "RCPT TO: names one recipient; written as the textbook"
                                " prints it, with a space before \"<\", which RFC 5321"
                                " 4.1.2 does not allow (RCPT TO:<...>)" },
    { "smtp.cmd.rset", "RSET: abandons the current transaction" },
    { "smtp.cmd.unknown", "a command the server does not know" },
    { "smtp.cmd.vrfy", "VRFY: asks whether an address is a valid mailbox" },
    { "smtp.data.end", "a line with only \".\": the end of the message text (CRLF.CRLF)" },
    { "smtp.data.line", "a line of the message text (header or body)" },
    { "smtp.data.stuffed", "a text line starting with \".\": the client doubled the dot"
                           " so it cannot end the message (dot-stuffing, RFC 5321 4.5.2)" },
    { "smtp.error.bad-reply", "a reply the client could not parse (not a 3-digit code)" },
    { "smtp.ext.8bitmime", "extension 8BITMIME: the server takes 8-bit message text"
                           " when MAIL says BODY=8BITMIME (RFC 6152)" },
    { "smtp.ext.enhancedstatuscodes", "extension ENHANCEDSTATUSCODES: replies carry"
                                      " class.subject.detail codes (RFC 2034, 3463)" },
    { "smtp.ext.help", "extension HELP: the server answers HELP" },
    { "smtp.ext.pipelining", "extension PIPELINING: the client may send MAIL, RCPT and"
                             " DATA without waiting for each reply (RFC 2920)" },
    { "smtp.ext.size", "extension SIZE: the largest message the server takes, in octets"
                       " (RFC 1870)" },
    { "smtp.reply.214", "214: help text" },
    { "smtp.reply.220", "220: the server's greeting, service ready" },
    { "smtp.reply.221", "221: the server closes the connection" },
    { "smtp.reply.250.data", "250: the server has accepted the message and takes"
                             " responsibility for delivering it" },
    { "smtp.reply.250.ehlo", "250: the server greets the client; each further line names"
                             " one extension" },
    { "smtp.reply.250.helo", "250: the server greets the client" },
    { "smtp.reply.250.mail", "250: sender accepted" },
    { "smtp.reply.250.mail.lenient", "250: sender accepted; the server is lenient here:"
                                     " it took \"MAIL FROM: <...>\" with the space that"
                                     " RFC 5321 4.1.2 does not allow" },
    { "smtp.reply.250.noop", "250: ok, nothing done" },
    { "smtp.reply.250.rcpt", "250: recipient accepted" },
    { "smtp.reply.250.rcpt.lenient", "250: recipient accepted; the server is lenient here:"
                                     " it took \"RCPT TO: <...>\" with the space that"
                                     " RFC 5321 4.1.2 does not allow" },
    { "smtp.reply.250.rset", "250: transaction abandoned" },
    { "smtp.reply.251", "251: recipient not local; the server will forward the message" },
    { "smtp.reply.252", "252: the server will not verify the address but will try to"
                        " deliver to it" },
    { "smtp.reply.354", "354: go ahead, send the message text and end it with a line"
                        " holding only \".\"" },
    { "smtp.reply.421", "421: the server is shutting down and closes the connection;"
                        " try again later" },
    { "smtp.reply.421.bare-line-end", "421: the message text had a bare LF or CR, so the"
                                      " server cannot be sure where the client meant it to"
                                      " end (only CRLF.CRLF ends it, RFC 5321 4.1.1.4); it"
                                      " closes the connection rather than read what follows"
                                      " as commands, which could smuggle in a second"
                                      " message" },
    { "smtp.reply.421.too-many-errors", "421: the client made too many errors in this"
                                        " session; the server closes the connection" },
    { "smtp.reply.450", "450: mailbox unavailable for now; try again later" },
    { "smtp.reply.451", "451: local error in processing; try again later" },
    { "smtp.reply.452", "452: insufficient storage; try again later" },
    { "smtp.reply.452.too-many-recipients", "452: too many recipients in one transaction;"
                                            " send the rest in another (RFC 5321 4.5.3.1.10)" },
    { "smtp.reply.500", "500: command not recognised" },
    { "smtp.reply.500.bare-cr", "500: the command ended with a bare CR; SMTP lines end"
                                " with CRLF (RFC 5321 2.3.8)" },
    { "smtp.reply.500.bare-lf", "500: the command ended with a bare LF; SMTP lines end"
                                " with CRLF (RFC 5321 2.3.8)" },
    { "smtp.reply.500.data-line-too-long", "500: the message had a line over 1000 octets"
                                           " (RFC 5321 4.5.3.1.6); it was refused" },
    { "smtp.reply.500.line-too-long", "500: the command line was over 512 octets"
                                      " (RFC 5321 4.5.3.1.4)" },
    { "smtp.reply.501", "501: syntax error in the command's arguments" },
    { "smtp.reply.501.bad-address", "501: the address is not a valid mailbox" },
    { "smtp.reply.501.path-too-long", "501: the path is over 256 octets"
                                      " (RFC 5321 4.5.3.1.3)" },
    { "smtp.reply.502", "502: command not implemented" },
    { "smtp.reply.503", "503: bad sequence of commands; the session state is unchanged" },
    { "smtp.reply.550", "550: no such mailbox; the recipient is refused for good" },
    { "smtp.reply.551", "551: the user is not local here" },
    { "smtp.reply.552", "552: the mailbox is full" },
    { "smtp.reply.552.data-size", "552: the message was larger than the server's limit;"
                                  " it was refused" },
    { "smtp.reply.552.size", "552: the declared SIZE is over the server's limit"
                             " (RFC 1870)" },
    { "smtp.reply.553", "553: mailbox name not allowed" },
    { "smtp.reply.554.8bit", "554: the message had 8-bit bytes but BODY=8BITMIME was not"
                             " negotiated; SMTP is 7-bit by default (RFC 5321 2.4)" },
    { "smtp.reply.554.bare-cr", "554: the message had a bare CR (one not followed by LF);"
                                " it was refused (RFC 5321 2.3.8)" },
    { "smtp.reply.554.bare-lf", "554: the message had a line ending in a bare LF; it was"
                                " refused (RFC 5321 2.3.8)" },
    { "smtp.reply.554.no-service", "554: the server refuses service; only QUIT is"
                                   " accepted (RFC 5321 3.1)" },
    { "smtp.reply.554.no-valid-recipients", "554: every recipient was refused, so there is"
                                            " nobody to send the message to" },
    { "smtp.reply.554.nul", "554: the message had a NUL octet, which no message text may hold,"
                            " 8-bit or not (RFC 2045 2.8); it was refused" },
    { "smtp.reply.555", "555: MAIL or RCPT parameter not recognised"
                        " (RFC 5321 4.1.1.11)" },
    { "smtp.reply.rcpt-4xx", "4xx: recipient refused for now; try again later" },
    { "smtp.reply.rcpt-5xx", "5xx: recipient refused for good" },
};

const MsSmtpNote *ms_smtp_notes(gsize *n_out)
{
    if (n_out != NULL)
        *n_out = G_N_ELEMENTS(notes);
    return notes;
}

const char *ms_smtp_note_text(const char *key)
{
    return ms_proto_note_find(notes, G_N_ELEMENTS(notes), key);
}

/* ---- Classifying a command line --------------------------------------------- */
typedef struct {
    const char *verb;
    const char *note;
    const char *phase;
} CommandNote;

static const CommandNote command_notes[] = {
    { "HELO", "smtp.cmd.helo", MS_SMTP_PHASE_HANDSHAKE },
    { "EHLO", "smtp.cmd.ehlo", MS_SMTP_PHASE_HANDSHAKE },
    { "MAIL", "smtp.cmd.mail", MS_SMTP_PHASE_TRANSFER },
    { "RCPT", "smtp.cmd.rcpt", MS_SMTP_PHASE_TRANSFER },
    { "DATA", "smtp.cmd.data", MS_SMTP_PHASE_TRANSFER },
    { "RSET", "smtp.cmd.rset", MS_SMTP_PHASE_TRANSFER },
    { "NOOP", "smtp.cmd.noop", MS_SMTP_PHASE_TRANSFER },
    { "VRFY", "smtp.cmd.vrfy", MS_SMTP_PHASE_TRANSFER },
    { "EXPN", "smtp.cmd.expn", MS_SMTP_PHASE_TRANSFER },
    { "HELP", "smtp.cmd.help", MS_SMTP_PHASE_TRANSFER },
    { "QUIT", "smtp.cmd.quit", MS_SMTP_PHASE_CLOSURE },
};

const char *ms_smtp_command_note(const char *line, gsize len, const char **phase_out)
{
    /* RFC 5321 2.4: verbs are case-insensitive; a verb ends the line or is
     * followed by a space.  Every verb here has four letters: the line's
     * first four are folded to upper case once and compared whole with
     * each, for every command a client sends is noted here. */
    if (len == 4 || (len > 4 && line[4] == ' ')) {
        char verb[4];

        for (gsize k = 0; k < 4; k++)
            verb[k] = line[k] >= 'a' && line[k] <= 'z' ? (char) (line[k] - 'a' + 'A') : line[k];
        for (gsize i = 0; i < G_N_ELEMENTS(command_notes); i++) {
            const CommandNote *c = &command_notes[i];

            if (memcmp(verb, c->verb, 4) != 0)
                continue;
            if (phase_out != NULL)
                *phase_out = c->phase;
            /* RFC 5321 4.5.5: a bounce travels with the null reverse path. */
            if (memcmp(c->verb, "MAIL", 4) == 0 && len >= 12 &&
                ms_proto_ascii_caseeq(line + 4, " FROM:<>", 8))
                return "smtp.cmd.mail.null";
            return c->note;
        }
    }
    if (phase_out != NULL)
        *phase_out = MS_SMTP_PHASE_TRANSFER;
    return "smtp.cmd.unknown";
}
