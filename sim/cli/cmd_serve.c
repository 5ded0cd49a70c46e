/* cmd_serve.c - `mailsim serve [SCENARIO]`: one simulated mail server of a
 * scenario's world (or of a built-in one) on real loopback ports, for
 * telnet, mail clients and browsers; on Ctrl-C, SIGTERM or --duration the
 * recorded sessions are written out like a `mailsim run`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "cli/cli.h"
#include "mailsim/live.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"
#include "scenario/scenario-private.h"

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MsDiagramArgs, ms_diagram_args_clear)

/* The textbook's two domains, when no scenario is given.  Bob's server
 * comes first, so it is the one exposed: log in as bob (password hungry),
 * and mail to alice@crepes.fr is relayed inside the world. */
static const char default_world[] =
    "scenario \"mailsim serve: crepes.fr and hamburger.edu\"\n"
    "seed 1\n"
    "server hamburger.edu  domain hamburger.edu  webmail on\n"
    "server crepes.fr      domain crepes.fr      webmail on\n"
    "agent bob-pc    user bob@hamburger.edu  server hamburger.edu  password hungry\n"
    "agent alice-pc  user alice@crepes.fr    server crepes.fr      password wonder\n"
    "link bob-pc hamburger.edu     latency 2ms  bandwidth 10Mbit\n"
    "link alice-pc crepes.fr       latency 2ms  bandwidth 10Mbit\n"
    "link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit\n";

/* A live server takes no message bigger than this unless the scenario
 * sets its own SIZE limit. */
#define LIVE_DEFAULT_MAX_SIZE (10 * 1024 * 1024)

typedef struct {
    GMainLoop *loop;
    const char *why;
} Stop;

/* The first SIGINT or SIGTERM stops the server; any that come after it
 * (GNU timeout signals the child and then its whole process group, and an
 * impatient Ctrl-C comes twice) change nothing: the handler stays installed
 * until the outputs are written, so a later signal can no longer kill the
 * process half-way and leave only a staging folder behind. */
