/* test_hostile.c - hostile input: each finding of the hardening review
 * (issue 14) as a regression, and the promise behind them: anything `check`
 * accepts, `run` builds and runs; anything the world refuses, `check`
 * refuses first with file:line:column.
 *
 * Runs read the trace, not the transcript's words, so they hold in any
 * language.
 */
#include <string.h>

#include "mailsim/proto.h"
#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/trace.h"
#include "mailsim/world.h"
#include "testutil.h"

/* Parses, builds and runs a scenario given as text; the run's success goes
 * to ok_out (transfer full: the world, and the scenario in sc_out). */
static MsWorld *run_text(const char *text, MsScenario **sc_out, gboolean *ok_out)
{
    g_autoptr(GError) error = NULL;
    MsScenario *sc = ms_scenario_parse_string(text, -1, "hostile.mss", &error);
    if (sc == NULL)
        fprintf(stderr, "\n  %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    MsWorld *world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL)
        fprintf(stderr, "\n  world: %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(world);
    *ok_out = ms_world_run(world, MS_TIME_NEVER, &error);
    if (!*ok_out)
        fprintf(stderr, "\n  run: %s\n", error->message);
    *sc_out = sc;
    return world;
}

/* The error text of a scenario that must be refused (transfer full). */
static char *refusal(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(text, -1, "hostile.mss", &error);
    CU_ASSERT_PTR_NULL(sc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    return g_strdup(error->message);
}

static guint count_events(MsTrace *trace, const char *key, const char *detail_part)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind == MS_TRACE_LINE || g_strcmp0(r->note, key) != 0)
            continue;
        if (detail_part == NULL || (r->detail != NULL && strstr(r->detail, detail_part) != NULL))
            n++;
    }
    return n;
}

/* Protocol lines sent in direction dir that start with prefix. */
static guint count_lines(MsTrace *trace, MsDir dir, const char *prefix)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        if (r->kind == MS_TRACE_LINE && r->dir == dir && g_str_has_prefix(r->text, prefix))
            n++;
    }
    return n;
}

static guint count_kind(MsTrace *trace, MsTraceKind kind)
{
    guint n = 0;
    for (guint64 i = 0; i < ms_trace_length(trace); i++)
        n += ms_trace_pin(trace, i)->kind == kind;
    return n;
}

/* Whether any record names a host in a spelling other than the declared. */
static gboolean only_declared_spellings(MsTrace *trace, const char *const *declared)
{
    for (guint64 i = 0; i < ms_trace_length(trace); i++) {
        const MsTraceRecord *r = ms_trace_pin(trace, i);
        const char *names[] = { r->src, r->dst };
        for (gsize n = 0; n < G_N_ELEMENTS(names); n++) {
            if (names[n] == NULL)
                continue;
            gboolean found = FALSE;
            for (const char *const *d = declared; *d != NULL; d++)
                found |= strcmp(names[n], *d) == 0;
            if (!found) {
                fprintf(stderr, "\n  record %" G_GUINT64_FORMAT " names host '%s'\n", i,
                        names[n]);
                return FALSE;
            }
        }
    }
    return TRUE;
}

/* ---- One name-lookup rule -------------------------------------------- */

static const char two_servers[] =
    "server crepes.fr      domain crepes.fr\n"
    "server hamburger.edu  domain hamburger.edu\n"
    "agent alice-pc user alice@crepes.fr server Crepes.FR\n"
    "agent bob-pc   user bob@hamburger.edu server hamburger.edu password hungry\n"
    "link Alice-PC crepes.fr latency 2ms\n"
    "link crepes.fr HAMBURGER.edu latency 40ms\n"
    "link bob-pc Hamburger.Edu latency 2ms\n";

/* The review's abort: an action naming its agent in another case than the
 * declaration passed `check`, then failed an assertion in the world. */
