/* report.h - outputs built from the trace after a run: the transcript, the
 * JSON trace (and, in their own files, the summary and the diagrams).
 *
 * Renderers read only the trace log (and the scenario's name and file); they
 * never look into engines or agents, so any output can be rebuilt from a
 * trace.json alone.
 */
#pragma once

#include <glib.h>
#include "mailsim/trace.h"

G_BEGIN_DECLS

typedef struct {
    const char *scenario_name;  /* "Alice sends Bob a message" */
    const char *scenario_file;  /* path as given on the command line */
    guint64 seed;
    gboolean tcp;               /* include TCP segments */
    gboolean notes;             /* include annotations */
    gboolean full_bodies;       /* do not elide long message bodies */
    const char *lang;           /* "en" or "zh" */
} MsReportOptions;

void ms_report_options_init(MsReportOptions *options);

/* transfer full; NUL-terminated UTF-8 text. */
char *ms_report_transcript(const MsTrace *trace, const MsReportOptions *options);
char *ms_report_json(const MsTrace *trace, const MsReportOptions *options, gsize *len_out);

/* Makes a line printable: control bytes and invalid UTF-8 as \xHH, a
 * backslash doubled only when ambiguous (transfer full). */
char *ms_report_escape_text(const char *text);

G_END_DECLS
