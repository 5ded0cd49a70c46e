/* html-private.h - what the files of report.html share. */
#pragma once

#include <json-glib/json-glib.h>

#include "mailsim/diagram.h"

/* report.html draws a diagram with more arrows than this itself, from
 * the model (html_model.c), rather than carrying it as SVG. */
#define MS_HTML_SVG_MAX_ARROWS 1000u

/* Adds the member "model": the diagram d as data, with the words of zh
 * (the same diagram in Chinese; NULL: English only) beside its own. */
void ms_report_html_model(JsonBuilder *b, const MsDiagram *d, const MsDiagram *zh);