static void names_any_case_in_actions(void)
{
    g_autofree char *text = g_strconcat(two_servers,
                                        "at 0s ALICE-PC send to bob@hamburger.edu subject x "
                                        "body \"hi\"\n"
                                        "at 5s Bob-Pc pop3 fetch delete\n", NULL);
    MsScenario *sc = NULL;
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, &sc, &ok);
    CU_ASSERT_TRUE(ok);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_events(t, "mailbox.deliver", "bob@hamburger.edu"), 1);
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded", NULL), 1);
    /* Outputs show each host as declared. */
    static const char *const declared[] = { "crepes.fr", "hamburger.edu", "alice-pc",
                                            "bob-pc", NULL };
    CU_ASSERT_TRUE(only_declared_spellings(t, declared));
    const MsScAction *a = g_ptr_array_index(sc->actions, 0);
    MS_ASSERT_STR(a->host, "alice-pc");
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* `link`, `server ... down`, `host ... down` and telnet targets in any case. */
static void names_any_case_in_network_events(void)
{
    g_autofree char *text = g_strconcat(two_servers,
                                        "at 0s link ALICE-PC Crepes.fr down for 1s\n"
                                        "at 0s server HAMBURGER.EDU down for 10s\n"
                                        "at 0s host BOB-pc down for 1s\n"
                                        "at 1s alice-pc send to bob@hamburger.edu subject x "
                                        "body \"hi\"\n"
                                        "at 20s alice-pc telnet Hamburger.EDU 25\n"
                                        "    type QUIT\n"
                                        "end\n", NULL);
    MsScenario *sc = NULL;
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, &sc, &ok);
    CU_ASSERT_TRUE(ok);
    MsTrace *t = ms_world_trace(w);
    /* Each outage happened (the network traces every change)... */
    CU_ASSERT_EQUAL(count_kind(t, MS_TRACE_LINK), 6);
    /* ...the relay waited for hamburger.edu to come back, then delivered,
     * and the telnet session reached it: submission, relay, telnet. */
    CU_ASSERT_EQUAL(count_events(t, "mailbox.deliver", "bob@hamburger.edu"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "221"), 3);
    static const char *const declared[] = { "crepes.fr", "hamburger.edu", "alice-pc",
                                            "bob-pc", NULL };
    CU_ASSERT_TRUE(only_declared_spellings(t, declared));
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* RFC 5321 Appendix D.1 typed by hand: the server's users are jones and
 * brown, the client writes Jones and Green.  The mailbox is found whatever
 * the case of the local part, and the message keeps the case as written. */
