/* report-private.h - what the renderers of sim/report share: the words (and
 * their translations), the sentences of trace events, the transcript's list
 * of items that both the text and the Markdown transcript print, and the
 * summary's model of a run.
 */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include "mailsim/proto.h"
#include "mailsim/report.h"
#include "mailsim/trace.h"

/* Marks a string for translation without translating it (xgettext's N_). */
#ifndef N_
#define N_(s) (s)
#endif
/* Translates an English text marked for translation in `lang`. */
#define TR(lang, s) ms_report_tr((lang), (s))

/* ---- Words (i18n.c, notes.c) -------------------------------------------- */

/* A key and its English words (a msgid): the tables of phases, notes and
 * labels (notes.c, labels.c). */
typedef struct {
    const char *key;
    const char *en;
} MsReportWords;

/* The English words of `key` in a table of n, or NULL (also for a NULL key). */
const char *ms_report_words_find(const MsReportWords *table, gsize n, const char *key);

/* TRUE for "zh" (and "zh_CN", "zh-CN"...). */
gboolean ms_report_lang_is_zh(const char *lang);
/* The scenario's title in `lang`: its Chinese title for zh when it has
 * one, else its name (transfer none; NULL when it has no name). */
const char *ms_report_scenario_title(const MsReportOptions *options, const char *lang);
/* The text of an English msgid in a language: itself for English, the
 * catalogue's translation for zh (the msgid again when there is none).
 * transfer none: the msgid or gettext's static string. */
const char *ms_report_tr(const char *lang, const char *msgid);
/* Brackets the writing of a report in a language, so that the switch of
 * gettext to it (and back) is made once, not at every lookup. */
void ms_report_lang_enter(const char *lang);
void ms_report_lang_leave(const char *lang);
/* Substitutes "{1}".."{9}" in the translation of msgid with the arguments
 * (a NULL-terminated list of strings); "{{" is not special (transfer full). */
char *ms_report_format(const char *lang, const char *msgid, ...) G_GNUC_NULL_TERMINATED;
char *ms_report_format_args(const char *lang, const char *msgid, const char *const *args,
                            guint n_args);
/* The singular or plural form of a text for the count n, translated
 * (ngettext: English has two forms, Chinese one); its {n} are left for
 * ms_report_format(..., "en", ...) to fill, which does not translate. */
const char *ms_report_trn(const char *lang, const char *singular, const char *plural, gulong n);

/* Human text for a phase key ("smtp.handshake") or annotation key
 * ("smtp.reply.354") in a language; NULL when the key is unknown. */
const char *ms_report_phase_text(const char *key, const char *lang);
const char *ms_report_note_text(const char *key, const char *lang);
/* The English text of a note key, from the engines' tables or the
 * report's own keys (tcp.*, eol.*); NULL when unknown. */
const char *ms_report_note_english(const char *key);

/* "TCP SYN+ACK seq=0 ack=1 len=0" for a segment record. */
void ms_report_append_segment(GString *out, const MsTraceRecord *r);
/* A segment's flags as "SYN+ACK", in the order SYN FIN RST PSH ACK; "-"
 * for none. */
void ms_report_append_flags(GString *out, guint flags);

/* ---- Event sentences (events.c) ----------------------------------------- */

/* The sentence of a non-line record (action, queue, mailbox, message, link,
 * error) in a language, or NULL when it has nothing to say (transfer full).
 * The English sentence is the record's `detail`; other languages rebuild it
 * from the template the detail matches, and fall back to the detail. */
char *ms_report_event_text(const MsTraceRecord *r, const char *lang);
/* Matches a record's detail against the templates of its note key: returns
 * the template (static English msgid) and its arguments (transfer full,
 * NULL-terminated), or NULL when no template matches. */
const char *ms_report_event_parse(const MsTraceRecord *r, char ***args_out);
/* Translates a phrase that appears inside event sentences (a refusal
 * reason, a duration "30 min"); returns a copy when it knows none. */
char *ms_report_phrase(const char *text, const char *lang);
/* Calls fn for every event template and phrase (for the catalogue). */
void ms_report_foreach_event_msgid(MsReportMsgidFn fn, gpointer user_data);

/* ---- The transcript's items (transcript_items.c, transcript_lines.c) ---- */

/* One TCP connection as the transcript names it, from its conn-open. */
typedef struct {
    guint id;
    const char *protocol;
    const char *client;
    const char *server;
    guint16 client_port;
    guint16 server_port;
} MsReportConn;

