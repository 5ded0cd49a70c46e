/* test_scenarios.c - every shipped scenario runs, deterministically, and
 * shows what its comment header says it teaches.  The checks read the
 * trace (not the transcript's wording), so they hold in any language.
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mailsim/message.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/trace.h"
#include "mailsim/world.h"
#include "agents/agents-private.h"
#include "report/report-private.h"
#include "testutil.h"

/* The world of a parsed scenario (sc, NULL when it did not parse; error
 * says why), run to its end; name says which scenario a failure is of. */
static MsWorld *run_parsed(MsScenario *sc, GError *error, const char *name)
{
    if (sc == NULL)
        fprintf(stderr, "\n  %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    g_autoptr(GError) world_error = NULL;
    MsWorld *world = ms_world_new(sc, sc->seed, &world_error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(world);
    gboolean ok = ms_world_run(world, MS_TIME_NEVER, &world_error);
    if (!ok)
        fprintf(stderr, "\n  %s: %s\n", name, world_error->message);
    CU_ASSERT_TRUE(ok);
    return world;
}

static MsWorld *run(const char *path, MsScenario **sc_out)
{
    g_autoptr(GError) error = NULL;
    *sc_out = ms_scenario_parse_file(path, &error);
    return run_parsed(*sc_out, error, path);
}

/* The same for a scenario's text, named "t.mss" in its messages. */
static MsWorld *run_text(const char *text, MsScenario **sc_out)
{
    g_autoptr(GError) error = NULL;
    *sc_out = ms_scenario_parse_string(text, -1, "t.mss", &error);
    return run_parsed(*sc_out, error, "t.mss");
}

/* Lines of a connection-level protocol matching a prefix, sent by `src`
 * (NULL: any host) in direction dir. */
static guint count_lines(MsTrace *trace, const char *src, MsDir dir, const char *prefix)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE || r->dir != dir)
            continue;
        if (src != NULL && strcmp(r->src, src) != 0)
            continue;
        if (g_str_has_prefix(r->text, prefix))
            n++;
    }
    return n;
}

static guint count_conns(MsTrace *trace, const char *client, const char *server, guint16 port)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind == MS_TRACE_CONN_OPEN && strcmp(r->src, client) == 0 &&
            strcmp(r->dst, server) == 0 && r->dst_port == port)
            n++;
    }
    return n;
}

/* The first record with this event key and (if given) subject text. */
static const MsTraceRecord *find_event(MsTrace *trace, const char *key, const char *detail_part)
{
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind == MS_TRACE_LINE || g_strcmp0(r->note, key) != 0)
            continue;
        if (detail_part == NULL || (r->detail != NULL && strstr(r->detail, detail_part) != NULL))
            return r;
    }
    return NULL;
}

static guint count_events(MsTrace *trace, const char *key)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE && g_strcmp0(r->note, key) == 0)
            n++;
    }
    return n;
}

/* The stems of the .mss files in scenarios/ ("smtp-basic", ...), sorted
 * (transfer full). */
static GPtrArray *shipped_scenarios(void)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = g_dir_open("scenarios", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL(dir);
    for (const char *name = dir != NULL ? g_dir_read_name(dir) : NULL; name != NULL;
         name = g_dir_read_name(dir)) {
        if (g_str_has_suffix(name, ".mss"))
            g_ptr_array_add(names, g_strndup(name, strlen(name) - 4));
    }
    g_ptr_array_sort(names, (GCompareFunc) g_strcmp0);
    return names;
}

static void every_scenario_runs_twice_the_same(void)
{
    g_autoptr(GPtrArray) names = shipped_scenarios();
    CU_ASSERT_TRUE(names->len >= 21);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_strdup_printf("scenarios/%s.mss",
                                                (const char *) g_ptr_array_index(names, i));
        MsScenario *sa = NULL, *sb = NULL;
        MsWorld *a = run(path, &sa);
        MsWorld *b = run(path, &sb);
        MsTrace *ta = ms_world_trace(a), *tb = ms_world_trace(b);
        CU_ASSERT_EQUAL(ms_trace_length(ta), ms_trace_length(tb));
        CU_ASSERT_TRUE(ms_trace_length(ta) > 10);
        for (guint64 k = 0; k < MIN(ms_trace_length(ta), ms_trace_length(tb)); k++) {
            const MsTraceRecord *x = ms_trace_pin(ta, k), *y = ms_trace_pin(tb, k);
            if (x->time != y->time || x->arrival != y->arrival || x->kind != y->kind ||
                g_strcmp0(x->text, y->text) != 0 || g_strcmp0(x->detail, y->detail) != 0) {
                fprintf(stderr, "\n  %s: record %" G_GUINT64_FORMAT " differs between runs\n",
                        path, k);
                CU_FAIL("two runs of one scenario differ");
                break;
            }
        }
        ms_world_free(a);
        ms_world_free(b);
        ms_scenario_free(sa);
        ms_scenario_free(sb);
    }
}

static void textbook_profile_reads_like_the_book(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-textbook-profile.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* The book's figure, server hamburger.edu, client crepes.fr. */
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "220 hamburger.edu"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "HELO crepes.fr"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "250 Hello crepes.fr, pleased to meet you"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "MAIL FROM: <alice@crepes.fr>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "250 alice@crepes.fr ... Sender ok"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "RCPT TO: <bob@hamburger.edu>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "250 bob@hamburger.edu ... Recipient ok"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "354 Enter mail"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "250 Message accepted for delivery"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "221 hamburger.edu closing connection"), 1);
    /* No EHLO extensions, no enhanced status codes anywhere. */
    CU_ASSERT_EQUAL(count_lines(t, NULL, MS_DIR_CLIENT, "EHLO"), 0);
    CU_ASSERT_EQUAL(count_lines(t, NULL, MS_DIR_SERVER, "250 2."), 0);
    /* RFC 5321 4.1.2 has no space after "FROM:": the notes say the book's
     * spelling is not allowed and that the server took it leniently. */
    guint told = 0, lenient = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE)
            continue;
        told += g_strcmp0(r->note, "smtp.cmd.mail.textbook") == 0 ||
                g_strcmp0(r->note, "smtp.cmd.rcpt.textbook") == 0;
        lenient += g_strcmp0(r->note, "smtp.reply.250.mail.lenient") == 0 ||
                   g_strcmp0(r->note, "smtp.reply.250.rcpt.lenient") == 0;
    }
    CU_ASSERT_EQUAL(told, 2);
    CU_ASSERT_EQUAL(lenient, 2);
    /* RFC 3848: after HELO the Received: line says "with SMTP". */
    CU_ASSERT_TRUE(count_lines(t, NULL, MS_DIR_CLIENT, "Received: from alice-pc (alice-pc) by"
                                                       " crepes.fr with SMTP id 1;") >= 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void persistence_uses_one_connection(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-persistent.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* Three messages each: one connection with persistence, three without. */
    CU_ASSERT_EQUAL(count_conns(t, "crepes.fr", "hamburger.edu", 25), 1);
    CU_ASSERT_EQUAL(count_conns(t, "waffles.be", "hamburger.edu", 25), 3);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "MAIL FROM:"), 3);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "QUIT"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "waffles.be", MS_DIR_CLIENT, "QUIT"), 3);
    /* Without persistence the connections follow one another. */
    MsTime last_quit = -1, first_open = -1;
    guint opens = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_CONN_OPEN && strcmp(r->src, "waffles.be") == 0) {
            if (++opens == 2)
                first_open = r->time;
        }
        if (r->kind == MS_TRACE_LINE && strcmp(r->src, "waffles.be") == 0 &&
            strcmp(r->text, "QUIT") == 0 && last_quit < 0)
            last_quit = r->time;
    }
    CU_ASSERT_TRUE(first_open > last_quit);
    /* Bob gets all six. */
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded"), 6);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* A destination with a relay connection open gets no second one, whatever
 * the case its name is written in (RFC 5321 2.4: domains are not case
 * sensitive): the message for HAMBURGER.EDU that reaches crepes.fr while
 * the connection to hamburger.edu is open waits for that one to close. */
static void relay_waits_for_the_open_connection_whatever_the_case(void)
{
    const char *text =
        "scenario \"t\"\n"
        "seed 1\n"
        "server crepes.fr      domain crepes.fr\n"
        "server hamburger.edu  domain hamburger.edu\n"
        "agent alice-pc  user alice@crepes.fr  server crepes.fr\n"
        "mailbox bob@hamburger.edu\n"
        "mailbox carol@hamburger.edu\n"
        "link alice-pc crepes.fr       latency 2ms  bandwidth 10Mbit\n"
        "link crepes.fr hamburger.edu  latency 40ms bandwidth 100Mbit\n"
        "at 1s alice-pc send to bob@hamburger.edu subject \"One\" body \"1\"\n"
        "at 1100ms alice-pc send to carol@HAMBURGER.EDU subject \"Two\" body \"2\"\n";
    g_autoptr(MsScenario) sc = NULL;
    MsWorld *w = run_text(text, &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_conns(t, "crepes.fr", "hamburger.edu", 25), 2);
    /* The second message reached crepes.fr while the first connection was
     * open, and its connection opened only once that one had closed. */
    MsTime first_quit = -1, second_open = -1, second_queued = -1;
    guint opens = 0, queued = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_CONN_OPEN && strcmp(r->src, "crepes.fr") == 0 && ++opens == 2)
            second_open = r->time;
        if (r->kind == MS_TRACE_LINE && strcmp(r->src, "crepes.fr") == 0 &&
            strcmp(r->text, "QUIT") == 0 && first_quit < 0)
            first_quit = r->time;
        if (r->kind == MS_TRACE_QUEUE && strcmp(r->note, "queue.add") == 0 && ++queued == 2)
            second_queued = r->time;
    }
    CU_ASSERT_TRUE(first_quit > second_queued);
    CU_ASSERT_TRUE(second_open > first_quit);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "bob@hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "carol@hamburger.edu"));
    ms_world_free(w);
}

/* RFC 5321 4.5.1: every SMTP server MUST take mail for "postmaster", in
 * any case, with no domain or its own; it goes to the server's first
 * user.  Other local parts it has no user for are still refused. */
static void postmaster_is_always_accepted(void)
{
    const char *text =
        "scenario \"t\"\n"
        "seed 1\n"
        "server hamburger.edu  domain hamburger.edu\n"
        "mailbox bob@hamburger.edu\n"
        "agent alice-pc  user alice@hamburger.edu  server hamburger.edu\n"
        "link alice-pc hamburger.edu latency 20ms bandwidth 10Mbit\n"
        "at 0s alice-pc telnet hamburger.edu 25\n"
        "    type \"EHLO crepes.fr\"\n"
        "    type \"MAIL FROM:<alice@crepes.fr>\"\n"
        "    type \"RCPT TO:<Postmaster>\"\n"
        "    type \"RCPT TO:<postmaster@HAMBURGER.edu>\"\n"
        "    type \"RCPT TO:<postmasters@hamburger.edu>\"\n"
        "    type \"DATA\"\n"
        "    type \"Subject: for the postmaster\"\n"
        "    type \"\"\n"
        "    type \"hello\"\n"
        "    type \".\"\n"
        "    type \"QUIT\"\n"
        "end\n";
    g_autoptr(MsScenario) sc = NULL;
    MsWorld *w = run_text(text, &sc);
    MsTrace *t = ms_world_trace(w);
    guint64 n = ms_trace_length(t);
    const char *answers[3] = { NULL, NULL, NULL };
    guint k = 0;
    for (guint64 i = 0; i + 1 < n; i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || r->dir != MS_DIR_CLIENT ||
            !g_str_has_prefix(r->text, "RCPT TO:"))
            continue;
        for (guint64 j = i + 1; j < n && k < 3; j++) {
            const MsTraceRecord *a = ms_trace_pin(t, j);
            if (a->kind == MS_TRACE_LINE && a->dir == MS_DIR_SERVER) {
                answers[k++] = a->text;
                break;
            }
        }
    }
    CU_ASSERT_EQUAL_FATAL(k, 3);
    CU_ASSERT_TRUE(g_str_has_prefix(answers[0], "250 "));
    CU_ASSERT_TRUE(g_str_has_prefix(answers[1], "250 "));
    CU_ASSERT_TRUE(g_str_has_prefix(answers[2], "550 5.1.1"));
    /* Both postmaster recipients reach alice's mailbox, the server's first
     * user (its agents' users come before its mailbox lines); no mailbox
     * "postmaster" is made beside it. */
    CU_ASSERT_EQUAL(count_events(t, "mailbox.deliver"), 2);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "in alice@hamburger.edu's"));
    CU_ASSERT_PTR_NULL(find_event(t, "mailbox.deliver", "bob@hamburger.edu"));
    CU_ASSERT_PTR_NULL(find_event(t, "mailbox.deliver", "postmaster"));
    ms_world_free(w);
}

