/* checks.c - the rubric's predicates, applied to an indexed run.
 *
 * Each predicate earns a fraction in [0, 1] (predictions may earn part)
 * and says what it found, in the student's language; a check earns its
 * points times the smallest fraction of its predicates.  The protocol
 * rules are lenient where the RFCs are (command verbs in any case, HELO or
 * EHLO, spaces around the colon of MAIL FROM) and strict where they say
 * MUST (CRLF line ends, the lone "." ending the message text).
 */
#include <math.h>
#include <string.h>

#include "grade/grade-private.h"

void ms_grade_pred_free(gpointer data)
{
    Pred *p = data;
    if (p == NULL)
        return;
    g_free(p->word);
    g_free(p->verb);
    g_clear_pointer(&p->verbs, g_ptr_array_unref);
    g_free(p->subject);
    g_free(p->sender);
    g_free(p->after);
    g_free(p->answer);
    g_free(p->qty.path);
    g_free(p->qty.note);
    g_free(p->qty.verb);
    g_free(p->unit);
    g_clear_pointer(&p->choices, g_ptr_array_unref);
    g_free(p);
}

void ms_grade_check_free(gpointer data)
{
    Check *c = data;
    if (c == NULL)
        return;
    g_free(c->id);
    for (int i = 0; i < 2; i++) {
        g_free(c->title[i]);
        g_free(c->pass[i]);
        g_free(c->fail[i]);
    }
    g_clear_pointer(&c->preds, g_ptr_array_unref);
    g_free(c);
}

gboolean ms_grade_unit(const char *unit, double *scale_out, const char **family_out)
{
    static const struct {
        const char *name;
        double scale;
        const char *family;
    } units[] = {
        { "ns", 1, "time" },          { "us", 1e3, "time" },       { "\xC2\xB5s", 1e3, "time" },
        { "ms", 1e6, "time" },        { "s", 1e9, "time" },        { "B", 1, "size" },
        { "byte", 1, "size" },        { "bytes", 1, "size" },      { "kB", 1e3, "size" },
        { "KB", 1e3, "size" },        { "KiB", 1024, "size" },     { "MB", 1e6, "size" },
        { "MiB", 1048576, "size" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(unit, units[i].name) == 0) {
            *scale_out = units[i].scale;
            *family_out = units[i].family;
            return TRUE;
        }
    }
    return FALSE;
}

static char *join(const GPtrArray *words, const char *sep)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < words->len; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? sep : "", (char *) words->pdata[i]);
    return g_string_free(s, FALSE);
}

/* ---- Dialogue rules ------------------------------------------------------------ */

/* The index of the first typed command with this verb, from `from`; -1. */
static int find_typed(const Facts *f, const char *verb, guint from)
{
    for (guint i = from; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        if (strcmp(verb, ".") == 0) {
            if (g_strcmp0(r->note, "smtp.data.end") == 0)
                return (int) i;
            continue;
        }
        g_autofree char *v = ms_grade_verb_of(r);
        if (strcmp(v, verb) == 0)
            return (int) i;
    }
    return -1;
}

/* The status of the reply to the i-th typed line (group i + 1). */
static char *status_after(const Facts *f, int i)
{
    return i < 0 ? NULL : ms_grade_group_status(f, (guint) i + 1);
}

static const char *shown(const char *s)
{
    return s != NULL ? s : "-";
}

static double rule_order(const Facts *f, const char *first, const char *then,
                         const char *lang, GString *out)
{
    int a = find_typed(f, first, 0);
    int b = find_typed(f, then, 0);
    if (b < 0) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} was never typed"), then, NULL);
        g_string_append(out, s);
        return 0;
    }
    if (a < 0 || a > b) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} came before any {2}"), then, first, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_autofree char *s = ms_grade_fmt(lang, N_("{1} came before {2}"), first, then, NULL);
    g_string_append(out, s);
    return 1;
}

