/* test_docs.c - docs/scenario-language.md agrees with the parser.
 *
 * Every fenced block of the reference says what it is in its info string:
 *   mss         a whole scenario: it must parse as it is;
 *   mss-lines   statements shown on their own: they must parse on top of
 *               the world the reference's examples live in (PRELUDE below:
 *               crepes.fr, hamburger.edu, alice-pc, bob-pc, bob-phone);
 *   mss-syntax  the form of a statement, with UPPER CASE placeholders and
 *               [optional] parts: not parsed, but its keywords must be ones
 *               the parser knows;
 *   mss-broken  a scenario with mistakes on purpose: the next block (text)
 *               must be exactly what the parser says about it;
 *   text, ebnf  output and the grammar.
 * And every keyword the parser accepts - learnt from the parser itself, by
 * asking it what it expected where a wrong word was written - must appear in
 * the grammar summary and in the prose.
 */
#include "testutil.h"

#include <string.h>

#include "mailsim/scenario.h"

#define DOC "docs/scenario-language.md"

typedef struct {
    char *info;
    char *text;  /* the lines between the fences, each ending in "\n" */
    guint line;  /* of the opening fence, from 1 */
} Block;

static void block_free(gpointer p)
{
    Block *b = p;
    g_free(b->info);
    g_free(b->text);
    g_free(b);
}

/* The fenced blocks of a Markdown text, and the prose between them with
 * the blocks left out (transfer full). */
static GPtrArray *read_blocks(const char *doc, char **prose_out)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(block_free);
    GString *prose = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(doc, "\n", -1);
    Block *open = NULL;
    GString *text = NULL;
    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], "```")) {
            if (open == NULL) {
                open = g_new0(Block, 1);
                open->info = g_strstrip(g_strdup(lines[i] + 3));
                open->line = i + 1;
                text = g_string_new(NULL);
            } else {
                open->text = g_string_free(text, FALSE);
                g_ptr_array_add(out, open);
                open = NULL;
            }
            continue;
        }
        if (open != NULL)
            g_string_append_printf(text, "%s\n", lines[i]);
        else
            g_string_append_printf(prose, "%s\n", lines[i]);
    }
    CU_ASSERT_PTR_NULL(open); /* every fence closed */
    if (open != NULL) {
        g_string_free(text, TRUE);
        block_free(open);
    }
    *prose_out = g_string_free(prose, FALSE);
    return out;
}

static GPtrArray *doc_blocks(char **prose_out)
{
    gsize len = 0;
    g_autofree char *doc = ms_test_read_file(DOC, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    return read_blocks(doc, prose_out);
}

/* ---- The examples parse ------------------------------------------------- */

/* The world of the reference's examples, one declaration a line. */
static const char *const prelude[] = {
    "server crepes.fr domain crepes.fr",
    "server hamburger.edu domain hamburger.edu",
    "agent alice-pc user alice@crepes.fr server crepes.fr password hungry",
    "agent bob-pc user bob@hamburger.edu server hamburger.edu password hungry",
    "agent bob-phone user bob@hamburger.edu server hamburger.edu password hungry",
    "link alice-pc crepes.fr",
    "link crepes.fr hamburger.edu",
    "link bob-pc hamburger.edu",
    "link bob-phone hamburger.edu",
};

/* The second word of a line (its host, for server, agent and link
 * statements), lower case, or NULL (transfer full). */
static char *word_at(const char *line, guint n)
{
    g_auto(GStrv) words = g_strsplit_set(line, " \t", -1);
    guint k = 0;
    for (guint i = 0; words[i] != NULL; i++) {
        if (words[i][0] == '\0')
            continue;
        if (k++ == n)
            return g_ascii_strdown(words[i], -1);
    }
    return NULL;
}

/* The prelude, less what the lines declare again themselves (a server or
 * an agent of the same name, a link between the same hosts), then the
 * lines, then a link from each agent they declare to its server, unless
 * they link it (transfer full). */
static char *with_prelude(const char *lines)
{
    g_auto(GStrv) mine = g_strsplit(lines, "\n", -1);
    GString *out = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(prelude); i++) {
        g_autofree char *kw = word_at(prelude[i], 0);
        g_autofree char *a = word_at(prelude[i], 1);
        g_autofree char *b = word_at(prelude[i], 2);
        gboolean again = FALSE;
        for (guint k = 0; mine[k] != NULL && !again; k++) {
            g_autofree char *mkw = word_at(mine[k], 0);
            g_autofree char *ma = word_at(mine[k], 1);
            g_autofree char *mb = word_at(mine[k], 2);
            if (mkw == NULL || strcmp(mkw, kw) != 0)
                continue;
            if (strcmp(kw, "link") == 0)
                again = (g_strcmp0(a, ma) == 0 && g_strcmp0(b, mb) == 0)
                        || (g_strcmp0(a, mb) == 0 && g_strcmp0(b, ma) == 0);
            else
                again = g_strcmp0(a, ma) == 0;
        }
        if (!again)
            g_string_append_printf(out, "%s\n", prelude[i]);
    }
    g_string_append(out, lines);
    for (guint k = 0; mine[k] != NULL; k++) {
        g_autofree char *kw = word_at(mine[k], 0);
        if (g_strcmp0(kw, "agent") != 0)
            continue;
        g_autofree char *host = word_at(mine[k], 1);
        g_autofree char *server = NULL;
        for (guint w = 2; server == NULL; w++) {
            g_autofree char *word = word_at(mine[k], w);
            if (word == NULL)
                break;
            if (strcmp(word, "server") == 0)
                server = word_at(mine[k], w + 1);
        }
        g_autofree char *link = g_strdup_printf("link %s ", host);
        if (server != NULL && strstr(out->str, link) == NULL)
            g_string_append_printf(out, "link %s %s\n", host, server);
    }
    return g_string_free(out, FALSE);
}