static void mailbox_local_part_any_case(void)
{
    static const char text[] =
        "server foo.com domain foo.com\n"
        "server bar.com domain bar.com relay open\n"
        "agent smith-pc user smith@bar.com server bar.com\n"
        "agent jones-pc user jones@foo.com server foo.com password j\n"
        "mailbox brown@foo.com\n"
        "link smith-pc bar.com\n"
        "link bar.com foo.com\n"
        "link jones-pc foo.com\n"
        "at 0s smith-pc telnet foo.com 25\n"
        "    type \"EHLO bar.com\"\n"
        "    type \"MAIL FROM:<Smith@bar.com>\"\n"
        "    type \"RCPT TO:<Jones@foo.com>\"\n"
        "    type \"RCPT TO:<Green@foo.com>\"\n"
        "    type \"RCPT TO:<BROWN@Foo.Com>\"\n"
        "    type DATA\n"
        "    type \"Blah blah blah...\"\n"
        "    type .\n"
        "    type QUIT\n"
        "end\n"
        "at 5s jones-pc pop3 fetch\n";
    MsScenario *sc = NULL;
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, &sc, &ok);
    CU_ASSERT_TRUE(ok);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "550 5.1.1 <Green@foo.com>"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "550"), 1);
    CU_ASSERT_EQUAL(count_events(t, "mailbox.deliver", NULL), 2);
    /* Jones reads the message with the recipient spelt as typed. */
    CU_ASSERT_EQUAL(count_events(t, "message.downloaded", NULL), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* ---- Time at the end of its range ------------------------------------ */

static void time_arithmetic_saturates(void)
{
    CU_ASSERT_EQUAL(ms_time_add(1, 2), 3);
    CU_ASSERT_EQUAL(ms_time_add(MS_TIME_NEVER - 1, 1), MS_TIME_NEVER);
    CU_ASSERT_EQUAL(ms_time_add(MS_TIME_NEVER - 5, 30 * MS_DAY), MS_TIME_NEVER);
    CU_ASSERT_EQUAL(ms_time_add(MS_TIME_NEVER, -1), MS_TIME_NEVER);
    CU_ASSERT_EQUAL(ms_time_add(G_MININT64 + 1, -5), G_MININT64);
    CU_ASSERT_EQUAL(ms_time_add(-5, 3), -2);
    CU_ASSERT_EQUAL(ms_time_mul(MS_SEC, 3), 3 * MS_SEC);
    CU_ASSERT_EQUAL(ms_time_mul(MS_DAY, G_MAXUINT64), MS_TIME_NEVER);
    CU_ASSERT_EQUAL(ms_time_mul(0, G_MAXUINT64), 0);
}

/* The review's signed overflow: an action near the longest duration made
 * the run's safety cap overflow, and the run stopped at once with a false
 * "not settled" error.  What falls past the end of time never happens. */
static void actions_at_the_end_of_time(void)
{
    static const char text[] =
        "server a.org domain a.org retry 106751d\n"
        "server b.org domain b.org\n"
        "agent pc user u@a.org server a.org password x\n"
        "link pc a.org\n"
        "link a.org b.org\n"
        "at 106751d server b.org down for 106751d\n"
        "at 106751d pc send to nobody@b.org subject late body \"x\"\n"
        "at 106751d pc pop3 fetch every 1d until 106751d\n";
    MsScenario *sc = NULL;
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, &sc, &ok);
    CU_ASSERT_TRUE(ok);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_events(t, "queue.add", NULL), 1);
    CU_ASSERT_TRUE(count_kind(t, MS_TRACE_LINE) > 10);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* A queue that keeps a message until a give-up time far past the last
 * action is not stuck: check accepts it, so run must finish it (the run's
 * stuck-detector used to stop 30 days after the last action). */
static void queue_patience_is_not_stuck(void)
{
    static const char text[] =
        "server a.org domain a.org retry 1000d give-up 5000d\n"
        "server b.org domain b.org\n"
        "agent pc user u@a.org server a.org\n"
        "link pc a.org\n"
        "link a.org b.org\n"
        "at 0s server b.org down\n"
        "at 1s pc send to x@b.org subject s body \"b\"\n";
    MsScenario *sc = NULL;
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, &sc, &ok);
    CU_ASSERT_TRUE(ok);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_events(t, "queue.retry", NULL), 5);
    CU_ASSERT_EQUAL(count_events(t, "message.bounce", NULL), 1);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* ---- Loss ------------------------------------------------------------ */

static void logged_critical(const gchar *domain, GLogLevelFlags level, const gchar *message,
                            gpointer data)
{
    (void) domain;
    (void) level;
    (void) message;
    ++*(guint *) data;
}

/* `loss 100%` is documented and parsed: the link exists and loses every
 * segment, so TCP gives up and the agent says it cannot reach its server.
 * (It used to be refused by the network with a GLib CRITICAL, and the link
 * silently vanished.) */
