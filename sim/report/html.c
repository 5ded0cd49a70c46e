/* html.c - report.html: the run as one page that steps through it in a
 * browser.  The page is a template (sim/report/html/report.html) with
 * slots filled here: the style and the script (built in from the same
 * folder), the trace as trace.json has it (its records packed, a third of
 * the size: json_writer.c), and what only the C side
 * knows: the diagram (its SVG in both languages, or for a long run its
 * model, which the page draws itself: html_model.c), which arrow draws which
 * record, and the words of the notes, phases and events in English and
 * Chinese from the gettext catalogue.
 *
 * A long run's page covers its beginning only, its first
 * options->html_lines protocol lines, cut at an instant (the window):
 * everything the page carries is built from the records before that
 * instant and never looks past them, so the page's size and the time to
 * write it are bounded by the window, not by the run.
 *
 * Data goes into <script type="application/json"> elements: every '<' in
 * it is written as \u003c (only strings can hold one), so no text of the
 * trace can end the element or open markup.
 */
#include "mailsim/html.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/diagram-private.h"
#include "report/html-private.h"
#include "report/report-private.h"

/* scripts/embed.c writes these from sim/report/html/ (build/gen/). */
extern const char ms_html_template[];
extern const unsigned long ms_html_template_len;
extern const char ms_html_css[];
extern const unsigned long ms_html_css_len;
extern const char ms_html_js[];
extern const unsigned long ms_html_js_len;
extern const char ms_html_model_js[];
extern const unsigned long ms_html_model_js_len;

static const char *const page_langs[] = { "en", "zh" };

/* The part of the run the page covers: the records before `until`, a
 * prefix of the trace (its records are in time order). */
typedef struct {
    guint64 records;      /* how many records */
    guint64 lines;        /* protocol lines among them */
    guint64 total_lines;  /* protocol lines of the whole run */
    MsTime until;         /* MS_TIME_NEVER: the whole run */
} Window;

/* The window of at most max_lines lines (0: the whole run), cut at the
 * send time of the first line left out, so that every record before that
 * instant is in and none after.  If the first max_lines + 1 lines share
 * one instant, that instant is taken in whole rather than nothing. */
static void find_window(const MsTrace *trace, guint64 max_lines, Window *w)
{
    guint64 n = ms_trace_length(trace), lines = 0, cut = n;
    MsTraceRecord buf;
    for (guint64 i = 0; i < n; i++) {
        if (ms_trace_get(trace, i, &buf)->kind != MS_TRACE_LINE)
            continue;
        if (max_lines > 0 && lines == max_lines)
            cut = i; /* the first line left out */
        lines++;
    }
    w->records = n;
    w->lines = w->total_lines = lines;
    w->until = MS_TIME_NEVER;
    if (cut == n)
        return;
    /* Back to the first record of the cut's instant... */
    MsTime at = ms_trace_get(trace, cut, &buf)->time;
    guint64 j = cut, kept = max_lines;
    while (j > 0 && ms_trace_get(trace, j - 1, &buf)->time >= at) {
        j--;
        kept -= ms_trace_get(trace, j, &buf)->kind == MS_TRACE_LINE;
    }
    if (kept == 0) {
        /* ...or, when that leaves no line, on past the instant. */
        kept = max_lines;
        for (j = cut; j < n && ms_trace_get(trace, j, &buf)->time <= at; j++)
            kept += ms_trace_get(trace, j, &buf)->kind == MS_TRACE_LINE;
        if (j == n)
            return;
    }
    w->records = j;
    w->lines = kept;
    w->until = ms_trace_get(trace, j, &buf)->time;
}

/* Appends JSON text made safe inside a <script> element. */
static void append_script_json(GString *out, const char *json, gsize len)
{
    const char *p = json, *end = json + len;
    while (p < end) {
        const char *lt = memchr(p, '<', (gsize) (end - p));
        if (lt == NULL) {
            g_string_append_len(out, p, end - p);
            break;
        }
        g_string_append_len(out, p, lt - p);
        g_string_append(out, "\\u003c");
        p = lt + 1;
    }
}

