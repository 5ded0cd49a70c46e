/* summary_text.c - the summary in words (summary.txt): the exchanges, the
 * way of each message with its delay split into stages, the end state, and
 * the push-vs-pull comparison in the terms of the lecture notes.
 */
#include "mailsim/report.h"

#include <string.h>

#include "report/summary-private.h"

#define WRAP_WIDTH 100

static char *ms(MsTime t)
{
    return ms_time_format_ms(t);
}

static char *num(guint64 n)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

/* A moment as a clock reading, "22:08.031" (min:s) or "1:06:22.031"
 * (h:min:s), to the millisecond: for times past 10 s. */
static char *clock_time(MsTime t)
{
    gint64 msec = t / MS_MSEC;
    gint64 h = msec / 3600000, m = msec / 60000 % 60, s = msec / 1000 % 60, f = msec % 1000;
    if (h > 0)
        return g_strdup_printf("%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT
                               ".%03" G_GINT64_FORMAT, h, m, s, f);
    return g_strdup_printf("%" G_GINT64_FORMAT ":%02" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT, m, s,
                           f);
}

/* A span as "37.394 ms", or past 10 s in the unit a person reads it in:
 * "127 s", "20 min", "1.2 h" (the exact ms stay in trace.json). */
static char *duration(MsTime t, const char *lang)
{
    if (t <= 10 * MS_SEC) {
        g_autofree char *m = ms(t);
        return ms_report_format(lang, N_("{1} ms"), m, NULL);
    }
    g_autofree char *h = ms_time_format_human(t);
    return ms_report_phrase(h, lang);
}

/* A moment in a message's timeline or delay table: ms up to 10 s, a
 * clock reading past it, as the header line of the summary says. */
static char *moment(MsTime t)
{
    return t > 10 * MS_SEC ? clock_time(t) : ms(t);
}

/* A block of "label   value" rows, the labels padded to the widest. */
typedef struct {
    GPtrArray *labels; /* char* */
    GPtrArray *values; /* char* */
} Rows;

static void rows_init(Rows *rows)
{
    rows->labels = g_ptr_array_new_with_free_func(g_free);
    rows->values = g_ptr_array_new_with_free_func(g_free);
}

static void rows_add(Rows *rows, const char *label, char *value)
{
    g_ptr_array_add(rows->labels, g_strdup(label));
    g_ptr_array_add(rows->values, value);
}

/* A label wider than this (a long run's list of connections) goes on a
 * line of its own, wrapped, its value below it: the other labels are not
 * padded to it, nor the value squeezed into the last columns. */
#define LABEL_MAX 64

/* Writes the rows; with `file` non-NULL, `out` goes to the file row by row
 * (a long run's end state has a row for every mailbox). */
static void rows_flush(Rows *rows, GString *out, FILE *file, guint indent)
{
    guint width = 0;
    for (guint i = 0; i < rows->labels->len; i++) {
        guint w = ms_report_text_width(g_ptr_array_index(rows->labels, i));
        if (w <= LABEL_MAX)
            width = MAX(width, w);
    }
    for (guint i = 0; i < rows->labels->len; i++) {
        const char *label = g_ptr_array_index(rows->labels, i);
        for (guint k = 0; k < indent; k++)
            g_string_append_c(out, ' ');
        if (ms_report_text_width(label) > LABEL_MAX) {
            ms_report_append_wrapped(out, label, indent, indent + 2, WRAP_WIDTH);
            g_string_append_c(out, '\n');
            for (guint k = 0; k < indent + width + 2; k++)
                g_string_append_c(out, ' ');
        } else {
            ms_report_append_padded(out, label, width + 2);
        }
        ms_report_append_wrapped(out, g_ptr_array_index(rows->values, i), indent + width + 2,
                                 indent + width + 2, WRAP_WIDTH);
        g_string_append_c(out, '\n');
        ms_report_flush(out, file);
    }
    g_ptr_array_unref(rows->labels);
    g_ptr_array_unref(rows->values);
}