/* Web mail's server, typed at by hand on port 80: a 405 lists the
 * methods of the page asked for (RFC 9110 15.5.6), whatever the method;
 * every response carries Date, the simulated time (RFC 9110 6.6.1); and a
 * request with "Expect: 100-continue" gets 100 before its final status
 * (10.1.1). */
static void web_mail_allow_date_and_continue(void)
{
    const char *text =
        "scenario \"t\"\n"
        "seed 1\n"
        "server hamburger.edu  domain hamburger.edu  webmail on\n"
        "agent bob-pc  user bob@hamburger.edu  server hamburger.edu  password hungry\n"
        "link bob-pc hamburger.edu latency 2ms bandwidth 10Mbit\n"
        "at 1s bob-pc telnet hamburger.edu 80\n"
        "    type \"DELETE /inbox HTTP/1.1\"\n"
        "    type \"Host: hamburger.edu\"\n"
        "    type \"\"\n"
        "    type \"POST /inbox HTTP/1.1\"\n"
        "    type \"Host: hamburger.edu\"\n"
        "    type \"Content-Length: 0\"\n"
        "    type \"\"\n"
        "    type \"PUT /login HTTP/1.1\"\n"
        "    type \"Host: hamburger.edu\"\n"
        "    type \"\"\n"
        "    type \"POST /login HTTP/1.1\"\n"
        "    type \"Host: hamburger.edu\"\n"
        "    type \"Expect: 100-continue\"\n"
        "    type \"Content-Type: application/x-www-form-urlencoded\"\n"
        "    type \"Content-Length: 24\"\n"
        "    type \"\"\n"
        "    type \"user=bob&password=hungry\"\n"
        "end\n";
    g_autoptr(MsScenario) sc = NULL;
    MsWorld *w = run_text(text, &sc);
    MsTrace *t = ms_world_trace(w);
    GString *said = g_string_new(NULL);
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_SERVER &&
            (g_str_has_prefix(r->text, "HTTP/") || g_str_has_prefix(r->text, "Allow:") ||
             g_str_has_prefix(r->text, "Date:")))
            g_string_append_printf(said, "%s\n", r->text);
    }
    /* 1 s after the start of the scenario's clock, 2023-03-23 12:00 UTC. */
    MS_ASSERT_STR(said->str, "HTTP/1.1 405 Method Not Allowed\n"
                             "Date: Thu, 23 Mar 2023 12:00:01 GMT\n"
                             "Allow: GET, HEAD\n"
                             "HTTP/1.1 405 Method Not Allowed\n"
                             "Date: Thu, 23 Mar 2023 12:00:01 GMT\n"
                             "Allow: GET, HEAD\n"
                             "HTTP/1.1 405 Method Not Allowed\n"
                             "Date: Thu, 23 Mar 2023 12:00:01 GMT\n"
                             "Allow: POST\n"
                             "HTTP/1.1 100 Continue\n"
                             "HTTP/1.1 302 Found\n"
                             "Date: Thu, 23 Mar 2023 12:00:01 GMT\n");
    g_string_free(said, TRUE);
    ms_world_free(w);
}

static void unknown_recipient_fails_alone(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-multi-recipient.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "550"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "bob@hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "carol@hamburger.edu"));
    CU_ASSERT_PTR_NULL(find_event(t, "mailbox.deliver", "nobody@hamburger.edu"));
    CU_ASSERT_EQUAL(count_events(t, "message.bounce"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "message.bounce", "nobody@hamburger.edu"));
    /* Alice reads the bounce. */
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER,
                                "Subject: Undelivered Mail Returned to Sender"), 1);
    /* RFC 3464: the report carries the receiving server's own status and
     * reply; the bounce stays on crepes.fr (no SMTP session for it). */
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "Status: 5.1.1"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "Remote-MTA: dns; hamburger.edu"),
                    1);
    CU_ASSERT_EQUAL(count_lines(t, NULL, MS_DIR_CLIENT, "MAIL FROM:<>"), 0);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void queue_retries_until_the_server_is_back(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-server-down-retry.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* Down for 50 min, retry every 20 min after each failed attempt (each
     * failure takes 127 s of SYN retransmissions: 1+2+4+8+16+32+64 s):
     * attempts at ~1 s, ~22 min, ~44 min fail; the fourth, ~66 min, works. */
    CU_ASSERT_EQUAL(count_events(t, "queue.attempt"), 4);
    CU_ASSERT_EQUAL(count_events(t, "queue.retry"), 3);
    /* Each relay connection carries its attempt number: three refused
     * (after their SYNs went unanswered) numbered 1, 2, 3, then 4. */
    guint opened = 0, refused = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_CONN_OPEN && strcmp(r->src, "crepes.fr") == 0)
            CU_ASSERT_EQUAL(r->count, ++opened);
        if (r->kind == MS_TRACE_CONN_REFUSED && strcmp(r->src, "crepes.fr") == 0)
            CU_ASSERT_EQUAL(r->count, ++refused);
        if (r->kind == MS_TRACE_CONN_OPEN && strcmp(r->src, "alice-pc") == 0)
            CU_ASSERT_EQUAL(r->count, 0);
    }
    CU_ASSERT_EQUAL(opened, 4);
    CU_ASSERT_EQUAL(refused, 3);
    const MsTraceRecord *d = find_event(t, "mailbox.deliver", "bob@hamburger.edu");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_TRUE(d->time > 50 * MS_MINUTE);
    CU_ASSERT_TRUE(d->time < 70 * MS_MINUTE);
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded"), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* The notes' "mail access protocols" figure: one push into Bob's server,
 * then three pulls opened by his devices, and the message still there. */
static void three_readers_pull_from_one_server(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/mail-access.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_conns(t, "crepes.fr", "hamburger.edu", 25), 1);
    CU_ASSERT_EQUAL(count_conns(t, "bob-pc", "hamburger.edu", 110), 1);
    CU_ASSERT_EQUAL(count_conns(t, "bob-phone", "hamburger.edu", 143), 1);
    CU_ASSERT_EQUAL(count_conns(t, "bob-browser", "hamburger.edu", 80), 1);
    /* POP3 RETR, IMAP FETCH (with its UID) and the web page all carry it. */
    CU_ASSERT_EQUAL(count_lines(t, "bob-pc", MS_DIR_CLIENT, "RETR 1"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "* 1 FETCH (UID 1 BODY[]"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "bob-browser", MS_DIR_CLIENT, "GET /message/1 HTTP/1.1"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "<title>Ketchup</title>"), 1);
    /* Download-and-keep, IMAP and the browser leave it on the server. */
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "state.mailbox", "bob@hamburger.edu holds 1 message"));
    CU_ASSERT_EQUAL(count_events(t, "mailbox.delete"), 0);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* Text with every run of white space made one space: what a wrapped
 * summary says, whatever the width (transfer full). */
