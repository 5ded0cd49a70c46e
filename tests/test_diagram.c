/* test_diagram.c - the sequence diagram: its model (lifelines, arrows, the
 * time axis, breaks, filters, pages), the Graphviz graph and files, and the
 * text exports.
 *
 * Every trace here is written by hand with ms_trace_emit(), so the
 * expected lifelines, arrows and times follow from the records alone.
 */
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailsim/diagram.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"
#include "report/diagram-private.h"
#include "report/report-private.h"
#include "testutil.h"

#define MS(x) ((MsTime) ((x) * (double) MS_MSEC))

/* ---- Building traces ----------------------------------------------------- */

typedef struct {
    guint conn;
    const char *protocol;
    const char *client, *server;
    guint16 cport, sport;
} Conn;

static void emit_open(MsTrace *t, const Conn *c, double at_ms)
{
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_CONN_OPEN;
    r.time = MS(at_ms);
    r.arrival = -1;
    r.conn = c->conn;
    r.protocol = c->protocol;
    r.dir = MS_DIR_CLIENT;
    r.src = c->client;
    r.dst = c->server;
    r.src_port = c->cport;
    r.dst_port = c->sport;
    ms_trace_emit(t, &r);
}

/* A line from the client (dir C) or the server (dir S), sent at send_ms and
 * arriving at arrive_ms (< 0: never), with its phase and annotation keys. */
static guint64 emit_keyed(MsTrace *t, const Conn *c, MsDir dir, double send_ms, double arrive_ms,
                          const char *text, const char *phase, const char *note)
{
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_LINE;
    r.time = MS(send_ms);
    r.arrival = arrive_ms < 0 ? -1 : MS(arrive_ms);
    r.conn = c->conn;
    r.protocol = c->protocol;
    r.dir = dir;
    r.src = dir == MS_DIR_CLIENT ? c->client : c->server;
    r.dst = dir == MS_DIR_CLIENT ? c->server : c->client;
    r.src_port = dir == MS_DIR_CLIENT ? c->cport : c->sport;
    r.dst_port = dir == MS_DIR_CLIENT ? c->sport : c->cport;
    r.text = text;
    r.eol = "\r\n";
    r.phase = phase;
    r.note = note;
    return ms_trace_emit(t, &r);
}

static guint64 emit_line(MsTrace *t, const Conn *c, MsDir dir, double send_ms, double arrive_ms,
                         const char *text, const char *phase)
{
    return emit_keyed(t, c, dir, send_ms, arrive_ms, text, phase, NULL);
}

static guint64 emit_segment(MsTrace *t, const Conn *c, MsTraceKind kind, MsDir dir,
                            double send_ms, double arrive_ms, guint flags, guint retransmit)
{
    MsTraceRecord r = { 0 };
    r.kind = kind;
    r.time = MS(send_ms);
    r.arrival = arrive_ms < 0 ? -1 : MS(arrive_ms);
    r.conn = c->conn;
    r.protocol = "TCP";
    r.dir = dir;
    r.src = dir == MS_DIR_CLIENT ? c->client : c->server;
    r.dst = dir == MS_DIR_CLIENT ? c->server : c->client;
    r.src_port = dir == MS_DIR_CLIENT ? c->cport : c->sport;
    r.dst_port = dir == MS_DIR_CLIENT ? c->sport : c->cport;
    r.flags = flags;
    r.retransmit = retransmit;
    return ms_trace_emit(t, &r);
}

static void emit_event(MsTrace *t, MsTraceKind kind, const char *note, const char *host,
                       double at_ms, gint64 count, const char *detail)
{
    MsTraceRecord r = { 0 };
    r.kind = kind;
    r.time = MS(at_ms);
    r.arrival = -1;
    r.src = host;
    r.note = note;
    r.count = count;
    r.detail = detail;
    ms_trace_emit(t, &r);
}

static const Conn submit = { 1, "SMTP", "alice-pc", "crepes.fr", 49152, 25 };
static const Conn relay = { 2, "SMTP", "crepes.fr", "hamburger.edu", 49153, 25 };
static const Conn fetch = { 3, "POP3", "bob-pc", "hamburger.edu", 49154, 110 };

#define N_STORY_LINES 23

/* Alice's agent submits to crepes.fr over a 2 ms link, crepes.fr relays to
 * hamburger.edu over a 40 ms one, and five seconds later Bob's agent
 * fetches with POP3.  Emitted in time order, as a run would. */
static MsTrace *story(void)
{
    MsTrace *t = ms_trace_new();
    emit_event(t, MS_TRACE_MESSAGE, "message.composed", "alice-pc", 0, 0, "alice composes");
    emit_open(t, &submit, 0);
    emit_line(t, &submit, MS_DIR_SERVER, 2, 4, "220 crepes.fr ESMTP", "smtp.handshake");
    emit_line(t, &submit, MS_DIR_CLIENT, 4, 6, "HELO alice-pc", "smtp.handshake");
    emit_line(t, &submit, MS_DIR_SERVER, 6, 8, "250 crepes.fr", "smtp.handshake");
    emit_line(t, &submit, MS_DIR_CLIENT, 8, 10, "MAIL FROM:<alice@crepes.fr>", "smtp.transfer");
    emit_line(t, &submit, MS_DIR_SERVER, 10, 12, "250 Ok", "smtp.transfer");
    emit_line(t, &submit, MS_DIR_CLIENT, 12, 14, "DATA", "smtp.transfer");
    emit_line(t, &submit, MS_DIR_SERVER, 14, 16, "354 End data with <CR><LF>.<CR><LF>",
              "smtp.transfer");
    /* One segment: three lines sent together, arriving together. */
    emit_line(t, &submit, MS_DIR_CLIENT, 16, 18, "Subject: Ketchup", "smtp.transfer");
    emit_line(t, &submit, MS_DIR_CLIENT, 16, 18, "Do you like ketchup?", "smtp.transfer");
    emit_line(t, &submit, MS_DIR_CLIENT, 16, 18, ".", "smtp.transfer");
    emit_line(t, &submit, MS_DIR_SERVER, 18, 20, "250 Ok: queued", "smtp.transfer");
    emit_event(t, MS_TRACE_QUEUE, "queue.add", "crepes.fr", 18, 1, "queued");
    emit_open(t, &relay, 20);
    emit_line(t, &submit, MS_DIR_CLIENT, 20, 22, "QUIT", "smtp.closure");
    emit_line(t, &submit, MS_DIR_SERVER, 22, 24, "221 Bye", "smtp.closure");
    emit_line(t, &relay, MS_DIR_SERVER, 100, 140, "220 hamburger.edu ESMTP", "smtp.handshake");
    emit_line(t, &relay, MS_DIR_CLIENT, 140, 180, "HELO crepes.fr", "smtp.handshake");
    emit_line(t, &relay, MS_DIR_SERVER, 180, 220, "250 hamburger.edu", "smtp.handshake");
    emit_event(t, MS_TRACE_MAILBOX, "mailbox.deliver", "hamburger.edu", 200, 1, "delivered");
    emit_line(t, &relay, MS_DIR_CLIENT, 220, 260, "QUIT", "smtp.closure");
    emit_line(t, &relay, MS_DIR_SERVER, 260, 300, "221 Bye", "smtp.closure");
    emit_open(t, &fetch, 5000);
    emit_line(t, &fetch, MS_DIR_SERVER, 5004, 5006, "+OK POP3 server ready", "pop3.authorization");
    emit_line(t, &fetch, MS_DIR_CLIENT, 5006, 5008, "USER bob", "pop3.authorization");
    emit_line(t, &fetch, MS_DIR_SERVER, 5008, 5010, "+OK", "pop3.authorization");
    emit_line(t, &fetch, MS_DIR_CLIENT, 5010, 5012, "QUIT", "pop3.update");
    emit_line(t, &fetch, MS_DIR_SERVER, 5012, 5014, "+OK bye", "pop3.update");
    return t;
}

static MsTrace *story_with_losses(void);

static MsDiagram *diagram_with(const MsTrace *t, const MsDiagramOptions *o)
{
    MsReportOptions report;
    ms_report_options_init(&report);
    report.scenario_name = "Alice sends Bob a message";
    return ms_diagram_new(t, &report, o);
}

static MsDiagram *diagram_of(const MsTrace *t)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    return diagram_with(t, &o);
}

static guint count_kind(const MsDiagram *d, MsDiagramArrowKind kind)
{
    guint n = 0;
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++)
        n += ms_diagram_arrow(d, i)->kind == kind;
    return n;
}

/* ---- diagram/layout ------------------------------------------------------ */

/* The textbook order: sender's agent, sender's server, receiver's server,
 * receiver's agent, whatever order the hosts first appear in. */
static void lifelines_follow_the_mail(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    static const char *const hosts[] = { "alice-pc", "crepes.fr", "hamburger.edu", "bob-pc" };
    static const MsDiagramRole roles[] = { MS_DIAGRAM_ROLE_USER_AGENT, MS_DIAGRAM_ROLE_MAIL_SERVER,
                                           MS_DIAGRAM_ROLE_MAIL_SERVER,
                                           MS_DIAGRAM_ROLE_USER_AGENT };
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(d), 4);
    for (guint i = 0; i < 4; i++) {
        MS_ASSERT_STR(ms_diagram_lifeline(d, i)->host, hosts[i]);
        CU_ASSERT_EQUAL(ms_diagram_lifeline(d, i)->role, roles[i]);
        if (i > 0)
            CU_ASSERT_TRUE(ms_diagram_lifeline(d, i)->x > ms_diagram_lifeline(d, i - 1)->x);
    }
    MS_ASSERT_STR(ms_diagram_role_name(MS_DIAGRAM_ROLE_MAIL_SERVER, "zh"), "邮件服务器");
}

/* Bob's agent shows up first in the trace (a POP3 check that finds nothing)
 * but only fetches: it still goes to the right of the servers; a browser
 * that POSTs to a web-mail server is the sender. */
static void roles_and_order_from_connections(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const Conn early = { 1, "POP3", "bob-pc", "hamburger.edu", 50000, 110 };
    const Conn web = { 2, "HTTP", "alice-browser", "webmail.fr", 50001, 80 };
    const Conn out = { 3, "SMTP", "webmail.fr", "hamburger.edu", 50002, 25 };
    emit_line(t, &early, MS_DIR_SERVER, 0, 1, "+OK", "pop3.authorization");
    emit_line(t, &web, MS_DIR_CLIENT, 10, 11, "POST /send HTTP/1.1", NULL);
    emit_line(t, &web, MS_DIR_SERVER, 11, 12, "HTTP/1.1 200 OK", NULL);
    emit_line(t, &out, MS_DIR_SERVER, 20, 30, "220 hamburger.edu", "smtp.handshake");
    g_autoptr(MsDiagram) d = diagram_of(t);
    static const char *const hosts[] = { "alice-browser", "webmail.fr", "hamburger.edu", "bob-pc" };
    static const MsDiagramRole roles[] = { MS_DIAGRAM_ROLE_BROWSER, MS_DIAGRAM_ROLE_WEBMAIL_SERVER,
                                           MS_DIAGRAM_ROLE_MAIL_SERVER,
                                           MS_DIAGRAM_ROLE_USER_AGENT };
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(d), 4);
    for (guint i = 0; i < 4; i++) {
        MS_ASSERT_STR(ms_diagram_lifeline(d, i)->host, hosts[i]);
        CU_ASSERT_EQUAL(ms_diagram_lifeline(d, i)->role, roles[i]);
    }
    /* HTTP is a pull, SMTP a push. */
    CU_ASSERT_EQUAL(ms_diagram_arrow(d, 1)->flow, MS_DIAGRAM_FLOW_PULL);
    CU_ASSERT_EQUAL(ms_diagram_arrow(d, 3)->flow, MS_DIAGRAM_FLOW_PUSH);
}

/* A server that serves web mail and takes mail by SMTP too (http-vs-smtp's
 * crepes.fr, which alice-pc submits to and alice-browser logs in to) is
 * named as both, in either language: on the pages that show only its SMTP
 * relay, "web-mail server" alone misled. */
static void server_of_smtp_and_web_mail_named_both(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const Conn web = { 1, "HTTP", "alice-browser", "crepes.fr", 50001, 80 };
    const Conn sub = { 2, "SMTP", "alice-pc", "crepes.fr", 50002, 25 };
    const Conn out = { 3, "SMTP", "crepes.fr", "hamburger.edu", 50003, 25 };
    emit_line(t, &web, MS_DIR_CLIENT, 10, 11, "POST /send HTTP/1.1", NULL);
    emit_line(t, &sub, MS_DIR_SERVER, 20, 21, "220 crepes.fr", "smtp.handshake");
    emit_line(t, &out, MS_DIR_SERVER, 30, 40, "220 hamburger.edu", "smtp.handshake");
    g_autoptr(MsDiagram) d = diagram_of(t);
    guint found = 0;
    for (guint i = 0; i < ms_diagram_n_lifelines(d); i++) {
        const MsDiagramLifeline *l = ms_diagram_lifeline(d, i);
        if (strcmp(l->host, "crepes.fr") == 0) {
            CU_ASSERT_EQUAL(l->role, MS_DIAGRAM_ROLE_MAIL_WEB_SERVER);
            found++;
        } else if (strcmp(l->host, "hamburger.edu") == 0) {
            CU_ASSERT_EQUAL(l->role, MS_DIAGRAM_ROLE_MAIL_SERVER);
        }
    }
    CU_ASSERT_EQUAL(found, 1);
    MS_ASSERT_STR(ms_diagram_role_name(MS_DIAGRAM_ROLE_MAIL_WEB_SERVER, "en"),
                  "mail server + web mail");
    MS_ASSERT_STR(ms_diagram_role_name(MS_DIAGRAM_ROLE_MAIL_WEB_SERVER, "zh"),
                  "邮件服务器 + Web 邮件");
}

/* The story, with Carol's agent fetching from hamburger.edu over protocol
 * (POP3 or IMAP) from at_ms on, and, before it, `others` more agents that
 * each fetch once in turn. */
static MsTrace *story_and_carol(const char *protocol, double at_ms, guint others)
{
    MsTrace *t = story();
    Conn carol = { 4, protocol, "carol-pc", "hamburger.edu", 49155,
                   strcmp(protocol, "IMAP") == 0 ? 143 : 110 };
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < others; i++) {
        g_ptr_array_add(names, g_strdup_printf("reader-%u", i));
        Conn c = { 10 + i, "POP3", names->pdata[i], "hamburger.edu", (guint16) (50000 + i), 110 };
        emit_open(t, &c, 1000 + 100 * i);
        emit_line(t, &c, MS_DIR_SERVER, 1004 + 100 * i, 1006 + 100 * i, "+OK", "pop3.authorization");
        emit_line(t, &c, MS_DIR_CLIENT, 1006 + 100 * i, 1008 + 100 * i, "QUIT", "pop3.update");
    }
    emit_open(t, &carol, at_ms);
    emit_line(t, &carol, MS_DIR_SERVER, at_ms + 5, at_ms + 7, "+OK POP3 server ready",
              "pop3.authorization");
    emit_line(t, &carol, MS_DIR_CLIENT, at_ms + 7, at_ms + 9, "USER carol", "pop3.authorization");
    emit_line(t, &carol, MS_DIR_SERVER, at_ms + 9, at_ms + 11, "+OK", "pop3.authorization");
    return t;
}

static guint lifeline_of(const MsDiagram *d, const char *host)
{
    for (guint i = 0; i < ms_diagram_n_lifelines(d); i++) {
        if (strcmp(ms_diagram_lifeline(d, i)->host, host) == 0)
            return i;
    }
    return G_MAXUINT;
}

/* Bob and Carol fetch from hamburger.edu at the same time: they go on
 * either side of it, so that their arrows do not cross, while the senders
 * keep their places.  One after the other, or with Carol's session not
 * drawn, they keep the mail's order; so does a run with more lifelines
 * than the search looks at. */
static void simultaneous_readers_either_side(void)
{
    g_autoptr(MsTrace) together = story_and_carol("POP3", 5001, 0);
    g_autoptr(MsDiagram) d = diagram_of(together);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(d), 5);
    guint server = lifeline_of(d, "hamburger.edu");
    guint bob = lifeline_of(d, "bob-pc"), carol = lifeline_of(d, "carol-pc");
    CU_ASSERT_TRUE((bob < server) != (carol < server));
    MS_ASSERT_STR(ms_diagram_lifeline(d, 0)->host, "alice-pc");
    MS_ASSERT_STR(ms_diagram_lifeline(d, 1)->host, "crepes.fr");
    for (guint i = 1; i < ms_diagram_n_lifelines(d); i++)
        CU_ASSERT_TRUE(ms_diagram_lifeline(d, i)->x > ms_diagram_lifeline(d, i - 1)->x);

    static const char *const mail_order[] = { "alice-pc", "crepes.fr", "hamburger.edu", "bob-pc",
                                              "carol-pc" };
    g_autoptr(MsTrace) apart = story_and_carol("POP3", 6000, 0);
    g_autoptr(MsDiagram) one_by_one = diagram_of(apart);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(one_by_one), 5);
    for (guint i = 0; i < 5; i++)
        MS_ASSERT_STR(ms_diagram_lifeline(one_by_one, i)->host, mail_order[i]);

    /* Only what is drawn counts: without Carol's IMAP, Bob stays right. */
    g_autoptr(MsTrace) imap = story_and_carol("IMAP", 5001, 0);
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.protocols = "SMTP,POP3";
    g_autoptr(MsDiagram) no_imap = diagram_with(imap, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(no_imap), 4);
    for (guint i = 0; i < 4; i++)
        MS_ASSERT_STR(ms_diagram_lifeline(no_imap, i)->host, mail_order[i]);
    ms_diagram_options_init(&o);
    g_autoptr(MsDiagram) with_imap = diagram_with(imap, &o);
    CU_ASSERT_TRUE(lifeline_of(with_imap, "bob-pc") < lifeline_of(with_imap, "hamburger.edu") ||
                   lifeline_of(with_imap, "carol-pc") < lifeline_of(with_imap, "hamburger.edu"));

    /* At most MS_DG_ORDER_MAX_HOSTS lifelines are ordered this way; one
     * more and the mail's order is kept, both readers to the right. */
    g_autoptr(MsTrace) full = story_and_carol("POP3", 5001, MS_DG_ORDER_MAX_HOSTS - 5);
    g_autoptr(MsDiagram) sixteen = diagram_of(full);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(sixteen), MS_DG_ORDER_MAX_HOSTS);
    CU_ASSERT_TRUE((lifeline_of(sixteen, "bob-pc") < lifeline_of(sixteen, "hamburger.edu")) !=
                   (lifeline_of(sixteen, "carol-pc") < lifeline_of(sixteen, "hamburger.edu")));
    g_autoptr(MsTrace) crowd = story_and_carol("POP3", 5001, MS_DG_ORDER_MAX_HOSTS - 4);
    g_autoptr(MsDiagram) seventeen = diagram_of(crowd);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(seventeen), MS_DG_ORDER_MAX_HOSTS + 1);
    CU_ASSERT_TRUE(lifeline_of(seventeen, "bob-pc") > lifeline_of(seventeen, "hamburger.edu"));
    CU_ASSERT_TRUE(lifeline_of(seventeen, "carol-pc") > lifeline_of(seventeen, "hamburger.edu"));
}

static void one_arrow_per_line_in_trace_order(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), N_STORY_LINES);
    guint64 last = 0;
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        CU_ASSERT_EQUAL(a->kind, MS_DIAGRAM_ARROW_LINE);
        CU_ASSERT_EQUAL(a->record->kind, MS_TRACE_LINE);
        CU_ASSERT_TRUE(i == 0 || a->record->id > last);
        last = a->record->id;
        MS_ASSERT_STR(ms_diagram_lifeline(d, a->from)->host, a->record->src);
        MS_ASSERT_STR(ms_diagram_lifeline(d, a->to)->host, a->record->dst);
        CU_ASSERT_EQUAL(a->x1, ms_diagram_lifeline(d, a->from)->x);
        CU_ASSERT_EQUAL(a->x2, ms_diagram_lifeline(d, a->to)->x);
        CU_ASSERT_EQUAL(a->flow, a->record->conn == 3 ? MS_DIAGRAM_FLOW_PULL : MS_DIAGRAM_FLOW_PUSH);
        CU_ASSERT_TRUE(a->y2 >= a->y1);
    }
}

/* With a fixed scale of 2 pt/ms, an arrow alone in its stretch of time
 * drops 2 pt per millisecond of delay: 40 ms -> 80 pt.  A 2 ms delay would
 * be 4 pt, less than its label needs, so it drops a row and a half (22.5
 * pt: its label clear of the arrows before and after it) - still less
 * than the slow one.  Both ends sit exactly on the axis' y of
 * the send and arrival times. */
