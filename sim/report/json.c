/* json.c - trace.json: every trace record, for tools and for the grader.
 * The schema is docs/trace-format.md; fields that do not apply to a record
 * are left out rather than written as null.
 */
#include "mailsim/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mailsim/imap.h"

#include "report/report-private.h"
#include "report/summary-private.h"

/* A member's name is a literal here, which needs no escape: written as it
 * is, with its length known (a record has a dozen members). */
#define add_string(w, name, value) add_string_plain(w, "" name, sizeof(name) - 1, value)
#define add_int(w, name, value) add_int_plain(w, "" name, sizeof(name) - 1, value)
#define member(w, name) ms_json_member_plain(w, "" name, sizeof(name) - 1)

static void add_string_plain(MsJsonWriter *w, const char *name, gsize len, const char *value)
{
    if (value == NULL)
        return;
    ms_json_member_plain(w, name, len);
    ms_json_string(w, value);
}

static void add_int_plain(MsJsonWriter *w, const char *name, gsize len, gint64 value)
{
    ms_json_member_plain(w, name, len);
    ms_json_int(w, value);
}

static const char *dir_name(MsDir dir)
{
    switch (dir) {
    case MS_DIR_CLIENT:
        return "C";
    case MS_DIR_SERVER:
        return "S";
    default:
        return NULL;
    }
}