static void loss_of_everything(void)
{
    static const char text[] =
        "server a.org domain a.org\n"
        "agent pc user u@a.org server a.org password x\n"
        "link pc a.org loss 100%\n"
        "at 0s pc pop3 fetch\n";
    guint criticals = 0;
    guint handler = g_log_set_handler(NULL, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
                                      logged_critical, &criticals);
    MsScenario *sc = NULL;
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, &sc, &ok);
    g_log_remove_handler(NULL, handler);
    CU_ASSERT_EQUAL(criticals, 0);
    CU_ASSERT_TRUE(ok);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_TRUE(count_kind(t, MS_TRACE_SEGMENT_LOST) >= 2);
    CU_ASSERT_EQUAL(count_kind(t, MS_TRACE_SEGMENT_RECEIVED), 0);
    CU_ASSERT_EQUAL(count_kind(t, MS_TRACE_LINE), 0);
    ms_world_free(w);
    ms_scenario_free(sc);
}

/* "40m" is no duration: minutes to some, a slip for "40ms" to others, and
 * a latency of 40 minutes must not come of a slip.  Refused, as `mailsim
 * serve --duration 40m` is (the same parser), with what was meant. */
static void durations_written_another_way(void)
{
    static const char base[] =
        "server a.org domain a.org\n"
        "agent pc user u@a.org server a.org\n"
        "link pc a.org latency %s\n";
    g_autofree char *m = g_strdup_printf(base, "40m");
    g_autofree char *e1 = refusal(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(e1, "hostile.mss:3:23: error: expected a duration such as "
                                      "40ms or 2s, found '40m' (units: ns, us, ms, s, min, h, "
                                      "d); did you mean '40min' (minutes) or '40ms' "
                                      "(milliseconds)?"));
    g_autofree char *sec = g_strdup_printf(base, "2secs");
    g_autofree char *e2 = refusal(sec);
    CU_ASSERT_PTR_NOT_NULL(strstr(e2, "found '2secs' (units: ns, us, ms, s, min, h, d); did "
                                      "you mean '2s'?"));
    g_autofree char *upper = g_strdup_printf(base, "1.5MS");
    g_autofree char *e3 = refusal(upper);
    CU_ASSERT_PTR_NOT_NULL(strstr(e3, "did you mean '1.5ms'?"));
    g_autofree char *none = g_strdup_printf(base, "40");
    g_autofree char *e4 = refusal(none);
    CU_ASSERT_PTR_NULL(strstr(e4, "did you mean"));
    g_autofree char *fine = g_strdup_printf(base, "0.5min");
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(fine, -1, "hostile.mss", &error);
    CU_ASSERT_PTR_NOT_NULL(sc);
}

/* ---- Bounded cost ----------------------------------------------------- */

/* `retry 1ns` kept a queue retrying a billion times a second; the floor is
 * one second, and a message is tried at most 1000 times. */
static void retry_has_a_floor(void)
{
    static const char base[] =
        "server a.org domain a.org %s\n"
        "agent pc user u@a.org server a.org\n"
        "link pc a.org\n";
    g_autofree char *tiny = g_strdup_printf(base, "retry 1ns");
    g_autofree char *e1 = refusal(tiny);
    CU_ASSERT_PTR_NOT_NULL(strstr(e1, "hostile.mss:1:33: error: a retry interval of 1ns is "
                                      "too short: expected at least 1s"));
    g_autofree char *many = g_strdup_printf(base, "retry 1s");
    g_autofree char *e2 = refusal(many);
    CU_ASSERT_PTR_NOT_NULL(strstr(e2, "hostile.mss:1:33: error: a retry every 1 s until the "
                                      "give-up time of 5 d makes more than 1000 attempts"));
    g_autofree char *late = g_strdup_printf(base, "give-up 106751d");
    g_autofree char *e3 = refusal(late);
    CU_ASSERT_PTR_NOT_NULL(strstr(e3, "hostile.mss:1:35: error: a retry every 30 min"));
    g_autofree char *fine = g_strdup_printf(base, "retry 1s give-up 15min");
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(fine, -1, "hostile.mss", &error);
    CU_ASSERT_PTR_NOT_NULL(sc);
}

static const char small_world[] =
    "server a.org domain a.org\n"
    "agent pc user u@a.org server a.org password x\n"
    "link pc a.org\n";