static void heading(GString *out, const char *text)
{
    g_string_append_printf(out, "\n%s\n", text);
    for (guint w = ms_report_text_width(text); w > 0; w--)
        g_string_append_c(out, '=');
    g_string_append_c(out, '\n');
}

/* ---- Exchanges ------------------------------------------------------------- */

static char *moved_text(const MsSumExchange *e, const char *lang)
{
    switch (e->moved) {
    case MS_MOVED_AWAY:
        return g_strdup(TR(lang, N_("client → server, away from the opener: a push")));
    case MS_MOVED_TOWARD:
        return g_strdup(TR(lang, N_("server → client, toward the opener: a pull")));
    case MS_MOVED_BOTH:
        return ms_report_format(lang, e->push ? N_("both ways; {1} is a push protocol")
                                              : N_("both ways; {1} is a pull protocol"),
                                e->protocol, NULL);
    case MS_MOVED_NONE:
    default:
        return ms_report_format(lang, e->push ? N_("no message moved; {1} is a push protocol")
                                              : N_("no message moved; {1} is a pull protocol"),
                                e->protocol, NULL);
    }
}

static const char *end_text(const char *end)
{
    if (strcmp(end, "closed") == 0)
        return N_("closed");
    if (strcmp(end, "refused") == 0)
        return N_("refused (the server's TCP answered the SYN with RST)");
    if (strcmp(end, "timed-out") == 0)
        return N_("timed out (the SYN was never answered)");
    if (strcmp(end, "no-route") == 0)
        return N_("no route to the server");
    if (strcmp(end, "aborted") == 0)
        return N_("aborted");
    return N_("still open at the end");
}

/* "2: <a@x> <b@x>"; texts that named no Message-ID are counted too:
 * "1, without a Message-ID". */
static char *id_list(GPtrArray *ids, guint anonymous, const char *lang)
{
    g_autofree char *n = num(ids->len + anonymous);
    GString *s = g_string_new(n);
    for (guint i = 0; i < ids->len; i++)
        g_string_append_printf(s, "%s %s", i == 0 ? ":" : "", (const char *) ids->pdata[i]);
    if (anonymous > 0 && ids->len == 0) {
        g_string_free(s, TRUE);
        return ms_report_format(lang, N_("{1}, without a Message-ID"), n, NULL);
    }
    if (anonymous > 0) {
        g_autofree char *a = num(anonymous);
        g_autofree char *without =
            ms_report_format(lang, N_("; {1} of them without a Message-ID"), a, NULL);
        g_string_append(s, without);
    }
    return g_string_free(s, FALSE);
}

