/* cli.h - the subcommands of the mailsim program. */
#pragma once

#include <glib.h>

#include "mailsim/diagram.h"
#include "mailsim/report.h"
#include "mailsim/trace.h"

/* Exit statuses (documented in `mailsim --help`). */
enum {
    MS_EXIT_OK = 0,
    MS_EXIT_FAILURE = 1, /* scenario or simulation error */
    MS_EXIT_USAGE = 2,   /* bad command line */
};

int ms_cli_run(int argc, char **argv);
int ms_cli_serve(int argc, char **argv);
int ms_cli_check(int argc, char **argv);
int ms_cli_grade(int argc, char **argv);
int ms_cli_exercise(int argc, char **argv);

/* Writes what `mailsim run` writes from a trace into out_dir (which must
 * exist): transcript.txt, transcript.md, summary.txt, trace.json, the
 * diagrams and, when `html`, report.html; the paths written are added to
 * `written` (outputs.c). */
gboolean ms_cli_write_outputs(MsTrace *trace, const MsReportOptions *options,
                              const MsDiagramOptions *dopt, gboolean html, const char *out_dir,
                              GPtrArray *written, GError **error);

/* --lang: the environment's language when not given (transfer full into
 * *lang); FALSE after saying so when it is not one the reports write. */
gboolean ms_cli_lang(char **lang);

/* Prints "mailsim: <message>" on stderr. */
void ms_cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