static char *unwrap(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text; *p != '\0'; p++) {
        if (g_ascii_isspace(*p)) {
            if (out->len > 0 && out->str[out->len - 1] != ' ')
                g_string_append_c(out, ' ');
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

static char *summary_of(const char *path)
{
    MsScenario *sc = NULL;
    MsWorld *w = run(path, &sc);
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    options.scenario_file = path;
    options.seed = sc->seed;
    options.lang = "en";
    char *text = ms_report_summary(ms_world_trace(w), &options);
    ms_world_free(w);
    ms_scenario_free(sc);
    return text;
}

/* The end state's hosts stand in a column of their own, and a host too
 * long for that column (over 32 characters) is still kept apart from the
 * mailbox after it by two spaces. */
static void summary_end_state_hosts_in_a_column(void)
{
    static const char text[] =
        "scenario \"Long names\"\n"
        "server mail.department-of-computer-science.example.edu  domain crepes.fr\n"
        "server hamburger.edu  domain hamburger.edu\n"
        "server pizza.it  domain pizza.it\n"
        "agent alice-pc  user alice@crepes.fr  server mail.department-of-computer-science.example.edu\n"
        "agent bob-pc  user bob@hamburger.edu  server hamburger.edu\n"
        "agent carol-pc  user carol@pizza.it  server pizza.it\n"
        "link alice-pc mail.department-of-computer-science.example.edu  latency 2ms\n"
        "link mail.department-of-computer-science.example.edu hamburger.edu  latency 40ms\n"
        "link mail.department-of-computer-science.example.edu pizza.it  latency 40ms\n"
        "link bob-pc hamburger.edu  latency 2ms\n"
        "link carol-pc pizza.it  latency 2ms\n"
        "at 0s alice-pc send to bob@hamburger.edu subject \"Hi\" body \"Hello\"\n";
    MsScenario *sc = NULL;
    MsWorld *w = run_text(text, &sc);
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_file = "t.mss";
    options.seed = sc->seed;
    options.lang = "en";
    g_autofree char *summary = ms_report_summary(ms_world_trace(w), &options);
    CU_ASSERT_PTR_NOT_NULL(strstr(summary, "    mail.department-of-computer-science.example.edu"
                                           "  alice@crepes.fr"));
    CU_ASSERT_PTR_NOT_NULL(strstr(summary, "    hamburger.edu  bob@hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(strstr(summary, "    pizza.it       carol@pizza.it"));
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* The summary says what happened: web mail's POST is a push and its GET a
 * pull; no multipart message, no claim of one; long runs in clock time. */
static void summary_says_what_happened(void)
{
    g_autofree char *web = summary_of("scenarios/http-vs-smtp.mss");
    CU_ASSERT_PTR_NOT_NULL(strstr(web, "1 uploaded to the server (POST: a push), 0 fetched"));
    CU_ASSERT_PTR_NOT_NULL(strstr(web, "0 uploaded to the server (POST: a push), 2 fetched"));
    CU_ASSERT_PTR_NOT_NULL(strstr(web, "both ways: away from the opener (a push) on [1],"
                                       " toward it (a pull) on [5]"));
    CU_ASSERT_PTR_NULL(strstr(web, "no multipart message in this run"));
    CU_ASSERT_PTR_NOT_NULL(strstr(web, "none carried more than one message"));
    g_autofree char *access_text = summary_of("scenarios/mail-access.mss");
    g_autofree char *access = unwrap(access_text);
    CU_ASSERT_PTR_NOT_NULL(strstr(access, "no multipart message in this run"));
    CU_ASSERT_PTR_NOT_NULL(strstr(access, "no attachment fetched"));
    g_autofree char *multi = summary_of("scenarios/mime-multipart.mss");
    CU_ASSERT_PTR_NULL(strstr(multi, "no multipart message in this run"));
    g_autofree char *retry = summary_of("scenarios/smtp-server-down-retry.mss");
    /* Its SYNs went unanswered: a timeout, not a refusal. */
    CU_ASSERT_PTR_NOT_NULL(strstr(retry, "2.1 min (22:08.031 \u2192 24:15.031), timed out"));
    CU_ASSERT_PTR_NULL(strstr(retry, "refused"));
    g_autofree char *many = summary_of("scenarios/smtp-persistent.mss");
    CU_ASSERT_PTR_NOT_NULL(strstr(many, "]-["));
}

/* A stopped service refuses at once (RST within one round trip); a host
 * that is down stays silent until the relay's connect timeout.  Each
 * destination counts its own attempts. */
static void refused_port_and_silent_host(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-service-down.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    MsTime opened[2][4] = { { 0 } };
    guint n_open[2] = { 0 }, n_refused[2] = { 0 };
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->src == NULL || strcmp(r->src, "crepes.fr") != 0 || r->dst == NULL)
            continue;
        int d = strcmp(r->dst, "pizza.it") == 0;
        if (r->kind == MS_TRACE_CONN_OPEN && n_open[d] < 4)
            opened[d][n_open[d]++] = r->time;
        if (r->kind == MS_TRACE_CONN_REFUSED) {
            CU_ASSERT_EQUAL(r->count, n_refused[d] + 1); /* its attempt number */
            MsTime took = r->time - opened[d][n_refused[d]];
            if (d == 0) {
                /* one round trip on the 40 ms link, and a RST */
                CU_ASSERT_TRUE(took >= 80 * MS_MSEC && took < 81 * MS_MSEC);
                MS_ASSERT_STR(r->detail, "connection refused");
            } else {
                CU_ASSERT_EQUAL(took, 30 * MS_SEC);
                MS_ASSERT_STR(r->detail, "connection timed out after 30 s");
            }
            n_refused[d]++;
        }
    }
    CU_ASSERT_EQUAL(n_open[0], 3);
    CU_ASSERT_EQUAL(n_open[1], 3);
    CU_ASSERT_EQUAL(n_refused[0], 2);
    CU_ASSERT_EQUAL(n_refused[1], 2);
    /* The host stayed up: its other records say only that SMTP stopped. */
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "service.down", "service smtp on hamburger.edu down"));
    CU_ASSERT_PTR_NULL(find_event(t, "host.down", "host hamburger.edu down"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "bob@hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "carol@pizza.it"));
    ms_world_free(w);
    ms_scenario_free(sc);
    g_autofree char *summary = summary_of("scenarios/smtp-service-down.mss");
    const char *first = strstr(summary, "queue of crepes.fr (attempts: 3)");
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_PTR_NOT_NULL(strstr(first + 1, "queue of crepes.fr (attempts: 3)"));
    /* The stopped service refused with a RST; the host that was down did
     * not refuse anything: it never answered, and the attempt timed out. */
    g_autofree char *flat = unwrap(summary);
    const char *ex2 = strstr(flat, "[2] SMTP crepes.fr:49152 \u2192 hamburger.edu:25");
    const char *ex3 = strstr(flat, "[3] SMTP crepes.fr:49153 \u2192 pizza.it:25");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex3);
    CU_ASSERT_TRUE(ex2 < ex3);
    const char *rst = strstr(ex2, "refused (the server's TCP answered the SYN with RST)");
    CU_ASSERT_TRUE(rst != NULL && rst < ex3);
    const char *silent = strstr(ex3, "timed out (the SYN was never answered)");
    const char *ex4 = strstr(ex3, "[4] SMTP");
    CU_ASSERT_TRUE(silent != NULL && ex4 != NULL && silent < ex4);
    const char *refused3 = strstr(ex3, "refused");
    CU_ASSERT_TRUE(refused3 == NULL || refused3 > ex4);
    /* Past 10 s the timeline and the delay tables read as clock times and
     * durations, not millions of ms; each failed attempt names where to. */
    CU_ASSERT_PTR_NULL(strstr(summary, "1261035.376"));
    CU_ASSERT_PTR_NOT_NULL(strstr(flat, "21:01.035 crepes.fr: attempt 3: relaying"));
    CU_ASSERT_PTR_NOT_NULL(strstr(flat, "(attempts: 3) 1031.225 21:01.035 21 min"));
    CU_ASSERT_PTR_NOT_NULL(strstr(flat, "end to end (to the mailbox) 1000.000 21:01.575 21 min"));
    CU_ASSERT_PTR_NOT_NULL(strstr(flat, "1115.382 crepes.fr: attempt 1 for <1.1679572801@crepes.fr>"
                                        " to hamburger.edu failed (connection refused)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(flat, "0:31.035 crepes.fr: attempt 1 for <1.1679572801@crepes.fr>"
                                        " to pizza.it failed (connection timed out after 30 s)"));
}

/* A typed line carries the phase the server is in when it reads it, so
 * the heading of a phase comes before the line that starts it. */
static void typed_lines_carry_the_servers_phase(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("tests/data/scenario/typed-phases.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    guint checked = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || r->dir != MS_DIR_CLIENT || r->text == NULL)
            continue;
        const char *want = strcmp(r->text, "USER bob") == 0    ? "pop3.authorization"
                           : strcmp(r->text, "STAT") == 0      ? "pop3.transaction"
                           : strcmp(r->text, "a2 LOGOUT") == 0 ? "imap.authenticated"
                                                               : NULL;
        if (want != NULL) {
            MS_ASSERT_STR(r->phase, want);
            checked++;
        }
    }
    CU_ASSERT_EQUAL(checked, 3);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* Web steps at the login's instant wait for its Set-Cookie: every later
 * request carries the cookie, none goes out before the login's answer. */
static void web_steps_wait_for_the_login(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("tests/data/scenario/web-same-instant.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    gboolean cookie_set = FALSE;
    guint requests = 0, with_cookie = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || r->text == NULL)
            continue;
        if (r->dir == MS_DIR_SERVER && g_str_has_prefix(r->text, "Set-Cookie: session=s"))
            cookie_set = TRUE;
        if (r->dir == MS_DIR_CLIENT && (g_str_has_prefix(r->text, "GET ") ||
                                        g_str_has_prefix(r->text, "POST /send"))) {
            CU_ASSERT_TRUE(cookie_set);
            requests++;
        }
        if (r->dir == MS_DIR_CLIENT && g_str_has_prefix(r->text, "Cookie: session=s1"))
            with_cookie++;
    }
    CU_ASSERT_TRUE(requests >= 3);
    CU_ASSERT_EQUAL(with_cookie, requests);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "carol@hamburger.edu"));
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void bounce_reaches_the_sender(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-bounce.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* hamburger.edu takes the RCPT (unknown-users bounce), finds no
     * mailbox at delivery, and writes the bounce itself. */
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "550"), 0);
    CU_ASSERT_EQUAL(count_events(t, "message.bounce"), 1);
    CU_ASSERT_EQUAL(count_events(t, "mailbox.unknown"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "message.bounce", "@hamburger.edu>"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "alice@crepes.fr"));
    /* RFC 5321 4.5.5, 6.1: the bounce is a new SMTP session from
     * hamburger.edu to crepes.fr with the null reverse path. */
    CU_ASSERT_EQUAL(count_conns(t, "hamburger.edu", "crepes.fr", 25), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_CLIENT, "MAIL FROM:<> "), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "Return-Path: <>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_CLIENT,
                                "Content-Type: multipart/report; report-type=delivery-status"),
                    1);
    /* No retry for a 5xx. */
    CU_ASSERT_EQUAL(count_events(t, "queue.retry"), 0);
    /* RFC 3464: the report carries the mailbox's status; no server
     * answered with a reply, so there is no Remote-MTA; its header folds
     * with a space, never a tab. */
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_CLIENT, "Status: 5.1.1"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_CLIENT, "Remote-MTA:"), 0);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "\t"), 0);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_CLIENT, " boundary=\"bounce-"), 1);
    /* RFC 3848: the relay's session began with EHLO. */
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "Received: from alice-pc"
                                                               " (alice-pc) by crepes.fr with"
                                                               " ESMTP id 1;"), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* Accepted first, bounced later: the 250 that takes the message leaves
 * before delivery finds there is no mailbox bobby and writes the bounce
 * (RFC 5321 6.1), so the transcript and the slide tell it in that order. */
static void bounce_comes_after_the_250(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-bounce.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    const MsTraceRecord *accepted = NULL;
    for (guint64 i = 0; i < ms_trace_length(t) && accepted == NULL; i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_SERVER &&
            strcmp(r->src, "hamburger.edu") == 0 && g_str_has_prefix(r->text, "250 2.0.0"))
            accepted = r;
    }
    const MsTraceRecord *unknown = find_event(t, "mailbox.unknown", NULL);
    const MsTraceRecord *bounce = find_event(t, "message.bounce", NULL);
    const MsTraceRecord *queued = find_event(t, "queue.add", ".bounce@hamburger.edu>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(accepted);
    CU_ASSERT_PTR_NOT_NULL_FATAL(unknown);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bounce);
    CU_ASSERT_PTR_NOT_NULL_FATAL(queued);
    CU_ASSERT_TRUE(accepted->id < unknown->id);
    CU_ASSERT_TRUE(unknown->id < bounce->id);
    CU_ASSERT_TRUE(bounce->id < queued->id);
    CU_ASSERT_TRUE(accepted->time <= unknown->time);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void dots_are_stuffed_on_the_wire(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-dot-stuffing.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* The body's "." line and "..and" line go out doubled, from both the
     * agent and the relay; the only lone "." lines are the two ends of data. */
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "...and this line"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "...and this line"), 1);
    guint lone = 0, doubled = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || strcmp(r->src, "alice-pc") != 0)
            continue;
        lone += strcmp(r->text, ".") == 0;
        doubled += strcmp(r->text, "..") == 0;
    }
    CU_ASSERT_EQUAL(lone, 1);
    CU_ASSERT_EQUAL(doubled, 1);
    /* POP3 byte-stuffs too (RFC 1939 3), so Bob's RETR shows them doubled. */
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "...and this line"), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void eight_bit_needs_8bitmime(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-8bit.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "554"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "walter-pc", MS_DIR_CLIENT,
                                "MAIL FROM:<walter@waffles.be> SIZE=168 BODY=8BITMIME"), 1);
    CU_ASSERT_TRUE(count_lines(t, "walter-pc", MS_DIR_CLIENT, "MAIL FROM:") == 3);
    /* Bob gets Walter's 8-bit message and Alice's MIME one, not her raw
     * one; Walter gets his bounce. */
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded"), 3);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT,
                                "Content-Transfer-Encoding: quoted-printable"), 1);
    /* RFC 6152 3 at the relay: pizza.it has no 8BITMIME.  The MIME message
     * is converted and delivered, the raw one returned at once (5.6.3):
     * one connection each, never a retry. */
    CU_ASSERT_EQUAL(count_conns(t, "waffles.be", "pizza.it", 25), 2);
    CU_ASSERT_EQUAL(count_events(t, "queue.converted"), 1);
    CU_ASSERT_EQUAL(count_events(t, "queue.retry"), 0);
    CU_ASSERT_EQUAL(count_lines(t, "waffles.be", MS_DIR_CLIENT,
                                "Content-Transfer-Encoding: quoted-printable"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "carol@pizza.it"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "queue.remove", "cannot be converted to 7-bit MIME"));
    CU_ASSERT_EQUAL(count_lines(t, "waffles.be", MS_DIR_SERVER, "Status: 5.6.3"), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void typed_dialogue_delivers_and_bare_lf_is_refused(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-try-it-yourself.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "HELO crepes.fr"), 2);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "354"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "500"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "bob@hamburger.edu"));
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded"), 1);
    /* The bare LF is kept in the trace as it was typed. */
    guint bare = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && g_strcmp0(r->eol, "\n") == 0)
            bare++;
    }
    CU_ASSERT_EQUAL(bare, 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}


/* The messages a host received by POP3 RETR, rebuilt from the trace: runs
 * of "pop3.data.line" lines sent to `dst`, byte-unstuffed (RFC 1939 3). */
static GPtrArray *retrieved_messages(MsTrace *trace, const char *dst)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
    GString *cur = NULL;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE || strcmp(r->dst, dst) != 0 || r->dir != MS_DIR_SERVER)
            continue;
        gboolean data = g_strcmp0(r->note, "pop3.data.line") == 0;
        if (data) {
            if (cur == NULL)
                cur = g_string_new(NULL);
            const char *text = r->text[0] == '.' ? r->text + 1 : r->text;
            g_string_append(cur, text);
            g_string_append(cur, "\r\n");
        } else if (cur != NULL) {
            g_ptr_array_add(out, g_string_free_to_bytes(cur));
            cur = NULL;
        }
    }
    if (cur != NULL)
        g_ptr_array_add(out, g_string_free_to_bytes(cur));
    return out;
}

