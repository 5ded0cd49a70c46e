/* checks.c - the rubric's checks, applied to an indexed run, and the
 * predicates on what the run left behind and on the student's answers
 * (those on the typed dialogue are dialogue.c's).
 *
 * Each predicate earns a fraction in [0, 1] (predictions may earn part)
 * and says what it found, in the student's language; a check earns its
 * points times the smallest fraction of its predicates.
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

char *ms_grade_join(const GPtrArray *words, const char *sep)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < words->len; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? sep : "", (char *) words->pdata[i]);
    return g_string_free(s, FALSE);
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
            g_string_append(out, ms_grade_separator(lang));
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
        g_string_append(out, ms_grade_separator(lang));
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
    /* Decimal only: g_ascii_strtod() would read "0x4" and "inf" too. */
    const char *digits = text + (*text == '+' || *text == '-');
    if (!g_ascii_isdigit(*digits) && !(*digits == '.' && g_ascii_isdigit(digits[1])))
        return FALSE;
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        return FALSE;
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
    /* Names are read without regard to case (DELAY_MS is delay_ms). */
    g_autofree char *key = g_ascii_strdown(p->answer, -1);
    const char *given = f->run->answers != NULL ? g_hash_table_lookup(f->run->answers, key)
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
            if (ms_grade_find_choice(p->choices, given, TRUE) == p->choices->len) {
                g_autofree char *list = ms_grade_join(p->choices, ", ");
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
    case PRED_RULE: return ms_grade_eval_rule(p, f, lang, out);
    case PRED_REPLY: return ms_grade_eval_reply(p, f, lang, out);
    case PRED_PREDICTIONS: return ms_grade_eval_predictions(p, f, lang, out);
    case PRED_TYPED: return ms_grade_eval_typed(p, f, lang, out);
    case PRED_ORDER: return ms_grade_eval_order(p, f, lang, out);
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
    /* What each predicate found, each said once (two rules may find the
     * same: "RCPT was never typed"). */
    g_autoptr(GPtrArray) said = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < c->preds->len; i++) {
        const Pred *p = g_ptr_array_index(c->preds, i);
        GString *one = g_string_new(NULL);
        double v = eval_pred(p, f, lang, one);
        if (p->negate)
            v = 1 - v;
        frac = MIN(frac, v);
        gboolean again = FALSE;
        for (guint j = 0; j < said->len && !again; j++)
            again = strcmp(g_ptr_array_index(said, j), one->str) == 0;
        if (one->len > 0 && !again) {
            if (detail->len > 0)
                g_string_append(detail, ms_grade_separator(lang));
            g_string_append(detail, one->str);
        }
        g_ptr_array_add(said, g_string_free(one, FALSE));
    }
    *detail_out = g_string_free(detail, FALSE);
    return CLAMP(frac, 0, 1);
}
