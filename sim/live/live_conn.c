/* live_conn.c - one real client connection in live mode: the transport
 * under a server session.  Bytes from the socket are cut into the lines the
 * client sent (and an HTTP request's content), each recorded in the trace as
 * a simulated client's line would be, then fed to the session's engine; the
 * engine's lines are recorded and written back.  Nothing here blocks: reads
 * and writes wait for the socket in the main loop, and a client that does
 * not read, never stops a line, floods or falls silent is cut off alone;
 * so is an HTTP client whose request, trickled an octet at a time, is not
 * in whole by the request deadline.
 */
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "live/live-private.h"
#include "mailsim/http.h"

/* After our FIN, how long the client has to close its side. */
#define LINGER (2 * MS_SEC)
#define READ_CHUNK 16384
/* Reads in one turn of the main loop, at most: a client that sends without
 * pause does not keep the others waiting. */
#define READ_ROUNDS 16
/* An HTTP request's content is recorded whole up to this size. */
#define HTTP_BODY_RECORD_MAX (2 * 1024 * 1024)

struct LiveConn {
    MsLive *live;
    MsLiveService service;
    GSocketConnection *connection;
    GSocket *socket;
    GSource *in_source;
    GSource *out_source;
    guint settle_source;
    MsServerSession *session;
    guint id;                /* the trace's connection id */
    char *peer;              /* client address */
    guint16 peer_port;
    guint16 port;            /* ours */
    gboolean counted;        /* counts against the limits (not refused) */
    GByteArray *in;          /* received, not yet a whole line */
    GByteArray *out;         /* to write */
    gsize out_pos;
    MsTime opened;
    MsTime last_input;
    MsTime request_since;    /* HTTP: when the first octet of the request
                              * being received came, or -1 between requests */
    MsTime shut_at;          /* when our FIN went (or writing failed), or -1 */
    gboolean want_close;     /* the session closed its side */
    gboolean write_shut;     /* FIN sent */
    gboolean write_failed;   /* writing failed: the client has gone, but
                              * what it sent before is still read */
    gboolean give_up;        /* the server drops the client at once */
    gboolean read_closed;    /* the client's FIN (or reset) came */
    gboolean finished;
    gboolean replied;        /* the server answered since the client's
                              * last line */
    gboolean peer_seen;      /* the client's own socket could be seen
                              * (live_peer.c) */
    gboolean early;          /* the client's next line came before it had
                              * read the server's last reply */
    char *abort_why;         /* the connection broke (reset, write error) */
    char *cut_why;           /* why the server cut the client off */
    guint64 lines_in;
    guint64 lines_out;
    guint64 commands;        /* lines in that are not a message's text */
    guint64 text_octets;     /* of the message text being sent, so far */
    /* HTTP: where a request's header section ends and its content begins. */
    gboolean http_in_headers;
    guint64 http_length;
    guint64 http_body_left;
};

static void settle_later(LiveConn *c);
static void finish(LiveConn *c);

/* Acknowledges what the client sends at once, not with the next reply.
 * A client that writes its lines one by one without reading (Nagle's
 * algorithm, RFC 896, on by default) holds each small write back until
 * the one before is acknowledged; if it then closes with replies unread,
 * its kernel resets the connection and throws away what it held back, so
 * how many of its lines ever left depended on whether our delayed
 * acknowledgement (RFC 1122 4.2.3.2) beat its close.  Linux goes back to
 * delaying once it answers soon after it received (its "pingpong" mode
 * for interactive peers), so quick acknowledgement is asked for again
 * after every write and read. */