static double rule_helo(const Facts *f, const char *lang, GString *out)
{
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        g_autofree char *v = ms_grade_verb_of(r);
        if (*v == '\0' && !ms_grade_is_data_line(r))
            continue; /* an empty line is not a command */
        gboolean ok = strcmp(v, "HELO") == 0 || strcmp(v, "EHLO") == 0;
        g_autofree char *status = status_after(f, (int) i);
        if (ok && status != NULL && status[0] == '2') {
            g_autofree char *s = ms_grade_fmt(lang, N_("the first command was {1}, answered {2}"),
                                              v, status, NULL);
            g_string_append(out, s);
            return 1;
        }
        g_autofree char *s =
            ok ? ms_grade_fmt(lang, N_("the first command was {1}, answered {2}"), v,
                              shown(status), NULL)
               : ms_grade_fmt(lang, N_("the first command was {1}, not HELO or EHLO"),
                              *v != '\0' ? v : r->text, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_string_append(out, ms_grade_tr(lang, N_("no command was typed")));
    return 0;
}

static double rule_data_ended(const Facts *f, const char *lang, GString *out)
{
    int data = find_typed(f, "DATA", 0);
    g_autofree char *ds = status_after(f, data);
    if (data < 0 || ds == NULL || strcmp(ds, "354") != 0) {
        g_autofree char *s = ms_grade_fmt(lang, N_("DATA was never answered 354 (got {1})"),
                                          shown(ds), NULL);
        g_string_append(out, s);
        return 0;
    }
    int end = find_typed(f, ".", (guint) data + 1);
    if (end < 0) {
        g_string_append(out, ms_grade_tr(lang, N_("the message text was never ended by a line "
                                                   "holding only \".\"")));
        return 0;
    }
    g_autofree char *es = status_after(f, end);
    g_autofree char *s = ms_grade_fmt(lang, N_("the line \".\" ended the message text and was "
                                               "answered {1}"),
                                      shown(es), NULL);
    g_string_append(out, s);
    return es != NULL && es[0] == '2' ? 1 : 0;
}

static double rule_quit(const Facts *f, const char *lang, GString *out)
{
    int q = find_typed(f, "QUIT", 0);
    if (q < 0) {
        g_string_append(out, ms_grade_tr(lang, N_("QUIT was never typed")));
        return 0;
    }
    g_autofree char *st = status_after(f, q);
    g_autofree char *s = ms_grade_fmt(lang, N_("QUIT was answered {1}"), shown(st), NULL);
    g_string_append(out, s);
    return st != NULL && (st[0] == '2' || strcmp(st, "+OK") == 0 || strcmp(st, "OK") == 0) ? 1
                                                                                           : 0;
}

static const char *eol_name(const char *eol)
{
    if (g_strcmp0(eol, "\n") == 0)
        return "LF";
    if (g_strcmp0(eol, "\r") == 0)
        return "CR";
    return "-";
}

static double rule_crlf(const Facts *f, const char *lang, GString *out)
{
    guint in_text = 0; /* lines of the message text so far */
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        gboolean data = ms_grade_is_data_line(r);
        in_text = data ? in_text + 1 : 0;
        if (g_strcmp0(r->eol, "\r\n") != 0) {
            /* In the message text, where a client program usually slips:
             * say where in the text. */
            g_autofree char *n = g_strdup_printf("%u", data ? in_text : i + 1);
            g_autofree char *s =
                r->eol == NULL || r->eol[0] == '\0'
                    ? ms_grade_fmt(lang, N_("typed line {1} never ended: the connection "
                                            "closed before its CRLF came"),
                                   n, NULL)
                : data ? ms_grade_fmt(lang, N_("bare {2} after DATA, in line {1} of the message "
                                             "text: every line ends with CRLF (RFC 5321 "
                                             "2.3.8)"),
                                    n, eol_name(r->eol), NULL)
                     : ms_grade_fmt(lang, N_("typed line {1} ended with a bare {2}, not CRLF "
                                             "(RFC 5321 2.3.8)"),
                                    n, eol_name(r->eol), NULL);
            g_string_append(out, s);
            return 0;
        }
    }
    if (f->typed->len == 0) {
        g_string_append(out, ms_grade_tr(lang, N_("no command was typed")));
        return 0;
    }
    g_string_append(out, ms_grade_tr(lang, N_("every typed line ended with CRLF")));
    return 1;
}

