/* test_scenario.c - the scenario language: lexer, parser and every error.
 *
 * Expected values are worked out from the language reference
 * (docs/scenario-language.md), not read back from the parser: durations are
 * counted in ns (1 ms = 10^6 ns), rates in bit/s with SI prefixes
 * (1 Mbit = 10^6 bit/s), and columns are 1-based byte offsets counted by
 * hand in the input shown next to each assertion.
 */
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

#include "mailsim/scenario.h"
#include "scenario/scenario-private.h"

/* ---- Helpers ---------------------------------------------------------- */

static MsScenario *parse_ok(const char *text)
{
    g_autoptr(GError) error = NULL;
    MsScenario *sc = ms_scenario_parse_string(text, -1, "t.mss", &error);
    if (sc == NULL)
        fprintf(stderr, "\n  unexpected errors:\n%s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL(sc);
    CU_ASSERT_PTR_NULL(error);
    return sc;
}

/* The whole error message for text, which must fail (transfer full). */
static char *errors_of(const char *text, gssize len)
{
    g_autoptr(GError) error = NULL;
    MsScenario *sc = ms_scenario_parse_string(text, len, "t.mss", &error);
    CU_ASSERT_PTR_NULL(sc);
    ms_scenario_free(sc);
    if (error == NULL) {
        CU_FAIL("parsing should have failed");
        return g_strdup("");
    }
    CU_ASSERT(g_error_matches(error, MS_ERROR, MS_ERROR_SCENARIO));
    return g_strdup(error->message);
}

static guint count_lines(const char *msg)
{
    if (*msg == '\0')
        return 0;
    guint n = 1;
    for (const char *p = msg; *p != '\0'; p++)
        n += *p == '\n';
    return n;
}

/* Does some line of msg start "t.mss:LINE:COL: error: " and contain
 * fragment? */
static gboolean has_error(const char *msg, guint line, guint col, const char *fragment)
{
    g_autofree char *prefix = g_strdup_printf("t.mss:%u:%u: error: ", line, col);
    g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], prefix) && strstr(lines[i], fragment) != NULL)
            return TRUE;
    }
    fprintf(stderr, "\n  no error %s...%s in:\n%s\n", prefix, fragment, msg);
    return FALSE;
}

/* text must fail with exactly one error, at line:col, holding fragment. */
#define ASSERT_ONE_ERROR(text, line, col, fragment)           \
    do {                                                      \
        g_autofree char *msg_ = errors_of((text), -1);        \
        CU_ASSERT(has_error(msg_, (line), (col), (fragment))); \
        CU_ASSERT_EQUAL(count_lines(msg_), 1);                \
    } while (0)

/* Three lines every valid test scenario below starts from:
 *   1 server crepes.fr domain crepes.fr
 *   2 server hamburger.edu domain hamburger.edu
 *   3 link crepes.fr hamburger.edu
 */
#define BASE                                   \
    "server crepes.fr domain crepes.fr\n"      \
    "server hamburger.edu domain hamburger.edu\n" \
    "link crepes.fr hamburger.edu\n"
/* Lines 4-7: two agents, each linked to its server. */
#define PEOPLE                                                             \
    "agent alice-pc user alice@crepes.fr server crepes.fr\n"               \
    "agent bob-pc user bob@hamburger.edu server hamburger.edu password x\n" \
    "link alice-pc crepes.fr\n"                                            \
    "link bob-pc hamburger.edu\n"

static GPtrArray *lex(const char *text, MsScDiags *diags)
{
    ms_sc_diags_init(diags);
    return ms_sc_lex(text, strlen(text), diags);
}

static const MsScToken *tok_at(GPtrArray *statements, guint s, guint t)
{
    const MsScStatement *st = g_ptr_array_index(statements, s);
    return g_ptr_array_index(st->tokens, t);
}

static guint n_tokens(GPtrArray *statements, guint s)
{
    const MsScStatement *st = g_ptr_array_index(statements, s);
    return st->tokens->len;
}

/* ---- scenario/lexer ----------------------------------------------------- */

