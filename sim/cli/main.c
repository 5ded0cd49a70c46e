/* main.c - the mailsim program: dispatches to a subcommand. */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} Command;

static const Command commands[] = {
    { "run", ms_cli_run, "simulate a scenario and write its transcript, trace and diagrams" },
    { "check", ms_cli_check, "validate a scenario file without running it" },
    { "serve", ms_cli_serve, "serve a simulated mail server to real clients (telnet, mail"
                             " clients, browsers)" },
    { "grade", ms_cli_grade, "grade students' submissions to an exercise" },
    { "exercise", ms_cli_exercise, "show, check or solve an exercise" },
};

void ms_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mailsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

gboolean ms_cli_lang(char **lang)
{
    if (*lang == NULL)
        *lang = g_strdup(ms_report_default_lang());
    if (!ms_report_lang_supported(*lang)) {
        ms_cli_error("--lang expects en or zh, found '%s'", *lang);
        return FALSE;
    }
    return TRUE;
}

gboolean ms_cli_max_messages(const char *text, guint *max_messages)
{
    *max_messages = MS_SCENARIO_MAX_MESSAGES;
    if (text == NULL)
        return TRUE;
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(text, 10, 1, MS_SCENARIO_MAX_MESSAGES_CEILING, &n, NULL)) {
        ms_cli_error("--max-messages expects a whole number from 1 to %u, found '%s'",
                     MS_SCENARIO_MAX_MESSAGES_CEILING, text);
        return FALSE;
    }
    *max_messages = (guint) n;
    return TRUE;
}

gboolean ms_cli_html_lines(const char *text, guint64 *lines)
{
    if (text == NULL)
        return TRUE;
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &n, NULL)) {
        ms_cli_error("--html-lines expects a number of protocol lines (0: the whole run), "
                     "found '%s'", text);
        return FALSE;
    }
    *lines = n;
    return TRUE;
}

static void usage(FILE *out)
{
    fputs("Usage: mailsim COMMAND [OPTIONS] FILE\n"
          "\n"
          "Simulates Internet e-mail (user agents, mail servers, SMTP, POP3, TCP links) from a\n"
          "scenario file and writes annotated transcripts, traces and diagrams.\n"
          "\n"
          "Commands:\n",
          out);
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "Options:\n"
          "  -h, --help     show this help (mailsim COMMAND --help for a command's options)\n"
          "  --version      show the version\n"
          "\n"
          "Exit status: 0 success, 1 scenario or simulation error, 2 usage error.\n"
          "Example: mailsim run scenarios/smtp-basic.mss   (outputs in output/smtp-basic/)\n"
          "         mailsim serve   (then: telnet localhost 2525, or http://127.0.0.1:8080/)\n",
          out);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc < 2) {
        usage(stderr);
        return MS_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return MS_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("mailsim %s\n", MS_VERSION);
        return MS_EXIT_OK;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            /* So that `mailsim run --help` says "mailsim run [OPTION…] FILE". */
            g_autofree char *prgname = g_strdup_printf("mailsim %s", commands[i].name);
            g_set_prgname(prgname);
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    ms_cli_error("unknown command '%s' (try 'mailsim --help')", argv[1]);
    return MS_EXIT_USAGE;
}