static void append_exchange(GString *out, const MsSumExchange *e, const char *lang)
{
    g_string_append_printf(out, "\n  [%u] %s  %s:%u \u2192 %s:%u\n", e->id, e->protocol,
                           e->client, e->client_port, e->server, e->server_port);
    Rows rows;
    rows_init(&rows);
    rows_add(&rows, TR(lang, N_("opened by")),
             ms_report_format(lang, N_("{1}, the client"), e->client, NULL));
    rows_add(&rows, TR(lang, N_("mail moved")), moved_text(e, lang));
    if (g_ascii_strcasecmp(e->protocol, "HTTP") != 0 || (e->texts[0] == 0 && e->texts[1] == 0)) {
        rows_add(&rows, TR(lang, N_("messages")),
                 id_list(e->message_ids, e->anonymous, lang));
    } else {
        /* Web mail: no Message-ID on the wire, but the requests say what
         * moved: POST /send up (a push), a message page down (a pull). */
        g_autofree char *up = num(e->texts[0]);
        g_autofree char *down = num(e->texts[1]);
        rows_add(&rows, TR(lang, N_("messages")),
                 ms_report_format(lang, N_("{1} uploaded to the server (POST: a push), {2}"
                                           " fetched from it (GET: a pull)"), up, down, NULL));
    }
    if (e->http_responses > 0) {
        /* HTTP: one object per response, an attachment too. */
        g_autofree char *n = num(e->http_responses);
        g_autofree char *parts = num(e->http_parts);
        rows_add(&rows, TR(lang, N_("responses")),
                 ms_report_format(lang, e->http_parts > 0
                                            ? N_("{1}, one object each; {2} of them an"
                                                 " attachment, fetched with a GET of its own")
                                            : N_("{1}, one object (a page) each"),
                                  n, parts, NULL));
    } else if (e->multiparts > 0) {
        /* SMTP (and POP3, IMAP): all the parts inside one message. */
        g_autofree char *n = num(e->multiparts);
        g_autofree char *parts = num(e->most_parts);
        /* (the words are translated already: "en" only fills them in) */
        const char *words = ms_report_trn(lang, N_("{1} multipart message with {2} parts, every"
                                                   " part inside the message, in one transfer"),
                                          N_("{1} multipart messages, up to {2} parts each,"
                                             " every part inside its message, in one transfer"),
                                          e->multiparts);
        rows_add(&rows, TR(lang, N_("MIME parts")), ms_report_format("en", words, n, parts, NULL));
    }
    g_autofree char *rt = num(e->round_trips);
    /* A connection never made had no handshake to count: a RST took the
     * SYN's one round trip, a silent host none. */
    const char *rt_text = strcmp(e->end, "refused") == 0
                              ? N_("{1}; the SYN and the RST that refused it took 1")
                          : strcmp(e->end, "timed-out") == 0 || strcmp(e->end, "no-route") == 0
                              ? N_("{1}; no TCP handshake (no answer to the SYN)")
                              : N_("{1}, plus 1 for the TCP handshake");
    rows_add(&rows, TR(lang, N_("round trips")), ms_report_format(lang, rt_text, rt, NULL));
    g_autofree char *up = num(e->bytes[0]);
    g_autofree char *down = num(e->bytes[1]);
    rows_add(&rows, TR(lang, N_("bytes")),
             ms_report_format(lang, N_("{1} client → server, {2} server → client"
                                       " (application data)"),
                              up, down, NULL));
    if (e->closed >= 0) {
        g_autofree char *d = duration(e->closed - e->opened, lang);
        /* Both ends in the same form: the later one decides. */
        gboolean clock = e->closed > 10 * MS_SEC;
        g_autofree char *a = clock ? clock_time(e->opened) : ms(e->opened);
        g_autofree char *b = clock ? clock_time(e->closed) : ms(e->closed);
        rows_add(&rows, TR(lang, N_("duration")),
                 ms_report_format(lang, N_("{1} ({2} → {3}), {4}"), d, a, b,
                                  TR(lang, end_text(e->end)), NULL));
    } else {
        g_autofree char *a = ms(e->opened);
        rows_add(&rows, TR(lang, N_("duration")),
                 ms_report_format(lang, N_("from {1}, {2}"), a, TR(lang, end_text(e->end)),
                                  NULL));
    }
    rows_flush(&rows, out, NULL, 6);
}

/* ---- Messages -------------------------------------------------------------- */

static char *stage_label(const MsSumStage *st, const MsSumDelivery *d, const char *lang)
{
    if (strcmp(st->id, "submission") == 0)
        return ms_report_format(lang, N_("submission to the sender's mail server ({1})"),
                                st->where, NULL);
    if (strcmp(st->id, "queue") == 0) {
        g_autofree char *n = num(st->attempts);
        return ms_report_format(lang, N_("in the outgoing message queue of {1} (attempts: {2})"),
                                st->where, n, NULL);
    }
    if (strcmp(st->id, "relay") == 0)
        return ms_report_format(lang, N_("SMTP between the mail servers ({1})"), st->where,
                                NULL);
    if (strcmp(st->id, "mailbox") == 0)
        return ms_report_format(lang, N_("in the mailbox until the user agent checks"), NULL);
    return ms_report_format(lang, N_("retrieval by {1} ({2})"), d->agent,
                            d->protocol != NULL ? d->protocol : "?", NULL);
}

/* A delay cell: bare ms in a table of short delays, else with its unit
 * ("31.225 ms", "20 min"). */
static char *delay_cell(MsTime t, gboolean long_delays, const char *lang)
{
    return long_delays ? duration(t, lang) : ms(t);
}

