/* events.c - the sentences of trace events (a message queued, a mailbox
 * changed, a server unreachable) in every language of the reports.
 *
 * The agents write each event as an English sentence in the record's
 * `detail` ("message <1.1@crepes.fr> for bob@hamburger.edu placed in the
 * outgoing queue (1 queued)").  Each event key has here the templates its
 * sentences follow, with {1}..{9} for the variable parts.  A detail is
 * matched against its key's templates to recover the variable parts, which
 * are then put into the translated template in the same order, so a
 * translation changes the words and never the numbers or their order.  A
 * detail that matches no template is printed as it is.
 */
#include <string.h>

#include "report/report-private.h"

/* A template: the key of the records that use it ("phrase" for parts of
 * sentences, "link" for link records), the English text, and which holes
 * hold only a number (bit n-1 for {n}); a number hole is what tells
 * "(some recipients refused) (0 queued)" apart.  A sentence about a count
 * of things has an English plural too, and names the hole of its count:
 * the detail says "1 message" or "2 messages", and the translation is
 * the catalogue's form for that count (ngettext). */
typedef struct {
    const char *key;
    const char *en;
    guint numbers;
    const char *en_plural;
    guint count;
} Template;

#define NUM(n) (1u << ((n) - 1))
/* The plural of a template and the hole {n} of its count. */
#define PLURAL(text, n) N_(text), (n)