static void arrows_slope_by_their_delay(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const Conn c = { 1, "SMTP", "a.example", "b.example", 40000, 25 };
    emit_line(t, &c, MS_DIR_CLIENT, 0, 2, "HELO a.example", NULL);
    emit_line(t, &c, MS_DIR_SERVER, 10, 50, "250 b.example", NULL);
    emit_line(t, &c, MS_DIR_CLIENT, 100, 101, "QUIT", NULL);
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.scale = 2.0;
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), 3);
    for (guint i = 0; i < 3; i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        CU_ASSERT_DOUBLE_EQUAL(a->y1, ms_diagram_time_y(d, 0, a->send), 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(a->y2, ms_diagram_time_y(d, 0, a->arrival), 1e-9);
    }
    const MsDiagramArrow *fast = ms_diagram_arrow(d, 0), *slow = ms_diagram_arrow(d, 1);
    CU_ASSERT_DOUBLE_EQUAL(slow->y2 - slow->y1, 80.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(fast->y2 - fast->y1, 1.5 * MS_DG_ROW, 1e-9);
    /* 2 ms -> 10 ms: nothing in between, so 8 ms * 2 pt. */
    CU_ASSERT_DOUBLE_EQUAL(slow->y1 - fast->y2, 16.0, 1e-9);
    /* The tick marks every instant, in order, on the axis. */
    for (guint i = 1; i < ms_diagram_n_ticks(d); i++) {
        CU_ASSERT_TRUE(ms_diagram_tick(d, i)->time > ms_diagram_tick(d, i - 1)->time);
        CU_ASSERT_TRUE(ms_diagram_tick(d, i)->y > ms_diagram_tick(d, i - 1)->y);
    }
    CU_ASSERT_EQUAL(ms_diagram_n_ticks(d), 6);
}

/* Lines of one segment: parallel arrows a text row apart, the first on the
 * axis' y of the send time. */
static void lines_sent_together_are_parallel(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    const MsDiagramArrow *body[3];
    guint n = 0;
    for (guint i = 0; i < ms_diagram_n_arrows(d) && n < 3; i++) {
        if (ms_diagram_arrow(d, i)->send == MS(16))
            body[n++] = ms_diagram_arrow(d, i);
    }
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_DOUBLE_EQUAL(body[0]->y1, ms_diagram_time_y(d, 0, MS(16)), 1e-9);
    for (guint k = 1; k < 3; k++) {
        CU_ASSERT_EQUAL(body[k]->group, body[0]->group);
        CU_ASSERT_DOUBLE_EQUAL(body[k]->y1 - body[k - 1]->y1, body[1]->y1 - body[0]->y1, 1e-9);
        CU_ASSERT_TRUE(body[k]->y1 - body[k - 1]->y1 >= 12.0);
        CU_ASSERT_DOUBLE_EQUAL(body[k]->y2 - body[k]->y1, body[0]->y2 - body[0]->y1, 1e-9);
    }
}

/* The 4.7 s between the relay's last line (300 ms) and the POP3 greeting
 * (5004 ms) would be thousands of points at the scale of a 40 ms hop: it
 * becomes one short break that says how long it was. */
static void idle_gap_becomes_a_break(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_breaks(d), 1);
    const MsDiagramBreak *b = ms_diagram_break(d, 0);
    CU_ASSERT_EQUAL(b->from, MS(300));
    CU_ASSERT_EQUAL(b->to, MS(5004));
    CU_ASSERT_PTR_NOT_NULL(strstr(b->label, "4.7 s"));
    double y_before = ms_diagram_time_y(d, 0, MS(300)), y_after = ms_diagram_time_y(d, 0, MS(5004));
    CU_ASSERT_TRUE(b->y1 >= y_before && b->y2 <= y_after && b->y2 > b->y1);
    CU_ASSERT_TRUE(y_after - y_before < 100.0);

    /* Told never to compress, the axis keeps its scale across the gap. */
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.gap = -1;
    o.scale = 1.0;
    g_autoptr(MsDiagram) full = diagram_with(t, &o);
    CU_ASSERT_EQUAL(ms_diagram_n_breaks(full), 0);
    CU_ASSERT_TRUE(ms_diagram_time_y(full, 0, MS(5004)) - ms_diagram_time_y(full, 0, MS(300)) >=
                   4704.0);
}

static void filters_by_protocol_host_and_time(void)
{
    g_autoptr(MsTrace) t = story();
    MsDiagramOptions o;

    ms_diagram_options_init(&o);
    o.protocols = "pop3";
    g_autoptr(MsDiagram) pop = diagram_with(t, &o);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(pop), 5);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(pop), 2);
    MS_ASSERT_STR(ms_diagram_lifeline(pop, 0)->host, "hamburger.edu");
    MS_ASSERT_STR(ms_diagram_lifeline(pop, 1)->host, "bob-pc");

    /* Two hosts: what passes between them, the relay alone. */
    ms_diagram_options_init(&o);
    o.hosts = "crepes.fr, hamburger.edu";
    g_autoptr(MsDiagram) servers = diagram_with(t, &o);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(servers), 5);
    CU_ASSERT_EQUAL(ms_diagram_n_lifelines(servers), 2);
    for (guint i = 0; i < ms_diagram_n_arrows(servers); i++)
        CU_ASSERT_EQUAL(ms_diagram_arrow(servers, i)->record->conn, 2);

    /* One host: everything it takes part in. */
    ms_diagram_options_init(&o);
    o.hosts = "alice-pc";
    g_autoptr(MsDiagram) alice = diagram_with(t, &o);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(alice), 13);
    CU_ASSERT_EQUAL(ms_diagram_n_lifelines(alice), 2);

    /* [100 ms, 300 ms): sends at 100, 140, 180, 220, 260. */
    ms_diagram_options_init(&o);
    o.from = MS(100);
    o.until = MS(300);
    g_autoptr(MsDiagram) window = diagram_with(t, &o);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(window), 5);
    for (guint i = 0; i < ms_diagram_n_arrows(window); i++) {
        CU_ASSERT_TRUE(ms_diagram_arrow(window, i)->send >= MS(100));
        CU_ASSERT_TRUE(ms_diagram_arrow(window, i)->send < MS(300));
    }
    /* Notes follow the window too: only the delivery at 200 ms. */
    CU_ASSERT_EQUAL(ms_diagram_n_notes(window), 1);
}

/* 23 arrows, at most 10 a page: 10 + 10 + 3, never splitting the three
 * body lines that travelled together. */
static void pages_by_arrow_count_and_time(void)
{
    g_autoptr(MsTrace) t = story();
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.page_arrows = 10;
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_pages(d), 3);
    guint total = 0;
    for (guint p = 0; p < 3; p++) {
        const MsDiagramPage *pg = ms_diagram_page(d, p);
        CU_ASSERT_EQUAL(pg->first_arrow, total);
        CU_ASSERT_EQUAL(pg->n_arrows, p < 2 ? 10 : 3);
        for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++)
            CU_ASSERT_EQUAL(ms_diagram_arrow(d, i)->page, p);
        total += pg->n_arrows;
        /* Each page starts its own axis at the top. */
        const MsDiagramArrow *first = ms_diagram_arrow(d, pg->first_arrow);
        CU_ASSERT_DOUBLE_EQUAL(first->y1, ms_diagram_time_y(d, p, first->send), 1e-9);
    }
    CU_ASSERT_EQUAL(total, N_STORY_LINES);
    for (guint i = 1; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i - 1), *b = ms_diagram_arrow(d, i);
        if (a->group == b->group)
            CU_ASSERT_EQUAL(a->page, b->page);
    }
    g_autofree char *second = ms_diagram_file_name(d, 1, MS_DIAGRAM_SVG);
    MS_ASSERT_STR(second, "sequence-2.svg");
    g_autofree char *text = ms_diagram_file_name(d, 0, MS_DIAGRAM_TXT);
    MS_ASSERT_STR(text, "sequence.txt");

    /* One-second windows: the SMTP part and the POP3 part. */
    ms_diagram_options_init(&o);
    o.page_time = MS_SEC;
    g_autoptr(MsDiagram) w = diagram_with(t, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_pages(w), 2);
    CU_ASSERT_EQUAL(ms_diagram_page(w, 1)->n_arrows, 5);
    CU_ASSERT_EQUAL(ms_diagram_page(w, 1)->from, MS(5004));
}

/* SMTP's three phases on the submission each get a band over its lines. */
static void phases_become_labelled_bands(void)
{
    g_autoptr(MsTrace) t = story();
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.lang = "en";
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    guint n = 0;
    for (guint i = 0; i < ms_diagram_n_bands(d); i++) {
        const MsDiagramBand *b = ms_diagram_band(d, i);
        CU_ASSERT_TRUE(b->y2 >= b->y1);
        if (b->conn != 1)
            continue;
        n++;
        CU_ASSERT_EQUAL(b->flow, MS_DIAGRAM_FLOW_PUSH);
        CU_ASSERT_EQUAL(b->left, 0);
        CU_ASSERT_EQUAL(b->right, 1);
        CU_ASSERT_TRUE(g_str_has_prefix(b->label, "[1] SMTP"));
    }
    CU_ASSERT_EQUAL(n, 3);
    /* 3 + 2 (relay) + 2 (POP3) bands in all. */
    CU_ASSERT_EQUAL(ms_diagram_n_bands(d), 7);
}

static void tcp_segments_lost_and_retransmitted(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, &submit, 0);
    emit_segment(t, &submit, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, 0, -1, MS_TCP_SYN, 0);
    emit_segment(t, &submit, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT, 1, -1, MS_TCP_SYN, 0);
    emit_segment(t, &submit, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, 1000, 1002, MS_TCP_SYN, 1);
    emit_segment(t, &submit, MS_TRACE_SEGMENT_SENT, MS_DIR_SERVER, 1002, 1004,
                 MS_TCP_SYN | MS_TCP_ACK, 0);
    emit_segment(t, &submit, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, 1004, 1006, MS_TCP_ACK, 0);
    emit_line(t, &submit, MS_DIR_SERVER, 1006, 1008, "220 crepes.fr", "smtp.handshake");

    g_autoptr(MsDiagram) plain = diagram_of(t);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(plain), 1);

    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.tcp = TRUE;
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), 5);
    CU_ASSERT_EQUAL(count_kind(d, MS_DIAGRAM_ARROW_SEGMENT), 4);
    const MsDiagramArrow *lost = ms_diagram_arrow(d, 0);
    CU_ASSERT_TRUE(lost->lost);
    CU_ASSERT_EQUAL(lost->arrival, MS(1));
    /* It stops short of the server, where its cross is drawn. */
    double xs = ms_diagram_lifeline(d, 1)->x;
    CU_ASSERT_TRUE(lost->x2 > lost->x1 && lost->x2 < xs);
    CU_ASSERT_TRUE(lost->y2 > lost->y1);
    const MsDiagramArrow *again = ms_diagram_arrow(d, 1);
    CU_ASSERT_FALSE(again->lost);
    CU_ASSERT_EQUAL(again->retransmit, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(again->label, "SYN"));
    CU_ASSERT_PTR_NOT_NULL(strstr(again->label, "retransmission 1"));
    CU_ASSERT_TRUE(ms_diagram_has_flow(d, MS_DIAGRAM_FLOW_TCP));
    /* The RTO wait of a second is compressed, like any idle gap. */
    CU_ASSERT_EQUAL(ms_diagram_n_breaks(d), 1);
    /* SYN, SYN+ACK, ACK: a "TCP handshake" band. */
    gboolean handshake = FALSE;
    for (guint i = 0; i < ms_diagram_n_bands(d); i++)
        handshake |= strstr(ms_diagram_band(d, i)->label, "TCP handshake") != NULL;
    CU_ASSERT_TRUE(handshake);
}

/* A body of 20 lines in one segment: the first 8, one arrow standing for
 * the 20 - 8 - 2 = 10 in the middle, the last 2. */
static void long_bodies_are_elided(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    char text[32];
    for (int i = 0; i < 20; i++) {
        g_snprintf(text, sizeof text, "body line %d", i + 1);
        emit_line(t, &submit, MS_DIR_CLIENT, 10, 12, text, "smtp.transfer");
    }
    g_autoptr(MsDiagram) d = diagram_of(t);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), 11);
    CU_ASSERT_EQUAL(count_kind(d, MS_DIAGRAM_ARROW_ELIDED), 1);
    const MsDiagramArrow *e = ms_diagram_arrow(d, 8);
    CU_ASSERT_EQUAL(e->kind, MS_DIAGRAM_ARROW_ELIDED);
    CU_ASSERT_EQUAL(e->elided, 10);
    CU_ASSERT_PTR_NOT_NULL(strstr(e->label, "10 more lines"));
    MS_ASSERT_STR(ms_diagram_arrow(d, 10)->record->text, "body line 20");

    MsReportOptions report;
    ms_report_options_init(&report);
    report.full_bodies = TRUE;
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    g_autoptr(MsDiagram) full = ms_diagram_new(t, &report, &o);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(full), 20);
}

/* Text without its spaces and row breaks: what a wrap may not change. */
static char *squashed(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p != ' ' && *p != '\n')
            g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

static guint count_rows(const char *label)
{
    guint n = 1;
    for (const char *p = strchr(label, '\n'); p != NULL; p = strchr(p + 1, '\n'))
        n++;
    return n;
}

static void labels_wrapped_and_in_chinese(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const char *longline = "Received: from alice-pc (alice-pc) by crepes.fr with SMTP id 1; "
                           "Thu, 23 Mar 2023 12:00:00 +0000";
    emit_line(t, &relay, MS_DIR_CLIENT, 0, 40, longline, "smtp.transfer");
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.lang = "zh";
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    const MsDiagramArrow *a = ms_diagram_arrow(d, 0);
    /* Broken into rows that fit between two lifelines, every word kept,
     * and the whole line in the tooltip. */
    CU_ASSERT_TRUE(a->rows >= 3);
    CU_ASSERT_EQUAL(count_rows(a->label), a->rows);
    CU_ASSERT_PTR_NULL(strstr(a->label, "\u2026"));
    MS_ASSERT_STR(a->text, longline);
    g_autofree char *whole = squashed(longline), *rows = squashed(a->label);
    MS_ASSERT_STR(rows, whole);
    g_auto(GStrv) split = g_strsplit(a->label, "\n", -1);
    double span = fabs(a->x2 - a->x1);
    for (guint k = 0; split[k] != NULL; k++)
        CU_ASSERT_TRUE(ms_dg_text_width(split[k], MS_DG_LINE_PT, TRUE) <= span);
    CU_ASSERT_PTR_NOT_NULL(strstr(a->tooltip, longline));
    MS_ASSERT_STR(ms_diagram_lang(d), "zh");
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_bands(d), 1);
    /* The band names the phase as the transcript does in that language. */
    g_autofree char *band = g_strdup_printf("[2] %s", ms_report_phase_text("smtp.transfer", "zh"));
    MS_ASSERT_STR(ms_diagram_band(d, 0)->label, band);
    /* The roles are in Chinese whatever the catalogue. */
    MS_ASSERT_STR(ms_diagram_role_name(ms_diagram_lifeline(d, 1)->role, "zh"), "邮件服务器");
}

static void wrap_breaks_at_spaces_then_inside_words(void)
{
    guint rows = 0;
    /* A word longer than a row begins where it is and breaks inside. */
    g_autofree char *spaces = ms_dg_wrap("RCPT TO:<bob@hamburger.edu> now", 12, 6, &rows);
    MS_ASSERT_STR(spaces, "RCPT TO:<bob\n@hamburger.e\ndu> now");
    CU_ASSERT_EQUAL(rows, 3);
    /* ...unless only a scrap of it would fit. */
    g_autofree char *scrap = ms_dg_wrap("250 2.0.0 Ok:queued-as-1234", 12, 6, &rows);
    MS_ASSERT_STR(scrap, "250 2.0.0\nOk:queued-as\n-1234");
    CU_ASSERT_EQUAL(rows, 3);
    g_autofree char *words = ms_dg_wrap("one two three", 8, 6, &rows);
    MS_ASSERT_STR(words, "one two\nthree");
    CU_ASSERT_EQUAL(rows, 2);
    g_autofree char *own = ms_dg_wrap("a\nb c", 10, 6, &rows);
    MS_ASSERT_STR(own, "a\nb c");
    CU_ASSERT_EQUAL(rows, 2);
    /* A wide character counts two columns. */
    g_autofree char *cjk = ms_dg_wrap("邮件服务器", 4, 6, &rows);
    MS_ASSERT_STR(cjk, "邮件\n服务\n器");
    CU_ASSERT_EQUAL(rows, 3);
    g_autofree char *cut = ms_dg_wrap("aaaa bbbb cccc dddd", 4, 2, &rows);
    MS_ASSERT_STR(cut, "aaaa\nbbb\u2026");
    CU_ASSERT_EQUAL(rows, 2);
    g_autofree char *empty = ms_dg_wrap("", 10, 6, &rows);
    MS_ASSERT_STR(empty, "");
    CU_ASSERT_EQUAL(rows, 1);
}

static void empty_trace_draws_one_page(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    g_autoptr(MsDiagram) d = diagram_of(t);
    CU_ASSERT_EQUAL(ms_diagram_n_pages(d), 1);
    CU_ASSERT_EQUAL(ms_diagram_n_lifelines(d), 0);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(d), 0);
    Agraph_t *g = ms_diagram_graph(d, 0);
    CU_ASSERT_PTR_NOT_NULL(g);
    if (g != NULL)
        agclose(g);
    for (guint f = 0; f < MS_DIAGRAM_N_FORMATS; f++) {
        g_autofree char *text = ms_diagram_export(d, f);
        CU_ASSERT_EQUAL(text != NULL, !ms_diagram_format_is_graphviz(f));
    }
}

static void options_parse(void)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    CU_ASSERT_EQUAL(o.formats, MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG));
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE(ms_diagram_options_parse_formats(&o, "svg, PNG,,txt", &error));
    CU_ASSERT_EQUAL(o.formats, MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG) |
                                   MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_PNG) |
                                   MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_TXT));
    CU_ASSERT_FALSE(ms_diagram_options_parse_formats(&o, "svg,jpeg", &error));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, "jpeg") != NULL &&
                   g_str_has_suffix(error->message, "svg, png, pdf, dot, txt, msc, plantuml, "
                                                    "mermaid)"));
    g_clear_error(&error);

    MsTime v = 0;
    CU_ASSERT_TRUE(ms_diagram_parse_time("2s", &v, NULL));
    CU_ASSERT_EQUAL(v, 2 * MS_SEC);
    CU_ASSERT_TRUE(ms_diagram_parse_time("1.5ms", &v, NULL));
    CU_ASSERT_EQUAL(v, 1500 * MS_USEC);
    CU_ASSERT_TRUE(ms_diagram_parse_time("250", &v, NULL));
    CU_ASSERT_EQUAL(v, 250 * MS_MSEC);
    CU_ASSERT_TRUE(ms_diagram_parse_time("0.5min", &v, NULL));
    CU_ASSERT_EQUAL(v, 30 * MS_SEC);
    CU_ASSERT_FALSE(ms_diagram_parse_time("soon", &v, &error));
    CU_ASSERT_FALSE(ms_diagram_parse_time("3 parsecs", &v, NULL));
    CU_ASSERT_FALSE(ms_diagram_parse_time("", &v, NULL));
}

/* The run command's options, parsed the way the command does it. */
static gboolean parse_args(const char *const *argv, MsDiagramOptions *o, MsDiagramArgs *args,
                           GError **error)
{
    GOptionEntry entries[MS_DIAGRAM_N_ARGS];
    ms_diagram_args_entries(args, entries);
    GOptionContext *ctx = g_option_context_new(NULL);
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_auto(GStrv) copy = g_strdupv((char **) argv);
    char **p = copy;
    gboolean ok = g_option_context_parse_strv(ctx, &p, error) &&
                  ms_diagram_args_to_options(args, o, error);
    g_option_context_free(ctx);
    return ok;
}