/* The diagram's colours as CSS custom properties ("--flow-push",
 * "--flow-push-text", "--flow-push-band", "--flow-push-band-edge", ...,
 * "--lost", "--lifeline"): the page draws a long run's diagram, the legend
 * and the summary with them, so every output has the colours of one table
 * (diagram_colours.c). */
static void append_colours(GString *out)
{
    g_string_append(out, ":root {");
    for (int f = 0; f < MS_DIAGRAM_N_FLOWS; f++) {
        const MsDgFlowColours *c = &ms_dg_flow_colours[f];
        const char *name = ms_diagram_flow_name((MsDiagramFlow) f);
        g_string_append_printf(out, " --flow-%s: %s; --flow-%s-text: %s;", name, c->line, name,
                               c->text);
        g_string_append_printf(out, " --flow-%s-band: %s; --flow-%s-band-edge: %s;", name,
                               c->band_fill, name, c->band_edge);
    }
    g_string_append(out, " --lost: " MS_DG_LOST_COLOUR "; --lifeline: " MS_DG_LIFELINE_COLOUR
                         "; }");
}

/* One page of the diagram as SVG text, from its <svg> element on (the XML
 * prolog and doctype have no place inside HTML). */
static char *render_svg(const MsDiagram *d, guint page, GError **error)
{
    g_autofree char *tmp = NULL;
    int fd = g_file_open_tmp("mailsim-report-XXXXXX.svg", &tmp, error);
    if (fd < 0)
        return NULL;
    close(fd);
    char *text = NULL;
    gsize len = 0;
    gboolean ok = ms_diagram_render(d, page, MS_DIAGRAM_SVG, tmp, error) &&
                  g_file_get_contents(tmp, &text, &len, error);
    g_unlink(tmp);
    if (!ok)
        return NULL;
    char *svg = strstr(text, "<svg");
    if (svg == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "the diagram's SVG has no <svg> element");
        g_free(text);
        return NULL;
    }
    memmove(text, svg, strlen(svg) + 1);
    return text;
}

/* "arrows": per arrow of the diagram, [record id, kind, lines it stands
 * for, page, flow]; kind 0 a line, 1 a segment, 2 elided body lines; flow
 * 0 other, 1 push, 2 pull, 3 TCP (MsDiagramFlow). */
static void add_arrows(JsonBuilder *b, const MsDiagram *d)
{
    json_builder_set_member_name(b, "arrows");
    json_builder_begin_array(b);
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        json_builder_begin_array(b);
        json_builder_add_int_value(b, (gint64) a->record->id);
        json_builder_add_int_value(b, a->kind == MS_DIAGRAM_ARROW_LINE      ? 0
                                      : a->kind == MS_DIAGRAM_ARROW_SEGMENT ? 1
                                                                            : 2);
        json_builder_add_int_value(b, a->kind == MS_DIAGRAM_ARROW_ELIDED ? a->elided : 1);
        json_builder_add_int_value(b, a->page);
        json_builder_add_int_value(b, a->flow);
        json_builder_end_array(b);
    }
    json_builder_end_array(b);
}

/* The diagram: "svg": {lang: [the SVG of each page]} while it is small,
 * else "model" (html_model.c), which the page draws itself; and the arrows
 * of the diagram (the same in both languages). */
