/* report.h - outputs built from the trace after a run: the annotated
 * transcript (text and Markdown), the summary (exchanges, push or pull,
 * per-message delays, end state), the JSON trace (and, in their own files,
 * the diagrams).  Words come in English and, through gettext's zh_CN
 * catalogue (po/zh_CN.po), in Chinese; numbers and order never change with
 * the language.
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
    const char *scenario_name_zh; /* its Chinese title, or NULL: the name
                                   * serves in Chinese outputs too */
    const char *scenario_file;  /* path as given on the command line */
    guint64 seed;
    gboolean tcp;               /* include TCP segments */
    gboolean notes;             /* include annotations */
    gboolean full_bodies;       /* do not elide long message bodies */
    const char *lang;           /* "en" or "zh" */
    guint64 html_lines;         /* report.html covers the run up to its first
                                   this many protocol lines (cut at an
                                   instant); 0: the whole run.  Default
                                   MS_REPORT_HTML_LINES_DEFAULT */
    /* ms_report_write calls it with each file's name as it begins writing
     * it ("transcript.txt", ...), then once with NULL; may be NULL. */
    void (*progress)(const char *file, gpointer data);
    gpointer progress_data;
} MsReportOptions;

/* report.html of a longer run shows its beginning only: a page of more
 * lines takes longer to open than anyone waits, and the transcripts and
 * trace.json have every line. */
#define MS_REPORT_HTML_LINES_DEFAULT 20000u

void ms_report_options_init(MsReportOptions *options);

/* transfer full; NUL-terminated UTF-8 text. */
char *ms_report_transcript(const MsTrace *trace, const MsReportOptions *options);
/* The same transcript as a Markdown document: a timeline of events, then one
 * table per connection (transfer full). */
char *ms_report_transcript_md(const MsTrace *trace, const MsReportOptions *options);
/* summary.txt: per exchange, per message, the end state and the push-vs-pull
 * comparison (transfer full). */
char *ms_report_summary(const MsTrace *trace, const MsReportOptions *options);
/* The summary as a JSON object, with language-neutral keys; the same object
 * is trace.json's "summary" member (transfer full). */
char *ms_report_summary_json(const MsTrace *trace, gsize *len_out);
char *ms_report_json(const MsTrace *trace, const MsReportOptions *options, gsize *len_out);
/* Writes trace.json to `path` as a stream, record by record, in constant
 * memory beyond the trace; the same bytes as ms_report_json(). */
gboolean ms_report_json_write(const MsTrace *trace, const MsReportOptions *options,
                              const char *path, GError **error);

/* Writes transcript.txt, transcript.md, summary.txt and trace.json into
 * `dir` (which must exist), each streamed to its file, the transcript's
 * items and the summary built once for all; appends the path of every file
 * written to `written` (char*, freed by the array's free function).  The
 * same bytes as the functions above. */
gboolean ms_report_write(const MsTrace *trace, const MsReportOptions *options, const char *dir,
                         GPtrArray *written, GError **error);

/* ---- Languages --------------------------------------------------------------
 * The language of the words when --lang is not given: "zh" when the first
 * set of LC_ALL, LC_MESSAGES, LANG starts with "zh", else "en" (static). */
const char *ms_report_default_lang(void);
/* TRUE when lang is one the reports can write ("en", "zh"). */
gboolean ms_report_lang_supported(const char *lang);

/* Every English text the reports may translate, with the key it belongs to
 * (a note, phase or event key; NULL for the words of the layout): the
 * engines' note tables (SMTP, POP3, IMAP), the phase names, the event
 * sentences.  For the catalogue's generator and for the tests. */
typedef void (*MsReportMsgidFn)(const char *key, const char *msgid, gpointer user_data);
void ms_report_foreach_msgid(MsReportMsgidFn fn, gpointer user_data);
/* The msgids that had no translation when a report was written in a
 * language other than English since the start or the last reset (transfer
 * container; static strings).  For the tests. */
GPtrArray *ms_report_untranslated(void);
void ms_report_untranslated_reset(void);

/* Makes a line printable: control bytes and invalid UTF-8 as \xHH, CR and
 * LF as <CR> and <LF>, C1 controls as \u009B, and the characters that
 * reorder or hide the text around them unseen (bidi controls, zero-width
 * characters) by name, <U+202E>: a transcript is read on a terminal, and a
 * client's line must not act on it (transfer full). */
char *ms_report_escape_text(const char *text);

G_END_DECLS
