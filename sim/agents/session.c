/* session.c - the glue between a protocol engine and a TCP connection: each
 * line an engine produces becomes one trace record (the transcript's line)
 * and the lines of one engine step go out as one application write, so a
 * reply and the data that follows it share segments as a real stack would.
 */
#include <string.h>

#include "agents/agents-private.h"

/* The trace's code of a line ending, found once for the lines of a write
 * that share it: the lines of a run (nearly all "\r\n") find theirs by its
 * address alone instead of asking the trace for each, and a CRLF is known
 * by its octets, its code found once for the world. */
typedef struct {
    const char *eol; /* NULL: no code found yet */
    guint code;      /* ms_trace_eol_code() */
} EolCode;

static inline guint eol_code(const MsWorld *world, EolCode *m, const char *eol)
{
    if (G_LIKELY(eol == m->eol))
        return m->code;
    m->eol = eol;
    if (eol[0] == '\r' && eol[1] == '\n' && eol[2] == '\0')
        m->code = world->crlf_code;
    else
        m->code = ms_trace_eol_code(eol);
    return m->code;
}

/* The trace's handle of a line's (phase, note) pair.  Every line a run sends
 * needs one, and the pairs are few: the world remembers them by the two
 * keys' addresses, which an engine's static keys make enough (MsProtoLine),
 * so a line finds its pair without a call, where the trace itself, which
 * must allow for keys that are not static, would check each. */
static inline MsTraceAnn line_ann(MsWorld *world, MsTrace *trace, const char *phase,
                                  const char *note)
{
    guint64 h = (GPOINTER_TO_SIZE(phase) ^ (GPOINTER_TO_SIZE(note) << 1)) *
                G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
    MsWorldLineAnn *slot = &world->line_anns[h >> 56];
    G_STATIC_ASSERT(MS_WORLD_LINE_ANN_SLOTS == 256);
    if (G_LIKELY(slot->phase == phase && slot->note == note && slot->ann_plus_one != 0))
        return slot->ann_plus_one - 1;
    MsTraceAnn ann = ms_trace_annotation(trace, phase, note);
    slot->phase = phase;
    slot->note = note;
    slot->ann_plus_one = ann + 1;
    return ann;
}

/* The record of a line the trace's plain path cannot take (binary content,
 * an unusual ending): built in full, which a run does for few lines.  Not
 * inline, so that the usual path does not make room for its record. */
static G_GNUC_NO_INLINE guint64 emit_other(MsTrace *trace, MsTraceContext ctx, MsTime time, MsDir side,
                          const MsProtoLine *line, gsize size)
{
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_LINE;
    r.time = time;
    r.arrival = -1;
    r.dir = side;
    r.text = line->text;
    r.eol = line->eol;
    r.phase = line->phase;
    r.note = line->note;
    /* Binary content: the text is a stand-in, len the octets sent. */
    r.len = line->bytes != NULL ? (guint32) MIN(size, G_MAXUINT32) : 0;
    return ms_trace_emit_in(trace, ctx, &r);
}

void ms_session_send_lines(MsWorld *world, MsTcpConn *conn, MsDir side, GPtrArray *lines)
{
    if (lines == NULL || lines->len == 0)
        return;

    /* The sim's trace is the same for the whole run: asked for once. */
    MsTrace *trace = world->trace;
    if (G_UNLIKELY(trace == NULL))
        trace = world->trace = ms_sim_trace(world->sim);
    guint n = lines->len;
    MsProtoLine **line = (MsProtoLine **) lines->pdata;
    /* Every line of a run passes here: the wire bytes are copied once,
     * straight into the room the connection's send buffer makes for the
     * write.  A line is measured once: the first pass leaves where it ends
     * in the write in `sent`, beside its record's id (what TCP tracks the
     * arrival of), for the second, which copies the bytes (a text line's
     * own length is in the line). */
    MsTcpArrival few_sent[16];
    gboolean big = n > G_N_ELEMENTS(few_sent);
    /* Most steps send a line or a few: they fit on the stack.  Freed by
     * hand, not with g_autofree, which would call g_free() on every write
     * for the few that needed the heap. */
    MsTcpArrival *sent = big ? g_new(MsTcpArrival, n) : few_sent;
    gsize size = 0;
    for (guint i = 0; i < n; i++) {
        gsize text_len;
        size += ms_proto_line_measure(line[i], &text_len);
        sent[i].end = size;
    }
    char *buf = ms_tcp_send_reserve(conn, side, size);
    if (buf == NULL)
        goto out; /* the engine spoke after the connection closed: nothing goes out */
    /* The connection, protocol, hosts and ports every line repeats are the
     * connection's trace context, found once for all its lines, which the
     * trace reads instead of the record's: only the line's own fields go
     * with each. */
    MsTraceContext ctx = ms_tcp_conn_trace_context(conn, side);
    MsTime now = ms_sim_now(world->sim);

    EolCode eol = { 0 };
    guint crlf = world->crlf_code;
    gsize at = 0;
    for (guint i = 0; i < n; i++) {
        const MsProtoLine *l = line[i];
        gsize end = sent[i].end;
        guint code = l->bytes != NULL ? MS_TRACE_EOL_OTHER : eol_code(world, &eol, l->eol);
        if (code < MS_TRACE_EOL_OTHER) {
            MsTraceAnn ann = line_ann(world, trace, l->phase, l->note);
            sent[i].trace_id = ms_trace_emit_line(trace, ctx, now, side, l->text, l->len, ann,
                                                  code);
        } else {
            sent[i].trace_id = emit_other(trace, ctx, now, side, l, end - at);
        }
        /* Nearly every line ends in CRLF, whose two octets are known. */
        char *d = buf + at;
        if (G_LIKELY(code == crlf)) {
            gsize t = l->len;
            memcpy(d, l->text, t);
            d[t] = '\r';
            d[t + 1] = '\n';
        } else {
            ms_proto_line_copy_measured(l, l->bytes != NULL ? 0 : l->len, end - at, d);
        }
        at = end;
    }
    g_assert(at == size);

    guint64 stream_end = ms_tcp_send_commit(conn, side, size);
    guint64 stream_start = stream_end - size;
    for (guint i = 0; i < n; i++)
        sent[i].end += stream_start;
    ms_tcp_track_arrivals(conn, side, sent, n);
out:
    if (big)
        g_free(sent);
}

void ms_session_free(gpointer session)
{
    MsSessionBase *base = session;
    if (base != NULL)
        base->free(session);
}