static void run_command_options(void)
{
    const char *argv[] = { "run", "--format", "svg,pdf", "--dpi", "150", "--filter-protocol",
                           "SMTP", "--filter-host", "crepes.fr", "--from", "1s", "--until",
                           "2.5s", "--page-arrows", "40", "--page-time", "500ms", "x.mss", NULL };
    MsDiagramArgs args = { 0 };
    MsDiagramOptions o;
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE(parse_args(argv, &o, &args, &error));
    CU_ASSERT_EQUAL(o.formats, MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG) |
                                   MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_PDF));
    CU_ASSERT_DOUBLE_EQUAL(o.dpi, 150.0, 1e-9);
    MS_ASSERT_STR(o.protocols, "SMTP");
    MS_ASSERT_STR(o.hosts, "crepes.fr");
    ms_diagram_args_clear(&args);

    /* A protocol no run has is a typo: refused, and named. */
    const char *typo[] = { "run", "--filter-protocol", "pop3, SMPT", "x.mss", NULL };
    args = (MsDiagramArgs) { 0 };
    CU_ASSERT_FALSE(parse_args(typo, &o, &args, &error));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, "'SMPT'") != NULL);
    g_clear_error(&error);
    ms_diagram_args_clear(&args);
    const char *cased[] = { "run", "--filter-protocol", "tcp,Http,imap,", "x.mss", NULL };
    args = (MsDiagramArgs) { 0 };
    CU_ASSERT_TRUE(parse_args(cased, &o, &args, &error));
    ms_diagram_args_clear(&args);
    args = (MsDiagramArgs) { 0 };
    CU_ASSERT_TRUE(parse_args(argv, &o, &args, &error));
    CU_ASSERT_EQUAL(o.from, MS_SEC);
    CU_ASSERT_EQUAL(o.until, 2500 * MS_MSEC);
    CU_ASSERT_EQUAL(o.page_arrows, 40);
    CU_ASSERT_EQUAL(o.page_time, 500 * MS_MSEC);
    ms_diagram_args_clear(&args);

    /* Nothing given: the defaults, a long run paged. */
    const char *bare[] = { "run", "x.mss", NULL };
    CU_ASSERT_TRUE(parse_args(bare, &o, &args, &error));
    CU_ASSERT_EQUAL(o.formats, MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG));
    CU_ASSERT_EQUAL(o.until, MS_TIME_NEVER);
    CU_ASSERT_EQUAL(o.page_arrows, MS_DIAGRAM_PAGE_ARROWS_DEFAULT);
    CU_ASSERT_EQUAL(o.page_time, 0);
    CU_ASSERT_EQUAL(o.max_pages, MS_DIAGRAM_MAX_PAGES_DEFAULT);
    ms_diagram_args_clear(&args);

    /* The default page limit gives way to any paging asked for: 0 is one
     * page, --page-time and --slide bring their own limits. */
    static const char *const paging[][3] = {
        { "--page-arrows", "0", NULL },
        { "--page-time", "2s", NULL },
        { "--slide", NULL, NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(paging); i++) {
        const char *v[] = { "run", paging[i][0], paging[i][1], NULL };
        CU_ASSERT_TRUE(parse_args(v, &o, &args, &error));
        CU_ASSERT_EQUAL(o.page_arrows, 0);
        /* Who asks for pages gets them all. */
        CU_ASSERT_EQUAL(o.max_pages, 0);
        ms_diagram_args_clear(&args);
    }
    const char *some[] = { "run", "--page-arrows", "100", NULL };
    CU_ASSERT_TRUE(parse_args(some, &o, &args, &error));
    CU_ASSERT_EQUAL(o.max_pages, 0);
    ms_diagram_args_clear(&args);
    /* ...unless --max-pages says otherwise, which also overrides the default. */
    static const char *const limits[][5] = {
        { "--max-pages", "3", NULL, NULL, "3" },
        { "--max-pages", "0", NULL, NULL, "0" },
        { "--page-arrows", "100", "--max-pages", "2", "2" },
        { "--slide", "--max-pages", "4", NULL, "4" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(limits); i++) {
        const char *v[] = { "run", limits[i][0], limits[i][1], limits[i][2], limits[i][3], NULL };
        CU_ASSERT_TRUE(parse_args(v, &o, &args, &error));
        CU_ASSERT_EQUAL(o.max_pages, (guint) atoi(limits[i][4]));
        ms_diagram_args_clear(&args);
    }

    /* Wrong values name their option. */
    static const char *const bad[][4] = {
        { "--dpi", "5", "--dpi", NULL },
        { "--dpi", "0", "--dpi", NULL },
        { "--dpi", "nan", "--dpi", NULL },
        { "--from", "soon", "--from", NULL },
        { "--format", "gif", "--format", NULL },
        { "--page-arrows", "-3", "--page-arrows", NULL },
        { "--max-pages", "-1", "--max-pages", NULL },
        { "--max-pages", "many", "--max-pages", NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *v[] = { "run", bad[i][0], bad[i][1], NULL };
        CU_ASSERT_FALSE(parse_args(v, &o, &args, &error));
        CU_ASSERT_TRUE(error != NULL && strstr(error->message, bad[i][2]) != NULL);
        g_clear_error(&error);
        ms_diagram_args_clear(&args);
    }
    const char *backwards[] = { "run", "--from", "2s", "--until", "1s", NULL };
    CU_ASSERT_FALSE(parse_args(backwards, &o, &args, &error));
    ms_diagram_args_clear(&args);
}

/* ---- diagram/graphviz ----------------------------------------------------- */

/* Reads "x,y" at *p and moves past it. */
static gboolean read_point(const char **p, double *x, double *y)
{
    char *end = NULL;
    *x = g_ascii_strtod(*p, &end);
    if (end == *p || *end != ',')
        return FALSE;
    const char *q = end + 1;
    *y = g_ascii_strtod(q, &end);
    if (end == q)
        return FALSE;
    *p = end;
    return TRUE;
}

/* Every arrow is an edge "a<N>" from the sender's box to the receiver's,
 * whose spline starts at the send point and whose tip ("e,") is the
 * arrival point (Graphviz's y points up: page height - y). */
/* ms_dg_fixed() writes what g_ascii_formatd() writes: on a grid of
 * coordinates, at the ties of binary fractions (0.125, 2.675...), at
 * negative values that round to zero, and random values of every size. */
static void fixed_matches_printf(void)
{
    static const double special[] = { 0.0, -0.0, 0.125, 0.375, -0.125, 2.675, 1.005, 0.0005,
                                      -0.0005, 0.00049999, -0.004, 999999999.995, 1e9, 1e12,
                                      -1e15, 4503599627370495.5, 0.5, 1.5, 2.5, -2.5 };
    char want[G_ASCII_DTOSTR_BUF_SIZE], got[G_ASCII_DTOSTR_BUF_SIZE];
    g_autoptr(GRand) rand = g_rand_new_with_seed(12);
    for (guint decimals = 0; decimals <= 4; decimals++) {
        char format[8];
        g_snprintf(format, sizeof format, "%%.%uf", decimals);
        for (guint k = 0; k < 200000; k++) {
            double v;
            if (k < G_N_ELEMENTS(special))
                v = special[k];
            else if (k < 100000)
                v = (double) ((gint) k - 50000) / 1000.0 + (k % 3) * 0.0005;
            else
                v = g_rand_double_range(rand, -1.0, 1.0) * pow(10.0, g_rand_int_range(rand, -6, 12));
            g_ascii_formatd(want, sizeof want, format, v);
            ms_dg_fixed(got, v, decimals);
            if (strcmp(want, got) != 0) {
                fprintf(stderr, "%.17g with %u decimals: %s, not %s\n", v, decimals, got, want);
                CU_FAIL("ms_dg_fixed differs from printf");
                return;
            }
        }
    }
    CU_PASS("every value as printf writes it");
}

static void graph_pins_every_arrow(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    Agraph_t *g = ms_diagram_graph(d, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    double h = ms_diagram_page(d, 0)->height;
    guint edges = 0;
    for (Agnode_t *n = agfstnode(g); n != NULL; n = agnxtnode(g, n)) {
        const char *pos = agget(n, "pos");
        CU_ASSERT_TRUE(pos != NULL && g_str_has_suffix(pos, "!"));
        for (Agedge_t *e = agfstout(g, n); e != NULL; e = agnxtout(g, e)) {
            const char *name = agnameof(e);
            if (name == NULL || name[0] != 'a')
                continue;
            guint i = (guint) g_ascii_strtoull(name + 1, NULL, 10);
            CU_ASSERT_FATAL(i < ms_diagram_n_arrows(d));
            const MsDiagramArrow *a = ms_diagram_arrow(d, i);
            edges++;
            g_autofree char *tail = g_strdup_printf("h%u", a->from);
            g_autofree char *head = g_strdup_printf("h%u", a->to);
            MS_ASSERT_STR(agnameof(agtail(e)), tail);
            MS_ASSERT_STR(agnameof(aghead(e)), head);
            const char *p = agget(e, "pos");
            double tx, ty, sx, sy;
            CU_ASSERT_FATAL(g_str_has_prefix(p, "e,"));
            p += 2;
            CU_ASSERT_FATAL(read_point(&p, &tx, &ty));
            while (*p == ' ')
                p++;
            CU_ASSERT_FATAL(read_point(&p, &sx, &sy));
            CU_ASSERT_DOUBLE_EQUAL(sx, a->x1, 0.01);
            CU_ASSERT_DOUBLE_EQUAL(sy, h - a->y1, 0.01);
            CU_ASSERT_DOUBLE_EQUAL(tx, a->x2, 0.01);
            CU_ASSERT_DOUBLE_EQUAL(ty, h - a->y2, 0.01);
        }
    }
    CU_ASSERT_EQUAL(edges, ms_diagram_n_arrows(d));
    /* The host boxes carry the names, in lifeline order, left to right. */
    Agnode_t *h0 = agnode(g, "h0", 0), *h3 = agnode(g, "h3", 0);
    CU_ASSERT_PTR_NOT_NULL(h0);
    CU_ASSERT_PTR_NOT_NULL(h3);
    Agnode_t *n0 = agnode(g, "hn0", 0), *n3 = agnode(g, "hn3", 0);
    CU_ASSERT_TRUE(n0 != NULL && strcmp(agget(n0, "label"), "alice-pc") == 0);
    CU_ASSERT_TRUE(n3 != NULL && strcmp(agget(n3, "label"), "bob-pc") == 0);
    if (h0 != NULL && h3 != NULL) {
        const char *p0 = agget(h0, "pos"), *p3 = agget(h3, "pos");
        double x0, y0, x3, y3;
        CU_ASSERT_TRUE(read_point(&p0, &x0, &y0) && read_point(&p3, &x3, &y3) && x0 < x3 &&
                       y0 == y3);
    }
    agclose(g);
}

static char *temp_dir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("mailsim-diagram-XXXXXX", &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    return dir;
}

static void remove_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

static gboolean xml_well_formed(const char *text, GError **error)
{
    static const GMarkupParser parser = { 0 };
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, NULL, NULL);
    gboolean ok = g_markup_parse_context_parse(ctx, text, -1, error) &&
                  g_markup_parse_context_end_parse(ctx, error);
    g_markup_parse_context_free(ctx);
    return ok;
}

static gboolean has_magic(const char *path, const char *magic, gsize len)
{
    g_autofree char *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, &data, &n, NULL))
        return FALSE;
    return n > 1000 && memcmp(data, magic, len) == 0;
}

static void svg_png_pdf_dot_written(void)
{
    g_autoptr(MsTrace) t = story();
    /* Bytes that are not text, Graphviz escapes, XML's specials. */
    emit_line(t, &fetch, MS_DIR_SERVER, 6000, 6002, "bad \xff byte \\N \"q\" <tag> & \x01", NULL);
    g_autofree char *dir = temp_dir();
    MsReportOptions report;
    ms_report_options_init(&report);
    report.scenario_name = "Alice & Bob <test>";
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE(ms_diagram_options_parse_formats(&o, "svg,png,pdf,dot,txt,msc,plantuml,mermaid",
                                                    &error));
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    CU_ASSERT_TRUE_FATAL(ms_diagram_write(t, &report, &o, dir, written, NULL, &error));
    CU_ASSERT_EQUAL(written->len, MS_DIAGRAM_N_FORMATS);

    g_autofree char *svg_path = g_build_filename(dir, "sequence.svg", NULL);
    g_autofree char *svg = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(svg_path, &svg, NULL, NULL));
    CU_ASSERT_TRUE(xml_well_formed(svg, &error));
    if (error != NULL)
        fprintf(stderr, "\n  sequence.svg: %s\n", error->message);
    /* Host names, a line, its tooltip, the escaped title. */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "HELO alice&#45;pc"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "xlink:title"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "Alice &amp; Bob &lt;test&gt;"));

    g_autofree char *png = g_build_filename(dir, "sequence.png", NULL);
    g_autofree char *pdf = g_build_filename(dir, "sequence.pdf", NULL);
    g_autofree char *dot = g_build_filename(dir, "sequence.dot", NULL);
    CU_ASSERT_TRUE(has_magic(png, "\x89PNG\r\n\x1a\n", 8));
    CU_ASSERT_TRUE(has_magic(pdf, "%PDF-", 5));
    g_autofree char *dot_text = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(dot, &dot_text, NULL, NULL));
    CU_ASSERT_TRUE(dot_text != NULL && strstr(dot_text, "digraph") != NULL &&
                   strstr(dot_text, "pos=") != NULL);

    /* Same trace, same bytes, even for a PDF (cairo would stamp the time). */
    g_autoptr(MsDiagram) d = ms_diagram_new(t, &report, &o);
    g_autofree char *pdf_again = g_build_filename(dir, "again.pdf", NULL);
    CU_ASSERT_TRUE(ms_diagram_render(d, 0, MS_DIAGRAM_PDF, pdf_again, &error));
    g_autofree char *a = NULL, *b = NULL;
    gsize la = 0, lb = 0;
    CU_ASSERT_TRUE(g_file_get_contents(pdf, &a, &la, NULL));
    CU_ASSERT_TRUE(g_file_get_contents(pdf_again, &b, &lb, NULL));
    CU_ASSERT_TRUE(la == lb && a != NULL && b != NULL && memcmp(a, b, la) == 0);
    static const char stamp[] = "/CreationDate (D:20000101000000";
    gboolean fixed = FALSE;
    for (gsize k = 0; a != NULL && k + strlen(stamp) <= la && !fixed; k++)
        fixed = memcmp(a + k, stamp, strlen(stamp)) == 0;
    CU_ASSERT_TRUE(fixed);
    remove_dir(dir);
}

/* Every arrow's tooltip says who spoke (C: or S:), and the arrow runs from
 * the speaker's lifeline to the listener's: a swap of either fails here. */
static void tooltips_say_who_spoke(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    guint client = 0, server = 0;
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        if (a->kind != MS_DIAGRAM_ARROW_LINE)
            continue;
        const MsTraceRecord *r = a->record;
        gboolean c = r->dir == MS_DIR_CLIENT;
        client += c;
        server += !c;
        CU_ASSERT_TRUE(g_str_has_prefix(a->tooltip, c ? "C: " : "S: "));
        MS_ASSERT_STR(ms_diagram_lifeline(d, a->from)->host, r->src);
        MS_ASSERT_STR(ms_diagram_lifeline(d, a->to)->host, r->dst);
        g_autofree char *route = g_strdup_printf("] %s \u2192 %s,", r->src, r->dst);
        CU_ASSERT_PTR_NOT_NULL(strstr(a->tooltip, route));
        /* The label is the line itself, or its beginning. */
        g_autofree char *head = g_strndup(a->label, strcspn(a->label, "\u2026"));
        CU_ASSERT_TRUE(g_str_has_prefix(a->text, head));
    }
    CU_ASSERT_TRUE(client >= 5 && server >= 5);
    /* The same in the SVG: the first line of the run is the server's
     * greeting, the second the client's HELO. */
    g_autofree char *dir = temp_dir();
    g_autofree char *path = g_build_filename(dir, "s.svg", NULL);
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE_FATAL(ms_diagram_render(d, 0, MS_DIAGRAM_SVG, path, &error));
    g_autofree char *svg = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &svg, NULL, NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "xlink:title=\"S: 220 crepes.fr ESMTP"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "xlink:title=\"C: HELO alice&#45;pc"));
    CU_ASSERT_PTR_NULL(strstr(svg, "xlink:title=\"C: 220 crepes.fr"));
    CU_ASSERT_PTR_NULL(strstr(svg, "xlink:title=\"S: HELO"));
    remove_dir(dir);
}

static char *render_bytes(const MsDiagram *d, guint page, MsDiagramFormat format,
                          const char *dir, gsize *len)
{
    g_autofree char *path = g_build_filename(dir, "r.out", NULL);
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    *len = 0;
    if (!ms_diagram_render(d, page, format, path, &error) ||
        !g_file_get_contents(path, &data, len, NULL))
        return NULL;
    g_unlink(path);
    return data;
}

/* IMAP is a pull, except what the server sends of its own accord while
 * the client idles (RFC 2177): "* 1 EXISTS" then is a push, drawn in the
 * push colour and named in the legend; the same response to a SELECT, and
 * everything after DONE, is pulled. */
static void imap_idle_news_is_a_push(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const Conn imap = { 1, "IMAP", "bob-pc", "hamburger.edu", 50000, 143 };
    emit_keyed(t, &imap, MS_DIR_CLIENT, 0, 1, "A002 SELECT INBOX", NULL, "imap.cmd.select");
    emit_keyed(t, &imap, MS_DIR_SERVER, 1, 2, "* 0 EXISTS", NULL, "imap.resp.exists");
    emit_keyed(t, &imap, MS_DIR_CLIENT, 3, 4, "A003 IDLE", NULL, "imap.cmd.idle");
    emit_keyed(t, &imap, MS_DIR_SERVER, 4, 5, "+ idling", NULL, "imap.cont.idle");
    emit_keyed(t, &imap, MS_DIR_SERVER, 60, 61, "* 1 EXISTS", NULL, "imap.resp.exists");
    emit_keyed(t, &imap, MS_DIR_CLIENT, 62, 63, "DONE", NULL, "imap.cmd.done");
    emit_keyed(t, &imap, MS_DIR_SERVER, 63, 64, "A003 OK IDLE terminated", NULL,
               "imap.resp.ok.idle");
    emit_keyed(t, &imap, MS_DIR_CLIENT, 65, 66, "A004 NOOP", NULL, "imap.cmd.noop");
    emit_keyed(t, &imap, MS_DIR_SERVER, 66, 67, "* 1 EXISTS", NULL, "imap.resp.exists");
    g_autoptr(MsDiagram) d = diagram_of(t);
    static const MsDiagramFlow flows[] = {
        MS_DIAGRAM_FLOW_PULL, MS_DIAGRAM_FLOW_PULL, MS_DIAGRAM_FLOW_PULL,
        MS_DIAGRAM_FLOW_PULL, MS_DIAGRAM_FLOW_PUSH, MS_DIAGRAM_FLOW_PULL,
        MS_DIAGRAM_FLOW_PULL, MS_DIAGRAM_FLOW_PULL, MS_DIAGRAM_FLOW_PULL,
    };
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), G_N_ELEMENTS(flows));
    for (guint i = 0; i < G_N_ELEMENTS(flows); i++)
        CU_ASSERT_EQUAL(ms_diagram_arrow(d, i)->flow, flows[i]);
    g_autofree char *dir = temp_dir();
    gsize len = 0;
    g_autofree char *svg = render_bytes(d, 0, MS_DIAGRAM_SVG, dir, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">push: SMTP, IMAP IDLE</text>"));
    remove_dir(dir);
}

/* Phase bands are painted first, in the model's order, with no subgraph
 * (cgraph orders subgraphs by the address of their names); and renders in
 * one process give the same bytes whatever was allocated in between. */
static void renders_identical_within_a_process(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsTrace) other = story_with_losses();
    g_autofree char *dir = temp_dir();
    static const MsDiagramFormat formats[] = { MS_DIAGRAM_SVG, MS_DIAGRAM_DOT, MS_DIAGRAM_PDF,
                                               MS_DIAGRAM_PNG };
    for (gsize f = 0; f < G_N_ELEMENTS(formats); f++) {
        gsize l1 = 0, l2 = 0, lo = 0;
        g_autoptr(MsDiagram) d1 = diagram_of(t);
        g_autofree char *first = render_bytes(d1, 0, formats[f], dir, &l1);
        /* Churn the allocator: other graphs, freed in between. */
        g_autoptr(MsDiagram) o = diagram_of(other);
        g_autofree char *between = render_bytes(o, 0, formats[f], dir, &lo);
        g_autoptr(MsDiagram) d2 = diagram_of(t);
        g_autofree char *second = render_bytes(d2, 0, formats[f], dir, &l2);
        CU_ASSERT_TRUE_FATAL(first != NULL && second != NULL && between != NULL);
        CU_ASSERT_TRUE(l1 == l2 && memcmp(first, second, l1) == 0);
    }
    g_autoptr(MsDiagram) d = diagram_of(t);
    gsize len = 0;
    g_autofree char *svg = render_bytes(d, 0, MS_DIAGRAM_SVG, dir, &len);
    CU_ASSERT_TRUE_FATAL(svg != NULL);
    CU_ASSERT_PTR_NULL(strstr(svg, "class=\"cluster\""));
    /* The band polygons, before the first node, top to bottom as listed. */
    const MsDiagramPage *pg = ms_diagram_page(d, 0);
    CU_ASSERT_TRUE_FATAL(pg->n_bands >= 6);
    const char *first_node = strstr(svg, "class=\"node\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first_node);
    const char *p = svg;
    for (guint i = pg->first_band; i < pg->first_band + pg->n_bands; i++) {
        const MsDiagramBand *b = ms_diagram_band(d, i);
        p = strstr(p, "<polygon fill=\"#");
        CU_ASSERT_TRUE_FATAL(p != NULL && p < first_node);
        p = strstr(p, "points=\"");
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        p += strlen("points=\"");
        /* Its corners span the band's two lifelines and its top. */
        double x = g_ascii_strtod(p, NULL);
        CU_ASSERT_DOUBLE_EQUAL(x, ms_diagram_lifeline(d, b->left)->x, 0.01);
        gboolean has_top = FALSE;
        const char *q = p;
        double cx, cy;
        while (*q != '"' && read_point(&q, &cx, &cy)) {
            has_top |= fabs(cy + (pg->height - b->y1)) < 0.02;
            while (*q == ' ')
                q++;
        }
        CU_ASSERT_TRUE(has_top);
    }
    remove_dir(dir);
}

/* Runs a mailsim binary on a scenario into dir; TRUE when it exits 0. */
static gboolean run_mailsim(const char *binary, const char *scenario, const char *dir,
                            const char *tunables)
{
    const char *argv[] = { binary, "run", scenario, "-q", "-o", dir, "--format",
                           "svg,pdf,dot,png", NULL };
    g_auto(GStrv) env = g_get_environ();
    env = g_environ_setenv(env, "GLIBC_TUNABLES", tunables, TRUE);
    gint status = 0;
    g_autoptr(GError) error = NULL;
    if (!g_spawn_sync(NULL, (char **) argv, env, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                      NULL, &status, &error))
        return FALSE;
    return g_spawn_check_wait_status(status, NULL);
}

static gboolean same_file(const char *a, const char *b)
{
    g_autofree char *x = NULL, *y = NULL;
    gsize lx = 0, ly = 0;
    return g_file_get_contents(a, &x, &lx, NULL) && g_file_get_contents(b, &y, &ly, NULL) &&
           lx == ly && memcmp(x, y, lx) == 0;
}

/* Two processes, the optimised build and the sanitizer build, with the
 * allocator tuned differently: the same bytes.  (The sanitizers' allocator
 * hands out addresses in order, which hid the old band-order bug.) */
static void renders_identical_across_processes(void)
{
    static const char *const binaries[] = { "./mailsim", "build/san/mailsim" };
    static const char *const scenarios[] = { "scenarios/imap-two-devices.mss",
                                             "scenarios/smtp-basic.mss" };
    static const char *const files[] = { "sequence.svg", "sequence.pdf", "sequence.dot",
                                         "sequence.png" };
    g_autofree char *dir = temp_dir();
    for (gsize b = 0; b < G_N_ELEMENTS(binaries); b++) {
        CU_ASSERT_TRUE_FATAL(g_file_test(binaries[b], G_FILE_TEST_IS_EXECUTABLE));
        for (gsize s = 0; s < G_N_ELEMENTS(scenarios); s++) {
            g_autofree char *one = g_build_filename(dir, "one", NULL);
            g_autofree char *two = g_build_filename(dir, "two", NULL);
            CU_ASSERT_TRUE_FATAL(run_mailsim(binaries[b], scenarios[s], one, ""));
            CU_ASSERT_TRUE_FATAL(
                run_mailsim(binaries[b], scenarios[s], two, "glibc.malloc.tcache_count=0"));
            for (gsize f = 0; f < G_N_ELEMENTS(files); f++) {
                g_autofree char *p1 = g_build_filename(one, files[f], NULL);
                g_autofree char *p2 = g_build_filename(two, files[f], NULL);
                if (!same_file(p1, p2))
                    fprintf(stderr, "\n  %s %s: %s differs\n", binaries[b], scenarios[s], files[f]);
                CU_ASSERT_TRUE(same_file(p1, p2));
            }
            remove_dir(one);
            remove_dir(two);
        }
    }
    remove_dir(dir);
}

/* PNG width and height from its IHDR chunk (bytes 16-23, big-endian). */
static gboolean png_size(const char *path, guint32 *w, guint32 *h)
{
    g_autofree guchar *data = NULL;
    gsize n = 0;
    if (!g_file_get_contents(path, (char **) &data, &n, NULL) || n < 24 ||
        memcmp(data + 12, "IHDR", 4) != 0)
        return FALSE;
    *w = ((guint32) data[16] << 24) | ((guint32) data[17] << 16) | ((guint32) data[18] << 8) |
         data[19];
    *h = ((guint32) data[20] << 24) | ((guint32) data[21] << 16) | ((guint32) data[22] << 8) |
         data[23];
    return TRUE;
}

static guint32 png_width(const char *path)
{
    guint32 w = 0, h = 0;
    return png_size(path, &w, &h) ? w : 0;
}

