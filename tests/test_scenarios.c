/* test_scenarios.c - every shipped scenario runs, deterministically, and
 * shows what its comment header says it teaches.  The checks read the
 * trace (not the transcript's wording), so they hold in any language.
 */
#include <string.h>

#include "mailsim/scenario.h"
#include "mailsim/trace.h"
#include "mailsim/world.h"
#include "testutil.h"

static MsWorld *run(const char *path, MsScenario **sc_out)
{
    g_autoptr(GError) error = NULL;
    MsScenario *sc = ms_scenario_parse_file(path, &error);
    if (sc == NULL)
        fprintf(stderr, "\n  %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    MsWorld *world = ms_world_new(sc, sc->seed, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(world);
    gboolean ok = ms_world_run(world, MS_TIME_NEVER, &error);
    if (!ok)
        fprintf(stderr, "\n  %s: %s\n", path, error->message);
    CU_ASSERT_TRUE(ok);
    *sc_out = sc;
    return world;
}

/* Lines of a connection-level protocol matching a prefix, sent by `src`
 * (NULL: any host) in direction dir. */
static guint count_lines(MsTrace *trace, const char *src, MsDir dir, const char *prefix)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_get(trace, i);
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
        const MsTraceRecord *r = ms_trace_get(trace, i);
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
        const MsTraceRecord *r = ms_trace_get(trace, i);
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
        const MsTraceRecord *r = ms_trace_get(trace, i);
        if (r->kind != MS_TRACE_LINE && g_strcmp0(r->note, key) == 0)
            n++;
    }
    return n;
}

static void every_scenario_runs_twice_the_same(void)
{
    g_autoptr(GDir) dir = g_dir_open("scenarios", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_suffix(name, ".mss"))
            g_ptr_array_add(names, g_build_filename("scenarios", name, NULL));
    }
    CU_ASSERT_TRUE(names->len >= 9);
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);
        MsScenario *sa = NULL, *sb = NULL;
        MsWorld *a = run(path, &sa);
        MsWorld *b = run(path, &sb);
        MsTrace *ta = ms_world_trace(a), *tb = ms_world_trace(b);
        CU_ASSERT_EQUAL(ms_trace_length(ta), ms_trace_length(tb));
        CU_ASSERT_TRUE(ms_trace_length(ta) > 10);
        for (guint64 k = 0; k < MIN(ms_trace_length(ta), ms_trace_length(tb)); k++) {
            const MsTraceRecord *x = ms_trace_get(ta, k), *y = ms_trace_get(tb, k);
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
        const MsTraceRecord *r = ms_trace_get(t, i);
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
    const MsTraceRecord *d = find_event(t, "mailbox.deliver", "bob@hamburger.edu");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_TRUE(d->time > 50 * MS_MINUTE);
    CU_ASSERT_TRUE(d->time < 70 * MS_MINUTE);
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded"), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

static void bounce_reaches_the_sender(void)
{
    MsScenario *sc = NULL;
    MsWorld *w = run("scenarios/smtp-bounce.mss", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_events(t, "message.bounce"), 1);
    CU_ASSERT_PTR_NOT_NULL(find_event(t, "mailbox.deliver", "alice@crepes.fr"));
    /* RFC 5321 4.5.5: the bounce has the null reverse path. */
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER, "Return-Path: <>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, "crepes.fr", MS_DIR_SERVER,
                                "Content-Type: multipart/report; report-type=delivery-status"),
                    1);
    /* No retry for a 5xx. */
    CU_ASSERT_EQUAL(count_events(t, "queue.retry"), 0);
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
        const MsTraceRecord *r = ms_trace_get(t, i);
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
    CU_ASSERT_EQUAL(count_lines(t, "walter-pc", MS_DIR_CLIENT, "MAIL FROM:<walter@waffles.be>"),
                    1);
    CU_ASSERT_TRUE(count_lines(t, "walter-pc", MS_DIR_CLIENT, "MAIL FROM:") == 1);
    /* Bob gets Walter's 8-bit message and Alice's MIME one, not her raw one. */
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded"), 2);
    CU_ASSERT_EQUAL(count_lines(t, "alice-pc", MS_DIR_CLIENT,
                                "Content-Transfer-Encoding: quoted-printable"), 1);
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
        const MsTraceRecord *r = ms_trace_get(t, i);
        if (r->kind == MS_TRACE_LINE && g_strcmp0(r->eol, "\n") == 0)
            bare++;
    }
    CU_ASSERT_EQUAL(bare, 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

int main(void)
{
    static const MsTestCase cases[] = {
        MS_TEST(every_scenario_runs_twice_the_same),
        MS_TEST(textbook_profile_reads_like_the_book),
        MS_TEST(persistence_uses_one_connection),
        MS_TEST(unknown_recipient_fails_alone),
        MS_TEST(queue_retries_until_the_server_is_back),
        MS_TEST(bounce_reaches_the_sender),
        MS_TEST(dots_are_stuffed_on_the_wire),
        MS_TEST(eight_bit_needs_8bitmime),
        MS_TEST(typed_dialogue_delivers_and_bare_lf_is_refused),
        MS_TEST_END,
    };
    ms_test_add_suite("scenarios/smtp", cases);
    return ms_test_run();
}
