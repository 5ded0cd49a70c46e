/* telnet.c - a person typing a protocol dialogue by hand, as in the notes'
 * "telnet servername 25": each typed line is sent once the server's reply
 * to the previous one has arrived, exactly as typed (a line can even end
 * with a bare LF, to show what a server does with it).  No engine runs on
 * this side; the server's engine answers as it would any client.
 *
 * Like a person at a terminal, the typer sends a line, reads what comes
 * and goes on.  Lines that get no answer of their own (the header lines of
 * an HTTP request, the text after DATA) are typed one after the other.
 * When an answer is due but none comes (a line ended by a bare CR: the
 * server waits for the next byte to see whether an LF follows), the person
 * waits a moment, says so in a note, and types on.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/pop3.h"
#include "mailsim/smtp.h"

typedef enum {
    KIND_SMTP,
    KIND_POP3,
    KIND_IMAP,
    KIND_HTTP,
    KIND_OTHER,
} Kind;

/* How long a person looks at a silent screen before typing on; the wait
 * goes on while bytes are still on their way (TCP is retransmitting). */
#define PATIENCE (2 * MS_SEC)

typedef struct {
    MsSessionBase base;
    MsWorld *world;
    GPtrArray *owner;       /* the array that owns this session */
    const MsScAction *action;
    MsTcpConn *conn;
    Kind kind;
    MsLineReader *reader;
    guint next_step;
    gboolean awaiting;      /* a reply is due before the next line */
    gboolean in_data;       /* SMTP: after 354, until the "." line */
    gboolean multiline;     /* POP3: the awaited reply ends with "." */
    gboolean pop3_first;    /* POP3: the first line of a reply is awaited */
    char *imap_tag;         /* IMAP: the tag of the awaited completion */
    char *last_command;     /* upper-cased verb of the last typed line */
    gboolean closing;
    MsEventId pause_timer;
    MsEventId patience_timer; /* while a reply is awaited */
    gboolean bare_cr;         /* the last typed line ended with a bare CR */
    guint64 http_length;      /* HTTP: Content-Length of the request typed */
    gboolean http_body;       /* HTTP: the header has ended, a body follows */
} Telnet;

static void telnet_free(gpointer p)
{
    Telnet *t = p;
    if (t->pause_timer != MS_EVENT_ID_NONE)
        ms_sim_cancel(t->world->sim, t->pause_timer);
    if (t->patience_timer != MS_EVENT_ID_NONE)
        ms_sim_cancel(t->world->sim, t->patience_timer);
    ms_line_reader_free(t->reader);
    g_free(t->imap_tag);
    g_free(t->last_command);
    g_free(t);
}

static const char *protocol_name(guint port, Kind *kind_out)
{
    switch (port) {
    case MS_PORT_SMTP:
    case MS_PORT_SUBMISSION:
        *kind_out = KIND_SMTP;
        return "SMTP";
    case MS_PORT_POP3:
        *kind_out = KIND_POP3;
        return "POP3";
    case MS_PORT_IMAP:
        *kind_out = KIND_IMAP;
        return "IMAP";
    case MS_PORT_HTTP:
        *kind_out = KIND_HTTP;
        return "HTTP";
    default:
        *kind_out = KIND_OTHER;
        return "TCP";
    }
}

static void telnet_close(Telnet *t)
{
    if (!t->closing) {
        t->closing = TRUE;
        ms_tcp_close(t->conn, MS_DIR_CLIENT);
    }
}

/* RFC 1939 3: these answers run to a line holding only ".". */
static gboolean pop3_is_multiline(const char *verb, const char *line)
{
    gboolean has_arg = strchr(line, ' ') != NULL;
    if (g_ascii_strcasecmp(verb, "RETR") == 0 || g_ascii_strcasecmp(verb, "TOP") == 0 ||
        g_ascii_strcasecmp(verb, "CAPA") == 0)
        return TRUE;
    return (g_ascii_strcasecmp(verb, "LIST") == 0 || g_ascii_strcasecmp(verb, "UIDL") == 0) &&
           !has_arg;
}

/* RFC 9112 2.1 and 6.3: a request is its request line and field lines up
 * to an empty line, then Content-Length octets of body; the server answers
 * only the whole request.  Returns whether the typed line completes one. */
static gboolean http_request_complete(Telnet *t, const MsScTelnetStep *step)
{
    gsize len = strlen(step->text) + strlen(ms_sc_line_end_octets(step->end));

    if (t->http_body) {
        t->http_length = len < t->http_length ? t->http_length - len : 0;
    } else if (step->text[0] == '\0') {
        t->http_body = t->http_length > 0;
    } else if (g_ascii_strncasecmp(step->text, "Content-Length:", 15) == 0) {
        t->http_length = g_ascii_strtoull(step->text + 15, NULL, 10);
        return FALSE;
    } else {
        return FALSE;
    }
    if (t->http_body && t->http_length > 0)
        return FALSE;
    t->http_body = FALSE;
    t->http_length = 0;
    return TRUE;
}

static void patience_done(gpointer data);