static void png_dpi_and_pages(void)
{
    g_autoptr(MsTrace) t = story();
    g_autofree char *dir = temp_dir();
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_PNG);
    o.page_arrows = 10;
    o.dpi = 72;
    g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE_FATAL(ms_diagram_write(t, NULL, &o, dir, written, NULL, &error));
    CU_ASSERT_EQUAL(written->len, 3);
    g_autofree char *p1 = g_build_filename(dir, "sequence-1.png", NULL);
    g_autofree char *p3 = g_build_filename(dir, "sequence-3.png", NULL);
    CU_ASSERT_TRUE(g_file_test(p3, G_FILE_TEST_EXISTS));
    guint32 w72 = png_width(p1);

    o.dpi = 144;
    o.basename = "hires";
    CU_ASSERT_TRUE_FATAL(ms_diagram_write(t, NULL, &o, dir, NULL, NULL, &error));
    g_autofree char *h1 = g_build_filename(dir, "hires-1.png", NULL);
    guint32 w144 = png_width(h1);
    /* Twice the dots per inch, twice the pixels (give or take rounding). */
    CU_ASSERT_TRUE(w72 > 100);
    CU_ASSERT_TRUE(w144 >= 2 * w72 - 4 && w144 <= 2 * w72 + 4);

    /* A directory that is not there: an error, not silence. */
    g_autofree char *missing = g_build_filename(dir, "no", "such", NULL);
    o.formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG);
    CU_ASSERT_FALSE(ms_diagram_write(t, NULL, &o, missing, NULL, NULL, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MS_ERROR, MS_ERROR_IO));
    remove_dir(dir);
}

/* ---- diagram/text --------------------------------------------------------- */

static void txt_has_a_column_per_lifeline(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    g_autofree char *txt = ms_diagram_export(d, MS_DIAGRAM_TXT);
    g_auto(GStrv) lines = g_strsplit(txt, "\n", -1);
    /* The host row: every host name, left to right. */
    const char *hosts = NULL;
    for (char **l = lines; *l != NULL && hosts == NULL; l++) {
        if (strstr(*l, "alice-pc") != NULL && strstr(*l, "bob-pc") != NULL)
            hosts = *l;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(hosts);
    const char *a = strstr(hosts, "alice-pc"), *c = strstr(hosts, "crepes.fr");
    const char *h = strstr(hosts, "hamburger.edu"), *b = strstr(hosts, "bob-pc");
    CU_ASSERT_TRUE(a < c && c < h && h < b);

    /* One row per arrow (each shows its arrival after "→"), and on every
     * row of the diagram one mark per lifeline column. */
    guint arrows = 0;
    for (char **l = lines; *l != NULL; l++) {
        if (strstr(*l, "\u2192 ") == NULL)
            continue;
        arrows++;
        guint marks = 0;
        glong n = g_utf8_strlen(*l, -1);
        for (guint k = 0; k < ms_diagram_n_lifelines(d); k++) {
            glong col = 12 + 2 + 13 + 26 * (glong) k;
            if (col >= n)
                continue;
            gunichar ch = g_utf8_get_char(g_utf8_offset_to_pointer(*l, col));
            marks += ch == '|' || ch == '>' || ch == '<' || ch == '-' || ch == '=' || ch == ' ';
        }
        CU_ASSERT_EQUAL(marks, ms_diagram_n_lifelines(d));
    }
    CU_ASSERT_EQUAL(arrows, ms_diagram_n_arrows(d));
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "HELO alice-pc"));
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "4.7 s later"));
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "[1] SMTP"));
}

/* A run with more hosts than a terminal's width holds: the picture comes in
 * sections of at most eight columns, each headed by its own hosts, and every
 * row is still there (a campus has a thousand hosts: one row across all of
 * them would be 26 KB wide). */
static void txt_sections_of_many_hosts(void)
{
    GString *src = g_string_new("scenario \"Twelve users\"\n");
    for (guint s = 0; s < 3; s++)
        g_string_append_printf(src, "server mx%u.example domain d%u.example\n", s, s);
    g_string_append(src, "link mx0.example mx1.example latency 5ms\n"
                         "link mx0.example mx2.example latency 5ms\n"
                         "link mx1.example mx2.example latency 5ms\n");
    for (guint u = 0; u < 12; u++)
        g_string_append_printf(src, "agent u%u-pc user u%u@d%u.example server mx%u.example "
                               "password pw\nlink u%u-pc mx%u.example latency 1ms\n",
                               u, u, u % 3, u % 3, u, u % 3);
    for (guint m = 0; m < 12; m++)
        g_string_append_printf(src, "at %ums u%u-pc send to u%u@d%u.example subject \"N%u\" "
                               "body \"Hi.\"\n", m * 200, m, (m + 5) % 12, (m + 5) % 3, m);
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(src->str, -1, "twelve.mss", &error);
    g_string_free(src, TRUE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    g_autoptr(MsWorld) world = ms_world_new(sc, sc->seed, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(world);
    CU_ASSERT_TRUE_FATAL(ms_world_run(world, MS_TIME_NEVER, &error));
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.lang = "en";
    g_autoptr(MsDiagram) d = ms_diagram_new(ms_world_trace(world), NULL, &o);
    CU_ASSERT_TRUE_FATAL(ms_diagram_n_lifelines(d) > 8);
    g_autofree char *txt = ms_diagram_export(d, MS_DIAGRAM_TXT);
    g_auto(GStrv) lines = g_strsplit(txt, "\n", -1);
    guint arrows = 0, headings = 0;
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (char **l = lines; *l != NULL; l++) {
        /* Eight columns, the time and the arrival beside them. */
        CU_ASSERT_TRUE(g_utf8_strlen(*l, -1) <= 12 + 2 + 8 * 26 + 16);
        arrows += strstr(*l, "\u2192 ") != NULL;
        if (g_str_has_prefix(*l, "        ms")) {
            headings++;
            for (guint k = 0; k < ms_diagram_n_lifelines(d); k++) {
                const char *host = ms_diagram_lifeline(d, k)->host;
                if (strstr(*l, host) != NULL)
                    g_hash_table_add(seen, (gpointer) host);
            }
        }
    }
    CU_ASSERT_EQUAL(arrows, ms_diagram_n_arrows(d));
    CU_ASSERT_TRUE(headings >= 2);
    CU_ASSERT_EQUAL(g_hash_table_size(seen), ms_diagram_n_lifelines(d));
}

/* Runs a diagram tool on a source file; FALSE (and says so) when the tool
 * is not installed. */
static gboolean tool_accepts(const char *tool, const char *const *args, const char *source,
                             const char *name, gboolean *ran)
{
    *ran = g_file_test(tool, G_FILE_TEST_IS_EXECUTABLE);
    if (!*ran) {
        g_autofree char *why = g_strdup_printf("%s is not installed", tool);
        ms_test_skip(why);
        return FALSE;
    }
    g_autofree char *dir = temp_dir();
    g_autofree char *in = g_build_filename(dir, name, NULL);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(in, source, -1, NULL));
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer) tool);
    for (const char *const *a = args; *a != NULL; a++)
        g_ptr_array_add(argv, (gpointer) *a);
    g_ptr_array_add(argv, in);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    g_autofree char *out = NULL, *err = NULL;
    gboolean ok = g_spawn_sync(dir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, NULL) &&
                  g_spawn_check_wait_status(status, NULL);
    if (!ok)
        fprintf(stderr, "\n  %s: %s%s\n", tool, out != NULL ? out : "", err != NULL ? err : "");
    remove_dir(dir);
    return ok;
}

static MsTrace *story_with_losses(void)
{
    MsTrace *t = story();
    emit_segment(t, &fetch, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, 6000, -1, MS_TCP_SYN, 0);
    emit_segment(t, &fetch, MS_TRACE_SEGMENT_LOST, MS_DIR_CLIENT, 6001, -1, MS_TCP_SYN, 0);
    emit_segment(t, &fetch, MS_TRACE_SEGMENT_SENT, MS_DIR_CLIENT, 7000, 7002, MS_TCP_SYN, 1);
    emit_line(t, &fetch, MS_DIR_SERVER, 7010, -1, "+OK never seen", "pop3.authorization");
    return t;
}

static void msc_accepted_by_mscgen(void)
{
    g_autoptr(MsTrace) t = story_with_losses();
    emit_line(t, &fetch, MS_DIR_SERVER, 8000, 8002, "a \"quoted\" \\n line; and \\", NULL);
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.tcp = TRUE;
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    g_autofree char *msc = ms_diagram_export(d, MS_DIAGRAM_MSC);
    CU_ASSERT_TRUE(g_str_has_prefix(msc, "# "));
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, "msc {"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, "arcskip"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, " -x "));
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, "\\\"quoted\\\""));
    static const char *const args[] = { "-T", "png", "-o", "sequence.png", NULL };
    gboolean ran = FALSE;
    gboolean ok = tool_accepts("/usr/bin/mscgen", args, msc, "sequence.msc", &ran);
    if (ran)
        CU_ASSERT_TRUE(ok);
}

static void plantuml_accepts_source(void)
{
    g_autoptr(MsTrace) t = story_with_losses();
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.tcp = TRUE;
    g_autoptr(MsDiagram) d = diagram_with(t, &o);
    g_autofree char *puml = ms_diagram_export(d, MS_DIAGRAM_PLANTUML);
    /* Lost: ">x"; a retransmitted segment: dotted, thin head. */
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, "]>x h"));
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, "-[#8a8a8a]->> h"));
    /* -failfast2: exit status 200 on any syntax error. */
    static const char *const args[] = { "-tpng", "-failfast2", NULL };
    gboolean ran = FALSE;
    gboolean ok = tool_accepts("/usr/bin/plantuml", args, puml, "sequence.puml", &ran);
    if (ran)
        CU_ASSERT_TRUE(ok);
}

static guint count_lines_with(const char *text, const char *needle)
{
    guint n = 0;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++)
        n += strstr(*l, needle) != NULL;
    return n;
}

static void plantuml_and_mermaid_sources(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    g_autofree char *puml = ms_diagram_export(d, MS_DIAGRAM_PLANTUML);
    CU_ASSERT_TRUE(g_str_has_prefix(puml, "@startuml\n"));
    CU_ASSERT_TRUE(g_str_has_suffix(puml, "@enduml\n"));
    CU_ASSERT_EQUAL(count_lines_with(puml, "participant "), 4);
    /* One message a line: "hN -[#colour]> hM : text". */
    CU_ASSERT_EQUAL(count_lines_with(puml, "> h"), N_STORY_LINES);
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, "== [1] SMTP"));
    g_autoptr(MsTrace) odd = ms_trace_new();
    emit_line(odd, &submit, MS_DIR_CLIENT, 0, 2, "--=_b a-b **x** <y>", NULL);
    g_autoptr(MsDiagram) od = diagram_of(odd);
    g_autofree char *oddp = ms_diagram_export(od, MS_DIAGRAM_PLANTUML);
    CU_ASSERT_PTR_NOT_NULL(strstr(oddp, ": ~-~-=_b a-b ~*~*x~*~* ~<y>\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, "...4.7 s later..."));
    /* Creole and tags are made plain: "<CR>" would be an unknown tag. */
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, "~<CR>"));

    g_autofree char *mmd = ms_diagram_export(d, MS_DIAGRAM_MERMAID);
    CU_ASSERT_TRUE(g_str_has_prefix(mmd, "sequenceDiagram\n"));
    CU_ASSERT_EQUAL(count_lines_with(mmd, "participant h"), 4);
    CU_ASSERT_EQUAL(count_lines_with(mmd, ">>h"), N_STORY_LINES);
    /* ; and < > would end the statement or start HTML. */
    CU_ASSERT_PTR_NOT_NULL(strstr(mmd, "MAIL FROM:#lt;alice@crepes.fr#gt;"));
    CU_ASSERT_PTR_NULL(strstr(mmd, "<alice"));
    CU_ASSERT_EQUAL(count_lines_with(mmd, "h0->>h1"), 7); /* alice's lines: 4 + 3 body */
    CU_ASSERT_EQUAL(count_lines_with(mmd, "h3-->>h2"), 2); /* bob pulls: USER, QUIT */
}

/* ---- diagram/compact ------------------------------------------------------ */

static guint64 emit_noted(MsTrace *t, const Conn *c, MsDir dir, double send_ms, double arrive_ms,
                          const char *text, const char *note)
{
    return emit_keyed(t, c, dir, send_ms, arrive_ms, text, "smtp.transfer", note);
}

/* A submission with a multi-line EHLO reply, pipelined commands and their
 * replies, a message text in two segments; then a POP3 RETR. */
static MsTrace *pipelined_story(void)
{
    MsTrace *t = ms_trace_new();
    const Conn *c = &submit;
    emit_open(t, c, 0);
    emit_noted(t, c, MS_DIR_SERVER, 2, 4, "220 crepes.fr ESMTP", "smtp.reply.220");
    emit_noted(t, c, MS_DIR_CLIENT, 4, 6, "EHLO alice-pc", "smtp.cmd.ehlo");
    emit_noted(t, c, MS_DIR_SERVER, 6, 8, "250-crepes.fr", "smtp.reply.250.ehlo");
    emit_noted(t, c, MS_DIR_SERVER, 6, 8, "250-PIPELINING", "smtp.ext.pipelining");
    emit_noted(t, c, MS_DIR_SERVER, 6, 8, "250 HELP", "smtp.ext.help");
    emit_noted(t, c, MS_DIR_CLIENT, 8, 10, "MAIL FROM:<alice@crepes.fr>", "smtp.cmd.mail");
    emit_noted(t, c, MS_DIR_CLIENT, 8, 10, "RCPT TO:<bob@hamburger.edu>", "smtp.cmd.rcpt");
    emit_noted(t, c, MS_DIR_CLIENT, 8, 10, "DATA", "smtp.cmd.data");
    emit_noted(t, c, MS_DIR_SERVER, 10, 12, "250 Ok", "smtp.reply.250.mail");
    emit_noted(t, c, MS_DIR_SERVER, 10, 12, "250 Ok", "smtp.reply.250.rcpt");
    emit_noted(t, c, MS_DIR_SERVER, 10, 12, "354 Go ahead", "smtp.reply.354");
    /* 14 + 2 bytes, 0 + 2, 4 + 2, less the stuffed dot: 23 bytes, 3 lines. */
    emit_noted(t, c, MS_DIR_CLIENT, 12, 14, "Subject: hello", "smtp.data.line");
    emit_noted(t, c, MS_DIR_CLIENT, 12, 14, "", "smtp.data.line");
    emit_noted(t, c, MS_DIR_CLIENT, 12, 15, "..hi", "smtp.data.stuffed");
    emit_noted(t, c, MS_DIR_CLIENT, 12, 15, ".", "smtp.data.end");
    emit_noted(t, c, MS_DIR_SERVER, 15, 17, "250 Ok: queued", "smtp.reply.250.data");
    emit_noted(t, c, MS_DIR_CLIENT, 17, 19, "QUIT", "smtp.cmd.quit");
    emit_open(t, &fetch, 50);
    emit_noted(t, &fetch, MS_DIR_CLIENT, 52, 54, "RETR 1", "pop3.cmd.retr");
    emit_noted(t, &fetch, MS_DIR_SERVER, 54, 56, "+OK 10 octets", "pop3.reply.retr");
    emit_noted(t, &fetch, MS_DIR_SERVER, 54, 56, "Hi", "pop3.data.line");
    emit_noted(t, &fetch, MS_DIR_SERVER, 54, 56, "Bye", "pop3.data.line");
    emit_noted(t, &fetch, MS_DIR_SERVER, 54, 56, ".", "pop3.data.end");
    emit_noted(t, &fetch, MS_DIR_CLIENT, 56, 58, "LIST", "pop3.cmd.list");
    emit_noted(t, &fetch, MS_DIR_SERVER, 58, 60, "+OK 1 message", "pop3.reply.list");
    emit_noted(t, &fetch, MS_DIR_SERVER, 58, 60, "1 10", "pop3.data.scan");
    emit_noted(t, &fetch, MS_DIR_SERVER, 58, 60, ".", "pop3.data.end");
    return t;
}

static MsDiagram *diagram_viewed(const MsTrace *t, MsDiagramView view, const char *lang)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.view = view;
    o.lang = lang;
    return diagram_with(t, &o);
}

static void compact_view_one_arrow_per_part(void)
{
    g_autoptr(MsTrace) t = pipelined_story();
    g_autoptr(MsDiagram) full = diagram_viewed(t, MS_DIAGRAM_VIEW_FULL, "en");
    CU_ASSERT_EQUAL(ms_diagram_view(full), MS_DIAGRAM_VIEW_FULL);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(full), 26);
    /* Small: the automatic choice is the full view. */
    g_autoptr(MsDiagram) aut = diagram_viewed(t, MS_DIAGRAM_VIEW_AUTO, "en");
    CU_ASSERT_EQUAL(ms_diagram_view(aut), MS_DIAGRAM_VIEW_FULL);

    g_autoptr(MsDiagram) d = diagram_viewed(t, MS_DIAGRAM_VIEW_COMPACT, "en");
    CU_ASSERT_EQUAL(ms_diagram_view(d), MS_DIAGRAM_VIEW_COMPACT);
    static const struct {
        const char *text;
        guint lines, rows;
    } want[] = {
        { "220 crepes.fr ESMTP", 1, 1 },
        { "EHLO alice-pc", 1, 1 },
        { "250-crepes.fr (+2 lines)", 3, 1 },
        { "MAIL FROM:<alice@crepes.fr> | RCPT TO:<bob@hamburger.edu> | DATA", 3, 3 },
        { "250 Ok | 250 Ok | 354 Go ahead", 3, 3 },
        { "message text: 3 lines, 23 bytes", 4, 1 },
        { "250 Ok: queued", 1, 1 },
        { "QUIT", 1, 1 },
        { "RETR 1", 1, 1 },
        { "+OK 10 octets | message text: 2 lines, 9 bytes", 4, 2 },
        { "LIST", 1, 1 },
        { "+OK 1 message (+2 lines)", 3, 1 },
    };
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        MS_ASSERT_STR(a->text, want[i].text);
        CU_ASSERT_EQUAL(a->rows, want[i].rows);
        CU_ASSERT_EQUAL(a->kind == MS_DIAGRAM_ARROW_LINE ? 1 : a->elided, want[i].lines);
        CU_ASSERT_TRUE(a->kind == MS_DIAGRAM_ARROW_LINE || a->compact);
    }
    /* The message text in two segments: from its first send to its last
     * arrival, as one arrow. */
    const MsDiagramArrow *text = ms_diagram_arrow(d, 5);
    CU_ASSERT_EQUAL(text->send, MS(12));
    CU_ASSERT_EQUAL(text->arrival, MS(15));
    /* Three rows of text: the arrow drops far enough for them. */
    const MsDiagramArrow *pipe = ms_diagram_arrow(d, 3);
    CU_ASSERT_TRUE(pipe->y2 - pipe->y1 >= 3 * 15.0);
    CU_ASSERT_PTR_NOT_NULL(strchr(pipe->label, '\n'));

    /* In Chinese, from the catalogue. */
    ms_report_untranslated_reset();
    g_autoptr(MsDiagram) zh = diagram_viewed(t, MS_DIAGRAM_VIEW_COMPACT, "zh");
    MS_ASSERT_STR(ms_diagram_arrow(zh, 5)->text, "邮件报文：3 行，23 字节");
    MS_ASSERT_STR(ms_diagram_arrow(zh, 2)->text, "250-crepes.fr（另 2 行）");
    g_autoptr(GPtrArray) missing = ms_report_untranslated();
    CU_ASSERT_EQUAL(missing->len, 0);
    ms_report_untranslated_reset();
}

/* Many arrows: compact unless the full view is asked for. */
static void compact_by_default_when_long(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    emit_open(t, &submit, 0);
    for (guint i = 0; i < 40; i++) {
        emit_noted(t, &submit, MS_DIR_CLIENT, 4 * i, 4 * i + 1, "NOOP", "smtp.cmd.noop");
        emit_noted(t, &submit, MS_DIR_SERVER, 4 * i + 1, 4 * i + 2, "250-a", NULL);
        emit_noted(t, &submit, MS_DIR_SERVER, 4 * i + 1, 4 * i + 2, "250 b", NULL);
    }
    g_autoptr(MsDiagram) aut = diagram_viewed(t, MS_DIAGRAM_VIEW_AUTO, "en");
    CU_ASSERT_EQUAL(ms_diagram_view(aut), MS_DIAGRAM_VIEW_COMPACT);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(aut), 80);
    g_autoptr(MsDiagram) full = diagram_viewed(t, MS_DIAGRAM_VIEW_FULL, "en");
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(full), 120);
}