static double rule_user_pass(const Facts *f, const char *lang, GString *out)
{
    int apop = find_typed(f, "APOP", 0);
    if (apop >= 0) {
        g_autofree char *st = status_after(f, apop);
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} was answered {2}"), "APOP", shown(st),
                                          NULL);
        g_string_append(out, s);
        return g_strcmp0(st, "+OK") == 0 ? 1 : 0;
    }
    if (rule_order(f, "USER", "PASS", lang, out) == 0)
        return 0;
    int pass = find_typed(f, "PASS", 0);
    g_autofree char *st = status_after(f, pass);
    g_autofree char *s = ms_grade_fmt(lang, N_("{1} was answered {2}"), "PASS", shown(st), NULL);
    g_string_append(out, "; ");
    g_string_append(out, s);
    return g_strcmp0(st, "+OK") == 0 ? 1 : 0;
}

static char *argument_of(const MsTraceRecord *r)
{
    const char *sp = strchr(r->text, ' ');
    return sp != NULL ? g_strstrip(g_strdup(sp)) : g_strdup("");
}

static double rule_retr_dele(const Facts *f, const char *lang, GString *out)
{
    guint deletes = 0;
    g_autoptr(GHashTable) retrieved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                            NULL);
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        g_autofree char *v = ms_grade_verb_of(r);
        g_autofree char *arg = argument_of(r);
        g_autofree char *st = status_after(f, (int) i);
        if (strcmp(v, "RETR") == 0 && g_strcmp0(st, "+OK") == 0)
            g_hash_table_add(retrieved, g_steal_pointer(&arg));
        else if (strcmp(v, "DELE") == 0) {
            deletes++;
            if (!g_hash_table_contains(retrieved, arg)) {
                g_autofree char *s = ms_grade_fmt(lang, N_("message {1} was deleted before it "
                                                           "was retrieved"),
                                                  arg, NULL);
                g_string_append(out, s);
                return 0;
            }
        }
    }
    if (deletes == 0) {
        g_string_append(out, ms_grade_tr(lang, N_("DELE was never typed")));
        return 0;
    }
    g_string_append(out, ms_grade_tr(lang, N_("every deleted message was retrieved first")));
    return 1;
}

static double eval_rule(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    const char *r = p->word;
    if (strcmp(r, "helo-first") == 0)
        return rule_helo(f, lang, out);
    if (strcmp(r, "mail-before-rcpt") == 0)
        return rule_order(f, "MAIL", "RCPT", lang, out);
    if (strcmp(r, "rcpt-before-data") == 0)
        return rule_order(f, "RCPT", "DATA", lang, out);
    if (strcmp(r, "data-ended") == 0)
        return rule_data_ended(f, lang, out);
    if (strcmp(r, "quit") == 0)
        return rule_quit(f, lang, out);
    if (strcmp(r, "crlf") == 0)
        return rule_crlf(f, lang, out);
    if (strcmp(r, "user-before-pass") == 0)
        return rule_user_pass(f, lang, out);
    if (strcmp(r, "retr-before-dele") == 0)
        return rule_retr_dele(f, lang, out);
    g_assert_not_reached();
    return 0;
}

static double eval_reply(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    int i = find_typed(f, p->verb, 0);
    if (i < 0) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} was never typed"), p->verb, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_autofree char *st = status_after(f, i);
    g_autofree char *s = ms_grade_fmt(lang, N_("{1} was answered {2}"), p->verb, shown(st),
                                      NULL);
    g_string_append(out, s);
    return st != NULL && g_str_has_prefix(st, p->word) ? 1 : 0;
}

static double eval_typed(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    gboolean found = find_typed(f, p->word, 0) >= 0;
    g_autofree char *s = ms_grade_fmt(lang, found ? N_("{1} was typed") : N_("{1} was never typed"),
                                      p->word, NULL);
    g_string_append(out, s);
    return found ? 1 : 0;
}