static const MsMimePart *find_part(const MsMimePart *part, const char *type)
{
    if (g_ascii_strcasecmp(ms_mime_part_type(part), type) == 0)
        return part;
    for (guint i = 0; i < ms_mime_part_n_children(part); i++) {
        const MsMimePart *found = find_part(ms_mime_part_child(part, i), type);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static void header_is_not_the_envelope(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/message-format.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* Carol gets the message by RCPT TO, but no header line names her. */
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO:<carol@hamburger.edu>"), 1);
    g_autoptr(GPtrArray) bobs = retrieved_messages(t, "bob-pc");
    g_autoptr(GPtrArray) carols = retrieved_messages(t, "carol-pc");
    CU_ASSERT_EQUAL_FATAL(bobs->len, 1);
    CU_ASSERT_EQUAL_FATAL(carols->len, 1);
    gsize len = 0;
    const char *text = g_bytes_get_data(g_ptr_array_index(bobs, 0), &len);
    g_autofree char *copy = g_strndup(text, len);
    CU_ASSERT_PTR_NULL(strstr(copy, "carol"));
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(g_ptr_array_index(bobs, 0), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    /* The forged From: versus the envelope's reverse path. */
    CU_ASSERT_STRING_EQUAL(ms_message_get(msg, "From"),
                           "The Queen of Hearts <queen@wonderland.example>");
    CU_ASSERT_STRING_EQUAL(ms_message_get(msg, "Return-Path"), "<alice@crepes.fr>");
    g_auto(GStrv) received = ms_message_get_all(msg, "Received");
    CU_ASSERT_EQUAL(g_strv_length(received), 2);
    /* The transcript says so on Carol's RCPT TO lines (both hops), and
     * only there: Bob is in To:. */
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    options.scenario_file = "scenarios/message-format.mss";
    options.seed = sc->seed;
    options.lang = "en";
    g_autofree char *wrapped = ms_report_transcript(t, &options);
    g_autofree char *flat = unwrap(wrapped);
    const char *note = "\u21b3 this recipient is in no To: or Cc: line of the message: a Bcc"
                       " recipient, named only in the envelope (RCPT TO)";
    guint notes = 0;
    for (const char *p = strstr(flat, note); p != NULL; p = strstr(p + 1, note)) {
        notes++;
        const char *rcpt = g_strrstr_len(flat, p - flat, "RCPT TO:<");
        CU_ASSERT_TRUE(rcpt != NULL && g_str_has_prefix(rcpt, "RCPT TO:<carol@hamburger.edu>"));
    }
    CU_ASSERT_EQUAL(notes, 2);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* "Bob Smith" <bob@hamburger.edu> in a scenario: the user agent writes the
 * display names into To:, Cc: and From: (quoted or encoded as RFC 5322
 * and RFC 2047 want), while MAIL FROM and RCPT TO carry the addresses. */
static void display_names_stay_out_of_the_envelope(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("tests/data/scenario/display-names.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "MAIL FROM:<alice@crepes.fr>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO:<bob@hamburger.edu>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO:<carol@hamburger.edu>"),
                    1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO"), 2);
    /* The header lines as they go over the wire, in the DATA. */
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT,
                                "From: \"Alice L.\" <alice@crepes.fr>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT,
                                "To: Bob Smith <bob@hamburger.edu>, \"Smith, Carol\" "
                                "<carol@hamburger.edu>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT,
                                "Cc: =?UTF-8?B?5byg5LiJ?= <bob@hamburger.edu>"), 1);
    g_autoptr(GPtrArray) bobs = retrieved_messages(t, "bob-pc");
    CU_ASSERT_EQUAL_FATAL(bobs->len, 1);
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(g_ptr_array_index(bobs, 0), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_STRING_EQUAL(ms_message_get(msg, "Return-Path"), "<alice@crepes.fr>");
    CU_ASSERT_STRING_EQUAL(ms_message_get(msg, "Cc"), "=?UTF-8?B?5byg5LiJ?= <bob@hamburger.edu>");
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* More addresses than the composer's lists keep on the stack (23 entries
 * with their ends): every one is a recipient, the header names To and Cc
 * only, display names included. */
static void many_recipients_all_reached(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("tests/data/scenario/many-recipients.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO"), 20);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO:<r11@hamburger.edu>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO:<c5@hamburger.edu>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "RCPT TO:<b3@hamburger.edu>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT, "Bcc:"), 0);
    g_autoptr(GPtrArray) bobs = retrieved_messages(t, "bob-pc");
    CU_ASSERT_EQUAL_FATAL(bobs->len, 1);
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(g_ptr_array_index(bobs, 0), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    const char *to = ms_message_get(msg, "To");
    CU_ASSERT_PTR_NOT_NULL_FATAL(to);
    CU_ASSERT_PTR_NOT_NULL(strstr(to, "Bob Smith <bob@hamburger.edu>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(to, "r10@hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(strstr(to, "Reader Eleven <r11@hamburger.edu>"));
    const char *cc = ms_message_get(msg, "Cc");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cc);
    CU_ASSERT_PTR_NOT_NULL(strstr(cc, "c1@hamburger.edu"));
    CU_ASSERT_PTR_NOT_NULL(strstr(cc, "c5@hamburger.edu"));
    CU_ASSERT_PTR_NULL(ms_message_get(msg, "Bcc"));
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* scenarios/reply-forward.mss: the header fields that make a thread
 * (RFC 5322 3.6.4) and a forward's message/rfc822 part (RFC 2046 5.2.1),
 * checked on the messages as the readers downloaded them. */
static void replies_thread_and_forwards_nest(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/reply-forward.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    g_autoptr(GPtrArray) bobs = retrieved_messages(t, "bob-pc");
    g_autoptr(GPtrArray) alices = retrieved_messages(t, "alice-pc");
    g_autoptr(GPtrArray) carols = retrieved_messages(t, "carol-pc");
    CU_ASSERT_EQUAL_FATAL(bobs->len, 2);
    CU_ASSERT_EQUAL_FATAL(alices->len, 1);
    CU_ASSERT_EQUAL_FATAL(carols->len, 1);
    g_autoptr(MsMessage) original = ms_message_parse_bytes(g_ptr_array_index(bobs, 0), NULL);
    g_autoptr(MsMessage) reply = ms_message_parse_bytes(g_ptr_array_index(alices, 0), NULL);
    g_autoptr(MsMessage) answer = ms_message_parse_bytes(g_ptr_array_index(bobs, 1), NULL);
    g_autoptr(MsMessage) forward = ms_message_parse_bytes(g_ptr_array_index(carols, 0), NULL);
    CU_ASSERT_FATAL(original != NULL && reply != NULL && answer != NULL && forward != NULL);
    const char *mid1 = ms_message_get(original, "Message-ID");
    const char *mid2 = ms_message_get(reply, "Message-ID");
    CU_ASSERT_FATAL(mid1 != NULL && mid2 != NULL);
    CU_ASSERT_STRING_NOT_EQUAL(mid1, mid2);
    CU_ASSERT_PTR_NULL(ms_message_get(original, "In-Reply-To"));
    /* Bob's reply: to the original's From, tied to it by its Message-ID. */
    g_autofree char *re = g_strconcat("Re: ", ms_message_get(original, "Subject"), NULL);
    MS_ASSERT_STR(ms_message_get(reply, "Subject"), re);
    g_autofree char *author = ms_message_addr_spec(ms_message_get(original, "From"));
    g_autofree char *to = ms_message_addr_spec(ms_message_get(reply, "To"));
    MS_ASSERT_STR(to, author);
    MS_ASSERT_STR(ms_message_get(reply, "In-Reply-To"), mid1);
    MS_ASSERT_STR(ms_message_get(reply, "References"), mid1);
    CU_ASSERT_EQUAL(count_lines(t, "bob-pc", MS_DIR_CLIENT, "RCPT TO:<alice@crepes.fr>"), 1);
    /* On the wire of the submission, as the user agent wrote them. */
    g_autofree char *irt = g_strdup_printf("In-Reply-To: %s", mid1);
    g_autofree char *refs = g_strdup_printf("References: %s", mid1);
    CU_ASSERT_EQUAL(count_lines(t, "bob-pc", MS_DIR_CLIENT, irt), 1);
    CU_ASSERT_EQUAL(count_lines(t, "bob-pc", MS_DIR_CLIENT, refs), 1);
    CU_ASSERT_EQUAL(count_lines(t, "bob-pc", MS_DIR_CLIENT, "Content-Type: message/rfc822"), 1);
    /* Alice's answer to the reply: one "Re:", and the thread grows. */
    MS_ASSERT_STR(ms_message_get(answer, "Subject"), re);
    MS_ASSERT_STR(ms_message_get(answer, "In-Reply-To"), mid2);
    g_autofree char *thread = g_strdup_printf("%s %s", mid1, mid2);
    MS_ASSERT_STR(ms_message_get(answer, "References"), thread);
    /* The reply quotes the original's text. */
    g_autoptr(GBytes) body = ms_message_body(reply);
    g_autofree char *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\r\n> Do you like ketchup?\r\n"));
    /* The forward: "Fwd:", and the original whole, not base64. */
    g_autofree char *fwd = g_strconcat("Fwd: ", ms_message_get(original, "Subject"), NULL);
    MS_ASSERT_STR(ms_message_get(forward, "Subject"), fwd);
    CU_ASSERT_PTR_NULL(ms_message_get(forward, "In-Reply-To"));
    g_autoptr(MsMimePart) root = ms_mime_parse(forward);
    const MsMimePart *inner = find_part(root, "message/rfc822");
    CU_ASSERT_PTR_NOT_NULL_FATAL(inner);
    CU_ASSERT_EQUAL(ms_mime_part_encoding(inner), MS_TE_7BIT);
    g_autoptr(GBytes) nested = ms_mime_part_decode(inner, NULL);
    CU_ASSERT_TRUE(g_bytes_equal(nested, g_ptr_array_index(bobs, 0)));
    CU_ASSERT_EQUAL(count_events(t, "action.reply"), 2);
    CU_ASSERT_EQUAL(count_events(t, "action.forward"), 1);
    CU_ASSERT_EQUAL(count_events(t, "reply.no-original"), 0);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* A reply whose original is not there when it fires (the fetch is still
 * under way, or no message has that subject) is a note, and nothing is
 * sent; the run goes on. */
static void answer_without_original_is_a_note(void)
{
    static const char text[] =
        "server crepes.fr domain crepes.fr\n"
        "server hamburger.edu domain hamburger.edu\n"
        "agent alice-pc user alice@crepes.fr server crepes.fr\n"
        "agent bob-pc user bob@hamburger.edu server hamburger.edu password x\n"
        "link crepes.fr hamburger.edu latency 40ms\n"
        "link alice-pc crepes.fr\nlink bob-pc hamburger.edu\n"
        "at 0s alice-pc send to bob@hamburger.edu subject \"Ketchup\"\n"
        "at 5s bob-pc pop3 fetch\n"
        "at 5001ms bob-pc reply 1 body \"too early\"\n"
        "at 20s bob-pc forward \"Mustard\" to alice@crepes.fr\n"
        "at 21s bob-pc reply 2\n"
        "at 22s bob-pc forward \"Ketchup\" to alice@crepes.fr\n";
    g_autoptr(MsScenario) sc = NULL;
    MsWorld *w = run_text(text, &sc);
    MsTrace *t = ms_world_trace(w);
    /* (counted in English: "0 messages", "1 message") */
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "reply.no-original", "cannot reply to message 1: it "
                                                             "has downloaded 0 messages so far"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "forward.no-original", "cannot forward \"Mustard\": "
                                                               "the 1 message it has downloaded"
                                                               " does not have that subject"));
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "reply.no-original", "cannot reply to message 2: it "
                                                             "has downloaded 1 message so far"));
    /* Only the original and the one forward that found it were written. */
    CU_ASSERT_EQUAL(count_events(t, "message.composed"), 2);
    CU_ASSERT_EQUAL(count_events(t, "action.forward"), 1);
    ms_world_free(w);
}

static void picture_survives_base64(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/mime-picture.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    gsize jpeg_len = 0;
    g_autofree char *jpeg = ms_test_read_file("scenarios/files/ketchup.jpg", &jpeg_len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(jpeg);
    /* RFC 2045 6.8: 57 bytes per 76-character line; 4 * ceil(n / 3) chars. */
    guint full_lines = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && strcmp(r->src, "alice-pc") == 0 && strlen(r->text) == 76)
            full_lines++;
    }
    CU_ASSERT_EQUAL(full_lines, jpeg_len / 57);
    /* The note on the growth: 4 * ceil(3436 / 3) = 4584 characters, plus a
     * CRLF for each of the ceil(4584 / 76) = 61 lines: 4706 bytes. */
    const MsTraceRecord *grow = find_event(t, "message.attachment", "ketchup.jpg");
    CU_ASSERT_PTR_NOT_NULL_FATAL(grow);
    CU_ASSERT_EQUAL(jpeg_len, 3436);
    CU_ASSERT_EQUAL(grow->count, 4706);
    /* Every line Alice's agent sent is 7-bit. */
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && strcmp(r->src, "alice-pc") == 0)
            CU_ASSERT_TRUE(ms_message_is_7bit(r->text, strlen(r->text)));
    }
    g_autoptr(GPtrArray) got = retrieved_messages(t, "bob-pc");
    CU_ASSERT_EQUAL_FATAL(got->len, 1);
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(g_ptr_array_index(got, 0), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    const MsMimePart *image = find_part(root, "image/jpeg");
    CU_ASSERT_PTR_NOT_NULL_FATAL(image);
    CU_ASSERT_EQUAL(ms_mime_part_encoding(image), MS_TE_BASE64);
    g_autoptr(GBytes) decoded = ms_mime_part_decode(image, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(decoded);
    CU_ASSERT_EQUAL(g_bytes_get_size(decoded), jpeg_len);
    CU_ASSERT_TRUE(memcmp(g_bytes_get_data(decoded, NULL), jpeg, jpeg_len) == 0);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void multipart_has_its_parts(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/mime-multipart.mss", &sc);
    g_autoptr(GPtrArray) got = retrieved_messages(ms_world_trace(w), "bob-pc");
    CU_ASSERT_EQUAL_FATAL(got->len, 1);
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(g_ptr_array_index(got, 0), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    CU_ASSERT_STRING_EQUAL(ms_mime_part_type(root), "multipart/mixed");
    CU_ASSERT_EQUAL_FATAL(ms_mime_part_n_children(root), 2);
    const MsMimePart *alt = ms_mime_part_child(root, 0);
    CU_ASSERT_STRING_EQUAL(ms_mime_part_type(alt), "multipart/alternative");
    CU_ASSERT_PTR_NOT_NULL(find_part(alt, "text/plain"));
    CU_ASSERT_PTR_NOT_NULL(find_part(alt, "text/html"));
    CU_ASSERT_STRING_EQUAL(ms_mime_part_filename(ms_mime_part_child(root, 1)), "ketchup.jpg");
    const MsMimePart *plain = find_part(alt, "text/plain");
    g_autoptr(GBytes) text = ms_mime_part_decode(plain, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    g_autofree char *s = g_strndup(g_bytes_get_data(text, NULL), g_bytes_get_size(text));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Crêpes with ketchup"));
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void chinese_travels_as_7bit(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/mime-chinese.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE)
            CU_ASSERT_TRUE(ms_message_is_7bit(r->text, strlen(r->text)));
    }
    g_autoptr(GPtrArray) got = retrieved_messages(t, "bob-pc");
    CU_ASSERT_EQUAL_FATAL(got->len, 2);
    const MsTransferEncoding expect[] = { MS_TE_QUOTED_PRINTABLE, MS_TE_BASE64 };
    for (guint i = 0; i < 2; i++) {
        g_autoptr(MsMessage) msg = ms_message_parse_bytes(g_ptr_array_index(got, i), NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        g_autofree char *subject = ms_message_get_decoded(msg, "Subject");
        CU_ASSERT_TRUE(g_str_has_prefix(subject, "邮件测试"));
        g_autoptr(MsMimePart) root = ms_mime_parse(msg);
        CU_ASSERT_EQUAL(ms_mime_part_encoding(root), expect[i]);
        g_autoptr(GBytes) body = ms_mime_part_decode(root, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(body);
        g_autofree char *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
        CU_ASSERT_PTR_NOT_NULL(strstr(text, "这是一封测试邮件。"));
    }
    ms_world_free(w);
    ms_scenario_free(sc);
}

static guint downloads_by(MsTrace *trace, const char *host)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE && g_strcmp0(r->note, "message.downloaded") == 0 &&
            g_strcmp0(r->src, host) == 0)
            n++;
    }
    return n;
}

static void pop3_textbook_session(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/pop3-basic.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    const char *typed[] = { "user bob", "pass hungry", "list", "retr 1", "dele 1", "retr 2",
                            "dele 2", "quit" };
    for (gsize i = 0; i < G_N_ELEMENTS(typed); i++)
        CU_ASSERT_EQUAL(count_lines(t, "bob-pc", MS_DIR_CLIENT, typed[i]), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "+OK POP3 server ready"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "+OK POP3 server signing off"), 1);
    /* RFC 1939 6: the deletions happen in the update state, after quit. */
    MsTime quit = -1;
    guint deleted_before = 0, deleted_after = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && strcmp(r->text, "quit") == 0)
            quit = r->time;
        if (r->kind == MS_TRACE_MAILBOX && g_strcmp0(r->note, "mailbox.delete") == 0) {
            if (quit < 0 || r->time <= quit)
                deleted_before++;
            else
                deleted_after++;
        }
    }
    CU_ASSERT_EQUAL(deleted_before, 0);
    CU_ASSERT_EQUAL(deleted_after, 2);
    CU_ASSERT_EQUAL(downloads_by(t, "bob-pc"), 2);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void pop3_delete_versus_keep(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/pop3-delete-vs-keep.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* Second check: Bob's maildrop holds only the new message, Carol's all
     * three, and UIDL keeps her agent from downloading the old ones again. */
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "+OK bob's maildrop has 2"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "+OK bob's maildrop has 1"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "+OK carol's maildrop has 3"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "carol-pc", MS_DIR_CLIENT, "DELE"), 0);
    CU_ASSERT_EQUAL(count_lines(t, "carol-pc", MS_DIR_CLIENT, "UIDL"), 2);
    CU_ASSERT_EQUAL(downloads_by(t, "bob-pc"), 3);
    CU_ASSERT_EQUAL(downloads_by(t, "carol-pc"), 3);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void pop3_changing_clients(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/pop3-two-clients.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(downloads_by(t, "bob-pc"), 1);
    CU_ASSERT_EQUAL(downloads_by(t, "bob-laptop"), 0);
    CU_ASSERT_EQUAL(downloads_by(t, "carol-pc"), 1);
    CU_ASSERT_EQUAL(downloads_by(t, "carol-laptop"), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void pop3_lock_and_bad_password(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/pop3-lock.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER,
                                "-ERR maildrop already locked"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "bob-phone", MS_DIR_CLIENT, "PASS wrong"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "-ERR"), 2);
    /* The PC gets both; the phone gets both on its second try, and nothing
     * new later (download-and-keep with UIDL). */
    CU_ASSERT_EQUAL(downloads_by(t, "bob-pc"), 2);
    CU_ASSERT_EQUAL(downloads_by(t, "bob-phone"), 2);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static MsTime first_event_time(MsTrace *trace, const char *key, const char *host, guint nth)
{
    guint seen = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind != MS_TRACE_LINE && g_strcmp0(r->note, key) == 0 &&
            (host == NULL || g_strcmp0(r->src, host) == 0) && ++seen == nth)
            return r->time;
    }
    return -1;
}