static void await_reply(Telnet *t)
{
    t->awaiting = TRUE;
    if (t->patience_timer == MS_EVENT_ID_NONE)
        t->patience_timer = ms_sim_schedule(t->world->sim, PATIENCE, patience_done, t);
}

static void reply_came(Telnet *t)
{
    t->awaiting = FALSE;
    if (t->patience_timer != MS_EVENT_ID_NONE) {
        ms_sim_cancel(t->world->sim, t->patience_timer);
        t->patience_timer = MS_EVENT_ID_NONE;
    }
}

/* The server's session at the other end of the typed connection, if the
 * target is a mail server and has accepted it. */
static MsServerSession *serving_session(Telnet *t)
{
    MsMailServer *server = ms_world_server_by_name(t->world, t->action->target);
    const MsServerProtocol *proto = t->kind == KIND_POP3 ? &ms_server_pop3_protocol
                                                         : &ms_server_imap_protocol;
    for (guint i = 0; server != NULL && i < server->sessions->len; i++) {
        gpointer p = g_ptr_array_index(server->sessions, i);
        if (ms_server_session_is(p, proto) &&
            ((MsServerSession *) p)->transport_data == (gpointer) t->conn)
            return p;
    }
    return NULL;
}

static void type_line(Telnet *t, const MsScTelnetStep *step)
{
    const char *phase = NULL;
    const char *note = NULL;
    g_auto(GStrv) words = g_strsplit(step->text, " ", 2);
    const char *verb = words[0] != NULL ? words[0] : "";
    if (t->kind == KIND_SMTP) {
        if (t->in_data) {
            gboolean end = strcmp(step->text, ".") == 0;
            phase = MS_SMTP_PHASE_TRANSFER;
            note = end ? "smtp.data.end" : "smtp.data.line";
            if (end)
                t->in_data = FALSE;
        } else {
            note = ms_smtp_command_note(step->text, strlen(step->text), &phase);
        }
    } else if (t->kind == KIND_POP3 || t->kind == KIND_IMAP) {
        /* POP3 and IMAP name their phase by the server's state (a STAT
         * after the PASS that logged in is in the transaction phase): ask
         * the session that serves this connection, as a live server does,
         * so the heading comes before the line that starts the phase. */
        MsServerSession *peer = serving_session(t);
        if (peer != NULL && peer->proto->client_note != NULL)
            note = peer->proto->client_note(peer, step->text, strlen(step->text), &phase);
        else if (t->kind == KIND_POP3)
            note = ms_pop3_command_note(step->text, strlen(step->text));
    }
    g_autoptr(GPtrArray) lines = ms_proto_lines_new();
    g_ptr_array_add(lines, ms_proto_line_new_len(step->text, strlen(step->text),
                                                 ms_sc_line_end_octets(step->end), phase, note));
    ms_session_send_lines(t->world, t->conn, MS_DIR_CLIENT, lines);

    g_free(t->last_command);
    t->last_command = g_ascii_strup(verb, -1);
    t->bare_cr = step->end == MS_SC_EOL_CR;
    /* In an SMTP message text nothing is answered until the final "."; an
     * HTTP request is answered once it is whole. */
    gboolean answered = !(t->kind == KIND_SMTP && t->in_data);
    if (t->kind == KIND_SMTP && strcmp(step->text, ".") == 0)
        answered = TRUE;
    if (t->kind == KIND_HTTP)
        answered = http_request_complete(t, step);
    if (answered)
        await_reply(t);
    t->pop3_first = TRUE;
    t->multiline = t->kind == KIND_POP3 && pop3_is_multiline(verb, step->text);
    /* RFC 2177 3: DONE has no tag; it ends the IDLE whose tagged
     * completion is still awaited. */
    if (t->kind == KIND_IMAP && !(t->imap_tag != NULL && strcmp(t->last_command, "DONE") == 0)) {
        g_free(t->imap_tag);
        t->imap_tag = g_strdup(verb);
    }
}

static void run_steps(Telnet *t);

/* The person has waited; if nothing is on its way any more, no reply will
 * come: say so, and type on (or close, when nothing is left to type). */
static void patience_done(gpointer data)
{
    Telnet *t = data;
    t->patience_timer = MS_EVENT_ID_NONE;
    if (!t->awaiting || t->closing)
        return;
    if (!ms_tcp_conn_quiet(t->conn)) {
        await_reply(t);
        return;
    }
    const char *host = t->action->host;
    const char *server = t->action->target;
    if (t->next_step >= t->action->steps->len)
        ms_world_note(t->world, MS_TRACE_ACTION, "telnet.stall", host, NULL, 0,
                      "no reply from %s to what was typed on %s; nothing more to type, the"
                      " person closes the connection", server, host);
    else if (t->bare_cr)
        ms_world_note(t->world, MS_TRACE_ACTION, "telnet.stall", host, NULL, 0,
                      "no reply from %s to the line typed on %s: it ended with a bare CR,"
                      " and the server waits for the next byte to see whether an LF"
                      " follows; the person types on", server, host);
    else
        ms_world_note(t->world, MS_TRACE_ACTION, "telnet.stall", host, NULL, 0,
                      "no reply from %s to the line typed on %s: the server waits for more"
                      " input; the person types on", server, host);
    t->awaiting = FALSE;
    run_steps(t);
}