/* The documented maximums run in bounded time and memory, or check refuses
 * them at the word that goes too far. */
static void documented_maximums_are_bounded(void)
{
    /* count: at most 1000 a send, 2000 messages a scenario. */
    g_autofree char *one = g_strconcat(small_world,
                                       "at 0s pc send to u@a.org count 1001\n", NULL);
    g_autofree char *e1 = refusal(one);
    CU_ASSERT_PTR_NOT_NULL(strstr(e1, "hostile.mss:4:32: error: '1001' is out of range: "
                                      "expected a number of messages from 1 to 1000"));
    g_autofree char *many = g_strconcat(small_world,
                                        "at 0s pc send to u@a.org count 1000\n"
                                        "at 0s pc send to u@a.org count 1000\n"
                                        "at 0s pc send to u@a.org, x@a.org\n", NULL);
    g_autofree char *e2 = refusal(many);
    CU_ASSERT_PTR_NOT_NULL(strstr(e2, "hostile.mss:6:10: error: the sends up to here deliver "
                                      "more than 2000 messages"));
    /* The one running mailsim may allow more (run --max-messages), or fewer;
     * the bound on segments grows with it, never shrinks below its own. */
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) more =
        ms_scenario_parse_string_bounded(many, -1, "hostile.mss", 2002, &error);
    CU_ASSERT_PTR_NOT_NULL(more);
    CU_ASSERT_PTR_NULL(error);
    g_autoptr(MsScenario) fewer =
        ms_scenario_parse_string_bounded(many, -1, "hostile.mss", 10, &error);
    CU_ASSERT_PTR_NULL(fewer);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "hostile.mss:4:10: error: the sends up to "
                                                  "here deliver more than 10 messages"));
    g_clear_error(&error);
    /* Past the ceiling the ceiling holds. */
    GString *lots = g_string_new(small_world);
    for (guint i = 0; i < MS_SCENARIO_MAX_MESSAGES_CEILING / 1000 + 1; i++)
        g_string_append(lots, "at 0s pc send to u@a.org count 1000\n");
    g_autoptr(MsScenario) capped = ms_scenario_parse_string_bounded(
        lots->str, -1, "hostile.mss", G_MAXUINT, &error);
    g_string_free(lots, TRUE);
    CU_ASSERT_PTR_NULL(capped);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "deliver more than 1000000 messages"));

    /* A body written inline shares the 10 MB cap of a body file. */
    GString *big = g_string_new(small_world);
    g_string_append(big, "at 0s pc send to u@a.org body \"");
    for (guint i = 0; i < 10 * 1000 * 1000 + 1; i += 100)
        g_string_append(big, "0123456789012345678901234567890123456789012345678901234567890123"
                             "456789012345678901234567890123456789");
    g_string_append(big, "\"\n");
    g_autofree char *e3 = refusal(big->str);
    g_string_free(big, TRUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e3, "hostile.mss:4:31: error: the body is larger than "
                                      "10000000 bytes"));
    /* mss 1 with a large body: more segments than a run carries. */
    GString *tiny = g_string_new("mss 1\n");
    g_string_append(tiny, small_world);
    g_string_append(tiny, "at 0s pc send to u@a.org body \"");
    for (guint i = 0; i < 300000; i++)
        g_string_append_c(tiny, 'x');
    g_string_append(tiny, "\"\n");
    g_autofree char *e4 = refusal(tiny->str);
    g_string_free(tiny, TRUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e4, "hostile.mss:5:10: error: the messages sent up to here "
                                      "make more than 500000 TCP segments of 1 bytes"));
    /* 10^5 typed lines: a block holds 1000. */
    GString *typed = g_string_new(small_world);
    g_string_append(typed, "at 0s pc telnet a.org 25\n");
    for (guint i = 0; i < 100000; i++)
        g_string_append(typed, "type \"RCPT TO:<u@a.org>\"\n");
    g_string_append(typed, "end\n");
    g_autofree char *e5 = refusal(typed->str);
    g_string_free(typed, TRUE);
    CU_ASSERT_PTR_NOT_NULL(strstr(e5, "hostile.mss:1005:1: error: a telnet block holds at "
                                      "most 1000 lines"));
}