static double eval_order(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    guint from = 0;
    for (guint k = 0; k < p->verbs->len; k++) {
        const char *v = g_ptr_array_index(p->verbs, k);
        int i = find_typed(f, v, from);
        if (i < 0) {
            g_autofree char *s = k == 0 || find_typed(f, v, 0) < 0
                                     ? ms_grade_fmt(lang, N_("{1} was never typed"), v, NULL)
                                     : ms_grade_fmt(lang, N_("{1} came before any {2}"), v,
                                                    (char *) g_ptr_array_index(p->verbs, k - 1),
                                                    NULL);
            g_string_append(out, s);
            return 0;
        }
        from = (guint) i + 1;
    }
    g_autofree char *list = join(p->verbs, " ");
    g_autofree char *s = ms_grade_fmt(lang, N_("the commands came in the order {1}"), list, NULL);
    g_string_append(out, s);
    return 1;
}

/* The status a predicted group of lines stands for: the code of its last
 * line (SMTP), its first word (POP3), its tagged completion (IMAP). */
static char *predicted_status(const char *group, const char *protocol)
{
    if (group == NULL || *group == '\0')
        return NULL;
    g_auto(GStrv) lines = g_strsplit(group, "\n", -1);
    guint n = g_strv_length(lines);
    const char *line = g_strcmp0(protocol, "POP3") == 0 ? lines[0] : lines[n - 1];
    while (*line == ' ')
        line++;
    if (g_strcmp0(protocol, "IMAP") == 0) {
        line += strcspn(line, " ");
        while (*line == ' ')
            line++;
        return g_ascii_strup(line, (gssize) strcspn(line, " "));
    }
    if (g_strcmp0(protocol, "SMTP") == 0 && strlen(line) >= 3)
        return g_strndup(line, 3);
    return g_ascii_strup(line, (gssize) strcspn(line, " "));
}

static double eval_predictions(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    GPtrArray *pred = f->run->predictions;
    if (pred == NULL) {
        g_string_append(out, ms_grade_tr(lang, N_("the submission predicts no reply (write "
                                                   "them as S: lines)")));
        return 0;
    }
    guint total = 0;
    guint right = 0;
    GString *first_wrong = NULL;
    for (guint g = 0; g < f->groups->len; g++) {
        g_autofree char *actual = ms_grade_group_status(f, g);
        if (actual == NULL)
            continue; /* a line of the message text: nothing is answered */
        total++;
        const char *group = g < pred->len ? g_ptr_array_index(pred, g) : NULL;
        g_autofree char *guess = predicted_status(group, f->protocol);
        if (guess != NULL && g_ascii_strcasecmp(guess, actual) == 0) {
            right++;
        } else if (first_wrong == NULL) {
            first_wrong = g_string_new(NULL);
            const char *after = g == 0 ? ms_grade_tr(lang, N_("the connection opened"))
                                       : ((const MsTraceRecord *) g_ptr_array_index(
                                              f->typed, g - 1))
                                             ->text;
            g_autofree char *s =
                guess == NULL ? ms_grade_fmt(lang, N_("after \"{1}\" you predicted no reply; "
                                                      "the server answered {2}"),
                                             after, actual, NULL)
                              : ms_grade_fmt(lang, N_("after \"{1}\" you predicted {2}; the "
                                                      "server answered {3}"),
                                             after, guess, actual, NULL);
            g_string_append(first_wrong, s);
        }
    }
    g_autofree char *a = g_strdup_printf("%u", right);
    g_autofree char *b = g_strdup_printf("%u", total);
    g_autofree char *s = ms_grade_fmt(lang, N_("{1} of {2} replies predicted right"), a, b, NULL);
    g_string_append(out, s);
    if (first_wrong != NULL) {
        g_string_append(out, "; ");
        g_string_append(out, first_wrong->str);
        g_string_free(first_wrong, TRUE);
    }
    if (total == 0)
        return 0;
    double frac = (double) right / (double) total;
    return frac >= p->min_fraction ? 1 : frac;
}

/* ---- End state ------------------------------------------------------------------ */

static gboolean count_ok(const Pred *p, gint64 n)
{
    switch (p->cmp) {
    case CMP_GE: return n >= p->count;
    case CMP_LE: return n <= p->count;
    default: return n == p->count;
    }
}