static void pause_done(gpointer data)
{
    Telnet *t = data;
    t->pause_timer = MS_EVENT_ID_NONE;
    run_steps(t);
}

static void run_steps(Telnet *t)
{
    const GPtrArray *steps = t->action->steps;
    while (!t->awaiting && t->pause_timer == MS_EVENT_ID_NONE && !t->closing) {
        if (t->next_step >= steps->len) {
            /* Like closing the terminal: the connection goes. */
            telnet_close(t);
            return;
        }
        const MsScTelnetStep *step = g_ptr_array_index(steps, t->next_step++);
        if (step->kind == MS_SC_STEP_PAUSE) {
            t->pause_timer = ms_sim_schedule(t->world->sim, step->pause, pause_done, t);
            return;
        }
        type_line(t, step);
    }
}

/* Is this server line the end of the awaited reply? */
static gboolean reply_complete(Telnet *t, const char *line)
{
    switch (t->kind) {
    case KIND_SMTP:
        /* RFC 5321 4.2.1: "250-" continues, "250 " ends a reply. */
        if (strlen(line) >= 3 && g_ascii_isdigit(line[0]) && g_ascii_isdigit(line[1]) &&
            g_ascii_isdigit(line[2]) && line[3] != '-') {
            if (strncmp(line, "354", 3) == 0 && g_strcmp0(t->last_command, "DATA") == 0)
                t->in_data = TRUE;
            return TRUE;
        }
        return FALSE;
    case KIND_POP3:
        if (t->pop3_first) {
            t->pop3_first = FALSE;
            if (!g_str_has_prefix(line, "+OK") || !t->multiline)
                return TRUE;
            return FALSE;
        }
        return strcmp(line, ".") == 0;
    case KIND_IMAP:
        if (t->imap_tag == NULL)
            return g_str_has_prefix(line, "* ");
        if (g_str_has_prefix(line, "+ "))
            return TRUE;
        return g_str_has_prefix(line, t->imap_tag) && line[strlen(t->imap_tag)] == ' ';
    default:
        return TRUE;
    }
}

static void telnet_data(MsTcpConn *conn, const char *bytes, gsize len, gpointer data)
{
    (void) conn;
    Telnet *t = data;
    ms_line_reader_feed(t->reader, bytes, len);
    char *line = NULL;
    gsize n = 0;
    MsEol eol;
    while (ms_line_reader_next(t->reader, &line, &n, &eol) != MS_LINE_NONE) {
        if (t->awaiting && reply_complete(t, line))
            reply_came(t);
        g_free(line);
    }
    run_steps(t);
}

static void telnet_peer_closed(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    Telnet *t = data;
    t->awaiting = TRUE; /* nothing more will be answered */
    telnet_close(t);
}

static void telnet_refused(MsTcpConn *conn, const char *why, gpointer data)
{
    (void) conn;
    Telnet *t = data;
    ms_world_note(t->world, MS_TRACE_ACTION, "telnet.unreachable", t->action->host, NULL, 0,
                  "telnet %s %u: %s", t->action->target, t->action->port, why);
    g_ptr_array_remove(t->owner, t);
}

static void telnet_closed(MsTcpConn *conn, gboolean aborted, gpointer data)
{
    (void) conn;
    (void) aborted;
    Telnet *t = data;
    g_ptr_array_remove(t->owner, t);
}

/* Where the client speaks first, the person starts typing once telnet
 * says "Connected". */
static void telnet_established(MsTcpConn *conn, gpointer data)
{
    (void) conn;
    Telnet *t = data;
    if (!t->awaiting)
        run_steps(t);
}

static const MsTcpCallbacks telnet_callbacks = {
    .established = telnet_established,
    .data = telnet_data,
    .peer_closed = telnet_peer_closed,
    .refused = telnet_refused,
    .closed = telnet_closed,
};

void ms_telnet_start(MsWorld *world, MsHost *from, const MsScAction *action,
                     GPtrArray *sessions)
{
    MsHost *to = ms_net_find_host(world->net, action->target);
    if (to == NULL) {
        ms_world_fail(world, "telnet: no host %s", action->target);
        return;
    }
    Telnet *t = g_new0(Telnet, 1);
    t->base.free = telnet_free;
    t->world = world;
    t->owner = sessions;
    t->action = action;
    t->reader = ms_line_reader_new(0);
    const char *protocol = protocol_name(action->port, &t->kind);
    t->pop3_first = TRUE;
    ms_world_note(world, MS_TRACE_ACTION, "action.telnet", action->host, NULL, 0,
                  "a person on %s types: telnet %s %u", action->host, action->target,
                  action->port);
    g_ptr_array_add(sessions, t);
    /* The server speaks first in SMTP, POP3 and IMAP: wait for its greeting. */
    if (t->kind == KIND_SMTP || t->kind == KIND_POP3 || t->kind == KIND_IMAP)
        await_reply(t);
    t->conn = ms_tcp_connect(world->net, from, to, (guint16) action->port, protocol,
                             &telnet_callbacks, t);
}