static void words_strings_and_columns(void)
{
    MsScDiags diags;
    /*                  1234567890123456789012345 */
    GPtrArray *sts = lex("at 0s  a@b.c,d@e \"x y\"  # note\n", &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL(sts->len, 1);
    CU_ASSERT_EQUAL(n_tokens(sts, 0), 6);
    const MsScToken *t = tok_at(sts, 0, 2);
    MS_ASSERT_STR(t->text, "a@b.c");
    CU_ASSERT_EQUAL(t->kind, MS_SC_TOK_WORD);
    CU_ASSERT_EQUAL(t->loc.column, 8);
    t = tok_at(sts, 0, 3);
    CU_ASSERT_EQUAL(t->kind, MS_SC_TOK_COMMA);
    CU_ASSERT_EQUAL(t->loc.column, 13);
    t = tok_at(sts, 0, 4);
    MS_ASSERT_STR(t->text, "d@e");
    CU_ASSERT_EQUAL(t->loc.column, 14);
    t = tok_at(sts, 0, 5);
    CU_ASSERT_EQUAL(t->kind, MS_SC_TOK_STRING);
    MS_ASSERT_STR(t->text, "x y");
    CU_ASSERT_EQUAL(t->loc.column, 18); /* the opening quote */
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

static void escapes_are_decoded(void)
{
    MsScDiags diags;
    GPtrArray *sts = lex("body \"a\\nb\\tc\\\\d\\\"e\\rf\\x41\\x7e\"\n", &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL(n_tokens(sts, 0), 2);
    MS_ASSERT_STR(tok_at(sts, 0, 1)->text, "a\nb\tc\\d\"e\rfA~");
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

static void comments_blank_lines_and_crlf(void)
{
    MsScDiags diags;
    GPtrArray *sts = lex("# only a comment\r\n\r\n   \nseed 1 # \"not a string\r\nseed 2\r\n",
                         &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL(sts->len, 2);
    CU_ASSERT_EQUAL(n_tokens(sts, 0), 2);
    CU_ASSERT_EQUAL(tok_at(sts, 0, 0)->loc.line, 4);
    MS_ASSERT_STR(tok_at(sts, 1, 1)->text, "2");
    CU_ASSERT_EQUAL(tok_at(sts, 1, 1)->loc.line, 5);
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

static void byte_order_mark_is_skipped(void)
{
    MsScDiags diags;
    /* Columns count from after the 3-byte UTF-8 BOM, as editors show. */
    GPtrArray *sts = lex("\xEF\xBB\xBFseed 1\n", &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL_FATAL(sts->len, 1);
    MS_ASSERT_STR(tok_at(sts, 0, 0)->text, "seed");
    CU_ASSERT_EQUAL(tok_at(sts, 0, 0)->loc.column, 1);
    CU_ASSERT_EQUAL(tok_at(sts, 0, 1)->loc.column, 6);
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

static void backslash_joins_lines(void)
{
    MsScDiags diags;
    /* Outside a string the line break acts as a blank (even with blanks
     * after the backslash); inside a string it vanishes. */
    GPtrArray *sts = lex("link a \\  \n  b\nbody \"one \\\ntwo\"\n# c \\\nseed 1\n", &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL(sts->len, 3);
    CU_ASSERT_EQUAL(n_tokens(sts, 0), 3);
    MS_ASSERT_STR(tok_at(sts, 0, 2)->text, "b");
    CU_ASSERT_EQUAL(tok_at(sts, 0, 2)->loc.line, 2);
    CU_ASSERT_EQUAL(tok_at(sts, 0, 2)->loc.column, 3);
    MS_ASSERT_STR(tok_at(sts, 1, 1)->text, "one two");
    /* A comment ending in a backslash joins nothing: 'seed' is its own. */
    MS_ASSERT_STR(tok_at(sts, 2, 0)->text, "seed");
    CU_ASSERT_EQUAL(tok_at(sts, 2, 0)->loc.line, 6);
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

static void micro_sign_is_part_of_a_word(void)
{
    MsScDiags diags;
    GPtrArray *sts = lex("latency 250\xC2\xB5s 3\xCE\xBCs\n", &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL(n_tokens(sts, 0), 3);
    MsTime t = 0;
    g_autofree char *why = NULL;
    CU_ASSERT(ms_sc_parse_duration(tok_at(sts, 0, 1)->text, &t, &why));
    CU_ASSERT_EQUAL(t, 250 * MS_USEC);
    CU_ASSERT(ms_sc_parse_duration(tok_at(sts, 0, 2)->text, &t, &why));
    CU_ASSERT_EQUAL(t, 3 * MS_USEC);
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

static void durations_are_exact(void)
{
    static const struct {
        const char *text;
        MsTime ns;
    } good[] = {
        { "0s", 0 },
        { "7ns", 7 },
        { "2us", 2000 },
        { "2.5us", 2500 },
        { "2ms", 2000000 },
        { "40ms", 40000000 },
        { "1.5s", 1500000000 },
        { "0.1s", 100000000 },          /* not 99999999: no binary fractions */
        { "0.000000001s", 1 },
        { "1.000s", 1000000000 },       /* trailing zeros add no precision */
        { "30min", 30LL * 60 * 1000000000 },
        { "1.5h", 5400LL * 1000000000 },
        { "1d", 86400LL * 1000000000 },
        /* 106751 d = 9223286400 s, under 2^63 - 1 ns = 9223372036.85 s */
        { "106751d", 106751LL * 86400 * 1000000000 },
    };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        MsTime t = -1;
        g_autofree char *why = NULL;
        CU_ASSERT(ms_sc_parse_duration(good[i].text, &t, &why));
        CU_ASSERT_EQUAL(t, good[i].ns);
    }
    static const struct {
        const char *text;
        const char *fragment;
    } bad[] = {
        { "40", "expected a duration such as 40ms or 2s, found '40'" },
        { "40sec", "found '40sec'" },
        { "ms", "found 'ms'" },
        { "-1s", "found '-1s'" },
        { "1.s", "found '1.s'" },
        { "2Ms", "found '2Ms'" },                 /* units are case-sensitive */
        { "1.5ns", "finer than 1 ns" },
        { "0.0000000001s", "finer than 1 ns" },
        { "106752d", "too long" },                /* 106752 d > 2^63 - 1 ns */
        { "99999999999999999999999s", "too long" },
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        MsTime t = -1;
        g_autofree char *why = NULL;
        CU_ASSERT_FALSE(ms_sc_parse_duration(bad[i].text, &t, &why));
        CU_ASSERT(why != NULL && strstr(why, bad[i].fragment) != NULL);
    }
}

static void rates_loss_and_seeds(void)
{
    static const struct {
        const char *text;
        guint64 bits;
    } good[] = {
        { "10Mbit", 10000000 },   /* SI: 1 Mbit = 10^6 bit */
        { "100Mbit", 100000000 },
        { "512kbit", 512000 },
        { "1.5Mbps", 1500000 },
        { "2Gbit", 2000000000 },
        { "9600bps", 9600 },
        { "64bit", 64 },
        { "10mbit", 10000000 },   /* rate units ignore case */
    };
    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        guint64 r = 0;
        g_autofree char *why = NULL;
        CU_ASSERT(ms_sc_parse_rate(good[i].text, &r, &why));
        CU_ASSERT_EQUAL(r, good[i].bits);
    }
    const char *bad_rates[] = { "10", "10Mb", "0bit", "0.5bit", "fast" };
    for (guint i = 0; i < G_N_ELEMENTS(bad_rates); i++) {
        guint64 r = 0;
        g_autofree char *why = NULL;
        CU_ASSERT_FALSE(ms_sc_parse_rate(bad_rates[i], &r, &why));
        CU_ASSERT_PTR_NOT_NULL(why);
    }
    double p = -1;
    g_autofree char *why = NULL;
    CU_ASSERT(ms_sc_parse_loss("1%", &p, &why));
    CU_ASSERT_DOUBLE_EQUAL(p, 0.01, 1e-12);
    CU_ASSERT(ms_sc_parse_loss("0.25", &p, &why));
    CU_ASSERT_DOUBLE_EQUAL(p, 0.25, 1e-12);
    CU_ASSERT(ms_sc_parse_loss("100%", &p, &why));
    CU_ASSERT_DOUBLE_EQUAL(p, 1.0, 1e-12);
    const char *bad_loss[] = { "150%", "2", "1%%", "%", "-0.1", "lots" };
    for (guint i = 0; i < G_N_ELEMENTS(bad_loss); i++) {
        g_autofree char *w = NULL;
        CU_ASSERT_FALSE(ms_sc_parse_loss(bad_loss[i], &p, &w));
    }
    guint64 seed = 0;
    g_autofree char *w1 = NULL;
    CU_ASSERT(ms_sc_parse_seed("18446744073709551615", &seed, &w1)); /* 2^64 - 1 */
    CU_ASSERT_EQUAL(seed, G_MAXUINT64);
    g_autofree char *w2 = NULL;
    CU_ASSERT_FALSE(ms_sc_parse_seed("18446744073709551616", &seed, &w2));
    CU_ASSERT(w2 != NULL && strstr(w2, "too large") != NULL);
    g_autofree char *w3 = NULL;
    CU_ASSERT_FALSE(ms_sc_parse_seed("1.5", &seed, &w3));
}

static void names_and_suggestions(void)
{
    CU_ASSERT(ms_sc_is_host_name("crepes.fr"));
    CU_ASSERT(ms_sc_is_host_name("alice-pc"));
    CU_ASSERT_FALSE(ms_sc_is_host_name("-x"));
    CU_ASSERT_FALSE(ms_sc_is_host_name("a..b"));
    CU_ASSERT_FALSE(ms_sc_is_host_name("a@b"));
    CU_ASSERT_FALSE(ms_sc_is_host_name(""));
    CU_ASSERT(ms_sc_is_address("alice@crepes.fr"));
    CU_ASSERT(ms_sc_is_address("first.last+tag@mail.example.org"));
    CU_ASSERT_FALSE(ms_sc_is_address("alice"));
    CU_ASSERT_FALSE(ms_sc_is_address("@crepes.fr"));
    CU_ASSERT_FALSE(ms_sc_is_address("alice@"));
    CU_ASSERT_FALSE(ms_sc_is_address("a..b@crepes.fr"));
    CU_ASSERT_FALSE(ms_sc_is_address("a@b@c"));
    /* Classic example: kitten -> sitting is three edits. */
    CU_ASSERT_EQUAL(ms_sc_edit_distance("kitten", "sitting"), 3);
    CU_ASSERT_EQUAL(ms_sc_edit_distance("agnet", "agent"), 1); /* one transposition */
    CU_ASSERT_EQUAL(ms_sc_edit_distance("", "at"), 2);
    static const char *const kw[] = { "scenario", "seed", "server", "agent", "link", "at", NULL };
    MS_ASSERT_STR(ms_sc_suggest("agnet", kw), "agent");
    MS_ASSERT_STR(ms_sc_suggest("lnik", kw), "link");
    MS_ASSERT_STR(ms_sc_suggest("Server", kw), "server");
    CU_ASSERT_PTR_NULL(ms_sc_suggest("banana", kw));
    CU_ASSERT_PTR_NULL(ms_sc_suggest("x", kw));
}

/* ---- scenario/parser ---------------------------------------------------- */

static void acceptance_example(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_file("tests/data/scenario/acceptance.mss",
                                                      &error);
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    MS_ASSERT_STR(sc->file, "tests/data/scenario/acceptance.mss");
    MS_ASSERT_STR(sc->name, "Alice sends Bob a message");
    CU_ASSERT_EQUAL(sc->seed, 1);

    CU_ASSERT_EQUAL_FATAL(sc->servers->len, 2);
    const MsScServer *s0 = g_ptr_array_index(sc->servers, 0);
    const MsScServer *s1 = g_ptr_array_index(sc->servers, 1);
    MS_ASSERT_STR(s0->name, "crepes.fr");
    MS_ASSERT_STR(s0->domain, "crepes.fr");
    CU_ASSERT_EQUAL(s0->loc.line, 3);
    CU_ASSERT_EQUAL(s0->loc.column, 1);
    MS_ASSERT_STR(s1->name, "hamburger.edu");
    MS_ASSERT_STR(s1->domain, "hamburger.edu");

    CU_ASSERT_EQUAL_FATAL(sc->agents->len, 2);
    const MsScAgent *alice = g_ptr_array_index(sc->agents, 0);
    const MsScAgent *bob = g_ptr_array_index(sc->agents, 1);
    MS_ASSERT_STR(alice->host, "alice-pc");
    MS_ASSERT_STR(alice->user, "alice@crepes.fr");
    MS_ASSERT_STR(alice->server, "crepes.fr");
    CU_ASSERT_PTR_NULL(alice->password);
    MS_ASSERT_STR(bob->host, "bob-pc");
    MS_ASSERT_STR(bob->user, "bob@hamburger.edu");
    MS_ASSERT_STR(bob->server, "hamburger.edu");
    MS_ASSERT_STR(bob->password, "hungry");
    CU_ASSERT_EQUAL(bob->loc.line, 6);

    CU_ASSERT_EQUAL_FATAL(sc->links->len, 3);
    const MsScLink *l0 = g_ptr_array_index(sc->links, 0);
    const MsScLink *l1 = g_ptr_array_index(sc->links, 1);
    const MsScLink *l2 = g_ptr_array_index(sc->links, 2);
    MS_ASSERT_STR(l0->a, "alice-pc");
    MS_ASSERT_STR(l0->b, "crepes.fr");
    CU_ASSERT_EQUAL(l0->latency, 2000000);      /* 2 ms */
    CU_ASSERT_EQUAL(l0->bandwidth, 10000000);   /* 10 Mbit/s */
    CU_ASSERT_DOUBLE_EQUAL(l0->loss, 0.0, 0.0);
    MS_ASSERT_STR(l1->a, "crepes.fr");
    MS_ASSERT_STR(l1->b, "hamburger.edu");
    CU_ASSERT_EQUAL(l1->latency, 40000000);     /* 40 ms */
    CU_ASSERT_EQUAL(l1->bandwidth, 100000000);  /* 100 Mbit/s */
    MS_ASSERT_STR(l2->a, "bob-pc");
    MS_ASSERT_STR(l2->b, "hamburger.edu");
    CU_ASSERT_EQUAL(l2->latency, 2000000);
    CU_ASSERT_EQUAL(l2->bandwidth, 10000000);
    CU_ASSERT_EQUAL(l2->loc.line, 9);

    CU_ASSERT_EQUAL_FATAL(sc->actions->len, 2);
    const MsScAction *send = g_ptr_array_index(sc->actions, 0);
    const MsScAction *fetch = g_ptr_array_index(sc->actions, 1);
    CU_ASSERT_EQUAL(send->kind, MS_SC_SEND);
    CU_ASSERT_EQUAL(send->at, 0);
    MS_ASSERT_STR(send->host, "alice-pc");
    CU_ASSERT_EQUAL(send->loc.line, 10);
    CU_ASSERT_EQUAL(send->loc.column, 1);
    CU_ASSERT_EQUAL_FATAL(send->to->len, 1);
    MS_ASSERT_STR(g_ptr_array_index(send->to, 0), "bob@hamburger.edu");
    CU_ASSERT_EQUAL(send->cc->len, 0);
    CU_ASSERT_EQUAL(send->bcc->len, 0);
    MS_ASSERT_STR(send->subject, "Ketchup");
    MS_ASSERT_STR(send->body, "Do you like ketchup?\nHow about pickles?"); /* a real LF */
    CU_ASSERT_EQUAL(fetch->kind, MS_SC_POP3_FETCH);
    CU_ASSERT_EQUAL(fetch->at, 5000000000);     /* 5 s */
    MS_ASSERT_STR(fetch->host, "bob-pc");
    CU_ASSERT_FALSE(fetch->keep);               /* "delete" */
    CU_ASSERT_EQUAL(fetch->loc.line, 11);

    MS_ASSERT_STR(ms_sc_action_name(send->kind), "send");
    MS_ASSERT_STR(ms_sc_action_name(fetch->kind), "pop3 fetch");
}

static void every_feature(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_file("tests/data/scenario/features.mss",
                                                      &error);
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    MS_ASSERT_STR(sc->name, "Features: continuation, lists, defaults");
    CU_ASSERT_EQUAL(sc->seed, G_MAXUINT64);
    const MsScServer *mx = g_ptr_array_index(sc->servers, 1);
    MS_ASSERT_STR(mx->name, "mx.hamburger.edu"); /* quoted names lose their quotes */
    const MsScAgent *alice = g_ptr_array_index(sc->agents, 0);
    MS_ASSERT_STR(alice->server, "mail.crepes.fr");
    MS_ASSERT_STR(alice->password, "open sesame");

    CU_ASSERT_EQUAL_FATAL(sc->links->len, 3);
    const MsScLink *plain = g_ptr_array_index(sc->links, 0);
    CU_ASSERT_EQUAL(plain->latency, MS_MSEC);      /* default 1 ms */
    CU_ASSERT_EQUAL(plain->bandwidth, 10000000);   /* default 10 Mbit/s */
    CU_ASSERT_DOUBLE_EQUAL(plain->loss, 0.0, 0.0); /* default no loss */
    const MsScLink *wan = g_ptr_array_index(sc->links, 1);
    CU_ASSERT_EQUAL(wan->latency, 1500 * MS_MSEC);
    CU_ASSERT_EQUAL(wan->bandwidth, 1500000);
    CU_ASSERT_DOUBLE_EQUAL(wan->loss, 0.01, 1e-12);
    const MsScLink *bob = g_ptr_array_index(sc->links, 2);
    CU_ASSERT_EQUAL(bob->latency, 250 * MS_USEC);
    CU_ASSERT_EQUAL(bob->bandwidth, 512000);
    CU_ASSERT_DOUBLE_EQUAL(bob->loss, 0.25, 1e-12);

    CU_ASSERT_EQUAL_FATAL(sc->actions->len, 4);
    const MsScAction *send = g_ptr_array_index(sc->actions, 0);
    CU_ASSERT_EQUAL(send->loc.line, 15);
    CU_ASSERT_EQUAL_FATAL(send->to->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(send->to, 1), "alice@crepes.fr");
    CU_ASSERT_EQUAL(send->cc->len, 1);
    CU_ASSERT_EQUAL_FATAL(send->bcc->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(send->bcc, 1), "bob@hamburger.edu");
    MS_ASSERT_STR(send->subject, "Tab\there, quote \" and A");
    MS_ASSERT_STR(send->body, "Line one\r\nLine two\\ still line two");
    const MsScAction *a1 = g_ptr_array_index(sc->actions, 1);
    const MsScAction *a2 = g_ptr_array_index(sc->actions, 2);
    const MsScAction *a3 = g_ptr_array_index(sc->actions, 3);
    CU_ASSERT_EQUAL(a1->at, 2 * MS_MINUTE);
    CU_ASSERT_TRUE(a1->keep);
    CU_ASSERT_FALSE(a2->keep);                     /* default: delete */
    CU_ASSERT_EQUAL(a3->at, 90 * MS_MINUTE);       /* 1.5 h */
    CU_ASSERT_EQUAL(a3->loc.line, 22);
    CU_ASSERT_EQUAL(a1->to->len, 0);               /* lists exist, empty */
}

static void defaults_and_lookups(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(BASE PEOPLE, -1,
                                                        "lectures/week-3.mss", &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    MS_ASSERT_STR(sc->name, "week-3"); /* the file stem */
    CU_ASSERT_EQUAL(sc->seed, 1);
    CU_ASSERT_EQUAL(sc->actions->len, 0);
    const MsScServer *s = ms_scenario_find_server(sc, "Hamburger.EDU"); /* DNS: any case */
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    MS_ASSERT_STR(s->name, "hamburger.edu");
    CU_ASSERT_PTR_EQUAL(ms_scenario_server_for_domain(sc, "crepes.fr"),
                        g_ptr_array_index(sc->servers, 0));
    CU_ASSERT_PTR_NULL(ms_scenario_server_for_domain(sc, "nowhere.org"));
    CU_ASSERT_PTR_NULL(ms_scenario_find_server(sc, "alice-pc"));
    const MsScAgent *a = ms_scenario_find_agent(sc, "bob-pc");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    MS_ASSERT_STR(a->password, "x");
    CU_ASSERT_PTR_NULL(ms_scenario_find_agent(sc, "crepes.fr"));
    ms_scenario_free(NULL); /* must be harmless */
}

static void length_bounds_the_text(void)
{
    /* Only the first len bytes count: the garbage after them is not read. */
    const char text[] = BASE PEOPLE "\x01garbage";
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(text, (gssize) strlen(BASE PEOPLE),
                                                        NULL, &error);
    CU_ASSERT_PTR_NOT_NULL(sc);
    CU_ASSERT_PTR_NULL(error);
}

static void same_input_same_result(void)
{
    gsize len = 0;
    g_autofree char *text = ms_test_read_file("tests/data/scenario/several-errors.mss", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    g_autofree char *first = errors_of(text, (gssize) len);
    for (int i = 0; i < 3; i++) {
        g_autofree char *again = errors_of(text, (gssize) len);
        MS_ASSERT_STR(again, first);
    }
    g_autoptr(MsScenario) a = parse_ok(BASE PEOPLE "at 1s alice-pc send to bob@hamburger.edu\n");
    g_autoptr(MsScenario) b = parse_ok(BASE PEOPLE "at 1s alice-pc send to bob@hamburger.edu\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(((MsScAction *) g_ptr_array_index(a->actions, 0))->at,
                    ((MsScAction *) g_ptr_array_index(b->actions, 0))->at);
}

static void equal_times_are_in_order(void)
{
    g_autoptr(MsScenario) sc = parse_ok(BASE PEOPLE
                                        "at 1s alice-pc send to bob@hamburger.edu\n"
                                        "at 1000ms bob-pc pop3 fetch\n");
    CU_ASSERT_PTR_NOT_NULL(sc);
}

/* ---- scenario/errors ---------------------------------------------------- */

static void unknown_keyword(void)
{
    ASSERT_ONE_ERROR(BASE "agnet alice-pc user alice@crepes.fr server crepes.fr\n", 4, 1,
                     "unknown keyword 'agnet'; did you mean 'agent'?");
    ASSERT_ONE_ERROR(BASE "Link crepes.fr hamburger.edu\n", 4, 1, "did you mean 'link'?");
    ASSERT_ONE_ERROR(BASE "banana 1\n", 4, 1, "unknown keyword 'banana'");
    ASSERT_ONE_ERROR(BASE "\"server\" x domain y\n", 4, 1,
                     "expected a keyword (scenario, seed, start, mss, rto, server, agent, "
                     "mailbox, link or at), "
                     "found the string \"server\"");
}

static void bad_units(void)
{
    /* "link alice-pc hamburger.edu latency " is 36 bytes: the value is at 37. */
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu latency 40\n", 8, 37,
                     "expected a duration such as 40ms or 2s, found '40'");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu latency 40sec\n", 8, 37,
                     "found '40sec'");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu latency 1.5ns\n", 8, 37,
                     "finer than 1 ns");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu bandwidth 10\n", 8, 39,
                     "expected a rate such as 10Mbit or 512kbit, found '10'");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu loss 150%\n", 8, 34,
                     "more than 100%");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0 alice-pc send to bob@hamburger.edu\n", 8, 4,
                     "expected a duration such as 40ms or 2s, found '0'");
    ASSERT_ONE_ERROR("seed -1\n" BASE PEOPLE, 1, 6, "expected a seed");
    ASSERT_ONE_ERROR("seed 18446744073709551616\n" BASE PEOPLE, 1, 6, "too large");
}

static void missing_values(void)
{
    /* The statement ends right after "latency" (35 bytes): column 36. */
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu latency\n", 8, 36,
                     "expected a duration such as 40ms or 2s, found end of line");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu latency   # slow\n", 8, 36,
                     "found end of line");
    ASSERT_ONE_ERROR(BASE PEOPLE "agent carol-pc user carol@crepes.fr\n", 8, 36,
                     "expected 'server' and the user's mail server");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send subject \"x\"\n", 8, 32,
                     "expected 'to' and at least one address");
    ASSERT_ONE_ERROR(BASE "server mx.hamburger.edu\n", 4, 24, "expected 'domain'");
    ASSERT_ONE_ERROR("scenario\n" BASE PEOPLE, 1, 9, "expected the scenario's name");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc\n", 8, 15,
                     "expected 'send', 'reply', 'forward', 'pop3', 'imap', 'telnet' or 'web' as the action, found end of line");
}

static void unexpected_words(void)
{
    ASSERT_ONE_ERROR("seed 1 2\n" BASE PEOPLE, 1, 8,
                     "expected the end of the seed statement, found '2'");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu lantency 2ms\n", 8, 29,
                     "did you mean 'latency'?");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc hamburger.edu latency 2ms latency 3ms\n", 8,
                     41, "'latency' is given twice in one link statement (first at 8:29)");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc snd to bob@hamburger.edu\n", 8, 16,
                     "did you mean 'send'?");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s bob-pc pop3 get\n", 8, 19, "expected 'fetch'");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s bob-pc pop3 fetch kepe\n", 8, 25,
                     "did you mean 'keep'?");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s bob-pc pop3 fetch keep now\n", 8, 30,
                     "expected 'delete', 'keep', 'list-only', 'apop', 'every', 'until', "
                     "'password', 'stat' or 'rset' in a pop3 fetch action, found 'now'");
    /* A forgotten comma, then a comma too many ("at 0s alice-pc send to
     * bob@hamburger.edu" is 23 + 17 = 40 bytes). */
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu alice@crepes.fr\n",
                     8, 42, "separate addresses with one ','");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu,\n", 8, 42,
                     "expected another address after ',', found end of line");
}