typedef enum {
    MS_ITEM_PHASE,   /* a phase heading of one connection */
    MS_ITEM_LINE,    /* a protocol line */
    MS_ITEM_CONN,    /* the connection opened, was established, closed ... */
    MS_ITEM_SEGMENT, /* a TCP segment (only with options->tcp) */
    MS_ITEM_EVENT,   /* a queue, mailbox, message, action, link or error record */
    MS_ITEM_ELIDED,  /* message body lines left out */
} MsItemKind;

/* Which way an item went on its connection, for the arrow between the two
 * ends: the connection is always written client first. */
typedef enum {
    MS_ARROW_NONE,
    MS_ARROW_TO_SERVER, /* → */
    MS_ARROW_TO_CLIENT, /* ← */
    MS_ARROW_BOTH,      /* ↔ */
} MsArrow;

typedef struct {
    MsItemKind kind;
    MsArrow arrow;
    /* Of the record shown (none for PHASE and ELIDED): the host that sent
     * or acted, which side sent it, its kind.  Copied, not pointed to: the
     * trace decodes its records on access (trace.h). */
    const char *src;
    const MsReportConn *conn;    /* NULL for events */
    MsTime time;
    const char *text;  /* LINE: the line made printable, with a visible odd line
                        * end; CONN/SEGMENT/EVENT: the sentence; PHASE: the phase
                        * name; ELIDED: "… 57 lines left out …" */
    /* The annotations to print under it: most items have one at most, so
     * the first is kept here and only the others in an array of their own
     * (see ms_item_note()). */
    const char *note;
    const char **more_notes;
    guint n_notes;
    guint8 dir;         /* MsDir */
    guint8 record_kind; /* MsTraceKind */
} MsItem;

/* EVENT: the host that acted (may be NULL). */
static inline const char *ms_item_who(const MsItem *item)
{
    return item->kind == MS_ITEM_EVENT ? item->src : NULL;
}

/* Note i (from 0, below n_notes) of an item. */
static inline const char *ms_item_note(const MsItem *item, guint i)
{
    return i == 0 ? item->note : item->more_notes[i - 1];
}

/* TRUE for the note key of a line of a message text (SMTP DATA, POP3 RETR,
 * an IMAP literal): "*.data.line", "*.data.stuffed", ... */
gboolean ms_report_is_text_note(const char *note);
/* Labels (labels.c): a few words naming a record, "queued (1 in queue)",
 * "service smtp down: port refuses", in the report's language; by its
 * event key, else by its kind.  Never NULL, empty or the raw key
 * (transfer full). */
char *ms_report_record_label(const MsTraceRecord *r, const char *lang);
/* The English label (a msgid, maybe with {n} and {1}..) of an event key
 * or a kind name ("conn-refused"), or NULL when it has none. */
const char *ms_report_label_english(const char *key);
const char *ms_report_kind_label_english(MsTraceKind kind);
/* Every label's key and English text, for the catalogue and the tests. */
void ms_report_foreach_label(MsReportMsgidFn fn, gpointer user_data);

/* Why a connection was never made, read from its conn-refused record's
 * detail (docs/network-model.md, "Ending a connection"): the server's TCP
 * answered the SYN with RST; the SYN was never answered (TCP's retries or
 * the relay's connect-timeout gave up); or there was no route. */
typedef enum {
    MS_REPORT_REFUSED_RST,
    MS_REPORT_REFUSED_TIMEOUT,
    MS_REPORT_REFUSED_NO_ROUTE,
} MsReportRefusal;

MsReportRefusal ms_report_refusal(const MsTraceRecord *r);

/* TRUE for a line record of binary content (an HTTP response's picture):
 * its text is a stand-in ("[3436 octets of image/jpeg]"), its len the
 * octets sent. */
gboolean ms_report_line_is_binary(const MsTraceRecord *r);
/* That stand-in in the report's language (transfer full). */
char *ms_report_binary_text(const MsTraceRecord *r, const char *lang);
/* TRUE when a header line starts with the field name and a colon. */
gboolean ms_report_has_field(const char *line, const char *name);

/* The items of a transcript in print order, and the connections by id.  A
 * long run has millions of items: they and their words are kept in blocks
 * the MsReportItems owns (repeated words once), not each on its own. */
typedef struct {
    GPtrArray *items;     /* MsItem*, in print order (transfer none) */
    GPtrArray *conns;     /* MsReportConn*, index = id, entry 0 unused */
    /* private */
    GStringChunk *strings;
    GPtrArray *blocks;    /* of MsItem[ITEM_BLOCK] */
    guint used;           /* items taken from the last block */
} MsReportItems;