/* (most templates have no plural: their last two fields are left zero) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const Template templates[] = {
    /* user_agent.c */
    { "message.composed", N_("{1} composes message {2} to 1 recipient ({3} bytes) and submits"
                             " it to {4}"), NUM(3) },
    { "message.composed", N_("{1} composes message {2} to {3} recipients ({4} bytes) and"
                             " submits it to {5}"), NUM(3) | NUM(4) },
    { "message.submitted", N_("submission of {1} to {2}: {3}: {4}"), 0 },
    { "message.submitted", N_("submission of {1} to {2}: {3}"), 0 },
    { "message.downloaded", N_("{1}'s agent downloaded message {2} \"{3}\" ({4} bytes)"),
      NUM(2) | NUM(4) },
    { "message.downloaded", N_("{1}'s agent downloaded message {2} ({3} bytes)"),
      NUM(2) | NUM(3) },
    { "message.attachment", N_("attachment {1} ({2}): {3} bytes become {4} bytes of base64 text"
                               " (x{5})"), NUM(3) | NUM(4) },
    { "action.pop3-fetch", N_("{1}'s agent checks the mailbox with POP3 ({2})"), 0 },
    /* agent_answer.c */
    { "action.reply", N_("{1}'s agent replies to message {2} \"{3}\" {4}: to {5}, from its {6}:"
                         " field"), NUM(2) },
    { "action.forward", N_("{1}'s agent forwards message {2} \"{3}\" {4} to {5}, the original"
                           " whole inside as a message/rfc822 part"), NUM(2) },
    { "reply.no-original", N_("{1}'s agent cannot reply to message {2}: it has downloaded {3}"
                              " message so far, so no reply is sent"), NUM(2) | NUM(3),
      PLURAL("{1}'s agent cannot reply to message {2}: it has downloaded {3} messages so far,"
             " so no reply is sent", 3) },
    { "reply.no-original", N_("{1}'s agent cannot reply to \"{2}\": the {3} message it has"
                              " downloaded does not have that subject, so no reply is sent"),
      NUM(3),
      PLURAL("{1}'s agent cannot reply to \"{2}\": none of the {3} messages it has downloaded"
             " has that subject, so no reply is sent", 3) },
    { "reply.no-original", N_("{1}'s agent cannot reply to message {2}: it has neither Reply-To"
                              " nor From, so there is no one to reply to"), NUM(2) },
    { "forward.no-original", N_("{1}'s agent cannot forward message {2}: it has downloaded {3}"
                                " message so far, so nothing is forwarded"),
      NUM(2) | NUM(3),
      PLURAL("{1}'s agent cannot forward message {2}: it has downloaded {3} messages so far,"
             " so nothing is forwarded", 3) },
    { "forward.no-original", N_("{1}'s agent cannot forward \"{2}\": the {3} message it has"
                                " downloaded does not have that subject, so nothing is"
                                " forwarded"), NUM(3),
      PLURAL("{1}'s agent cannot forward \"{2}\": none of the {3} messages it has downloaded"
             " has that subject, so nothing is forwarded", 3) },
    { "pop3.login-refused", N_("POP3 login as {1} refused: {2}"), 0 },
    { "pop3.unreachable", N_("cannot reach the POP3 server {1}: {2}"), 0 },
    { "submit.unreachable", N_("cannot reach the mail server {1}: {2}"), 0 },
    /* agent_imap.c */
    { "message.downloaded", N_("{1}'s agent on {2} fetched message {3} (UID {4}) with IMAP; it"
                               " stays on the server"), NUM(3) | NUM(4) },
    { "message.noticed", N_("{1}'s agent on {2} is told while idling: {3} messages now (pushed"
                            " by the server, RFC 2177)"), NUM(3) },
    { "action.imap-poll", N_("{1}'s agent on {2} polls {3} with IMAP"), 0 },
    /* agent_web.c */
    { "message.read", N_("{1} reads message {2} in the browser on {3} (web mail over HTTP); it"
                         " stays on the server"), NUM(2) },
    { "imap.login-refused", N_("IMAP login as {1} refused: {2}"), 0 },
    { "imap.unreachable", N_("cannot reach the IMAP server {1}: {2}"), 0 },
    { "imap.already-open", N_("{1} already has an IMAP session open"), 0 },
    { "imap.not-open", N_("{1}: '{2}' needs an open IMAP session (imap login first)"), 0 },
    /* server_imap.c */
    { "mailbox.expunge", N_("message UID {1} expunged from {2}'s folder {3} ({4} left)"),
      NUM(1) | NUM(4) },
    { "mailbox.folder", N_("{1}'s folder {2} renamed to {3} (kept on the server)"), 0 },
    { "mailbox.folder", N_("{1}'s folder {2} {3} on the server"), 0 },
    /* mail_server.c, server_pop3.c */
    { "queue.add", N_("message {1} for {2} placed in the outgoing queue ({3} queued)"), NUM(3) },
    { "queue.remove", N_("message {1} left the outgoing queue: {2} ({3} queued)"), NUM(3) },
    { "mailbox.deliver", N_("message {1} placed in {2}'s mailbox ({3} message)"), NUM(3) },
    { "mailbox.deliver", N_("message {1} placed in {2}'s mailbox ({3} messages)"), NUM(3) },
    { "mailbox.delete", N_("POP3 update state: message {1} deleted from {2}'s mailbox ({3}"
                           " left)"), NUM(3) },
    /* sim/live/live.c */
    { "live.start", N_("{1} serves real clients on {2} from {3}; times count from then, on the"
                       " real clock"), 0 },
    /* sim/live/live_conn.c */
    { "live.early", N_("{1} sent the next line before it had read the reply to the one before"
                       " it"), 0 },
    /* state.c */
    { "state.mailbox", N_("end state: mailbox {1} is empty"), 0 },
    { "state.mailbox", N_("end state: mailbox {1} holds {2} message"), NUM(2),
      PLURAL("end state: mailbox {1} holds {2} messages", 2) },
    { "state.queue", N_("end state: {1}'s outgoing queue is empty"), 0 },
    { "state.queue", N_("end state: {1}'s outgoing queue holds {2} message"), NUM(2),
      PLURAL("end state: {1}'s outgoing queue holds {2} messages", 2) },
    { "state.store", N_("end state: {1} keeps {2} downloaded message on {3}"), NUM(2),
      PLURAL("end state: {1} keeps {2} downloaded messages on {3}", 2) },
    /* agent_web.c */
    { "web.unreachable", N_("cannot reach the web-mail server {1}: {2}"), 0 },
    /* server_relay.c */
    { "queue.attempt", N_("attempt {1}: relaying {2} to {3} by direct transfer"), NUM(1) },
    { "queue.retry", N_("attempt {1} for {2} to {3} failed ({4}); stays queued, next attempt in"
                        " {5}"), NUM(1) },
    /* (traces written before the destination was named) */
    { "queue.retry", N_("attempt {1} for {2} failed ({3}); stays queued, next attempt in {4}"),
      NUM(1) },
    { "message.bounce", N_("bounce {1} to {2}: {3} could not be delivered to {4} ({5} bytes)"),
      NUM(5) },
    { "queue.converted", N_("{1} does not offer 8BITMIME: {2} converted to 7-bit MIME ({3}),"
                            " {4} bytes become {5} (RFC 6152 3)"), NUM(4) | NUM(5) },
    { "mailbox.unknown", N_("{1} has no mailbox {2}: it accepted {3} before looking, so it"
                            " returns it to {4}"), 0 },
    { "message.dropped", N_("{1} undeliverable to {2}, and it was itself a bounce: dropped"), 0 },
    { "relay.unreachable", N_("cannot reach the mail server of {1}: {2}"), 0 },
    /* telnet.c */
    { "action.telnet", N_("a person on {1} types: telnet {2} {3}"), NUM(3) },
    { "telnet.unreachable", N_("telnet {1} {2}: {3}"), NUM(2) },
    { "telnet.stall", N_("no reply from {1} to the line typed on {2}: it ended with a bare CR,"
                         " and the server waits for the next byte to see whether an LF"
                         " follows; the person types on"), 0 },
    { "telnet.stall", N_("no reply from {1} to the line typed on {2}: the server waits for"
                         " more input; the person types on"), 0 },
    { "telnet.stall", N_("no reply from {1} to what was typed on {2}; nothing more to type,"
                         " the person closes the connection"), 0 },
    /* net.c: link and host records */
    { "link", N_("link {1} down"), 0 },
    { "link", N_("link {1} up"), 0 },
    { "link", N_("host {1} down"), 0 },
    { "link", N_("host {1} up"), 0 },
    { "link", N_("service {1} on {2} down"), 0 },
    { "link", N_("service {1} on {2} up"), 0 },
    /* world.c: a simulation error (the message itself stays as it is) */
    { "error", N_("error: {1}"), 0 },

    /* Parts of sentences: results, reasons, modes, durations. */
    { "phrase", N_("delivered"), 0 },
    { "phrase", N_("accepted by the server"), 0 },
    { "phrase", N_("accepted for some recipients"), 0 },
    { "phrase", N_("partly-delivered"), 0 },
    { "phrase", N_("temporary-failure"), 0 },
    { "phrase", N_("permanent-failure"), 0 },
    { "phrase", N_("relayed to {1}"), 0 },
    { "phrase", N_("relayed (some recipients refused)"), 0 },
    { "phrase", N_("refused by the receiving server"), 0 },
    { "phrase", N_("returned to the sender"), 0 },
    { "phrase", N_("returned to the sender: {1}"), 0 },
    { "phrase", N_("gave up after {1} in the queue ({2} attempts): {3}"), NUM(2) },
    { "phrase", N_("connection refused"), 0 },
    { "phrase", N_("no route to host"), 0 },
    { "phrase", N_("connection timed out"), 0 },
    { "phrase", N_("connection timed out after {1}"), 0 },
    { "phrase", N_("connection lost before the server answered"), 0 },
    { "phrase", N_("{1} gave up after {2} retransmissions"), NUM(2) },
    { "phrase", N_("lost on link {1}"), 0 },
    { "phrase", N_("link {1} down"), 0 },
    { "phrase", N_("host {1} down"), 0 },
    { "phrase", N_("no mail server for that domain"), 0 },
    { "phrase", N_("{1} does not offer 8BITMIME and {2} cannot be converted to 7-bit MIME: {3}"
                   " (RFC 6152 3)"), 0 },
    { "phrase", N_("it has no MIME header lines to say which character set its 8-bit text is"
                   " in"), 0 },
    { "phrase", N_("download-and-delete"), 0 },
    { "phrase", N_("download-and-keep"), 0 },
    { "phrase", N_("list only"), 0 },
    { "phrase", N_("download, mark, then undo the marks with RSET"), 0 },
    { "phrase", N_("created"), 0 },
    { "phrase", N_("deleted"), 0 },
    /* http_common.c: the stand-in of binary content in a transcript */
    { "phrase", N_("[{1} octets of binary content]"), NUM(1) },
    { "phrase", N_("[{1} octets of {2}]"), NUM(1) },
    /* ms_time_format_human()'s units */
    { "phrase", N_("{1} µs"), NUM(1) },
    { "phrase", N_("{1} ms"), NUM(1) },
    { "phrase", N_("{1} s"), NUM(1) },
    { "phrase", N_("{1} min"), NUM(1) },
    { "phrase", N_("{1} h"), NUM(1) },
    { "phrase", N_("{1} d"), NUM(1) },
    { "phrase", N_("never"), 0 },
};
#pragma GCC diagnostic pop