/* Occurrences of needle in haystack. */
static guint count_of(const char *haystack, const char *needle)
{
    guint n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A relay whose connection attempts fail: each is a SYN with its attempt
 * number.  One nobody answered gets nowhere and ends in a cross; one the
 * server's TCP answered with a RST reached the server, and is drawn as
 * refused in every format, never as lost. */
static void failed_attempts_drawn_with_number(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    for (guint k = 1; k <= 3; k++) {
        Conn c = relay;
        c.conn = k;
        MsTraceRecord r = { 0 };
        r.kind = MS_TRACE_CONN_OPEN;
        r.time = MS(1000.0 * k);
        r.arrival = -1;
        r.conn = k;
        r.protocol = "SMTP";
        r.dir = MS_DIR_CLIENT;
        r.src = c.client;
        r.dst = c.server;
        r.dst_port = 25;
        r.count = k;
        ms_trace_emit(t, &r);
        r.kind = MS_TRACE_CONN_REFUSED;
        r.time = MS(1000.0 * k + 500);
        r.detail = k == 3 ? "connection refused" : "connection timed out";
        ms_trace_emit(t, &r);
    }
    g_autoptr(MsDiagram) d = diagram_viewed(t, MS_DIAGRAM_VIEW_FULL, "en");
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), 3);
    MS_ASSERT_STR(ms_diagram_arrow(d, 0)->text, "SYN (attempt 1) \u2014 no answer");
    MS_ASSERT_STR(ms_diagram_arrow(d, 2)->text, "SYN (attempt 3) \u2014 refused");
    for (guint i = 0; i < 3; i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        CU_ASSERT_EQUAL(a->kind, MS_DIAGRAM_ARROW_ATTEMPT);
        CU_ASSERT_EQUAL(a->lost, i < 2);
        CU_ASSERT_EQUAL(a->send, MS(1000.0 * (i + 1)));
        if (i < 2) {
            CU_ASSERT_EQUAL(a->rst_back, -1);
            CU_ASSERT_TRUE(a->x2 < ms_diagram_lifeline(d, a->to)->x);
        } else {
            /* No segments in this trace: it arrived halfway to the RST. */
            CU_ASSERT_EQUAL(a->rst_back, MS(3500.0));
            CU_ASSERT_EQUAL(a->arrival, MS(3250.0));
            CU_ASSERT_EQUAL(a->x2, ms_diagram_lifeline(d, a->to)->x);
            CU_ASSERT_PTR_NOT_NULL(strstr(a->label, "RST back at 3500.000 ms"));
            CU_ASSERT_PTR_NOT_NULL(strstr(a->tooltip, "refused: RST back at 3500.000 ms"));
            CU_ASSERT_PTR_NULL(strstr(a->tooltip, "never arrived"));
        }
    }
    g_autoptr(MsDiagram) zh = diagram_viewed(t, MS_DIAGRAM_VIEW_COMPACT, "zh");
    MS_ASSERT_STR(ms_diagram_arrow(zh, 1)->text, "SYN（第 2 次尝试）\u2014 无应答");
    CU_ASSERT_PTR_NOT_NULL(strstr(ms_diagram_arrow(zh, 2)->label, "3500.000 ms 时收到 RST"));

    /* The picture: two crosses and a bar (red, 2.6 points wide), each
     * with its legend entry; the bar's label says when the RST came back. */
    g_autofree char *dir = temp_dir();
    gsize len = 0;
    g_autofree char *svg = render_bytes(d, 0, MS_DIAGRAM_SVG, dir, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_EQUAL(count_of(svg, ">\u2715</text>"), 3);
    CU_ASSERT_EQUAL(count_of(svg, "stroke=\"" MS_DG_LOST_COLOUR "\" stroke-width=\"2.6\""), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">refused (RST)</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">RST back at 3500.000 ms</text>"));
    remove_dir(dir);

    /* The sources for other tools: the refused SYN arrives, and the RST
     * goes back as a TCP segment; only the other two are lost. */
    const MsDiagramArrow *refused = ms_diagram_arrow(d, 2);
    g_autofree char *msc = ms_diagram_export(d, MS_DIAGRAM_MSC);
    g_autofree char *puml = ms_diagram_export(d, MS_DIAGRAM_PLANTUML);
    g_autofree char *mmd = ms_diagram_export(d, MS_DIAGRAM_MERMAID);
    g_autofree char *msc_syn = g_strdup_printf("h%u -> h%u [label=\"SYN (attempt 3) \u2014 refused\"",
                                               refused->from, refused->to);
    g_autofree char *msc_rst = g_strdup_printf("h%u -> h%u [label=\"RST \u2014 connection refused\"",
                                               refused->to, refused->from);
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, msc_syn));
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, msc_rst));
    CU_ASSERT_EQUAL(count_of(msc, " -x "), 2);
    g_autofree char *puml_syn = g_strdup_printf("h%u -[#173f7a]> h%u : SYN (attempt 3)",
                                                refused->from, refused->to);
    g_autofree char *puml_rst = g_strdup_printf("h%u -[#8a8a8a]>> h%u : RST \u2014 connection"
                                                " refused", refused->to, refused->from);
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, puml_syn));
    CU_ASSERT_PTR_NOT_NULL(strstr(puml, puml_rst));
    CU_ASSERT_EQUAL(count_of(puml, ">x "), 2);
    g_autofree char *mmd_syn = g_strdup_printf("h%u->>h%u: SYN (attempt 3)", refused->from,
                                               refused->to);
    g_autofree char *mmd_rst = g_strdup_printf("h%u-)h%u: RST \u2014 connection refused",
                                               refused->to, refused->from);
    CU_ASSERT_PTR_NOT_NULL(strstr(mmd, mmd_syn));
    CU_ASSERT_PTR_NOT_NULL(strstr(mmd, mmd_rst));
    CU_ASSERT_EQUAL(count_of(mmd, "-xh"), 2);
    /* In text, the SYNs nobody answered are lost; the one the server's TCP
     * answered with RST is not: it is refused, and the RST's time shown. */
    g_autofree char *txt = ms_diagram_export(d, MS_DIAGRAM_TXT);
    g_auto(GStrv) lines = g_strsplit(txt, "\n", -1);
    guint lost = 0, rst = 0;
    for (guint i = 0; lines[i] != NULL; i++) {
        if (strstr(lines[i], "SYN (attempt") == NULL)
            continue;
        if (strstr(lines[i], "SYN (attempt 3)") != NULL) {
            rst++;
            CU_ASSERT_PTR_NOT_NULL(strstr(lines[i], "-#|"));
            CU_ASSERT_PTR_NOT_NULL(strstr(lines[i], "RST back at 3500.000"));
            CU_ASSERT_PTR_NULL(strstr(lines[i], "lost"));
        } else {
            lost++;
            CU_ASSERT_PTR_NOT_NULL(strstr(lines[i], "x|"));
            CU_ASSERT_TRUE(g_str_has_suffix(lines[i], "lost"));
        }
    }
    CU_ASSERT_EQUAL(lost, 2);
    CU_ASSERT_EQUAL(rst, 1);
}

/* As the summary has it: POST /send uploads (a push), the rest of web mail
 * pulls. */
static void http_upload_drawn_as_push(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const Conn web = { 1, "HTTP", "alice-pc", "crepes.fr", 49152, 80 };
    emit_open(t, &web, 0);
    emit_noted(t, &web, MS_DIR_CLIENT, 0, 1, "POST /send HTTP/1.1", "http.request.post");
    emit_noted(t, &web, MS_DIR_CLIENT, 0, 1, "Host: crepes.fr", "http.header.host");
    emit_noted(t, &web, MS_DIR_SERVER, 1, 2, "HTTP/1.1 303 See Other", "http.status.303");
    emit_noted(t, &web, MS_DIR_CLIENT, 2, 3, "GET /message/1 HTTP/1.1", "http.request.get");
    emit_noted(t, &web, MS_DIR_SERVER, 3, 4, "HTTP/1.1 200 OK", "http.status.200");
    g_autoptr(MsDiagram) d = diagram_viewed(t, MS_DIAGRAM_VIEW_FULL, "en");
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(d), 5);
    static const MsDiagramFlow want[] = { MS_DIAGRAM_FLOW_PUSH, MS_DIAGRAM_FLOW_PUSH,
                                          MS_DIAGRAM_FLOW_PUSH, MS_DIAGRAM_FLOW_PULL,
                                          MS_DIAGRAM_FLOW_PULL };
    for (guint i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(ms_diagram_arrow(d, i)->flow, want[i]);
    g_autoptr(MsDiagram) c = diagram_viewed(t, MS_DIAGRAM_VIEW_COMPACT, "en");
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(c), 4);
    MS_ASSERT_STR(ms_diagram_arrow(c, 0)->text, "POST /send HTTP/1.1 (+1 line)");
    CU_ASSERT_EQUAL(ms_diagram_arrow(c, 0)->flow, MS_DIAGRAM_FLOW_PUSH);
}

static void view_and_slide_options(void)
{
    const char *argv[] = { "run", "--view", "full", "--slide", "x.mss", NULL };
    MsDiagramArgs args = { 0 };
    MsDiagramOptions o;
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE(parse_args(argv, &o, &args, &error));
    CU_ASSERT_EQUAL(o.view, MS_DIAGRAM_VIEW_FULL);
    CU_ASSERT_TRUE(o.slide);
    ms_diagram_args_clear(&args);
    const char *bare[] = { "run", "x.mss", NULL };
    CU_ASSERT_TRUE(parse_args(bare, &o, &args, &error));
    CU_ASSERT_EQUAL(o.view, MS_DIAGRAM_VIEW_AUTO);
    CU_ASSERT_FALSE(o.slide);
    ms_diagram_args_clear(&args);
    const char *bad[] = { "run", "--view", "tiny", "x.mss", NULL };
    CU_ASSERT_FALSE(parse_args(bad, &o, &args, &error));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, "--view") != NULL);
    ms_diagram_args_clear(&args);
}


/* ---- Shipped scenarios --------------------------------------------------- */

/* A scenario run as `mailsim run` runs it, with the report options that
 * name it.  The world goes before the scenario, which must outlive it. */
typedef struct {
    MsScenario *scenario;
    MsWorld *world;
    MsReportOptions report;
} ShippedRun;

static void shipped_run_clear(ShippedRun *run)
{
    g_clear_pointer(&run->world, ms_world_free);
    g_clear_pointer(&run->scenario, ms_scenario_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ShippedRun, shipped_run_clear)

/* Reads, builds and runs the scenario at path (a shipped or a generated
 * one) into run; stops the test when it cannot be read or its world
 * built.  Returns whether the run went through. */
static gboolean run_shipped(const char *path, ShippedRun *run)
{
    g_autoptr(GError) error = NULL;
    run->scenario = ms_scenario_parse_file(path, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run->scenario);
    run->world = ms_world_new(run->scenario, run->scenario->seed, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run->world);
    ms_report_options_init(&run->report);
    run->report.scenario_name = run->scenario->name;
    run->report.scenario_name_zh = run->scenario->name_zh;
    return ms_world_run(run->world, MS_TIME_NEVER, &error);
}

/* A paged diagram's index names each page's file, its arrows (together
 * all of them, in order) and the simulated time it covers. */
static void page_index_lists_every_page(void)
{
    g_auto(ShippedRun) run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_shipped("scenarios/smtp-basic.mss", &run));
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.view = MS_DIAGRAM_VIEW_FULL;

    /* One page: no index. */
    g_autoptr(MsDiagram) one = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_pages(one), 1);
    CU_ASSERT_PTR_NULL(ms_diagram_page_index(one));

    o.page_arrows = 10;
    o.formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_TXT) | MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_PNG);
    g_autoptr(MsDiagram) d = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
    guint n = ms_diagram_n_pages(d);
    CU_ASSERT_TRUE_FATAL(n >= 3);
    g_autofree char *index = ms_diagram_page_index(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(index);
    g_auto(GStrv) lines = g_strsplit(index, "\n", -1);
    /* A heading, a line a page, and the final newline's empty string. */
    CU_ASSERT_EQUAL_FATAL(g_strv_length(lines), n + 2);
    g_autofree char *heading = g_strdup_printf("the diagram has %u pages of at most 10 arrows", n);
    CU_ASSERT_TRUE(g_str_has_prefix(lines[0], heading));
    guint next = 1;
    for (guint p = 0; p < n; p++) {
        const MsDiagramPage *pg = ms_diagram_page(d, p);
        g_autofree char *file = g_strdup_printf("  sequence-%u.png ", p + 1);
        CU_ASSERT_TRUE(g_str_has_prefix(lines[p + 1], file));
        guint first = 0, last = 0;
        const char *arrows = strstr(lines[p + 1], "arrows ");
        CU_ASSERT_TRUE_FATAL(arrows != NULL &&
                             sscanf(arrows, "arrows %u-%u", &first, &last) == 2);
        CU_ASSERT_EQUAL(first, next);
        CU_ASSERT_EQUAL(last, pg->first_arrow + pg->n_arrows);
        next = last + 1;
        /* Its times are its first and last arrows' send times. */
        MsTime from_ms = pg->from / MS_MSEC;
        g_autofree char *from = g_strdup_printf("  %" G_GINT64_FORMAT ".%03" G_GINT64_FORMAT " s - ",
                                                from_ms / 1000, from_ms % 1000);
        CU_ASSERT_PTR_NOT_NULL(strstr(lines[p + 1], from));
    }
    CU_ASSERT_EQUAL(next, ms_diagram_n_arrows(d) + 1);

    /* Pages are files only in the Graphviz formats. */
    o.formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_TXT);
    g_autoptr(MsDiagram) text = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
    CU_ASSERT_TRUE(ms_diagram_n_pages(text) > 1);
    CU_ASSERT_PTR_NULL(ms_diagram_page_index(text));
}

/* --max-pages keeps the first pages only, in the model itself: their
 * arrows and notes are those of the same pages drawn without a limit, and
 * what follows is counted, by the same cut, but not drawn. */
static void max_pages_keeps_the_first_pages(void)
{
    g_auto(ShippedRun) run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_shipped("scenarios/smtp-basic.mss", &run));
    const MsTrace *t = ms_world_trace(run.world);
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.view = MS_DIAGRAM_VIEW_FULL;
    o.page_arrows = 10;
    o.formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_SVG);
    g_autoptr(MsDiagram) all = ms_diagram_new(t, &run.report, &o);
    guint n = ms_diagram_n_pages(all);
    CU_ASSERT_TRUE_FATAL(n >= 4);
    CU_ASSERT_EQUAL(ms_diagram_undrawn(all)->pages, 0);

    o.max_pages = 2;
    g_autoptr(MsDiagram) cut = ms_diagram_new(t, &run.report, &o);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_pages(cut), 2);
    const MsDiagramPage *third = ms_diagram_page(all, 2);
    guint kept = third->first_arrow;
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(cut), kept);
    for (guint i = 0; i < kept; i++) {
        CU_ASSERT_PTR_EQUAL(ms_diagram_arrow(cut, i)->record, ms_diagram_arrow(all, i)->record);
        CU_ASSERT_EQUAL(ms_diagram_arrow(cut, i)->page, ms_diagram_arrow(all, i)->page);
    }
    for (guint i = 0; i < ms_diagram_n_notes(cut); i++)
        CU_ASSERT_TRUE(ms_diagram_note(cut, i)->time < third->from);
    const MsDiagramUndrawn *u = ms_diagram_undrawn(cut);
    CU_ASSERT_EQUAL(u->pages, n - 2);
    CU_ASSERT_EQUAL(u->first_arrow, kept);
    CU_ASSERT_EQUAL(u->n_arrows, ms_diagram_n_arrows(all) - kept);
    CU_ASSERT_EQUAL(u->from, third->from);
    CU_ASSERT_EQUAL(u->to, ms_diagram_page(all, n - 1)->to);
    /* The pages keep the run's numbers. */
    g_autofree char *name = ms_diagram_file_name(cut, 1, MS_DIAGRAM_SVG);
    MS_ASSERT_STR(name, "sequence-2.svg");

    /* The index: a line a page drawn, then one for the rest. */
    g_autofree char *index = ms_diagram_page_index(cut);
    CU_ASSERT_PTR_NOT_NULL_FATAL(index);
    g_auto(GStrv) lines = g_strsplit(index, "\n", -1);
    CU_ASSERT_EQUAL_FATAL(g_strv_length(lines), 2 + 2 + 1);
    g_autofree char *heading = g_strdup_printf("the diagram has %u pages", n);
    CU_ASSERT_TRUE(g_str_has_prefix(lines[0], heading));
    CU_ASSERT_TRUE(g_str_has_prefix(lines[2], "  sequence-2.svg "));
    g_autofree char *rest = g_strdup_printf("  pages 3-%u (arrows %u-%u, ", n, kept + 1,
                                            ms_diagram_n_arrows(all));
    CU_ASSERT_TRUE(g_str_has_prefix(lines[3], rest));
    CU_ASSERT_PTR_NOT_NULL(strstr(lines[3], ") not drawn: --max-pages 0 draws them all"));

    /* The text formats end where the pictures do, and say so. */
    g_autofree char *txt = ms_diagram_export(cut, MS_DIAGRAM_TXT);
    g_autofree char *txt_all = ms_diagram_export(all, MS_DIAGRAM_TXT);
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "Only the first 2 pages are drawn"));
    CU_ASSERT_PTR_NULL(strstr(txt_all, "Only the first"));
    CU_ASSERT_TRUE(strlen(txt) < strlen(txt_all));
    g_autofree char *mmd = ms_diagram_export(cut, MS_DIAGRAM_MERMAID);
    CU_ASSERT_PTR_NOT_NULL(strstr(mmd, "    %% Only the first 2 pages"));

    /* A limit the run does not reach changes nothing, nor does 0. */
    for (guint limit = 0; limit <= n; limit += n) {
        o.max_pages = limit;
        g_autoptr(MsDiagram) same = ms_diagram_new(t, &run.report, &o);
        CU_ASSERT_EQUAL(ms_diagram_n_pages(same), n);
        CU_ASSERT_EQUAL(ms_diagram_n_arrows(same), ms_diagram_n_arrows(all));
        CU_ASSERT_EQUAL(ms_diagram_n_notes(same), ms_diagram_n_notes(all));
        CU_ASSERT_EQUAL(ms_diagram_undrawn(same)->pages, 0);
    }

    /* Slides are cut further as they are laid out: still at most N. */
    MsDiagramOptions s;
    ms_diagram_options_init(&s);
    s.slide = TRUE;
    g_autoptr(MsDiagram) slides = ms_diagram_new(t, &run.report, &s);
    guint ns = ms_diagram_n_pages(slides);
    CU_ASSERT_TRUE_FATAL(ns >= 3);
    s.max_pages = 2;
    g_autoptr(MsDiagram) two = ms_diagram_new(t, &run.report, &s);
    CU_ASSERT_EQUAL(ms_diagram_n_pages(two), 2);
    CU_ASSERT_EQUAL(ms_diagram_undrawn(two)->pages, ns - 2);
    CU_ASSERT_EQUAL(ms_diagram_n_arrows(two) + ms_diagram_undrawn(two)->n_arrows,
                    ms_diagram_n_arrows(slides));
}

/* Runs ./mailsim with argv, replacing *out and *err with what it printed;
 * TRUE when it exited with 0. */
static gboolean spawn_mailsim(const char *const *argv, char **out, char **err)
{
    g_clear_pointer(out, g_free);
    g_clear_pointer(err, g_free);
    gint status = 0;
    CU_ASSERT_TRUE_FATAL(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                      out, err, &status, NULL));
    return g_spawn_check_wait_status(status, NULL);
}

/* `mailsim run` pages a long run by itself and prints the index. */
static void run_prints_the_page_index(void)
{
    g_autofree char *dir = temp_dir();
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    const char *argv[] = { "./mailsim", "run",         "--page-arrows", "12", "--no-html", "-o",
                           dir,         "scenarios/smtp-basic.mss", NULL };
    CU_ASSERT_TRUE(spawn_mailsim(argv, &out, &err));
    const char *heading = strstr(out, "the diagram has ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(heading);
    /* Each page listed is a file that was written. */
    guint pages = 0;
    for (const char *p = strstr(heading, "  sequence-"); p != NULL;
         p = strstr(p + 1, "  sequence-")) {
        char name[64] = "";
        CU_ASSERT_TRUE_FATAL(sscanf(p, " %63s", name) == 1);
        g_autofree char *path = g_build_filename(dir, name, NULL);
        CU_ASSERT_TRUE(g_file_test(path, G_FILE_TEST_IS_REGULAR));
        pages++;
    }
    CU_ASSERT_TRUE(pages >= 3);
    g_autofree char *pages_line = g_strdup_printf("the diagram has %u pages", pages);
    CU_ASSERT_TRUE(g_str_has_prefix(heading, pages_line));
    remove_dir(dir);

    /* A lecture-sized run stays on one page and prints no index. */
    g_autofree char *dir2 = temp_dir();
    const char *plain[] = { "./mailsim", "run", "--no-html", "-o", dir2,
                            "scenarios/smtp-basic.mss", NULL };
    CU_ASSERT_TRUE(spawn_mailsim(plain, &out, &err));
    CU_ASSERT_PTR_NULL(strstr(out, "the diagram has"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "sequence.svg"));
    remove_dir(dir2);

    /* --max-pages: the pages after it are not written, and the index's
     * last line says so. */
    g_autofree char *dir3 = temp_dir();
    const char *cut[] = { "./mailsim", "run", "--page-arrows", "12", "--max-pages", "1",
                          "--no-html", "-o", dir3, "scenarios/smtp-basic.mss", NULL };
    CU_ASSERT_TRUE(spawn_mailsim(cut, &out, &err));
    g_autofree char *first = g_build_filename(dir3, "sequence-1.svg", NULL);
    g_autofree char *second = g_build_filename(dir3, "sequence-2.svg", NULL);
    CU_ASSERT_TRUE(g_file_test(first, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT_FALSE(g_file_test(second, G_FILE_TEST_EXISTS));
    g_autofree char *rest = g_strdup_printf("  pages 2-%u (arrows 13-", pages);
    const char *line = strstr(out, rest);
    CU_ASSERT_PTR_NOT_NULL_FATAL(line);
    CU_ASSERT_TRUE(g_str_has_suffix(out, "not drawn: --max-pages 0 draws them all, "
                                         "--from/--until a window\n"));
    remove_dir(dir3);

    /* A wrong limit is a usage error that names the option. */
    const char *bad[] = { "./mailsim", "run", "--max-pages", "-2", "--no-html", "-o", "/nonexistent",
                          "scenarios/smtp-basic.mss", NULL };
    CU_ASSERT_FALSE(spawn_mailsim(bad, &out, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-pages"));
}

/* Every shipped scenario, compact at the slide preset: each page a 16:9
 * PNG of exactly 1920x1080, none shrunk much below the slide's type. */
static void shipped_slides_fit_1920x1080(void)
{
    g_autoptr(GPtrArray) paths = ms_test_shipped_scenarios();
    CU_ASSERT_TRUE(paths->len >= 20);
    g_autofree char *out = temp_dir();
    for (guint i = 0; i < paths->len; i++) {
        const char *path = paths->pdata[i];
        g_autofree char *name = g_path_get_basename(path);
        g_autoptr(GError) error = NULL;
        g_auto(ShippedRun) run = { 0 };
        CU_ASSERT_TRUE(run_shipped(path, &run));
        MsDiagramOptions o;
        ms_diagram_options_init(&o);
        o.slide = TRUE;
        o.formats = MS_DIAGRAM_FORMAT_BIT(MS_DIAGRAM_PNG);
        o.basename = name;
        g_autoptr(MsDiagram) d = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
        CU_ASSERT_EQUAL(ms_diagram_view(d), MS_DIAGRAM_VIEW_COMPACT);
        for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
            const MsDiagramPage *pg = ms_diagram_page(d, p);
            CU_ASSERT_TRUE(ms_diagram_n_pages(d) == 1 || pg->n_arrows <= MS_DIAGRAM_SLIDE_ARROWS);
            /* What the page is scaled by to fill the slide. */
            double box_w = MAX(pg->width, pg->height * 16.0 / 9.0);
            double zoom = 1440.0 / box_w;
            if (zoom < 0.7)
                fprintf(stderr, "%s page %u: shrunk to %.2f\n", path, p + 1, zoom);
            CU_ASSERT_TRUE(zoom >= 0.7);
        }
        g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
        CU_ASSERT_TRUE_FATAL(ms_diagram_write(ms_world_trace(run.world), &run.report, &o, out,
                                              written, NULL, &error));
        CU_ASSERT_EQUAL(written->len, ms_diagram_n_pages(d));
        for (guint k = 0; k < written->len; k++) {
            guint32 w = 0, h = 0;
            CU_ASSERT_TRUE_FATAL(png_size(written->pdata[k], &w, &h));
            /* 16:9, filled to the pixel. */
            if (w != 1920 || h != 1080)
                fprintf(stderr, "%s: %ux%u\n", (char *) written->pdata[k], w, h);
            CU_ASSERT_TRUE(w == 1920 && h == 1080);
        }
    }
    remove_dir(out);
}

/* The diagram of a shipped scenario at the slide preset (compact). */
static MsDiagram *slides_of(const char *path, ShippedRun *run)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.slide = TRUE;
    CU_ASSERT_TRUE_FATAL(run_shipped(path, run));
    return ms_diagram_new(ms_world_trace(run->world), &run->report, &o);
}

/* The latest moment anything on page p is drawn at (a send or an arrival). */
static MsTime page_quiet_from(const MsDiagram *d, guint p)
{
    const MsDiagramPage *pg = ms_diagram_page(d, p);
    MsTime last = G_MININT64;
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        last = MAX(last, MAX(a->send, a->arrival));
    }
    return last;
}

/* The textbook's three steps are three slides: submission, relay and
 * retrieval, each a connection of its own from its first arrow; and on
 * every shipped scenario's slides no page splits lines sent together, and
 * a note between two pages goes with the nearer (the agent checking its
 * mailbox opens the retrieval's slide). */
static void slides_follow_the_sessions(void)
{
    g_auto(ShippedRun) basic = { 0 };
    g_autoptr(MsDiagram) d = slides_of("scenarios/smtp-basic.mss", &basic);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_pages(d), 3);
    for (guint p = 0; p < 3; p++) {
        const MsDiagramPage *pg = ms_diagram_page(d, p);
        guint conn = ms_diagram_arrow(d, pg->first_arrow)->record->conn;
        for (guint i = 0; i < pg->first_arrow; i++)
            CU_ASSERT_NOT_EQUAL(ms_diagram_arrow(d, i)->record->conn, conn);
        for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++)
            CU_ASSERT_EQUAL(ms_diagram_arrow(d, i)->record->conn, conn);
    }
    const MsDiagramPage *retrieval = ms_diagram_page(d, 2);
    gboolean checks = FALSE;
    for (guint n = retrieval->first_note; n < retrieval->first_note + retrieval->n_notes; n++)
        checks |= strstr(ms_diagram_note(d, n)->tooltip, "POP3") != NULL;
    CU_ASSERT_TRUE(checks);

    g_autoptr(GPtrArray) paths = ms_test_shipped_scenarios();
    for (guint k = 0; k < paths->len; k++) {
        g_auto(ShippedRun) run = { 0 };
        g_autoptr(MsDiagram) s = slides_of(paths->pdata[k], &run);
        for (guint p = 1; p < ms_diagram_n_pages(s); p++) {
            const MsDiagramPage *pg = ms_diagram_page(s, p);
            if (pg->n_arrows == 0)
                continue;
            guint i = pg->first_arrow;
            if (ms_diagram_arrow(s, i)->group == ms_diagram_arrow(s, i - 1)->group)
                fprintf(stderr, "%s: page %u splits a group\n", (char *) paths->pdata[k], p + 1);
            CU_ASSERT_NOT_EQUAL(ms_diagram_arrow(s, i)->group, ms_diagram_arrow(s, i - 1)->group);
            /* The notes between the pages, each with the nearer. */
            MsTime quiet = page_quiet_from(s, p - 1);
            for (guint n = 0; n < ms_diagram_n_notes(s); n++) {
                const MsDiagramNote *note = ms_diagram_note(s, n);
                if (note->time <= quiet || note->time >= pg->from)
                    continue;
                gboolean nearer_next = note->time - quiet > pg->from - note->time;
                CU_ASSERT_EQUAL(note->page, nearer_next ? p : p - 1);
            }
        }
    }
}