static void bad_names_and_addresses(void)
{
    ASSERT_ONE_ERROR(BASE "agent alice-pc user alice server crepes.fr\n", 4, 21,
                     "expected the user's address such as alice@crepes.fr, found 'alice'");
    ASSERT_ONE_ERROR("server -bad domain x.org\n", 1, 8, "expected a server's host name");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc alice-pc\n", 8, 15,
                     "both ends are 'alice-pc'");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject \"a\\nb\"\n",
                     8, 50, "cannot hold a line break");
}

static void duplicates(void)
{
    ASSERT_ONE_ERROR(BASE PEOPLE "agent crepes.fr user x@crepes.fr server crepes.fr\n", 8, 7,
                     "duplicate host 'crepes.fr' (first declared at line 1)");
    /* The first declaration wins whatever its kind. */
    ASSERT_ONE_ERROR("agent mail user u@crepes.fr server crepes.fr\n"
                     "server crepes.fr domain crepes.fr\n"
                     "server mail domain other.org\n"
                     "link mail crepes.fr\n",
                     3, 8, "duplicate host 'mail' (first declared at line 1)");
    ASSERT_ONE_ERROR(BASE PEOPLE "link hamburger.edu crepes.fr latency 5ms\n", 8, 6,
                     "duplicate link between 'hamburger.edu' and 'crepes.fr' (first at line 3)");
    ASSERT_ONE_ERROR(BASE "server mx.crepes.fr domain crepes.fr\n", 4, 28,
                     "domain 'crepes.fr' is already served by 'crepes.fr' (line 1)");
    ASSERT_ONE_ERROR("scenario \"A\"\n" BASE PEOPLE "scenario \"B\"\n", 9, 1,
                     "a second 'scenario' statement: the name was already given at line 1");
    ASSERT_ONE_ERROR(BASE "seed 1\n" PEOPLE "seed 2\n", 9, 1,
                     "a second 'seed' statement: the seed was already given at line 4");
}

/* A scenario may carry a Chinese title for the zh outputs: after its
 * name, the word zh and a string; without it there is none. */
static void chinese_title(void)
{
    g_autoptr(MsScenario) both = parse_ok("scenario \"Alice sends Bob a message\" zh "
                                          "\"Alice 给 Bob 发一封邮件\"\n" BASE PEOPLE);
    MS_ASSERT_STR(both->name, "Alice sends Bob a message");
    MS_ASSERT_STR(both->name_zh, "Alice 给 Bob 发一封邮件");
    g_autoptr(MsScenario) en = parse_ok("scenario \"Only English\"\n" BASE PEOPLE);
    MS_ASSERT_STR(en->name, "Only English");
    CU_ASSERT_PTR_NULL(en->name_zh);
    ASSERT_ONE_ERROR("scenario \"A\" zh\n" BASE PEOPLE, 1, 16, "Chinese name");
    ASSERT_ONE_ERROR("scenario \"A\" zh \"\"\n" BASE PEOPLE, 1, 17, "name is empty");
    ASSERT_ONE_ERROR("scenario \"A\" fr \"B\"\n" BASE PEOPLE, 1, 14, "expected 'zh'");
}

static void undefined_hosts(void)
{
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc carol-pc\n", 8, 15, "undefined host 'carol-pc'");
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc bob-cp\n", 8, 15, "did you mean 'bob-pc'?");
    /* "agent alice-pc user alice@crepes.fr server " is 43 bytes. */
    ASSERT_ONE_ERROR(BASE "agent alice-pc user alice@crepes.fr server crepes.com\n"
                          "link alice-pc crepes.fr\n",
                     4, 44, "undefined server 'crepes.com'");
    ASSERT_ONE_ERROR(BASE PEOPLE "agent carol-pc user carol@crepes.fr server alice-pc\n"
                                 "link carol-pc alice-pc\n",
                     8, 44, "'alice-pc' is an agent, not a server");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s carol-pc pop3 fetch\n", 8, 7,
                     "undefined host 'carol-pc'");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s crepes.fr send to bob@hamburger.edu\n", 8, 7,
                     "'crepes.fr' is a server: only an agent can act");
    ASSERT_ONE_ERROR(BASE "agent alice-pc user alice@hamburger.edu server crepes.fr\n"
                          "link alice-pc crepes.fr\n",
                     4, 21, "user 'alice@hamburger.edu' is not in domain 'crepes.fr'");
}

static void unserved_recipients(void)
{
    /* "at 0s alice-pc send to bob@hamburger.edu, " is 42 bytes. */
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu, carol@nowhere.org\n",
                     8, 43, "no server serves the domain of 'carol@nowhere.org'");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu cc x@y.org\n", 8, 45,
                     "no server serves the domain of 'x@y.org'");
}

static void times_out_of_order(void)
{
    ASSERT_ONE_ERROR(BASE PEOPLE "at 5s alice-pc send to bob@hamburger.edu\n"
                                 "at 3s bob-pc pop3 fetch\n",
                     9, 4, "time 3s is earlier than the previous action at 5s (line 8)");
}

static void fetch_needs_password(void)
{
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc pop3 fetch\n", 8, 16,
                     "'pop3 fetch' needs a password, but agent 'alice-pc' (line 4) has none");
}

static void unreachable_hosts(void)
{
    gsize len = 0;
    g_autofree char *text = ms_test_read_file("tests/data/scenario/unreachable.mss", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    g_autofree char *msg = errors_of(text, (gssize) len);
    CU_ASSERT(has_error(msg, 6, 7, "agent 'carol-pc' cannot reach its server 'crepes.fr'"));
    CU_ASSERT(has_error(msg, 9, 24, "server 'crepes.fr' cannot reach 'hamburger.edu', the "
                                    "server for 'bob@hamburger.edu'"));
    /* The second send across the same gap is not reported again. */
    CU_ASSERT_EQUAL(count_lines(msg), 2);
}

static void lexical_errors(void)
{
    /* "at 0s alice-pc send to bob@hamburger.edu subject " is 49 bytes. */
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject \"Ketchup\n",
                     8, 50, "unterminated string");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject \"Ketchup",
                     8, 50, "unterminated string");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject \"a\\qb\"\n",
                     8, 52, "unknown escape '\\q'");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject \"\\\xC3\xA9\"\n",
                     8, 51, "'\\' followed by byte 0xC3");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu body \"\\xZZ\"\n",
                     8, 48, "expected two hex digits");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu body \"\\x00\"\n",
                     8, 48, "NUL");
    ASSERT_ONE_ERROR(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject "
                                 "\xE2\x80\x9CHi\xE2\x80\x9D\n",
                     8, 50, "strings use plain double quotes");
    ASSERT_ONE_ERROR("seed \xFF\n" BASE PEOPLE, 1, 6, "not valid UTF-8");
    ASSERT_ONE_ERROR("seed 1 $\n" BASE PEOPLE, 1, 8, "unexpected character '$'");
    ASSERT_ONE_ERROR("seed 1 \\ 2\n" BASE PEOPLE, 1, 8, "unexpected '\\'");
    /* On a continued line the column is the one on that physical line:
     * "  hamburger.edu latency " is 24 bytes. */
    ASSERT_ONE_ERROR(BASE PEOPLE "link alice-pc \\\n  hamburger.edu latency 4\n", 9, 25,
                     "found '4'");
}

static void missing_or_empty_files(void)
{
    g_autoptr(GError) e1 = NULL;
    CU_ASSERT_PTR_NULL(ms_scenario_parse_file("tests/data/scenario/no-such-file.mss", &e1));
    CU_ASSERT(g_error_matches(e1, MS_ERROR, MS_ERROR_IO));
    CU_ASSERT(e1 != NULL && strstr(e1->message, "tests/data/scenario/no-such-file.mss") != NULL);
    CU_ASSERT(e1 != NULL && strstr(e1->message, "No such file or directory") != NULL);

    g_autoptr(GError) e2 = NULL;
    CU_ASSERT_PTR_NULL(ms_scenario_parse_file("tests/data/scenario", &e2));
    CU_ASSERT(g_error_matches(e2, MS_ERROR, MS_ERROR_IO));
    CU_ASSERT(e2 != NULL && strstr(e2->message, "Is a directory") != NULL);

    g_autoptr(GError) e3 = NULL;
    CU_ASSERT_PTR_NULL(ms_scenario_parse_file("tests/data/scenario/empty.mss", &e3));
    CU_ASSERT(g_error_matches(e3, MS_ERROR, MS_ERROR_SCENARIO));
    CU_ASSERT(e3 != NULL && g_str_has_prefix(e3->message, "tests/data/scenario/empty.mss:1:1: "
                                                           "error: the scenario declares no hosts"));

    ASSERT_ONE_ERROR("", 1, 1, "declares no hosts");
    ASSERT_ONE_ERROR("scenario \"Nothing\"\nseed 3\n", 1, 1, "declares no hosts");
}

static void broken_line_hides_its_consequences(void)
{
    /* Line 1 should declare crepes.fr; the link, the agent and the
     * recipient that name it are not blamed for the typo. */
    ASSERT_ONE_ERROR("sever crepes.fr domain crepes.fr\n"
                     "server hamburger.edu domain hamburger.edu\n"
                     "link crepes.fr hamburger.edu\n" PEOPLE
                     "at 0s bob-pc send to alice@crepes.fr\n",
                     1, 1, "did you mean 'server'?");
}

static void several_errors_in_one_file(void)
{
    gsize len = 0;
    g_autofree char *text = ms_test_read_file("tests/data/scenario/several-errors.mss", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    g_autofree char *msg = errors_of(text, (gssize) len);
    static const struct {
        guint line, col;
        const char *fragment;
    } want[] = {
        { 5, 1, "did you mean 'agent'?" },
        { 7, 35, "found '40'" },
        { 9, 14, "needs a password" },
        { 10, 4, "time 3s is earlier than the previous action at 5s (line 9)" },
        { 10, 22, "no server serves the domain of 'carol@nowhere.org'" },
    };
    const char *last = msg;
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        CU_ASSERT(has_error(msg, want[i].line, want[i].col, want[i].fragment));
        /* Sorted by position, whichever pass found the error. */
        g_autofree char *prefix = g_strdup_printf("t.mss:%u:%u:", want[i].line, want[i].col);
        const char *at = strstr(msg, prefix);
        CU_ASSERT(at != NULL && at >= last);
        if (at != NULL)
            last = at;
    }
    CU_ASSERT_EQUAL(count_lines(msg), G_N_ELEMENTS(want));
}

static void too_many_errors(void)
{
    g_autoptr(GString) text = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append(text, "foo\n");
    g_autofree char *msg = errors_of(text->str, (gssize) text->len);
    /* 50 errors shown, then one line for the 150 others. */
    CU_ASSERT_EQUAL(count_lines(msg), 51);
    CU_ASSERT(has_error(msg, 50, 1, "unknown keyword 'foo'"));
    CU_ASSERT(has_error(msg, 51, 1, "too many errors; 150 more not shown"));

    /* Far more errors than are kept: reading stops, and says so. */
    g_string_truncate(text, 0);
    for (int i = 0; i < 5000; i++)
        g_string_append(text, "$\n");
    g_autofree char *msg2 = errors_of(text->str, (gssize) text->len);
    CU_ASSERT_EQUAL(count_lines(msg2), 51);
    /* ... at the place where reading stopped (the 1000th error), not at
     * the first error left out of the list. */
    CU_ASSERT(has_error(msg2, 1000, 1, "too many errors (more than 1000); the file was not "
                                       "checked after this point"));
}

/* A scenario is a text file: what makes it something else is named at the
 * byte, with file:line:column. */
static void file_must_be_text(void)
{
    /* A byte order mark is skipped only at the very start. */
    ASSERT_ONE_ERROR(BASE PEOPLE "seed 1\n\xEF\xBB\xBFseed 2\n", 9, 1,
                     "unexpected byte order mark (U+FEFF, invisible in most editors): it may "
                     "only begin the file");
    /* CR-only line ends: named once, at the first, and the lines are still
     * read as lines (nothing else is blamed). */
    ASSERT_ONE_ERROR("server crepes.fr domain crepes.fr\r"
                     "agent alice-pc user alice@crepes.fr server crepes.fr\r"
                     "link alice-pc crepes.fr\r", 1, 34,
                     "a line ends with a bare CR (byte 0x0D) not followed by LF: the file has "
                     "CR-only line ends");
    /* ... also when the first line is a comment. */
    g_autofree char *m0 = errors_of("# Mac\rserver crepes.fr domain crepes.fr\r", -1);
    CU_ASSERT(has_error(m0, 1, 6, "bare CR"));
    /* NUL and bytes that are not UTF-8 in a comment. */
    static const char nul[] = BASE PEOPLE "# a\0b\n";
    g_autofree char *m1 = errors_of(nul, sizeof nul - 1);
    CU_ASSERT(has_error(m1, 8, 4, "NUL byte in a comment: a scenario is a text file"));
    CU_ASSERT_EQUAL(count_lines(m1), 1);
    ASSERT_ONE_ERROR(BASE PEOPLE "seed 1 # caf\xE9\n", 8, 13,
                     "byte 0xE9 in a comment is not valid UTF-8 text");
    /* Text in any language is fine in a comment, and so is a CRLF end. */
    g_autoptr(MsScenario) sc = parse_ok(BASE PEOPLE "# 中文注释 é\r\nseed 1 # ok\r\n");
    CU_ASSERT_PTR_NOT_NULL(sc);
}