/* ---- Typed sessions -------------------------------------------------- */

static const char typing_world[] =
    "server a.org domain a.org webmail on\n"
    "agent pc user u@a.org server a.org password x\n"
    "link pc a.org latency 10ms\n";

/* Runs typing_world with a telnet block, which must run to the end
 * (transfer full: the world, and the scenario in sc_out). */
static MsWorld *run_typed(const char *block, MsScenario **sc_out)
{
    g_autofree char *text = g_strconcat(typing_world, block, NULL);
    gboolean ok = FALSE;
    MsWorld *w = run_text(text, sc_out, &ok);
    CU_ASSERT_TRUE(ok);
    return w;
}

/* A line ended by a bare CR gets no answer until the next byte: the
 * person notes the silence and types on, and both lines are answered. */
static void bare_cr_types_on(void)
{
    g_autoptr(MsScenario) sc = NULL;
    g_autoptr(MsWorld) w = run_typed("at 0s pc telnet a.org 25\n"
                                     "type \"HELO pc.a.org\" cr\n"
                                     "type \"QUIT\"\n"
                                     "end\n", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_events(t, "telnet.stall", "bare CR"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "500 5.5.2 Error: bare CR"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "221"), 1);
}

/* When the last line gets no answer the person closes the terminal, and
 * says why; nothing is left hanging. */
static void silence_at_the_end_is_noted(void)
{
    g_autoptr(MsScenario) sc = NULL;
    g_autoptr(MsWorld) w = run_typed("at 0s pc telnet a.org 110\n"
                                     "type \"USER u\" cr\n"
                                     "end\n", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_events(t, "telnet.stall", "closes the connection"), 1);
}

/* An HTTP request is typed whole (request line, fields, empty line, the
 * body Content-Length counts) before its answer is awaited; two requests
 * on one connection, no silence noted. */
static void http_request_typed(void)
{
    g_autoptr(MsScenario) sc = NULL;
    g_autoptr(MsWorld) w = run_typed("at 0s pc telnet a.org 80\n"
                                     "type \"GET / HTTP/1.1\"\n"
                                     "type \"Host: a.org\"\n"
                                     "type \"\"\n"
                                     "type \"POST /login HTTP/1.1\"\n"
                                     "type \"Host: a.org\"\n"
                                     "type \"Content-Type: application/x-www-form-urlencoded\"\n"
                                     "type \"Content-Length: 17\"\n"
                                     "type \"Connection: close\"\n"
                                     "type \"\"\n"
                                     "type \"user=u&password=x\"\n"
                                     "end\n", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "HTTP/1.1 200"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "HTTP/1.1 302"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_CLIENT, "user=u&password=x"), 1);
    CU_ASSERT_EQUAL(count_events(t, "telnet.stall", NULL), 0);
}

/* IMAP by hand: DONE ends an IDLE and its tagged completion is the reply
 * awaited; nothing is taken for silence. */
static void imap_idle_typed(void)
{
    g_autoptr(MsScenario) sc = NULL;
    g_autoptr(MsWorld) w = run_typed("at 0s pc telnet a.org 143\n"
                                     "type \"a1 LOGIN u x\"\n"
                                     "type \"a2 SELECT INBOX\"\n"
                                     "type \"a3 IDLE\"\n"
                                     "type \"DONE\"\n"
                                     "type \"a4 LOGOUT\"\n"
                                     "end\n", &sc);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "a3 OK"), 1);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "a4 OK"), 1);
    CU_ASSERT_EQUAL(count_events(t, "telnet.stall", NULL), 0);
}

/* Typed garbage: the server answers 421 after its error limit and closes;
 * what follows is not answered. */