MsReportItems *ms_report_items(const MsTrace *trace, const MsReportOptions *options);
void ms_report_items_free(MsReportItems *items);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsReportItems, ms_report_items_free)
/* The connection column: "[1] alice-pc:49152 → crepes.fr:25" with the
 * arrow of the item (transfer full). */
char *ms_report_conn_label(const MsReportConn *conn, MsArrow arrow);
/* The same, appended to out. */
void ms_report_append_conn_label(GString *out, const MsReportConn *conn, MsArrow arrow);

/* Lays out the items as transcript.txt (transcript.c) or transcript.md
 * (transcript_md.c), appending to `out`; with `file` non-NULL, `out` is
 * written to the file and emptied whenever it grows past a block, so a long
 * transcript never sits whole in memory (the caller writes what is left).
 * The caller has entered the options' language. */
void ms_report_transcript_write(GString *out, FILE *file, GPtrArray *items,
                                const MsReportOptions *options);
void ms_report_transcript_md_write(GString *out, FILE *file, GPtrArray *items, GPtrArray *conns,
                                   const MsReportOptions *options);
/* Writes `out` to `file` and empties it once it holds more than a block. */
void ms_report_flush(GString *out, FILE *file);

/* ---- Appending ------------------------------------------------------------ */

/* g_string_append_len() and g_string_append() for the many short pieces
 * the writers of the transcripts and of trace.json append: a copy in place
 * while the string has room, GLib's call only to grow it.  GLib 2.74 pays a
 * call, a length and an overlap check for every piece, which was a tenth of
 * a long run's output time (GLib 2.76 inlines the same test). */
static inline void ms_report_put(GString *out, const char *s, gsize len)
{
    if (out->len + len < out->allocated_len) {
        memcpy(out->str + out->len, s, len);
        out->len += len;
        out->str[out->len] = '\0';
    } else {
        g_string_append_len(out, s, (gssize) len);
    }
}

static inline void ms_report_puts(GString *out, const char *s)
{
    ms_report_put(out, s, strlen(s));
}

/* A number in decimal at buf (MS_REPORT_INT_MAX_LEN octets), NUL-terminated;
 * returns its length.  The digits are ms_proto_format_uint()'s, faster than
 * printf for the many numbers of a trace. */
#define MS_REPORT_INT_MAX_LEN (MS_PROTO_UINT_MAX_LEN + 1)
static inline gsize ms_report_format_int(char *buf, gint64 value)
{
    if (value >= 0)
        return ms_proto_format_uint(buf, (guint64) value);
    buf[0] = '-';
    return 1 + ms_proto_format_uint(buf + 1, (guint64) 0 - (guint64) value);
}

static inline void ms_report_append_int(GString *out, gint64 value)
{
    char digits[MS_REPORT_INT_MAX_LEN];
    ms_report_put(out, digits, ms_report_format_int(digits, value));
}

/* Sixteen octets as one vector (GCC's and Clang's vector extension, which
 * every target has: SSE2 on x86-64), for the writers' scans for octets to
 * escape, which a long output's text is nearly all free of. */
typedef guint8 MsOctets16 __attribute__((vector_size(16)));

