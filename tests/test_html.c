/* test_html.c - report.html as the program writes it: one file that loads
 * nothing, carries the run's trace.json unchanged (only '<' escaped), the
 * diagram in both languages with an id on every arrow, and the words of
 * every note and phase the run uses in English and Chinese.  What the page
 * does with them is tested in a browser (test_report_browser.py).
 */
#include <json-glib/json-glib.h>
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

static char *escaped_lt(const char *text)
{
    g_auto(GStrv) parts = g_strsplit(text, "<", -1);
    return g_strjoinv("\\u003c", parts);
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

    /* The trace block is trace.json, byte for byte but for '<'. */
    gsize json_len = 0;
    g_autofree char *json = ms_report_json(trace, &run.options, &json_len);
    g_autofree char *want = escaped_lt(json);
    g_autofree char *got = data_block(html, "ms-trace");
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);

    /* Nothing to fetch: no external script, style, font or image, and a
     * policy that forbids any. */
    static const char *const external[] = { "<script src", "<link", "@import", "url(http",
                                            "src=\"http", "href=\"http", "<iframe" };
    for (gsize i = 0; i < G_N_ELEMENTS(external); i++)
        CU_ASSERT_PTR_NULL(strstr(html, external[i]));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'"));
    /* Four script elements: two data blocks, the script, and no other. */
    guint scripts = 0;
    for (const char *p = html; (p = strstr(p, "<script")) != NULL; p++)
        scripts++;
    CU_ASSERT_EQUAL(scripts, 3);
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
        const MsTraceRecord *r = ms_trace_get(trace, i);
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

int main(void)
{
    static const MsTestCase cases[] = {
        MS_TEST(html_embeds_trace_and_loads_nothing),
        MS_TEST(html_page_data_has_both_languages),
        MS_TEST(html_same_run_same_bytes),
        MS_TEST_END,
    };
    ms_test_add_suite("report/html", cases);
    int rc = ms_test_run();
    ms_diagram_shutdown();
    return rc;
}
