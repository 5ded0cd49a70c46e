/* test_scenario.c - the scenario language: lexer, parser and every error.
 *
 * Expected values are worked out from the language reference
 * (docs/scenario-language.md), not read back from the parser: durations are
 * counted in ns (1 ms = 10^6 ns), rates in bit/s with SI prefixes
 * (1 Mbit = 10^6 bit/s), and columns are 1-based byte offsets counted by
 * hand in the input shown next to each assertion.
 */
#include "testutil.h"

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
                     "expected a keyword (scenario, seed, server, agent, link or at), "
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
                     "expected an action, 'send' or 'pop3 fetch', found end of line");
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
                     "expected the end of the pop3 fetch statement, found 'now'");
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
    CU_ASSERT(has_error(msg2, 51, 1, "too many errors (more than 1000); the rest of the "
                                     "file was not checked"));
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

int main(void)
{
    static const MsTestCase lexer[] = {
        MS_TEST(words_strings_and_columns),
        MS_TEST(escapes_are_decoded),
        MS_TEST(comments_blank_lines_and_crlf),
        MS_TEST(byte_order_mark_is_skipped),
        MS_TEST(backslash_joins_lines),
        MS_TEST(micro_sign_is_part_of_a_word),
        MS_TEST(durations_are_exact),
        MS_TEST(rates_loss_and_seeds),
        MS_TEST(names_and_suggestions),
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
        MS_TEST(garbage_does_not_crash),
        MS_TEST_END,
    };
    ms_test_add_suite("scenario/lexer", lexer);
    ms_test_add_suite("scenario/parser", parser);
    ms_test_add_suite("scenario/errors", errors);
    return ms_test_run();
}
