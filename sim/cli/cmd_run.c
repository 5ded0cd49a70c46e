/* cmd_run.c - `mailsim run FILE`: simulate a scenario and write its outputs
 * to output/<file stem>/ (or -o DIR).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "mailsim/diagram.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MsDiagramArgs, ms_diagram_args_clear)

static char *default_output_dir(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        *dot = '\0';
    return g_build_filename("output", base, NULL);
}

/* --filter-host names hosts of the scenario: its servers, its agents'
 * machines and the ends of its links.  A name that is none of them (a typo)
 * would draw an empty page without a word, so it is refused before the run. */
static gboolean check_filter_hosts(const MsScenario *sc, const char *list, const char *path)
{
    if (list == NULL)
        return TRUE;
    g_autoptr(GHashTable) hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < sc->servers->len; i++)
        g_hash_table_add(hosts, g_ascii_strdown(((MsScServer *) sc->servers->pdata[i])->name, -1));
    for (guint i = 0; i < sc->agents->len; i++)
        g_hash_table_add(hosts, g_ascii_strdown(((MsScAgent *) sc->agents->pdata[i])->host, -1));
    for (guint i = 0; i < sc->links->len; i++) {
        const MsScLink *l = sc->links->pdata[i];
        g_hash_table_add(hosts, g_ascii_strdown(l->a, -1));
        g_hash_table_add(hosts, g_ascii_strdown(l->b, -1));
    }
    g_auto(GStrv) names = g_strsplit(list, ",", -1);
    for (char **n = names; *n != NULL; n++) {
        const char *name = g_strstrip(*n);
        g_autofree char *key = g_ascii_strdown(name, -1);
        if (*name != '\0' && !g_hash_table_contains(hosts, key)) {
            ms_cli_error("--filter-host: %s has no host '%s' (its servers, its users' machines "
                         "and the ends of its links are hosts)", path, name);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean parse_seed(const char *text, guint64 *seed_out)
{
    g_autoptr(GError) error = NULL;
    return g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, seed_out, &error);
}

int ms_cli_run(int argc, char **argv)
{
    g_autofree char *out_dir = NULL;
    g_autofree char *seed_text = NULL;
    g_autofree char *lang = NULL;
    g_autofree char *max_text = NULL;
    gboolean tcp = FALSE;
    gboolean no_notes = FALSE;
    gboolean full_bodies = FALSE;
    gboolean quiet = FALSE;
    gboolean no_html = FALSE;
    g_autofree char *max_events_text = NULL;
    g_autofree char *html_lines_text = NULL;
    GOptionEntry entries[] = {
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
          "Write outputs to DIR (default: output/<scenario file stem>)", "DIR" },
        { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_text,
          "Random seed (default: the scenario's `seed`, else 1)", "N" },
        { "tcp", 0, 0, G_OPTION_ARG_NONE, &tcp, "Include TCP segments in the transcript", NULL },
        { "no-notes", 0, 0, G_OPTION_ARG_NONE, &no_notes, "Leave out the annotations", NULL },
        { "full-bodies", 0, 0, G_OPTION_ARG_NONE, &full_bodies,
          "Show long message bodies in full", NULL },
        { "lang", 0, 0, G_OPTION_ARG_STRING, &lang,
          "Language of the words: en or zh (default: zh when LC_ALL, LC_MESSAGES or LANG"
          " starts with zh, else en)", "LANG" },
        { "no-html", 0, 0, G_OPTION_ARG_NONE, &no_html,
          "Do not write report.html (the page that steps through the run)", NULL },
        { "html-lines", 0, 0, G_OPTION_ARG_STRING, &html_lines_text,
          "report.html covers the run up to its first N protocol lines (default 20000; "
          "0: the whole run)", "N" },
        { "max-messages", 0, 0, G_OPTION_ARG_STRING, &max_text,
          "Allow the scenario to send up to N messages (default 2000; for a trusted scenario,"
          " e.g. bench/gen-scenario's)", "N" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL },
        { "max-events", 0, 0, G_OPTION_ARG_STRING, &max_events_text,
          "Stop the simulation with an error after N events (1 to 200000000, the default)",
          "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE - simulate a scenario");
    g_option_context_add_main_entries(ctx, entries, NULL);
    /* The diagram's options (--format, --dpi, filters, pages). */
    g_auto(MsDiagramArgs) dargs = { 0 };
    GOptionEntry dentries[MS_DIAGRAM_N_ARGS];
    ms_diagram_args_entries(&dargs, dentries);
    g_option_context_add_main_entries(ctx, dentries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }
    if (argc != 2) {
        ms_cli_error("run needs exactly one scenario file (try 'mailsim run --help')");
        return MS_EXIT_USAGE;
    }
    if (out_dir != NULL && *out_dir == '\0') {
        ms_cli_error("-o expects a folder, found an empty name");
        return MS_EXIT_USAGE;
    }
    guint64 seed = 0;
    if (seed_text != NULL && !parse_seed(seed_text, &seed)) {
        ms_cli_error("--seed expects a non-negative integer, found '%s'", seed_text);
        return MS_EXIT_USAGE;
    }
    guint64 max_events = 0;
    if (max_events_text != NULL &&
        !g_ascii_string_to_unsigned(max_events_text, 10, 1, 200000000, &max_events, NULL)) {
        ms_cli_error("--max-events expects a number from 1 to 200000000, found '%s'",
                     max_events_text);
        return MS_EXIT_USAGE;
    }
    if (lang != NULL && !ms_report_lang_supported(lang)) {
        ms_cli_error("--lang expects en or zh, found '%s'", lang);
        return MS_EXIT_USAGE;
    }
    guint max_messages = 0;
    if (!ms_cli_max_messages(max_text, &max_messages))
        return MS_EXIT_USAGE;
    MsReportOptions options;
    ms_report_options_init(&options);
    if (!ms_cli_html_lines(html_lines_text, &options.html_lines))
        return MS_EXIT_USAGE;
    MsDiagramOptions dopt;
    if (!ms_diagram_args_to_options(&dargs, &dopt, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }
    dopt.tcp = tcp;

    const char *path = argv[1];
    g_autoptr(MsScenario) sc = ms_scenario_parse_file_bounded(path, max_messages, &error);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return MS_EXIT_FAILURE;
    }
    if (!check_filter_hosts(sc, dopt.hosts, path))
        return MS_EXIT_USAGE;
    if (seed_text == NULL)
        seed = sc->seed;

    g_autoptr(MsWorld) world = ms_world_new(sc, seed, &error);
    if (world == NULL) {
        fprintf(stderr, "%s: error: %s\n", path, error->message);
        return MS_EXIT_FAILURE;
    }
    /* A simulation error still leaves a trace worth writing: write the
     * outputs first, then report the failure. */
    if (max_events != 0)
        ms_world_set_max_events(world, max_events);
    g_autoptr(GError) sim_error = NULL;
    g_autoptr(MsCliProgress) progress = quiet ? NULL : ms_cli_progress_new(ms_world_trace(world));
    gboolean ok = ms_world_run(world, MS_TIME_NEVER, &sim_error);

    if (out_dir == NULL)
        out_dir = default_output_dir(path);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    options.scenario_file = path;
    options.seed = seed;
    options.tcp = tcp;
    options.notes = !no_notes;
    options.full_bodies = full_bodies;
    options.lang = lang != NULL ? lang : ms_report_default_lang();
    options.progress = ms_cli_progress_stage;
    options.progress_data = progress;

    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *index = NULL;
    gboolean wrote = ms_cli_write_outputs(ms_world_trace(world), &options, &dopt, !no_html,
                                          out_dir, written, &index, &error);
    ms_cli_progress_stage(NULL, progress); /* clears the line before anything is said */
    if (!wrote) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_FAILURE;
    }
    if (!ok) {
        fprintf(stderr, "%s: error: %s\n", path, sim_error->message);
        return MS_EXIT_FAILURE;
    }
    if (!quiet) {
        printf("%s: simulated %s; outputs:\n", path, sc->name);
        for (guint i = 0; i < written->len; i++)
            printf("  %s\n", (const char *) g_ptr_array_index(written, i));
        if (index != NULL)
            fputs(index, stdout);
    }
    return MS_EXIT_OK;
}