/* Parses text as a scenario in scenarios/ (so files/... are the shipped
 * files); reports the block when it fails. */
static void must_parse(const Block *b, const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_string(text, -1, "scenarios/doc-example.mss",
                                                        &error);
    if (sc == NULL)
        fprintf(stderr, "\n  %s:%u: the example (%s) does not parse:\n%s\n  as parsed:\n%s\n",
                DOC, b->line, b->info, error->message, text);
    CU_ASSERT_PTR_NOT_NULL(sc);
}

static const char *const kinds[] = { "mss", "mss-lines", "mss-syntax", "mss-broken", "text",
                                     "ebnf", NULL };

static void every_block_says_what_it_is(void)
{
    g_autofree char *prose = NULL;
    g_autoptr(GPtrArray) blocks = doc_blocks(&prose);
    CU_ASSERT(blocks->len >= 30);
    for (guint i = 0; i < blocks->len; i++) {
        const Block *b = g_ptr_array_index(blocks, i);
        if (!g_strv_contains(kinds, b->info)) {
            fprintf(stderr, "\n  %s:%u: a block with info string '%s': say what it is (mss, "
                            "mss-lines, mss-syntax, mss-broken, text or ebnf)\n",
                    DOC, b->line, b->info);
            CU_FAIL("a block that does not say what it is");
        }
    }
}

static void every_example_parses(void)
{
    g_autofree char *prose = NULL;
    g_autoptr(GPtrArray) blocks = doc_blocks(&prose);
    guint whole = 0, lines = 0;
    for (guint i = 0; i < blocks->len; i++) {
        const Block *b = g_ptr_array_index(blocks, i);
        if (strcmp(b->info, "mss") == 0) {
            must_parse(b, b->text);
            whole++;
            /* "scenarios/smtp-basic.mss holds the same lines". */
            if (whole == 1) {
                gsize len = 0;
                g_autofree char *file = ms_test_read_file("scenarios/smtp-basic.mss", &len);
                g_auto(GStrv) rows = g_strsplit(file != NULL ? file : "", "\n", -1);
                GString *statements = g_string_new(NULL);
                for (guint k = 0; rows[k] != NULL; k++) {
                    if (rows[k][0] != '#' && rows[k][0] != '\0')
                        g_string_append_printf(statements, "%s\n", rows[k]);
                }
                MS_ASSERT_STR(statements->str, b->text);
                g_string_free(statements, TRUE);
            }
        } else if (strcmp(b->info, "mss-lines") == 0) {
            g_autofree char *text = with_prelude(b->text);
            must_parse(b, text);
            lines++;
        }
    }
    CU_ASSERT(whole >= 1);
    CU_ASSERT(lines >= 10);
}