static void add_record(MsJsonWriter *w, const MsTraceRecord *r)
{
    ms_json_begin_object(w);
    add_int(w, "id", (gint64) r->id);
    add_string(w, "kind", ms_trace_kind_name(r->kind));
    add_int(w, "time_ns", r->time);
    if (r->arrival >= 0 && (r->kind == MS_TRACE_LINE || r->kind == MS_TRACE_SEGMENT_SENT))
        add_int(w, "arrival_ns", r->arrival);
    if (r->conn != 0)
        add_int(w, "conn", r->conn);
    add_string(w, "protocol", r->protocol);
    add_string(w, "dir", dir_name(r->dir));
    add_string(w, "src", r->src);
    add_string(w, "dst", r->dst);
    if (r->src_port != 0)
        add_int(w, "src_port", r->src_port);
    if (r->dst_port != 0)
        add_int(w, "dst_port", r->dst_port);
    add_string(w, "text", r->text);
    if (r->kind == MS_TRACE_STORE)
        add_string(w, "folder", r->folder);
    else
        add_string(w, "eol", r->eol);
    add_string(w, "phase", r->phase);
    add_string(w, "note", r->note);
    /* Binary content: text is a stand-in, len the octets sent. */
    if (r->kind == MS_TRACE_LINE && r->len > 0)
        add_int(w, "len", r->len);
    if (r->kind == MS_TRACE_SEGMENT_SENT || r->kind == MS_TRACE_SEGMENT_LOST ||
        r->kind == MS_TRACE_SEGMENT_RECEIVED) {
        member(w, "flags");
        ms_json_begin_array(w);
        static const struct {
            guint bit;
            const char *name;
        } names[] = {
            { MS_TCP_SYN, "SYN" }, { MS_TCP_ACK, "ACK" }, { MS_TCP_FIN, "FIN" },
            { MS_TCP_RST, "RST" }, { MS_TCP_PSH, "PSH" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
            if ((r->flags & names[i].bit) != 0)
                ms_json_string(w, names[i].name);
        }
        ms_json_end_array(w);
        add_int(w, "seq", r->seq);
        add_int(w, "ack", r->ack);
        add_int(w, "len", r->len);
        if (r->retransmit != 0)
            add_int(w, "retransmit", r->retransmit);
    }
    if (r->kind == MS_TRACE_STORE && r->uid != 0) {
        /* A message's UID and, but on an expunge, its flags after the change. */
        add_int(w, "uid", r->uid);
        if (strcmp(r->note, "store.expunge") != 0) {
            member(w, "flags");
            ms_json_begin_array(w);
#define FLAG_NAME_(e, bit, name)          \
    if ((r->flags & (bit)) != 0)          \
        ms_json_string(w, name);
            MS_IMAP_FLAGS(FLAG_NAME_)
#undef FLAG_NAME_
            ms_json_end_array(w);
        }
    }
    add_string(w, "subject", r->subject);
    add_string(w, "detail", r->detail);
    if (r->kind == MS_TRACE_QUEUE || r->kind == MS_TRACE_MAILBOX || r->kind == MS_TRACE_STORE)
        add_int(w, "count", r->count);
    else if (r->count > 0 && r->kind >= MS_TRACE_CONN_OPEN && r->kind <= MS_TRACE_CONN_ABORT)
        add_int(w, "attempt", r->count); /* a relay's delivery attempt */
    ms_json_end_object(w);
}

/* The document, record by record, of the trace's first n records;
 * summary NULL: built here, of those records. */
static void write_trace(MsJsonWriter *w, const MsTrace *trace, guint64 n,
                        const MsSummary *summary, const MsReportOptions *options,
                        gboolean packed)
{
    ms_json_begin_object(w);
    add_string(w, "format", "mailsim-trace");
    add_int(w, "version", 1);
    add_string(w, "scenario", options->scenario_name);
    add_string(w, "file", options->scenario_file);
    add_int(w, "seed", (gint64) options->seed);
    member(w, "records");
    if (packed) {
        ms_json_begin_object(w);
        member(w, "rows");
        ms_json_pack_rows(w);
    }
    ms_json_begin_array(w);
    n = MIN(n, ms_trace_length(trace));
    for (guint64 i = 0; i < n; i++) {
        MsTraceRecord buf;
        add_record(w, ms_trace_get(trace, i, &buf));
    }
    ms_json_end_array(w);
    if (packed) {
        ms_json_pack_end(w);
        ms_json_end_object(w);
    }
    /* What summary.txt says, with language-neutral keys (summary.c). */
    member(w, "summary");
    g_autoptr(MsSummary) own = summary == NULL ? ms_summary_build_n(trace, n) : NULL;
    ms_summary_add_json(summary != NULL ? summary : own, w);
    ms_json_end_object(w);
}

char *ms_report_json(const MsTrace *trace, const MsReportOptions *options, gsize *len_out)
{
    g_autoptr(MsJsonWriter) w = ms_json_writer_new(NULL);
    write_trace(w, trace, ms_trace_length(trace), NULL, options, FALSE);
    return ms_json_writer_steal(w, len_out);
}

char *ms_report_json_packed_n(const MsTrace *trace, guint64 n, const MsReportOptions *options,
                              gsize *len_out)
{
    g_autoptr(MsJsonWriter) w = ms_json_writer_new_packed();
    write_trace(w, trace, n, NULL, options, TRUE);
    return ms_json_writer_steal(w, len_out);
}

char *ms_report_json_packed(const MsTrace *trace, const MsReportOptions *options, gsize *len_out)
{
    return ms_report_json_packed_n(trace, ms_trace_length(trace), options, len_out);
}

gboolean ms_report_json_write_summary(const MsTrace *trace, const MsSummary *summary,
                                      const MsReportOptions *options, const char *path,
                                      GError **error)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot write %s: %s",
                    path, g_strerror(saved));
        return FALSE;
    }
    g_autoptr(MsJsonWriter) w = ms_json_writer_new(file);
    write_trace(w, trace, ms_trace_length(trace), summary, options, FALSE);
    g_autoptr(GError) werr = NULL;
    gboolean ok = ms_json_writer_finish(w, &werr);
    if (fclose(file) != 0 && ok) {
        int saved = errno;
        g_set_error_literal(&werr, G_FILE_ERROR, g_file_error_from_errno(saved),
                            g_strerror(saved));
        ok = FALSE;
    }
    if (!ok)
        g_set_error(error, G_FILE_ERROR, werr->code, "cannot write %s: %s", path,
                    werr->message);
    return ok;
}

gboolean ms_report_json_write(const MsTrace *trace, const MsReportOptions *options,
                              const char *path, GError **error)
{
    return ms_report_json_write_summary(trace, NULL, options, path, error);
}
