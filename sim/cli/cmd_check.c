/* cmd_check.c - `mailsim check FILE`: parse, validate and build the world,
 * simulate nothing. */
#include <stdio.h>

#include "cli/cli.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"

int ms_cli_check(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("FILE - validate a scenario");
    g_option_context_set_summary(ctx, "Reports every error of the file as file:line:column: "
                                      "error: ...; exit status 1 when there is one.");
    g_autofree char *max_text = NULL;
    GOptionEntry entries[] = {
        { "max-messages", 0, 0, G_OPTION_ARG_STRING, &max_text,
          "Allow the scenario to send up to N messages (default 2000)", "N" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }
    if (argc != 2) {
        ms_cli_error("check needs exactly one scenario file (try 'mailsim check --help')");
        return MS_EXIT_USAGE;
    }
    guint max_messages = 0;
    if (!ms_cli_max_messages(max_text, &max_messages))
        return MS_EXIT_USAGE;
    g_autoptr(MsScenario) sc = ms_scenario_parse_file_bounded(argv[1], max_messages, &error);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return MS_EXIT_FAILURE;
    }
    /* What check accepts, run must run: build the world as run would (it
     * costs little; nothing is simulated).  The checker is meant to find
     * everything first, with a position; this is the safety net. */
    g_autoptr(MsWorld) world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL) {
        fprintf(stderr, "%s: error: %s\n", argv[1], error->message);
        return MS_EXIT_FAILURE;
    }
    printf("%s: ok (%u servers, %u agents, %u links, %u actions)\n", argv[1], sc->servers->len,
           sc->agents->len, sc->links->len, sc->actions->len);
    return MS_EXIT_OK;
}