static void append_stages(GString *out, const MsSumDelivery *d, const char *lang)
{
    guint n = d->stages->len;
    if (n == 0)
        return;
    /* The end to end delay is the longest: past 10 s, every delay of the
     * table carries its unit, and the column's head none. */
    const MsSumStage *head_stage = &g_array_index(d->stages, MsSumStage, 0);
    const MsSumStage *tail_stage = &g_array_index(d->stages, MsSumStage, n - 1);
    gboolean long_delays = tail_stage->to - head_stage->from > 10 * MS_SEC;
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < n; i++) {
        const MsSumStage *st = &g_array_index(d->stages, MsSumStage, i);
        g_ptr_array_add(cells, stage_label(st, d, lang));
        g_ptr_array_add(cells, moment(st->from));
        g_ptr_array_add(cells, moment(st->to));
        g_ptr_array_add(cells, delay_cell(st->to - st->from, long_delays, lang));
    }
    const MsSumStage *first = &g_array_index(d->stages, MsSumStage, 0);
    const MsSumStage *last = &g_array_index(d->stages, MsSumStage, n - 1);
    g_ptr_array_add(cells, g_strdup(TR(lang, d->seen >= 0 ? N_("end to end")
                                                          : N_("end to end (to the mailbox)"))));
    g_ptr_array_add(cells, moment(first->from));
    g_ptr_array_add(cells, moment(last->to));
    g_ptr_array_add(cells, delay_cell(last->to - first->from, long_delays, lang));

    const char *head[4] = { TR(lang, N_("stage")), TR(lang, N_("from")), TR(lang, N_("to")),
                            long_delays ? TR(lang, N_("delay")) : TR(lang, N_("delay (ms)")) };
    guint width[4];
    for (guint c = 0; c < 4; c++) {
        width[c] = ms_report_text_width(head[c]);
        for (guint i = c; i < cells->len; i += 4)
            width[c] = MAX(width[c], ms_report_text_width(cells->pdata[i]));
    }
    guint rows = cells->len / 4;
    for (guint r = 0; r <= rows; r++) {
        g_string_append(out, "      ");
        for (guint c = 0; c < 4; c++) {
            const char *cell = r == 0 ? head[c] : cells->pdata[(r - 1) * 4 + c];
            guint w = ms_report_text_width(cell);
            if (c == 0) {
                ms_report_append_padded(out, cell, width[0]);
            } else {
                for (guint k = w; k < width[c] + 2; k++)
                    g_string_append_c(out, ' ');
                g_string_append(out, cell);
            }
        }
        g_string_append_c(out, '\n');
    }
}

static void append_message(GString *out, const MsSumMessage *m, const char *lang)
{
    g_string_append_c(out, '\n');
    g_autofree char *title = NULL;
    if (m->from != NULL)
        title = ms_report_format(lang, N_("{1} from {2}, composed on {3}"), m->message_id,
                                 m->from, m->author != NULL ? m->author : "?", NULL);
    else if (m->author != NULL)
        title = ms_report_format(lang, N_("{1}, made by {2}"), m->message_id, m->author, NULL);
    else
        title = g_strdup(m->message_id);
    g_string_append_printf(out, "  %s\n", title);
    for (guint i = 0; i < m->events->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(m->events, i);
        g_autofree char *t = moment(r->time);
        g_autofree char *text = ms_report_event_text(r, lang);
        g_autofree char *line = g_strdup_printf("%s: %s", r->src != NULL ? r->src : "",
                                                text != NULL ? text : "");
        g_string_append_printf(out, "    %12s  ", t);
        ms_report_append_wrapped(out, line, 18, 20, WRAP_WIDTH);
        g_string_append_c(out, '\n');
    }
    for (guint i = 0; i < m->deliveries->len; i++) {
        const MsSumDelivery *d = g_ptr_array_index(m->deliveries, i);
        g_autofree char *head = NULL;
        if (d->seen >= 0)
            head = ms_report_format(lang, N_("to the mailbox {1} on {2}, first seen by {3}:"),
                                    d->mailbox, d->server, d->agent, NULL);
        else
            head = ms_report_format(lang, N_("to the mailbox {1} on {2}, not yet seen by the"
                                             " recipient's agent:"),
                                    d->mailbox, d->server, NULL);
        g_string_append_printf(out, "    %s\n", head);
        append_stages(out, d, lang);
    }
}

