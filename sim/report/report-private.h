/* report-private.h - what the renderers of sim/report share. */
#pragma once

#include <glib.h>
#include "mailsim/trace.h"

/* Human text for a phase key ("smtp.handshake") or annotation key
 * ("smtp.reply.354") in a language; NULL when the key is unknown. */
const char *ms_report_phase_text(const char *key, const char *lang);
const char *ms_report_note_text(const char *key, const char *lang);

/* "[1] alice-pc:49152 → crepes.fr:25 SYN seq=0 ..." for a segment record. */
void ms_report_append_segment(GString *out, const MsTraceRecord *r);