static gint64 state_count(const Facts *f, const char *family, const char *name)
{
    g_autofree char *key = g_strdup_printf("%s:%s", family, name);
    gpointer v = g_hash_table_lookup(f->state_count, key);
    return v != NULL ? (gint64) GPOINTER_TO_SIZE(v) - 1 : 0;
}

static gint64 downloads_of(const Facts *f, const char *host)
{
    gpointer v = g_hash_table_lookup(f->downloads, host);
    return v != NULL ? (gint64) GPOINTER_TO_SIZE(v) - 1 : 0;
}

/* A check's text with the student's values in it. */
static char *filled(const Facts *f, const char *text)
{
    if (text == NULL)
        return NULL;
    char *s = ms_grade_substitute(text, f->params, NULL);
    return s != NULL ? s : g_strdup(text);
}

static double eval_mailbox(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    double ok = 1;
    g_autofree char *want_subject = filled(f, p->subject);
    g_autofree char *want_sender = filled(f, p->sender);
    if (p->has_count) {
        gint64 n = state_count(f, "mailbox", p->word);
        g_autofree char *ns = g_strdup_printf("%" G_GINT64_FORMAT, n);
        /* (translated already: "en" only fills the holes in) */
        const char *words = ms_report_trn(lang, N_("at the end, mailbox {1} holds {2} message"),
                                          N_("at the end, mailbox {1} holds {2} messages"),
                                          (gulong) n);
        g_autofree char *s = ms_grade_fmt("en", words, p->word, ns, NULL);
        g_string_append(out, s);
        if (!count_ok(p, n))
            ok = 0;
    }
    GPtrArray *list = g_hash_table_lookup(f->deliveries, p->word);
    if (want_subject != NULL || want_sender != NULL) {
        gboolean found = FALSE;
        GString *seen = g_string_new(NULL);
        for (guint i = 0; list != NULL && i < list->len; i++) {
            const Delivery *d = g_ptr_array_index(list, i);
            gboolean subj = want_subject == NULL ||
                            (d->subject != NULL && g_ascii_strcasecmp(d->subject, want_subject) == 0);
            gboolean from = want_sender == NULL ||
                            (d->sender != NULL && g_ascii_strcasecmp(d->sender, want_sender) == 0);
            found = found || (subj && from);
            g_string_append_printf(seen, "%s\"%s\" <%s>", seen->len > 0 ? ", " : "",
                                   d->subject != NULL ? d->subject : "",
                                   d->sender != NULL ? d->sender : "");
        }
        g_autofree char *what = g_strdup_printf("%s%s%s%s%s", want_subject != NULL ? "\"" : "",
                                                want_subject != NULL ? want_subject : "",
                                                want_subject != NULL ? "\"" : "",
                                                want_sender != NULL ? " <" : "",
                                                want_sender != NULL ? want_sender : "");
        if (want_sender != NULL) {
            char *w = g_strconcat(what, ">", NULL);
            g_free(what);
            what = w;
        }
        if (out->len > 0)
            g_string_append(out, "; ");
        g_autofree char *s =
            found ? ms_grade_fmt(lang, N_("a message {1} reached {2}"), what, p->word, NULL)
            : seen->len > 0
                ? ms_grade_fmt(lang, N_("no message {1} reached {2}; it received {3}"), what,
                               p->word, seen->str, NULL)
                : ms_grade_fmt(lang, N_("no message reached {1}"), p->word, NULL);
        g_string_append(out, s);
        g_string_free(seen, TRUE);
        if (!found)
            ok = 0;
    }
    return ok;
}

