/* json.c - trace.json: every trace record, for tools and for the grader.
 * The schema is docs/trace-format.md; fields that do not apply to a record
 * are left out rather than written as null.
 */
#include "mailsim/report.h"

#include <json-glib/json-glib.h>

#include "report/report-private.h"

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    if (value == NULL)
        return;
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
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

static void add_record(JsonBuilder *b, const MsTraceRecord *r)
{
    json_builder_begin_object(b);
    add_int(b, "id", (gint64) r->id);
    add_string(b, "kind", ms_trace_kind_name(r->kind));
    add_int(b, "time_ns", r->time);
    if (r->arrival >= 0 && (r->kind == MS_TRACE_LINE || r->kind == MS_TRACE_SEGMENT_SENT))
        add_int(b, "arrival_ns", r->arrival);
    if (r->conn != 0)
        add_int(b, "conn", r->conn);
    add_string(b, "protocol", r->protocol);
    add_string(b, "dir", dir_name(r->dir));
    add_string(b, "src", r->src);
    add_string(b, "dst", r->dst);
    if (r->src_port != 0)
        add_int(b, "src_port", r->src_port);
    if (r->dst_port != 0)
        add_int(b, "dst_port", r->dst_port);
    add_string(b, "text", r->text);
    add_string(b, "eol", r->eol);
    add_string(b, "phase", r->phase);
    add_string(b, "note", r->note);
    if (r->kind == MS_TRACE_SEGMENT_SENT || r->kind == MS_TRACE_SEGMENT_LOST ||
        r->kind == MS_TRACE_SEGMENT_RECEIVED) {
        json_builder_set_member_name(b, "flags");
        json_builder_begin_array(b);
        static const struct {
            guint bit;
            const char *name;
        } names[] = {
            { MS_TCP_SYN, "SYN" }, { MS_TCP_ACK, "ACK" }, { MS_TCP_FIN, "FIN" },
            { MS_TCP_RST, "RST" }, { MS_TCP_PSH, "PSH" },
        };
        for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
            if ((r->flags & names[i].bit) != 0)
                json_builder_add_string_value(b, names[i].name);
        }
        json_builder_end_array(b);
        add_int(b, "seq", r->seq);
        add_int(b, "ack", r->ack);
        add_int(b, "len", r->len);
        if (r->retransmit != 0)
            add_int(b, "retransmit", r->retransmit);
    }
    add_string(b, "subject", r->subject);
    add_string(b, "detail", r->detail);
    if (r->kind == MS_TRACE_QUEUE || r->kind == MS_TRACE_MAILBOX)
        add_int(b, "count", r->count);
    json_builder_end_object(b);
}

char *ms_report_json(const MsTrace *trace, const MsReportOptions *options, gsize *len_out)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_string(b, "format", "mailsim-trace");
    add_int(b, "version", 1);
    add_string(b, "scenario", options->scenario_name);
    add_string(b, "file", options->scenario_file);
    /* A seed can exceed JSON's safe integer range; write it as a string too. */
    add_int(b, "seed", (gint64) options->seed);
    json_builder_set_member_name(b, "records");
    json_builder_begin_array(b);
    guint64 n = ms_trace_length(trace);
    for (guint64 i = 0; i < n; i++)
        add_record(b, ms_trace_get(trace, i));
    json_builder_end_array(b);
    /* What summary.txt says, with language-neutral keys (summary.c). */
    json_builder_set_member_name(b, "summary");
    g_autoptr(MsSummary) summary = ms_summary_build(trace);
    ms_summary_add_json(summary, b);
    json_builder_end_object(b);

    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 1);
    gsize len = 0;
    char *text = json_generator_to_data(gen, &len);
    if (len_out != NULL)
        *len_out = len;
    return text;
}
