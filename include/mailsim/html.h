/* html.c - report.html: one self-contained page to step through a run in a
 * browser.  The page carries the run's trace.json (the schema of
 * docs/trace-format.md), the sequence diagram drawn by the diagram module
 * (as SVG, in English and in Chinese) and the words of the reports in both
 * languages; its style and script are built into the program from
 * sim/report/html/.  Nothing is fetched: it works offline from file://.
 */
#pragma once

#include <glib.h>

#include "mailsim/diagram.h"
#include "mailsim/report.h"

G_BEGIN_DECLS

/* The page for a trace, in options->lang by default (the page switches
 * language itself).  The diagram is drawn with `diagram`'s filters and
 * pages, as sequence.svg is; its formats and language are ignored.
 * Returns NULL with an MS_ERROR_IO error when the diagram could not be
 * rendered (transfer full).  A run of more than options->html_lines
 * protocol lines gets a page of its beginning only, which says so. */
char *ms_report_html(const MsTrace *trace, const MsReportOptions *options,
                     const MsDiagramOptions *diagram, gsize *len_out, GError **error);

G_END_DECLS
