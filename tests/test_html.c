/* test_html.c - report.html as the program writes it: one file that loads
 * nothing, carries the run's trace.json (its records packed, which unpack
 * to trace.json's exactly), the diagram in both languages with an id on
 * every arrow (a long run's as its model), and the words of every note and
 * phase the run uses in English and Chinese.  What the page does with them
 * is tested in a browser (test_report_browser.py).
 */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mailsim/diagram.h"
#include "mailsim/html.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"
#include "testutil.h"

typedef struct {
    MsScenario *scenario;
    MsWorld *world;
    MsReportOptions options;
    MsDiagramOptions dopt;
} Run;

static gboolean run_file(const char *path, const char *lang, Run *run)
{
    g_autoptr(GError) error = NULL;
    memset(run, 0, sizeof *run);
    run->scenario = ms_scenario_parse_file(path, &error);
    if (run->scenario == NULL)
        return FALSE;
    run->world = ms_world_new(run->scenario, run->scenario->seed, &error);
    if (run->world == NULL || !ms_world_run(run->world, MS_TIME_NEVER, &error))
        return FALSE;
    ms_report_options_init(&run->options);
    run->options.scenario_name = run->scenario->name;
    run->options.scenario_name_zh = run->scenario->name_zh;
    run->options.scenario_file = path;
    run->options.seed = run->scenario->seed;
    run->options.lang = lang;
    ms_diagram_options_init(&run->dopt);
    return TRUE;
}

static void run_clear(Run *run)
{
    g_clear_pointer(&run->world, ms_world_free);
    g_clear_pointer(&run->scenario, ms_scenario_free);
}

/* The text of <script type="application/json" id="ID"> (transfer full). */
static char *data_block(const char *html, const char *id)
{
    g_autofree char *open = g_strdup_printf("<script type=\"application/json\" id=\"%s\">", id);
    const char *start = strstr(html, open);
    if (start == NULL)
        return NULL;
    start += strlen(open);
    const char *end = strstr(start, "</script>");
    return end != NULL ? g_strndup(start, (gsize) (end - start)) : NULL;
}

/* The records of packed rows, as report.js unpacks them: a new array of
 * objects (transfer full). */
static JsonArray *unpack(JsonObject *packed)
{
    JsonArray *rows = json_object_get_array_member(packed, "rows");
    JsonArray *shapes = json_object_get_array_member(packed, "shapes");
    JsonArray *strings = json_object_get_array_member(packed, "strings");
    JsonArray *out = json_array_new();
    for (guint i = 0; i < json_array_get_length(rows); i++) {
        JsonArray *row = json_array_get_array_element(rows, i);
        guint n = json_array_get_length(row);
        JsonArray *shape =
            json_array_get_array_element(shapes, (guint) json_array_get_int_element(row, n - 1));
        JsonArray *names = json_array_get_array_element(shape, 0);
        const char *types = json_array_get_string_element(shape, 1);
        CU_ASSERT_EQUAL_FATAL(json_array_get_length(names), n - 1);
        CU_ASSERT_EQUAL_FATAL(strlen(types), n - 1);
        JsonObject *r = json_object_new();
        for (guint k = 0; k + 1 < n; k++) {
            JsonNode *v = json_array_dup_element(row, k);
            if (types[k] == 's') {
                gint64 at = json_node_get_int(v);
                json_node_unref(v);
                v = json_array_dup_element(strings, (guint) at);
            }
            json_object_set_member(r, json_array_get_string_element(names, k), v);
        }
        json_array_add_object_element(out, r);
    }
    return out;
}