/* ---- End state --------------------------------------------------------------- */

static void append_containers(GString *out, FILE *file, GPtrArray *list, const char *title,
                              gboolean with_name, const char *lang)
{
    g_string_append_printf(out, "\n  %s\n", TR(lang, title));
    if (list->len == 0) {
        g_string_append_printf(out, "    %s\n", TR(lang, N_("(none)")));
        return;
    }
    /* Hosts in a column of their own, so that the names line up too. */
    guint host_width = 0;
    for (guint i = 0; with_name && i < list->len; i++) {
        guint w = ms_report_text_width(((const MsSumContainer *) g_ptr_array_index(list, i))->host);
        if (w <= LABEL_MAX / 2)
            host_width = MAX(host_width, w);
    }
    Rows rows;
    rows_init(&rows);
    for (guint i = 0; i < list->len; i++) {
        const MsSumContainer *c = g_ptr_array_index(list, i);
        g_autofree char *label = NULL;
        if (with_name) {
            GString *l = g_string_new(NULL);
            ms_report_append_padded(l, c->host, host_width);
            g_string_append(l, "  ");
            g_string_append(l, c->name);
            label = g_string_free(l, FALSE);
        } else {
            label = g_strdup(c->host);
        }
        g_autofree char *count = g_strdup_printf("%" G_GINT64_FORMAT, c->count);
        GString *v = g_string_new(NULL);
        g_autofree char *n = ms_report_format(lang, N_("messages: {1}"), count, NULL);
        g_string_append(v, n);
        /* The list only when it is known to be complete. */
        for (guint k = 0; c->ids->len == (guint64) c->count && k < c->ids->len; k++)
            g_string_append_printf(v, "%s %s", k == 0 ? "," : "", (const char *) c->ids->pdata[k]);
        rows_add(&rows, label, g_string_free(v, FALSE));
    }
    rows_flush(&rows, out, file, 4);
}

/* ---- Push vs pull -------------------------------------------------------------- */

typedef struct {
    const char *protocol;
    const char *connection; /* persistent or not */
    const char *objects;    /* one message vs one response per object */
    const char *dialogue;   /* commands and replies */
} Rule;

/* The lecture notes' comparison (SMTP 总结; 邮件访问协议). */
static const Rule rules[] = {
    { "SMTP", N_("persistent: one connection can carry several messages"),
      N_("one message: all its parts travel together in one multipart message"),
      N_("ASCII commands; replies with a 3-digit status code") },
    { "POP3", N_("one connection per session; every command of the session uses it"),
      N_("one response per message (RETR)"),
      N_("ASCII commands; replies +OK or -ERR") },
    { "IMAP", N_("one long session; the server keeps its state (folders, flags)"),
      N_("one FETCH response per message or part"),
      N_("tagged ASCII commands; tagged replies OK, NO or BAD") },
    { "HTTP", N_("persistent in HTTP/1.1, one connection per object in HTTP/1.0"),
      N_("each object in its own HTTP response"),
      N_("ASCII request line and headers; responses with a 3-digit status code") },
};

static const Rule *rule_of(const char *protocol)
{
    for (gsize i = 0; i < G_N_ELEMENTS(rules); i++) {
        if (g_ascii_strcasecmp(rules[i].protocol, protocol) == 0)
            return &rules[i];
    }
    return NULL;
}