static gboolean add_diagram(JsonBuilder *b, const MsTrace *trace, const MsReportOptions *options,
                            const MsDiagramOptions *dopt, const Window *w, GError **error)
{
    MsDiagram *d[G_N_ELEMENTS(page_langs)] = { NULL };
    for (gsize l = 0; l < G_N_ELEMENTS(page_langs); l++) {
        MsDiagramOptions o = *dopt;
        o.lang = page_langs[l];
        o.records = w->records;
        d[l] = ms_diagram_new(trace, options, &o);
    }
    gboolean ok = TRUE;
    /* MAILSIM_HTML_SVG_MAX_ARROWS moves the threshold (tests draw short runs
     * from the model too). */
    guint64 max = MS_HTML_SVG_MAX_ARROWS;
    const char *env = g_getenv("MAILSIM_HTML_SVG_MAX_ARROWS");
    if (env != NULL && *env != '\0')
        max = g_ascii_strtoull(env, NULL, 10);
    if (ms_diagram_n_arrows(d[0]) > max) {
        ms_report_html_model(b, d[0], d[1]);
    } else {
        json_builder_set_member_name(b, "svg");
        json_builder_begin_object(b);
        for (gsize l = 0; ok && l < G_N_ELEMENTS(page_langs); l++) {
            json_builder_set_member_name(b, page_langs[l]);
            json_builder_begin_array(b);
            for (guint p = 0; ok && p < ms_diagram_n_pages(d[l]); p++) {
                g_autofree char *svg = render_svg(d[l], p, error);
                ok = svg != NULL;
                if (ok)
                    json_builder_add_string_value(b, svg);
            }
            json_builder_end_array(b);
        }
        json_builder_end_object(b);
    }
    if (ok)
        add_arrows(b, d[0]);
    for (gsize l = 0; l < G_N_ELEMENTS(page_langs); l++)
        ms_diagram_free(d[l]);
    return ok;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* {key: [english, chinese]} for the note and phase keys the lines use. */
static void add_words(JsonBuilder *b, const char *member, GHashTable *keys,
                      const char *(*text)(const char *key, const char *lang))
{
    guint n = 0;
    g_autofree gpointer *sorted = g_hash_table_get_keys_as_array(keys, &n);
    qsort(sorted, n, sizeof *sorted, compare_strings);
    json_builder_set_member_name(b, member);
    json_builder_begin_object(b);
    for (guint i = 0; i < n; i++) {
        const char *key = sorted[i];
        const char *en = text(key, "en");
        if (en == NULL)
            continue;
        json_builder_set_member_name(b, key);
        json_builder_begin_array(b);
        json_builder_add_string_value(b, en);
        json_builder_add_string_value(b, text(key, "zh"));
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

/* Every word the page shows that the C side knows: annotations and phases
 * by key, and each event record's sentence in Chinese (the English one is
 * its detail). */
static void add_texts(JsonBuilder *b, const MsTrace *trace, guint64 n)
{
    g_autoptr(GHashTable) notes = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) phases = g_hash_table_new(g_str_hash, g_str_equal);
    MsTraceRecord buf;
    ms_report_lang_enter("zh");
    json_builder_set_member_name(b, "events_zh");
    json_builder_begin_object(b);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind == MS_TRACE_LINE) {
            if (r->note != NULL)
                g_hash_table_add(notes, (gpointer) r->note);
            if (r->phase != NULL)
                g_hash_table_add(phases, (gpointer) r->phase);
            continue;
        }
        if (r->detail == NULL)
            continue;
        g_autofree char *zh = ms_report_event_text(r, "zh");
        if (zh == NULL)
            continue;
        char id[24];
        g_snprintf(id, sizeof id, "%" G_GUINT64_FORMAT, r->id);
        json_builder_set_member_name(b, id);
        json_builder_add_string_value(b, zh);
    }
    json_builder_end_object(b);
    /* Each event's label (labels.c) in both languages: {id: [en, zh]}. */
    json_builder_set_member_name(b, "labels");
    json_builder_begin_object(b);
    for (guint64 i = 0; i < n; i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i, &buf);
        if (r->kind == MS_TRACE_LINE || r->detail == NULL)
            continue;
        g_autofree char *en = ms_report_record_label(r, "en");
        g_autofree char *zh = ms_report_record_label(r, "zh");
        char id[24];
        g_snprintf(id, sizeof id, "%" G_GUINT64_FORMAT, r->id);
        json_builder_set_member_name(b, id);
        json_builder_begin_array(b);
        json_builder_add_string_value(b, en);
        json_builder_add_string_value(b, zh);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    add_words(b, "notes", notes, ms_report_note_text);
    add_words(b, "phases", phases, ms_report_phase_text);
    ms_report_lang_leave("zh");
}