static void imap_folders_persist(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/imap-folders.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* Two sessions, two connections; the second one's LIST still shows the
     * folder the first created, and the moved message is read from it. */
    CU_ASSERT_EQUAL(count_conns(t, "bob-pc", "hamburger.edu", 143), 2);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "* LIST () \"/\" Recipes"),
                    2);
    CU_ASSERT_EQUAL(count_lines(t, "hamburger.edu", MS_DIR_SERVER, "* 1 EXISTS"), 1);
    guint moved_read = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_SERVER && r->time > 60 * MS_SEC &&
            strcmp(r->text, "Subject: Ketchup recipe") == 0)
            moved_read++;
    }
    CU_ASSERT_EQUAL(moved_read, 1);
    /* Nothing is ever deleted from the server. */
    CU_ASSERT_EQUAL(count_events(t, "mailbox.delete"), 0);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void imap_devices_share_flags(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/imap-two-devices.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* The PC's STORE reaches the idling phone as untagged FETCH FLAGS. */
    guint pushed = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_SERVER &&
            strcmp(r->dst, "bob-phone") == 0 && strstr(r->text, "FETCH (") != NULL &&
            strstr(r->text, "\\Flagged") != NULL)
            pushed++;
    }
    CU_ASSERT_EQUAL(pushed, 1);
    /* The phone is told of the new message while idling, before the PC
     * even logs in. */
    MsTime noticed = first_event_time(t, "message.noticed", "bob-phone", 1);
    CU_ASSERT_TRUE(noticed > 0 && noticed < 10 * MS_SEC);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void idle_beats_polling(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/imap-idle-vs-polling.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    for (guint n = 1; n <= 2; n++) {
        /* Delivery to bob, then to carol, in the same relay session. */
        MsTime delivered = first_event_time(t, "mailbox.deliver", NULL, 2 * n - 1);
        MsTime bob = first_event_time(t, "message.noticed", "bob-pc", n);
        MsTime carol = first_event_time(t, "message.downloaded", "carol-pc", n);
        CU_ASSERT_TRUE(delivered > 0 && bob > 0 && carol > 0);
        /* IDLE: one 2 ms hop plus transmission after delivery.  Polling:
         * the next poll, at a multiple of 5 min. */
        CU_ASSERT_TRUE(bob - delivered < 10 * MS_MSEC);
        CU_ASSERT_TRUE(carol - delivered > 2 * MS_MINUTE);
        CU_ASSERT_TRUE(carol - delivered <= 5 * MS_MINUTE + MS_SEC);
    }
    /* One connection for Bob; one per poll (0, 5, 10, 15 min) for Carol. */
    CU_ASSERT_EQUAL(count_conns(t, "bob-pc", "hamburger.edu", 143), 1);
    CU_ASSERT_EQUAL(count_conns(t, "carol-pc", "hamburger.edu", 143), 4);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void web_mail_uses_http_then_smtp(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/http-vs-smtp.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    /* The browsers speak HTTP to their own servers; the servers SMTP. */
    CU_ASSERT_EQUAL(count_conns(t, "alice-browser", "crepes.fr", 80), 1);
    CU_ASSERT_EQUAL(count_conns(t, "bob-browser", "hamburger.edu", 80), 1);
    /* One relay for the browser's message, one for the PC's picture. */
    CU_ASSERT_EQUAL(count_conns(t, "crepes.fr", "hamburger.edu", 25), 2);
    CU_ASSERT_EQUAL(count_conns(t, "alice-browser", "crepes.fr", 25), 0);
    CU_ASSERT_EQUAL(count_lines(t, "alice-browser", MS_DIR_CLIENT, "POST /send HTTP/1.1"), 1);
    /* The message the browser sent says, on top of its header, that
     * crepes.fr took it by HTTP from alice-browser (RFC 5321 4.4's trace
     * line, as web-mail services write it); the PC's message says ESMTP. */
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "Received: from alice-browser "
                                "(alice-browser) by crepes.fr with HTTP;"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "Received: "), 2);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_CLIENT, "Received: from alice-pc "
                                "(alice-pc) by crepes.fr with ESMTP id 1;"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "bob@hamburger.edu"));
    /* Bob's browser gets the message as a web page after the delivery. */
    MsTime delivered = first_event_time(t, "mailbox.deliver", NULL, 1);
    guint shown = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind == MS_TRACE_LINE && strcmp(r->dst, "bob-browser") == 0 &&
            strstr(r->text, "Do you like ketchup?") != NULL) {
            CU_ASSERT_TRUE(r->time > delivered);
            shown++;
        }
    }
    CU_ASSERT_EQUAL(shown, 1);
    /* One persistent HTTP connection each, whatever the number of pages. */
    CU_ASSERT_TRUE(count_lines(t, "bob-browser", MS_DIR_CLIENT, "GET ") >= 3);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* The JSON object of exchange `conn` in the summary member of trace.json. */