static gboolean on_signal(gpointer data)
{
    Stop *stop = data;
    if (stop->why == NULL)
        stop->why = "the server is shutting down (signal)";
    g_main_loop_quit(stop->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean on_duration(gpointer data)
{
    Stop *stop = data;
    stop->why = "the server is shutting down (--duration is over)";
    g_main_loop_quit(stop->loop);
    return G_SOURCE_REMOVE;
}

static void print_line(const char *line, gpointer data)
{
    (void) data;
    printf("%s\n", line);
}

static gboolean parse_port(const char *option, int value, int *port_out)
{
    if (value < -1 || value > 65535) {
        ms_cli_error("%s expects a port from 1 to 65535 (0: any free port, -1: closed), "
                     "found %d",
                     option, value);
        return FALSE;
    }
    *port_out = value;
    return TRUE;
}

static gboolean parse_time(const char *option, const char *text, MsTime *out)
{
    g_autofree char *why = NULL;
    if (!ms_sc_parse_duration(text, out, &why)) {
        ms_cli_error("%s: %s", option, why);
        return FALSE;
    }
    return TRUE;
}

/* The outputs of the stopped server, as `mailsim run` writes them. */
static int write_outputs(MsWorld *world, const MsScenario *sc, const char *path,
                         guint64 html_lines, const MsDiagramOptions *dopt, const char *out_dir)
{
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    options.scenario_file = path != NULL ? path : "(built-in world)";
    options.seed = sc->seed;
    options.lang = ms_report_default_lang();
    options.html_lines = html_lines;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *index = NULL;
    if (!ms_cli_write_outputs(ms_world_trace(world), &options, dopt, TRUE, out_dir, written,
                              &index, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_FAILURE;
    }
    for (guint i = 0; i < written->len; i++)
        printf("  %s\n", (const char *) g_ptr_array_index(written, i));
    if (index != NULL)
        fputs(index, stdout);
    return MS_EXIT_OK;
}

int ms_cli_serve(int argc, char **argv)
{
    g_autofree char *server_name = NULL;
    g_autofree char *listen = NULL;
    g_autofree char *out_dir = NULL;
    g_autofree char *duration_text = NULL;
    g_autofree char *idle_text = NULL;
    g_autofree char *request_text = NULL;
    g_autofree char *memory_text = NULL;
    g_autofree char *html_lines_text = NULL;
    guint64 html_lines = MS_REPORT_HTML_LINES_DEFAULT;
    int ports[MS_LIVE_N_SERVICES];
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++)
        ports[i] = ms_live_service_default_port(i);
    int max_sessions = 0, max_per_client = 0;
    gboolean quiet = FALSE;
    GOptionEntry entries[] = {
        { "server", 0, 0, G_OPTION_ARG_STRING, &server_name,
          "The simulated server to expose (default: the scenario's first)", "NAME" },
        { "smtp", 0, 0, G_OPTION_ARG_INT, &ports[MS_LIVE_SMTP],
          "SMTP port (default 2525; 0: any free port, -1: closed)", "PORT" },
        { "pop3", 0, 0, G_OPTION_ARG_INT, &ports[MS_LIVE_POP3], "POP3 port (default 1110)",
          "PORT" },
        { "imap", 0, 0, G_OPTION_ARG_INT, &ports[MS_LIVE_IMAP], "IMAP port (default 1143)",
          "PORT" },
        { "http", 0, 0, G_OPTION_ARG_INT, &ports[MS_LIVE_HTTP],
          "Web-mail port (default 8080)", "PORT" },
        { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
          "Address to listen on (default 127.0.0.1: this machine only)", "ADDR" },
        { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
          "Write the outputs to DIR when stopped (default: output/serve)", "DIR" },
        { "duration", 0, 0, G_OPTION_ARG_STRING, &duration_text,
          "Stop after this long, e.g. 30s or 2h (default: at Ctrl-C or SIGTERM)", "TIME" },
        { "idle", 0, 0, G_OPTION_ARG_STRING, &idle_text,
          "Cut off a client silent this long (default 5min)", "TIME" },
        { "request-timeout", 0, 0, G_OPTION_ARG_STRING, &request_text,
          "Answer 408 to an HTTP request not in whole this long after its first byte "
          "(default 2min; 0s: no limit)", "TIME" },
        { "max-sessions", 0, 0, G_OPTION_ARG_INT, &max_sessions,
          "Sessions open at once, all clients (default 512)", "N" },
        { "max-per-client", 0, 0, G_OPTION_ARG_INT, &max_per_client,
          "Sessions open at once from one address (default 64)", "N" },
        { "max-memory", 0, 0, G_OPTION_ARG_STRING, &memory_text,
          "Resident memory above which sessions are refused and cut (default 1GiB)", "SIZE" },
        { "html-lines", 0, 0, G_OPTION_ARG_STRING, &html_lines_text,
          "report.html covers the run up to its first N protocol lines (default 20000; "
          "0: the whole run)", "N" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print no line per session", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "[SCENARIO] - serve a simulated mail server to real clients");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_auto(MsDiagramArgs) dargs = { 0 };
    GOptionEntry dentries[MS_DIAGRAM_N_ARGS];
    ms_diagram_args_entries(&dargs, dentries);
    g_option_context_add_main_entries(ctx, dentries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }
    if (argc > 2) {
        ms_cli_error("serve takes at most one scenario file (try 'mailsim serve --help')");
        return MS_EXIT_USAGE;
    }
    MsLiveConfig config;
    ms_live_config_init(&config);
    static const char *const port_options[] = { "--smtp", "--pop3", "--imap", "--http" };
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++) {
        if (!parse_port(port_options[i], ports[i], &config.ports[i]))
            return MS_EXIT_USAGE;
    }
    if (!ms_cli_html_lines(html_lines_text, &html_lines))
        return MS_EXIT_USAGE;
    MsTime duration = 0;
    if (duration_text != NULL && !parse_time("--duration", duration_text, &duration))
        return MS_EXIT_USAGE;
    if (idle_text != NULL && !parse_time("--idle", idle_text, &config.limits.idle))
        return MS_EXIT_USAGE;
    if (request_text != NULL &&
        !parse_time("--request-timeout", request_text, &config.limits.request_time))
        return MS_EXIT_USAGE;
    if (memory_text != NULL) {
        g_autofree char *why = NULL;
        if (!ms_sc_parse_size(memory_text, &config.limits.max_memory, &why)) {
            ms_cli_error("--max-memory: %s", why);
            return MS_EXIT_USAGE;
        }
    }
    if (max_sessions < 0 || max_per_client < 0) {
        ms_cli_error("--max-sessions and --max-per-client expect a positive number");
        return MS_EXIT_USAGE;
    }
    if (max_sessions > 0)
        config.limits.max_sessions = (guint) max_sessions;
    if (max_per_client > 0)
        config.limits.max_per_client = (guint) max_per_client;
    MsDiagramOptions dopt;
    if (!ms_diagram_args_to_options(&dargs, &dopt, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }

    const char *path = argc == 2 ? argv[1] : NULL;
    g_autoptr(MsScenario) sc = path != NULL
                                   ? ms_scenario_parse_file(path, &error)
                                   : ms_scenario_parse_string(default_world, -1,
                                                              "(built-in world)", &error);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return MS_EXIT_FAILURE;
    }
    MsScServer *exposed = NULL;
    if (server_name != NULL)
        exposed = (MsScServer *) ms_scenario_find_server(sc, server_name);
    else if (sc->servers->len > 0)
        exposed = g_ptr_array_index(sc->servers, 0);
    if (exposed == NULL) {
        ms_cli_error(server_name != NULL ? "--server %s: the scenario has no server of that name"
                                         : "%sthe scenario has no server to expose",
                     server_name != NULL ? server_name : "");
        return MS_EXIT_USAGE;
    }
    /* Live mail carries today's date; the exposed server always has web
     * mail and a size limit. */
    sc->start = g_get_real_time() / G_USEC_PER_SEC;
    exposed->webmail = TRUE;
    if (exposed->max_size == 0)
        exposed->max_size = LIVE_DEFAULT_MAX_SIZE;
    config.server = exposed->name;
    config.listen = listen;
    if (!quiet)
        config.log = print_line;

    g_autoptr(MsWorld) world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL) {
        fprintf(stderr, "%s: error: %s\n", path != NULL ? path : "(built-in world)",
                error->message);
        return MS_EXIT_FAILURE;
    }
    if (out_dir == NULL)
        out_dir = g_build_filename("output", "serve", NULL);

    /* Output goes line by line, for whoever watches (or a test). */
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_autoptr(MsLive) live = ms_live_new(world, &config, &error);
    if (live == NULL) {
        ms_cli_error("%s", error->message);
        return error->code == MS_ERROR_USAGE ? MS_EXIT_USAGE : MS_EXIT_FAILURE;
    }
    /* Made once the sockets are open, so a command line that fails leaves
     * no directory behind, and before the loop runs, so a bad -o is said
     * before anyone is served. */
    if (g_mkdir_with_parents(out_dir, 0755) != 0) {
        ms_cli_error("cannot create %s: %s", out_dir, g_strerror(errno));
        return MS_EXIT_FAILURE;
    }
    const char *where = listen != NULL ? listen : "127.0.0.1";
    printf("mailsim serve: %s (domain %s) on %s:", exposed->name, exposed->domain, where);
    for (guint i = 0; i < MS_LIVE_N_SERVICES; i++) {
        if (ms_live_port(live, i) != 0)
            printf(" %s %u", ms_live_service_name(i), ms_live_port(live, i));
    }
    printf("\n");
    if (ms_live_port(live, MS_LIVE_HTTP) != 0)
        printf("web mail: http://%s:%u/\n", where, ms_live_port(live, MS_LIVE_HTTP));
    if (path == NULL)
        printf("users: bob@hamburger.edu (password hungry) here; alice@crepes.fr elsewhere in"
               " the world\n");
    printf("stop with Ctrl-C%s; outputs go to %s\n",
           duration_text != NULL ? " or when --duration is over" : "", out_dir);

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    Stop stop = { loop, NULL };
    guint sigint = g_unix_signal_add(SIGINT, on_signal, &stop);
    guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &stop);
    guint timer = 0;
    if (duration > 0) {
        guint ms = (guint) MIN(duration / MS_MSEC, (MsTime) G_MAXUINT32);
        timer = g_timeout_add(MAX(ms, 1u), on_duration, &stop);
    }
    g_main_loop_run(loop);
    if (timer != 0 && stop.why != NULL && strstr(stop.why, "duration") == NULL)
        g_source_remove(timer);
    /* The signal sources stay until the end (see on_signal): removing one
     * puts back the default action, death, while the outputs are still
     * being written.  The loop no longer runs, so a signal now is caught
     * and dropped. */

    ms_live_stop(live, stop.why != NULL ? stop.why : "the server is shutting down");
    printf("stopped after %" G_GUINT64_FORMAT " session%s; writing outputs\n",
           ms_live_sessions_total(live), ms_live_sessions_total(live) == 1 ? "" : "s");

    int status = write_outputs(world, sc, path, html_lines, &dopt, out_dir);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    return status;
}