/* "window": what part of the run the page covers, when not all of it:
 * {"lines": shown, "total": the run's, "until_ns": the instant of the cut}. */
static void add_window(JsonBuilder *b, const Window *w)
{
    if (w->until == MS_TIME_NEVER)
        return;
    json_builder_set_member_name(b, "window");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "lines");
    json_builder_add_int_value(b, (gint64) w->lines);
    json_builder_set_member_name(b, "total");
    json_builder_add_int_value(b, (gint64) w->total_lines);
    json_builder_set_member_name(b, "until_ns");
    json_builder_add_int_value(b, w->until);
    json_builder_end_object(b);
}

static char *page_json(const MsTrace *trace, const MsReportOptions *options,
                       const MsDiagramOptions *dopt, const Window *w, gsize *len_out,
                       GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "lang");
    json_builder_add_string_value(b, ms_report_lang_is_zh(options->lang) ? "zh" : "en");
    add_window(b, w);
    if (!add_diagram(b, trace, options, dopt, w, error))
        return NULL;
    add_texts(b, trace, w->records);
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, len_out);
}

char *ms_report_html(const MsTrace *trace, const MsReportOptions *options,
                     const MsDiagramOptions *diagram, gsize *len_out, GError **error)
{
    gsize page_len = 0, trace_len = 0;
    Window w = { 0 };
    find_window(trace, options->html_lines, &w);
    g_autofree char *page = page_json(trace, options, diagram, &w, &page_len, error);
    if (page == NULL)
        return NULL;
    g_autofree char *json = ms_report_json_packed_n(trace, w.records, options, &trace_len);
    const char *lang = ms_report_lang_is_zh(options->lang) ? "zh" : "en";
    const char *name = ms_report_scenario_title(options, lang);
    g_autofree char *title = g_markup_escape_text(name != NULL ? name : "mailsim", -1);

    /* The template's slots, each "{{NAME}}" once. */
    GString *out = g_string_sized_new(ms_html_template_len + ms_html_css_len + ms_html_js_len +
                                      ms_html_model_js_len +
                                      page_len + trace_len + 1024);
    const char *p = ms_html_template;
    for (;;) {
        const char *open = strstr(p, "{{");
        const char *close = open != NULL ? strstr(open, "}}") : NULL;
        if (close == NULL) {
            g_string_append(out, p);
            break;
        }
        g_string_append_len(out, p, open - p);
        g_autofree char *slot = g_strndup(open + 2, (gsize) (close - open - 2));
        if (strcmp(slot, "LANG") == 0)
            g_string_append(out, lang);
        else if (strcmp(slot, "TITLE") == 0)
            g_string_append(out, title);
        else if (strcmp(slot, "COLOURS") == 0)
            append_colours(out);
        else if (strcmp(slot, "CSS") == 0)
            g_string_append_len(out, ms_html_css, (gssize) ms_html_css_len);
        else if (strcmp(slot, "JS") == 0)
            g_string_append_len(out, ms_html_js, (gssize) ms_html_js_len);
        else if (strcmp(slot, "MODEL_JS") == 0)
            g_string_append_len(out, ms_html_model_js, (gssize) ms_html_model_js_len);
        else if (strcmp(slot, "TRACE") == 0)
            append_script_json(out, json, trace_len);
        else if (strcmp(slot, "PAGE") == 0)
            append_script_json(out, page, page_len);
        else
            g_assert_not_reached(); /* a slot the template should not have */
        p = close + 2;
    }
    if (len_out != NULL)
        *len_out = out->len;
    return g_string_free(out, FALSE);
}