static double eval_simple_count(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    gint64 n = 0;
    /* The sentence for the count, translated already ("en" below only
     * fills the holes in). */
    const char *words = NULL;
    switch (p->kind) {
    case PRED_DELIVERED: {
        GPtrArray *list = g_hash_table_lookup(f->deliveries, p->word);
        n = list != NULL ? list->len : 0;
        words = ms_report_trn(lang, N_("{1} was delivered {2} message"),
                              N_("{1} was delivered {2} messages"), (gulong) n);
        break;
    }
    case PRED_BOUNCED:
        n = f->bounces;
        words = ms_report_trn(lang, N_("{2} message bounced"), N_("{2} messages bounced"),
                              (gulong) n);
        break;
    case PRED_DOWNLOADED:
        n = downloads_of(f, p->word);
        words = ms_report_trn(lang, N_("{1} downloaded {2} message"),
                              N_("{1} downloaded {2} messages"), (gulong) n);
        break;
    case PRED_STORE:
        n = state_count(f, "store", p->word);
        words = ms_report_trn(lang, N_("at the end, {1} keeps {2} downloaded message"),
                              N_("at the end, {1} keeps {2} downloaded messages"), (gulong) n);
        break;
    case PRED_QUEUE:
        n = state_count(f, "queue", p->word);
        words = ms_report_trn(lang, N_("at the end, {1}'s outgoing queue holds {2} message"),
                              N_("at the end, {1}'s outgoing queue holds {2} messages"),
                              (gulong) n);
        break;
    case PRED_CONNECTED: {
        gpointer v = g_hash_table_lookup(f->connections, p->word);
        n = v != NULL ? (gint64) GPOINTER_TO_SIZE(v) - 1 : 0;
        words = ms_report_trn(lang, N_("{1} opened {2} connection"),
                              N_("{1} opened {2} connections"), (gulong) n);
        break;
    }
    default:
        g_assert_not_reached();
    }
    g_autofree char *ns = g_strdup_printf("%" G_GINT64_FORMAT, n);
    g_autofree char *s = ms_grade_fmt("en", words, p->word != NULL ? p->word : "", ns, NULL);
    g_string_append(out, s);
    if (p->after != NULL) {
        /* Its last connection came after the other host's first. */
        const MsTime *last = g_hash_table_lookup(f->last_open, p->word);
        const MsTime *first = g_hash_table_lookup(f->first_open, p->after);
        gboolean later = last != NULL && first != NULL && *last > *first;
        g_autofree char *a = ms_grade_fmt(lang, later ? N_("{1} connected after {2}")
                                                      : N_("{1} did not connect after {2}"),
                                          p->word, p->after, NULL);
        g_string_append(out, "; ");
        g_string_append(out, a);
        if (!later)
            return 0;
    }
    if (p->has_count)
        return count_ok(p, n) ? 1 : 0;
    return n > 0 ? 1 : 0;
}

/* ---- Answers ------------------------------------------------------------------------ */

static gboolean reply_to(const MsTrace *trace, const char *verb, char **text_out)
{
    guint64 n = ms_trace_length(trace);
    guint conn = 0;
    const char *protocol = NULL;
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind != MS_TRACE_LINE)
            continue;
        if (conn == 0) {
            if (r->dir != MS_DIR_CLIENT)
                continue;
            g_autofree char *v = ms_grade_verb_of(r);
            if (strcmp(v, verb) == 0) {
                conn = r->conn;
                protocol = r->protocol;
            }
            continue;
        }
        if (r->conn == conn && r->dir == MS_DIR_SERVER) {
            const char *t = r->text;
            if (g_strcmp0(protocol, "SMTP") == 0 && strlen(t) >= 3)
                *text_out = g_strndup(t, 3);
            else
                *text_out = g_ascii_strup(t, (gssize) strcspn(t, " "));
            return TRUE;
        }
    }
    return FALSE;
}