GArray *ms_summary_group_exchanges(const MsSummary *s)
{
    GArray *groups = g_array_new(FALSE, TRUE, sizeof(MsSumGroup));
    for (guint i = 1; i < s->exchanges->len; i++) {
        const MsSumExchange *e = g_ptr_array_index(s->exchanges, i);
        if (e == NULL)
            continue;
        MsSumGroup *g = NULL;
        for (guint k = 0; k < groups->len && g == NULL; k++) {
            MsSumGroup *c = &g_array_index(groups, MsSumGroup, k);
            if (strcmp(c->protocol, e->protocol) == 0)
                g = c;
        }
        if (g == NULL) {
            MsSumGroup fresh = { e->protocol, g_ptr_array_new(), FALSE, FALSE, FALSE, 0, 0, 0,
                                 { 0, 0 }, 0, 0, 0, 0 };
            g_array_append_val(groups, fresh);
            g = &g_array_index(groups, MsSumGroup, groups->len - 1);
        }
        g_ptr_array_add(g->exchanges, (gpointer) e);
        g->away = g->away || e->moved == MS_MOVED_AWAY || e->moved == MS_MOVED_BOTH;
        g->toward = g->toward || e->moved == MS_MOVED_TOWARD || e->moved == MS_MOVED_BOTH;
        g->multipart = g->multipart || e->multipart;
        guint moved = MAX(e->texts[0], e->texts[1]);
        g->messages += moved;
        g->most_per_connection = MAX(g->most_per_connection, moved);
        g->round_trips += e->round_trips;
        g->bytes[0] += e->bytes[0];
        g->bytes[1] += e->bytes[1];
        g->http_responses += e->http_responses;
        g->http_parts += e->http_parts;
        g->multiparts += e->multiparts;
        g->most_parts = MAX(g->most_parts, e->most_parts);
    }
    return groups;
}

void ms_summary_groups_free(GArray *groups)
{
    for (guint i = 0; i < groups->len; i++)
        g_ptr_array_unref(g_array_index(groups, MsSumGroup, i).exchanges);
    g_array_unref(groups);
}

/* "SMTP [1] [3]-[7]": runs of consecutive connections collapse into a
 * range, so a long run's label stays one short line. */
static char *group_label(const MsSumGroup *g)
{
    GString *s = g_string_new(g->protocol);
    for (guint i = 0; i < g->exchanges->len;) {
        guint first = ((const MsSumExchange *) g->exchanges->pdata[i])->id;
        guint k = i;
        while (k + 1 < g->exchanges->len &&
               ((const MsSumExchange *) g->exchanges->pdata[k + 1])->id ==
                   ((const MsSumExchange *) g->exchanges->pdata[k])->id + 1)
            k++;
        guint last = ((const MsSumExchange *) g->exchanges->pdata[k])->id;
        if (k >= i + 2)
            g_string_append_printf(s, " [%u]-[%u]", first, last);
        else
            for (guint j = i; j <= k; j++)
                g_string_append_printf(s, " [%u]",
                                       ((const MsSumExchange *) g->exchanges->pdata[j])->id);
        i = k + 1;
    }
    return g_string_free(s, FALSE);
}

/* The connections of a group on which mail moved away from (or toward)
 * the opener: "[1] [4]". */
static char *moved_ids(const MsSumGroup *g, gboolean away)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < g->exchanges->len; i++) {
        const MsSumExchange *e = g->exchanges->pdata[i];
        if (e->texts[away ? 0 : 1] > 0)
            g_string_append_printf(s, "%s[%u]", s->len > 0 ? " " : "", e->id);
    }
    return g_string_free(s, FALSE);
}

char *ms_summary_openers(const MsSumGroup *g)
{
    GString *s = g_string_new(NULL);
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < g->exchanges->len; i++) {
        const MsSumExchange *e = g->exchanges->pdata[i];
        if (!g_hash_table_add(seen, (gpointer) e->client))
            continue;
        g_string_append_printf(s, "%s%s", s->len > 0 ? ", " : "", e->client);
    }
    return g_string_free(s, FALSE);
}

/* "One message, or one response per object", with this run's counts:
 * how many HTTP responses, how many of them one part of a message each;
 * how many multipart messages SMTP carried whole (transfer full). */
