/* labels.c - a short human label for every kind of trace record and every
 * event key, in every language of the reports: "queued (1 in queue)",
 * "service smtp down", "no such mailbox: bounced".
 *
 * The sentence of an event (events.c) says all of it; a label names it in
 * a few words, where room is short: a note on a sequence diagram, the
 * events list of report.html.  A label may use the record's count ({n}),
 * the user its subject names ({u}: the local part of a mailbox's owner)
 * and the parts its sentence's template recovered ({1}..{9}, translated as
 * phrases), so "service {1} down" names the service.  Records without an
 * event key are labelled by their kind.  No label is ever the raw key.
 */
#include <string.h>

#include "report/report-private.h"

/* Event keys (the `note` of event records, docs/trace-format.md). */
static const MsReportWords event_labels[] = {
    { "message.composed", N_("composes a message") },
    { "message.attachment", N_("attachment encoded in base64") },
    { "message.submitted", N_("submitted") },
    { "message.downloaded", N_("message downloaded") },
    { "message.noticed", N_("told of new mail while idling") },
    { "message.read", N_("reads the message in the browser") },
    { "message.bounce", N_("sends a bounce") },
    { "message.dropped", N_("message dropped") },
    { "mailbox.unknown", N_("no such mailbox: bounced") },
    { "queue.add", N_("queued ({n} in queue)") },
    { "queue.attempt", N_("relay attempt {1}") },
    { "queue.retry", N_("will retry later") },
    { "queue.remove", N_("leaves the queue ({n} left)") },
    { "queue.converted", N_("converted to 7-bit MIME") },
    { "mailbox.deliver", N_("into {u}'s mailbox ({n})") },
    { "mailbox.delete", N_("deleted from {u}'s mailbox ({n} left)") },
    { "mailbox.expunge", N_("expunged from a folder ({n} left)") },
    { "mailbox.folder", N_("folder changed") },
    { "store.append", N_("added to a folder") },
    { "store.flags", N_("flags changed") },
    { "store.expunge", N_("removed from a folder") },
    { "store.create", N_("folder created") },
    { "store.delete", N_("folder deleted") },
    { "store.rename", N_("folder renamed") },
    { "state.mailbox", N_("end state: a mailbox") },
    { "state.queue", N_("end state: an outgoing queue") },
    { "state.store", N_("end state: downloaded copies") },
    { "action.pop3-fetch", N_("checks the mailbox with POP3") },
    { "action.imap-poll", N_("polls with IMAP") },
    { "action.telnet", N_("types into telnet") },
    { "action.reply", N_("replies to a message") },
    { "action.forward", N_("forwards a message") },
    { "reply.no-original", N_("cannot reply: no such message") },
    { "forward.no-original", N_("cannot forward: no such message") },
    { "pop3.login-refused", N_("POP3 login refused") },
    { "imap.login-refused", N_("IMAP login refused") },
    { "pop3.unreachable", N_("POP3 server unreachable") },
    { "imap.unreachable", N_("IMAP server unreachable") },
    { "submit.unreachable", N_("mail server unreachable") },
    { "relay.unreachable", N_("next mail server unreachable") },
    { "web.unreachable", N_("web-mail server unreachable") },
    { "telnet.unreachable", N_("telnet cannot connect") },
    { "telnet.stall", N_("no reply yet") },
    { "imap.already-open", N_("IMAP session already open") },
    { "imap.not-open", N_("no IMAP session open") },
    { "live.start", N_("serves real clients") },
    { "live.early", N_("sent before the reply was read") },
    { "error", N_("the simulation stops: error") },
    /* Link records (sim/net/net.c): a link, a host or a service. */
    { "link.down", N_("link down") },
    { "link.up", N_("link up again") },
    { "host.down", N_("host down: silent") },
    { "host.up", N_("host up again") },
    { "service.down", N_("service {1} down: refuses") },
    { "service.up", N_("service {1} up again") },
};

/* Labels that follow a record's outcome: the record's part `part` (as its
 * sentence's template recovered it) is `value`.  A submission refused with
 * a 554 is no "submitted": the note must say what the reply said.  {c} is
 * the reply code that begins the record's last part; `coded` entries are
 * for records that have one, the others for a refusal no reply made (the
 * connection was lost). */
static const struct {
    const char *key;
    guint part;
    const char *value;
    gboolean coded;
    const char *en;
} outcome_labels[] = {
    { "message.submitted", 3, "permanent-failure", TRUE, N_("rejected ({c})") },
    { "message.submitted", 3, "temporary-failure", TRUE, N_("refused for now ({c})") },
    { "message.submitted", 3, "permanent-failure", FALSE, N_("not submitted") },
    { "message.submitted", 3, "temporary-failure", FALSE, N_("not submitted") },
};

/* The reply code "554" a part such as "554 5.6.1 Message rejected" begins
 * with, or NULL (transfer full). */
static char *reply_code_of(const char *part)
{
    if (part == NULL || !g_ascii_isdigit(part[0]) || !g_ascii_isdigit(part[1]) ||
        !g_ascii_isdigit(part[2]) || (part[3] != ' ' && part[3] != '\0'))
        return NULL;
    return g_strndup(part, 3);
}