#define MAX_HOLES 9

static gboolean is_hole(const char *p)
{
    return p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}';
}

static gboolean is_number_char(char c)
{
    return g_ascii_isdigit(c) || c == '.';
}

/* Matches text against a template from this point on, the holes taking as
 * little as they can (backtracking when the rest does not match). */
static gboolean match_from(const char *tpl, const char *text, guint numbers, char **caps)
{
    while (*tpl != '\0') {
        if (is_hole(tpl)) {
            guint n = (guint) (tpl[1] - '1');
            gboolean number = (numbers & (1u << n)) != 0;
            gsize max = strlen(text);
            for (gsize len = number ? 1 : 0; len <= max; len++) {
                if (number && !is_number_char(text[len - 1]))
                    break;
                if (match_from(tpl + 3, text + len, numbers, caps)) {
                    g_free(caps[n]);
                    caps[n] = g_strndup(text, len);
                    return TRUE;
                }
            }
            return FALSE;
        }
        if (*tpl != *text)
            return FALSE;
        tpl++;
        text++;
    }
    return *text == '\0';
}

/* The number of holes of a template: the highest {n}. */
static guint holes(const char *tpl)
{
    guint n = 0;
    for (const char *p = tpl; *p != '\0'; p++) {
        if (is_hole(p))
            n = MAX(n, (guint) (p[1] - '0'));
    }
    return n;
}