static JsonObject *summary_exchange(JsonParser *parser, guint conn)
{
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonObject *summary = json_object_get_object_member(root, "summary");
    JsonArray *list = json_object_get_array_member(summary, "exchanges");
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *e = json_array_get_object_element(list, i);
        if (json_object_get_int_member(e, "conn") == conn)
            return e;
    }
    return NULL;
}

/* http-vs-smtp, one response per object: SMTP carried Alice's picture
 * inside one multipart message (one DATA per hop); Bob's browser gets the
 * page with GET /message/2, then the picture with a GET of its own on the
 * same connection, as image/jpeg with its own Content-Length: the file's
 * size, its octets decoded from base64.  The summary counts both. */
static void web_mail_fetches_each_attachment(void)
{
    gsize jpeg_size = 0;
    g_autofree char *jpeg = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents("scenarios/files/ketchup.jpg", &jpeg, &jpeg_size,
                                             NULL));
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/http-vs-smtp.mss", &sc);
    MsTrace *t = ms_world_trace(w);

    /* Bob's requests in order, on one connection; what answered each. */
    g_autoptr(GPtrArray) requests = g_ptr_array_new();
    guint bob_conn = 0, statuses = 0, part_status = 0, binary_len = 0;
    gboolean in_part = FALSE, jpeg_type = FALSE, length_ok = FALSE;
    g_autofree char *want_length = g_strdup_printf("Content-Length: %" G_GSIZE_FORMAT, jpeg_size);
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || g_strcmp0(r->protocol, "HTTP") != 0)
            continue;
        if (r->dir == MS_DIR_CLIENT && strcmp(r->src, "bob-browser") == 0 &&
            g_str_has_prefix(r->text, "GET ")) {
            if (bob_conn == 0)
                bob_conn = r->conn;
            CU_ASSERT_EQUAL(r->conn, bob_conn);
            g_ptr_array_add(requests, (gpointer) r->text);
            in_part = strstr(r->text, "/part/") != NULL;
        } else if (r->dir == MS_DIR_SERVER && r->conn == bob_conn && bob_conn != 0) {
            if (g_str_has_prefix(r->text, "HTTP/1.1 ")) {
                if (in_part)
                    part_status = (guint) g_ascii_strtoull(r->text + 9, NULL, 10);
            } else if (in_part && strcmp(r->text, "Content-Type: image/jpeg") == 0) {
                jpeg_type = TRUE;
            } else if (in_part && strcmp(r->text, want_length) == 0) {
                length_ok = TRUE;
            } else if (in_part && ms_report_line_is_binary(r)) {
                binary_len = r->len;
                MS_ASSERT_STR(r->note, "http.body.binary");
            }
        }
    }
    /* GET /message/2, then its picture, each its own request/response. */
    gboolean page_then_part = FALSE;
    for (guint i = 0; i + 1 < requests->len; i++) {
        if (strcmp(g_ptr_array_index(requests, i), "GET /message/2 HTTP/1.1") == 0)
            page_then_part = strcmp(g_ptr_array_index(requests, i + 1),
                                    "GET /message/2/part/2 HTTP/1.1") == 0;
    }
    CU_ASSERT_TRUE(page_then_part);
    CU_ASSERT_EQUAL(count_lines(t, "bob-browser", MS_DIR_CLIENT, "GET /message/2/part/"), 1);
    CU_ASSERT_EQUAL(part_status, 200);
    CU_ASSERT_TRUE(jpeg_type);
    CU_ASSERT_TRUE(length_ok);
    CU_ASSERT_EQUAL(binary_len, jpeg_size);
    /* What TCP carried from the server is what its lines say, the
     * picture's octets included as they are (not its stand-in text). */
    guint64 wire = 0, said = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->conn != bob_conn || r->dir != MS_DIR_SERVER)
            continue;
        if (r->kind == MS_TRACE_SEGMENT_SENT && r->retransmit == 0)
            wire += r->len;
        if (r->kind == MS_TRACE_LINE) {
            statuses += g_str_has_prefix(r->text, "HTTP/1.1 ");
            said += ms_report_line_is_binary(r) ? r->len : strlen(r->text) + strlen(r->eol);
        }
    }
    CU_ASSERT_EQUAL(wire, said);
    CU_ASSERT_TRUE(wire > jpeg_size);

    /* SMTP: one DATA per hop carried the text and the picture together. */
    guint data_cmds = 0, base64_parts = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || g_strcmp0(r->protocol, "SMTP") != 0 ||
            r->dir != MS_DIR_CLIENT)
            continue;
        data_cmds += strcmp(r->text, "DATA") == 0;
        base64_parts += g_ascii_strcasecmp(r->text, "Content-Transfer-Encoding: base64") == 0;
    }
    CU_ASSERT_EQUAL(data_cmds, 3);   /* Ketchup's relay; the picture's submission and relay */
    CU_ASSERT_EQUAL(base64_parts, 2); /* the picture, once per hop */

    /* The summary counts them: in trace.json ... */
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    gsize len = 0;
    g_autofree char *json = ms_report_json(t, &options, &len);
    g_autoptr(JsonParser) parser = json_parser_new();
    CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, json, (gssize) len, NULL));
    JsonObject *web = summary_exchange(parser, bob_conn);
    CU_ASSERT_PTR_NOT_NULL_FATAL(web);
    CU_ASSERT_EQUAL(json_object_get_int_member(web, "http_responses"), statuses);
    CU_ASSERT_EQUAL(json_object_get_int_member(web, "http_parts"), 1);
    guint multipart_hops = 0;
    for (guint c = 1; c < bob_conn; c++) {
        JsonObject *e = summary_exchange(parser, c);
        if (e != NULL && json_object_has_member(e, "multipart_messages")) {
            multipart_hops++;
            CU_ASSERT_EQUAL(json_object_get_int_member(e, "most_parts"), 2);
        }
    }
    CU_ASSERT_EQUAL(multipart_hops, 2);
    /* ... and in summary.txt. */
    g_autofree char *wrapped = ms_report_summary(t, &options);
    g_autofree char *text = unwrap(wrapped);
    g_autofree char *responses = g_strdup_printf("responses %u, one object each; 1 of them an"
                                                 " attachment", statuses);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, responses));
    /* One message, two transfers: each count gets its own number. */
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "MIME parts 1 multipart message with 2 parts, every"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "one message: all its parts travel together in one"
                                        " multipart message (this run: 2 multipart message"
                                        " transfers, up to 2 parts each"));
    CU_ASSERT_PTR_NULL(strstr(text, "(s)"));
    options.lang = "zh";
    g_autofree char *zh = ms_report_summary(t, &options);
    CU_ASSERT_PTR_NOT_NULL(strstr(zh, "1 封多部分邮件，每封最多 2 个部分"));
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* pop3-stat-rset: the first visit's RSET undoes real marks, so its QUIT
 * removes nothing and its note says so; the second visit's QUIT removes
 * both messages.  The notes read so in both languages. */
static void pop3_rset_notes_depend_on_the_marks(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/pop3-stat-rset.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    g_autoptr(GPtrArray) quit_notes = g_ptr_array_new();
    guint rset_with_marks = 0, rset_without = 0;
    for (guint64 i = 0; i < ms_trace_length(t); i++) {
        const MsTraceRecord *r = ms_trace_pin(t, i);
        if (r->kind != MS_TRACE_LINE || r->note == NULL)
            continue;
        if (g_str_has_prefix(r->note, "pop3.reply.quit.update"))
            g_ptr_array_add(quit_notes, (gpointer) r->note);
        rset_with_marks += strcmp(r->note, "pop3.reply.rset") == 0;
        rset_without += strcmp(r->note, "pop3.reply.rset.none") == 0;
    }
    CU_ASSERT_EQUAL(rset_with_marks, 1);
    CU_ASSERT_EQUAL(rset_without, 0);
    CU_ASSERT_EQUAL_FATAL(quit_notes->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(quit_notes, 0), "pop3.reply.quit.update.none");
    MS_ASSERT_STR(g_ptr_array_index(quit_notes, 1), "pop3.reply.quit.update");
    CU_ASSERT_EQUAL(count_events(t, "mailbox.delete"), 2);

    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    g_autofree char *en = ms_report_transcript(t, &options);
    options.lang = "zh";
    g_autofree char *zh = ms_report_transcript(t, &options);
    /* Once each: after the RSET, nothing removed; at the end, removed. */
    CU_ASSERT_PTR_NOT_NULL(strstr(en, "no message is marked for deletion, so none is removed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(en, "marked messages removed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(zh, "没有邮件带删除标记"));
    CU_ASSERT_PTR_NOT_NULL(strstr(zh, "删除标记已全部取消"));
    CU_ASSERT_PTR_NULL(strstr(zh, "no message is marked"));
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* Every shipped scenario's English transcript is a reviewed golden file
 * (tests/golden/<name>/transcript.txt); a change to one shows up here and
 * is committed with a message that says why. */
/* The transcript in English and in Chinese, each against its reviewed
 * golden file. */
static void every_scenario_matches_its_golden_transcript(void)
{
    g_autoptr(GPtrArray) names = shipped_scenarios();
    for (guint i = 0; i < names->len; i++) {
        const char *stem = g_ptr_array_index(names, i);
        g_autofree char *path = g_strdup_printf("scenarios/%s.mss", stem);
        MsScenario *sc = NULL;
        MsWorld *w = run(path, &sc);
        MsReportOptions options;
        ms_report_options_init(&options);
        options.scenario_name = sc->name;
        options.scenario_name_zh = sc->name_zh;
        options.scenario_file = path;
        options.seed = sc->seed;
        static const char *const langs[][2] = { { "en", "transcript.txt" },
                                                { "zh", "transcript.zh.txt" } };
        for (gsize l = 0; l < G_N_ELEMENTS(langs); l++) {
            g_autofree char *golden = g_strdup_printf("tests/golden/%s/%s", stem, langs[l][1]);
            options.lang = langs[l][0];
            g_autofree char *text = ms_report_transcript(ms_world_trace(w), &options);
            CU_ASSERT_TRUE(ms_test_matches_golden(text, strlen(text), golden));
        }
        ms_world_free(w);
        ms_scenario_free(sc);
    }
}

static void file_is(const char *dir, const char *name, const char *text, gsize len)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *got = NULL;
    gsize got_len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &got, &got_len, NULL));
    CU_ASSERT_EQUAL(got_len, len);
    if (got_len != len || memcmp(got, text, len) != 0) {
        fprintf(stderr, "\n  %s differs from what the string API gives\n", path);
        CU_FAIL("streamed output differs");
    }
    g_remove(path);
}

/* ---- trace.json against docs/trace-format.md ---------------------------
 * The document is the contract: its tables are read here, and every record
 * of every shipped scenario's trace.json must use only the fields listed,
 * with the listed types; the fields listed for all records are in every
 * one; kinds and event keys are the documented ones; and every documented
 * field shows up somewhere. */