/* No deck ends on a scrap: a last slide of one or two arrows, left over
 * when the page before was too tall (smtp-basic's ended on its 221). */
static void slides_never_end_on_a_scrap(void)
{
    g_autoptr(GPtrArray) paths = ms_test_shipped_scenarios();
    CU_ASSERT_TRUE(paths->len >= 20);
    for (guint k = 0; k < paths->len; k++) {
        g_auto(ShippedRun) run = { 0 };
        g_autoptr(MsDiagram) d = slides_of(paths->pdata[k], &run);
        guint n = ms_diagram_n_pages(d);
        if (n < 2)
            continue;
        const MsDiagramPage *last = ms_diagram_page(d, n - 1);
        if (last->n_arrows < 3)
            fprintf(stderr, "%s: last slide of %u arrows\n", (char *) paths->pdata[k],
                    last->n_arrows);
        CU_ASSERT_TRUE(last->n_arrows >= 3);
    }
}

/* The tick of an arrow's send time is labelled rather than that of a note
 * just before it: the label says when the arrow left. */
static void ticks_label_the_arrows(void)
{
    g_autoptr(MsTrace) t = story();
    g_autoptr(MsDiagram) d = diagram_of(t);
    const MsDiagramPage *pg = ms_diagram_page(d, 0);
    const MsDiagramTick *note = ms_diagram_tick(d, pg->first_tick);
    const MsDiagramTick *send = ms_diagram_tick(d, pg->first_tick + 1);
    CU_ASSERT_EQUAL(note->time, 0);
    CU_ASSERT_EQUAL(send->time, MS(2));
    CU_ASSERT_TRUE(send->y - note->y < 12.0);
    CU_ASSERT_PTR_NULL(note->label);
    CU_ASSERT_PTR_NOT_NULL(send->label);
    CU_ASSERT_DOUBLE_EQUAL(send->y, ms_diagram_arrow(d, 0)->y1, 1e-9);
}

/* The diagram of a shipped or generated scenario, laid out as `run` does
 * (the diagram must go before run is cleared). */
static MsDiagram *diagram_of_scenario(const char *path, const MsDiagramOptions *o,
                                      ShippedRun *run)
{
    CU_ASSERT_TRUE_FATAL(run_shipped(path, run));
    return ms_diagram_new(ms_world_trace(run->world), &run->report, o);
}

/* The views the layout checks draw every shipped scenario in. */
static const struct {
    const char *name;
    MsDiagramView view;
    gboolean slide;
} shipped_views[] = { { "compact", MS_DIAGRAM_VIEW_COMPACT, FALSE },
                      { "full", MS_DIAGRAM_VIEW_FULL, FALSE },
                      { "slide", MS_DIAGRAM_VIEW_AUTO, TRUE } };
/* shipped_views' slides. */
#define SLIDE_VIEW 2u

/* The diagram of scenario `path` in shipped_views[v] (run: freed after
 * the diagram). */
static MsDiagram *diagram_of_view(const char *path, guint v, ShippedRun *run)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.view = shipped_views[v].view;
    o.slide = shipped_views[v].slide;
    return diagram_of_scenario(path, &o, run);
}

/* An arrow that leaves at the instant of a note on its sender's lifeline
 * is drawn below the note; a tick with its time is on the arrow all the
 * same ("250 queued" under "into bob's mailbox", "QUIT" under "leaves the
 * queue"), on every slide of every shipped scenario: labelled, or a mark
 * joined to the tick above that says the same time. */
static void ticks_on_arrows_below_notes(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint below = 0, missing = 0;
    for (guint i = 0; i < names->len; i++) {
        g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
        g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], SLIDE_VIEW, &run);
        for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
            const MsDiagramPage *pg = ms_diagram_page(d, p);
            for (guint k = pg->first_arrow; k < pg->first_arrow + pg->n_arrows; k++) {
                const MsDiagramArrow *a = ms_diagram_arrow(d, k);
                gboolean after_note = FALSE;
                for (guint n = pg->first_note; n < pg->first_note + pg->n_notes; n++) {
                    const MsDiagramNote *note = ms_diagram_note(d, n);
                    after_note |= note->time == a->send && note->lifeline == a->from &&
                                  note->y < a->y1;
                }
                if (!after_note)
                    continue;
                below++;
                /* Its tick, labelled unless a label just above crowds it
                 * (another session's arrow of the same moment). */
                gboolean ticked = FALSE, crowded = FALSE;
                for (guint t = pg->first_tick; t < pg->first_tick + pg->n_ticks; t++) {
                    const MsDiagramTick *tick = ms_diagram_tick(d, t);
                    /* Its row may be shared with instants just before it. */
                    gboolean its_row = tick->time <= a->send &&
                                       a->send - tick->time <= ms_dg_same_row(d);
                    ticked |= its_row && fabs(tick->y - a->y1) < 0.5 &&
                              (tick->label != NULL || tick->again);
                    crowded |= tick->label != NULL && tick->y <= a->y1 &&
                               a->y1 - tick->y < MS_DG_T(d, 12.0);
                    ticked |= its_row && fabs(tick->y - a->y1) < 0.5 && crowded;
                }
                if (!ticked && missing++ < 3)
                    fprintf(stderr, "\n  %s page %u: \"%s\" has no tick", (char *) names->pdata[i],
                            p + 1, a->label);
            }
        }
    }
    CU_ASSERT_TRUE(below >= 10);
    CU_ASSERT_EQUAL(missing, 0);
}

/* A slide's labels end a row at a space or before '<', never inside an
 * address or between "MAIL" and "FROM:" (smtp-8bit's seven lifelines once
 * gave "MAIL FROM:<alice@cr" / "epes.fr>"); only a piece wider than a row
 * is broken inside, on a row of its own. */
static void slide_wrap_keeps_words_whole(void)
{
    static const struct {
        const char *text;
        guint width;
        const char *rows;
    } cases[] = {
        { "MAIL FROM:<alice@crepes.fr> SIZE=164", 20, "MAIL FROM:\n<alice@crepes.fr>\nSIZE=164" },
        { "RCPT TO:<bob@hamburger.edu>", 21, "RCPT TO:\n<bob@hamburger.edu>" },
        { "RCPT TO:<bob@hamburger.edu>", 30, "RCPT TO:<bob@hamburger.edu>" },
        { "MAIL FROM:<a@b>", 6, "MAIL\nFROM:\n<a@b>" },
        { "+OK bob is a real hoopy frood", 18, "+OK bob is a real\nhoopy frood" },
        { "abcdefghijklmnop qr", 6, "abcdef\nghijkl\nmnop\nqr" },
        { "250-crepes.fr\xef\xbc\x88\xe5\x8f\xa6 4 \xe8\xa1\x8c\xef\xbc\x89", 18,
          "250-crepes.fr\xef\xbc\x88\xe5\x8f\xa6\n4 \xe8\xa1\x8c\xef\xbc\x89" },
        { "two\nrows", 10, "two\nrows" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint rows = 0;
        g_autofree char *got = ms_dg_wrap_words(cases[i].text, cases[i].width, 8, &rows);
        if (strcmp(got, cases[i].rows) != 0)
            fprintf(stderr, "\n  \"%s\" at %u: \"%s\"", cases[i].text, cases[i].width, got);
        CU_ASSERT_STRING_EQUAL(got, cases[i].rows);
        guint breaks = 0;
        for (const char *c = got; *c != '\0'; c++)
            breaks += *c == '\n';
        CU_ASSERT_EQUAL(rows, breaks + 1);
    }
    /* Every slide of the shipped scenarios: an address no wider than the
     * label's widest row is on one row, and no row ends in MAIL or RCPT. */
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint addresses = 0, broken = 0;
    for (guint i = 0; i < names->len; i++) {
        g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
        g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], SLIDE_VIEW, &run);
        for (guint k = 0; k < ms_diagram_n_arrows(d); k++) {
            const MsDiagramArrow *a = ms_diagram_arrow(d, k);
            if (a->label == NULL || a->text == NULL)
                continue;
            g_auto(GStrv) rows = g_strsplit(a->label, "\n", -1);
            glong widest = 0;
            for (guint r = 0; rows[r] != NULL; r++) {
                widest = MAX(widest, g_utf8_strlen(rows[r], -1));
                if (rows[r + 1] != NULL &&
                    (g_str_has_suffix(rows[r], "MAIL") || g_str_has_suffix(rows[r], "RCPT"))) {
                    broken++;
                    fprintf(stderr, "\n  %s: \"%s\"", (char *) names->pdata[i], a->label);
                }
            }
            for (const char *p = strchr(a->text, '<'); p != NULL; p = strchr(p + 1, '<')) {
                const char *end = strchr(p, '>');
                if (end == NULL || end - p + 1 > widest || memchr(p, ' ', (gsize) (end - p)))
                    continue;
                g_autofree char *address = g_strndup(p, (gsize) (end - p + 1));
                if (g_str_has_suffix(a->label, "\u2026"))
                    continue;
                addresses++;
                if (strstr(a->label, address) == NULL && broken++ < 5)
                    fprintf(stderr, "\n  %s: \"%s\"", (char *) names->pdata[i], a->label);
            }
        }
    }
    CU_ASSERT_TRUE(addresses >= 50);
    CU_ASSERT_EQUAL(broken, 0);
}

/* An arrow starts at the row of its send time: the time printed nearest
 * above where it leaves (or on a mark joined to it) is its own, in every
 * compact view and on every slide of every shipped scenario.  A label of two rows once pulled the
 * arrival down and left the send on a row too close to the note above to
 * be labelled ("+OK POP3 server ready", sent at 5006.096, read off the
 * 5000.000 tick of "bob's agent checks the mailbox"). */
static void arrows_leave_at_their_own_time(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint checked = 0, wrong = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
            /* The full view stacks a message body's lines a row apart,
             * below the instants that follow (docs/diagrams.md). */
            if (shipped_views[v].view == MS_DIAGRAM_VIEW_FULL)
                continue;
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
                const MsDiagramPage *pg = ms_diagram_page(d, p);
                for (guint k = pg->first_arrow; k < pg->first_arrow + pg->n_arrows; k++) {
                    const MsDiagramArrow *a = ms_diagram_arrow(d, k);
                    /* Of lines sent together, the first (the full view
                     * stacks the rest a row apart below it). */
                    if (k > pg->first_arrow && ms_diagram_arrow(d, k - 1)->group == a->group)
                        continue;
                    /* Not yet: failed attempts that leave a server at the
                     * instant it answers on its other side are stacked
                     * below the next instant (smtp-service-down, the two
                     * SYNs with "221 2.0.0 Bye" at 1035.376). */
                    if (a->kind == MS_DIAGRAM_ARROW_ATTEMPT)
                        continue;
                    MsTime read = -1;
                    double best = -G_MAXDOUBLE;
                    for (guint t = pg->first_tick; t < pg->first_tick + pg->n_ticks; t++) {
                        const MsDiagramTick *tick = ms_diagram_tick(d, t);
                        if (tick->y > a->y1 + 0.5)
                            continue;
                        gboolean says = tick->label != NULL ||
                                        (tick->again && fabs(tick->y - a->y1) < 0.5);
                        if (says && tick->y >= best) {
                            best = tick->y;
                            read = tick->time;
                        }
                    }
                    checked++;
                    /* Instants closer than the axis shows share a row,
                     * which prints the first one's time. */
                    if ((read > a->send || a->send - read > ms_dg_same_row(d)) && wrong++ < 40)
                        fprintf(stderr, "\n  %s %s page %u: \"%s\" sent at %.3f reads %.3f",
                                (char *) names->pdata[i], shipped_views[v].name, p + 1,
                                a->label, (double) a->send / MS_MSEC, (double) read / MS_MSEC);
                }
            }
        }
    }
    CU_ASSERT_TRUE(checked > 1000);
    CU_ASSERT_EQUAL(wrong, 0);
}

/* Bob's and Carol's sessions in pop3-two-clients, on either side of
 * hamburger.edu, send microseconds apart (5010.241 and 5010.243): on a
 * slide, closer than the axis shows, they share a row, and the server's
 * two answers leave it from one point instead of a row or two apart. */
static void simultaneous_sends_share_a_row(void)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.slide = TRUE;
    g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
    g_autoptr(MsDiagram) d = diagram_of_scenario(MS_SCENARIODIR "/pop3-two-clients.mss", &o, &run);
    CU_ASSERT_TRUE(ms_dg_same_row(d) > 0 && ms_dg_same_row(d) <= MS_MSEC / 10);
    guint pairs = 0, apart = 0;
    for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
        const MsDiagramPage *pg = ms_diagram_page(d, p);
        for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
            const MsDiagramArrow *a = ms_diagram_arrow(d, i);
            for (guint k = i + 1; k < pg->first_arrow + pg->n_arrows; k++) {
                const MsDiagramArrow *b = ms_diagram_arrow(d, k);
                if (b->from != a->from || b->send == a->send ||
                    (b->x2 > b->x1) == (a->x2 > a->x1) ||
                    MAX(a->send, b->send) - MIN(a->send, b->send) > ms_dg_same_row(d))
                    continue;
                pairs++;
                if (fabs(a->y1 - b->y1) > 0.5 && apart++ < 3)
                    fprintf(stderr, "\n  \"%s\" at %.1f, \"%s\" at %.1f", a->label, a->y1,
                            b->label, b->y1);
            }
        }
    }
    /* One pair stays apart: the two four-row "signing off" answers, where
     * the placer lowers one to keep its label clear. */
    if (g_getenv("MS_TEST_VERBOSE") != NULL)
        fprintf(stderr, "\n  %u of %u pairs apart", apart, pairs);
    CU_ASSERT_TRUE(pairs >= 5);
    CU_ASSERT_TRUE(apart <= 1);
}

/* No time is printed twice on a page's axis, in any view of any shipped
 * scenario (an instant whose arrow leaves below a note, ticked again
 * there, printed "391.312" twice, one above the other); each tick that
 * repeats an instant follows a labelled tick of it, and where the axis
 * joins the two no other time is printed between them. */
static void ticks_print_each_time_once(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint again = 0, joined = 0, twice = 0, orphan = 0, back = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
                const MsDiagramPage *pg = ms_diagram_page(d, p);
                g_autoptr(GHashTable) said = g_hash_table_new(g_str_hash, g_str_equal);
                const MsDiagramTick *labelled = NULL;
                for (guint k = pg->first_tick; k < pg->first_tick + pg->n_ticks; k++) {
                    const MsDiagramTick *t = ms_diagram_tick(d, k);
                    double top = ms_diagram_tick_joined_y(d, k);
                    joined += top >= 0;
                    for (guint u = pg->first_tick; top >= 0 && u < pg->first_tick + pg->n_ticks;
                         u++) {
                        const MsDiagramTick *between = ms_diagram_tick(d, u);
                        if (between->label != NULL && between->time != t->time &&
                            between->y > top && between->y < t->y && back++ < 3)
                            fprintf(stderr, "\n  %s --%s page %u: %s printed inside a bracket",
                                    (char *) names->pdata[i], shipped_views[v].name, p + 1,
                                    between->label);
                    }
                    if (t->again) {
                        again++;
                        CU_ASSERT_PTR_NULL(t->label);
                        if ((labelled == NULL || labelled->time != t->time) && orphan++ < 3)
                            fprintf(stderr, "\n  %s --%s page %u: a mark at %.1f without its time",
                                    (char *) names->pdata[i], shipped_views[v].name, p + 1, t->y);
                    }
                    if (t->label == NULL)
                        continue;
                    labelled = t;
                    if (!g_hash_table_add(said, (gpointer) t->label) && twice++ < 3)
                        fprintf(stderr, "\n  %s --%s page %u: %s printed twice",
                                (char *) names->pdata[i], shipped_views[v].name, p + 1, t->label);
                }
            }
        }
    }
    CU_ASSERT_TRUE(again >= 10);
    CU_ASSERT_TRUE(joined * 2 >= again);
    CU_ASSERT_EQUAL(twice, 0);
    CU_ASSERT_EQUAL(orphan, 0);
    CU_ASSERT_EQUAL(back, 0);
}

/* ---- Colours that survive greyscale printing ------------------------------- */

/* The 7 characters after the first `attr="` at or after from, or NULL
 * (transfer full). */
static char *attr_after(const char *from, const char *attr)
{
    g_autofree char *open = g_strdup_printf("%s=\"", attr);
    const char *p = from != NULL ? strstr(from, open) : NULL;
    return p != NULL ? g_strndup(p + strlen(open), 7) : NULL;
}

/* The distinct "#rrggbb" values following each occurrence of key in text,
 * in order of first appearance. */
static GPtrArray *colours_after(const char *text, const char *key)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (const char *p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
        g_autofree char *c = g_ascii_strdown(p + strlen(key), 7);
        if (!g_ptr_array_find_with_equal_func(out, c, g_str_equal, NULL))
            g_ptr_array_add(out, g_steal_pointer(&c));
    }
    return out;
}

/* Push and pull must differ in grey, not only in hue.  The colours are
 * read from what the outputs say: each arrow's stroke in sequence.svg
 * (by its id, knowing its flow from the model), the arrows and legend of
 * the PlantUML source and the arrows of the mscgen one, which must all
 * agree; push against pull must then be at least 3:1 in luminance. */
