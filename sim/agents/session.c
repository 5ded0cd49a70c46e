/* session.c - the glue between a protocol engine and a TCP connection: each
 * line an engine produces becomes one trace record (the transcript's line)
 * and the lines of one engine step go out as one application write, so a
 * reply and the data that follows it share segments as a real stack would.
 */
#include "agents/agents-private.h"

void ms_session_send_lines(MsWorld *world, MsTcpConn *conn, MsDir side, GPtrArray *lines)
{
    if (lines == NULL || lines->len == 0)
        return;
    if (!ms_tcp_conn_is_open(conn, side))
        return; /* the engine spoke after the connection closed: nothing goes out */

    MsTrace *trace = ms_sim_trace(world->sim);
    MsDir peer = side == MS_DIR_CLIENT ? MS_DIR_SERVER : MS_DIR_CLIENT;
    /* Every line of a run passes here: the wire bytes go into one buffer of
     * the right size that TCP then keeps as it is, and each line's record
     * id and end offset share one array. */
    gsize size = 0;
    for (guint i = 0; i < lines->len; i++)
        size += ms_proto_line_wire_size(g_ptr_array_index(lines, i));
    typedef struct {
        guint64 id;
        gsize end;
    } Sent;
    /* Most steps send a line or a few: their ids fit on the stack. */
    Sent few[16];
    g_autofree Sent *many = lines->len > G_N_ELEMENTS(few) ? g_new(Sent, lines->len) : NULL;
    Sent *sent = many != NULL ? many : few;
    char *buf = g_malloc(MAX(size, 1));
    gsize at = 0;
    /* The connection, protocol, hosts and ports every line repeats are the
     * connection's trace context, found once for all its lines. */
    MsTraceContext ctx = ms_tcp_conn_trace_context(conn, side);
    MsTraceRecord head = { 0 };
    head.kind = MS_TRACE_LINE;
    head.time = ms_sim_now(world->sim);
    head.arrival = -1;
    head.conn = ms_tcp_conn_id(conn);
    head.protocol = ms_tcp_conn_protocol(conn);
    head.dir = side;
    head.src = ms_host_name(ms_tcp_conn_host(conn, side));
    head.dst = ms_host_name(ms_tcp_conn_host(conn, peer));
    head.src_port = ms_tcp_conn_port(conn, side);
    head.dst_port = ms_tcp_conn_port(conn, peer);

    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *line = g_ptr_array_index(lines, i);
        MsTraceRecord r = head;
        r.text = line->text;
        r.eol = line->eol;
        r.phase = line->phase;
        r.note = line->note;
        /* Binary content: the text is a stand-in, len the octets sent. */
        if (line->bytes != NULL)
            r.len = (guint32) MIN(g_bytes_get_size(line->bytes), G_MAXUINT32);
        sent[i].id = ms_trace_emit_in(trace, ctx, &r);
        at += ms_proto_line_copy_wire(line, buf + at);
        sent[i].end = at;
    }
    g_assert(at == size);

    guint64 stream_end = ms_tcp_send_bytes(conn, side, g_bytes_new_take(buf, at));
    guint64 stream_start = stream_end - at;
    for (guint i = 0; i < lines->len; i++)
        ms_tcp_track_arrival(conn, side, stream_start + sent[i].end, sent[i].id);
}

void ms_session_free(gpointer session)
{
    MsSessionBase *base = session;
    if (base != NULL)
        base->free(session);
}