static void html_embeds_trace_and_loads_nothing(void)
{
    Run run;
    CU_ASSERT_FATAL(run_file("scenarios/smtp-basic.mss", "en", &run));
    MsTrace *trace = ms_world_trace(run.world);
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    g_autofree char *html = ms_report_html(trace, &run.options, &run.dopt, &len, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT_EQUAL(strlen(html), len);
    CU_ASSERT(g_str_has_prefix(html, "<!DOCTYPE html>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<html lang=\"en\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<title>Alice sends Bob a message - mailsim</title>"));

    /* The trace block is trace.json: every member the same, the records
     * once unpacked too, member for member in the same order; no '<'. */
    g_autofree char *json = ms_report_json(trace, &run.options, NULL);
    g_autofree char *got = data_block(html, "ms-trace");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_PTR_NULL(strchr(got, '<'));
    CU_ASSERT(strlen(got) * 2 < strlen(json)); /* packed: well under half */
    g_autoptr(JsonParser) pw = json_parser_new();
    g_autoptr(JsonParser) pg = json_parser_new();
    CU_ASSERT_FATAL(json_parser_load_from_data(pw, json, -1, NULL));
    CU_ASSERT_FATAL(json_parser_load_from_data(pg, got, -1, NULL));
    JsonObject *want_o = json_node_get_object(json_parser_get_root(pw));
    JsonObject *got_o = json_node_get_object(json_parser_get_root(pg));
    g_autoptr(GList) members = json_object_get_members(want_o);
    CU_ASSERT_EQUAL(json_object_get_size(got_o), g_list_length(members));
    for (GList *m = members; m != NULL; m = m->next) {
        if (strcmp(m->data, "records") == 0)
            continue;
        CU_ASSERT(json_node_equal(json_object_get_member(want_o, m->data),
                                  json_object_get_member(got_o, m->data)));
    }
    JsonArray *want_r = json_object_get_array_member(want_o, "records");
    g_autoptr(JsonArray) got_r = unpack(json_object_get_object_member(got_o, "records"));
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(got_r), json_array_get_length(want_r));
    for (guint i = 0; i < json_array_get_length(want_r); i++) {
        JsonObject *a = json_array_get_object_element(want_r, i);
        JsonObject *b = json_array_get_object_element(got_r, i);
        CU_ASSERT_FATAL(json_node_equal(json_array_get_element(want_r, i),
                                        json_array_get_element(got_r, i)));
        g_autoptr(GList) ma = json_object_get_members(a);
        g_autoptr(GList) mb = json_object_get_members(b);
        for (GList *x = ma, *y = mb; x != NULL && y != NULL; x = x->next, y = y->next)
            CU_ASSERT_STRING_EQUAL(x->data, y->data);
    }

    /* Nothing to fetch: no external script, style, font or image, and a
     * policy that forbids any. */
    static const char *const external[] = { "<script src", "<link", "@import", "url(http",
                                            "src=\"http", "href=\"http", "<iframe" };
    for (gsize i = 0; i < G_N_ELEMENTS(external); i++)
        CU_ASSERT_PTR_NULL(strstr(html, external[i]));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'"));
    /* Four script elements: two data blocks, the two scripts, no other. */
    guint scripts = 0;
    for (const char *p = html; (p = strstr(p, "<script")) != NULL; p++)
        scripts++;
    CU_ASSERT_EQUAL(scripts, 4);
    run_clear(&run);
}

static void html_page_data_has_both_languages(void)
{
    Run run;
    CU_ASSERT_FATAL(run_file("scenarios/pop3-basic.mss", "zh", &run));
    MsTrace *trace = ms_world_trace(run.world);
    g_autoptr(GError) error = NULL;
    g_autofree char *html = ms_report_html(trace, &run.options, &run.dopt, NULL, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<html lang=\"zh\">"));
    g_autofree char *page = data_block(html, "ms-page");
    CU_ASSERT_PTR_NOT_NULL_FATAL(page);
    CU_ASSERT_PTR_NULL(strchr(page, '<'));
    g_autoptr(JsonParser) parser = json_parser_new();
    CU_ASSERT_FATAL(json_parser_load_from_data(parser, page, -1, &error));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    CU_ASSERT_STRING_EQUAL(json_object_get_string_member(o, "lang"), "zh");

    /* One SVG per page in each language, with an id on every arrow. */
    g_autoptr(MsDiagram) d = ms_diagram_new(trace, &run.options, &run.dopt);
    JsonArray *arrows = json_object_get_array_member(o, "arrows");
    CU_ASSERT_EQUAL(json_array_get_length(arrows), ms_diagram_n_arrows(d));
    JsonObject *svg = json_object_get_object_member(o, "svg");
    const char *langs[] = { "en", "zh" };
    for (gsize l = 0; l < 2; l++) {
        JsonArray *pages = json_object_get_array_member(svg, langs[l]);
        CU_ASSERT_EQUAL_FATAL(json_array_get_length(pages), ms_diagram_n_pages(d));
        const char *first = json_array_get_string_element(pages, 0);
        CU_ASSERT(g_str_has_prefix(first, "<svg"));
        for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
            char id[32];
            g_snprintf(id, sizeof id, "id=\"a%u\"", i);
            CU_ASSERT_PTR_NOT_NULL(strstr(first, id));
            g_snprintf(id, sizeof id, "id=\"al%u\"", i);
            CU_ASSERT_PTR_NOT_NULL(strstr(first, id));
        }
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(json_array_get_string_element(
                                      json_object_get_array_member(svg, "zh"), 0), "用户代理"));

    /* Every note and phase key of the run's lines, in both languages, the
     * Chinese one translated. */
    JsonObject *notes = json_object_get_object_member(o, "notes");
    JsonObject *phases = json_object_get_object_member(o, "phases");
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE)
            continue;
        CU_ASSERT_FATAL(json_object_has_member(notes, r->note));
        CU_ASSERT_FATAL(json_object_has_member(phases, r->phase));
        JsonArray *w = json_object_get_array_member(notes, r->note);
        CU_ASSERT_STRING_NOT_EQUAL(json_array_get_string_element(w, 0),
                                   json_array_get_string_element(w, 1));
        w = json_object_get_array_member(phases, r->phase);
        CU_ASSERT_STRING_NOT_EQUAL(json_array_get_string_element(w, 0),
                                   json_array_get_string_element(w, 1));
    }
    /* Event sentences in Chinese, by record id. */
    JsonObject *events = json_object_get_object_member(o, "events_zh");
    CU_ASSERT(json_object_get_size(events) > 0);
    run_clear(&run);
}

