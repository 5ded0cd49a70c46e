/* cli.h - the subcommands of the mailsim program. */
#pragma once

#include <glib.h>

/* Exit statuses (documented in `mailsim --help`). */
enum {
    MS_EXIT_OK = 0,
    MS_EXIT_FAILURE = 1, /* scenario or simulation error */
    MS_EXIT_USAGE = 2,   /* bad command line */
};

int ms_cli_run(int argc, char **argv);
int ms_cli_check(int argc, char **argv);

/* Prints "mailsim: <message>" on stderr. */
void ms_cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