typedef struct {
    GHashTable *field_type;  /* field -> "integer", "string", "dir", "strings" */
    GPtrArray *required;     /* fields present for all records */
    GHashTable *kinds;       /* documented record kinds */
    GPtrArray *event_keys;   /* patterns, as `action.*` */
    GPtrArray *event_kinds;  /* the kinds each pattern may have, "queue, mailbox" */
    GHashTable *top_type;    /* top-level member -> type */
    GHashTable *seen;        /* fields met in some record */
} TraceDoc;

/* The backticked words of a table cell, in order (transfer full). */
static GPtrArray *ticked(const char *cell)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *p = cell;
    for (;;) {
        const char *a = strchr(p, '`');
        if (a == NULL)
            break;
        const char *b = strchr(a + 1, '`');
        if (b == NULL)
            break;
        g_ptr_array_add(out, g_strndup(a + 1, (gsize) (b - a - 1)));
        p = b + 1;
    }
    return out;
}

static void trace_doc_free(TraceDoc *d)
{
    g_hash_table_unref(d->field_type);
    g_ptr_array_unref(d->required);
    g_hash_table_unref(d->kinds);
    g_ptr_array_unref(d->event_keys);
    g_ptr_array_unref(d->event_kinds);
    g_hash_table_unref(d->top_type);
    g_hash_table_unref(d->seen);
}

static void trace_doc_read(TraceDoc *d)
{
    g_autofree char *text = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents("docs/trace-format.md", &text, NULL, NULL));
    d->field_type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    d->required = g_ptr_array_new_with_free_func(g_free);
    d->kinds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    d->event_keys = g_ptr_array_new_with_free_func(g_free);
    d->event_kinds = g_ptr_array_new_with_free_func(g_free);
    d->top_type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    d->seen = g_hash_table_new(g_str_hash, g_str_equal);

    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    const char *section = "";
    gboolean in_code = FALSE;
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "## ")) {
            section = l + 3;
            continue;
        }
        if (g_str_has_prefix(l, "```")) {
            in_code = !in_code;
            continue;
        }
        if (in_code && l[0] == ' ' && l[1] == '"') {
            /* The example document: ` "name": value` at the first level. */
            const char *end = strchr(l + 2, '"');
            const char *v = end != NULL ? strchr(end, ':') : NULL;
            CU_ASSERT_PTR_NOT_NULL_FATAL(v);
            v++;
            while (*v == ' ')
                v++;
            const char *type = *v == '"' ? "string" : *v == '[' ? "array"
                             : *v == '{' ? "object" : "integer";
            g_hash_table_insert(d->top_type, g_strndup(l + 2, (gsize) (end - l - 2)),
                                (gpointer) type);
            continue;
        }
        if (!g_str_has_prefix(l, "| `"))
            continue;
        g_auto(GStrv) cells = g_strsplit(l + 1, "|", -1);
        if (g_strv_length(cells) < 3)
            continue;
        g_autoptr(GPtrArray) names = ticked(cells[0]);
        if (strcmp(section, "Record fields") == 0) {
            const char *t = cells[1];
            const char *type = strstr(t, "array of strings") != NULL ? "strings"
                             : strstr(t, "integer") != NULL          ? "integer"
                             : strstr(t, "\"C\"") != NULL            ? "dir"
                                                                     : "string";
            CU_ASSERT_TRUE(strstr(t, "string") != NULL || strstr(t, "integer") != NULL ||
                           strstr(t, "\"C\"") != NULL);
            gboolean all = strcmp(g_strstrip(cells[2]), "all") == 0;
            for (guint n = 0; n < names->len; n++) {
                const char *f = g_ptr_array_index(names, n);
                g_hash_table_insert(d->field_type, g_strdup(f), (gpointer) type);
                if (all)
                    g_ptr_array_add(d->required, g_strdup(f));
            }
        } else if (strcmp(section, "Record kinds") == 0) {
            for (guint n = 0; n < names->len; n++)
                g_hash_table_add(d->kinds, g_strdup(g_ptr_array_index(names, n)));
        } else if (strcmp(section, "Event keys") == 0) {
            for (guint n = 0; n < names->len; n++) {
                g_ptr_array_add(d->event_keys, g_strdup(g_ptr_array_index(names, n)));
                g_ptr_array_add(d->event_kinds, g_strdup(g_strstrip(cells[1])));
            }
        }
    }
    /* What the tests below rely on was found in the document. */
    CU_ASSERT_TRUE_FATAL(g_hash_table_size(d->field_type) >= 20);
    CU_ASSERT_TRUE_FATAL(d->required->len == 3);
    CU_ASSERT_TRUE_FATAL(g_hash_table_size(d->kinds) >= 15);
    CU_ASSERT_TRUE_FATAL(d->event_keys->len >= 20);
    CU_ASSERT_TRUE_FATAL(g_hash_table_size(d->top_type) == 7);
}

static gboolean node_has_type(JsonNode *node, const char *type)
{
    if (strcmp(type, "object") == 0)
        return JSON_NODE_HOLDS_OBJECT(node);
    if (strcmp(type, "array") == 0)
        return JSON_NODE_HOLDS_ARRAY(node);
    if (strcmp(type, "strings") == 0) {
        if (!JSON_NODE_HOLDS_ARRAY(node))
            return FALSE;
        JsonArray *a = json_node_get_array(node);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *e = json_array_get_element(a, i);
            if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING)
                return FALSE;
        }
        return TRUE;
    }
    if (!JSON_NODE_HOLDS_VALUE(node))
        return FALSE;
    GType t = json_node_get_value_type(node);
    if (strcmp(type, "integer") == 0)
        return t == G_TYPE_INT64;
    if (strcmp(type, "dir") == 0)
        return t == G_TYPE_STRING && (strcmp(json_node_get_string(node), "C") == 0 ||
                                      strcmp(json_node_get_string(node), "S") == 0);
    return t == G_TYPE_STRING;
}

/* The kinds an event key may have: its pattern's cell names them. */
static gboolean event_key_documented(const TraceDoc *d, const char *kind, const char *key)
{
    for (guint i = 0; i < d->event_keys->len; i++) {
        const char *pattern = g_ptr_array_index(d->event_keys, i);
        const char *kinds = g_ptr_array_index(d->event_kinds, i);
        if (g_pattern_match_simple(pattern, key) && strstr(kinds, kind) != NULL)
            return TRUE;
    }
    return FALSE;
}

static void trace_doc_check(TraceDoc *d, const char *path, JsonNode *root)
{
    CU_ASSERT_TRUE_FATAL(JSON_NODE_HOLDS_OBJECT(root));
    JsonObject *top = json_node_get_object(root);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, d->top_type);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        JsonNode *m = json_object_get_member(top, k);
        if (m == NULL || !node_has_type(m, v)) {
            fprintf(stderr, "\n  %s: top-level \"%s\" missing or not %s\n", path,
                    (char *) k, (char *) v);
            CU_FAIL("trace.json top level");
        }
    }
    CU_ASSERT_EQUAL(json_object_get_size(top), g_hash_table_size(d->top_type));
    JsonArray *records = json_object_get_array_member(top, "records");
    guint failures = 0;
    for (guint r = 0; r < json_array_get_length(records) && failures < 5; r++) {
        JsonObject *rec = json_array_get_object_element(records, r);
        for (guint i = 0; i < d->required->len; i++) {
            if (!json_object_has_member(rec, g_ptr_array_index(d->required, i))) {
                fprintf(stderr, "\n  %s: record %u has no \"%s\"\n", path, r,
                        (char *) g_ptr_array_index(d->required, i));
                failures++;
            }
        }
        CU_ASSERT_EQUAL(json_object_get_int_member(rec, "id"), r);
        g_autoptr(GList) members = json_object_get_members(rec);
        for (GList *m = members; m != NULL; m = m->next) {
            const char *type = g_hash_table_lookup(d->field_type, m->data);
            JsonNode *node = json_object_get_member(rec, m->data);
            if (type == NULL || !node_has_type(node, type)) {
                fprintf(stderr, "\n  %s: record %u: field \"%s\" is %s\n", path, r,
                        (char *) m->data, type == NULL ? "not documented" : "of another type");
                failures++;
                continue;
            }
            g_hash_table_add(d->seen, g_hash_table_lookup_extended(d->field_type, m->data, &k,
                                                                   NULL) ? k : NULL);
        }
        const char *kind = json_object_get_string_member(rec, "kind");
        if (!g_hash_table_contains(d->kinds, kind)) {
            fprintf(stderr, "\n  %s: record %u: kind \"%s\" not documented\n", path, r, kind);
            failures++;
        }
        const char *note = json_object_get_string_member_with_default(rec, "note", NULL);
        if (note != NULL && strcmp(kind, "line") != 0 && !event_key_documented(d, kind, note)) {
            fprintf(stderr, "\n  %s: record %u: event key \"%s\" (%s) not documented\n", path,
                    r, note, kind);
            failures++;
        }
    }
    CU_ASSERT_EQUAL(failures, 0);
}

/* The streamed outputs (ms_report_write) are the very bytes of the string
 * API, and trace.json is laid out exactly as JSON-GLib's pretty generator
 * (indent 1) lays out the same document, which trace.json always was:
 * parsed and generated again, it comes back byte for byte. */
static void every_scenario_streams_the_same_outputs(void)
{
    g_autoptr(GPtrArray) names = shipped_scenarios();
    TraceDoc doc;
    trace_doc_read(&doc);
    g_autofree char *dir = g_dir_make_tmp("mailsim-stream-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    for (guint i = 0; i < names->len; i++) {
        const char *stem = g_ptr_array_index(names, i);
        g_autofree char *path = g_strdup_printf("scenarios/%s.mss", stem);
        MsScenario *sc = NULL;
        MsWorld *w = run(path, &sc);
        MsTrace *trace = ms_world_trace(w);
        MsReportOptions options;
        ms_report_options_init(&options);
        options.scenario_name = sc->name;
        options.scenario_name_zh = sc->name_zh;
        options.scenario_file = path;
        options.seed = sc->seed;
        options.lang = i % 2 == 0 ? "en" : "zh";
        options.tcp = i % 3 == 0;

        g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GError) error = NULL;
        CU_ASSERT_TRUE_FATAL(ms_report_write(trace, &options, dir, written, &error));
        CU_ASSERT_EQUAL(written->len, 4);
        g_autofree char *txt = ms_report_transcript(trace, &options);
        g_autofree char *md = ms_report_transcript_md(trace, &options);
        g_autofree char *sum = ms_report_summary(trace, &options);
        gsize json_len = 0;
        g_autofree char *json = ms_report_json(trace, &options, &json_len);
        file_is(dir, "transcript.txt", txt, strlen(txt));
        file_is(dir, "transcript.md", md, strlen(md));
        file_is(dir, "summary.txt", sum, strlen(sum));
        file_is(dir, "trace.json", json, json_len);

        g_autoptr(JsonParser) parser = json_parser_new();
        CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, json, (gssize) json_len, NULL));
        g_autoptr(JsonGenerator) gen = json_generator_new();
        json_generator_set_root(gen, json_parser_get_root(parser));
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_indent(gen, 1);
        gsize again_len = 0;
        g_autofree char *again = json_generator_to_data(gen, &again_len);
        CU_ASSERT_EQUAL(again_len, json_len);
        if (again_len != json_len || memcmp(again, json, json_len) != 0) {
            fprintf(stderr, "\n  %s: trace.json is not laid out as JSON-GLib lays it out\n",
                    path);
            CU_FAIL("trace.json layout");
        }
        trace_doc_check(&doc, path, json_parser_get_root(parser));
        ms_world_free(w);
        ms_scenario_free(sc);
    }
    g_rmdir(dir);
    /* Every field the document lists is met in some shipped scenario. */
    GHashTableIter it;
    gpointer field;
    g_hash_table_iter_init(&it, doc.field_type);
    while (g_hash_table_iter_next(&it, &field, NULL)) {
        if (!g_hash_table_contains(doc.seen, field)) {
            fprintf(stderr, "\n  no shipped scenario's trace.json has \"%s\"\n", (char *) field);
            CU_FAIL("documented field never seen");
        }
    }
    trace_doc_free(&doc);
}