static void html_same_run_same_bytes(void)
{
    Run a, b;
    CU_ASSERT_FATAL(run_file("scenarios/imap-folders.mss", "en", &a));
    CU_ASSERT_FATAL(run_file("scenarios/imap-folders.mss", "en", &b));
    gsize la = 0, lb = 0;
    g_autofree char *ha = ms_report_html(ms_world_trace(a.world), &a.options, &a.dopt, &la, NULL);
    g_autofree char *hb = ms_report_html(ms_world_trace(b.world), &b.options, &b.dopt, &lb, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ha);
    CU_ASSERT_PTR_NOT_NULL_FATAL(hb);
    CU_ASSERT_EQUAL(la, lb);
    CU_ASSERT(la == lb && memcmp(ha, hb, la) == 0);
    run_clear(&a);
    run_clear(&b);
}

/* A long run carries its diagram as the model, not as SVG: the page draws
 * it, in view only (tests/data/report/campus-40.mss is
 * bench/gen-scenario 40). */
static void html_long_run_carries_model(void)
{
    Run run;
    CU_ASSERT_FATAL(run_file("tests/data/report/campus-40.mss", "en", &run));
    run.dopt.view = MS_DIAGRAM_VIEW_FULL; /* one arrow per line: 2,393 of them */
    MsTrace *trace = ms_world_trace(run.world);
    g_autoptr(MsDiagram) d = ms_diagram_new(trace, &run.options, &run.dopt);
    CU_ASSERT_FATAL(ms_diagram_n_arrows(d) > 1000);
    g_autofree char *html = ms_report_html(trace, &run.options, &run.dopt, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT_PTR_NULL(strstr(html, "<svg"));
    g_autofree char *page = data_block(html, "ms-page");
    g_autoptr(JsonParser) parser = json_parser_new();
    CU_ASSERT_FATAL(json_parser_load_from_data(parser, page, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    CU_ASSERT_FALSE(json_object_has_member(o, "svg"));
    JsonObject *model = json_object_get_object_member(o, "model");
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    JsonArray *arrows = json_object_get_array_member(model, "arrows");
    CU_ASSERT_EQUAL_FATAL(json_array_get_length(arrows), ms_diagram_n_arrows(d));
    CU_ASSERT_EQUAL(json_array_get_length(json_object_get_array_member(o, "arrows")),
                    ms_diagram_n_arrows(d));
    /* Arrow by arrow the model's geometry: [from, to, flow, x1, y1, x2, y2,
     * lost, retransmit, label]. */
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        JsonArray *m = json_array_get_array_element(arrows, i);
        CU_ASSERT_EQUAL(json_array_get_int_element(m, 0), a->from);
        CU_ASSERT_EQUAL(json_array_get_int_element(m, 1), a->to);
        CU_ASSERT_EQUAL(json_array_get_int_element(m, 2), a->flow);
        /* to 1/100 point (relative, for a page of any height) */
        CU_ASSERT_DOUBLE_EQUAL(json_array_get_double_element(m, 4), a->y1,
                               0.01 + fabs(a->y1) * 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(json_array_get_double_element(m, 6), a->y2,
                               0.01 + fabs(a->y2) * 1e-12);
    }
    JsonArray *lifelines = json_object_get_array_member(model, "lifelines");
    CU_ASSERT_EQUAL(json_array_get_length(lifelines), ms_diagram_n_lifelines(d));
    /* Words that differ by language come in both. */
    JsonArray *first = json_array_get_array_element(lifelines, 0);
    JsonArray *role = json_array_get_array_element(first, 1);
    CU_ASSERT_STRING_EQUAL(json_array_get_string_element(role, 1),
                           ms_diagram_role_name(ms_diagram_lifeline(d, 0)->role, "zh"));
    run_clear(&run);
}

/* The value of CSS custom property `name` in text (":root { --x: #123456;"):
 * the 7 characters after "name: " (transfer full), or NULL. */
static char *css_property(const char *text, const char *name)
{
    g_autofree char *key = g_strdup_printf("%s: ", name);
    const char *p = text != NULL ? strstr(text, key) : NULL;
    return p != NULL ? g_strndup(p + strlen(key), 7) : NULL;
}

/* The text of each element opened by `open` up to `close`, joined. */
static char *elements(const char *html, const char *open, const char *close)
{
    GString *out = g_string_new(NULL);
    for (const char *p = strstr(html, open); p != NULL; p = strstr(p, open)) {
        p += strlen(open);
        const char *end = strstr(p, close);
        if (end == NULL)
            break;
        g_string_append_len(out, p, end - p);
        p = end;
    }
    return g_string_free(out, FALSE);
}

/* The page's push and pull colours are the diagram's: the colours block
 * html.c writes from the C side's table names the colour of every push and
 * every pull arrow of the SVG the page carries; the style and scripts hold
 * no copy of them; and in grey push and pull are at least 3:1 apart. */
static void html_colours_are_the_diagrams(void)
{
    Run run;
    CU_ASSERT_FATAL(run_file("scenarios/pop3-two-clients.mss", "en", &run));
    g_autofree char *html = ms_report_html(ms_world_trace(run.world), &run.options, &run.dopt,
                                           NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    g_autofree char *block = elements(html, "<style id=\"ms-colours\">", "</style>");
    g_autofree char *push = css_property(block, "--flow-push");
    g_autofree char *pull = css_property(block, "--flow-pull");
    CU_ASSERT_PTR_NOT_NULL_FATAL(push);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pull);
    double lp = ms_test_luminance(push), lq = ms_test_luminance(pull);
    CU_ASSERT(lp >= 0.0 && lq >= 0.0);
    CU_ASSERT(ms_test_luminance_ratio(lp, lq) >= 3.0);

    g_autofree char *page = data_block(html, "ms-page");
    g_autoptr(JsonParser) parser = json_parser_new();
    CU_ASSERT_FATAL(json_parser_load_from_data(parser, page, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(parser));
    JsonArray *arrows = json_object_get_array_member(o, "arrows");
    JsonArray *pages = json_object_get_array_member(json_object_get_object_member(o, "svg"), "en");
    guint checked[3] = { 0 };
    for (guint i = 0; i < json_array_get_length(arrows); i++) {
        JsonArray *a = json_array_get_array_element(arrows, i);
        gint64 flow = json_array_get_int_element(a, 4);
        if (flow != 1 && flow != 2) /* MsDiagramFlow: push, pull */
            continue;
        const char *svg =
            json_array_get_string_element(pages, (guint) json_array_get_int_element(a, 3));
        g_autofree char *id = g_strdup_printf("<g id=\"a%u\" class=\"edge\"", i);
        const char *g = strstr(svg, id);
        const char *stroke = g != NULL ? strstr(g, "stroke=\"") : NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(stroke);
        CU_ASSERT(strncmp(stroke + 8, flow == 1 ? push : pull, 7) == 0);
        checked[flow]++;
    }
    CU_ASSERT(checked[1] > 0 && checked[2] > 0);

    /* One table: the style sheet and the scripts take the colours from the
     * block, they do not repeat them. */
    g_autofree char *styles = elements(html, "<style>", "</style>");
    g_autofree char *scripts = elements(html, "<script>", "</script>");
    CU_ASSERT(strlen(styles) > 1000 && strlen(scripts) > 1000);
    g_autofree char *push_lc = g_ascii_strdown(push, -1), *pull_lc = g_ascii_strdown(pull, -1);
    g_autofree char *styles_lc = g_ascii_strdown(styles, -1);
    g_autofree char *scripts_lc = g_ascii_strdown(scripts, -1);
    CU_ASSERT_PTR_NULL(strstr(styles_lc, push_lc));
    CU_ASSERT_PTR_NULL(strstr(styles_lc, pull_lc));
    CU_ASSERT_PTR_NULL(strstr(scripts_lc, push_lc));
    CU_ASSERT_PTR_NULL(strstr(scripts_lc, pull_lc));
    CU_ASSERT_PTR_NOT_NULL(strstr(styles, "var(--flow-push)"));
    run_clear(&run);
}

/* The page's data blocks, parsed (transfer full). */
static JsonParser *parse_block(const char *html, const char *id)
{
    g_autofree char *text = data_block(html, id);
    JsonParser *p = json_parser_new();
    if (text == NULL || !json_parser_load_from_data(p, text, -1, NULL))
        g_clear_object(&p);
    return p;
}

/* A run longer than --html-lines: the page covers its beginning only, up
 * to an instant, and everything it carries (records, diagram, words) stops
 * there; it says how much it shows of how much. */
static void html_long_run_shows_its_beginning(void)
{
    Run run;
    CU_ASSERT_FATAL(run_file("tests/data/report/campus-40.mss", "en", &run));
    const MsTrace *trace = ms_world_trace(run.world);
    guint64 n = ms_trace_length(trace), total = 0;
    for (guint64 i = 0; i < n; i++)
        total += ms_trace_pin(trace, i)->kind == MS_TRACE_LINE;
    CU_ASSERT_FATAL(total > 1000);
    g_autofree char *summary_json = ms_report_summary_json(trace, NULL);
    g_autoptr(JsonParser) psum = json_parser_new();
    CU_ASSERT_FATAL(json_parser_load_from_data(psum, summary_json, -1, NULL));
    JsonObject *run_summary = json_node_get_object(json_parser_get_root(psum));
    CU_ASSERT(json_array_get_length(json_object_get_array_member(run_summary, "messages")) > 10);

    const guint64 limits[] = { 500, 777, total - 1 };
    for (gsize k = 0; k < G_N_ELEMENTS(limits); k++) {
        run.options.html_lines = limits[k];
        /* Where the page must stop: before the instant its line
         * limits[k] + 1 was sent. */
        MsTime until = -1;
        for (guint64 i = 0, lines = 0; i < n && until < 0; i++) {
            const MsTraceRecord *r = ms_trace_pin(trace, i);
            if (r->kind == MS_TRACE_LINE && lines++ == limits[k])
                until = r->time;
        }
        guint64 records = 0, shown = 0;
        while (records < n && ms_trace_pin(trace, records)->time < until)
            shown += ms_trace_pin(trace, records++)->kind == MS_TRACE_LINE;
        CU_ASSERT_FATAL(shown > 0 && shown <= limits[k]);

        g_autofree char *html = ms_report_html(trace, &run.options, &run.dopt, NULL, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(html);
        g_autoptr(JsonParser) pp = parse_block(html, "ms-page");
        g_autoptr(JsonParser) pt = parse_block(html, "ms-trace");
        CU_ASSERT_FATAL(pp != NULL && pt != NULL);
        JsonObject *page = json_node_get_object(json_parser_get_root(pp));
        JsonObject *w = json_object_get_object_member(page, "window");
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        CU_ASSERT_EQUAL(json_object_get_int_member(w, "lines"), (gint64) shown);
        CU_ASSERT_EQUAL(json_object_get_int_member(w, "total"), (gint64) total);
        CU_ASSERT_EQUAL(json_object_get_int_member(w, "until_ns"), until);

        /* The records: exactly those before the instant. */
        JsonObject *t = json_node_get_object(json_parser_get_root(pt));
        g_autoptr(JsonArray) recs = unpack(json_object_get_object_member(t, "records"));
        CU_ASSERT_EQUAL(json_array_get_length(recs), records);
        /* The diagram draws from them only, in both languages. */
        JsonArray *arrows = json_object_get_array_member(page, "arrows");
        CU_ASSERT(json_array_get_length(arrows) > 0);
        for (guint i = 0; i < json_array_get_length(arrows); i++) {
            gint64 id = json_array_get_int_element(json_array_get_array_element(arrows, i), 0);
            CU_ASSERT_FATAL(id >= 0 && (guint64) id < records);
        }
        MsDiagramOptions o = run.dopt;
        o.until = until;
        g_autoptr(MsDiagram) d = ms_diagram_new(trace, &run.options, &o);
        CU_ASSERT_EQUAL(json_array_get_length(arrows), ms_diagram_n_arrows(d));
        JsonObject *labels = json_object_get_object_member(page, "labels");
        g_autoptr(GList) ids = json_object_get_members(labels);
        for (GList *l = ids; l != NULL; l = l->next)
            CU_ASSERT(g_ascii_strtoull(l->data, NULL, 10) < records);
        /* The summary is of the same records: fewer messages than the
         * run's. */
        JsonObject *summary = json_object_get_object_member(t, "summary");
        CU_ASSERT_PTR_NOT_NULL_FATAL(summary);
        if (k == 0)
            CU_ASSERT(json_array_get_length(json_object_get_array_member(summary, "messages")) <
                      json_array_get_length(json_object_get_array_member(run_summary, "messages")));
    }

    /* 0: the whole run, and nothing said about a window. */
    run.options.html_lines = 0;
    g_autofree char *whole = ms_report_html(trace, &run.options, &run.dopt, NULL, NULL);
    g_autoptr(JsonParser) pp = parse_block(whole, "ms-page");
    g_autoptr(JsonParser) pt = parse_block(whole, "ms-trace");
    CU_ASSERT_FATAL(pp != NULL && pt != NULL);
    CU_ASSERT_FALSE(json_object_has_member(json_node_get_object(json_parser_get_root(pp)),
                                           "window"));
    JsonObject *t = json_node_get_object(json_parser_get_root(pt));
    g_autoptr(JsonArray) recs = unpack(json_object_get_object_member(t, "records"));
    CU_ASSERT_EQUAL(json_array_get_length(recs), n);
    /* Nor at a limit the run does not pass. */
    run.options.html_lines = total;
    g_autofree char *same = ms_report_html(trace, &run.options, &run.dopt, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(same, whole);
    run_clear(&run);

    /* A lecture's run is far below the default: the page is all of it. */
    CU_ASSERT_FATAL(run_file("scenarios/smtp-basic.mss", "en", &run));
    CU_ASSERT_EQUAL(run.options.html_lines, MS_REPORT_HTML_LINES_DEFAULT);
    g_autofree char *small = ms_report_html(ms_world_trace(run.world), &run.options, &run.dopt,
                                            NULL, NULL);
    g_autoptr(JsonParser) ps = parse_block(small, "ms-page");
    CU_ASSERT_FATAL(ps != NULL);
    CU_ASSERT_FALSE(json_object_has_member(json_node_get_object(json_parser_get_root(ps)),
                                           "window"));
    run_clear(&run);
}

/* Lines sent at one instant are never split: when the limit falls among
 * them, the page stops before that instant. */
static void html_window_cut_at_an_instant(void)
{
    Run run;
    CU_ASSERT_FATAL(run_file("tests/data/report/campus-40.mss", "en", &run));
    const MsTrace *trace = ms_world_trace(run.world);
    /* The first line sent at the same instant as the line before it. */
    guint64 lines = 0, limit = 0;
    MsTime prev = -1;
    for (guint64 i = 0; i < ms_trace_length(trace) && limit == 0; i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE)
            continue;
        if (r->time == prev)
            limit = lines; /* the line before r is the last one allowed */
        prev = r->time;
        lines++;
    }
    CU_ASSERT_FATAL(limit > 1);
    run.options.html_lines = limit;
    g_autofree char *html = ms_report_html(trace, &run.options, &run.dopt, NULL, NULL);
    g_autoptr(JsonParser) pp = parse_block(html, "ms-page");
    CU_ASSERT_FATAL(pp != NULL);
    JsonObject *w = json_object_get_object_member(
        json_node_get_object(json_parser_get_root(pp)), "window");
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT(json_object_get_int_member(w, "lines") < (gint64) limit);
    CU_ASSERT_EQUAL(json_object_get_int_member(w, "until_ns"), prev);
    run_clear(&run);
}

int main(void)
{
    static const MsTestCase cases[] = {
        MS_TEST(html_embeds_trace_and_loads_nothing),
        MS_TEST(html_page_data_has_both_languages),
        MS_TEST(html_same_run_same_bytes),
        MS_TEST(html_long_run_carries_model),
        MS_TEST(html_colours_are_the_diagrams),
        MS_TEST(html_long_run_shows_its_beginning),
        MS_TEST(html_window_cut_at_an_instant),
        MS_TEST_END,
    };
    ms_test_add_suite("report/html", cases);
    int rc = ms_test_run();
    ms_diagram_shutdown();
    return rc;
}
