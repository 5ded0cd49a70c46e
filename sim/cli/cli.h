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
 * `written`, and a paged diagram's index (ms_diagram_page_index) is left in
 * *diagram_index when it is not NULL (outputs.c). */
gboolean ms_cli_write_outputs(MsTrace *trace, const MsReportOptions *options,
                              const MsDiagramOptions *dopt, gboolean html, const char *out_dir,
                              GPtrArray *written, char **diagram_index, GError **error);

/* --lang: the environment's language when not given (transfer full into
 * *lang); FALSE after saying so when it is not one the reports write. */
gboolean ms_cli_lang(char **lang);

/* --max-messages: the bound on the messages a scenario sends, the default
 * (MS_SCENARIO_MAX_MESSAGES) when text is NULL; FALSE after saying so when
 * text is not a whole number from 1 to the ceiling. */
gboolean ms_cli_max_messages(const char *text, guint *max_messages);
/* --html-lines N: report.html's window, N protocol lines (0: the whole
 * run); text NULL leaves *lines as it is.  Prints the usage error. */
gboolean ms_cli_html_lines(const char *text, guint64 *lines);

/* Progress of a long run on stderr, when it is a terminal (progress.c):
 * new returns NULL when it is not; stage (an MsReportOptions progress
 * function) names the file being written, and clears the line when given
 * NULL; free clears it too. */
typedef struct MsCliProgress MsCliProgress;
MsCliProgress *ms_cli_progress_new(MsTrace *trace);
void ms_cli_progress_stage(const char *what, gpointer data);
void ms_cli_progress_free(MsCliProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsCliProgress, ms_cli_progress_free)

/* Prints "mailsim: <message>" on stderr. */
void ms_cli_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