/* The broken example's errors are the ones the block after it shows, word
 * for word; the file it names is tests/data/scenario/ with the same text. */
static void broken_example_says_what_the_parser_says(void)
{
    g_autofree char *prose = NULL;
    g_autoptr(GPtrArray) blocks = doc_blocks(&prose);
    guint n = 0;
    for (guint i = 0; i < blocks->len; i++) {
        const Block *b = g_ptr_array_index(blocks, i);
        if (strcmp(b->info, "mss-broken") != 0)
            continue;
        n++;
        CU_ASSERT_FATAL(i + 1 < blocks->len);
        const Block *said = g_ptr_array_index(blocks, i + 1);
        MS_ASSERT_STR(said->info, "text");
        /* "several-errors.mss:5:1: error: ...": the file's name. */
        const char *colon = strchr(said->text, ':');
        CU_ASSERT_PTR_NOT_NULL_FATAL(colon);
        g_autofree char *name = g_strndup(said->text, (gsize) (colon - said->text));
        g_autofree char *path = g_build_filename("tests/data/scenario", name, NULL);
        gsize len = 0;
        g_autofree char *file = ms_test_read_file(path, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(file);
        MS_ASSERT_STR(file, b->text);
        g_autoptr(GError) error = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_string(b->text, -1, name, &error);
        CU_ASSERT_PTR_NULL(sc);
        CU_ASSERT_PTR_NOT_NULL_FATAL(error);
        g_autofree char *got = g_strconcat(error->message, "\n", NULL);
        MS_ASSERT_STR(got, said->text);
    }
    CU_ASSERT_EQUAL(n, 1);
}

/* ---- Every keyword is documented --------------------------------------- */

/* Places where the parser expects one of a list of words: each line goes
 * after the first seven lines of the reference's error catalogue, with a
 * word no statement takes ("zzz") where the list is. */
static const char *const probes[] = {
    "zzz",
    "scenario \"x\" zzz",
    "server x.org domain x.org zzz",
    "server x.org domain x.org profile zzz",
    "server x.org domain x.org relay zzz",
    "server x.org domain x.org unknown-users zzz",
    "server x.org domain x.org submission zzz",
    "server x.org domain x.org persistent zzz",
    "agent c-pc user c@crepes.fr server crepes.fr zzz",
    "mailbox c@crepes.fr zzz",
    "link alice-pc bob-pc zzz",
    "at 0s bob-pc zzz",
    "at 0s bob-pc send to a@crepes.fr zzz",
    "at 0s bob-pc send to a@crepes.fr encoding zzz",
    "at 0s bob-pc pop3 zzz",
    "at 0s bob-pc pop3 fetch zzz",
    "at 0s bob-pc imap zzz",
    "at 0s bob-pc imap fetch zzz",
    "at 0s bob-pc imap poll zzz",
    "at 0s bob-pc imap login zzz",
    "at 0s bob-pc imap idle zzz",
    "at 0s bob-pc imap flag 1 zzz",
    "at 0s bob-pc web zzz",
    "at 0s bob-pc web send zzz",
    "at 0s bob-pc web login zzz",
    "at 0s link alice-pc bob-pc zzz",
    "at 0s server crepes.fr service zzz",
    "at 0s alice-pc telnet crepes.fr 25\nzzz\nend",
    "at 0s alice-pc telnet crepes.fr 25\ntype \"x\" zzz\nend",
};

#define CATALOGUE                                                                \
    "server crepes.fr domain crepes.fr\n"                                        \
    "server hamburger.edu domain hamburger.edu\n"                                \
    "link crepes.fr hamburger.edu\n"                                             \
    "agent alice-pc user alice@crepes.fr server crepes.fr\n"                     \
    "agent bob-pc user bob@hamburger.edu server hamburger.edu password x\n"      \
    "link alice-pc crepes.fr\n"                                                  \
    "link bob-pc hamburger.edu\n"

/* Words the parser checks for one at a time, which no error lists: 'none'
 * (max-size, connect-timeout), 'service' (server NAME service ...) and
 * 'host' (at TIME host NAME down). */
static const char *const unlisted[] = { "none", "service", "host", NULL };

/* The words the parser expected, from the error a probe gets: those in
 * quotes ("expected 'a', 'b' or 'c'"), or the list after "starts with"
 * for a statement's first word. */
static void add_expected(GHashTable *words, const char *message)
{
    const char *starts = strstr(message, "a statement starts with ");
    if (starts != NULL) {
        g_auto(GStrv) list = g_strsplit_set(starts + strlen("a statement starts with "), ", ",
                                            -1);
        for (guint i = 0; list[i] != NULL; i++) {
            if (list[i][0] != '\0' && strcmp(list[i], "or") != 0)
                g_hash_table_add(words, g_strdup(list[i]));
        }
        return;
    }
    const char *p = strstr(message, "expected ");
    const char *end = p != NULL ? strstr(p, ", found") : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    for (const char *q = strchr(p, '\''); q != NULL && q < end; q = strchr(q, '\'')) {
        const char *close = strchr(q + 1, '\'');
        if (close == NULL || close > end)
            break;
        /* One word: "after 'imap fetch'" names a place, not a choice. */
        g_autofree char *w = g_strndup(q + 1, (gsize) (close - q - 1));
        if (strchr(w, ' ') == NULL)
            g_hash_table_add(words, g_steal_pointer(&w));
        q = close + 1;
    }
}

static GHashTable *parser_keywords(void)
{
    GHashTable *words = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(probes); i++) {
        g_autofree char *text = g_strconcat(CATALOGUE, probes[i], "\n", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(MsScenario) sc = ms_scenario_parse_string(text, -1, "t.mss", &error);
        CU_ASSERT_PTR_NULL(sc);
        CU_ASSERT_PTR_NOT_NULL_FATAL(error);
        add_expected(words, error->message);
    }
    for (guint i = 0; unlisted[i] != NULL; i++)
        g_hash_table_add(words, g_strdup(unlisted[i]));
    return words;
}

/* Whether word is a whole word of text (not part of a longer one). */
static gboolean has_word(const char *text, const char *word)
{
    gsize n = strlen(word);
    for (const char *p = strstr(text, word); p != NULL; p = strstr(p + 1, word)) {
        gboolean before = p == text || !(g_ascii_isalnum(p[-1]) || p[-1] == '-');
        gboolean after = !(g_ascii_isalnum(p[n]) || p[n] == '-');
        if (before && after)
            return TRUE;
    }
    return FALSE;
}

/* The inline code of the prose, `...` spans joined by newlines (transfer
 * full). */
static char *inline_code(const char *prose)
{
    GString *out = g_string_new(NULL);
    const char *p = prose;
    while ((p = strchr(p, '`')) != NULL) {
        /* A span opens with a run of n backticks and closes with the next
         * run of exactly n (CommonMark 6.1): ``a ` b`` holds a backtick. */
        gsize n = strspn(p, "`");
        const char *body = p + n;
        const char *close = body;
        for (close = strchr(close, '`'); close != NULL; close = strchr(close + n, '`')) {
            if (strspn(close, "`") == n)
                break;
            close += strspn(close, "`") - n;
        }
        if (close == NULL)
            break;
        g_string_append_len(out, body, close - body);
        g_string_append_c(out, '\n');
        p = close + n;
    }
    return g_string_free(out, FALSE);
}

static const Block *grammar(GPtrArray *blocks)
{
    for (guint i = 0; i < blocks->len; i++) {
        const Block *b = g_ptr_array_index(blocks, i);
        if (strcmp(b->info, "ebnf") == 0)
            return b;
    }
    CU_FAIL_FATAL("no ebnf block (the grammar summary)");
    return NULL;
}

static void every_keyword_is_documented(void)
{
    g_autofree char *prose = NULL;
    g_autoptr(GPtrArray) blocks = doc_blocks(&prose);
    const Block *g = grammar(blocks);
    g_autofree char *code = inline_code(prose);
    g_autoptr(GHashTable) words = parser_keywords();
    /* The probes reach the statements, the options of each, the actions
     * and their steps: at least this many words. */
    CU_ASSERT(g_hash_table_size(words) >= 100);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, words);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const char *w = key;
        g_autofree char *quoted = g_strdup_printf("\"%s\"", w);
        if (strstr(g->text, quoted) == NULL) {
            fprintf(stderr, "\n  the parser takes '%s', but the grammar summary (%s:%u) has "
                            "no \"%s\"\n", w, DOC, g->line, w);
            CU_FAIL("a keyword missing from the grammar");
        }
        if (!has_word(code, w)) {
            fprintf(stderr, "\n  the parser takes '%s', but no `code` in the prose of %s "
                            "names it\n", w, DOC);
            CU_FAIL("a keyword the reference never explains");
        }
    }
}