/* Strings for the writer's scan, which looks at sixteen octets at a time,
 * then eight, then one: each octet it escapes, and some it does not (the
 * space, '/'), and UTF-8 characters of two, three and four octets,
 * which it stops at to check, at every place of a 41-octet string, so in
 * every lane of each step; and one with an escape in every lane. */
static GPtrArray *scan_strings(void)
{
    static const char *const pieces[] = { "\x01", "\x08", "\x0a", "\x1e", "\"", "\\",
                                          "\x7f", " ", "/", "\xc3\xa9",
                                          "\xe4\xb8\xad", "\xf0\x9f\x93\xa7" };
    GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
    for (gsize k = 0; k < G_N_ELEMENTS(pieces); k++) {
        gsize n = strlen(pieces[k]);
        for (gsize at = 0; at + n <= 41; at++) {
            char *text = g_strnfill(41, 'a');
            memcpy(text + at, pieces[k], n);
            g_ptr_array_add(all, text);
        }
    }
    g_ptr_array_add(all, g_strnfill(40, '"'));
    return all;
}

/* RFC 8259 8.1: a JSON text MUST be UTF-8.  A byte of a string that is not
 * part of a UTF-8 character (a client may send any octets) is written as
 * the four characters \xHH, as transcript.txt shows it, wherever it falls
 * in the writer's scan; the UTF-8 around it passes as it is. */
static void json_writer_shows_bytes_that_are_not_utf8(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "EHLO \xff\xfe", "\"EHLO \\\\xFF\\\\xFE\"" },
        { "\x80", "\"\\\\x80\"" },
        { "caf\xc3\xa9 \xc3 \xc3\xa9", "\"caf\xc3\xa9 \\\\xC3 \xc3\xa9\"" },
        /* an overlong form, a surrogate, a sequence cut short at the end */
        { "\xc0\xafx", "\"\\\\xC0\\\\xAFx\"" },
        { "\xed\xa0\x80", "\"\\\\xED\\\\xA0\\\\x80\"" },
        { "ok\xe4\xb8", "\"ok\\\\xE4\\\\xB8\"" },
        { "\xff\t\"", "\"\\\\xFF\\t\\\"\"" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(MsJsonWriter) w = ms_json_writer_new(NULL);
        ms_json_string(w, cases[i].in);
        gsize len = 0;
        g_autofree char *got = ms_json_writer_steal(w, &len);
        MS_ASSERT_STR(got, cases[i].out);
        CU_ASSERT_TRUE(g_utf8_validate(got, (gssize) len, NULL));
    }
    /* RFC 8259 7: every control character is escaped, 0x1f too, in every
     * lane of the scan. */
    for (gsize at = 0; at < 41; at++) {
        g_autofree char *text = g_strnfill(41, 'a');
        text[at] = 0x1f;
        g_autoptr(MsJsonWriter) w = ms_json_writer_new(NULL);
        ms_json_string(w, text);
        g_autofree char *got = ms_json_writer_steal(w, NULL);
        g_autofree char *head = g_strnfill(at, 'a');
        g_autofree char *tail = g_strnfill(40 - at, 'a');
        g_autofree char *want = g_strdup_printf("\"%s\\u001f%s\"", head, tail);
        MS_ASSERT_STR(got, want);
    }
    for (gsize at = 0; at < 41; at++) {
        g_autofree char *text = g_strnfill(41, 'a');
        text[at] = (char) 0xff;
        g_autoptr(MsJsonWriter) w = ms_json_writer_new(NULL);
        ms_json_string(w, text);
        g_autofree char *got = ms_json_writer_steal(w, NULL);
        g_autofree char *head = g_strnfill(at, 'a');
        g_autofree char *tail = g_strnfill(40 - at, 'a');
        g_autofree char *want = g_strdup_printf("\"%s\\\\xFF%s\"", head, tail);
        MS_ASSERT_STR(got, want);
    }
}

/* The writer's corners that no scenario reaches: empty containers, the
 * escapes, the extreme integers, containers nested deeper than its stack
 * starts, names given as plain. */
static void json_writer_matches_json_glib(void)
{
    /* (0x1f aside: JSON-GLib 1.6 leaves it raw, RFC 8259 7 does not.) */
    static const char *const strings[] = { "", "plain", "a\x01b\x1e\x7f\xc3\xa9",
                                           "\\ \" / \b\f\n\r\t\x1e" };
    g_autoptr(GPtrArray) scanned = scan_strings();
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "empty_object");
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "empty_array");
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "list");
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    json_builder_end_object(b);
    json_builder_add_int_value(b, G_MININT64);
    json_builder_add_int_value(b, G_MAXINT64);
    json_builder_add_int_value(b, 0);
    json_builder_add_null_value(b);
    for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
        json_builder_add_string_value(b, strings[i]);
    for (guint i = 0; i < scanned->len; i++)
        json_builder_add_string_value(b, scanned->pdata[i]);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "na\"me");
    json_builder_add_int_value(b, -7);
    json_builder_set_member_name(b, "plain_name");
    json_builder_add_int_value(b, 1234567890123);
    json_builder_set_member_name(b, "deep");
    for (int i = 0; i < 20; i++) {
        json_builder_begin_array(b);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "in");
    }
    json_builder_add_int_value(b, 1);
    for (int i = 0; i < 20; i++) {
        json_builder_end_object(b);
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 1);
    gsize want_len = 0;
    g_autofree char *want = json_generator_to_data(gen, &want_len);

    g_autoptr(MsJsonWriter) w = ms_json_writer_new(NULL);
    ms_json_begin_object(w);
    ms_json_member(w, "empty_object");
    ms_json_begin_object(w);
    ms_json_end_object(w);
    ms_json_member(w, "empty_array");
    ms_json_begin_array(w);
    ms_json_end_array(w);
    ms_json_member(w, "list");
    ms_json_begin_array(w);
    ms_json_begin_object(w);
    ms_json_end_object(w);
    ms_json_int(w, G_MININT64);
    ms_json_int(w, G_MAXINT64);
    ms_json_int(w, 0);
    ms_json_null(w);
    for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
        ms_json_string(w, strings[i]);
    for (guint i = 0; i < scanned->len; i++)
        ms_json_string(w, scanned->pdata[i]);
    ms_json_end_array(w);
    ms_json_member(w, "na\"me");
    ms_json_int(w, -7);
    ms_json_member_plain(w, "plain_name", strlen("plain_name"));
    ms_json_int(w, 1234567890123);
    ms_json_member(w, "deep");
    for (int i = 0; i < 20; i++) {
        ms_json_begin_array(w);
        ms_json_begin_object(w);
        ms_json_member(w, "in");
    }
    ms_json_int(w, 1);
    for (int i = 0; i < 20; i++) {
        ms_json_end_object(w);
        ms_json_end_array(w);
    }
    ms_json_end_object(w);
    gsize got_len = 0;
    g_autofree char *got = ms_json_writer_steal(w, &got_len);
    CU_ASSERT_EQUAL(got_len, want_len);
    MS_ASSERT_STR(got, want);
}

/* ms_world_format writes the common conversions itself and leaves the rest
 * to printf: either way the text is what printf gives. */
static void world_format_matches_printf(void)
{
    const char *s = "caf\xc3\xa9 <bob@hamburger.edu>";
    g_autofree char *longer = g_strnfill(300, 'x');
    const char *null_string = NULL;
#define SAME(...)                                                         \
    do {                                                                  \
        g_autofree char *want = g_strdup_printf(__VA_ARGS__);             \
        g_autofree char *got = ms_world_format(__VA_ARGS__);              \
        MS_ASSERT_STR(got, want);                                         \
    } while (0)
    SAME("%s", "");
    SAME("plain text, no conversion");
    SAME("%s's agent sent %u message%s (%zu bytes)", s, 1u, "", (gsize) 205);
    SAME("%d %i %d %d", 0, -1, G_MININT, G_MAXINT);
    SAME("%ld %lu %lld %llu", G_MINLONG, G_MAXULONG, (long long) G_MININT64,
         (unsigned long long) G_MAXUINT64);
    SAME("%" G_GUINT64_FORMAT ".%" G_GINT64_FORMAT "@%s", G_MAXUINT64, G_MININT64, "x");
    SAME("100%% of %u", 7u);
    SAME("%s", null_string);
    SAME("%s and more", longer); /* past the stack buffer: printf's */
    SAME("%05d|%-4s|%x|%.2f", 42, "ab", 255u, 2.5); /* others: printf's */
    SAME("%s%c", "end", '!');
    /* Literal runs that just fit the stack buffer, or just do not. */
#define Y10 "yyyyyyyyyy"
#define Y50 Y10 Y10 Y10 Y10 Y10
#define Y250 Y50 Y50 Y50 Y50 Y50
    SAME(Y250 "yyyyy");
    SAME(Y250 "yyyyyy");
    SAME(Y250 "yyy%s", "zz");
    SAME(Y250 "yyy%s", "zzz");
    SAME("%s" Y250, "zzzzz");
    SAME("%s" Y250, "zzzzzz");
#undef Y250
#undef Y50
#undef Y10
#undef SAME
}

int main(void)
{
    static const MsTestCase cases[] = {
        MS_TEST(every_scenario_runs_twice_the_same),
        MS_TEST(world_format_matches_printf),
        MS_TEST(many_recipients_all_reached),
        MS_TEST(every_scenario_matches_its_golden_transcript),
        MS_TEST(bounce_comes_after_the_250),
        MS_TEST(pop3_rset_notes_depend_on_the_marks),
        MS_TEST(web_mail_fetches_each_attachment),
        MS_TEST(every_scenario_streams_the_same_outputs),
        MS_TEST(json_writer_matches_json_glib),
        MS_TEST(json_writer_shows_bytes_that_are_not_utf8),
        MS_TEST(textbook_profile_reads_like_the_book),
        MS_TEST(persistence_uses_one_connection),
        MS_TEST(relay_waits_for_the_open_connection_whatever_the_case),
        MS_TEST(unknown_recipient_fails_alone),
        MS_TEST(postmaster_is_always_accepted),
        MS_TEST(web_mail_allow_date_and_continue),
        MS_TEST(queue_retries_until_the_server_is_back),
        MS_TEST(bounce_reaches_the_sender),
        MS_TEST(three_readers_pull_from_one_server),
        MS_TEST(refused_port_and_silent_host),
        MS_TEST(typed_lines_carry_the_servers_phase),
        MS_TEST(web_steps_wait_for_the_login),
        MS_TEST(summary_says_what_happened),
        MS_TEST(summary_end_state_hosts_in_a_column),
        MS_TEST(dots_are_stuffed_on_the_wire),
        MS_TEST(eight_bit_needs_8bitmime),
        MS_TEST(typed_dialogue_delivers_and_bare_lf_is_refused),
        MS_TEST_END,
    };
    static const MsTestCase mime[] = {
        MS_TEST(header_is_not_the_envelope),
        MS_TEST(replies_thread_and_forwards_nest),
        MS_TEST(answer_without_original_is_a_note),
        MS_TEST(display_names_stay_out_of_the_envelope),
        MS_TEST(picture_survives_base64),
        MS_TEST(multipart_has_its_parts),
        MS_TEST(chinese_travels_as_7bit),
        MS_TEST_END,
    };
    static const MsTestCase pop3[] = {
        MS_TEST(pop3_textbook_session),
        MS_TEST(pop3_delete_versus_keep),
        MS_TEST(pop3_changing_clients),
        MS_TEST(pop3_lock_and_bad_password),
        MS_TEST_END,
    };
    static const MsTestCase imap[] = {
        MS_TEST(imap_folders_persist),
        MS_TEST(imap_devices_share_flags),
        MS_TEST(idle_beats_polling),
        MS_TEST(web_mail_uses_http_then_smtp),
        MS_TEST_END,
    };
    ms_test_add_suite("scenarios/smtp", cases);
    ms_test_add_suite("scenarios/access", imap);
    ms_test_add_suite("scenarios/pop3", pop3);
    ms_test_add_suite("scenarios/mime", mime);
    return ms_test_run();
}