static void garbage_does_not_crash(void)
{
    /* Random bytes (NULs included) from a fixed seed: must fail cleanly. */
    g_autoptr(GRand) rand = g_rand_new_with_seed(20240601);
    for (int round = 0; round < 20; round++) {
        gsize len = 1 + (gsize) g_rand_int_range(rand, 0, 8192);
        g_autofree char *buf = g_malloc(len);
        for (gsize i = 0; i < len; i++)
            buf[i] = (char) g_rand_int_range(rand, 0, 256);
        g_autoptr(GError) error = NULL;
        MsScenario *sc = ms_scenario_parse_string(buf, (gssize) len, "t.mss", &error);
        CU_ASSERT_PTR_NULL(sc);
        ms_scenario_free(sc);
        CU_ASSERT(error != NULL && count_lines(error->message) <= MS_SC_MAX_SHOWN_ERRORS + 1);
    }
    /* Only NUL bytes: one statement, one error at its first byte. */
    char zeros[1000] = { 0 };
    g_autofree char *msg = errors_of(zeros, sizeof zeros);
    CU_ASSERT(has_error(msg, 1, 1, "unexpected control byte 0x00"));
    CU_ASSERT_EQUAL(count_lines(msg), 1);

    /* A 1 MiB line: the message quotes a bounded piece of it. */
    gsize big = 1 << 20;
    g_autofree char *line = g_malloc(big + 1);
    memset(line, 'a', big);
    line[big] = '\0';
    g_autofree char *msg2 = errors_of(line, -1);
    CU_ASSERT(has_error(msg2, 1, 1, "unknown keyword 'aaaa"));
    CU_ASSERT(strlen(msg2) < 300);
    /* ... and a 1 MiB string inside a valid statement is simply a body. */
    g_autoptr(GString) text = g_string_new(BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu body \"");
    g_string_append(text, line);
    g_string_append(text, "\"\n");
    g_autoptr(MsScenario) sc = parse_ok(text->str);
    CU_ASSERT(sc != NULL && strlen(((MsScAction *) g_ptr_array_index(sc->actions, 0))->body)
                                == big);
}

/* ---- scenario/values (sizes, dates, whole numbers) ------------------------ */

static void sizes_dates_and_numbers(void)
{
    guint64 v = 0;
    g_autofree char *why = NULL;
    /* SI prefixes are powers of 10, IEC ones powers of 2. */
    CU_ASSERT(ms_sc_parse_size("1MB", &v, &why) && v == 1000000);
    CU_ASSERT(ms_sc_parse_size("64KiB", &v, &why) && v == 65536);
    CU_ASSERT(ms_sc_parse_size("1.5kB", &v, &why) && v == 1500);
    CU_ASSERT(ms_sc_parse_size("2MiB", &v, &why) && v == 2097152);
    CU_ASSERT(ms_sc_parse_size("536", &v, &why) && v == 536); /* bare: bytes */
    CU_ASSERT(ms_sc_parse_size("536B", &v, &why) && v == 536);
    CU_ASSERT_FALSE(ms_sc_parse_size("0.5B", &v, &why));
    CU_ASSERT(why != NULL && strstr(why, "not a whole number of bytes") != NULL);
    g_clear_pointer(&why, g_free);
    CU_ASSERT_FALSE(ms_sc_parse_size("10Mbit", &v, &why));
    CU_ASSERT(why != NULL && strstr(why, "not bits") != NULL);
    g_clear_pointer(&why, g_free);

    /* 2023-03-23 is day 19439 after 1970-01-01: 19439 * 86400 + 12 h. */
    gint64 t = 0;
    CU_ASSERT(ms_sc_parse_date("2023-03-23 12:00", &t, &why) && t == 1679572800);
    CU_ASSERT_EQUAL(t, MS_SC_DEFAULT_START);
    CU_ASSERT(ms_sc_parse_date("1970-01-01", &t, &why) && t == 0);
    /* 2024-01-01 is day 19723; +31 (Jan) +28 days = Feb 29, a leap day. */
    CU_ASSERT(ms_sc_parse_date("2024-02-29 23:59:30", &t, &why)
              && t == 19782LL * 86400 + 86370);
    CU_ASSERT(ms_sc_parse_date("2000-03-01T00:00:01Z", &t, &why) && t == 951868801);
    CU_ASSERT(ms_sc_parse_date("2023-03-23 12:00 UTC", &t, &why) && t == 1679572800);
    CU_ASSERT_FALSE(ms_sc_parse_date("2023-02-29", &t, &why)); /* 2023 is no leap year */
    g_clear_pointer(&why, g_free);
    CU_ASSERT_FALSE(ms_sc_parse_date("1900-02-29", &t, &why)); /* before 1970 */
    g_clear_pointer(&why, g_free);
    CU_ASSERT_FALSE(ms_sc_parse_date("2023-03-23 24:00", &t, &why));
    g_clear_pointer(&why, g_free);
    CU_ASSERT_FALSE(ms_sc_parse_date("23.03.2023", &t, &why));
    g_clear_pointer(&why, g_free);

    CU_ASSERT(ms_sc_parse_whole("65535", 1, 65535, "a port", &v, &why) && v == 65535);
    CU_ASSERT_FALSE(ms_sc_parse_whole("65536", 1, 65535, "a port", &v, &why));
    CU_ASSERT(why != NULL && strstr(why, "out of range") != NULL);
    g_clear_pointer(&why, g_free);
    CU_ASSERT_FALSE(ms_sc_parse_whole("2.0", 1, 65535, "a port", &v, &why));
    g_clear_pointer(&why, g_free);
    CU_ASSERT_FALSE(ms_sc_parse_whole("99999999999999999999", 1, 65535, "a port", &v, &why));
}

static void slash_is_part_of_a_word(void)
{
    MsScDiags diags;
    GPtrArray *sts = lex("attach files/a.png type image/png\n", &diags);
    CU_ASSERT_EQUAL(ms_sc_diags_count(&diags), 0);
    CU_ASSERT_EQUAL_FATAL(n_tokens(sts, 0), 4);
    MS_ASSERT_STR(tok_at(sts, 0, 1)->text, "files/a.png");
    MS_ASSERT_STR(tok_at(sts, 0, 3)->text, "image/png");
    g_ptr_array_unref(sts);
    ms_sc_diags_clear(&diags);
}

/* ---- scenario/language (the statements of issues 3 to 5) ------------------ */

static const MsScAction *action(const MsScenario *sc, guint i)
{
    return g_ptr_array_index(sc->actions, i);
}