static void push_and_pull_differ_in_grey(void)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
    g_autoptr(MsDiagram) d = diagram_of_scenario("scenarios/pop3-two-clients.mss", &o, &run);
    g_autofree char *dir = temp_dir();
    gsize len = 0;
    g_autofree char *svg = render_bytes(d, 0, MS_DIAGRAM_SVG, dir, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    char *seen[MS_DIAGRAM_N_FLOWS] = { NULL };
    guint n[MS_DIAGRAM_N_FLOWS] = { 0 };
    const MsDiagramPage *pg = ms_diagram_page(d, 0);
    for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
        MsDiagramFlow f = ms_diagram_arrow(d, i)->flow;
        g_autofree char *id = g_strdup_printf("<g id=\"a%u\" class=\"edge\"", i);
        g_autofree char *stroke = attr_after(strstr(svg, id), "stroke");
        CU_ASSERT_PTR_NOT_NULL_FATAL(stroke);
        if (seen[f] == NULL)
            seen[f] = g_strdup(stroke);
        MS_ASSERT_STR(stroke, seen[f]); /* one colour a flow */
        n[f]++;
    }
    CU_ASSERT_TRUE_FATAL(n[MS_DIAGRAM_FLOW_PUSH] > 0 && n[MS_DIAGRAM_FLOW_PULL] > 0);
    double push = ms_test_luminance(seen[MS_DIAGRAM_FLOW_PUSH]);
    double pull = ms_test_luminance(seen[MS_DIAGRAM_FLOW_PULL]);
    CU_ASSERT_TRUE(push >= 0.0 && pull >= 0.0);
    if (ms_test_luminance_ratio(push, pull) < 3.0)
        fprintf(stderr, "\n  push %s (%.3f), pull %s (%.3f): %.2f:1\n", seen[MS_DIAGRAM_FLOW_PUSH],
                push, seen[MS_DIAGRAM_FLOW_PULL], pull, ms_test_luminance_ratio(push, pull));
    CU_ASSERT_TRUE(ms_test_luminance_ratio(push, pull) >= 3.0);
    /* Push is the darker: its lines and labels must also read on white. */
    CU_ASSERT_TRUE(push < pull);
    CU_ASSERT_TRUE(ms_test_luminance_ratio(push, 1.0) >= 4.5);

    /* The text sources draw with the same colours. */
    g_autofree char *puml = ms_diagram_export(d, MS_DIAGRAM_PLANTUML);
    g_autoptr(GPtrArray) puml_arrows = colours_after(puml, " -[");
    g_autoptr(GPtrArray) legend = colours_after(puml, "<color:");
    g_autofree char *msc = ms_diagram_export(d, MS_DIAGRAM_MSC);
    g_autoptr(GPtrArray) msc_arrows = colours_after(msc, "linecolour=\"");
    GPtrArray *lists[] = { puml_arrows, msc_arrows, legend };
    for (gsize k = 0; k < G_N_ELEMENTS(lists); k++) {
        CU_ASSERT_EQUAL(lists[k]->len, 2);
        for (guint j = 0; j < lists[k]->len; j++) {
            const char *c = g_ptr_array_index(lists[k], j);
            CU_ASSERT_TRUE(strcmp(c, seen[MS_DIAGRAM_FLOW_PUSH]) == 0 ||
                           strcmp(c, seen[MS_DIAGRAM_FLOW_PULL]) == 0);
        }
    }
    MS_ASSERT_STR(g_ptr_array_index(legend, 0), seen[MS_DIAGRAM_FLOW_PUSH]);
    for (gsize f = 0; f < MS_DIAGRAM_N_FLOWS; f++)
        g_free(seen[f]);
    remove_dir(dir);
}

/* Forty messages among four users, sessions overlapping all the time: a
 * label that had to clear another session's label or a note pushed its
 * arrival twice as far as the obstacle, and those pushes compounded until
 * pages were 1e22 points tall (an SVG height of -2147483648pt).  The
 * height of a page grows with its arrows, by a bounded amount each. */
static void page_height_grows_with_arrows(void)
{
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
    g_autoptr(MsDiagram) d = diagram_of_scenario("tests/data/report/campus-40.mss", &o, &run);
    CU_ASSERT_TRUE(ms_diagram_n_arrows(d) > 500);
    for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
        const MsDiagramPage *pg = ms_diagram_page(d, p);
        CU_ASSERT_TRUE(isfinite(pg->height));
        CU_ASSERT_TRUE(pg->height > 0);
        /* At most a few rows an arrow: a note and two rows of text beside
         * each, with room to spare; far from compounding. */
        double per_arrow = (pg->height - pg->lifeline_top) / MAX(1u, pg->n_arrows);
        if (per_arrow > 60.0)
            fprintf(stderr, "\n  page %u: %u arrows, %.0f pt\n", p + 1, pg->n_arrows,
                    pg->height);
        CU_ASSERT_TRUE(per_arrow <= 60.0);
        /* Every arrow end and label on the page lies within it; a label
         * between its arrow's ends, or resting on or hanging from it (no
         * further than its own height). */
        for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
            const MsDiagramArrow *a = ms_diagram_arrow(d, i);
            double reach = MS_DG_T(d, MS_DG_ROW) * MAX(1u, a->rows);
            CU_ASSERT_TRUE(a->y1 > 0 && a->y2 >= a->y1 && a->y2 < pg->height);
            CU_ASSERT_TRUE(a->label_y >= a->y1 - reach && a->label_y <= a->y2 + reach);
            CU_ASSERT_TRUE(a->label_x >= MIN(a->x1, a->x2) && a->label_x <= MAX(a->x1, a->x2));
        }
    }
}

/* ---- Nothing written over anything ------------------------------------ */

/* An arrow's label as the renderer draws it: a plain-text node centred at
 * (label_x, label_y), in the arrow's face and size,
 * a row per line, with Graphviz's margin of 0.02 x 0.005 inch on each side
 * and its line height of 1.2 em; white, so whatever runs through it is cut. */
typedef struct {
    double left, top, right, bottom;
} Box;

static Box label_box(const MsDiagram *d, const MsDiagramArrow *a)
{
    gboolean line = a->kind != MS_DIAGRAM_ARROW_SEGMENT;
    gboolean mono = a->kind == MS_DIAGRAM_ARROW_LINE || a->compact;
    double size = MS_DG_T(d, mono || line ? MS_DG_LINE_PT : MS_DG_SMALL_PT);
    g_auto(GStrv) rows = g_strsplit(a->label, "\n", -1);
    double w = 0;
    for (guint k = 0; rows[k] != NULL; k++)
        w = MAX(w, ms_dg_text_width(rows[k], size, mono));
    double h = (double) g_strv_length(rows) * size * 1.2;
    double cx = a->label_x;
    Box b = { cx - w / 2 - 1.44, a->label_y - h / 2 - 0.36, cx + w / 2 + 1.44,
              a->label_y + h / 2 + 0.36 };
    return b;
}

/* A note as the renderer draws it: a box centred on its lifeline from its
 * top down, as wide as its widest row and Graphviz's margins. */
static Box note_box(const MsDiagram *d, const MsDiagramNote *n)
{
    double x = ms_diagram_lifeline(d, n->lifeline)->x, w = ms_dg_note_w(d, n);
    Box b = { x - w / 2, n->y, x + w / 2, n->y + ms_dg_note_h(d, n) };
    return b;
}

/* Touching is not overlapping: boxes are shrunk by this much first. */
#define SLACK 0.5

static gboolean boxes_meet(const Box *a, const Box *b)
{
    return a->left + SLACK < b->right - SLACK && b->left + SLACK < a->right - SLACK &&
           a->top + SLACK < b->bottom - SLACK && b->top + SLACK < a->bottom - SLACK;
}

/* Whether the segment from (x1,y1) to (x2,y2) passes through the inside of
 * the box (Liang-Barsky clipping). */
static gboolean segment_meets(double x1, double y1, double x2, double y2, const Box *b)
{
    double dx = x2 - x1, dy = y2 - y1, t0 = 0, t1 = 1;
    const double p[4] = { -dx, dx, -dy, dy };
    const double q[4] = { x1 - (b->left + SLACK), (b->right - SLACK) - x1, y1 - (b->top + SLACK),
                          (b->bottom - SLACK) - y1 };
    for (int k = 0; k < 4; k++) {
        if (p[k] == 0) {
            if (q[k] <= 0)
                return FALSE;
            continue;
        }
        double r = q[k] / p[k];
        if (p[k] < 0)
            t0 = MAX(t0, r);
        else
            t1 = MIN(t1, r);
        if (t0 >= t1)
            return FALSE;
    }
    return TRUE;
}

/* The checks themselves, on hand-made boxes, so that a test that finds
 * nothing has not just a checker that cannot find anything. */
static void overlap_checks_find_overlaps(void)
{
    Box a = { 0, 0, 100, 15 }, b = { 90, 10, 200, 25 }, c = { 100, 0, 200, 15 };
    CU_ASSERT_TRUE(boxes_meet(&a, &b));
    CU_ASSERT_FALSE(boxes_meet(&a, &c)); /* side by side */
    CU_ASSERT_TRUE(segment_meets(-10, -10, 110, 30, &a));
    CU_ASSERT_TRUE(segment_meets(50, -5, 50, 20, &a)); /* straight down */
    CU_ASSERT_FALSE(segment_meets(-10, 20, 110, 40, &a)); /* below */
    CU_ASSERT_FALSE(segment_meets(-50, -40, 150, 10, &a)); /* passes the corner */
}

/* The time a connection's arrows take on the diagram, [first send, last
 * arrival], as two MsTime per connection id. */
static GArray *conn_spans(const MsDiagram *d)
{
    GArray *spans = g_array_new(FALSE, TRUE, sizeof(MsTime));
    for (guint i = 0; i < ms_diagram_n_arrows(d); i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, i);
        guint c = a->record->conn;
        if (spans->len <= 2 * c + 1) {
            guint from = spans->len;
            g_array_set_size(spans, 2 * c + 2);
            for (guint k = from; k < spans->len; k += 2) {
                g_array_index(spans, MsTime, k) = G_MAXINT64;
                g_array_index(spans, MsTime, k + 1) = G_MININT64;
            }
        }
        MsTime *s = &g_array_index(spans, MsTime, 2 * c);
        s[0] = MIN(s[0], a->send);
        s[1] = MAX(s[1], MAX(a->send, a->arrival));
    }
    return spans;
}

static gint compare_times(gconstpointer pa, gconstpointer pb)
{
    MsTime a = *(const MsTime *) pa, b = *(const MsTime *) pb;
    return a < b ? -1 : (a > b);
}

/* Two arrows of connections that run at the same time (two readers of one
 * mailbox, a relay while a user reads). */
static gboolean simultaneous(GArray *spans, const MsDiagramArrow *a, const MsDiagramArrow *b)
{
    guint ca = a->record->conn, cb = b->record->conn;
    if (ca == cb)
        return FALSE;
    const MsTime *sa = &g_array_index(spans, MsTime, 2 * ca);
    const MsTime *sb = &g_array_index(spans, MsTime, 2 * cb);
    return sa[0] < sb[1] && sb[0] < sa[1];
}

/* Whether any two connections of the diagram run at the same time. */
static gboolean any_simultaneous(GArray *spans)
{
    g_autoptr(GArray) live = g_array_new(FALSE, FALSE, sizeof(MsTime) * 2);
    for (guint c = 0; 2 * c + 1 < spans->len; c++) {
        if (g_array_index(spans, MsTime, 2 * c) <= g_array_index(spans, MsTime, 2 * c + 1))
            g_array_append_vals(live, &g_array_index(spans, MsTime, 2 * c), 1);
    }
    g_array_sort(live, compare_times);
    MsTime end = G_MININT64;
    for (guint k = 0; k < live->len; k++) {
        const MsTime *s = (const MsTime *) (void *) (live->data + (gsize) k * sizeof(MsTime) * 2);
        if (s[0] < end)
            return TRUE;
        end = MAX(end, s[1]);
    }
    return FALSE;
}

/* Counts, and prints the first few of, the labels on a page that another
 * label, another arrow or a note runs into, the labels not wholly on the
 * page, and those not beside their own arrow: a label's centre lies
 * between the times its arrow leaves and arrives (one hung below a short
 * arrow's head reads as the next arrow's); those that an arrow or a label
 * of a simultaneous session runs into are counted in *by_other too. */
static guint page_overlaps(const MsDiagram *d, guint p, const char *what, GArray *spans,
                           guint *by_other)
{
    const MsDiagramPage *pg = ms_diagram_page(d, p);
    guint n = pg->n_arrows, bad = 0;
    g_autofree Box *box = g_new(Box, n + 1);
    for (guint i = 0; i < n; i++)
        box[i] = label_box(d, ms_diagram_arrow(d, pg->first_arrow + i));
    for (guint i = 0; i < n; i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, pg->first_arrow + i);
        const char *why = NULL;
        const MsDiagramArrow *other = NULL;
        gboolean by_sim = FALSE;
        if (box[i].left < 0 || box[i].right > pg->width || box[i].top < pg->lifeline_top ||
            box[i].bottom > pg->height)
            why = "off the page";
        else if (a->label_y < MIN(a->y1, a->y2) - SLACK || a->label_y > MAX(a->y1, a->y2) + SLACK)
            why = "beyond its arrow's ends";
        for (guint k = pg->first_note; why == NULL && k < pg->first_note + pg->n_notes; k++) {
            Box nb = note_box(d, ms_diagram_note(d, k));
            if (boxes_meet(&box[i], &nb))
                why = "note over label";
        }
        for (guint j = 0; j < n; j++) {
            const MsDiagramArrow *b = ms_diagram_arrow(d, pg->first_arrow + j);
            const char *hit = NULL;
            if (j == i)
                continue;
            if (boxes_meet(&box[i], &box[j]))
                hit = "label over label";
            else if (segment_meets(b->x1, b->y1, b->x2, b->y2, &box[i]))
                hit = "arrow through label";
            if (hit == NULL)
                continue;
            if (why == NULL || (simultaneous(spans, a, b) && !by_sim)) {
                why = hit;
                other = b;
            }
            by_sim |= simultaneous(spans, a, b);
        }
        if (why == NULL)
            continue;
        *by_other += by_sim;
        if (bad++ < 3)
            fprintf(stderr, "\n  %s page %u: %s%s: \"%s\" [%u] at %.1f%s%s%s", what, p + 1, why,
                    by_sim ? " (another session)" : "", a->label, a->record->conn, a->label_y,
                    other != NULL ? ", \"" : "", other != NULL ? other->label : "",
                    other != NULL ? "\"" : "");
    }
    return bad;
}

/* Whether the label of an arrow is on it: the arrow runs through its patch
 * or touches its edge, so that a reader can tell which arrow it belongs
 * to. */
static gboolean label_on_arrow(const MsDiagram *d, const MsDiagramArrow *a)
{
    Box b = label_box(d, a);
    b.left -= 2 + SLACK;
    b.top -= 2 + SLACK;
    b.right += 2 + SLACK;
    b.bottom += 2 + SLACK;
    return a->x1 == a->x2 || segment_meets(a->x1, a->y1, a->x2, a->y2, &b);
}

/* In every shipped scenario that runs one session at a time, in the
 * compact and the full view and on slides, no arrow's label meets another
 * label, another arrow or a note, none reaches beyond its page and each
 * sits between its arrow's two ends: lines of one
 * segment (a message body, pipelined commands) drawn as steep parallel
 * arrows keep clear of each other's labels.  Where sessions run at the
 * same time (pop3-two-clients, pop3-lock, smtp-persistent, ...) they keep
 * to columns of their own (docs/diagrams.md), so no label is run into by
 * another session's arrow or label, in any view.  In the compact view and
 * on slides no label is run into at all; in the full view a message body's
 * parallel arrows still run into their own labels where the two sessions'
 * lines interleave on their server's lifeline: at most one label in 20
 * (91 of 2,132 now; 210 with the mail's order).  MS_TEST_VERBOSE prints
 * them.  In the compact view every label is on its own arrow. */
static void shipped_labels_never_overlap(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    CU_ASSERT_TRUE(names->len >= 20);
    /* By view, with sessions at once: labels run into, at most one in this
     * many (0: none). */
    static const guint one_in[G_N_ELEMENTS(shipped_views)] = { 0, 20, 0 };
    guint total = 0, labels = 0, alone = 0, together = 0, off_arrow = 0, by_other = 0;
    guint crossed[G_N_ELEMENTS(shipped_views)] = { 0 };
    guint shared_labels[G_N_ELEMENTS(shipped_views)] = { 0 };
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            g_autofree char *what = g_strdup_printf("%s --%s", (char *) names->pdata[i],
                                                    shipped_views[v].name);
            g_autoptr(GArray) spans = conn_spans(d);
            guint bad = 0, other = 0;
            for (guint p = 0; p < ms_diagram_n_pages(d); p++)
                bad += page_overlaps(d, p, what, spans, &other);
            by_other += other;
            if (!any_simultaneous(spans)) {
                if (bad > 0)
                    fprintf(stderr, "\n  %s: %u labels run into\n", what, bad);
                total += bad;
                alone++;
            } else {
                if (bad > 0 && g_getenv("MS_TEST_VERBOSE") != NULL)
                    fprintf(stderr,
                            "\n  %s: %u labels run into (sessions at the same time), %u of "
                            "them by another session\n",
                            what, bad, other);
                together += bad;
                crossed[v] += bad;
                shared_labels[v] += ms_diagram_n_arrows(d);
            }
            labels += ms_diagram_n_arrows(d);
            gboolean compact = shipped_views[v].view == MS_DIAGRAM_VIEW_COMPACT;
            for (guint k = 0; compact && k < ms_diagram_n_arrows(d); k++) {
                const MsDiagramArrow *a = ms_diagram_arrow(d, k);
                if (!label_on_arrow(d, a) && off_arrow++ < 3)
                    fprintf(stderr, "\n  %s: label \"%s\" off its arrow", what, a->label);
            }
        }
    }
    CU_ASSERT_TRUE(labels > 1000);
    /* Most shipped scenarios run one session at a time. */
    CU_ASSERT_TRUE(alone * 2 > names->len * G_N_ELEMENTS(shipped_views));
    CU_ASSERT_EQUAL(total, 0);
    CU_ASSERT_EQUAL(off_arrow, 0);
    CU_ASSERT_EQUAL(by_other, 0);
    for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
        CU_ASSERT_TRUE(shared_labels[v] > 500);
        if (crossed[v] * one_in[v] > shared_labels[v] ||
            (one_in[v] == 0 && crossed[v] > 0))
            fprintf(stderr, "\n  --%s: %u of %u labels run into where sessions run at once\n",
                    shipped_views[v].name, crossed[v], shared_labels[v]);
        if (one_in[v] == 0) {
            CU_ASSERT_EQUAL(crossed[v], 0);
        } else {
            CU_ASSERT_TRUE(crossed[v] * one_in[v] <= shared_labels[v]);
        }
    }
    if (g_getenv("MS_TEST_VERBOSE") != NULL)
        fprintf(stderr, "\n  %u of %u labels run into where sessions run at the same time\n",
                together, labels);
}

/* The times "…" occurs in text. */
static guint ellipses(const char *text)
{
    guint n = 0;
    for (const char *p = strstr(text, "\u2026"); p != NULL; p = strstr(p + 1, "\u2026"))
        n++;
    return n;
}

/* Whether a label (or a note) in rows is its whole text: no "…" of its
 * own, every character kept in order, only spaces turned into breaks or
 * breaks put inside words; a compact arrow's text joins its parts with
 * " | ", its label puts each part on rows of its own.  Prints the first
 * few that are not. */
static gboolean whole(const char *what, const char *text, const char *label, guint rows,
                      gboolean parts, guint *bad)
{
    g_autofree char *joined = NULL;
    if (parts) {
        g_auto(GStrv) split = g_strsplit(text, " | ", -1);
        joined = g_strjoinv("\n", split);
    }
    g_autofree char *want = squashed(joined != NULL ? joined : text), *got = squashed(label);
    gboolean ok = ellipses(label) <= ellipses(text) && strcmp(want, got) == 0 &&
                  count_rows(label) == MAX(rows, 1u);
    if (!ok && (*bad)++ < 5)
        fprintf(stderr, "\n  %s: \"%s\" drawn as \"%s\" (%u rows)", what, text, label, rows);
    return ok;
}

/* reply-forward: Bob reads Alice's message by POP3 and then answers it.
 * An agent that downloads a message before it first sends stands with the
 * readers, beside its own server, so that every hop of his reply (bob-pc
 * -> hamburger.edu -> crepes.fr) goes to the next lifeline; Alice, who
 * sends first, stays left of the servers; so does an agent that only found
 * its mailbox empty before it sent.  The shipped scenario too. */
static void reader_who_replies_stands_by_his_server(void)
{
    g_autoptr(MsTrace) t = ms_trace_new();
    const Conn to_bob = { 1, "SMTP", "crepes.fr", "hamburger.edu", 50000, 25 };
    const Conn sub = { 2, "SMTP", "alice-pc", "crepes.fr", 50001, 25 };
    const Conn pop = { 3, "POP3", "bob-pc", "hamburger.edu", 50002, 110 };
    const Conn reply = { 4, "SMTP", "bob-pc", "hamburger.edu", 50003, 25 };
    const Conn back = { 5, "SMTP", "hamburger.edu", "crepes.fr", 50004, 25 };
    emit_line(t, &sub, MS_DIR_SERVER, 0, 1, "220 crepes.fr", "smtp.handshake");
    emit_line(t, &to_bob, MS_DIR_SERVER, 10, 20, "220 hamburger.edu", "smtp.handshake");
    emit_line(t, &pop, MS_DIR_SERVER, 30, 31, "+OK", "pop3.authorization");
    emit_event(t, MS_TRACE_MESSAGE, "message.downloaded", "bob-pc", 35, 0, NULL);
    emit_line(t, &reply, MS_DIR_SERVER, 40, 41, "220 hamburger.edu", "smtp.handshake");
    emit_line(t, &back, MS_DIR_SERVER, 50, 60, "220 crepes.fr", "smtp.handshake");
    g_autoptr(MsDiagram) d = diagram_of(t);
    static const char *const hosts[] = { "alice-pc", "crepes.fr", "hamburger.edu", "bob-pc" };
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(d), 4);
    for (guint i = 0; i < 4; i++)
        MS_ASSERT_STR(ms_diagram_lifeline(d, i)->host, hosts[i]);

    /* One that only found its mailbox empty before it sent is a sender. */
    g_autoptr(MsTrace) empty = ms_trace_new();
    emit_line(empty, &sub, MS_DIR_SERVER, 0, 1, "220 crepes.fr", "smtp.handshake");
    emit_line(empty, &to_bob, MS_DIR_SERVER, 10, 20, "220 hamburger.edu", "smtp.handshake");
    emit_line(empty, &pop, MS_DIR_SERVER, 30, 31, "+OK", "pop3.authorization");
    emit_line(empty, &reply, MS_DIR_SERVER, 40, 41, "220 hamburger.edu", "smtp.handshake");
    g_autoptr(MsDiagram) e = diagram_of(empty);
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(e), 4);
    MS_ASSERT_STR(ms_diagram_lifeline(e, 0)->host, "alice-pc");
    MS_ASSERT_STR(ms_diagram_lifeline(e, 1)->host, "bob-pc");

    g_auto(ShippedRun) run = { 0 };
    g_autoptr(MsDiagram) shipped = diagram_of_view("scenarios/reply-forward.mss", 0, &run);
    static const char *const order[] = { "alice-pc", "crepes.fr", "hamburger.edu", "bob-pc",
                                         "carol-pc" };
    CU_ASSERT_EQUAL_FATAL(ms_diagram_n_lifelines(shipped), 5);
    for (guint i = 0; i < 5; i++)
        MS_ASSERT_STR(ms_diagram_lifeline(shipped, i)->host, order[i]);
}