static void ack_at_once(LiveConn *c)
{
#ifdef TCP_QUICKACK
    int one = 1;
    setsockopt(g_socket_get_fd(c->socket), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
    (void) c;
#endif
}

/* ---- recording ---------------------------------------------------------- */

/* wire_len: for binary content, the octets sent in place of the stand-in
 * text (0 for a text line). */
static guint64 record_line(LiveConn *c, MsDir dir, const char *text, gsize len, const char *eol,
                           const char *phase, const char *note, gsize wire_len)
{
    MsWorld *world = c->live->world;
    /* (a client may send a NUL, which a record's text cannot hold) */
    g_autofree char *copy = ms_trace_line_text(text, len);
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_LINE;
    r.time = ms_sim_now(world->sim);
    /* On a real socket the moment of sending is all that is known. */
    r.arrival = r.time;
    r.conn = c->id;
    r.protocol = ms_live_service_name(c->service);
    r.dir = dir;
    gboolean client = dir == MS_DIR_CLIENT;
    r.src = client ? c->peer : c->live->server->name;
    r.dst = client ? c->live->server->name : c->peer;
    r.src_port = client ? c->peer_port : c->port;
    r.dst_port = client ? c->port : c->peer_port;
    r.text = copy;
    r.eol = eol;
    r.phase = phase;
    r.note = note;
    r.len = (guint32) MIN(wire_len, G_MAXUINT32);
    return ms_trace_emit(ms_sim_trace(world->sim), &r);
}

/* A record on the connection, now, sent the way dir says. */
static MsTraceRecord conn_record(const LiveConn *c, MsTraceKind kind, MsDir dir,
                                 const char *detail)
{
    MsTraceRecord r = { 0 };
    r.kind = kind;
    r.time = ms_sim_now(c->live->world->sim);
    r.arrival = -1;
    r.conn = c->id;
    r.protocol = ms_live_service_name(c->service);
    r.dir = dir;
    gboolean server = dir == MS_DIR_SERVER;
    r.src = server ? c->live->server->name : c->peer;
    r.dst = server ? c->peer : c->live->server->name;
    r.src_port = server ? c->port : c->peer_port;
    r.dst_port = server ? c->peer_port : c->port;
    r.detail = detail;
    return r;
}

/* The client sent its next line before it had read the reply to the one
 * before it: an event on the connection, just before that line. */
static void record_early(LiveConn *c)
{
    g_autofree char *detail = g_strdup_printf("%s sent the next line before it had read the "
                                              "reply to the one before it",
                                              c->peer);
    MsTraceRecord r = conn_record(c, MS_TRACE_ACTION, MS_DIR_CLIENT, detail);
    r.note = "live.early";
    ms_trace_emit(ms_sim_trace(c->live->world->sim), &r);
}

static void record_conn(LiveConn *c, MsTraceKind kind, MsDir dir, const char *detail)
{
    MsTraceRecord r = conn_record(c, kind, dir, detail);
    ms_trace_emit(ms_sim_trace(c->live->world->sim), &r);
}

/* ---- writing ------------------------------------------------------------ */

static void stop_source(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

static gboolean on_writable(GSocket *socket, GIOCondition cond, gpointer data);

/* The server drops the client at once: nothing more is read, recorded or
 * written. */
static void set_abort(LiveConn *c, const char *why)
{
    if (c->abort_why == NULL)
        c->abort_why = g_strdup(why);
    c->give_up = TRUE;
    settle_later(c);
}

/* Writing failed: the client has gone.  A program that closes its socket
 * with replies it never read makes its kernel reset the connection, and a
 * reply written after that fails; but what the program sent before it
 * closed is all in this side's receive queue, and it is read to the end
 * all the same, so that every line of it reaches the trace and the engine
 * in order, however the reset and the replies happened to cross.  What the
 * engine says from now on is recorded, as a simulated server's lines are
 * when sent, and not written. */
static void write_failed(LiveConn *c, const char *why)
{
    if (c->abort_why == NULL)
        c->abort_why = g_strdup(why);
    c->write_failed = TRUE;
    if (c->shut_at < 0)
        c->shut_at = ms_sim_now(c->live->world->sim);
    g_byte_array_set_size(c->out, 0);
    c->out_pos = 0;
    stop_source(&c->out_source);
    settle_later(c);
}

/* Writes what the socket takes now; waits for it to take more. */
static void flush(LiveConn *c)
{
    while (c->out_pos < c->out->len && !c->give_up) {
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_send(c->socket, (const char *) c->out->data + c->out_pos,
                                 c->out->len - c->out_pos, NULL, &error);
        if (n < 0) {
            if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                break;
            write_failed(c, error->message);
            return;
        }
        c->out_pos += (gsize) n;
        ack_at_once(c);
    }
    if (c->out_pos == c->out->len) {
        g_byte_array_set_size(c->out, 0);
        c->out_pos = 0;
        stop_source(&c->out_source);
        if (c->want_close)
            settle_later(c);
        return;
    }
    if (c->out->len - c->out_pos > c->live->limits.max_output) {
        /* It does not read what it asked for: nothing more can be said. */
        c->cut_why = g_strdup("it does not read the replies");
        set_abort(c, "the client does not read the replies");
        return;
    }
    if (c->out_source == NULL) {
        c->out_source = g_socket_create_source(c->socket, G_IO_OUT, NULL);
        g_source_set_callback(c->out_source, G_SOURCE_FUNC(on_writable), c, NULL);
        g_source_attach(c->out_source, NULL);
    }
}

static gboolean on_writable(GSocket *socket, GIOCondition cond, gpointer data)
{
    (void) socket;
    (void) cond;
    LiveConn *c = data;
    ms_live_sync(c->live);
    flush(c);
    ms_live_sync(c->live);
    return G_SOURCE_CONTINUE; /* flush() removes it when done */
}

/* MsServerTransport: the engine's lines, recorded and written. */
static void transport_send(MsServerSession *s, GPtrArray *lines)
{
    LiveConn *c = s->transport_data;
    if (lines == NULL || lines->len == 0 || c->write_shut || c->give_up)
        return;
    for (guint i = 0; i < lines->len; i++) {
        const MsProtoLine *line = g_ptr_array_index(lines, i);
        record_line(c, MS_DIR_SERVER, line->text, strlen(line->text), line->eol, line->phase,
                    line->note, line->bytes != NULL ? g_bytes_get_size(line->bytes) : 0);
        if (!c->write_failed)
            ms_proto_line_append_wire(line, c->out);
        c->lines_out++;
    }
    /* RFC 5321 4.3.1, RFC 1939 3: a client waits for each reply before
     * it sends its next command.  What of the next line is in already
     * (in the input, or in the socket still) came before this reply went
     * out.  HTTP/1.1 may pipeline (RFC 9112 9.3.2).  The greeting is left
     * out: it goes the moment the connection is accepted, and whether a
     * client that does not wait for it has written its first line by then
     * is a matter of microseconds, found in one grading and not in the
     * next; a line in the same segment as the one before is found every
     * time. */
    if (c->lines_in > 0 && c->service != MS_LIVE_HTTP) {
        c->replied = TRUE;
        if (c->in->len > 0 || g_socket_get_available_bytes(c->socket) > 0)
            c->early = TRUE;
    }
    if (!c->write_failed)
        flush(c);
}

static void transport_close(MsServerSession *s)
{
    LiveConn *c = s->transport_data;
    c->want_close = TRUE;
    settle_later(c);
}

static const MsServerTransport live_transport = {
    .send = transport_send,
    .close = transport_close,
};

/* ---- reading ------------------------------------------------------------ */

static void cut(LiveConn *c, const char *why)
{
    if (c->cut_why == NULL)
        c->cut_why = g_strdup(why);
    ms_server_session_cut(c->session, why);
}

/* The request deadline's clock: it starts with the first octet of a request
 * (on_readable) and stops once the engine has read the request whole;
 * pipelined requests each start it again, as their first octets are read
 * (the ones already in arrived with the last read). */
static void request_read(LiveConn *c)
{
    const MsServerProtocol *proto = c->session->proto;
    if (proto->in_request != NULL && !proto->in_request(c->session))
        c->request_since = -1;
}

static void request_arrived(LiveConn *c, MsTime now)
{
    const MsServerProtocol *proto = c->session->proto;
    if (proto->in_request == NULL || c->session->closing || c->request_since >= 0)
        return;
    if (c->in->len > 0 || proto->in_request(c->session))
        c->request_since = now;
}

/* One line from the client (or a piece of a literal, up to a line end or
 * to its last octet): recorded, then fed to the engine (whose answer is
 * recorded after it). */
static void client_line(LiveConn *c, const char *bytes, gsize len, gsize eol_len,
                        gboolean literal)
{
    /* Each line at its own time, at least a microsecond after the last
     * (pipelined lines arrive together), and the answer a microsecond
     * after it: the outputs keep the order in which the server read and
     * answered, and the simulated clock stays the one clock of the
     * trace. */
    MsSim *sim = c->live->world->sim;
    ms_live_sync(c->live);
    ms_sim_advance(sim, ms_sim_now(sim) + MS_USEC);
    const char *eol = eol_len == 2 ? "\r\n" : eol_len == 1 ? "\n" : "";
    const char *phase = NULL;
    const MsServerProtocol *proto = c->session->proto;
    const char *note = proto->client_note != NULL
                           ? proto->client_note(c->session, bytes, len, &phase)
                           : NULL;
    if (literal)
        note = "imap.cmd.literal"; /* as a simulated client records one */
    /* A line that came after the reply may still have been sent before
     * the client read it: a client on this machine that has not read all
     * the server said by now did not wait (a program that never reads
     * its replies, however fast the server answered its lines one by
     * one).  An SMTP or POP3 server speaks only when spoken to, so what
     * is unread is a reply to an earlier line; an IMAP server may speak
     * unasked.  A client whose socket was seen and is gone now closed it
     * with replies unread (its kernel reset the connection and dropped
     * the socket at once; one that had read all would linger in
     * FIN-WAIT or TIME-WAIT) or had a reply reach it closed, which it
     * had not waited for either: all it sent came before. */
    if (c->replied && !c->early && c->service != MS_LIVE_IMAP) {
        gint64 unread = ms_live_peer_unread(c->socket);
        if (unread > 0 || (unread < 0 && c->peer_seen))
            c->early = TRUE;
    }
    c->replied = FALSE;
    if (c->early) {
        c->early = FALSE;
        record_early(c);
    }
    record_line(c, MS_DIR_CLIENT, bytes, len, eol, phase, note, 0);
    if (c->service == MS_LIVE_HTTP) {
        /* RFC 9112 6.3: Content-Length says where the content ends; the
         * engine frames it, this only records it as content. */
        if (!c->http_in_headers && len > 0) {
            c->http_in_headers = TRUE;
            c->http_length = 0;
        } else if (c->http_in_headers && len == 0) {
            c->http_in_headers = FALSE;
            c->http_body_left = c->http_length;
        } else if (c->http_in_headers && len > 15 &&
                   g_ascii_strncasecmp(bytes, "Content-Length:", 15) == 0) {
            g_autofree char *v = g_strstrip(g_strndup(bytes + 15, len - 15));
            guint64 n = 0;
            if (g_ascii_string_to_unsigned(v, 10, 0, G_MAXUINT64, &n, NULL))
                c->http_length = n;
        }
    }
    c->lines_in++;
    ms_sim_advance(sim, ms_sim_now(sim) + MS_USEC);
    ms_server_session_data(c->session, bytes, len + eol_len);
    request_read(c);
}

static void record_body(LiveConn *c, const char *p, gsize size)
{
    gsize pos = 0;
    while (pos < size) {
        const char *nl = memchr(p + pos, '\n', size - pos);
        gsize end = nl != NULL ? (gsize) (nl - p) : size;
        gsize next = nl != NULL ? end + 1 : size;
        const char *eol = nl != NULL ? "\n" : "";
        if (nl != NULL && end > pos && p[end - 1] == '\r') {
            end--;
            eol = "\r\n";
        }
        record_line(c, MS_DIR_CLIENT, p + pos, end - pos, eol, MS_HTTP_PHASE_REQUEST,
                    "http.body.form", 0);
        pos = next;
    }
}

static void drop_input(LiveConn *c, gsize n)
{
    g_byte_array_remove_range(c->in, 0, (guint) n);
}

/* A line longer than any engine reads.  The HTTP engine answers one past
 * its own limit as RFC 9112 wants (414 for the request line, 431 for a
 * field line: RFC 9112 3, RFC 6585 5), so it is handed the line's start
 * and says so itself; the others are long past their RFC limits, and the
 * client is cut off. */
static void line_too_long(LiveConn *c)
{
    if (c->service == MS_LIVE_HTTP) {
        gsize n = MIN((gsize) c->in->len, c->live->limits.max_line);
        g_autofree char *start = g_memdup2(c->in->data, n);
        g_byte_array_set_size(c->in, 0);
        client_line(c, start, n, 0, FALSE);
        if (c->session->closing)
            return;
    }
    g_byte_array_set_size(c->in, 0);
    cut(c, "line too long");
}

/* Where the line that starts the input ends, with its end's length in
 * *eol_len_out, looking for its LF from `from` on; FALSE when its LF has
 * not come. */
static gboolean find_line_end(LiveConn *c, gsize from, gsize *end_out, gsize *eol_len_out)
{
    const char *data = (const char *) c->in->data;
    const char *nl = memchr(data + from, '\n', c->in->len - from);
    if (nl == NULL)
        return FALSE;
    gsize end = (gsize) (nl - data);
    *eol_len_out = 1;
    if (end > 0 && data[end - 1] == '\r') {
        end--;
        *eol_len_out = 2;
    }
    *end_out = end;
    return TRUE;
}

/* RFC 9051 4.3: a literal is exactly its announced number of octets, line
 * ends or none, so no line limit applies to it (the engine bounds its
 * size).  It is recorded a line at a time as the lines come, its last
 * octets with the rest of the command line after them, as a simulated
 * client records one; only that rest is held to the line limit.  FALSE:
 * the rest of a line is on its way, or the client was cut off. */
static gboolean take_literal(LiveConn *c, guint64 left)
{
    gsize avail = (gsize) MIN((guint64) c->in->len, left);
    gsize end = 0, eol_len = 0;
    if (memchr(c->in->data, '\n', avail) != NULL) {
        find_line_end(c, 0, &end, &eol_len);
    } else if (avail < left) {
        return FALSE;
    } else if (!find_line_end(c, avail, &end, &eol_len)) {
        if (c->in->len - avail > c->live->limits.max_line)
            line_too_long(c);
        return FALSE;
    } else if (end > avail && end - avail > c->live->limits.max_line) {
        line_too_long(c);
        return FALSE;
    }
    g_autofree char *line = g_memdup2(c->in->data, end + eol_len);
    drop_input(c, end + eol_len);
    client_line(c, line, end, eol_len, TRUE);
    return TRUE;
}

/* The bounds on lines: a session's commands are counted (a client cannot
 * go on for ever); a message's text is not, since the SIZE limit bounds
 * it - the engine answers 552 after the final dot, and a client that goes
 * on far past it is cut off.  FALSE: the client was cut off. */
static gboolean within_bounds(LiveConn *c, gboolean text, gsize octets)
{
    if (text) {
        guint64 size = c->live->server->spec->max_size;
        c->text_octets += octets;
        if (size > 0 && c->text_octets / 2 > size) {
            cut(c, "the message is far larger than the SIZE limit");
            return FALSE;
        }
        return TRUE;
    }
    c->text_octets = 0;
    if (c->commands >= c->live->limits.max_commands) {
        cut(c, "too many commands in one session");
        return FALSE;
    }
    c->commands++;
    return TRUE;
}

/* Cuts what has arrived into lines (and HTTP contents, IMAP literals) and
 * hands them on, as long as the session listens. */
static void process_input(LiveConn *c)
{
    const MsServerProtocol *proto = c->session->proto;
    while (c->in->len > 0 && !c->session->closing && !c->give_up) {
        const char *data = (const char *) c->in->data;
        if (c->http_body_left > 0) {
            gsize take = (gsize) MIN((guint64) c->in->len, c->http_body_left);
            if (take < c->http_body_left && c->http_body_left <= HTTP_BODY_RECORD_MAX)
                return; /* the rest of the content is on its way */
            record_body(c, data, take);
            c->http_body_left -= take;
            g_autofree char *copy = g_memdup2(data, take);
            drop_input(c, take);
            ms_server_session_data(c->session, copy, take);
            request_read(c);
            continue;
        }
        guint64 literal = 0;
        gboolean text = proto->client_text != NULL && proto->client_text(c->session, &literal);
        if (literal > 0) {
            if (!take_literal(c, literal))
                return;
            continue;
        }
        gsize end = 0, eol_len = 0;
        if (!find_line_end(c, 0, &end, &eol_len)) {
            if (c->in->len > c->live->limits.max_line)
                line_too_long(c);
            return;
        }
        if (end > c->live->limits.max_line) {
            line_too_long(c);
            return;
        }
        if (!within_bounds(c, text, end + eol_len)) {
            g_byte_array_set_size(c->in, 0);
            return;
        }
        g_autofree char *line = g_memdup2(data, end + eol_len);
        drop_input(c, end + eol_len);
        client_line(c, line, end, eol_len, FALSE);
    }
    if (c->session->closing)
        g_byte_array_set_size(c->in, 0); /* said after the end: not heard */
}

/* The client's side has ended: its FIN came, or its kernel reset the
 * connection (reset: why).  Linux hands out every octet that came before a
 * reset first, so either way all the client sent is in: the lines still
 * whole in the input go to the engine, then what is left of a last line
 * without its end (the client meant it), and the engine hears that the
 * client has gone. */
static void input_ended(LiveConn *c, const char *reset)
{
    c->read_closed = TRUE;
    if (reset != NULL && c->abort_why == NULL)
        c->abort_why = g_strdup(reset);
    if (!c->session->closing && !c->give_up)
        process_input(c);
    if (!c->session->closing && !c->give_up && c->in->len > 0) {
        g_autofree char *rest = g_memdup2(c->in->data, c->in->len);
        gsize len = c->in->len;
        g_byte_array_set_size(c->in, 0);
        client_line(c, rest, len, 0, FALSE);
    }
    g_byte_array_set_size(c->in, 0);
    if (!c->give_up)
        ms_server_session_peer_closed(c->session);
    settle_later(c);
}

/* Reads what has come, a few chunks at a time, and hands it on. */
static gboolean on_readable(GSocket *socket, GIOCondition cond, gpointer data)
{
    (void) cond;
    LiveConn *c = data;
    MsLive *live = c->live;
    ms_live_sync(live);
    for (guint round = 0; round < READ_ROUNDS && !c->give_up; round++) {
        char buf[READ_CHUNK];
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_receive(socket, buf, sizeof buf, NULL, &error);
        if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            break;
        if (n <= 0) {
            g_source_unref(c->in_source);
            c->in_source = NULL;
            input_ended(c, n < 0 ? error->message : NULL);
            ms_live_sync(live);
            return G_SOURCE_REMOVE;
        }
        c->last_input = ms_live_now(live);
        ack_at_once(c);
        if (!c->session->closing) {
            g_byte_array_append(c->in, (const guint8 *) buf, (guint) n);
            request_arrived(c, c->last_input);
            process_input(c);
            request_arrived(c, c->last_input);
        }
    }
    ms_live_sync(live);
    return G_SOURCE_CONTINUE;
}

/* ---- the end ------------------------------------------------------------ */

/* Moves the connection on once the session has had its say: FIN when all
 * is written, the end when both sides are closed (or the client does not
 * close in time, or the connection broke).  Runs from the main loop, never
 * from inside the session. */
static void settle(LiveConn *c)
{
    if (c->finished)
        return;
    /* Given up on, or broken with all the client sent read. */
    if (c->give_up || (c->abort_why != NULL && c->read_closed)) {
        finish(c);
        return;
    }
    if (c->want_close && !c->write_shut && !c->write_failed && c->out_pos == c->out->len) {
        c->write_shut = TRUE;
        c->shut_at = ms_sim_now(c->live->world->sim);
        g_autoptr(GError) error = NULL;
        if (!g_socket_shutdown(c->socket, FALSE, TRUE, &error)) {
            set_abort(c, error->message);
            return;
        }
    }
    if (c->write_shut && c->read_closed)
        finish(c);
}

static gboolean on_settle(gpointer data)
{
    LiveConn *c = data;
    MsLive *live = c->live; /* settle() may free c */
    c->settle_source = 0;
    ms_live_sync(live);
    settle(c);
    ms_live_sync(live);
    return G_SOURCE_REMOVE;
}

static void settle_later(LiveConn *c)
{
    if (c->settle_source == 0 && !c->finished)
        c->settle_source = g_idle_add(on_settle, c);
}

static void conn_free(LiveConn *c)
{
    stop_source(&c->in_source);
    stop_source(&c->out_source);
    if (c->settle_source != 0)
        g_source_remove(c->settle_source);
    g_object_unref(c->connection);
    g_byte_array_unref(c->in);
    g_byte_array_unref(c->out);
    g_free(c->peer);
    g_free(c->abort_why);
    g_free(c->cut_why);
    g_free(c);
}

static void finish(LiveConn *c)
{
    MsLive *live = c->live;
    c->finished = TRUE;
    gboolean aborted = c->abort_why != NULL || !c->read_closed;
    if (c->abort_why != NULL) {
        record_conn(c, MS_TRACE_CONN_ABORT, MS_DIR_SERVER, c->abort_why);
    } else if (!c->read_closed) {
        record_conn(c, MS_TRACE_CONN_ABORT, MS_DIR_SERVER,
                    "the client did not close its side; the server reset the connection");
    } else {
        record_conn(c, MS_TRACE_CONN_CLOSE, MS_DIR_NONE, NULL);
    }
    ms_server_session_closed(c->session, aborted);
    c->session = NULL;
    g_io_stream_close(G_IO_STREAM(c->connection), NULL, NULL);
    MsTime took = ms_sim_now(live->world->sim) - c->opened;
    g_autofree char *secs = ms_time_format_human(took);
    ms_live_log(live, "close [%u] %s %s:%u after %s, %" G_GUINT64_FORMAT " lines in, %"
                G_GUINT64_FORMAT " out%s%s",
                c->id, ms_live_service_name(c->service), c->peer, c->peer_port, secs,
                c->lines_in, c->lines_out, c->cut_why != NULL ? "; cut off: " : "",
                c->cut_why != NULL ? c->cut_why : "");
    ms_live_forget(live, c, c->peer, c->counted);
    conn_free(c);
}

void ms_live_conn_finish_now(LiveConn *c)
{
    flush(c);
    finish(c);
}

guint64 ms_live_conn_lines(const LiveConn *c)
{
    return c->finished || c->session == NULL || c->session->closing ? 0 : c->lines_in;
}

void ms_live_conn_cut(LiveConn *c, const char *why)
{
    if (c->session == NULL || c->finished)
        return;
    cut(c, why);
}

void ms_live_conn_tick(LiveConn *c, MsTime now)
{
    if (c->finished)
        return;
    if ((c->write_shut || c->write_failed) && now - c->shut_at >= LINGER) {
        finish(c);
        return;
    }
    /* RFC 9110 15.5.9: a request not received whole in time gets 408,
     * however often its octets come (one a second never lets the idle
     * time run out). */
    MsTime deadline = c->live->limits.request_time;
    if (!c->session->closing && deadline > 0 && c->request_since >= 0 &&
        now - c->request_since >= deadline) {
        g_autofree char *span = ms_time_format_human(deadline);
        g_autofree char *why = g_strdup_printf("the request did not arrive whole in %s", span);
        if (c->cut_why == NULL)
            c->cut_why = g_strdup(why);
        ms_server_session_cut_idle(c->session, why, TRUE);
        return;
    }
    MsTime idle = c->live->limits.idle;
    if (!c->session->closing && idle > 0 && now - c->last_input >= idle) {
        g_autofree char *span = ms_time_format_human(idle);
        g_autofree char *why = g_strdup_printf("idle for %s", span);
        if (c->cut_why == NULL)
            c->cut_why = g_strdup(why);
        ms_server_session_cut_idle(c->session, why, c->in->len > 0);
    }
}

LiveConn *ms_live_conn_new(MsLive *live, MsLiveService service, GSocketConnection *connection,
                           const char *peer, const char *refuse)
{
    LiveConn *c = g_new0(LiveConn, 1);
    c->live = live;
    c->service = service;
    c->connection = g_object_ref(connection);
    c->socket = g_socket_connection_get_socket(connection);
    g_socket_set_blocking(c->socket, FALSE);
    ack_at_once(c);
    c->id = ms_net_take_conn_id(live->world->net);
    c->peer = g_strdup(peer);
    c->counted = refuse == NULL;
    g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(connection, NULL);
    if (remote != NULL && G_IS_INET_SOCKET_ADDRESS(remote))
        c->peer_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote));
    c->port = live->ports[service];
    c->in = g_byte_array_new();
    c->out = g_byte_array_new();
    c->opened = ms_sim_now(live->world->sim);
    c->last_input = ms_live_now(live);
    c->request_since = -1;
    c->shut_at = -1;
    live->total++;

    /* The handshake happened in the kernel: open and established at once. */
    record_conn(c, MS_TRACE_CONN_OPEN, MS_DIR_CLIENT, NULL);
    record_conn(c, MS_TRACE_CONN_ESTABLISHED, MS_DIR_CLIENT, NULL);
    record_conn(c, MS_TRACE_CONN_ESTABLISHED, MS_DIR_SERVER, NULL);
    ms_live_log(live, "open  [%u] %s %s:%u -> %s:%u (%u open)%s%s", c->id,
                ms_live_service_name(service), peer, c->peer_port, live->server->name, c->port,
                live->conns->len + 1, refuse != NULL ? "; refused: " : "",
                refuse != NULL ? refuse : "");

    c->session = ms_server_session_new(live->server, ms_live_service_protocol(service), peer,
                                       &live_transport, c);
    c->session->trusted = TRUE;
    c->peer_seen = ms_live_peer_unread(c->socket) >= 0;
    c->in_source = g_socket_create_source(c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
    g_source_set_callback(c->in_source, G_SOURCE_FUNC(on_readable), c, NULL);
    g_source_attach(c->in_source, NULL);
    if (refuse != NULL)
        cut(c, refuse);
    else
        ms_server_session_established(c->session);
    return c;
}