static char *objects_value(const MsSumGroup *g, const Rule *rule, const char *lang)
{
    if (rule == NULL)
        return g_strdup("-");
    gboolean smtp = strcmp(rule->protocol, "SMTP") == 0;
    if (smtp && !g->multipart)
        return g_strdup(TR(lang, N_("one message: header and body in one transfer (no"
                                    " multipart message in this run)")));
    if (smtp) {
        g_autofree char *n = num(g->multiparts);
        g_autofree char *parts = num(g->most_parts);
        const char *words = ms_report_trn(lang, N_("{1} (this run: {2} multipart message"
                                                   " transfer with {3} parts, every part inside"
                                                   " the one message)"),
                                          N_("{1} (this run: {2} multipart message transfers,"
                                             " up to {3} parts each, every part inside the one"
                                             " message)"),
                                          g->multiparts);
        return ms_report_format("en", words, TR(lang, rule->objects), n, parts, NULL);
    }
    if (strcmp(rule->protocol, "HTTP") == 0 && g->http_responses > 0) {
        g_autofree char *n = num(g->http_responses);
        g_autofree char *parts = num(g->http_parts);
        const char *fmt = g->http_parts > 0
                              ? N_("{1} (this run: {2} responses; {3} of them an attachment,"
                                   " each fetched with a GET of its own)")
                              : N_("{1} (this run: {2} responses, each one page; no"
                                   " attachment fetched)");
        return ms_report_format(lang, fmt, TR(lang, rule->objects), n, parts, NULL);
    }
    return g_strdup(TR(lang, rule->objects));
}

static void append_push_pull(GString *out, FILE *file, const MsSummary *s, const char *lang)
{
    GArray *groups = ms_summary_group_exchanges(s);
    if (groups->len == 0) {
        g_string_append_printf(out, "  %s\n", TR(lang, N_("(no exchanges)")));
        ms_summary_groups_free(groups);
        return;
    }
    static const char *const aspects[] = {
        N_("Who opens the TCP connection"), N_("Which way the mail moves"),
        N_("Persistent connection or not"), N_("One message, or one response per object"),
        N_("Commands and replies"), N_("Round trips and bytes in this run"),
    };
    for (gsize a = 0; a < G_N_ELEMENTS(aspects); a++) {
        g_string_append_printf(out, "\n  %s\n", TR(lang, aspects[a]));
        Rows rows;
        rows_init(&rows);
        for (guint i = 0; i < groups->len; i++) {
            const MsSumGroup *g = &g_array_index(groups, MsSumGroup, i);
            const Rule *rule = rule_of(g->protocol);
            g_autofree char *label = group_label(g);
            char *value = NULL;
            if (a == 0) {
                g_autofree char *who = ms_summary_openers(g);
                const char *role = g->away && !g->toward   ? N_("the machine that sends the mail: {1}")
                                   : g->toward && !g->away ? N_("the machine that wants the mail: {1}")
                                                           : N_("the client: {1}");
                value = ms_report_format(lang, role, who, NULL);
            } else if (a == 1) {
                const char *dir = g->away && !g->toward   ? N_("away from the opener: a push protocol")
                                  : g->toward && !g->away ? N_("toward the opener: a pull protocol")
                                  : g->away               ? NULL
                                                          : N_("no message moved in this run");
                if (dir != NULL) {
                    value = g_strdup(TR(lang, dir));
                } else {
                    /* Web mail both ways: each upload is a push toward the
                     * server, each message fetched a pull. */
                    g_autofree char *up = moved_ids(g, TRUE);
                    g_autofree char *down = moved_ids(g, FALSE);
                    value = ms_report_format(lang, N_("both ways: away from the opener (a push)"
                                                      " on {1}, toward it (a pull) on {2}"),
                                             up, down, NULL);
                }
            } else if (a == 2) {
                g_autofree char *m = num(g->most_per_connection);
                g_autofree char *c = num(g->exchanges->len);
                /* Said as it happened: a connection that carried one
                 * message shows nothing of persistence. */
                const char *fmt = g->most_per_connection > 1
                                      ? N_("{1} (this run: connections {2}, messages per"
                                           " connection at most {3})")
                                      : N_("{1} (this run: connections {2}, none carried more"
                                           " than one message)");
                value = ms_report_format(lang, fmt,
                                         rule != NULL ? TR(lang, rule->connection) : "-", c, m,
                                         NULL);
            } else if (a == 3) {
                value = objects_value(g, rule, lang);
            } else if (a == 4) {
                value = g_strdup(rule != NULL ? TR(lang, rule->dialogue) : "-");
            } else {
                g_autofree char *rt = num(g->round_trips);
                g_autofree char *up = num(g->bytes[0]);
                g_autofree char *down = num(g->bytes[1]);
                value = ms_report_format(lang, N_("round trips {1}; bytes {2} client → server,"
                                                  " {3} server → client"),
                                         rt, up, down, NULL);
            }
            rows_add(&rows, label, value);
        }
        rows_flush(&rows, out, file, 4);
    }
    ms_summary_groups_free(groups);
}