/* Record kinds (MS_TRACE_KINDS), for records that carry no event key. */
static const MsReportWords kind_labels[] = {
    { "scenario", N_("the run starts") },
    { "action", N_("a scenario step") },
    { "conn-open", N_("opens a connection (SYN)") },
    { "conn-established", N_("connection established") },
    { "conn-refused", N_("cannot connect") },
    { "conn-close", N_("connection closed") },
    { "conn-abort", N_("connection aborted") },
    { "segment-sent", N_("TCP segment sent") },
    { "segment-received", N_("TCP segment received") },
    { "segment-lost", N_("TCP segment lost") },
    { "line", N_("a protocol line") },
    { "phase", N_("a protocol phase") },
    { "queue", N_("outgoing queue changed") },
    { "mailbox", N_("mailbox changed") },
    { "message", N_("about a message") },
    { "link", N_("a link or host goes down or up") },
    { "error", N_("simulation error") },
    { "store", N_("mailbox folder changed") },
};

G_STATIC_ASSERT(G_N_ELEMENTS(kind_labels) == MS_TRACE_N_KINDS);

const char *ms_report_label_english(const char *key)
{
    const char *en = ms_report_words_find(event_labels, G_N_ELEMENTS(event_labels), key);
    return en != NULL ? en : ms_report_words_find(kind_labels, G_N_ELEMENTS(kind_labels), key);
}

const char *ms_report_kind_label_english(MsTraceKind kind)
{
    g_return_val_if_fail(kind < MS_TRACE_N_KINDS, NULL);
    const char *name = ms_trace_kind_name(kind);
    return ms_report_words_find(kind_labels, G_N_ELEMENTS(kind_labels), name);
}

/* The English template of a record's label. */
static const char *record_template(const MsTraceRecord *r)
{
    const char *key = r->note;
    /* Records from before link records had keys: tell them by the detail. */
    if (r->kind == MS_TRACE_LINK && key == NULL && r->detail != NULL) {
        gboolean up = g_str_has_suffix(r->detail, " up");
        key = g_str_has_prefix(r->detail, "service ") ? (up ? "service.up" : "service.down")
              : g_str_has_prefix(r->detail, "host ")  ? (up ? "host.up" : "host.down")
                                                      : (up ? "link.up" : "link.down");
    }
    if (r->kind == MS_TRACE_ERROR)
        key = "error";
    const char *en = ms_report_words_find(event_labels, G_N_ELEMENTS(event_labels), key);
    return en != NULL ? en : ms_report_kind_label_english(r->kind);
}

/* The outcome's template for `r`, or NULL; *code_out the reply code it
 * names (transfer full). */
static const char *outcome_template(const MsTraceRecord *r, char ***args_out, char **code_out)
{
    *code_out = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(outcome_labels); i++) {
        if (g_strcmp0(r->note, outcome_labels[i].key) != 0)
            continue;
        if (*args_out == NULL && ms_report_event_parse(r, args_out) == NULL)
            return NULL;
        guint n = g_strv_length(*args_out);
        guint k = outcome_labels[i].part - 1;
        if (k >= n || strcmp((*args_out)[k], outcome_labels[i].value) != 0)
            continue;
        g_autofree char *code = reply_code_of((*args_out)[n - 1]);
        if ((code != NULL) != outcome_labels[i].coded)
            continue;
        *code_out = g_steal_pointer(&code);
        return outcome_labels[i].en;
    }
    return NULL;
}

char *ms_report_record_label(const MsTraceRecord *r, const char *lang)
{
    g_auto(GStrv) args = NULL;
    g_autofree char *code = NULL;
    const char *outcome = outcome_template(r, &args, &code);
    const char *tpl = ms_report_tr(lang, outcome != NULL ? outcome : record_template(r));
    for (const char *p = strchr(tpl, '{'); p != NULL && args == NULL; p = strchr(p + 1, '{')) {
        if (p[1] >= '1' && p[1] <= '9' && p[2] == '}')
            ms_report_event_parse(r, &args);
    }
    guint n_args = args != NULL ? g_strv_length(args) : 0;
    GString *out = g_string_new(NULL);
    for (const char *p = tpl; *p != '\0'; p++) {
        if (p[0] == '{' && p[1] == 'n' && p[2] == '}') {
            g_string_append_printf(out, "%" G_GINT64_FORMAT, r->count);
            p += 2;
        } else if (p[0] == '{' && p[1] == 'c' && p[2] == '}') {
            g_string_append(out, code != NULL ? code : "");
            p += 2;
        } else if (p[0] == '{' && p[1] == 'u' && p[2] == '}') {
            /* The user: the subject's local part (a note stands on its
             * server's lifeline, so the domain goes without saying). */
            const char *who = r->subject != NULL ? r->subject : "";
            const char *at = strrchr(who, '@');
            g_string_append_len(out, who, at != NULL ? at - who : (gssize) strlen(who));
            p += 2;
        } else if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
            guint k = (guint) (p[1] - '1');
            if (k < n_args) {
                g_autofree char *word = ms_report_phrase(args[k], lang);
                g_string_append(out, word);
            }
            p += 2;
        } else {
            g_string_append_c(out, *p);
        }
    }
    /* A part the detail did not give leaves no stray space. */
    g_autofree char *s = g_string_free(out, FALSE);
    return g_strstrip(g_strdup(s));
}

void ms_report_foreach_label(MsReportMsgidFn fn, gpointer user_data)
{
    for (gsize i = 0; i < G_N_ELEMENTS(event_labels); i++)
        fn(event_labels[i].key, event_labels[i].en, user_data);
    for (gsize i = 0; i < G_N_ELEMENTS(outcome_labels); i++)
        fn(outcome_labels[i].key, outcome_labels[i].en, user_data);
    for (gsize i = 0; i < G_N_ELEMENTS(kind_labels); i++)
        fn(kind_labels[i].key, kind_labels[i].en, user_data);
}