static const Template *match(const char *key, const char *text, char ***args_out)
{
    for (gsize i = 0; i < G_N_ELEMENTS(templates); i++) {
        const Template *t = &templates[i];
        if (strcmp(t->key, key) != 0)
            continue;
        char *caps[MAX_HOLES] = { NULL };
        if (!match_from(t->en, text, t->numbers, caps) &&
            (t->en_plural == NULL || !match_from(t->en_plural, text, t->numbers, caps))) {
            for (guint k = 0; k < MAX_HOLES; k++)
                g_free(caps[k]);
            continue;
        }
        guint n = holes(t->en);
        char **args = g_new0(char *, n + 1);
        for (guint k = 0; k < MAX_HOLES; k++) {
            if (k < n)
                args[k] = caps[k] != NULL ? caps[k] : g_strdup("");
            else
                g_free(caps[k]);
        }
        *args_out = args;
        return t;
    }
    return NULL;
}

char *ms_report_phrase(const char *text, const char *lang)
{
    if (text == NULL)
        return NULL;
    if (!ms_report_lang_is_zh(lang))
        return g_strdup(text);
    g_auto(GStrv) args = NULL;
    const Template *t = match("phrase", text, &args);
    if (t == NULL)
        return g_strdup(text);
    /* A phrase's parts may be phrases themselves ("returned to the sender:
     * gave up after 5 d ..."); each is shorter than the whole, so this ends. */
    guint n = g_strv_length(args);
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(words, strcmp(args[i], text) != 0 ? ms_report_phrase(args[i], lang)
                                                          : g_strdup(args[i]));
    return ms_report_format_args(lang, t->en, (const char *const *) words->pdata, n);
}

static const char *record_key(const MsTraceRecord *r)
{
    if (r->kind == MS_TRACE_LINK)
        return "link";
    if (r->kind == MS_TRACE_ERROR)
        return "error";
    return r->note;
}

/* world.c's errors are free text: only their label is translated. */
static const char *error_template(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(templates); i++) {
        if (strcmp(templates[i].key, "error") == 0)
            return templates[i].en;
    }
    g_assert_not_reached();
}

const char *ms_report_event_parse(const MsTraceRecord *r, char ***args_out)
{
    const char *key = record_key(r);
    *args_out = NULL;
    if (key == NULL || r->detail == NULL)
        return NULL;
    if (r->kind == MS_TRACE_ERROR) {
        char **args = g_new0(char *, 2);
        args[0] = g_strdup(r->detail);
        *args_out = args;
        return error_template();
    }
    const Template *t = match(key, r->detail, args_out);
    return t != NULL ? t->en : NULL;
}

char *ms_report_event_text(const MsTraceRecord *r, const char *lang)
{
    if (r->detail == NULL)
        return NULL;
    if (r->kind == MS_TRACE_ERROR)
        return ms_report_format(lang, error_template(), r->detail, NULL);
    if (!ms_report_lang_is_zh(lang))
        return g_strdup(r->detail);
    g_auto(GStrv) args = NULL;
    const char *key = record_key(r);
    const Template *t = key != NULL ? match(key, r->detail, &args) : NULL;
    if (t == NULL)
        return g_strdup(r->detail);
    guint n = g_strv_length(args);
    g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(words, ms_report_phrase(args[i], lang));
    if (t->en_plural != NULL && t->count >= 1 && t->count <= n) {
        /* (translated already: "en" only fills the holes in) */
        gulong count = (gulong) g_ascii_strtoull(args[t->count - 1], NULL, 10);
        return ms_report_format_args("en", ms_report_trn(lang, t->en, t->en_plural, count),
                                     (const char *const *) words->pdata, n);
    }
    return ms_report_format_args(lang, t->en, (const char *const *) words->pdata, n);
}

void ms_report_foreach_event_msgid(MsReportMsgidFn fn, gpointer user_data)
{
    for (gsize i = 0; i < G_N_ELEMENTS(templates); i++)
        fn(templates[i].key, templates[i].en, user_data);
}