static void everything_parses(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_file("tests/data/scenario/everything.mss",
                                                      &error);
    if (error != NULL)
        fprintf(stderr, "\n%s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(sc->seed, 7);
    CU_ASSERT_EQUAL(sc->start, 19782LL * 86400 + 86370); /* 2024-02-29 23:59:30 */
    CU_ASSERT_EQUAL(sc->mss, 536);
    CU_ASSERT_EQUAL(sc->rto, 1500 * MS_MSEC);

    CU_ASSERT_EQUAL_FATAL(sc->servers->len, 3);
    const MsScServer *cr = g_ptr_array_index(sc->servers, 0);
    CU_ASSERT_EQUAL(cr->profile, MS_SC_PROFILE_TEXTBOOK);
    MS_ASSERT_STR(ms_sc_profile_name(cr->profile), "textbook");
    CU_ASSERT_FALSE(cr->open_relay);
    CU_ASSERT_EQUAL(cr->retry, 10 * MS_MINUTE);
    CU_ASSERT_EQUAL(cr->give_up, 2 * MS_DAY);
    CU_ASSERT_FALSE(cr->persistent);
    CU_ASSERT_FALSE(cr->pipelining);
    CU_ASSERT_FALSE(cr->eightbitmime);
    CU_ASSERT_EQUAL(cr->max_size, 1000000);
    CU_ASSERT_EQUAL(cr->submission_port, 587);
    const MsScServer *hb = g_ptr_array_index(sc->servers, 1);
    CU_ASSERT_EQUAL(hb->profile, MS_SC_PROFILE_DEFAULT);
    CU_ASSERT_TRUE(hb->open_relay);
    CU_ASSERT_EQUAL(hb->max_size, 65536);
    CU_ASSERT_TRUE(hb->persistent && hb->pipelining && hb->eightbitmime);
    CU_ASSERT_EQUAL(hb->submission_port, 25);

    CU_ASSERT_EQUAL_FATAL(sc->agents->len, 3);
    const MsScAgent *alice = g_ptr_array_index(sc->agents, 0);
    CU_ASSERT_TRUE(alice->pipelining);
    CU_ASSERT_FALSE(alice->ehlo);
    CU_ASSERT_TRUE(alice->lowercase);
    const MsScAgent *phone = g_ptr_array_index(sc->agents, 2);
    MS_ASSERT_STR(phone->user, "bob@hamburger.edu"); /* a second device of Bob */
    CU_ASSERT_FALSE(phone->pipelining);
    CU_ASSERT_TRUE(phone->ehlo);
    CU_ASSERT_EQUAL_FATAL(sc->mailboxes->len, 2);
    const MsScMailbox *carol = g_ptr_array_index(sc->mailboxes, 0);
    MS_ASSERT_STR(carol->address, "carol@hamburger.edu");
    MS_ASSERT_STR(carol->password, "pickles");
    CU_ASSERT_PTR_NULL(((MsScMailbox *) g_ptr_array_index(sc->mailboxes, 1))->password);

    /* The first send: envelope, header and files (read relative to the
     * scenario's directory; CRLF in the file becomes "\n"). */
    CU_ASSERT_EQUAL_FATAL(sc->actions->len, 38);
    const MsScAction *s0 = action(sc, 0);
    CU_ASSERT_EQUAL(s0->kind, MS_SC_SEND);
    CU_ASSERT_EQUAL(s0->to->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(s0->cc, 0), "dave@nowhere.org");
    MS_ASSERT_STR(g_ptr_array_index(s0->bcc, 0), "alice@crepes.fr");
    MS_ASSERT_STR(s0->from, "Alice Liddell <alice@crepes.fr>");
    MS_ASSERT_STR(s0->body, "Dear Bob,\nthe minutes are attached.\nAlice\n");
    MS_ASSERT_STR(s0->body_file, "files/letter.txt");
    MS_ASSERT_STR(s0->html, "<p>Dear Bob,</p>\n<p>the minutes are attached.</p>\n");
    MS_ASSERT_STR(s0->html_file, "files/page.html");
    CU_ASSERT_EQUAL_FATAL(s0->attachments->len, 2);
    const MsScAttachment *png = g_ptr_array_index(s0->attachments, 0);
    MS_ASSERT_STR(png->path, "files/checker.png");
    MS_ASSERT_STR(png->filename, "checker.png");
    MS_ASSERT_STR(png->content_type, "image/png"); /* from the extension */
    gsize len = 0;
    const guint8 *bytes = g_bytes_get_data(png->data, &len);
    CU_ASSERT_EQUAL(len, 73);
    CU_ASSERT(len >= 8 && memcmp(bytes, "\x89PNG\r\n\x1a\n", 8) == 0); /* PNG signature */
    const MsScAttachment *dat = g_ptr_array_index(s0->attachments, 1);
    MS_ASSERT_STR(dat->content_type, "application/x-minutes");
    CU_ASSERT_EQUAL(g_bytes_get_size(dat->data), 256);
    CU_ASSERT_EQUAL_FATAL(s0->headers->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(s0->headers, 0), "X-Mailer: mailsim");
    MS_ASSERT_STR(s0->charset, "utf-8");
    CU_ASSERT_EQUAL(s0->encoding, MS_TE_QUOTED_PRINTABLE);
    CU_ASSERT_EQUAL(s0->count, 2);
    CU_ASSERT_EQUAL(action(sc, 1)->encoding, MS_TE_BASE64);
    MS_ASSERT_STR(action(sc, 1)->charset, "iso-8859-1");
    CU_ASSERT_TRUE(action(sc, 2)->raw8bit);
    CU_ASSERT_EQUAL(action(sc, 3)->encoding, MS_TE_8BIT);
    CU_ASSERT_EQUAL(action(sc, 4)->encoding, MS_TE_7BIT);

    const MsScAction *p0 = action(sc, 5);
    CU_ASSERT_EQUAL(p0->kind, MS_SC_POP3_FETCH);
    CU_ASSERT_FALSE(p0->keep || p0->list_only || p0->apop);
    CU_ASSERT_EQUAL(p0->every, 0);
    CU_ASSERT_TRUE(action(sc, 6)->apop);
    CU_ASSERT_TRUE(action(sc, 7)->keep && action(sc, 7)->list_only);
    MS_ASSERT_STR(action(sc, 7)->password, "wrong");
    CU_ASSERT_EQUAL(action(sc, 8)->every, 5 * MS_MINUTE);
    CU_ASSERT_EQUAL(action(sc, 8)->until, MS_HOUR);

    static const MsScActionKind imap[] = {
        MS_SC_IMAP_LOGIN, MS_SC_IMAP_LIST, MS_SC_IMAP_SELECT, MS_SC_IMAP_EXAMINE,
        MS_SC_IMAP_FETCH_NEW, MS_SC_IMAP_READ, MS_SC_IMAP_FLAG, MS_SC_IMAP_UNFLAG,
        MS_SC_IMAP_CREATE, MS_SC_IMAP_COPY, MS_SC_IMAP_MOVE, MS_SC_IMAP_SEARCH,
        MS_SC_IMAP_EXPUNGE, MS_SC_IMAP_RENAME, MS_SC_IMAP_DELETE, MS_SC_IMAP_IDLE,
        MS_SC_IMAP_LOGOUT, MS_SC_IMAP_LOGIN, MS_SC_IMAP_LOGOUT, MS_SC_IMAP_POLL,
    };
    for (guint i = 0; i < G_N_ELEMENTS(imap); i++)
        CU_ASSERT_EQUAL(action(sc, 9 + i)->kind, imap[i]);
    MS_ASSERT_STR(action(sc, 11)->folder, "INBOX");
    MS_ASSERT_STR(action(sc, 12)->folder, "INBOX"); /* quoted: same name */
    CU_ASSERT_EQUAL(action(sc, 14)->number, 1);
    MS_ASSERT_STR(action(sc, 15)->flag, "\\Flagged");
    MS_ASSERT_STR(action(sc, 16)->flag, "\\Seen");
    MS_ASSERT_STR(action(sc, 17)->folder, "Work");
    CU_ASSERT_EQUAL(action(sc, 19)->number, 2);
    MS_ASSERT_STR(action(sc, 19)->folder, "Work"); /* "move 2 to Work" */
    MS_ASSERT_STR(action(sc, 20)->criteria, "UNSEEN FROM \"Alice Liddell\"");
    MS_ASSERT_STR(action(sc, 22)->folder, "Work");
    MS_ASSERT_STR(action(sc, 22)->new_folder, "Projects");
    CU_ASSERT_EQUAL(action(sc, 24)->duration, 10 * MS_MINUTE);
    MS_ASSERT_STR(action(sc, 26)->password, "hungry");
    CU_ASSERT_EQUAL(action(sc, 28)->every, 5 * MS_MINUTE);
    MS_ASSERT_STR(action(sc, 28)->folder, "INBOX");

    static const MsScActionKind net[] = {
        MS_SC_LINK_DOWN, MS_SC_LINK_UP, MS_SC_HOST_DOWN, MS_SC_HOST_DOWN,
        MS_SC_HOST_UP, MS_SC_HOST_DOWN, MS_SC_HOST_UP, MS_SC_LINK_DOWN,
    };
    for (guint i = 0; i < G_N_ELEMENTS(net); i++) {
        CU_ASSERT_EQUAL(action(sc, 29 + i)->kind, net[i]);
        CU_ASSERT_PTR_NULL(action(sc, 29 + i)->host); /* no agent acts */
    }
    MS_ASSERT_STR(action(sc, 29)->link_a, "crepes.fr");
    MS_ASSERT_STR(action(sc, 29)->link_b, "hamburger.edu");
    CU_ASSERT_EQUAL(action(sc, 29)->duration, 0); /* down until 'up' */
    MS_ASSERT_STR(action(sc, 31)->target, "hamburger.edu");
    CU_ASSERT_EQUAL(action(sc, 31)->duration, 30 * MS_MINUTE);
    MS_ASSERT_STR(action(sc, 34)->target, "bob-pc");
    CU_ASSERT_EQUAL(action(sc, 36)->duration, MS_MINUTE);

    const MsScAction *tn = action(sc, 37);
    CU_ASSERT_EQUAL(tn->kind, MS_SC_TELNET);
    MS_ASSERT_STR(tn->host, "alice-pc");
    MS_ASSERT_STR(tn->target, "hamburger.edu");
    CU_ASSERT_EQUAL(tn->port, 25);
    CU_ASSERT_EQUAL_FATAL(tn->steps->len, 6);
    const MsScTelnetStep *st0 = g_ptr_array_index(tn->steps, 0);
    CU_ASSERT_EQUAL(st0->kind, MS_SC_STEP_TYPE);
    MS_ASSERT_STR(st0->text, "HELO crepes.fr");
    CU_ASSERT_EQUAL(st0->end, MS_SC_EOL_CRLF);
    CU_ASSERT_EQUAL(st0->loc.line, 84);
    CU_ASSERT_EQUAL(st0->loc.column, 5);
    const MsScTelnetStep *st2 = g_ptr_array_index(tn->steps, 2);
    CU_ASSERT_EQUAL(st2->kind, MS_SC_STEP_PAUSE);
    CU_ASSERT_EQUAL(st2->pause, 2 * MS_SEC);
    CU_ASSERT_EQUAL(((MsScTelnetStep *) g_ptr_array_index(tn->steps, 3))->end, MS_SC_EOL_LF);
    CU_ASSERT_EQUAL(((MsScTelnetStep *) g_ptr_array_index(tn->steps, 4))->end, MS_SC_EOL_CR);
    MS_ASSERT_STR(((MsScTelnetStep *) g_ptr_array_index(tn->steps, 5))->text, "QUIT");
    MS_ASSERT_STR(ms_sc_line_end_name(MS_SC_EOL_LF), "lf");
    /* Times never decrease, whatever kind of action. */
    for (guint i = 1; i < sc->actions->len; i++)
        CU_ASSERT(action(sc, i)->at >= action(sc, i - 1)->at);
    /* The block's lines are not actions: the last action is the telnet. */
    CU_ASSERT_PTR_EQUAL(action(sc, sc->actions->len - 1), tn);
}

static void new_defaults(void)
{
    g_autoptr(MsScenario) sc = parse_ok(BASE PEOPLE
                                        "at 0s alice-pc send to bob@hamburger.edu\n"
                                        "at 1s bob-pc pop3 fetch\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(sc->start, G_GINT64_CONSTANT(1679572800)); /* 2023-03-23 12:00 UTC */
    CU_ASSERT_EQUAL(sc->mss, 0);
    CU_ASSERT_EQUAL(sc->rto, 0);
    CU_ASSERT_EQUAL(sc->mailboxes->len, 0);
    const MsScServer *s = g_ptr_array_index(sc->servers, 0);
    CU_ASSERT_EQUAL(s->profile, MS_SC_PROFILE_DEFAULT);
    CU_ASSERT_FALSE(s->open_relay);               /* 550 relay denied */
    CU_ASSERT_EQUAL(s->retry, 30 * 60 * MS_SEC);  /* 30 min */
    CU_ASSERT_EQUAL(s->give_up, 5 * 86400 * MS_SEC); /* 5 d */
    CU_ASSERT_TRUE(s->persistent && s->pipelining && s->eightbitmime);
    CU_ASSERT_EQUAL(s->max_size, 0);
    CU_ASSERT_EQUAL(s->submission_port, 25);
    const MsScAgent *a = g_ptr_array_index(sc->agents, 0);
    CU_ASSERT_FALSE(a->pipelining);
    CU_ASSERT_TRUE(a->ehlo);
    CU_ASSERT_FALSE(a->lowercase);
    const MsScAction *send = action(sc, 0);
    CU_ASSERT_EQUAL(send->count, 1);
    CU_ASSERT_EQUAL(send->encoding, MS_TE_AUTO);
    CU_ASSERT_FALSE(send->raw8bit);
    CU_ASSERT_PTR_NULL(send->from);
    CU_ASSERT_PTR_NULL(send->charset);
    CU_ASSERT_PTR_NOT_NULL(send->attachments);
    CU_ASSERT_EQUAL(send->headers->len, 0);
    CU_ASSERT_EQUAL(send->steps->len, 0);
    CU_ASSERT_PTR_NULL(action(sc, 1)->password);
}

static void files_are_relative_to_the_scenario(void)
{
    /* The scenario is said to live in tests/data/scenario, so "files/..."
     * is found there, whatever the current directory. */
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(
        BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu attach files/minutes.dat "
                    "attach files/letter.txt\n",
        -1, "tests/data/scenario/inline.mss", &error);
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    const MsScAction *s = action(sc, 0);
    CU_ASSERT_EQUAL_FATAL(s->attachments->len, 2);
    const MsScAttachment *dat = g_ptr_array_index(s->attachments, 0);
    const MsScAttachment *txt = g_ptr_array_index(s->attachments, 1);
    MS_ASSERT_STR(dat->content_type, "application/octet-stream"); /* RFC 2046 4.5.1 */
    MS_ASSERT_STR(txt->content_type, "text/plain");
    /* An attachment keeps its bytes as they are: CRLF stays CRLF. */
    gsize len = 0;
    const char *data = g_bytes_get_data(txt->data, &len);
    CU_ASSERT(len == 45 && memcmp(data, "Dear Bob,\r\n", 11) == 0);
}

/* A scenario copied out of scenarios/ still finds the shipped files/...:
 * a relative name is looked for beside the scenario first, then in the
 * shipped scenarios' folder; when neither has it, the error names both. */
static void files_fall_back_to_the_shipped_scenarios(void)
{
    g_unsetenv("MAILSIM_SCENARIODIR");
    /* Built in this tree, not installed: the tree's scenarios/ (the tests
     * run from the top of the tree). */
    g_autofree char *shipped = ms_scenario_shipped_dir();
    g_autofree char *here = g_get_current_dir();
    g_autofree char *tree = g_build_filename(here, "scenarios", NULL);
    g_autofree char *a = g_canonicalize_filename(shipped, NULL);
    g_autofree char *b = g_canonicalize_filename(tree, NULL);
    MS_ASSERT_STR(a, b);

    g_autofree char *tmp = g_dir_make_tmp("mailsim-files-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
    g_autofree char *copy = g_build_filename(tmp, "mime-picture.mss", NULL);
    gsize len = 0;
    g_autofree char *text = ms_test_read_file("scenarios/mime-picture.mss", &len);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(copy, text, (gssize) len, NULL));
    gsize jpeg_len = 0;
    g_autofree char *jpeg = ms_test_read_file("scenarios/files/ketchup.jpg", &jpeg_len);
    {
        /* Nothing beside the copy: the shipped picture, byte for byte. */
        g_autoptr(GError) error = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_file(copy, &error);
        CU_ASSERT_PTR_NULL(error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
        const MsScAttachment *att = NULL;
        for (guint i = 0; i < sc->actions->len && att == NULL; i++) {
            const MsScAction *act = g_ptr_array_index(sc->actions, i);
            if (act->attachments->len > 0)
                att = g_ptr_array_index(act->attachments, 0);
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(att);
        MS_ASSERT_STR(att->path, "files/ketchup.jpg");
        CU_ASSERT_EQUAL(g_bytes_get_size(att->data), jpeg_len);
        CU_ASSERT(memcmp(g_bytes_get_data(att->data, NULL), jpeg, jpeg_len) == 0);
    }
    /* A file beside the scenario comes first. */
    g_autofree char *files = g_build_filename(tmp, "files", NULL);
    g_autofree char *local = g_build_filename(files, "ketchup.jpg", NULL);
    CU_ASSERT_EQUAL(g_mkdir(files, 0700), 0);
    CU_ASSERT_TRUE(g_file_set_contents(local, "mine", 4, NULL));
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_string(
            BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu attach files/ketchup.jpg\n",
            -1, copy, &error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
        const MsScAttachment *att = g_ptr_array_index(action(sc, 0)->attachments, 0);
        CU_ASSERT_EQUAL(g_bytes_get_size(att->data), 4);
    }
    /* Neither place has it: file:line:column, and both paths tried. */
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_string(
            BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu attach files/nope.png\n",
            -1, copy, &error);
        CU_ASSERT_PTR_NULL(sc);
        CU_ASSERT_PTR_NOT_NULL_FATAL(error);
        g_autofree char *beside = g_build_filename(tmp, "files/nope.png", NULL);
        g_autofree char *there = g_build_filename(shipped, "files/nope.png", NULL);
        g_autofree char *want = g_strdup_printf(
            "%s:8:49: error: cannot read the file 'files/nope.png': No such file or directory; "
            "tried %s and %s (beside the scenario, then among the shipped scenarios)",
            copy, beside, there);
        MS_ASSERT_STR(error->message, want);
    }
    /* MAILSIM_SCENARIODIR names another folder. */
    g_setenv("MAILSIM_SCENARIODIR", "tests/data/scenario", TRUE);
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_string(
            BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu body-file files/letter.txt\n",
            -1, copy, &error);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
        CU_ASSERT(g_str_has_prefix(action(sc, 0)->body, "Dear Bob,\n"));
    }
    g_unsetenv("MAILSIM_SCENARIODIR");
    /* An absolute name is used as it is, with nowhere else to look. */
    {
        g_autofree char *abs = g_build_filename(tmp, "gone.txt", NULL);
        g_autofree char *line = g_strdup_printf(BASE PEOPLE "at 0s alice-pc send to "
                                                "bob@hamburger.edu body-file %s\n", abs);
        g_autofree char *msg = errors_of(line, -1);
        g_autofree char *frag = g_strdup_printf("No such file or directory; tried %s", abs);
        CU_ASSERT(g_str_has_suffix(g_strchomp(msg), frag));
    }
    g_remove(local);
    g_rmdir(files);
    g_remove(copy);
    g_rmdir(tmp);
}

/* An installed program (PREFIX/bin/mailsim) finds the scenarios `make
 * install` put in PREFIX/share/mailsim/scenarios, before the source tree's.
 * This test program is build/tests/test_scenario: its PREFIX is build/. */
static void installed_program_finds_its_share_folder(void)
{
    g_unsetenv("MAILSIM_SCENARIODIR");
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(exe);
    g_autofree char *bin = g_path_get_dirname(exe);
    g_autofree char *prefix = g_path_get_dirname(bin);
    g_autofree char *share = g_build_filename(prefix, "share", NULL);
    g_autofree char *installed = g_build_filename(share, "mailsim", "scenarios", NULL);
    ms_test_remove_tree(share); /* left over from a run that died here */
    CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(installed, 0700), 0);
    g_autofree char *found = ms_scenario_shipped_dir();
    MS_ASSERT_STR(found, installed);
    ms_test_remove_tree(share);
    g_autofree char *tree = ms_scenario_shipped_dir();
    CU_ASSERT_STRING_NOT_EQUAL(tree, installed);
}

static void devices_names_and_criteria(void)
{
    /* Several devices of one user: same password, or none on one of them. */
    g_autoptr(MsScenario) sc = parse_ok(
        BASE PEOPLE
        "agent bob-phone user bob@hamburger.edu server hamburger.edu password x\n"
        "agent bob-tv user bob@hamburger.edu server hamburger.edu\n"
        "link bob-phone hamburger.edu\nlink bob-tv hamburger.edu\n"
        /* An agent called "server": the verb after it says it acts. */
        "agent server user s@crepes.fr server crepes.fr\nlink server crepes.fr\n"
        "at 0s server send to bob@hamburger.edu\n"
        "at 0s bob-phone imap login\n"
        "at 0s bob-phone imap search \"UNSEEN FROM alice\"\n"
        "at 0s bob-phone imap search 1,3 SEEN\n"
        "at 0s bob-phone imap flag 2 SEEN\n"
        "at 0s bob-phone imap unflag 2 \"\\\\draft\"\n"
        "at 0s bob-phone imap move 1 to\n"
        "at 0s bob-phone imap select to\n"
        "at 0s bob-tv pop3 fetch password x\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(action(sc, 0)->kind, MS_SC_SEND);
    MS_ASSERT_STR(action(sc, 0)->host, "server");
    MS_ASSERT_STR(action(sc, 2)->criteria, "UNSEEN FROM alice"); /* one string: as it is */
    MS_ASSERT_STR(action(sc, 3)->criteria, "1,3 SEEN");
    MS_ASSERT_STR(action(sc, 4)->flag, "\\Seen");  /* flags ignore case */
    MS_ASSERT_STR(action(sc, 5)->flag, "\\Draft");
    MS_ASSERT_STR(action(sc, 6)->folder, "to");    /* nothing after 'to': the folder */
    MS_ASSERT_STR(action(sc, 7)->folder, "to");
}

/* ---- scenario/checks: one mistake per case --------------------------------
 * Each text follows BASE PEOPLE, so its first line is line 8.  `at` names
 * where the error must point: the column of the text after '|' in the
 * first place the whole of `at` (without '|') occurs on that line; NULL
 * means just after the last word of the line.  The columns are derived
 * from the input text, not from the parser. */
typedef struct {
    const char *text;
    guint line;
    const char *at;
    const char *fragment;
} Mistake;

static void check_mistakes(const Mistake *m, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *text = g_strconcat(BASE PEOPLE, m[i].text, NULL);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        g_assert(m[i].line >= 1 && m[i].line <= g_strv_length(lines));
        const char *line = lines[m[i].line - 1];
        guint col = (guint) strlen(line) + 1;
        if (m[i].at != NULL) {
            const char *bar = strchr(m[i].at, '|');
            g_assert(bar != NULL);
            g_autofree char *head = g_strndup(m[i].at, (gsize) (bar - m[i].at));
            g_autofree char *whole = g_strconcat(head, bar + 1, NULL);
            const char *found = strstr(line, whole);
            g_assert(found != NULL);
            col = (guint) (found - line + (bar - m[i].at)) + 1;
        }
        g_autofree char *msg = errors_of(text, -1);
        gboolean ok = has_error(msg, m[i].line, col, m[i].fragment) && count_lines(msg) == 1;
        if (!ok)
            fprintf(stderr, "  (case %" G_GSIZE_FORMAT ": %s)\n%s\n", i, m[i].text, msg);
        CU_ASSERT(ok);
    }
}

static void statement_mistakes(void)
{
    static const Mistake m[] = {
        { "start \"23.03.2023\"\n", 8, "|\"23", "expected a date and time in UTC" },
        { "start \"2023-02-29 12:00\"\n", 8, "|\"2023", "is not a valid date and time" },
        { "start \"2024-01-01\"\nstart \"2024-01-02\"\n", 9, "|start",
          "a second 'start' statement: the start time was already given at line 8" },
        { "mss 70000\n", 8, "|70000", "out of range: expected 1 to 65495 bytes" },
        { "mss 1.5B\n", 8, "|1.5B", "not a whole number of bytes" },
        { "rto 0s\n", 8, "|0s", "expected more than 0s" },
        { "mailbox carol@nowhere.org\n", 8, "|carol",
          "no server serves the domain of mailbox 'carol@nowhere.org'" },
        { "mailbox carol@crepes.fr\nmailbox Carol@crepes.fr\n", 9, "|Carol",
          "duplicate mailbox 'Carol@crepes.fr' (first declared at line 8)" },
        { "mailbox carol\n", 8, "|carol", "expected the mailbox's address" },
        { "mailbox bob@hamburger.edu password y\n", 8, "password |y",
          "user 'bob@hamburger.edu' already has another password (line 5)" },
        { "server x.org domain x.org profile fancy\n", 8, "|fancy",
          "expected 'default' or 'textbook' after 'profile', found 'fancy'" },
        { "server x.org domain x.org profile textbok\n", 8, "|textbok",
          "did you mean 'textbook'?" },
        { "server x.org domain x.org relay maybe\n", 8, "|maybe",
          "expected 'closed' or 'open' after 'relay'" },
        { "server x.org domain x.org retry 0s\n", 8, "|0s",
          "a retry interval of 0s makes no sense" },
        { "server x.org domain x.org give-up 0s\n", 8, "|0s", "a give-up time of 0s" },
        { "server x.org domain x.org persistent yes\n", 8, "|yes",
          "expected 'on' or 'off', found 'yes'" },
        { "server x.org domain x.org max-size 0\n", 8, "max-size |0",
          "a size limit of 0 bytes would refuse every message" },
        { "server x.org domain x.org max-size 10Mbit\n", 8, "|10Mbit",
          "sizes count bytes, not bits" },
        { "server x.org domain x.org submission 2525\n", 8, "|2525",
          "expected '25' or '587' after 'submission'" },
        { "server x.org profile textbook\n", 8, NULL,
          "expected 'domain' and the mail domain the server serves, found end of line" },
        { "server x.org domain x.org 8bitmime on 8bitmime off\n", 8, "on |8bitmime",
          "'8bitmime' is given twice in one server statement (first at 8:27)" },
        { "agent c-pc user c@crepes.fr server crepes.fr ehlo maybe\nlink c-pc crepes.fr\n", 8,
          "|maybe", "expected 'on' or 'off'" },
        { "agent c-pc user c@crepes.fr server crepes.fr lowercse on\nlink c-pc crepes.fr\n",
          8, "|lowercse", "did you mean 'lowercase'?" },
        { "agent bob-phone user bob@hamburger.edu server hamburger.edu password y\n"
          "link bob-phone hamburger.edu\n",
          8, "password |y", "user 'bob@hamburger.edu' already has another password (line 5)" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

#define SEND "at 0s alice-pc send to bob@hamburger.edu "
#define SEND_TO "at 0s alice-pc send to "
#define FILES "tests/data/scenario/files/"

static void send_mistakes(void)
{
    static const Mistake m[] = {
        { SEND "body-file nope.txt\n", 8, "|nope.txt",
          "cannot read the file 'nope.txt': No such file or directory; tried ./nope.txt and " },
        { SEND "attach missing.png\n", 8, "|missing", "cannot read the file 'missing.png'" },
        { SEND "body-file " FILES "latin1.txt\n", 8, "|tests/",
          "is not UTF-8 text (byte 0xE9 at offset 3)" }, /* "caf" then 0xE9 */
        { SEND "body \"x\" body-file " FILES "letter.txt\n", 8, "|body-file",
          "'body-file' cannot go with 'body' (at 8:42)" },
        { SEND "html-file " FILES "page.html html \"x\"\n", 8, "|html \"",
          "'html' cannot go with 'html-file'" },
        { SEND "attach " FILES "checker.png raw8bit\n", 8, "|raw8bit",
          "'raw8bit' cannot go with 'attach'" },
        { SEND "raw8bit charset utf-8\n", 8, "|charset", "'charset' cannot go with 'raw8bit'" },
        { SEND "header \"From: mallory@evil.org\"\n", 8, "|\"From",
          "mailsim writes the From: field itself; set it with from" },
        { SEND "header \"content-type: text/html\"\n", 8, "|\"content",
          "mailsim writes the Content-Type: field itself" },
        { SEND "header \"No colon here\"\n", 8, "|\"No", "expected a header line 'Name: value'" },
        { SEND "header \"X-A: 1\\nX-B: 2\"\n", 8, "|\"X-A", "cannot hold a line break" },
        { SEND "from \"Alice\"\n", 8, "|\"Alice", "expected a From: such as" },
        { SEND "from \"Alice <alice>\"\n", 8, "|\"Alice", "expected a From: such as" },
        { SEND "charset \"utf 8\"\n", 8, "|\"utf", "is not a charset name" },
        { SEND "body \"x\" charset no-such-charset-x\n", 8, "|no-such",
          "unknown charset 'no-such-charset-x'" },
        { SEND "body \"caf\\xC3\\xA9\" charset us-ascii\n", 8, "|us-ascii",
          "the body cannot be written in charset 'us-ascii'" },
        { SEND "html \"caf\\xC3\\xA9\" encoding 7bit\n", 8, "|7bit",
          "the HTML is not 7-bit ASCII" },
        { SEND "encoding binary\n", 8, "|binary",
          "expected '7bit', '8bit', 'quoted-printable' or 'base64' after 'encoding'" },
        { SEND "count 0\n", 8, "count |0",
          "'0' is out of range: expected a number of messages from 1 to 1000" },
        { SEND "attach " FILES "checker.png type image\n", 8, "|image",
          "expected a media type TYPE/SUBTYPE" },
        { SEND "subject \"a\" subject \"b\"\n", 8, "\"a\" |subject", "'subject' is given twice" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

static void access_mistakes(void)
{
    static const Mistake m[] = {
        { "at 0s bob-pc pop3 fetch delete keep\n", 8, "|keep",
          "'delete' and 'keep' contradict each other" },
        { "at 0s bob-pc pop3 fetch list-only delete\n", 8, "|list-only",
          "'list-only' downloads nothing" },
        { "at 0s bob-pc pop3 fetch every 5min\n", 8, NULL,
          "expected 'until' and the time polling stops" },
        { "at 0s bob-pc pop3 fetch until 1h\n", 8, "|until", "'until' goes with 'every'" },
        { "at 5min bob-pc pop3 fetch every 1min until 1min\n", 8, "until |1min",
          "polling would stop at 1min, before it starts at 5min" },
        /* 1 h / 1 ms = 3 600 000 intervals, plus the first poll. */
        { "at 0s bob-pc pop3 fetch every 1ms until 1h\n", 8, "until |1h",
          "would poll 3600001 times: at most 100000" },
        { "at 0s bob-pc pop3 fetch every 0s until 1h\n", 8, "every |0s",
          "a polling interval of 0s" },
        { "at 0s alice-pc pop3 fetch apop\n", 8, "|pop3",
          "'pop3 fetch' needs a password, but agent 'alice-pc' (line 4) has none" },
        { "at 0s bob-pc imap selct INBOX\n", 8, "|selct", "did you mean 'select'?" },
        { "at 0s bob-pc imap read 1\n", 8, "|imap",
          "'imap read' needs an IMAP session, but agent 'bob-pc' has not logged in" },
        { "at 0s bob-pc imap login\nat 1s bob-pc imap logout\nat 2s bob-pc imap select INBOX\n",
          10, "|imap", "'imap select' needs an IMAP session, but agent 'bob-pc' logged out "
                       "at line 9" },
        { "at 0s bob-pc imap login\nat 1s bob-pc imap login\n", 9, "|imap",
          "agent 'bob-pc' is already logged in to IMAP (line 8)" },
        { "at 0s alice-pc imap login\n", 8, "|imap",
          "'imap login' needs a password, but agent 'alice-pc' (line 4) has none" },
        { "at 0s alice-pc imap poll every 1min until 5min\n", 8, "|imap",
          "'imap poll' needs a password" },
        { "at 0s bob-pc imap login\nat 0s bob-pc imap read 0\n", 9, "read |0",
          "'0' is out of range: expected a message number" },
        { "at 0s bob-pc imap login\nat 0s bob-pc imap flag 1 shiny\n", 9, "|shiny",
          "expected 'seen', 'answered', 'flagged', 'deleted' or 'draft' as the flag" },
        { "at 0s bob-pc imap login\nat 0s bob-pc imap create \"Work*\"\n", 9, "|\"Work",
          "is not a folder name" },
        { "at 0s bob-pc imap login\nat 0s bob-pc imap fetch all\n", 9, "|all",
          "expected 'new' after 'imap fetch'" },
        { "at 0s bob-pc imap login\nat 0s bob-pc imap idle 5min\n", 9, "|5min",
          "expected 'for' and how long to idle" },
        { "at 0s bob-pc imap poll\n", 8, NULL, "expected 'every' and the polling interval" },
        { "at 0s bob-pc imap login\nat 0s bob-pc imap search\n", 9, NULL,
          "expected search criteria" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

static void network_and_telnet_mistakes(void)
{
    static const Mistake m[] = {
        { "at 0s link alice-pc bob-pc down\n", 8, "|alice-pc",
          "no link joins 'alice-pc' and 'bob-pc'" },
        { "at 0s link alice-pc carol-pc down\n", 8, "|carol-pc", "undefined host 'carol-pc'" },
        { "at 0s server bob-pc down\n", 8, "|bob-pc",
          "'bob-pc' is an agent, not a server: write 'host bob-pc down'" },
        { "at 0s host carol-pc down\n", 8, "|carol-pc", "undefined host 'carol-pc'" },
        { "at 0s server hamburger.ed down\n", 8, "|hamburger.ed",
          "undefined server 'hamburger.ed': no server statement declares it; did you mean "
          "'hamburger.edu'?" },
        { "at 0s link crepes.fr hamburger.edu up for 5min\n", 8, "|for",
          "'for' goes with 'down' only" },
        { "at 0s server crepes.fr sideways\n", 8, "|sideways",
          "expected 'down' or 'up', found 'sideways'" },
        { "at 0s server crepes.fr down for 0s\n", 8, "for |0s",
          "down for 0s would change nothing" },
        { "at 5s link crepes.fr hamburger.edu down\nat 1s server crepes.fr up\n", 9, "|1s",
          "time 1s is earlier than the previous action at 5s (line 8)" },
        { "type \"HELO x\"\n", 8, "|type", "'type' belongs in a telnet block" },
        { "imap login\n", 8, "|imap", "an action starts with 'at TIME HOST', as in 'at 0s "
                                       "alice-pc imap ...'" },
        { "agent c-pc user c@crepes.fr server crepes.fr telnet\nlink c-pc crepes.fr\n", 8,
          "|telnet", "in an agent statement, found 'telnet'" },
        { "end\n", 8, "|end", "'end' without a telnet block to end" },
        { "at 0s alice-pc telnet crepes.fr 25\n  type \"QUIT\"\nat 1s bob-pc pop3 fetch\n", 8,
          "|telnet", "the telnet block that starts here has no 'end': expected 'end' before "
                     "line 10" },
        { "at 0s alice-pc telnet crepes.fr 25\n  type \"QUIT\"\n", 8, "|telnet",
          "expected 'end' before the end of the file" },
        { "at 0s alice-pc telnet crepes.fr 25\n  tpye \"QUIT\"\nend\n", 9, "|tpye",
          "expected 'type', 'pause' or 'end' in the telnet block opened at line 8, found "
          "'tpye'; did you mean 'type'?" },
        { "at 0s alice-pc telnet bob-pc 25\nend\n", 8, "|bob-pc",
          "'bob-pc' is an agent, not a server: telnet connects to a mail server" },
        { "at 0s crepes.fr telnet hamburger.edu 25\nend\n", 8, "|crepes.fr",
          "'crepes.fr' is a server: only an agent can act" },
        { "at 0s alice-pc telnet crepes.fr 0\nend\n", 8, "fr |0",
          "'0' is out of range: expected a port number from 1 to 65535" },
        { "at 0s alice-pc telnet crepes.fr 65536\nend\n", 8, "|65536", "out of range" },
        { "at 0s alice-pc telnet crepes.fr 25\n  type \"a\\r\\nb\"\nend\n", 9, "|\"a",
          "a typed line cannot hold a line break" },
        { "at 0s alice-pc telnet crepes.fr 25\n  type \"a\" crlf2\nend\n", 9, "|crlf2",
          "expected 'crlf', 'lf' or 'cr' as the line's ending" },
        { "at 0s alice-pc telnet crepes.fr 25\n  pause 0s\nend\n", 9, "|0s",
          "a pause of 0s does nothing" },
        /* A first line that cannot be read still opens its block: the
         * typed lines after it are not blamed for being outside one. */
        { "at 0s alice-pc telnet crepes.fr\n  type \"QUIT\"\n  pause 1s\nend\n", 8, NULL,
          "expected a port number from 1 to 65535, such as 25, found end of line" },
        { "at 0s alice-pc telnet crepes.fr 25 \"x\n  type \"QUIT\"\nend\n", 8, "|\"x",
          "unterminated string" },
        { "server island.org domain island.org\nat 0s alice-pc telnet island.org 25\nend\n", 9,
          "telnet |island.org", "agent 'alice-pc' cannot reach 'island.org'" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

/* ---- web mail ------------------------------------------------------------
 * Five lines a web-mail scenario starts from:
 *   1 server crepes.fr domain crepes.fr webmail on
 *   2 server hamburger.edu domain hamburger.edu
 *   3 link crepes.fr hamburger.edu
 *   4 agent alice-browser user alice@crepes.fr server crepes.fr password hungry
 *   5 link alice-browser crepes.fr
 * "at 0s alice-browser " is 20 bytes, so the word 'web' of an action line
 * is at column 21. */
#define WEB                                                                   \
    "server crepes.fr domain crepes.fr webmail on\n"                          \
    "server hamburger.edu domain hamburger.edu\n"                             \
    "link crepes.fr hamburger.edu\n"                                          \
    "agent alice-browser user alice@crepes.fr server crepes.fr password hungry\n" \
    "link alice-browser crepes.fr\n"

static void web_actions_parse(void)
{
    g_autoptr(MsScenario) sc = parse_ok(
        WEB
        "at 1s alice-browser web login\n"
        "at 2s alice-browser web inbox\n"
        "at 3s alice-browser web read 2\n"
        "at 4s alice-browser web send to bob@hamburger.edu, carol@hamburger.edu "
        "subject \"Hi\" body \"a\\nb\"\n"
        "at 5s alice-browser web logout\n"
        "at 6s alice-browser web login password other\n"
        "at 7s alice-browser web send to bob@hamburger.edu\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    const MsScServer *cr = g_ptr_array_index(sc->servers, 0);
    const MsScServer *hb = g_ptr_array_index(sc->servers, 1);
    CU_ASSERT_TRUE(cr->webmail);
    CU_ASSERT_FALSE(hb->webmail); /* the default is off */
    const MsScActionKind kinds[] = { MS_SC_WEB_LOGIN, MS_SC_WEB_INBOX, MS_SC_WEB_READ,
                                     MS_SC_WEB_SEND, MS_SC_WEB_LOGOUT, MS_SC_WEB_LOGIN,
                                     MS_SC_WEB_SEND };
    CU_ASSERT_EQUAL_FATAL(sc->actions->len, G_N_ELEMENTS(kinds));
    for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
        CU_ASSERT_EQUAL(action(sc, i)->kind, kinds[i]);
        MS_ASSERT_STR(action(sc, i)->host, "alice-browser");
        CU_ASSERT_EQUAL(action(sc, i)->at, (MsTime) (i + 1) * MS_SEC);
    }
    CU_ASSERT_PTR_NULL(action(sc, 0)->password);
    CU_ASSERT_EQUAL(action(sc, 2)->number, 2);
    const MsScAction *send = action(sc, 3);
    CU_ASSERT_EQUAL_FATAL(send->to->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(send->to, 1), "carol@hamburger.edu");
    MS_ASSERT_STR(send->subject, "Hi");
    MS_ASSERT_STR(send->body, "a\nb");
    MS_ASSERT_STR(action(sc, 5)->password, "other");
    CU_ASSERT_PTR_NULL(action(sc, 6)->subject);
    CU_ASSERT_PTR_NULL(action(sc, 6)->body);
    MS_ASSERT_STR(ms_sc_action_name(MS_SC_WEB_SEND), "web send");
    MS_ASSERT_STR(ms_sc_action_name(MS_SC_WEB_LOGOUT), "web logout");
    /* 'webmail off' is the default written out. */
    g_autoptr(MsScenario) off = parse_ok(BASE PEOPLE "server x.org domain x.org webmail off\n");
    CU_ASSERT_FALSE(((MsScServer *) g_ptr_array_index(off->servers, 2))->webmail);
}

/* 'unknown-users': reject at RCPT TO (the default) or accept and bounce. */
static void unknown_users_option(void)
{
    g_autoptr(MsScenario) sc = parse_ok(BASE PEOPLE
                                        "server x.org domain x.org unknown-users bounce\n"
                                        "server y.org domain y.org unknown-users reject\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_FALSE(((MsScServer *) g_ptr_array_index(sc->servers, 0))->bounce_unknown);
    CU_ASSERT_TRUE(((MsScServer *) g_ptr_array_index(sc->servers, 2))->bounce_unknown);
    CU_ASSERT_FALSE(((MsScServer *) g_ptr_array_index(sc->servers, 3))->bounce_unknown);
    static const Mistake m[] = {
        { "server x.org domain x.org unknown-users later\n", 8, "|later",
          "expected 'reject' or 'bounce' after 'unknown-users', found 'later'" },
        { "server x.org domain x.org unknown-users\n", 8, NULL,
          "after 'unknown-users', found end of line" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

/* 'server NAME service smtp down': the program stops, the host runs; and
 * 'connect-timeout' for the relay. */
static void services_and_connect_timeout(void)
{
    g_autoptr(MsScenario) sc = parse_ok(BASE PEOPLE
                                        "server x.org domain x.org connect-timeout 30s\n"
                                        "at 0s server hamburger.edu service smtp down for 5min\n"
                                        "at 1s server crepes.fr service pop3 down\n"
                                        "at 2s server crepes.fr service pop3 up\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(((MsScServer *) g_ptr_array_index(sc->servers, 0))->connect_timeout, 0);
    CU_ASSERT_EQUAL(((MsScServer *) g_ptr_array_index(sc->servers, 2))->connect_timeout,
                    30 * MS_SEC);
    const MsScAction *down = action(sc, 0);
    CU_ASSERT_EQUAL(down->kind, MS_SC_SERVICE_DOWN);
    MS_ASSERT_STR(down->target, "hamburger.edu");
    MS_ASSERT_STR(down->service, "smtp");
    CU_ASSERT_EQUAL(down->duration, 5 * MS_MINUTE);
    CU_ASSERT_EQUAL(action(sc, 2)->kind, MS_SC_SERVICE_UP);
    MS_ASSERT_STR(action(sc, 2)->service, "pop3");
    static const Mistake m[] = {
        { "at 0s server hamburger.edu service ftp down\n", 8, "|ftp",
          "expected 'smtp', 'pop3', 'imap' or 'http' after 'service', found 'ftp'" },
        { "at 0s host hamburger.edu service smtp down\n", 8, "|service",
          "a service runs on a server: write 'server hamburger.edu service smtp down'" },
        { "at 0s server bob-pc service smtp down\n", 8, "|bob-pc",
          "'bob-pc' is an agent, not a server" },
        { "at 0s server hamburger.edu service smtp up for 1min\n", 8, "|for",
          "'for' goes with 'down' only" },
        { "server x.org domain x.org connect-timeout 0s\n", 8, "|0s",
          "a connect timeout of 0s makes no sense" },
        { "server x.org domain x.org connect-timeout soon\n", 8, "|soon",
          "expected a duration" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

static void web_sessions_and_servers(void)
{
    /* A step before any login. */
    ASSERT_ONE_ERROR(WEB "at 0s alice-browser web inbox\n", 6, 21,
                     "'web inbox' needs a web-mail session, but agent 'alice-browser' has "
                     "not logged in: write 'at TIME alice-browser web login' before it");
    /* A step after the logout. */
    ASSERT_ONE_ERROR(WEB "at 0s alice-browser web login\nat 1s alice-browser web logout\n"
                         "at 2s alice-browser web read 1\n", 8, 21,
                     "'web read' needs a web-mail session, but agent 'alice-browser' logged "
                     "out at line 7");
    /* Logging in again while logged in is allowed: it replaces the session. */
    g_autoptr(MsScenario) twice = parse_ok(WEB "at 0s alice-browser web login\n"
                                               "at 1s alice-browser web login\n"
                                               "at 2s alice-browser web inbox\n");
    CU_ASSERT_PTR_NOT_NULL(twice);
    /* Sessions belong to agents: bob's browser has none of alice's. */
    ASSERT_ONE_ERROR(WEB "agent alice-tab user alice@crepes.fr server crepes.fr\n"
                         "link alice-tab crepes.fr\n"
                         "at 0s alice-browser web login\nat 1s alice-tab web inbox\n", 9, 17,
                     "agent 'alice-tab' has not logged in");
    /* Login needs a password: the agent's or the action's. */
    ASSERT_ONE_ERROR(WEB "agent alice-tab user alice@crepes.fr server crepes.fr\n"
                         "link alice-tab crepes.fr\n"
                         "at 0s alice-tab web login\n", 8, 17,
                     "'web login' needs a password, but agent 'alice-tab' (line 6) has none");
    g_autoptr(MsScenario) pw = parse_ok(WEB "agent alice-tab user alice@crepes.fr server "
                                            "crepes.fr\nlink alice-tab crepes.fr\n"
                                            "at 0s alice-tab web login password hungry\n");
    CU_ASSERT_PTR_NOT_NULL(pw);
}

static void web_mistakes(void)
{
    static const Mistake m[] = {
        /* BASE's servers serve no web mail. */
        { "at 0s bob-pc web login\n", 8, "|web",
          "'web login' needs web mail on server 'hamburger.edu' (line 2), the server of "
          "agent 'bob-pc': add 'webmail on' to its server statement" },
        { "server x.org domain x.org webmail maybe\n", 8, "|maybe",
          "expected 'on' or 'off'" },
        { "server x.org domain x.org webmail on webmail off\n", 8, "on |webmail", "webmail" },
        { "at 0s bob-pc web frobnicate\n", 8, "|frobnicate",
          "expected 'login', 'inbox', 'read', 'send' or 'logout' after 'web', found "
          "'frobnicate'" },
        { "at 0s bob-pc web\n", 8, NULL, "after 'web', found end of line" },
        { "at 0s bob-pc web read 0\n", 8, "read |0", "a message number" },
        { "at 0s bob-pc web read\n", 8, NULL, "a message number" },
        { "at 0s bob-pc web inbox now\n", 8, "|now",
          "expected the end of the web inbox statement, found 'now'" },
        { "at 0s bob-pc web send subject \"x\"\n", 8, NULL,
          "expected 'to' and at least one address" },
        { "at 0s bob-pc web send to bob@hamburger.edu subject \"a\\nb\"\n", 8, "|\"a",
          "a subject is one line" },
        { "at 0s bob-pc web send to bob@hamburger.edu cc bob@hamburger.edu\n", 8, "|cc",
          "cc" },
        { "at 0s bob-pc web send to bob\n", 8, "to |bob", "an address such as" },
        { "at 0s bob-pc web login password\n", 8, NULL, "password" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
    /* A recipient's domain must be served, as for 'send'. */
    ASSERT_ONE_ERROR(WEB "at 0s alice-browser web login\n"
                         "at 1s alice-browser web send to x@nowhere.org\n", 7, 33,
                     "no server serves the domain of 'x@nowhere.org'");
}

/* "Bob Smith" <bob@hamburger.edu>: the display name goes to the header,
 * the address to the envelope (and to every check of the scenario). */
static void display_names_in_addresses(void)
{
    g_autoptr(MsScenario) sc = parse_ok(
        BASE PEOPLE "mailbox carol@hamburger.edu\n"
        "at 0s alice-pc send to \"Bob Smith\" <bob@hamburger.edu>, carol@hamburger.edu "
        "cc <carol@hamburger.edu>, \"Smith, Bob <bob@hamburger.edu>\" "
        "from \"Alice L.\" <alice@crepes.fr>\n"
        "at 1s alice-pc send to Bob<bob@hamburger.edu> from <alice@crepes.fr>\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    const MsScAction *a = action(sc, 0);
    CU_ASSERT_EQUAL_FATAL(a->to->len, 2);
    CU_ASSERT_EQUAL_FATAL(a->to_names->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(a->to, 0), "bob@hamburger.edu");
    MS_ASSERT_STR(g_ptr_array_index(a->to_names, 0), "Bob Smith");
    MS_ASSERT_STR(g_ptr_array_index(a->to, 1), "carol@hamburger.edu");
    MS_ASSERT_STR(g_ptr_array_index(a->to_names, 1), "");
    CU_ASSERT_EQUAL_FATAL(a->cc->len, 2);
    MS_ASSERT_STR(g_ptr_array_index(a->cc, 0), "carol@hamburger.edu");
    MS_ASSERT_STR(g_ptr_array_index(a->cc_names, 0), "");
    MS_ASSERT_STR(g_ptr_array_index(a->cc, 1), "bob@hamburger.edu");
    MS_ASSERT_STR(g_ptr_array_index(a->cc_names, 1), "Smith, Bob");
    MS_ASSERT_STR(a->from, "Alice L. <alice@crepes.fr>");
    const MsScAction *b = action(sc, 1);
    MS_ASSERT_STR(g_ptr_array_index(b->to, 0), "bob@hamburger.edu");
    MS_ASSERT_STR(g_ptr_array_index(b->to_names, 0), "Bob");
    MS_ASSERT_STR(b->from, "alice@crepes.fr");

    static const Mistake m[] = {
        { SEND_TO "\"Bob\" <bob>\n", 8, "<|bob>",
          "expected an address such as bob@hamburger.edu between '<' and '>', found '<bob>'" },
        { SEND_TO "\"Bob\" <bob@hamburger.edu\n", 8, "|<bob",
          "expected an address and a closing '>' after '<'" },
        { SEND_TO "\"Bob\\nSmith\" <bob@hamburger.edu>\n", 8, "|\"Bob",
          "a display name is one line of text" },
        { SEND_TO "bob@hamburger.edu bcc \"Carol\" <carol@crepes.fr>\n", 8, "|\"Carol",
          "a Bcc recipient is in no header line, so a display name would show nowhere" },
        /* The address inside the brackets is checked like any other. */
        { SEND_TO "\"Carol\" <carol@nowhere.org>\n", 8, "<|carol",
          "no server serves the domain of 'carol@nowhere.org'" },
        { SEND_TO "\"Bob Smith\"\n", 8, "|\"Bob",
          "expected an address such as bob@hamburger.edu or \"Bob Smith\" "
          "<bob@hamburger.edu>, found the string \"Bob Smith\"" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
    ASSERT_ONE_ERROR(WEB "at 0s alice-browser web login\n"
                         "at 1s alice-browser web send to \"Bob\" <bob@hamburger.edu>\n", 7, 33,
                     "the web compose form has one text field for addresses, without display "
                     "names: write the address only");
}

/* pop3 fetch stat|rset, and rset only where there are marks to undo. */
static void pop3_stat_and_rset(void)
{
    g_autoptr(MsScenario) sc = parse_ok(BASE PEOPLE "at 0s bob-pc pop3 fetch stat rset\n"
                                                    "at 1s bob-pc pop3 fetch keep stat\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_TRUE(action(sc, 0)->stat);
    CU_ASSERT_TRUE(action(sc, 0)->rset);
    CU_ASSERT_FALSE(action(sc, 0)->keep);
    CU_ASSERT_TRUE(action(sc, 1)->stat);
    CU_ASSERT_FALSE(action(sc, 1)->rset);
    static const Mistake m[] = {
        { "at 0s bob-pc pop3 fetch keep rset\n", 8, "|rset",
          "'rset' undoes the deletion marks of DELE, but 'keep' sends no DELE" },
        { "at 0s bob-pc pop3 fetch rset list-only\n", 8, "|rset",
          "but 'list-only' sends no DELE" },
        { "at 0s bob-pc pop3 fetch rest\n", 8, "|rest", "did you mean 'rset'?" },
        { "at 0s bob-pc pop3 fetch stat stat\n", 8, "stat |stat", "'stat' is given twice" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
}

/* 'reply N|"SUBJECT"' and 'forward N|"SUBJECT" to ...': which message,
 * and the options of send that fit an answer. */
static void reply_and_forward(void)
{
    g_autoptr(MsScenario) sc = parse_ok(
        BASE PEOPLE "at 0s alice-pc send to bob@hamburger.edu subject \"Ketchup\"\n"
                    "at 5s bob-pc pop3 fetch keep\n"
                    "at 10s bob-pc reply \"Ketchup\" body \"Yes.\" cc alice@crepes.fr\n"
                    "at 11s bob-pc forward 1 to \"Al\" <alice@crepes.fr> body \"FYI\" "
                    "header \"X-A: 1\" header \"X-B: 2\"\n"
                    "at 12s bob-pc reply Ketchup header \"X-Mood: happy\"\n"
                    "at 13s bob-pc reply \"1\"\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    const MsScAction *r = action(sc, 2);
    CU_ASSERT_EQUAL(r->kind, MS_SC_REPLY);
    MS_ASSERT_STR(r->original, "Ketchup");
    CU_ASSERT_EQUAL(r->number, 0);
    CU_ASSERT_EQUAL(r->to->len, 0);
    CU_ASSERT_EQUAL(r->cc->len, 1);
    MS_ASSERT_STR(r->body, "Yes.");
    CU_ASSERT_EQUAL(r->at, G_GINT64_CONSTANT(10000000000));
    const MsScAction *f = action(sc, 3);
    CU_ASSERT_EQUAL(f->kind, MS_SC_FORWARD);
    CU_ASSERT_PTR_NULL(f->original);
    CU_ASSERT_EQUAL(f->number, 1);
    CU_ASSERT_EQUAL_FATAL(f->to->len, 1);
    MS_ASSERT_STR(g_ptr_array_index(f->to, 0), "alice@crepes.fr");
    MS_ASSERT_STR(g_ptr_array_index(f->to_names, 0), "Al");
    CU_ASSERT_EQUAL(f->headers->len, 2);
    /* A bare word that is not a number is a subject too; a number in
     * quotes is a subject. */
    MS_ASSERT_STR(action(sc, 4)->original, "Ketchup");
    CU_ASSERT_EQUAL(action(sc, 4)->headers->len, 1);
    MS_ASSERT_STR(action(sc, 5)->original, "1");
    CU_ASSERT_EQUAL(action(sc, 5)->number, 0);

    static const Mistake m[] = {
        { "at 0s bob-pc reply\n", 8, NULL,
          "expected the message to reply to: its number among the messages the agent has "
          "downloaded, such as 1, or its subject in double quotes" },
        { "at 0s bob-pc forward to carol@crepes.fr\n", 8, "|to",
          "expected the message to forward: its number among the messages the agent has "
          "downloaded, such as 1, or its subject in double quotes, such as \"Ketchup\", "
          "found 'to'" },
        { "at 0s bob-pc reply 0\n", 8, "reply |0", "expected a message number from 1" },
        { "at 0s bob-pc reply \"\"\n", 8, "reply |\"", "not empty" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc reply 1 to alice@crepes.fr\n", 9, "|to",
          "'to' cannot go in a reply: a reply goes to the original's Reply-To, or its From "
          "when it has none" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc reply 1 subject \"x\"\n", 9, "|subject",
          "a reply's subject is the original's with 'Re: ' in front" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc forward 1 to alice@crepes.fr subject \"x\"\n", 9,
          "|subject", "'subject' cannot go in a forward" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc reply 1 count 2\n", 9, "|count",
          "'count' cannot go in a reply" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc forward 1 raw8bit to alice@crepes.fr\n", 9,
          "|raw8bit", "'raw8bit' cannot go in a forward" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc reply 1 from alice@crepes.fr\n", 9, "|from",
          "'from' cannot go in a reply" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc forward 1 body \"x\"\n", 9, NULL,
          "expected 'to' and the address to forward to, as in to carol@hamburger.edu" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc reply 1 header \"References: <a@b>\"\n", 9,
          "|\"References", "mailsim writes the References: field of a reply itself" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc forward 1 to carol@nowhere.org\n", 9,
          "|carol", "no server serves the domain of 'carol@nowhere.org'" },
        { "at 0s bob-pc pop3 fetch\nat 1s bob-pc reply 1 bdy \"x\"\n", 9, "|bdy",
          "in a reply action, found 'bdy'; did you mean 'body'?" },
        { "at 0s bob-pc repyl 1\n", 8, "|repyl", "did you mean 'reply'?" },
        { "forward 1 to alice@crepes.fr\n", 8, "|forward",
          "an action starts with 'at TIME HOST', as in 'at 0s alice-pc forward ...', found "
          "'forward'" },
        /* Timing: the original must have been downloaded before. */
        { "at 0s bob-pc reply \"Ketchup\"\n", 8, "|reply",
          "'reply' needs a message that agent 'bob-pc' has downloaded, but no 'pop3 fetch', "
          "'imap fetch new', 'imap read' or 'imap poll' of it comes before" },
        { "at 0s bob-pc pop3 fetch list-only\nat 1s bob-pc forward 1 to alice@crepes.fr\n", 9,
          "|forward", "'forward' needs a message that agent 'bob-pc' has downloaded" },
        { "at 5s bob-pc pop3 fetch\nat 5s bob-pc reply 1\n", 9, "|5s",
          "'reply' at 5s starts together with the first download of agent 'bob-pc' (line 8), "
          "which takes at least a round trip: give the reply a later time" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
    /* Another agent's download is not this one's. */
    ASSERT_ONE_ERROR(BASE PEOPLE "agent bob-phone user bob@hamburger.edu server hamburger.edu\n"
                                 "link bob-phone hamburger.edu\n"
                                 "at 0s bob-pc pop3 fetch\n"
                                 "at 9s bob-phone reply 1\n",
                     11, 17, "agent 'bob-phone' has downloaded");
    /* An IMAP read counts as a download. */
    g_autoptr(MsScenario) imap = parse_ok(BASE PEOPLE "at 0s bob-pc imap login\n"
                                                      "at 0s bob-pc imap select INBOX\n"
                                                      "at 0s bob-pc imap read 1\n"
                                                      "at 1s bob-pc reply 1\n");
    CU_ASSERT_PTR_NOT_NULL(imap);
}

/* The slips a newcomer makes most: each error says what was expected and
 * then the statement as it was probably meant. */
static void did_you_mean_hints(void)
{
    static const Mistake m[] = {
        /* A space between a number and its unit. */
        { "at 1 min bob-pc pop3 fetch\n", 8, "at |1",
          "expected a duration such as 40ms or 2s, found '1' (units: ns, us, ms, s, min, h, "
          "d); did you mean '1min'? (write the unit right after the number, with no space)" },
        { "link alice-pc hamburger.edu latency 40 ms\n", 8, "|40", "did you mean '40ms'?" },
        { "link alice-pc hamburger.edu bandwidth 10 Mbit\n", 8, "|10",
          "did you mean '10Mbit'?" },
        { "at 0s bob-pc pop3 fetch every 5 min until 1h\n", 8, "|5 ",
          "did you mean '5min'?" },
        /* A link value without the name of its option. */
        { "link alice-pc hamburger.edu 2ms\n", 8, "|2ms",
          "expected 'latency', 'bandwidth' or 'loss' before the value in a link statement, "
          "found '2ms'; did you mean 'latency 2ms'?" },
        { "link alice-pc hamburger.edu latency 2ms 10Mbit\n", 8, "|10Mbit",
          "did you mean 'bandwidth 10Mbit'?" },
        { "link alice-pc hamburger.edu 1%\n", 8, "|1%", "did you mean 'loss 1%'?" },
        /* A network event without the word that says what changes. */
        { "at 0s hamburger.edu down\n", 8, "|down",
          "expected 'send', 'reply', 'forward', 'pop3', 'imap', 'telnet' or 'web' as the action, found 'down'; "
          "did you mean 'at 0s server hamburger.edu down'? (a network event says what "
          "changes: 'server NAME', 'host NAME' or 'link HOST HOST')" },
        { "at 2s bob-pc down for 1h\n", 8, "|down",
          "did you mean 'at 2s host bob-pc down ...'?" },
        { "at 0s crepes.fr up\n", 8, "|up", "did you mean 'at 0s server crepes.fr up'?" },
        /* A host nobody declared: both forms are offered. */
        { "at 0s mx.nowhere.org down\n", 8, "|down",
          "did you mean 'at 0s server mx.nowhere.org down' or 'at 0s host mx.nowhere.org "
          "down'?" },
        { "at 1s alice-pc crepes.fr down\n", 8, "|crepes.fr down",
          "did you mean 'at 1s link alice-pc crepes.fr down'?" },
        /* Not an event: the usual list of actions, with its own hint. */
        { "at 0s alice-pc sned to bob@hamburger.edu\n", 8, "|sned", "did you mean 'send'?" },
    };
    check_mistakes(m, G_N_ELEMENTS(m));
    /* Two words that make no value together get no hint. */
    g_autofree char *msg = errors_of(BASE PEOPLE "link alice-pc hamburger.edu latency 40 "
                                                 "loss 1%\n", -1);
    CU_ASSERT(has_error(msg, 8, 37, "found '40' (units: ns, us, ms, s, min, h, d)"));
    CU_ASSERT_PTR_NULL(strstr(msg, "did you mean"));
}

int main(void)
{
    static const MsTestCase lexer[] = {
        MS_TEST(words_strings_and_columns),
        MS_TEST(chinese_title),
        MS_TEST(escapes_are_decoded),
        MS_TEST(comments_blank_lines_and_crlf),
        MS_TEST(byte_order_mark_is_skipped),
        MS_TEST(backslash_joins_lines),
        MS_TEST(micro_sign_is_part_of_a_word),
        MS_TEST(durations_are_exact),
        MS_TEST(rates_loss_and_seeds),
        MS_TEST(names_and_suggestions),
        MS_TEST(slash_is_part_of_a_word),
        MS_TEST(sizes_dates_and_numbers),
        MS_TEST_END,
    };
    static const MsTestCase parser[] = {
        MS_TEST(acceptance_example),
        MS_TEST(every_feature),
        MS_TEST(defaults_and_lookups),
        MS_TEST(length_bounds_the_text),
        MS_TEST(same_input_same_result),
        MS_TEST(equal_times_are_in_order),
        MS_TEST_END,
    };
    static const MsTestCase errors[] = {
        MS_TEST(unknown_keyword),
        MS_TEST(bad_units),
        MS_TEST(missing_values),
        MS_TEST(unexpected_words),
        MS_TEST(bad_names_and_addresses),
        MS_TEST(duplicates),
        MS_TEST(undefined_hosts),
        MS_TEST(unserved_recipients),
        MS_TEST(times_out_of_order),
        MS_TEST(fetch_needs_password),
        MS_TEST(unreachable_hosts),
        MS_TEST(lexical_errors),
        MS_TEST(missing_or_empty_files),
        MS_TEST(broken_line_hides_its_consequences),
        MS_TEST(several_errors_in_one_file),
        MS_TEST(too_many_errors),
        MS_TEST(file_must_be_text),
        MS_TEST(garbage_does_not_crash),
        MS_TEST_END,
    };
    static const MsTestCase language[] = {
        MS_TEST(everything_parses),
        MS_TEST(new_defaults),
        MS_TEST(files_are_relative_to_the_scenario),
        MS_TEST(files_fall_back_to_the_shipped_scenarios),
        MS_TEST(installed_program_finds_its_share_folder),
        MS_TEST(devices_names_and_criteria),
        MS_TEST(display_names_in_addresses),
        MS_TEST(pop3_stat_and_rset),
        MS_TEST(reply_and_forward),
        MS_TEST_END,
    };
    static const MsTestCase checks[] = {
        MS_TEST(statement_mistakes),
        MS_TEST(send_mistakes),
        MS_TEST(access_mistakes),
        MS_TEST(network_and_telnet_mistakes),
        MS_TEST(web_actions_parse),
        MS_TEST(web_sessions_and_servers),
        MS_TEST(web_mistakes),
        MS_TEST(unknown_users_option),
        MS_TEST(services_and_connect_timeout),
        MS_TEST(did_you_mean_hints),
        MS_TEST_END,
    };
    ms_test_add_suite("scenario/lexer", lexer);
    ms_test_add_suite("scenario/parser", parser);
    ms_test_add_suite("scenario/errors", errors);
    ms_test_add_suite("scenario/language", language);
    ms_test_add_suite("scenario/checks", checks);
    return ms_test_run();
}