gboolean ms_grade_quantity(const Facts *f, const Quantity *q, double *number_out,
                           char **text_out, char **why_out)
{
    *text_out = NULL;
    switch (q->kind) {
    case QTY_SUMMARY: {
        JsonNode *node = f->summary != NULL ? ms_grade_json_path(f->summary, q->path) : NULL;
        if (node == NULL || !JSON_NODE_HOLDS_VALUE(node)) {
            *why_out = g_strdup_printf("the run's summary has no value at '%s'", q->path);
            return FALSE;
        }
        GType t = json_node_get_value_type(node);
        if (t == G_TYPE_INT64)
            *number_out = (double) json_node_get_int(node);
        else if (t == G_TYPE_DOUBLE)
            *number_out = json_node_get_double(node);
        else if (t == G_TYPE_BOOLEAN)
            *text_out = g_strdup(json_node_get_boolean(node) ? "yes" : "no");
        else
            *text_out = g_strdup(json_node_get_string(node));
        return TRUE;
    }
    case QTY_RECORD: {
        guint seen = 0;
        guint64 n = ms_trace_length(f->run->trace);
        for (guint64 i = 0; i < n; i++) {
            MsTraceRecord buf;
            const MsTraceRecord *r = ms_trace_get(f->run->trace, i, &buf);
            if (g_strcmp0(r->note, q->note) == 0 && seen++ == q->index) {
                *number_out = (double) r->count;
                return TRUE;
            }
        }
        *why_out = g_strdup_printf("the run has no record '%s' number %u", q->note, q->index);
        return FALSE;
    }
    case QTY_REPLY_TO:
        if (reply_to(f->run->trace, q->verb, text_out))
            return TRUE;
        *why_out = g_strdup_printf("no reply to %s in the run", q->verb);
        return FALSE;
    }
    return FALSE;
}

/* The expected value of a number answer in the answer's unit. */
static gboolean expected_number(const Facts *f, const Pred *p, double *out, char **why_out)
{
    g_autofree char *text = NULL;
    double v = 0;
    if (!ms_grade_quantity(f, &p->qty, &v, &text, why_out))
        return FALSE;
    if (text != NULL) {
        char *end = NULL;
        v = g_ascii_strtod(text, &end);
        if (end == text) {
            *why_out = g_strdup_printf("'%s' is not a number", text);
            return FALSE;
        }
    }
    /* Summary times are in ns; a unit of the answer scales them. */
    double scale = 1;
    const char *family = NULL;
    if (*p->unit != '\0' && ms_grade_unit(p->unit, &scale, &family))
        v /= scale;
    *out = v;
    return TRUE;
}

static char *number_text(double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (fabs(v - round(v)) < 1e-9 && fabs(v) < 1e15)
        return g_strdup_printf("%.0f", v);
    g_ascii_formatd(buf, sizeof buf, "%.6g", v);
    return g_strdup(buf);
}

char *ms_grade_expected_text(const Facts *f, const Pred *p, char **why_out)
{
    if (p->answer_kind == ANS_NUMBER) {
        double v = 0;
        if (!expected_number(f, p, &v, why_out))
            return NULL;
        g_autofree char *n = number_text(v);
        return *p->unit != '\0' ? g_strdup_printf("%s %s", n, p->unit) : g_strdup(n);
    }
    double v = 0;
    char *text = NULL;
    if (!ms_grade_quantity(f, &p->qty, &v, &text, why_out))
        return NULL;
    return text != NULL ? text : number_text(v);
}

/* "5025", "5025 ms", "5.025s" -> value in the answer's unit; FALSE when
 * it is no number or its unit is of another kind. */
static gboolean parse_number_answer(const char *text, const char *unit, double *out)
{
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);
    if (end == text || !isfinite(v))
        return FALSE;
    while (*end == ' ')
        end++;
    if (*end == '\0') {
        *out = v;
        return TRUE;
    }
    double s1 = 1, s2 = 1;
    const char *f1 = NULL, *f2 = NULL;
    if (!ms_grade_unit(end, &s1, &f1))
        return FALSE;
    if (*unit == '\0' || !ms_grade_unit(unit, &s2, &f2) || strcmp(f1, f2) != 0)
        return FALSE;
    *out = v * s1 / s2;
    return TRUE;
}