/* Appends the summary to `out`; with `file` non-NULL, `out` is written to it
 * block by block, as the transcripts are (a run of 10^5 messages has a
 * summary of hundreds of megabytes). */
static void summary_write(GString *out, FILE *file, const MsSummary *s,
                          const MsReportOptions *options)
{
    const char *lang = options->lang;
    g_autofree char *title = ms_report_format(lang, N_("Summary: {1}"),
                                              ms_report_scenario_title(options, lang), NULL);
    g_autofree char *seed = num(options->seed);
    g_autofree char *scenario = ms_report_format(lang, N_("Scenario file: {1}, seed {2}"),
                                                 options->scenario_file, seed, NULL);
    g_string_append_printf(out, "%s\n%s\n%s\n", title, scenario,
                           TR(lang, N_("Times: simulated ms since the start; past 10 s, min:s or"
                                       " h:min:s (durations in s, min or h).")));

    heading(out, TR(lang, N_("Exchanges (one per TCP connection)")));
    guint exchanges = 0;
    for (guint i = 1; i < s->exchanges->len; i++) {
        const MsSumExchange *e = g_ptr_array_index(s->exchanges, i);
        if (e != NULL) {
            append_exchange(out, e, lang);
            ms_report_flush(out, file);
            exchanges++;
        }
    }
    if (exchanges == 0)
        g_string_append_printf(out, "  %s\n", TR(lang, N_("(no exchanges)")));

    heading(out, TR(lang, N_("Messages, and where their delay went")));
    for (guint i = 0; i < s->messages->len; i++) {
        append_message(out, g_ptr_array_index(s->messages, i), lang);
        ms_report_flush(out, file);
    }
    if (s->messages->len == 0)
        g_string_append_printf(out, "  %s\n", TR(lang, N_("(no messages)")));

    heading(out, TR(lang, N_("End state")));
    append_containers(out, file, s->mailboxes, N_("Mailboxes"), TRUE, lang);
    append_containers(out, file, s->queues, N_("Outgoing message queues"), FALSE, lang);
    append_containers(out, file, s->stores, N_("Copies kept by user agents"), TRUE, lang);
    if (!s->from_state)
        g_string_append_printf(out, "\n  %s\n",
                               TR(lang, N_("(from the changes seen in the run: mailboxes and"
                                           " queues that never changed are not listed)")));

    heading(out, TR(lang, N_("Push vs pull (SMTP is a push protocol; POP3, IMAP and HTTP"
                             " retrieval pull)")));
    append_push_pull(out, file, s, lang);
}

/* ---- Public entry points ---------------------------------------------------------- */

char *ms_report_summary(const MsTrace *trace, const MsReportOptions *options)
{
    g_autoptr(MsSummary) s = ms_summary_build(trace);
    return ms_summary_to_text(s, options);
}

char *ms_summary_to_text(const MsSummary *s, const MsReportOptions *options)
{
    GString *out = g_string_new(NULL);
    ms_summary_write(out, NULL, s, options);
    return g_string_free(out, FALSE);
}

void ms_summary_write(GString *out, FILE *file, const MsSummary *s,
                      const MsReportOptions *options)
{
    ms_report_lang_enter(options->lang);
    summary_write(out, file, s, options);
    ms_report_lang_leave(options->lang);
}