static inline MsOctets16 ms_octets16_load(const char *p)
{
    MsOctets16 x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* The first lane a comparison's result m marks (all ones), 16 if none. */
static inline guint ms_octets16_first(MsOctets16 m)
{
    guint64 lo, hi;
    memcpy(&lo, &m, sizeof lo);
    memcpy(&hi, (const char *) &m + sizeof lo, sizeof hi);
    if ((lo | hi) == 0)
        return 16;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    return lo != 0 ? (guint) __builtin_ctzll(lo) >> 3 : 8 + ((guint) __builtin_ctzll(hi) >> 3);
#else
    const guint8 *lane = (const guint8 *) &m;
    guint i = 0;
    while (lane[i] == 0)
        i++;
    return i;
#endif
}

/* ---- Layout helpers (transcript.c) -------------------------------------- */

/* ms_report_escape_text()'s rule, appended to out, with what a report for
 * a terminal, XML or YAML keeps or escapes besides (flags, or-ed): */
#define MS_ESCAPE_KEEP_TAB 1u /* a TAB as it is, not \t */
#define MS_ESCAPE_KEEP_LF 2u  /* an LF as it is, not <LF> */
#define MS_ESCAPE_C1 4u       /* C1 controls and U+FFFE/U+FFFF as \u0085 */
#define MS_ESCAPE_INVISIBLE 8u /* bidi controls and zero-width characters as
                                * <U+202E> (ms_report_is_invisible()) */
void ms_report_append_escaped(GString *out, const char *text, guint flags);
/* Whether c reorders or hides the text around it on a screen without being
 * seen itself: Unicode's Bidi_Control characters (U+061C, U+200E, U+200F,
 * U+202A to U+202E, U+2066 to U+2069), the zero-width ones (U+200B to
 * U+200D, U+2060, U+FEFF) and the other format characters that draw
 * nothing (soft hyphen U+00AD, U+180E, the invisible operators U+2061 to
 * U+2064, the tag characters U+E0000 to U+E007F). */
gboolean ms_report_is_invisible(gunichar c);

/* Columns a string takes on a terminal (East Asian wide characters 2). */
guint ms_report_text_width(const char *s);
/* Appends s, wrapped at `width` columns: continuation lines start with
 * `indent` spaces.  Breaks between words, and anywhere between wide
 * characters; a single word longer than the line is not broken. */
void ms_report_append_wrapped(GString *out, const char *s, guint first_col, guint indent,
                              guint width);
/* Appends s then spaces up to `width` columns. */
void ms_report_append_padded(GString *out, const char *s, guint width);

/* ---- Streaming JSON (json_writer.c) ------------------------------------- */

/* Writes JSON as it goes, laid out as JSON-GLib's pretty generator with an
 * indent of 1 (trace.json's layout).  To a file, flushed in blocks (the
 * caller opens and closes it), or with file NULL into memory. */
typedef struct MsJsonWriter MsJsonWriter;

MsJsonWriter *ms_json_writer_new(FILE *file);
/* A packed writer, in memory (see json_writer.c). */
MsJsonWriter *ms_json_writer_new_packed(void);
/* Packed writers: the objects of the array begun next are written as
 * rows; ms_json_pack_end(), after that array and in an object, adds its
 * members "shapes" and "strings". */
void ms_json_pack_rows(MsJsonWriter *w);
void ms_json_pack_end(MsJsonWriter *w);
void ms_json_writer_free(MsJsonWriter *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsJsonWriter, ms_json_writer_free)
void ms_json_begin_object(MsJsonWriter *w);
void ms_json_end_object(MsJsonWriter *w);
void ms_json_begin_array(MsJsonWriter *w);
void ms_json_end_array(MsJsonWriter *w);
/* The name of the next value in an object (transfer none: it must stay
 * valid until that value is written). */
void ms_json_member(MsJsonWriter *w, const char *name);
/* The same for a name of len octets, NUL-terminated there, that needs no
 * escape (no quote, backslash, control character or DEL): written as it
 * is.  json.c passes its literals with their sizes. */
void ms_json_member_plain(MsJsonWriter *w, const char *name, gsize len);
void ms_json_string(MsJsonWriter *w, const char *value);
void ms_json_int(MsJsonWriter *w, gint64 value);
void ms_json_null(MsJsonWriter *w);
/* Flushes what is left; FALSE with a file error if any write failed. */
gboolean ms_json_writer_finish(MsJsonWriter *w, GError **error);
/* The text written into memory (transfer full). */
char *ms_json_writer_steal(MsJsonWriter *w, gsize *len_out);

/* trace.json for report.html: the same document, but compact, and with
 * "records" an object {"rows", "shapes", "strings"} of packed rows (see
 * json_writer.c).  Transfer full. */
char *ms_report_json_packed(const MsTrace *trace, const MsReportOptions *options,
                            gsize *len_out);
/* The same, of the trace's first n records only, and their summary. */
char *ms_report_json_packed_n(const MsTrace *trace, guint64 n, const MsReportOptions *options,
                              gsize *len_out);

/* ---- The summary's model (summary.c) ------------------------------------ */

typedef struct MsSummary MsSummary;

MsSummary *ms_summary_build(const MsTrace *trace);
/* The summary of the trace's first n records only (report.html's window). */
MsSummary *ms_summary_build_n(const MsTrace *trace, guint64 n);
void ms_summary_free(MsSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsSummary, ms_summary_free)

/* trace.json with a summary already built (NULL: built here). */
gboolean ms_report_json_write_summary(const MsTrace *trace, const MsSummary *summary,
                                      const MsReportOptions *options, const char *path,
                                      GError **error);

/* Renders the summary in words (summary_text.c, transfer full). */
char *ms_summary_to_text(const MsSummary *summary, const MsReportOptions *options);
/* The same, appended to `out` and, with `file` non-NULL, written to the file
 * block by block as ms_report_transcript_write does. */
void ms_summary_write(GString *out, FILE *file, const MsSummary *summary,
                      const MsReportOptions *options);
/* Writes the summary as one JSON object value (summary_json.c; the caller
 * has set the member name, if any). */
void ms_summary_add_json(const MsSummary *summary, MsJsonWriter *w);
