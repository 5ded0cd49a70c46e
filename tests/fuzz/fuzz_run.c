/* fuzz_run.c - parse, then run, then report: a scenario the reader accepts
 * runs (for at most a simulated day and a bounded number of steps) and its
 * transcript (text and Markdown), summary and trace.json are written, in
 * English and Chinese. */
#include <stdlib.h>

#include "fuzz.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Long inputs spend the time on parsing, which fuzz_scenario covers. */
    if (size > 4096)
        return 0;
    MsScenario *sc = ms_scenario_parse_string((const char *) data, (gssize) size, "fuzz.mss",
                                              NULL);
    if (sc == NULL)
        return 0;
    GError *error = NULL;
    MsWorld *world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL)
        abort();
    ms_world_run(world, MS_DAY, NULL);
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_file = "fuzz.mss";
    options.tcp = TRUE;
    const char *langs[] = { "en", "zh" };
    for (gsize i = 0; i < G_N_ELEMENTS(langs); i++) {
        options.lang = langs[i];
        g_free(ms_report_transcript(ms_world_trace(world), &options));
        g_free(ms_report_transcript_md(ms_world_trace(world), &options));
        g_free(ms_report_summary(ms_world_trace(world), &options));
    }
    gsize len = 0;
    g_free(ms_report_json(ms_world_trace(world), &options, &len));
    ms_world_free(world);
    ms_scenario_free(sc);
    return 0;
}
