/* session.c - the glue between a protocol engine and a TCP connection: each
 * line an engine produces becomes one trace record (the transcript's line)
 * and the lines of one engine step go out as one application write, so a
 * reply and the data that follows it share segments as a real stack would.
 */
#include <string.h>

#include "agents/agents-private.h"

void ms_session_send_lines(MsWorld *world, MsTcpConn *conn, MsDir side, GPtrArray *lines)
{
    if (lines == NULL || lines->len == 0)
        return;

    MsTrace *trace = ms_sim_trace(world->sim);
    /* Every line of a run passes here: the wire bytes are copied once,
     * straight into the room the connection's send buffer makes for the
     * write.  A line is measured once: the first pass leaves its text's
     * length in `text` and its wire size in `sent` for the second, which
     * copies the bytes and turns the size into where the line ends in the
     * write, beside its record's id: what TCP tracks the arrival of. */
    gsize few_text[16];
    MsTcpArrival few_sent[G_N_ELEMENTS(few_text)];
    gboolean big = lines->len > G_N_ELEMENTS(few_text);
    /* Most steps send a line or a few: they fit on the stack. */
    g_autofree gsize *many_text = big ? g_new(gsize, lines->len) : NULL;
    g_autofree MsTcpArrival *many_sent = big ? g_new(MsTcpArrival, lines->len) : NULL;
    gsize *text = big ? many_text : few_text;
    MsTcpArrival *sent = big ? many_sent : few_sent;
    gsize size = 0;
    for (guint i = 0; i < lines->len; i++) {
        sent[i].end = ms_proto_line_measure(g_ptr_array_index(lines, i), &text[i]);
        size += sent[i].end;
    }
    char *buf = ms_tcp_send_reserve(conn, side, size);
    if (buf == NULL)
        return; /* the engine spoke after the connection closed: nothing goes out */
    gsize at = 0;
    /* The connection, protocol, hosts and ports every line repeats are the
     * connection's trace context, found once for all its lines, which the
     * trace reads instead of the record's: the record is filled in once
     * with the rest, and only its line's fields change. */
    MsTraceContext ctx = ms_tcp_conn_trace_context(conn, side);
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_LINE;
    r.time = ms_sim_now(world->sim);
    r.arrival = -1;
    r.dir = side;

    /* Lines in a row (a message's body, a multi-line reply) mostly share
     * their phase and note: the pair is found once for them. */
    const char *ann_phase = NULL, *ann_note = NULL;
    MsTraceAnn ann = 0;
    gboolean have_ann = FALSE;

    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *line = g_ptr_array_index(lines, i);
        guint eol = line->bytes != NULL ? MS_TRACE_EOL_OTHER : ms_trace_eol_code(line->eol);
        if (eol < MS_TRACE_EOL_OTHER) {
            if (!have_ann || line->phase != ann_phase || line->note != ann_note) {
                ann = ms_trace_annotation(trace, line->phase, line->note);
                ann_phase = line->phase;
                ann_note = line->note;
                have_ann = TRUE;
            }
            sent[i].trace_id = ms_trace_emit_line(trace, ctx, r.time, side, line->text, text[i],
                                                  ann, eol);
        } else {
            r.text = line->text;
            r.eol = line->eol;
            r.phase = line->phase;
            r.note = line->note;
            /* Binary content: the text is a stand-in, len the octets sent. */
            r.len = line->bytes != NULL ? (guint32) MIN(sent[i].end, G_MAXUINT32) : 0;
            sent[i].trace_id = ms_trace_emit_in(trace, ctx, &r);
        }
        ms_proto_line_copy_measured(line, text[i], sent[i].end, buf + at);
        at += sent[i].end;
        sent[i].end = at;
    }
    g_assert(at == size);

    guint64 stream_end = ms_tcp_send_commit(conn, side, at);
    guint64 stream_start = stream_end - at;
    for (guint i = 0; i < lines->len; i++)
        sent[i].end += stream_start;
    ms_tcp_track_arrivals(conn, side, sent, lines->len);
}

void ms_session_free(gpointer session)
{
    MsSessionBase *base = session;
    if (base != NULL)
        base->free(session);
}