static double eval_answer(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    const char *given = f->run->answers != NULL ? g_hash_table_lookup(f->run->answers, p->answer)
                                                : NULL;
    g_autofree char *why = NULL;
    g_autofree char *expected = ms_grade_expected_text(f, p, &why);
    if (expected == NULL) {
        g_string_append(out, why);
        return 0;
    }
    if (given == NULL || *given == '\0') {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1}: no answer"), p->answer, NULL);
        g_string_append(out, s);
        return 0;
    }
    gboolean ok = FALSE;
    if (p->answer_kind == ANS_NUMBER) {
        double e = 0, v = 0;
        g_autofree char *w = NULL;
        expected_number(f, p, &e, &w);
        if (!parse_number_answer(given, p->unit, &v)) {
            g_autofree char *s = ms_grade_fmt(lang, N_("{1}: \"{2}\" is not a number in {3}"),
                                              p->answer, given,
                                              *p->unit != '\0' ? p->unit : "-", NULL);
            g_string_append(out, s);
            return 0;
        }
        ok = fabs(v - e) <= p->tol_abs + p->tol_rel * fabs(e) + 1e-9 * MAX(1.0, fabs(e));
        if (!ok && !f->reveal) {
            /* Seen before the deadline: a hint, not the answer. */
            g_autofree char *s = ms_grade_fmt(lang, v > e ? N_("{1}: {2} is too high")
                                                          : N_("{1}: {2} is too low"),
                                              p->answer, given, NULL);
            g_string_append(out, s);
            return 0;
        }
    } else {
        ok = g_ascii_strcasecmp(given, expected) == 0;
        if (!ok && p->choices != NULL) {
            gboolean allowed = FALSE;
            for (guint i = 0; i < p->choices->len; i++)
                allowed = allowed || g_ascii_strcasecmp(given, p->choices->pdata[i]) == 0;
            if (!allowed) {
                g_autofree char *list = join(p->choices, ", ");
                g_autofree char *s = ms_grade_fmt(lang, N_("{1}: \"{2}\" is not one of {3}"),
                                                  p->answer, given, list, NULL);
                g_string_append(out, s);
                return 0;
            }
        }
    }
    g_autofree char *s =
        ok ? ms_grade_fmt(lang, N_("{1}: {2} is right"), p->answer, given, NULL)
        : f->reveal ? ms_grade_fmt(lang, N_("{1}: you answered {2}; the simulation gives {3}"),
                                   p->answer, given, expected, NULL)
                    : ms_grade_fmt(lang, N_("{1}: {2} is not right"), p->answer, given, NULL);
    g_string_append(out, s);
    return ok ? 1 : 0;
}

/* ---- A check ---------------------------------------------------------------------------- */

static double eval_pred(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    gboolean needs_dialogue = p->kind == PRED_RULE || p->kind == PRED_REPLY ||
                              p->kind == PRED_PREDICTIONS || p->kind == PRED_TYPED ||
                              p->kind == PRED_ORDER;
    if (needs_dialogue && f->typed->len == 0) {
        g_string_append(out, ms_grade_tr(lang, N_("no line of the dialogue reached the server")));
        return 0;
    }
    switch (p->kind) {
    case PRED_RULE: return eval_rule(p, f, lang, out);
    case PRED_REPLY: return eval_reply(p, f, lang, out);
    case PRED_PREDICTIONS: return eval_predictions(p, f, lang, out);
    case PRED_TYPED: return eval_typed(p, f, lang, out);
    case PRED_ORDER: return eval_order(p, f, lang, out);
    case PRED_MAILBOX: return eval_mailbox(p, f, lang, out);
    case PRED_DELIVERED:
    case PRED_BOUNCED:
    case PRED_DOWNLOADED:
    case PRED_STORE:
    case PRED_QUEUE:
    case PRED_CONNECTED: return eval_simple_count(p, f, lang, out);
    case PRED_ANSWER: return eval_answer(p, f, lang, out);
    case PRED_N_KINDS: break;
    }
    return 0;
}

double ms_grade_check_eval(const Check *c, Facts *f, const char *lang, char **detail_out)
{
    f->reveal = c->visibility != MS_GRADE_VISIBLE;
    double frac = 1;
    GString *detail = g_string_new(NULL);
    for (guint i = 0; i < c->preds->len; i++) {
        const Pred *p = g_ptr_array_index(c->preds, i);
        GString *one = g_string_new(NULL);
        double v = eval_pred(p, f, lang, one);
        if (p->negate)
            v = 1 - v;
        frac = MIN(frac, v);
        if (detail->len > 0 && one->len > 0)
            g_string_append(detail, "; ");
        g_string_append(detail, one->str);
        g_string_free(one, TRUE);
    }
    *detail_out = g_string_free(detail, FALSE);
    return CLAMP(frac, 0, 1);
}