/* The right margin holds the phase names as far as the longest reaches,
 * and no more: in every shipped scenario, view and slide deck, each name
 * ends inside the page, and the page ends a margin after the furthest of
 * them or half a column after the last lifeline (before, every lane took
 * its full width, whatever the names in it). */
static void right_margin_fits_the_phase_names(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint bands = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 };
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            if (ms_diagram_n_pages(d) == 0 || ms_diagram_n_lifelines(d) == 0)
                continue;
            double width = ms_diagram_page(d, 0)->width;
            const MsDiagramLifeline *last = ms_diagram_lifeline(d, ms_diagram_n_lifelines(d) - 1);
            double right = last->x + d->column / 2;
            for (guint k = 0; k < ms_diagram_n_bands(d); k++) {
                const MsDiagramBand *b = ms_diagram_band(d, k);
                double end = ms_dg_band_label_x(d, b) +
                             ms_dg_text_width(b->label, MS_DG_T(d, MS_DG_SMALL_PT), FALSE);
                CU_ASSERT_TRUE(end <= width - MS_DG_T(d, MS_DG_MARGIN) + 1e-6);
                CU_ASSERT_TRUE(ms_dg_band_label_x(d, b) > last->x);
                right = MAX(right, end);
                bands++;
            }
            for (guint p = 0; p < ms_diagram_n_pages(d); p++)
                CU_ASSERT_DOUBLE_EQUAL(ms_diagram_page(d, p)->width, width, 1e-9);
            CU_ASSERT_DOUBLE_EQUAL(width, right + MS_DG_T(d, MS_DG_MARGIN), 1e-6);
        }
    }
    CU_ASSERT_TRUE(bands > 500);
}

/* A note just after an arrow leaves its lifeline (the server's "no such
 * mailbox: bounced" after its 250) sits below the arrow, not on its first
 * stretch: in no shipped scenario that runs one session at a time, in any
 * view or on slides, does an arrow leaving a lifeline run through a note
 * on that lifeline.  Where two sessions meet at one server at one instant
 * (pop3-two-clients: the second QUIT answered while the first session's
 * mailbox is updated) an arrow may still be pushed down past the room its
 * delay and label ask for, after the note was placed below where it was
 * expected: at most one note in 50 there.  MS_TEST_VERBOSE prints them. */
static void notes_clear_the_arrows_leaving(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint alone = 0, together = 0, notes_together = 0, checked = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 };
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            g_autoptr(GArray) spans = conn_spans(d);
            gboolean shared = any_simultaneous(spans);
            for (guint p = 0; p < ms_diagram_n_pages(d); p++) {
                const MsDiagramPage *pg = ms_diagram_page(d, p);
                for (guint k = pg->first_note; k < pg->first_note + pg->n_notes; k++) {
                    const MsDiagramNote *n = ms_diagram_note(d, k);
                    Box nb = note_box(d, n);
                    nb.left += SLACK;
                    nb.top += SLACK;
                    nb.right -= SLACK;
                    nb.bottom -= SLACK;
                    notes_together += shared;
                    for (guint a = pg->first_arrow; a < pg->first_arrow + pg->n_arrows; a++) {
                        const MsDiagramArrow *ar = ms_diagram_arrow(d, a);
                        if (ar->from != n->lifeline || ar->x1 == ar->x2)
                            continue;
                        checked++;
                        if (!segment_meets(ar->x1, ar->y1, ar->x2, ar->y2, &nb))
                            continue;
                        if (shared)
                            together++;
                        else
                            alone++;
                        if (!shared || g_getenv("MS_TEST_VERBOSE") != NULL)
                            fprintf(stderr, "\n  %s --%s page %u: \"%s\" through note \"%s\"",
                                    (char *) names->pdata[i], shipped_views[v].name, p + 1,
                                    ar->label, n->label);
                    }
                }
            }
        }
    }
    CU_ASSERT_TRUE(checked > 1000);
    CU_ASSERT_TRUE(notes_together > 100);
    CU_ASSERT_EQUAL(alone, 0);
    CU_ASSERT_TRUE(together * 50 <= notes_together);
}

/* In every shipped scenario, in the compact and the full view and on
 * slides, no label or note is cut short: each is its whole text on as
 * many rows as it takes (docs/diagrams.md). */
static void shipped_labels_and_notes_whole(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    CU_ASSERT_TRUE(names->len >= 20);
    guint labels = 0, notes = 0, wrapped = 0, bad = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            g_autofree char *what = g_strdup_printf("%s --%s", (char *) names->pdata[i],
                                                    shipped_views[v].name);
            gboolean compact = ms_diagram_view(d) == MS_DIAGRAM_VIEW_COMPACT;
            for (guint k = 0; k < ms_diagram_n_arrows(d); k++) {
                const MsDiagramArrow *a = ms_diagram_arrow(d, k);
                /* A refused SYN's label adds when the RST came back. */
                g_autofree char *back = a->rst_back >= 0 ? ms_time_format_ms(a->rst_back) : NULL;
                g_autofree char *text = back != NULL
                                            ? g_strdup_printf("%s\nRST back at %s ms", a->text, back)
                                            : g_strdup(a->text);
                whole(what, text, a->label, a->rows, compact && a->compact, &bad);
                labels++;
                wrapped += a->rows > 1 && strchr(a->text, '|') == NULL;
            }
            for (guint k = 0; k < ms_diagram_n_notes(d); k++) {
                const MsDiagramNote *n = ms_diagram_note(d, k);
                whole(what, n->text, n->label, n->rows, FALSE, &bad);
                notes++;
                wrapped += n->rows > 1;
            }
        }
    }
    CU_ASSERT_TRUE(labels > 1000);
    CU_ASSERT_TRUE(notes > 100);
    /* Long lines and notes there are, and they take several rows. */
    CU_ASSERT_TRUE(wrapped > 20);
    CU_ASSERT_EQUAL(bad, 0);
}

/* In the compact view mscgen gets a compact arrow's parts on rows of their
 * own, with its line break "\n" inside the label, never joined on one row
 * by " | " as the one-row text formats join them (smtp-basic's pipelined
 * MAIL, RCPT and DATA, and their three replies). */
static void msc_compact_rows_are_line_breaks(void)
{
    g_auto(ShippedRun) run = { 0 };
    CU_ASSERT_TRUE_FATAL(run_shipped("scenarios/smtp-basic.mss", &run));
    MsDiagramOptions o;
    ms_diagram_options_init(&o);
    o.view = MS_DIAGRAM_VIEW_COMPACT;
    g_autoptr(MsDiagram) d = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
    g_autofree char *msc = ms_diagram_export(d, MS_DIAGRAM_MSC);
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, "[label=\"MAIL FROM:<alice@crepes.fr> SIZE=285\\n"
                                       "RCPT TO:<bob@hamburger.edu>\\nDATA\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(msc, "[label=\"250 2.1.0 Ok\\n250 2.1.5 Ok\\n354 End data"));
    CU_ASSERT_PTR_NULL(strstr(msc, " | "));
}

/* A short note fits its column on one row, measured in its own face: on
 * pop3-two-clients' crowded slide (seven lifelines) "into carol's mailbox
 * (1)" and "leaves the queue (0 left)" no longer leave "(1)" and "left)"
 * alone on a second row.  A note of two rows, in either language, breaks
 * near its middle: its last row is at least half as long as its first. */
static void notes_fit_or_wrap_evenly(void)
{
    g_auto(ShippedRun) run = { 0 };
    g_autoptr(MsDiagram) d = slides_of("scenarios/pop3-two-clients.mss", &run);
    guint seen = 0;
    for (guint k = 0; k < ms_diagram_n_notes(d); k++) {
        const MsDiagramNote *n = ms_diagram_note(d, k);
        if (strcmp(n->text, "into carol's mailbox (1)") != 0 &&
            strcmp(n->text, "leaves the queue (0 left)") != 0)
            continue;
        seen++;
        MS_ASSERT_STR(n->label, n->text);
        CU_ASSERT_EQUAL(n->rows, 1);
        CU_ASSERT_TRUE(ms_dg_note_w(d, n) <= d->column - 6.0);
    }
    CU_ASSERT_TRUE(seen >= 2);

    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    static const char *const langs[] = { "en", "zh" };
    guint two = 0, uneven = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < 4; v++) {
            MsDiagramOptions o;
            ms_diagram_options_init(&o);
            o.slide = v % 2 == 1;
            o.lang = langs[v / 2];
            g_auto(ShippedRun) r = { 0 }; /* freed after the diagram */
            g_autoptr(MsDiagram) dv = diagram_of_scenario(names->pdata[i], &o, &r);
            for (guint k = 0; k < ms_diagram_n_notes(dv); k++) {
                const MsDiagramNote *n = ms_diagram_note(dv, k);
                if (n->rows != 2)
                    continue;
                two++;
                g_auto(GStrv) rows = g_strsplit(n->label, "\n", -1);
                if (g_utf8_strlen(rows[1], -1) * 2 < g_utf8_strlen(rows[0], -1) && uneven++ < 3)
                    fprintf(stderr, "\n  %s: note \"%s\" wrapped unevenly",
                            (char *) names->pdata[i], n->text);
            }
        }
    }
    CU_ASSERT_TRUE(two >= 10);
    CU_ASSERT_EQUAL(uneven, 0);
}

/* The labels and notes of zh drawn where en placed them, as report.html
 * draws a long run (more than MS_HTML_SVG_MAX_ARROWS arrows) from the
 * English diagram's model with the Chinese words: how many run into
 * another label, an arrow or a note, or leave their arrow's ends, where
 * the English ones did not.  Prints the first few. */
static guint zh_on_en_overflows(const MsDiagram *en, const MsDiagram *zh, const char *what)
{
    guint bad = 0;
    for (guint p = 0; p < ms_diagram_n_pages(en); p++) {
        const MsDiagramPage *pg = ms_diagram_page(en, p);
        for (guint i = pg->first_arrow; i < pg->first_arrow + pg->n_arrows; i++) {
            const MsDiagramArrow *a = ms_diagram_arrow(en, i);
            MsDiagramArrow z = *ms_diagram_arrow(zh, i);
            z.label_x = a->label_x;
            z.label_y = a->label_y;
            Box be = label_box(en, a), bz = label_box(zh, &z);
            if (strcmp(a->label, z.label) == 0)
                continue;
            const char *why = NULL;
            for (guint j = pg->first_arrow; why == NULL && j < pg->first_arrow + pg->n_arrows; j++) {
                const MsDiagramArrow *b = ms_diagram_arrow(en, j);
                if (j == i)
                    continue;
                MsDiagramArrow zb = *ms_diagram_arrow(zh, j);
                zb.label_x = b->label_x;
                zb.label_y = b->label_y;
                Box oe = label_box(en, b), oz = label_box(zh, &zb);
                if (boxes_meet(&bz, &oz) && !boxes_meet(&be, &oe))
                    why = "label over label";
                else if (segment_meets(b->x1, b->y1, b->x2, b->y2, &bz) &&
                         !segment_meets(b->x1, b->y1, b->x2, b->y2, &be))
                    why = "arrow through label";
            }
            for (guint k = pg->first_note; why == NULL && k < pg->first_note + pg->n_notes; k++) {
                Box ne = note_box(en, ms_diagram_note(en, k));
                MsDiagramNote nz = *ms_diagram_note(zh, k);
                nz.y = ms_diagram_note(en, k)->y;
                Box nzb = note_box(zh, &nz);
                if (boxes_meet(&bz, &nzb) && !boxes_meet(&be, &ne))
                    why = "note over label";
            }
            if (why != NULL && bad++ < 3 && g_getenv("MS_TEST_VERBOSE") != NULL)
                fprintf(stderr, "\n  %s page %u: %s: \"%s\"", what, p + 1, why, z.label);
        }
    }
    return bad;
}

/* report.html draws a diagram of more than MS_HTML_SVG_MAX_ARROWS arrows
 * from one model, laid out for English, in either language; a Chinese
 * label is wrapped for its own width (a wide character takes two
 * columns) and could have more rows than the English one it replaces.  No
 * shipped scenario is that long (each gets its SVG in both languages,
 * each laid out for its own words), but drawn that way, none of their
 * Chinese labels or notes would overflow the English layout, in the
 * default view or on slides: the Chinese words are as short or shorter,
 * and no label takes another number of rows (MS_TEST_VERBOSE prints the
 * counts). */
static void zh_labels_on_the_english_layout(void)
{
    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint overflows = 0, labels = 0, differ = 0, scenarios = 0;
    for (guint i = 0; i < 2 * names->len; i++) {
        MsDiagramOptions o;
        ms_diagram_options_init(&o);
        o.slide = i % 2 == 1;
        g_auto(ShippedRun) run = { 0 }; /* freed after the diagrams */
        CU_ASSERT_TRUE_FATAL(run_shipped(names->pdata[i / 2], &run));
        o.lang = "en";
        g_autoptr(MsDiagram) en = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
        o.lang = "zh";
        g_autoptr(MsDiagram) zh = ms_diagram_new(ms_world_trace(run.world), &run.report, &o);
        CU_ASSERT_EQUAL_FATAL(ms_diagram_n_arrows(en), ms_diagram_n_arrows(zh));
        CU_ASSERT_EQUAL_FATAL(ms_diagram_n_notes(en), ms_diagram_n_notes(zh));
        guint bad = zh_on_en_overflows(en, zh, names->pdata[i / 2]);
        overflows += bad;
        scenarios += bad > 0;
        labels += ms_diagram_n_arrows(en);
        for (guint k = 0; k < ms_diagram_n_arrows(en); k++)
            differ += ms_diagram_arrow(en, k)->rows != ms_diagram_arrow(zh, k)->rows;
    }
    if (g_getenv("MS_TEST_VERBOSE") != NULL)
        fprintf(stderr, "\n  zh on the en layout: %u of %u labels overflow, in %u scenarios; "
                "%u labels have other rows\n", overflows, labels, scenarios, differ);
    CU_ASSERT_TRUE(labels > 500);
    CU_ASSERT_EQUAL(overflows, 0);
}

/* Whether two arrows cross: each one's ends lie strictly on either side
 * of the other (arrows that meet at a lifeline only touch). */
static double side_of(double x1, double y1, double x2, double y2, double x, double y)
{
    return (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
}

static gboolean arrows_cross(const MsDiagramArrow *a, const MsDiagramArrow *b)
{
    double s1 = side_of(a->x1, a->y1, a->x2, a->y2, b->x1, b->y1);
    double s2 = side_of(a->x1, a->y1, a->x2, a->y2, b->x2, b->y2);
    double s3 = side_of(b->x1, b->y1, b->x2, b->y2, a->x1, a->y1);
    double s4 = side_of(b->x1, b->y1, b->x2, b->y2, a->x2, a->y2);
    return ((s1 > 0 && s2 < 0) || (s1 < 0 && s2 > 0)) && ((s3 > 0 && s4 < 0) || (s3 < 0 && s4 > 0));
}

/* The arrows of one page of two sessions that run at the same time that
 * cross; prints the first. */
static guint page_crossings(const MsDiagram *d, guint p, const char *what, GArray *spans)
{
    const MsDiagramPage *pg = ms_diagram_page(d, p);
    guint n = 0;
    for (guint i = 0; i < pg->n_arrows; i++) {
        const MsDiagramArrow *a = ms_diagram_arrow(d, pg->first_arrow + i);
        for (guint j = i + 1; j < pg->n_arrows; j++) {
            const MsDiagramArrow *b = ms_diagram_arrow(d, pg->first_arrow + j);
            if (!simultaneous(spans, a, b) || !arrows_cross(a, b))
                continue;
            if (n++ == 0)
                fprintf(stderr, "\n  %s page %u: \"%s\" [%u] crosses \"%s\" [%u]", what, p + 1,
                        a->label, a->record->conn, b->label, b->record->conn);
        }
    }
    return n;
}

/* Two sessions that run at the same time never draw an arrow across each
 * other's (two readers of one mailbox go either side of their server, two
 * relays to one server too), in any view of any shipped scenario; the
 * checker itself finds a crossing on hand-made arrows. */
static void simultaneous_sessions_never_cross(void)
{
    MsDiagramArrow x = { 0 }, y = { 0 }, z = { 0 };
    x.x1 = 0, x.y1 = 0, x.x2 = 100, x.y2 = 50;
    y.x1 = 0, y.y1 = 50, y.x2 = 100, y.y2 = 0;
    z.x1 = 100, z.y1 = 50, z.x2 = 200, z.y2 = 0; /* meets x at its tip */
    CU_ASSERT_TRUE(arrows_cross(&x, &y));
    CU_ASSERT_FALSE(arrows_cross(&x, &z));

    g_autoptr(GPtrArray) names = ms_test_shipped_scenarios();
    guint crossings = 0, concurrent = 0;
    for (guint i = 0; i < names->len; i++) {
        for (guint v = 0; v < G_N_ELEMENTS(shipped_views); v++) {
            g_auto(ShippedRun) run = { 0 }; /* freed after the diagram */
            g_autoptr(MsDiagram) d = diagram_of_view(names->pdata[i], v, &run);
            g_autofree char *what = g_strdup_printf("%s --%s", (char *) names->pdata[i],
                                                    shipped_views[v].name);
            g_autoptr(GArray) spans = conn_spans(d);
            concurrent += any_simultaneous(spans);
            for (guint p = 0; p < ms_diagram_n_pages(d); p++)
                crossings += page_crossings(d, p, what, spans);
        }
    }
    /* pop3-two-clients, pop3-lock, smtp-persistent and more, three views. */
    CU_ASSERT_TRUE(concurrent >= 3 * 6);
    CU_ASSERT_EQUAL(crossings, 0);
}

int main(void)
{
    static const MsTestCase layout[] = {
        MS_TEST(lifelines_follow_the_mail),
        MS_TEST(roles_and_order_from_connections),
        MS_TEST(server_of_smtp_and_web_mail_named_both),
        MS_TEST(reader_who_replies_stands_by_his_server),
        MS_TEST(imap_idle_news_is_a_push),
        MS_TEST(simultaneous_readers_either_side),
        MS_TEST(one_arrow_per_line_in_trace_order),
        MS_TEST(arrows_slope_by_their_delay),
        MS_TEST(lines_sent_together_are_parallel),
        MS_TEST(idle_gap_becomes_a_break),
        MS_TEST(filters_by_protocol_host_and_time),
        MS_TEST(pages_by_arrow_count_and_time),
        MS_TEST(phases_become_labelled_bands),
        MS_TEST(tcp_segments_lost_and_retransmitted),
        MS_TEST(long_bodies_are_elided),
        MS_TEST(labels_wrapped_and_in_chinese),
        MS_TEST(wrap_breaks_at_spaces_then_inside_words),
        MS_TEST(slide_wrap_keeps_words_whole),
        MS_TEST(empty_trace_draws_one_page),
        MS_TEST(options_parse),
        MS_TEST(run_command_options),
        MS_TEST_END,
    };
    static const MsTestCase graphviz[] = {
        MS_TEST(fixed_matches_printf),
        MS_TEST(graph_pins_every_arrow),
        MS_TEST(svg_png_pdf_dot_written),
        MS_TEST(png_dpi_and_pages),
        MS_TEST(tooltips_say_who_spoke),
        MS_TEST(renders_identical_within_a_process),
        MS_TEST(renders_identical_across_processes),
        MS_TEST(push_and_pull_differ_in_grey),
        MS_TEST_END,
    };
    static const MsTestCase text[] = {
        MS_TEST(txt_has_a_column_per_lifeline),
        MS_TEST(txt_sections_of_many_hosts),
        MS_TEST(msc_accepted_by_mscgen),
        MS_TEST(msc_compact_rows_are_line_breaks),
        MS_TEST(plantuml_accepts_source),
        MS_TEST(plantuml_and_mermaid_sources),
        MS_TEST_END,
    };
    ms_test_add_suite("diagram/layout", layout);
    ms_test_add_suite("diagram/graphviz", graphviz);
    static const MsTestCase compact[] = {
        MS_TEST(compact_view_one_arrow_per_part),
        MS_TEST(compact_by_default_when_long),
        MS_TEST(failed_attempts_drawn_with_number),
        MS_TEST(http_upload_drawn_as_push),
        MS_TEST(view_and_slide_options),
        MS_TEST(shipped_slides_fit_1920x1080),
        MS_TEST(slides_follow_the_sessions),
        MS_TEST(slides_never_end_on_a_scrap),
        MS_TEST(ticks_label_the_arrows),
        MS_TEST(ticks_on_arrows_below_notes),
        MS_TEST(arrows_leave_at_their_own_time),
        MS_TEST(simultaneous_sends_share_a_row),
        MS_TEST(ticks_print_each_time_once),
        MS_TEST(page_height_grows_with_arrows),
        MS_TEST(overlap_checks_find_overlaps),
        MS_TEST(shipped_labels_never_overlap),
        MS_TEST(notes_clear_the_arrows_leaving),
        MS_TEST(right_margin_fits_the_phase_names),
        MS_TEST(shipped_labels_and_notes_whole),
        MS_TEST(notes_fit_or_wrap_evenly),
        MS_TEST(zh_labels_on_the_english_layout),
        MS_TEST(simultaneous_sessions_never_cross),
        MS_TEST(page_index_lists_every_page),
        MS_TEST(max_pages_keeps_the_first_pages),
        MS_TEST(run_prints_the_page_index),
        MS_TEST_END,
    };
    ms_test_add_suite("diagram/text", text);
    ms_test_add_suite("diagram/compact", compact);
    int rc = ms_test_run();
    ms_diagram_shutdown();
    return rc;
}