/* The grammar's rules for values: their quoted words are units and
 * characters, not keywords. */
static const char *const value_rules[] = { "file", "line", "comment", "WORD", "STRING",
                                           "escape", "DURATION", "RATE", "SIZE", "LOSS",
                                           "NUMBER", "number", NULL };

/* The other way round: what the reference shows as a keyword - in the
 * grammar, and in the forms of the statements - the parser takes. */
static void documented_keywords_exist(void)
{
    g_autofree char *prose = NULL;
    g_autoptr(GPtrArray) blocks = doc_blocks(&prose);
    g_autoptr(GHashTable) words = parser_keywords();
    const Block *g = grammar(blocks);
    g_auto(GStrv) lines = g_strsplit(g->text, "\n", -1);
    g_autofree char *rule = NULL;
    for (guint i = 0; lines[i] != NULL; i++) {
        /* "name = ..." starts a rule; indented lines continue it. */
        if (lines[i][0] != ' ' && lines[i][0] != '\0') {
            g_free(rule);
            rule = g_strndup(lines[i], strcspn(lines[i], " \t"));
        }
        if (rule == NULL || g_strv_contains(value_rules, rule))
            continue;
        /* Comments (* ... *) are prose. */
        g_autofree char *line = g_strdup(lines[i]);
        char *comment = strstr(line, "(*");
        if (comment != NULL)
            *comment = '\0';
        for (const char *q = strchr(line, '"'); q != NULL; q = strchr(q, '"')) {
            const char *close = strchr(q + 1, '"');
            if (close == NULL)
                break;
            g_autofree char *w = g_strndup(q + 1, (gsize) (close - q - 1));
            q = close + 1;
            if (!g_ascii_isalnum(w[0]))
                continue; /* "#", ",", "<", ... */
            if (!g_hash_table_contains(words, w)) {
                fprintf(stderr, "\n  the grammar (%s:%u) shows \"%s\", which the parser does "
                                "not take\n", DOC, g->line + 1 + i, w);
                CU_FAIL("a documented keyword the parser does not know");
            }
        }
    }
    for (guint i = 0; i < blocks->len; i++) {
        const Block *b = g_ptr_array_index(blocks, i);
        if (strcmp(b->info, "mss-syntax") != 0)
            continue;
        g_auto(GStrv) parts = g_strsplit_set(b->text, " \t\n[]|,.", -1);
        for (guint k = 0; parts[k] != NULL; k++) {
            const char *w = parts[k];
            gboolean keyword = g_ascii_islower(w[0]);
            for (const char *p = w; keyword && *p != '\0'; p++)
                keyword = g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-';
            if (keyword && !g_hash_table_contains(words, w)) {
                fprintf(stderr, "\n  %s:%u: the form shows '%s', which the parser does not "
                                "take\n", DOC, b->line, w);
                CU_FAIL("a documented keyword the parser does not know");
            }
        }
    }
}

int main(void)
{
    static const MsTestCase cases[] = {
        MS_TEST(every_block_says_what_it_is),
        MS_TEST(every_example_parses),
        MS_TEST(broken_example_says_what_the_parser_says),
        MS_TEST(every_keyword_is_documented),
        MS_TEST(documented_keywords_exist),
        MS_TEST_END,
    };
    ms_test_add_suite("docs/scenario-language", cases);
    return ms_test_run();
}