static void typed_errors_are_cut_off(void)
{
    GString *text = g_string_new("at 0s pc telnet a.org 25\ntype \"HELO pc.a.org\"\n");
    for (guint i = 0; i < MS_PROTO_MAX_ERRORS + 5; i++)
        g_string_append(text, "type \"FROB\"\n");
    g_string_append(text, "end\n");
    g_autoptr(MsScenario) sc = NULL;
    g_autoptr(MsWorld) w = run_typed(text->str, &sc);
    g_string_free(text, TRUE);
    MsTrace *t = ms_world_trace(w);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "500"), MS_PROTO_MAX_ERRORS);
    CU_ASSERT_EQUAL(count_lines(t, MS_DIR_SERVER, "421 4.7.0 a.org Error: too many errors"), 1);
    CU_ASSERT_TRUE(count_lines(t, MS_DIR_CLIENT, "FROB") < MS_PROTO_MAX_ERRORS + 5);
}

/* ---- Check and run agree --------------------------------------------- */

/* Every scenario the checker accepts builds a world (run's first step) -
 * over the shipped scenarios and every test scenario, good or bad. */
static void check_accepts_only_what_runs(void)
{
    const char *const dirs[] = { "scenarios", "tests/data/scenario" };
    guint accepted = 0, refused = 0;
    for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autoptr(GDir) dir = g_dir_open(dirs[d], 0, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
        for (const char *name = g_dir_read_name(dir); name != NULL;
             name = g_dir_read_name(dir)) {
            if (!g_str_has_suffix(name, ".mss"))
                continue;
            g_autofree char *path = g_build_filename(dirs[d], name, NULL);
            g_autoptr(GError) error = NULL;
            g_autoptr(MsScenario) sc = ms_scenario_parse_file(path, &error);
            if (sc == NULL) {
                refused++;
                continue;
            }
            accepted++;
            g_autoptr(MsWorld) w = ms_world_new(sc, sc->seed, &error);
            if (w == NULL)
                fprintf(stderr, "\n  %s: check accepts, the world refuses: %s\n", path,
                        error->message);
            CU_ASSERT_PTR_NOT_NULL(w);
        }
    }
    CU_ASSERT_TRUE(accepted >= 21);
    CU_ASSERT_TRUE(refused >= 1);
}

int main(void)
{
    static const MsTestCase names[] = {
        MS_TEST(names_any_case_in_actions),
        MS_TEST(names_any_case_in_network_events),
        MS_TEST(mailbox_local_part_any_case),
        MS_TEST_END,
    };
    static const MsTestCase time[] = {
        MS_TEST(time_arithmetic_saturates),
        MS_TEST(actions_at_the_end_of_time),
        MS_TEST(queue_patience_is_not_stuck),
        MS_TEST(durations_written_another_way),
        MS_TEST_END,
    };
    static const MsTestCase net[] = {
        MS_TEST(loss_of_everything),
        MS_TEST_END,
    };
    static const MsTestCase cost[] = {
        MS_TEST(retry_has_a_floor),
        MS_TEST(documented_maximums_are_bounded),
        MS_TEST_END,
    };
    static const MsTestCase typed[] = {
        MS_TEST(bare_cr_types_on),
        MS_TEST(silence_at_the_end_is_noted),
        MS_TEST(http_request_typed),
        MS_TEST(imap_idle_typed),
        MS_TEST(typed_errors_are_cut_off),
        MS_TEST_END,
    };
    static const MsTestCase agree[] = {
        MS_TEST(check_accepts_only_what_runs),
        MS_TEST_END,
    };
    ms_test_add_suite("hostile/names", names);
    ms_test_add_suite("hostile/time", time);
    ms_test_add_suite("hostile/net", net);
    ms_test_add_suite("hostile/cost", cost);
    ms_test_add_suite("hostile/typed", typed);
    ms_test_add_suite("hostile/check_run", agree);
    return ms_test_run();
}
