/* test_grade.c - exercises, submissions, the rubric's checks, worker
 * isolation and the output formats of `mailsim grade`.
 *
 * tests/data/grade/<exercise>/ holds submissions (the model and wrong ones)
 * and expected.txt with each one's score, reviewed by hand; the model
 * solutions the exercises name must reach full marks for several students'
 * values.  Hostile submissions are made here, not committed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mailsim/grade.h"
#include "mailsim/report.h"
#include "report/report-private.h"
#include "testutil.h"

/* Seconds a client program may run in these tests: far more than a working
 * one needs on a loaded machine (a hanging one costs all of it). */
#define PROGRAM_TIME_LIMIT 30

/* Whether s holds part; says what it holds when not. */
static gboolean contains(const char *s, const char *part)
{
    gboolean ok = s != NULL && strstr(s, part) != NULL;
    if (!ok)
        fprintf(stderr, "expected \"%s\" in:\n%s\n", part, s != NULL ? s : "(null)");
    return ok;
}

#define ASSERT_CONTAINS(s, part) CU_ASSERT_TRUE(contains((s), (part)))

/* Every shipped exercise; the test data has a folder for each. */
static const char *const shipped[] = {
    "smtp-send", "smtp-predict", "pop3-session", "delay", "push-pull", "mime-size",
    "pop3-vs-imap", "smtp-client-program", NULL,
};

static MsExercise *load_shipped(const char *name)
{
    g_autofree char *path = g_strdup_printf("scenarios/exercises/%s.exercise", name);
    g_autoptr(GError) error = NULL;
    MsExercise *ex = ms_exercise_load(path, &error);
    if (ex == NULL)
        fprintf(stderr, "%s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    return ex;
}

static char *error_of(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_parse(text, strlen(text), "t.exercise", &error);
    CU_ASSERT_PTR_NULL(ex);
    return error != NULL ? g_strdup(error->message) : g_strdup("");
}

/* An exercise text and what its error message must hold. */
typedef struct {
    const char *text;
    const char *want;
} ErrorCase;

static void expect_errors(const ErrorCase *cases, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_autofree char *msg = error_of(cases[i].text);
        if (strstr(msg, cases[i].want) == NULL)
            fprintf(stderr, "case %zu: wanted '%s' in:\n%s\n", i, cases[i].want, msg);
        CU_ASSERT_PTR_NOT_NULL(strstr(msg, cases[i].want));
    }
}

/* ---- The exercise format ------------------------------------------------------ */

#define HEAD                                                                          \
    "title en \"T\"\ntitle zh \"T\"\ninstructions en \"Do it\"\ninstructions zh \"做\"\n"
#define SCEN                                                                          \
    "begin scenario\nserver hamburger.edu domain hamburger.edu\n"                     \
    "agent alice-pc user alice@hamburger.edu server hamburger.edu\n"                  \
    "link alice-pc hamburger.edu latency 10ms\nend scenario\n"
#define CHECK                                                                         \
    "check q points 1\n  title en \"Q\"\n  title zh \"Q\"\n  rule quit\n"             \
    "  pass en \"y\"\n  pass zh \"是\"\n  fail en \"n\"\n  fail zh \"否\"\nend\n"

static void test_format_minimal(void)
{
    const char *text = HEAD "submit dialogue from alice-pc to hamburger.edu\n" SCEN CHECK;
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_parse(text, strlen(text), "t.exercise", &error);
    if (ex == NULL)
        fprintf(stderr, "%s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    CU_ASSERT_EQUAL(ms_exercise_kind(ex), MS_GRADE_DIALOGUE);
    CU_ASSERT_DOUBLE_EQUAL(ms_exercise_max_score(ex), 1.0, 1e-9);
    MS_ASSERT_STR(ms_exercise_id(ex), "t");
    MS_ASSERT_STR(ms_exercise_submission_file(ex), "dialogue.txt");
}

/* A number of 401 digits, larger than any double. */
#define NINES10 "9999999999"
#define NINES100 NINES10 NINES10 NINES10 NINES10 NINES10 NINES10 NINES10 NINES10 NINES10 NINES10
#define HUGE_NUMBER "1" NINES100 NINES100 NINES100 NINES100

static void test_format_errors(void)
{
    const ErrorCase cases[] = {
        /* An unknown statement, with a suggestion. */
        { HEAD "sumbit dialogue from alice-pc to hamburger.edu\n" SCEN CHECK,
          "t.exercise:5:1: error: expected 'title', 'submit'" },
        /* An error inside the embedded scenario names the exercise's line. */
        { HEAD "submit dialogue from alice-pc to hamburger.edu\n"
               "begin scenario\nserver hamburger.edu domain hamburger.edu\n"
               "agent alice-pc user alice@hamburger.edu server nowhere.org\n"
               "end scenario\n" CHECK,
          "t.exercise:8:" },
        /* A check block never closed. */
        { HEAD "submit dialogue from alice-pc to hamburger.edu\n" SCEN
               "check q points 1\n  rule quit\n",
          "t.exercise:11:1: error: this check is never closed by 'end'" },
        /* A check with no Chinese feedback. */
        { HEAD "submit dialogue from alice-pc to hamburger.edu\n" SCEN
               "check q\n title en \"Q\"\n rule quit\n pass en \"y\"\n fail en \"n\"\nend\n",
          "needs its Chinese texts too" },
        /* A parameter that is not declared. */
        { HEAD "submit dialogue from alice-pc to hamburger.edu\n"
               "begin scenario\nserver hamburger.edu domain hamburger.edu\n"
               "agent alice-pc user alice@hamburger.edu server hamburger.edu\n"
               "link alice-pc hamburger.edu latency ${lat}\nend scenario\n" CHECK,
          "t.exercise:9:37: error: '${lat}' is not a parameter" },
        /* A number too large for a double: its range would hold NaN. */
        { HEAD "param lat range " HUGE_NUMBER "ms " HUGE_NUMBER "ms step 1ms\n"
               "submit dialogue from alice-pc to hamburger.edu\n" SCEN CHECK,
          "t.exercise:5:17: error: expected a number with an optional unit" },
        /* A range whose units differ. */
        { HEAD "param lat range 10ms 2s step 5ms\n"
               "submit dialogue from alice-pc to hamburger.edu\n" SCEN CHECK,
          "t.exercise:5:22: error: expected the unit 'ms'" },
        /* A rule that does not exist. */
        { HEAD "submit dialogue from alice-pc to hamburger.edu\n" SCEN
               "check q\n rule helo-frist\nend\n",
          "did you mean 'helo-first'?" },
        /* An answer check in a dialogue exercise. */
        { HEAD "submit dialogue from alice-pc to hamburger.edu\n" SCEN
               "check q\n title en \"Q\"\n title zh \"Q\"\n"
               " answer d number summary \"x\"\n pass en \"y\"\n pass zh \"是\"\n"
               " fail en \"n\"\n fail zh \"否\"\nend\n",
          "'answer' checks need 'submit answers'" },
        /* The dialogue's host is not in the scenario. */
        { HEAD "submit dialogue from carol-pc to hamburger.edu\n" SCEN CHECK,
          "no agent 'carol-pc'" },
        /* No submit at all. */
        { HEAD SCEN CHECK, "t.exercise:1:1: error: the exercise says nothing about what is "
                           "submitted" },
    };
    expect_errors(cases, G_N_ELEMENTS(cases));
}

static int run_cli(const char *const *args, char **out, char **err);

/* Every line of an exercise's error message says where ("FILE:L:C:"). */
static gboolean all_positioned(const char *msg)
{
    g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (!g_str_has_prefix(lines[i], "t.exercise:")) {
            fprintf(stderr, "line %u has no position:\n%s\n", i + 1, msg);
            return FALSE;
        }
    }
    return TRUE;
}

/* 'scenario "FILE"' is read from an untrusted exercise: the name is quoted
 * in the message (a "\n" in it must not start a line that says nowhere),
 * and only a regular file of a scenario's size is read (a device would
 * fill the memory, a pipe wait for ever). */
static void test_format_scenario_file(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-scfile-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autofree char *big = g_build_filename(dir, "big.mss", NULL);
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(ftruncate(fd, 64 * 1024 * 1024), 0);
    close(fd);
    const struct {
        const char *name;
        const char *want;
    } cases[] = {
        { "no\\nsuch.mss", "t.exercise:5:10: error: cannot read the scenario 'no\\nsuch.mss': "
                           "No such file or directory" },
        { "/dev/null", "t.exercise:5:10: error: cannot read the scenario '/dev/null': it is "
                       "not a regular file" },
        { dir, "t.exercise:5:10: error: cannot read the scenario" },
        { big, "it is larger than 1048576 bytes, which no scenario is" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text = g_strdup_printf(HEAD "scenario \"%s\"\n"
                                                     "submit dialogue from alice-pc to "
                                                     "hamburger.edu\n" CHECK,
                                                cases[i].name);
        g_autofree char *msg = error_of(text);
        ASSERT_CONTAINS(msg, cases[i].want);
        CU_ASSERT_TRUE(all_positioned(msg));
    }
    g_autofree char *folder = error_of(HEAD "scenario \".\"\n"
                                            "submit dialogue from alice-pc to hamburger.edu\n"
                                            CHECK);
    ASSERT_CONTAINS(folder, "it is a folder, not a file");
    /* A file the embedded scenario names: the places it was looked for
     * hold the name too, escaped as well. */
    g_autofree char *body = error_of(HEAD "submit dialogue from alice-pc to hamburger.edu\n"
                                          "begin scenario\n"
                                          "server hamburger.edu domain hamburger.edu\n"
                                          "agent alice-pc user alice@hamburger.edu server "
                                          "hamburger.edu\n"
                                          "at 0s alice-pc send to alice@hamburger.edu "
                                          "body-file \"a\\nb.txt\"\n"
                                          "end scenario\n" CHECK);
    ASSERT_CONTAINS(body, "t.exercise:9:54: error: cannot read the file 'a\\nb.txt': No such "
                          "file or directory; tried ./a\\nb.txt and ");
    CU_ASSERT_TRUE(all_positioned(body));
    g_remove(big);
    g_rmdir(dir);
}

/* A value given twice in a choice would come to students twice as often
 * as the others (param), or is a slip (answer choices, compared in any
 * case): refused where it is written, by loading and by `exercise check`
 * alike. */
static void test_format_duplicate_choices(void)
{
    const ErrorCase cases[] = {
        { HEAD "param subject choice Ketchup Pickles Ketchup\n"
               "submit dialogue from alice-pc to hamburger.edu\n" SCEN CHECK,
          "t.exercise:5:38: error: expected each value of a choice once, found 'Ketchup' "
          "again (first at 5:22)" },
        { HEAD "submit answers\n" SCEN
               "check q\n title en \"Q\"\n title zh \"Q\"\n"
               " answer d choice summary \"x\" choices push pull Push\n"
               " pass en \"y\"\n pass zh \"是\"\n fail en \"n\"\n fail zh \"否\"\nend\n",
          "t.exercise:14:48: error: expected each of the choices once (they are compared in "
          "any case), found 'Push' again (first at 14:38)" },
    };
    expect_errors(cases, G_N_ELEMENTS(cases));
    /* Values that differ in case are two values of a parameter. */
    const char *two = HEAD "param subject choice Ketchup ketchup\n"
                           "submit dialogue from alice-pc to hamburger.edu\n" SCEN CHECK;
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_parse(two, strlen(two), "t.exercise", &error);
    CU_ASSERT_PTR_NOT_NULL(ex);

    g_autofree char *dir = g_dir_make_tmp("mailsim-choice-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "dup.exercise", NULL);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, cases[0].text, -1, NULL));
    const char *check[] = { "exercise", "check", path, NULL };
    g_autofree char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_cli(check, &out, &err), 1);
    g_autofree char *want = g_strdup_printf("%s:5:38: error: expected each value of a choice "
                                            "once, found 'Ketchup' again (first at 5:22)",
                                            path);
    ASSERT_CONTAINS(err, want);
    ms_test_remove_tree(dir);
}

/* ---- Shipped exercises -------------------------------------------------------- */

static MsGradeResult *grade_filled(const MsExercise *ex, const char *student, const char *text,
                                   const char *lang)
{
    g_autoptr(MsGradeParams) params = ms_exercise_params(ex, student);
    g_autofree char *filled = ms_exercise_fill(ex, params, text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(filled);
    MsGradeOptions o = { .lang = lang, .time_limit = PROGRAM_TIME_LIMIT };
    return ms_grade_text(ex, student, filled, strlen(filled), &o);
}

static void test_shipped_models(void)
{
    static const char *const students[] = { "model", "s1", "s2", "s3", "zhang-wei" };
    for (gsize e = 0; shipped[e] != NULL; e++) {
        g_autoptr(MsExercise) ex = load_shipped(shipped[e]);
        CU_ASSERT_TRUE(ms_exercise_max_score(ex) > 0);
        const char *model = ms_exercise_model(ex);
        g_autofree char *text = NULL;
        gsize len = 0;
        if (model != NULL) {
            CU_ASSERT_TRUE_FATAL(g_file_get_contents(model, &text, &len, NULL));
        } else {
            CU_ASSERT_EQUAL(ms_exercise_kind(ex), MS_GRADE_ANSWERS);
        }
        for (gsize s = 0; s < G_N_ELEMENTS(students); s++) {
            g_autoptr(MsGradeParams) params = ms_exercise_params(ex, students[s]);
            g_autofree char *answers = text == NULL ? ms_exercise_solve(ex, params, NULL) : NULL;
            g_autoptr(MsGradeResult) r =
                grade_filled(ex, students[s], text != NULL ? text : answers, "en");
            if (r->score < r->max_score - 1e-9) {
                g_autofree char *out = ms_grade_format_one(r, MS_GRADE_FMT_TEXT, "en");
                fprintf(stderr, "%s", out);
            }
            CU_ASSERT_DOUBLE_EQUAL(r->score, r->max_score, 1e-9);
            CU_ASSERT_PTR_NULL(r->error);
        }
    }
}

/* The path of scenarios/exercises/solutions/<exercise>.*, or NULL. */
static char *shipped_solution(const char *exercise)
{
    const char *dir = "scenarios/exercises/solutions";
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return NULL;
    gsize len = strlen(exercise);
    for (const char *name = g_dir_read_name(d); name != NULL; name = g_dir_read_name(d))
        if (strncmp(name, exercise, len) == 0 && name[len] == '.')
            return g_build_filename(dir, name, NULL);
    return NULL;
}

/* Every file listed in tests/data/grade/<exercise>/expected.txt gets its
 * score, graded in this process. */
static void test_shipped_expected_scores(void)
{
    for (gsize e = 0; shipped[e] != NULL; e++) {
        g_autoptr(MsExercise) ex = load_shipped(shipped[e]);
        g_autofree char *dir = g_strdup_printf("tests/data/grade/%s", shipped[e]);
        g_autofree char *list_path = g_build_filename(dir, "expected.txt", NULL);
        g_autofree char *list = ms_test_read_file(list_path, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(list);
        g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
        guint n = 0;
        for (guint i = 0; lines[i] != NULL; i++) {
            if (lines[i][0] == '#' || lines[i][0] == '\0')
                continue;
            g_auto(GStrv) f = g_strsplit(lines[i], " ", 2);
            CU_ASSERT_PTR_NOT_NULL_FATAL(f[1]);
            /* The submission is the file of that name, any extension. */
            g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
            g_autofree char *path = NULL;
            for (const char *name = g_dir_read_name(d); name != NULL; name = g_dir_read_name(d)) {
                g_autofree char *p = g_build_filename(dir, name, NULL);
                g_autofree char *id = ms_grade_student_id(p);
                if (strcmp(id, f[0]) == 0 && strcmp(name, "expected.txt") != 0)
                    path = g_steal_pointer(&p);
            }
            /* "model" with no file of that name here is the shipped
             * solution itself, graded where it lies rather than copied. */
            if (path == NULL && strcmp(f[0], "model") == 0)
                path = shipped_solution(shipped[e]);
            CU_ASSERT_PTR_NOT_NULL_FATAL(path);
            MsGradeOptions o = { .lang = "en" };
            /* A client program that hangs costs the whole limit; one that
             * works must finish well within it however loaded the machine. */
            o.time_limit = PROGRAM_TIME_LIMIT;
            g_autoptr(MsGradeResult) r = ms_grade_submission(ex, path, &o);
            double want = g_ascii_strtod(f[1], NULL);
            if (r->score < want - 1e-9 || r->score > want + 1e-9) {
                g_autofree char *out = ms_grade_format_one(r, MS_GRADE_FMT_TEXT, "en");
                fprintf(stderr, "%s: expected %g\n%s", path, want, out);
            }
            CU_ASSERT_DOUBLE_EQUAL(r->score, want, 1e-9);
            n++;
        }
        /* The model and several wrong solutions. */
        CU_ASSERT_TRUE(n >= 4);
    }
}

/* ---- Dialogues ------------------------------------------------------------------ */

/* A line ended by a bare LF reaches the server as one: the server's line
 * reader sees it and refuses it (RFC 5321 2.3.8), and the transcript shows
 * it. */
static void test_dialogue_bare_lf(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    const char *text = "HELO crepes.fr\r\nNOOP\nQUIT\r\n";
    MsGradeOptions o = { .lang = "en" };
    g_autoptr(MsGradeResult) r = ms_grade_text(ex, "x", text, strlen(text), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->transcript);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "C: NOOP\\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "C: HELO crepes.fr\\r\\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "S: 500 "));
    const MsGradeTest *crlf = NULL;
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        if (strcmp(t->id, "crlf") == 0)
            crlf = t;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(crlf);
    CU_ASSERT_EQUAL(crlf->status, MS_GRADE_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(crlf->output, "typed line 2 ended with a bare LF"));
}

/* Lines after the server closed the connection are reported as never sent. */
static void test_dialogue_after_quit(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    /* The line right after QUIT may still go out before the server's FIN
     * arrives (as with a real telnet); the one after it cannot. */
    const char *text = "HELO crepes.fr\r\nQUIT\r\nNOOP\r\nNOOP\r\n";
    MsGradeOptions o = { .lang = "en" };
    g_autoptr(MsGradeResult) r = ms_grade_text(ex, "x", text, strlen(text), &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "line 4 was never sent"));
}

static const MsGradeTest *test_named(const MsGradeResult *r, const char *id)
{
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        if (strcmp(t->id, id) == 0)
            return t;
    }
    return NULL;
}

/* Predictions earn part of the points and name the first wrong one. */
static void test_dialogue_predictions(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-predict");
    MsGradeOptions o = { .lang = "en" };
    g_autoptr(MsGradeResult) r =
        ms_grade_submission(ex, "tests/data/grade/smtp-predict/all-250.txt", &o);
    const MsGradeTest *t = test_named(r, "predictions");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->status, MS_GRADE_PARTIAL);
    CU_ASSERT_DOUBLE_EQUAL(t->score, 6.22, 1e-9);
    CU_ASSERT_PTR_NOT_NULL(strstr(t->output, "7 of 9 replies predicted right"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t->output, "after \"RCPT TO: <bob@hamburger.edu>\" you "
                                             "predicted 250; the server answered 503"));

    /* A prediction with a full-width colon from a Chinese input method:
     * its code is three characters, and the feedback stays UTF-8 (the
     * JSON formats could not carry half a character). */
    const char *wide = "S: 2\xEF\xBC\x9A""20 hamburger.edu\r\nC: QUIT\r\nS: 221\r\n";
    g_autoptr(MsGradeResult) w = ms_grade_text(ex, "zhang-wei", wide, strlen(wide), &o);
    const MsGradeTest *wt = test_named(w, "predictions");
    CU_ASSERT_PTR_NOT_NULL_FATAL(wt);
    CU_ASSERT_TRUE(g_utf8_validate(wt->output, -1, NULL));
    ASSERT_CONTAINS(wt->output, "after \"the connection opened\" you predicted 2\xEF\xBC\x9A""2; "
                                "the server answered 220");
}

/* A visible answer check gives a hint, never the expected value. */
static void test_answers_hint(void)
{
    g_autoptr(MsExercise) ex = load_shipped("delay");
    g_autoptr(MsGradeParams) p = ms_exercise_params(ex, "hint");
    g_autofree char *right = ms_exercise_solve(ex, p, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(right);
    const char *text = "delivered_ms = 1\nend_to_end_ms = 1 h\nrelay_round_trips = 400\n";
    MsGradeOptions o = { .lang = "en" };
    g_autoptr(MsGradeResult) r = ms_grade_text(ex, "hint", text, strlen(text), &o);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(r, "delivered")->output, "delivered_ms: 1 is too low"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(r, "end-to-end")->output, "is not a number in ms"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(r, "waiting")->output, "waiting_ms: no answer"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(r, "round-trips")->output, "400 is too high"));
    /* The expected value appears nowhere in the feedback. */
    g_auto(GStrv) lines = g_strsplit(right, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *eq = strstr(lines[i], " = ");
        if (eq == NULL || strstr(lines[i], "round_trips") != NULL)
            continue;
        g_autofree char *v = g_strndup(eq + 3, strcspn(eq + 3, " "));
        for (guint k = 0; k < r->tests->len; k++)
            CU_ASSERT_PTR_NULL(strstr(((MsGradeTest *) r->tests->pdata[k])->output, v));
    }
}

/* ---- Variants -------------------------------------------------------------------- */

static void test_variants(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(MsGradeParams) a1 = ms_exercise_params(ex, "alice");
    g_autoptr(MsGradeParams) a2 = ms_exercise_params(ex, "alice");
    g_autoptr(MsGradeParams) def = ms_exercise_params(ex, NULL);
    MS_ASSERT_STR(ms_grade_params_get(a1, "subject"), ms_grade_params_get(a2, "subject"));
    MS_ASSERT_STR(ms_grade_params_get(a1, "latency"), ms_grade_params_get(a2, "latency"));
    MS_ASSERT_STR(ms_grade_params_get(def, "subject"), "Ketchup");
    MS_ASSERT_STR(ms_grade_params_get(def, "latency"), "10ms");
    /* Different students get different values, all within the range. */
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < 40; i++) {
        g_autofree char *id = g_strdup_printf("student%d", i);
        g_autoptr(MsGradeParams) p = ms_exercise_params(ex, id);
        const char *lat = ms_grade_params_get(p, "latency");
        int ms = atoi(lat);
        CU_ASSERT_TRUE(ms >= 10 && ms <= 60 && ms % 5 == 0);
        CU_ASSERT_TRUE(g_str_has_suffix(lat, "ms"));
        g_hash_table_add(seen, g_strdup_printf("%s/%s", lat, ms_grade_params_get(p, "subject")));
    }
    CU_ASSERT_TRUE(g_hash_table_size(seen) > 10);
    /* The student's values are in the instructions and in the grading:
     * alice's own subject passes, another one does not. */
    g_autofree char *ins = ms_exercise_instructions(ex, a1, "en");
    g_autofree char *line = g_strdup_printf("Subject: %s", ms_grade_params_get(a1, "subject"));
    CU_ASSERT_PTR_NOT_NULL(strstr(ins, line));
    g_autofree char *zh = ms_exercise_instructions(ex, a1, "zh");
    CU_ASSERT_PTR_NOT_NULL(strstr(zh, line));
    CU_ASSERT_PTR_NULL(strstr(zh, "${"));
}

/* ---- Hostile submissions and isolation ------------------------------------------ */

static char *write_temp(const char *dir, const char *name, const char *data, gsize len)
{
    char *path = g_build_filename(dir, name, NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, data, (gssize) len, NULL));
    return path;
}

static void results_free(gpointer p)
{
    g_ptr_array_unref(p);
}

static char *results_json(GPtrArray *results)
{
    return ms_grade_format_class(results, MS_GRADE_FMT_RESULTS, "en");
}

static void test_hostile_batch(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autofree char *dir = g_dir_make_tmp("mailsim-grade-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

    /* Binary junk: bytes from a fixed generator. */
    GString *junk = g_string_new(NULL);
    GRand *rand = g_rand_new_with_seed(7);
    for (int i = 0; i < 4096; i++)
        g_string_append_c(junk, (char) g_rand_int_range(rand, 0, 256));
    g_rand_free(rand);
    g_ptr_array_add(paths, write_temp(dir, "a-junk.bin", junk->str, junk->len));
    g_string_free(junk, TRUE);
    /* NUL bytes inside text. */
    g_ptr_array_add(paths, write_temp(dir, "b-nul.txt", "HELO a\r\nMA\0IL\r\n", 15));
    /* 100 MB: a sparse file, read only up to the bound. */
    g_autofree char *big = g_build_filename(dir, "c-big.txt", NULL);
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(ftruncate(fd, 100 * 1000 * 1000), 0);
    close(fd);
    g_ptr_array_add(paths, g_strdup(big));
    /* One endless line. */
    gsize endless = 900 * 1024;
    char *line = g_malloc(endless);
    memset(line, 'A', endless);
    g_ptr_array_add(paths, write_temp(dir, "d-endless.txt", line, endless));
    g_free(line);
    /* 10^5 lines. */
    GString *many = g_string_new(NULL);
    for (int i = 0; i < 100000; i++)
        g_string_append(many, "NOOP\r\n");
    g_ptr_array_add(paths, write_temp(dir, "e-many.txt", many->str, many->len));
    g_string_free(many, TRUE);
    /* Invalid UTF-8. */
    g_ptr_array_add(paths, write_temp(dir, "f-latin1.txt", "HELO caf\xe9\r\nQUIT\r\n", 17));
    /* A missing file and an empty folder. */
    g_ptr_array_add(paths, g_build_filename(dir, "g-missing.txt", NULL));
    g_autofree char *empty = g_build_filename(dir, "h-empty", NULL);
    g_mkdir(empty, 0755);
    g_ptr_array_add(paths, g_strdup(empty));
    /* And the model, among them: nothing above may change its result. */
    g_ptr_array_add(paths, g_strdup("tests/data/grade/smtp-send/model.txt"));

    MsGradeBatchOptions o = { .lang = "en", .jobs = 2 };
    g_autoptr(GPtrArray) results =
        ms_grade_batch(ex, (const char *const *) paths->pdata, paths->len, &o);
    CU_ASSERT_EQUAL_FATAL(results->len, paths->len);
    const char *why[] = { "not valid UTF-8", "a NUL byte", "larger than", "longer than",
                          "more than 5000 lines", "not valid UTF-8", "cannot open",
                          "the folder holds no dialogue.txt" };
    for (guint i = 0; i + 1 < results->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        CU_ASSERT_DOUBLE_EQUAL(r->score, 0, 1e-9);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r->error);
        /* Binary junk fails on whichever comes first, NUL or UTF-8. */
        gboolean explained = strstr(r->error, why[i]) != NULL ||
                             (i == 0 && strstr(r->error, "NUL") != NULL);
        if (!explained)
            fprintf(stderr, "%u: '%s' lacks '%s'\n", i, r->error, why[i]);
        CU_ASSERT_TRUE(explained);
        CU_ASSERT_EQUAL(r->tests->len, 6);
    }
    const MsGradeResult *model = g_ptr_array_index(results, results->len - 1);
    CU_ASSERT_DOUBLE_EQUAL(model->score, 10, 1e-9);
    MS_ASSERT_STR(model->student, "model");

    /* The same class with one worker: byte-identical results, and the same
     * as grading in this process. */
    o.jobs = 1;
    g_autoptr(GPtrArray) again =
        ms_grade_batch(ex, (const char *const *) paths->pdata, paths->len, &o);
    g_autofree char *j1 = results_json(results);
    g_autofree char *j2 = results_json(again);
    MS_ASSERT_STR(j1, j2);
    g_autoptr(GPtrArray) inproc = g_ptr_array_new_with_free_func(
        (GDestroyNotify) ms_grade_result_free);
    for (guint i = 0; i < paths->len; i++) {
        MsGradeOptions go = { .lang = "en" };
        g_ptr_array_add(inproc, ms_grade_submission(ex, paths->pdata[i], &go));
    }
    g_autofree char *j3 = results_json(inproc);
    MS_ASSERT_STR(j1, j3);

    /* Shards 1/2 and 2/2, written and read back, make the whole class. */
    g_autoptr(GPtrArray) merged = g_ptr_array_new_with_free_func(
        (GDestroyNotify) ms_grade_result_free);
    for (guint k = 1; k <= 2; k++) {
        MsGradeBatchOptions so = { .lang = "en", .jobs = 2, .shard_k = k, .shard_n = 2 };
        g_autoptr(GPtrArray) part =
            ms_grade_batch(ex, (const char *const *) paths->pdata, paths->len, &so);
        CU_ASSERT_EQUAL(part->len, k == 1 ? 5 : 4);
        g_autofree char *text = results_json(part);
        g_autoptr(GError) error = NULL;
        CU_ASSERT_TRUE(ms_grade_results_read(text, strlen(text), "part", merged, &error));
    }
    CU_ASSERT_EQUAL_FATAL(merged->len, results->len);
    /* Shard k holds positions k-1, k-1+N, ...: put them back in order. */
    g_autoptr(GPtrArray) ordered = g_ptr_array_new();
    for (guint i = 0; i < merged->len; i++) {
        guint part = i % 2;
        guint idx = part == 0 ? i / 2 : 5 + i / 2;
        g_ptr_array_add(ordered, g_ptr_array_index(merged, idx));
    }
    g_autofree char *j4 = results_json(ordered);
    MS_ASSERT_STR(j1, j4);

    /* Only the files made here: the last path is the shipped model. */
    for (guint i = 0; i + 1 < paths->len; i++) {
        if (g_str_has_prefix(paths->pdata[i], dir))
            g_remove(paths->pdata[i]);
    }
    g_rmdir(empty);
    g_rmdir(dir);
    (void) results_free;
}

/* The limits do not get in the way of an ordinary submission. */
static void test_limits_allow_normal(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    const char *paths[] = { "tests/data/grade/smtp-send/model.txt" };
    MsGradeBatchOptions o = { .lang = "en", .jobs = 1, .time_limit = 5,
                              .memory_limit = 512u << 20 };
    g_autoptr(GPtrArray) r = ms_grade_batch(ex, paths, 1, &o);
    CU_ASSERT_EQUAL_FATAL(r->len, 1);
    const MsGradeResult *res = g_ptr_array_index(r, 0);
    CU_ASSERT_PTR_NULL(res->error);
    CU_ASSERT_DOUBLE_EQUAL(res->score, 10, 1e-9);
}

/* A file name is bytes, and the student id is made from it: one that is
 * not UTF-8 (a Latin-1 name from an old archive) is graded all the same,
 * in a worker whose JSON must carry it back, and every JSON format holds
 * it, written as the text report shows it. */
static void test_student_id_not_utf8(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    const char *id = "m\xFCller";
    g_autoptr(MsGradeParams) params = ms_exercise_params(ex, id);
    g_autofree char *model = ms_test_read_file(ms_exercise_model(ex), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    g_autofree char *filled = ms_exercise_fill(ex, params, model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(filled);
    g_autofree char *dir = g_dir_make_tmp("mailsim-id-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autofree char *path = write_temp(dir, "m\xFCller.txt", filled, strlen(filled));

    MsGradeBatchOptions o = { .lang = "en", .jobs = 1 };
    const char *paths[] = { path };
    g_autoptr(GPtrArray) results = ms_grade_batch(ex, paths, 1, &o);
    CU_ASSERT_EQUAL_FATAL(results->len, 1);
    const MsGradeResult *r = g_ptr_array_index(results, 0);
    if (r->error != NULL)
        fprintf(stderr, "%s\n", r->error);
    CU_ASSERT_PTR_NULL(r->error);
    CU_ASSERT_DOUBLE_EQUAL(r->score, 10, 1e-9);
    MS_ASSERT_STR(r->student, "m\\xFCller");

    /* Graded here, with the id given (--student): the same. */
    MsGradeOptions go = { .lang = "en", .student = id };
    g_autoptr(MsGradeResult) here = ms_grade_submission(ex, path, &go);
    MS_ASSERT_STR(here->student, "m\\xFCller");
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_ptr_array_add(one, here);
    const MsGradeFormat json[] = { MS_GRADE_FMT_GRADESCOPE, MS_GRADE_FMT_PRAIRIELEARN,
                                   MS_GRADE_FMT_RESULTS };
    for (gsize i = 0; i < G_N_ELEMENTS(json); i++) {
        g_autofree char *out = ms_grade_format_class(one, json[i], "en");
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        CU_ASSERT_TRUE(json_parser_load_from_data(parser, out, -1, &error));
    }
    g_autofree char *text = ms_grade_format_class(one, MS_GRADE_FMT_TEXT, "en");
    ASSERT_CONTAINS(text, "== m\\xFCller: 10 of 10 points");
    g_remove(path);
    g_rmdir(dir);
}

/* A submitted scenario that keeps the simulator busy is stopped by the
 * worker's CPU limit and fails alone; the other result is untouched. */
static void test_time_limit(void)
{
    g_autoptr(MsExercise) ex = load_shipped("pop3-vs-imap");
    g_autofree char *model = ms_test_read_file("scenarios/exercises/solutions/pop3-vs-imap.mss", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    /* Bob's PC polls every millisecond for 94 s: 94,000 POP3 sessions. */
    const char *from = "at 5s  bob-pc pop3 fetch delete";
    char *at = strstr(model, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    GString *loop = g_string_new_len(model, at - model);
    g_string_append(loop, "at 5s  bob-pc pop3 fetch delete every 1ms until 99s");
    g_string_append(loop, at + strlen(from));
    g_autofree char *dir = g_dir_make_tmp("mailsim-grade-XXXXXX", NULL);
    g_autofree char *path = write_temp(dir, "loop.mss", loop->str, loop->len);
    g_string_free(loop, TRUE);
    const char *paths[] = { path, "scenarios/exercises/solutions/pop3-vs-imap.mss" };
    MsGradeBatchOptions o = { .lang = "en", .jobs = 2, .time_limit = 1 };
    g_autoptr(GPtrArray) r = ms_grade_batch(ex, paths, 2, &o);
    CU_ASSERT_EQUAL_FATAL(r->len, 2);
    const MsGradeResult *slow = g_ptr_array_index(r, 0);
    const MsGradeResult *ok = g_ptr_array_index(r, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(slow->error);
    CU_ASSERT_PTR_NOT_NULL(strstr(slow->error, "exceeded the time limit"));
    CU_ASSERT_DOUBLE_EQUAL(slow->score, 0, 1e-9);
    CU_ASSERT_PTR_NULL(ok->error);
    CU_ASSERT_DOUBLE_EQUAL(ok->score, 10, 1e-9);
    g_remove(path);
    g_rmdir(dir);
}

/* ---- Output formats against their schemas -------------------------------------- */

static GPtrArray *sample_class(MsExercise *ex, const char *lang)
{
    static const char *const files[] = { "tests/data/grade/smtp-send/model.txt",
                                         "tests/data/grade/smtp-send/no-quit.txt",
                                         "tests/data/grade/smtp-send/bare-lf.txt" };
    GPtrArray *rs = g_ptr_array_new_with_free_func((GDestroyNotify) ms_grade_result_free);
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        MsGradeOptions o = { .lang = lang };
        g_ptr_array_add(rs, ms_grade_submission(ex, files[i], &o));
    }
    /* And one that could not be graded. */
    MsGradeOptions o = { .lang = lang };
    g_ptr_array_add(rs, ms_grade_text(ex, "broken", "\xff", 1, &o));
    return rs;
}

static JsonNode *parse_json(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_data(p, text, -1, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return NULL;
    }
    return json_node_copy(json_parser_get_root(p));
}

static gboolean is_number(JsonObject *o, const char *name)
{
    if (!json_object_has_member(o, name))
        return FALSE;
    JsonNode *n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_VALUE(n) && (json_node_get_value_type(n) == G_TYPE_DOUBLE ||
                                        json_node_get_value_type(n) == G_TYPE_INT64);
}

static gboolean is_string(JsonObject *o, const char *name)
{
    if (!json_object_has_member(o, name))
        return FALSE;
    JsonNode *n = json_object_get_member(o, name);
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING;
}

/* Gradescope's results.json: score, output, tests[] of name, score,
 * max_score, status (passed|failed), output, visibility (visible|hidden|
 * after_due_date|after_published); the score is the sum of the tests'. */
static void test_format_gradescope(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    for (guint i = 0; i < rs->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(rs, i);
        g_autofree char *text = ms_grade_format_one(r, MS_GRADE_FMT_GRADESCOPE, "en");
        g_autoptr(JsonNode) root = parse_json(text);
        CU_ASSERT_TRUE_FATAL(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
        JsonObject *o = json_node_get_object(root);
        CU_ASSERT_TRUE(is_number(o, "score"));
        CU_ASSERT_TRUE(is_string(o, "output"));
        JsonArray *tests = json_object_get_array_member(o, "tests");
        CU_ASSERT_PTR_NOT_NULL_FATAL(tests);
        CU_ASSERT_EQUAL(json_array_get_length(tests), r->tests->len);
        double sum = 0;
        for (guint k = 0; k < json_array_get_length(tests); k++) {
            JsonObject *t = json_array_get_object_element(tests, k);
            CU_ASSERT_TRUE(is_string(t, "name") && is_number(t, "score") &&
                           is_number(t, "max_score") && is_string(t, "output") &&
                           is_string(t, "status") && is_string(t, "visibility"));
            const char *st = json_object_get_string_member(t, "status");
            CU_ASSERT_TRUE(strcmp(st, "passed") == 0 || strcmp(st, "failed") == 0);
            const char *v = json_object_get_string_member(t, "visibility");
            CU_ASSERT_TRUE(strcmp(v, "visible") == 0 || strcmp(v, "hidden") == 0 ||
                           strcmp(v, "after_due_date") == 0 ||
                           strcmp(v, "after_published") == 0);
            sum += json_object_get_double_member(t, "score");
        }
        CU_ASSERT_DOUBLE_EQUAL(sum, json_object_get_double_member(o, "score"), 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(r->score, json_object_get_double_member(o, "score"), 1e-6);
    }
}

/* PrairieLearn's external grader results: gradable, score in [0, 1],
 * message, output, tests[] of name, points, max_points, output. */
static void test_format_prairielearn(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    for (guint i = 0; i < rs->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(rs, i);
        g_autofree char *text = ms_grade_format_one(r, MS_GRADE_FMT_PRAIRIELEARN, "en");
        g_autoptr(JsonNode) root = parse_json(text);
        CU_ASSERT_TRUE_FATAL(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
        JsonObject *o = json_node_get_object(root);
        CU_ASSERT_TRUE(json_object_get_boolean_member(o, "gradable"));
        double score = json_object_get_double_member(o, "score");
        CU_ASSERT_TRUE(score >= 0 && score <= 1);
        CU_ASSERT_DOUBLE_EQUAL(score, r->score / r->max_score, 1e-4);
        CU_ASSERT_TRUE(is_string(o, "message") && is_string(o, "output"));
        JsonArray *tests = json_object_get_array_member(o, "tests");
        CU_ASSERT_EQUAL(json_array_get_length(tests), r->tests->len);
        for (guint k = 0; k < json_array_get_length(tests); k++) {
            JsonObject *t = json_array_get_object_element(tests, k);
            CU_ASSERT_TRUE(is_string(t, "name") && is_number(t, "points") &&
                           is_number(t, "max_points") && is_string(t, "output"));
        }
    }
}

/* JUnit XML, read back with GMarkup: <testsuites> of one <testsuite> per
 * student whose tests, failures and errors attributes count its
 * <testcase>s, <failure>s and <error>s. */
typedef struct {
    int depth;
    guint suites;
    guint cases;
    guint failures;
    guint errors;
    guint declared_tests;
    guint declared_failures;
    guint declared_errors;
    gboolean bad;
} JunitState;

static void junit_start(GMarkupParseContext *ctx, const char *element, const char **names,
                        const char **values, gpointer data, GError **error)
{
    (void) ctx;
    (void) error;
    JunitState *s = data;
    if (s->depth == 0 && strcmp(element, "testsuites") != 0)
        s->bad = TRUE;
    if (strcmp(element, "testsuite") == 0) {
        s->suites++;
        if (s->depth != 1)
            s->bad = TRUE;
        for (int i = 0; names[i] != NULL; i++) {
            if (strcmp(names[i], "tests") == 0)
                s->declared_tests += (guint) atoi(values[i]);
            if (strcmp(names[i], "failures") == 0)
                s->declared_failures += (guint) atoi(values[i]);
            if (strcmp(names[i], "errors") == 0)
                s->declared_errors += (guint) atoi(values[i]);
        }
    }
    if (strcmp(element, "testcase") == 0) {
        s->cases++;
        gboolean has_name = FALSE, has_class = FALSE;
        for (int i = 0; names[i] != NULL; i++) {
            has_name = has_name || strcmp(names[i], "name") == 0;
            has_class = has_class || strcmp(names[i], "classname") == 0;
        }
        if (!has_name || !has_class || s->depth != 2)
            s->bad = TRUE;
    }
    if (strcmp(element, "failure") == 0)
        s->failures++;
    if (strcmp(element, "error") == 0)
        s->errors++;
    s->depth++;
}

static void junit_end(GMarkupParseContext *ctx, const char *element, gpointer data,
                      GError **error)
{
    (void) ctx;
    (void) element;
    (void) error;
    ((JunitState *) data)->depth--;
}

static JunitState junit_read(const char *xml)
{
    GMarkupParser parser = { junit_start, junit_end, NULL, NULL, NULL };
    JunitState s = { 0 };
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &s, NULL);
    g_autoptr(GError) error = NULL;
    /* GMarkup does not read the XML declaration: skip it. */
    const char *body = strstr(xml, "?>");
    CU_ASSERT_PTR_NOT_NULL_FATAL(body);
    gboolean ok = g_markup_parse_context_parse(ctx, body + 2, -1, &error) &&
                  g_markup_parse_context_end_parse(ctx, &error);
    g_markup_parse_context_free(ctx);
    if (!ok)
        fprintf(stderr, "%s\n", error->message);
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_FALSE(s.bad);
    return s;
}

/* A check not passed is a <failure>, or an <error> when the submission
 * could not be graded as submitted (its checks never ran); the counts the
 * testsuites declare are those of the elements. */
static void test_format_junit(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    g_autofree char *xml = ms_grade_format_class(rs, MS_GRADE_FMT_JUNIT, "en");
    JunitState s = junit_read(xml);
    CU_ASSERT_EQUAL(s.suites, rs->len);
    guint cases = 0, failures = 0, errors = 0;
    for (guint i = 0; i < rs->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(rs, i);
        cases += r->tests->len;
        for (guint k = 0; k < r->tests->len; k++) {
            gboolean passed = ((MsGradeTest *) g_ptr_array_index(r->tests, k))->status ==
                              MS_GRADE_PASSED;
            if (!passed && r->error != NULL)
                errors++;
            else if (!passed)
                failures++;
        }
    }
    CU_ASSERT_TRUE(errors > 0 && failures > 0);
    CU_ASSERT_EQUAL(s.cases, cases);
    CU_ASSERT_EQUAL(s.declared_tests, cases);
    CU_ASSERT_EQUAL(s.failures, failures);
    CU_ASSERT_EQUAL(s.declared_failures, failures);
    CU_ASSERT_EQUAL(s.errors, errors);
    CU_ASSERT_EQUAL(s.declared_errors, errors);
}

/* Gives a sample class the bytes a submission may bring: control
 * characters and a byte that is not UTF-8 in its id (a file name) and in
 * a check's output (what a program printed). */
static void add_control_bytes(GPtrArray *rs)
{
    MsGradeResult *r = g_ptr_array_index(rs, 0);
    g_free(r->student);
    r->student = g_strdup("eve\x1b[2J\xff # TODO\\\n");
    MsGradeTest *t = g_ptr_array_index(r->tests, 0);
    char *out = g_strconcat(t->output, "\nok\r== fake: 10 of 10 points\x1b[0m\x01\x7f\xc2\x9b"
                            "\xef\xbf\xbe\tend", NULL);
    g_free(t->output);
    t->output = out;
}

/* Whether text is made of XML 1.0 characters only (2.2 Char), none of
 * them written as a character reference. */
static gboolean xml_chars_only(const char *text)
{
    if (!g_utf8_validate(text, -1, NULL) || strstr(text, "&#") != NULL)
        return FALSE;
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (!(c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
              (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000))
            return FALSE;
    }
    return TRUE;
}

/* XML 1.0 forbids the C0 controls but TAB, CR and LF, even as &#x1b;: they
 * are written as text, \x1B, as the replayed dialogue writes them. */
static void test_format_junit_controls(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    add_control_bytes(rs);
    g_autofree char *xml = ms_grade_format_class(rs, MS_GRADE_FMT_JUNIT, "en");
    CU_ASSERT_TRUE(xml_chars_only(xml));
    JunitState s = junit_read(xml);
    CU_ASSERT_EQUAL(s.suites, rs->len);
    ASSERT_CONTAINS(xml, "<testsuite name=\"eve\\x1B[2J\\xFF # TODO\\&lt;LF&gt;\"");
    ASSERT_CONTAINS(xml, "ok&lt;CR&gt;== fake: 10 of 10 points\\x1B[0m\\x01\\x7F\\u009B"
                         "\\uFFFE\tend</");
}

/* Whether text holds no control character but LF and TAB. */
static gboolean no_controls(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if ((guchar) *p < 0x20 && *p != '\n' && *p != '\t')
            return FALSE;
        if ((guchar) *p == 0x7f)
            return FALSE;
    }
    return TRUE;
}

/* Whether a TAP description has a directive: a '#' not escaped as \#. */
static gboolean tap_has_directive(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '#')
            return TRUE;
    }
    return FALSE;
}

/* TAP version 13: the version line, the plan 1..N, then N test points
 * "ok|not ok <n> - ...", numbered in order, no directive in any (a '#' in
 * a name is \#), each with a YAML block; no control character but LF
 * anywhere.  Returns how many are "not ok". */
static guint tap_read(const char *tap)
{
    CU_ASSERT_TRUE(no_controls(tap));
    g_auto(GStrv) lines = g_strsplit(tap, "\n", -1);
    MS_ASSERT_STR(lines[0], "TAP version 13");
    guint plan = 0;
    CU_ASSERT_EQUAL(sscanf(lines[1], "1..%u", &plan), 1);
    guint n = 0, not_ok = 0;
    gboolean in_yaml = FALSE;
    for (guint i = 2; lines[i] != NULL; i++) {
        const char *l = lines[i];
        if (in_yaml) {
            if (strcmp(l, "  ...") == 0)
                in_yaml = FALSE;
            else
                CU_ASSERT_TRUE(g_str_has_prefix(l, "  "));
            continue;
        }
        if (strcmp(l, "  ---") == 0) {
            in_yaml = TRUE;
            continue;
        }
        if (*l == '\0')
            continue;
        guint num = 0;
        gboolean bad = g_str_has_prefix(l, "not ok ");
        const char *rest = bad ? l + 7 : g_str_has_prefix(l, "ok ") ? l + 3 : NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(rest);
        CU_ASSERT_EQUAL(sscanf(rest, "%u - ", &num), 1);
        CU_ASSERT_EQUAL(num, ++n);
        CU_ASSERT_FALSE(tap_has_directive(rest));
        not_ok += bad;
    }
    CU_ASSERT_FALSE(in_yaml);
    CU_ASSERT_EQUAL(n, plan);
    return not_ok;
}

static void test_format_tap(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    g_autofree char *tap = ms_grade_format_class(rs, MS_GRADE_FMT_TAP, "en");
    guint total = 0;
    for (guint i = 0; i < rs->len; i++)
        total += ((MsGradeResult *) g_ptr_array_index(rs, i))->tests->len;
    guint not_ok = tap_read(tap);
    CU_ASSERT_TRUE(not_ok > 0 && not_ok < total);
}

/* A student id "x # TODO" made every "not ok" of that student a TODO,
 * which a TAP harness (prove) counts as passing; a control character or
 * an LF in it broke the test point in two.  The description escapes '#'
 * and '\\' (TAP 14) and writes control characters as text; so does the
 * YAML block. */
static void test_format_tap_controls(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    add_control_bytes(rs);
    g_autofree char *tap = ms_grade_format_class(rs, MS_GRADE_FMT_TAP, "en");
    tap_read(tap);
    ASSERT_CONTAINS(tap, " - eve\\\\x1B[2J\\\\xFF \\# TODO\\\\<LF> greeting: ");
    ASSERT_CONTAINS(tap, "\n    ok<CR>== fake: 10 of 10 points\\x1B[0m\\x01\\x7F\\u009B"
                         "\\uFFFE\tend\n");
}

/* The text report is read on a terminal: a CR or an ESC from a program's
 * output or a file name would rewrite what the grader sees.  They are
 * written as the replayed dialogue writes them; an LF in the id does not
 * start a line. */
static void test_format_text_controls(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    add_control_bytes(rs);
    g_autofree char *text = ms_grade_format_class(rs, MS_GRADE_FMT_TEXT, "en");
    CU_ASSERT_TRUE(no_controls(text));
    CU_ASSERT_TRUE(g_utf8_validate(text, -1, NULL));
    CU_ASSERT_TRUE(g_str_has_prefix(text, "== eve\\x1B[2J\\xFF # TODO\\<LF>: 10 of 10 "));
    ASSERT_CONTAINS(text, "\n          ok<CR>== fake: 10 of 10 points\\x1B[0m\\x01\\x7F"
                          "\\u009B\\uFFFE\tend\n");
    g_autofree char *one = ms_grade_format_one(g_ptr_array_index(rs, 0), MS_GRADE_FMT_TEXT, "en");
    ASSERT_CONTAINS(text, one);
}

/* Every bidi control (Unicode's Bidi_Control), zero-width character and
 * other format character that draws nothing (soft hyphen, U+180E, the
 * invisible operators, tag characters), in code point order, and how the
 * reports for people name them. */
#define INVISIBLE                                                                          \
    "\xC2\xAD" "\xD8\x9C" "\xE1\xA0\x8E"                                                  \
    "\xE2\x80\x8B" "\xE2\x80\x8C" "\xE2\x80\x8D" "\xE2\x80\x8E" "\xE2\x80\x8F"          \
    "\xE2\x80\xAA" "\xE2\x80\xAB" "\xE2\x80\xAC" "\xE2\x80\xAD" "\xE2\x80\xAE"          \
    "\xE2\x81\xA0" "\xE2\x81\xA1" "\xE2\x81\xA4"                                         \
    "\xE2\x81\xA6" "\xE2\x81\xA7" "\xE2\x81\xA8" "\xE2\x81\xA9"                          \
    "\xEF\xBB\xBF" "\xF3\xA0\x80\x81" "\xF3\xA0\x81\xBF"
#define INVISIBLE_NAMED                                                                    \
    "<U+00AD><U+061C><U+180E>"                                                             \
    "<U+200B><U+200C><U+200D><U+200E><U+200F><U+202A><U+202B><U+202C><U+202D>"            \
    "<U+202E><U+2060><U+2061><U+2064><U+2066><U+2067><U+2068><U+2069><U+FEFF>"             \
    "<U+E0001><U+E007F>"

/* Whether text holds none of INVISIBLE's characters. */
static gboolean none_invisible(const char *text)
{
    static const char *const each[] = {
        "\xC2\xAD",     "\xD8\x9C",     "\xE1\xA0\x8E",     "\xE2\x80\x8B", "\xE2\x80\x8C",
        "\xE2\x80\x8D", "\xE2\x80\x8E", "\xE2\x80\x8F",     "\xE2\x80\xAA", "\xE2\x80\xAB",
        "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",     "\xE2\x81\xA0", "\xE2\x81\xA1",
        "\xE2\x81\xA4", "\xE2\x81\xA6", "\xE2\x81\xA7",     "\xE2\x81\xA8", "\xE2\x81\xA9",
        "\xEF\xBB\xBF", "\xF3\xA0\x80\x81", "\xF3\xA0\x81\xBF",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(each); i++) {
        if (strstr(text, each[i]) != NULL) {
            fprintf(stderr, "character %zu of INVISIBLE left as it is\n", i);
            return FALSE;
        }
    }
    return TRUE;
}

/* A right-to-left override from a program's output or a file name would
 * show the grader "liaf" where "fail" was written and reorder the rest of
 * the line; an isolate or a zero-width space hides in a word; none of them
 * shows itself.  The text, JUnit and TAP reports name each (<U+202E>); the
 * JSON formats keep the text as it was, and stay valid JSON. */
static void test_format_invisible(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    MsGradeResult *r = g_ptr_array_index(rs, 0);
    g_free(r->student);
    r->student = g_strdup("eve" INVISIBLE);
    MsGradeTest *t = g_ptr_array_index(r->tests, 0);
    char *out = g_strconcat(t->output, "\nprinted: " INVISIBLE "end", NULL);
    g_free(t->output);
    t->output = out;
    char *tr = g_strconcat(r->transcript, "C: HELO " INVISIBLE "\\r\\n\n", NULL);
    g_free(r->transcript);
    r->transcript = tr;

    g_autofree char *text = ms_grade_format_class(rs, MS_GRADE_FMT_TEXT, "en");
    CU_ASSERT_TRUE(none_invisible(text));
    CU_ASSERT_TRUE(g_str_has_prefix(text, "== eve" INVISIBLE_NAMED ": 10 of 10 "));
    ASSERT_CONTAINS(text, "\n          printed: " INVISIBLE_NAMED "end\n");
    ASSERT_CONTAINS(text, "\n   C: HELO " INVISIBLE_NAMED "\\r\\n\n");
    g_autofree char *xml = ms_grade_format_class(rs, MS_GRADE_FMT_JUNIT, "en");
    CU_ASSERT_TRUE(none_invisible(xml));
    ASSERT_CONTAINS(xml, "<testsuite name=\"eve" "&lt;U+00AD&gt;&lt;U+061C&gt;");
    g_autofree char *tap = ms_grade_format_class(rs, MS_GRADE_FMT_TAP, "en");
    CU_ASSERT_TRUE(none_invisible(tap));
    ASSERT_CONTAINS(tap, "    printed: " INVISIBLE_NAMED "end\n");

    g_autofree char *gs = ms_grade_format_one(r, MS_GRADE_FMT_GRADESCOPE, "en");
    g_autoptr(JsonNode) root = parse_json(gs);
    CU_ASSERT_TRUE_FATAL(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
    JsonArray *tests = json_object_get_array_member(json_node_get_object(root), "tests");
    CU_ASSERT_PTR_NOT_NULL_FATAL(tests);
    const char *first = json_object_get_string_member(json_array_get_object_element(tests, 0),
                                                      "output");
    ASSERT_CONTAINS(first, "printed: " INVISIBLE "end");
    g_autofree char *res = ms_grade_format_class(rs, MS_GRADE_FMT_RESULTS, "en");
    g_autoptr(JsonNode) back = parse_json(res);
    CU_ASSERT_PTR_NOT_NULL(back);
}

/* RFC 4180 CSV: a header, then a record per student, each with as many
 * fields as the header; quoted fields, CRLF records. */
static GPtrArray *csv_record(const char **p)
{
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
    for (;;) {
        GString *f = g_string_new(NULL);
        if (**p == '"') {
            (*p)++;
            for (;;) {
                if (**p == '\0')
                    break;
                if (**p == '"' && (*p)[1] == '"') {
                    g_string_append_c(f, '"');
                    *p += 2;
                } else if (**p == '"') {
                    (*p)++;
                    break;
                } else {
                    g_string_append_c(f, *(*p)++);
                }
            }
        } else {
            while (**p != ',' && **p != '\r' && **p != '\0')
                g_string_append_c(f, *(*p)++);
        }
        g_ptr_array_add(fields, g_string_free(f, FALSE));
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == '\r' && (*p)[1] == '\n')
            *p += 2;
        return fields;
    }
}

static void test_format_csv(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    g_autofree char *csv = ms_grade_format_class(rs, MS_GRADE_FMT_CSV, "en");
    const char *p = csv;
    g_autoptr(GPtrArray) head = csv_record(&p);
    CU_ASSERT_EQUAL(head->len, 3 + 6 + 1);
    MS_ASSERT_STR(head->pdata[0], "student");
    MS_ASSERT_STR(head->pdata[1], "score");
    guint rows = 0;
    while (*p != '\0') {
        g_autoptr(GPtrArray) rec = csv_record(&p);
        CU_ASSERT_EQUAL(rec->len, head->len);
        const MsGradeResult *r = g_ptr_array_index(rs, rows);
        MS_ASSERT_STR(rec->pdata[0], r->student);
        CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(rec->pdata[1], NULL), r->score, 0.005);
        rows++;
    }
    CU_ASSERT_EQUAL(rows, rs->len);
}

/* The results format reads back to the same results. */
static void test_format_results_roundtrip(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    g_autofree char *a = ms_grade_format_class(rs, MS_GRADE_FMT_RESULTS, "en");
    g_autoptr(GPtrArray) back = g_ptr_array_new_with_free_func(
        (GDestroyNotify) ms_grade_result_free);
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE_FATAL(ms_grade_results_read(a, strlen(a), "r", back, &error));
    g_autofree char *b = ms_grade_format_class(back, MS_GRADE_FMT_RESULTS, "en");
    MS_ASSERT_STR(a, b);
    g_autofree char *ta = ms_grade_format_class(rs, MS_GRADE_FMT_TEXT, "en");
    g_autofree char *tb = ms_grade_format_class(back, MS_GRADE_FMT_TEXT, "en");
    MS_ASSERT_STR(ta, tb);
    /* Not a results file: a clear error. */
    g_autoptr(GPtrArray) none = g_ptr_array_new();
    g_clear_error(&error);
    CU_ASSERT_FALSE(ms_grade_results_read("{\"score\": 1}", 12, "x.json", none, &error));
    CU_ASSERT_PTR_NOT_NULL(error != NULL ? strstr(error->message, "x.json: not a results file")
                                         : NULL);
}

static void test_class_summary(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(GPtrArray) rs = sample_class(ex, "en");
    g_autofree char *s = ms_grade_class_summary(rs, "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "Class summary of smtp-send: 4 submissions"));
    /* Scores 10, 9, 0, 0: mean 4.75, median 4.5. */
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "mean 4.75, median 4.5, lowest 0, highest 10"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "1 submission could not be graded"));
    /* quit is failed by no-quit, bare-lf and broken: three of four. */
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "quit (Ends the session with QUIT): not passed by 3 of 4"));
}

/* ---- The command line ------------------------------------------------------------ */

static int run_cli(const char *const *args, char **out, char **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, "build/san/mailsim");
    for (gsize i = 0; args[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer) args[i]);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    g_autoptr(GError) error = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error);
    CU_ASSERT_TRUE_FATAL(ok);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Writes results as a results file in dir (transfer full: its path). */
static char *write_results(const char *dir, const char *name, const GPtrArray *rs)
{
    g_autofree char *text = ms_grade_format_class(rs, MS_GRADE_FMT_RESULTS, "en");
    char *path = g_build_filename(dir, name, NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* What merging these files says: NULL when it worked (the class freed). */
static char *merge_error(const char *a, const char *b)
{
    const char *files[] = { a, b };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rs = ms_grade_results_merge(files, 2, &error);
    CU_ASSERT_TRUE((rs == NULL) == (error != NULL));
    return error != NULL ? g_strdup(error->message) : NULL;
}

/* --merge takes parts of one class only: the same exercise with the same
 * checks, each student in one part; anything else names the file and what
 * was expected, and the command exits 1 with nothing on standard output. */
static void test_merge_one_class(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-merge-XXXXXX", NULL);
    g_autoptr(MsExercise) send = load_shipped("smtp-send");
    g_autoptr(GPtrArray) class = sample_class(send, "en");
    g_autoptr(GPtrArray) part1 = g_ptr_array_new();
    g_autoptr(GPtrArray) part2 = g_ptr_array_new();
    for (guint i = 0; i < class->len; i++)
        g_ptr_array_add(i % 2 == 0 ? part1 : part2, class->pdata[i]);
    g_autofree char *p1 = write_results(dir, "part1.json", part1);
    g_autofree char *p2 = write_results(dir, "part2.json", part2);
    g_autoptr(MsExercise) delay = load_shipped("delay");
    g_autoptr(GPtrArray) other =
        g_ptr_array_new_with_free_func((GDestroyNotify) ms_grade_result_free);
    MsGradeOptions o = { .lang = "en" };
    g_ptr_array_add(other, ms_grade_submission(delay, "tests/data/grade/delay/model.txt", &o));
    g_autofree char *pd = write_results(dir, "delay.json", other);
    /* The same exercise with another rubric: one check less. */
    g_autoptr(GPtrArray) changed =
        g_ptr_array_new_with_free_func((GDestroyNotify) ms_grade_result_free);
    g_ptr_array_add(changed, ms_grade_submission(send, "tests/data/grade/smtp-send/lenient.txt",
                                                 &o));
    MsGradeResult *lenient = g_ptr_array_index(changed, 0);
    g_ptr_array_remove_index(lenient->tests, lenient->tests->len - 1);
    g_autofree char *pc = write_results(dir, "changed.json", changed);

    /* Two parts of one class: every student once, in student order. */
    const char *both[] = { p2, p1 };
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) merged = ms_grade_results_merge(both, 2, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(merged);
    CU_ASSERT_EQUAL(merged->len, class->len);
    for (guint i = 1; i < merged->len; i++)
        CU_ASSERT_TRUE(strcmp(((MsGradeResult *) merged->pdata[i - 1])->student,
                              ((MsGradeResult *) merged->pdata[i])->student) < 0);

    g_autofree char *e1 = merge_error(pd, p1);
    ASSERT_CONTAINS(e1, "part1.json: student 'model' was graded on exercise 'smtp-send'; "
                           "expected 'delay', as in ");
    ASSERT_CONTAINS(e1, "delay.json (parts of different exercises cannot be merged)");
    g_autofree char *e2 = merge_error(p1, p1);
    ASSERT_CONTAINS(e2, "part1.json: student 'model' was graded in ");
    ASSERT_CONTAINS(e2, "part1.json already; expected each student in one part only");
    g_autofree char *e3 = merge_error(p1, pc);
    ASSERT_CONTAINS(e3, "changed.json: student 'lenient' was graded with the checks "
                           "greeting, envelope,");
    ASSERT_CONTAINS(e3, "(was the exercise changed between the parts?)");
    g_autoptr(GPtrArray) dup = g_ptr_array_new();
    g_ptr_array_add(dup, class->pdata[0]);
    g_ptr_array_add(dup, class->pdata[0]);
    g_autofree char *pdup = write_results(dir, "dup.json", dup);
    g_autofree char *e5 = merge_error(pdup, p2);
    ASSERT_CONTAINS(e5, "dup.json: student 'model' is in it twice; expected each student once");
    g_autofree char *missing = g_build_filename(dir, "missing.json", NULL);
    g_autofree char *e4 = merge_error(p1, missing);
    ASSERT_CONTAINS(e4, "missing.json");

    /* The command line: exit 1, the message, no report. */
    const char *cli[] = { "grade", "--merge", "--format", "csv", pd, p1, NULL };
    g_autofree char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_cli(cli, &out, &err), 1);
    ASSERT_CONTAINS(err, "parts of different exercises cannot be merged");
    MS_ASSERT_STR(out, "");
    const char *twice[] = { "grade", "--merge", p1, p2, p1, NULL };
    g_autofree char *out2 = NULL, *err2 = NULL;
    CU_ASSERT_EQUAL(run_cli(twice, &out2, &err2), 1);
    ASSERT_CONTAINS(err2, "was graded in ");
    MS_ASSERT_STR(out2, "");
    ms_test_remove_tree(dir);
}

/* Copies a submission of the test data to dir/name (transfer full: the
 * copy's path); a name ending in '/' is a folder holding dialogue.txt. */
static char *copy_submission(const char *dir, const char *name, const char *from)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(from, &text, &len, NULL));
    char *path = g_build_filename(dir, name, NULL);
    g_autofree char *file = g_str_has_suffix(name, "/")
                                ? g_build_filename(path, "dialogue.txt", NULL)
                                : g_strdup(path);
    g_autofree char *parent = g_path_get_dirname(file);
    CU_ASSERT_EQUAL(g_mkdir_with_parents(parent, 0755), 0);
    CU_ASSERT_TRUE(g_file_set_contents(file, text, (gssize) len, NULL));
    return path;
}

/* Two submissions of one student id (alice.txt and alice/) are a usage
 * error before anything is graded, in every format: the ones keyed by the
 * id would otherwise keep one of them without a word.  With --results-dir
 * two ids must not share a folder either. */
static void test_cli_one_per_student(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-dup-XXXXXX", NULL);
    const char *model = "tests/data/grade/smtp-send/model.txt";
    g_autofree char *file = copy_submission(dir, "alice.txt", model);
    g_autofree char *folder = copy_submission(dir, "alice/", model);
    g_autofree char *bob = copy_submission(dir, "bob.txt", model);
    g_autofree char *results = g_build_filename(dir, "results", NULL);
    for (int f = 0; f <= MS_GRADE_N_FORMATS; f++) {
        /* Every format, then --results-dir. */
        gboolean to_dir = f == MS_GRADE_N_FORMATS;
        const char *format = to_dir ? "text" : ms_grade_format_name((MsGradeFormat) f);
        const char *args[] = { "grade", "--format", format,
                               "scenarios/exercises/smtp-send.exercise", bob, file, folder,
                               to_dir ? "--results-dir" : NULL, results, NULL };
        g_autofree char *out = NULL, *err = NULL;
        CU_ASSERT_EQUAL(run_cli(args, &out, &err), 2);
        g_autofree char *want = g_strdup_printf("%s and %s are both student 'alice'; expected "
                                                "one submission per student (rename one of "
                                                "them, or grade each alone with --student ID)",
                                                file, folder);
        ASSERT_CONTAINS(err, want);
        MS_ASSERT_STR(out, "");
    }
    CU_ASSERT_FALSE(g_file_test(results, G_FILE_TEST_EXISTS));

    /* "..txt" is student "." and "_.txt" student "_": both the folder "_". */
    g_autofree char *dot = copy_submission(dir, "..txt", model);
    g_autofree char *under = copy_submission(dir, "_.txt", model);
    const char *same_dir[] = { "grade", "--results-dir", results,
                               "scenarios/exercises/smtp-send.exercise", dot, under, NULL };
    g_autofree char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_cli(same_dir, &out, &err), 2);
    g_autofree char *want = g_strdup_printf("%s and %s would both be written to %s/_/"
                                            "results.json; expected a folder per student",
                                            dot, under, results);
    ASSERT_CONTAINS(err, want);
    CU_ASSERT_FALSE(g_file_test(results, G_FILE_TEST_EXISTS));
    ms_test_remove_tree(dir);
}

/* An id given with --student becomes one folder under --results-dir, by
 * the rule ids from file names follow: '/' is '_', and "." or ".." is "_".
 * The id itself (the student's values, the report) is as given. */
static void test_cli_student_folder(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-student-XXXXXX", NULL);
    g_autofree char *results = g_build_filename(dir, "results", NULL);
    static const struct {
        const char *id, *folder;
    } cases[] = {
        { "../escaped", ".._escaped" }, { "a/b", "a_b" }, { "..", "_" },
        { "/abs", "_abs" },             { "bob@example.org", "bob@example.org" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *args[] = { "grade", "--format", "gradescope", "--results-dir", results,
                               "--student", cases[i].id, "scenarios/exercises/smtp-send.exercise",
                               "tests/data/grade/smtp-send/model.txt", NULL };
        g_autofree char *out = NULL, *err = NULL;
        CU_ASSERT_EQUAL(run_cli(args, &out, &err), 0);
        g_autofree char *want = g_build_filename(results, cases[i].folder, "results.json", NULL);
        if (!g_file_test(want, G_FILE_TEST_IS_REGULAR))
            fprintf(stderr, "--student %s: no %s\n", cases[i].id, want);
        CU_ASSERT_TRUE(g_file_test(want, G_FILE_TEST_IS_REGULAR));
    }
    /* Nothing outside the folder, nothing nested in it. */
    g_autofree char *escaped = g_build_filename(dir, "escaped", NULL);
    CU_ASSERT_FALSE(g_file_test(escaped, G_FILE_TEST_EXISTS));
    g_autofree char *nested = g_build_filename(results, "a", NULL);
    CU_ASSERT_FALSE(g_file_test(nested, G_FILE_TEST_EXISTS));
    g_autofree char *abs = g_build_filename(results, "abs", NULL);
    CU_ASSERT_FALSE(g_file_test(abs, G_FILE_TEST_EXISTS));
    ms_test_remove_tree(dir);
}

/* Exit 0 whatever the scores, 1 for a broken exercise, 2 for usage; the
 * results folder gets one Gradescope results.json and one feedback.txt per
 * student. */
static void test_cli(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-grade-XXXXXX", NULL);
    const char *grade[] = { "grade", "-j", "2", "--results-dir", dir,
                            "scenarios/exercises/smtp-send.exercise",
                            "tests/data/grade/smtp-send/no-quit.txt",
                            "tests/data/grade/smtp-send/bare-lf.txt", NULL };
    g_autofree char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_cli(grade, &out, &err), 0);
    /* Sorted by student id, whatever the order given. */
    const char *a = strstr(out, "== bare-lf: 0 of 10 points");
    const char *b = strstr(out, "== no-quit: 9 of 10 points");
    CU_ASSERT_TRUE(a != NULL && b != NULL && a < b);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Class summary of smtp-send: 2 submissions"));
    for (int i = 0; i < 2; i++) {
        g_autofree char *f = g_build_filename(dir, i == 0 ? "bare-lf" : "no-quit",
                                              "results.json", NULL);
        g_autofree char *text = NULL;
        CU_ASSERT_TRUE(g_file_get_contents(f, &text, NULL, NULL));
        g_autoptr(JsonNode) root = text != NULL ? parse_json(text) : NULL;
        CU_ASSERT_TRUE(root != NULL && JSON_NODE_HOLDS_OBJECT(root));
        g_remove(f);
        g_autofree char *sub = g_path_get_dirname(f);
        /* Beside it, the student's own text report, what the class report
         * printed for them. */
        g_autofree char *fb = g_build_filename(sub, "feedback.txt", NULL);
        g_autofree char *report = NULL;
        CU_ASSERT_TRUE_FATAL(g_file_get_contents(fb, &report, NULL, NULL));
        CU_ASSERT_TRUE(g_str_has_prefix(report, i == 0 ? "== bare-lf: 0 of 10 points"
                                                       : "== no-quit: 9 of 10 points"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, report));
        g_remove(fb);
        g_rmdir(sub);
    }
    g_rmdir(dir);

    /* A broken exercise: 1, with file:line:column. */
    g_autofree char *bad = g_build_filename(g_get_tmp_dir(), "mailsim-bad.exercise", NULL);
    g_file_set_contents(bad, "title en \"x\"\nsumbit dialogue\n", -1, NULL);
    const char *broken[] = { "grade", bad, "tests/data/grade/smtp-send/model.txt", NULL };
    g_autofree char *out2 = NULL, *err2 = NULL;
    CU_ASSERT_EQUAL(run_cli(broken, &out2, &err2), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err2, "mailsim-bad.exercise:2:1: error: expected 'title', "
                                        "'submit'"));
    g_remove(bad);

    /* Usage errors: 2. */
    const char *usage[] = { "grade", "--shard", "3/2", "x", "y", NULL };
    g_autofree char *out3 = NULL, *err3 = NULL;
    CU_ASSERT_EQUAL(run_cli(usage, &out3, &err3), 2);

    /* exercise show, with a student's own values, in Chinese. */
    const char *show[] = { "exercise", "show", "--lang", "zh", "--student", "alice",
                           "scenarios/exercises/smtp-send.exercise", NULL };
    g_autofree char *out4 = NULL, *err4 = NULL;
    CU_ASSERT_EQUAL(run_cli(show, &out4, &err4), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out4, "你的数值："));
    CU_ASSERT_PTR_NOT_NULL(strstr(out4, "提交：一段对话（文件 dialogue.txt）"));
}

/* ---- Program submissions ---------------------------------------------------------- */

#define PROGRAM_SUBMIT "submit program to hamburger.edu port 25 file client.py\n"

static void test_program_format(void)
{
    const char *text = HEAD PROGRAM_SUBMIT SCEN CHECK;
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_parse(text, strlen(text), "t.exercise", &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    CU_ASSERT_EQUAL(ms_exercise_kind(ex), MS_GRADE_PROGRAM);
    MS_ASSERT_STR(ms_exercise_submission_file(ex), "client.py");
    const ErrorCase cases[] = {
        { HEAD "submit program port 25\n" SCEN CHECK, "needs 'to SERVER'" },
        { HEAD "submit program from alice-pc to hamburger.edu\n" SCEN CHECK,
          "needs 'to SERVER' (the server it talks to), and no 'from'" },
        { HEAD "submit program to hamburger.edu port 2525\n" SCEN CHECK, "not 2525" },
        { HEAD "submit program to hamburger.edu file client.rb\n" SCEN CHECK,
          "say how the program is run" },
        { HEAD "submit program to hamburger.edu run \"python3 '-\"\n" SCEN CHECK,
          "expected a command such as" },
        { HEAD "submit program to nowhere.org\n" SCEN CHECK, "no server 'nowhere.org'" },
        { HEAD "submit dialogue from alice-pc to hamburger.edu run \"sh -s\"\n" SCEN CHECK,
          "'run' is for program submissions only" },
    };
    expect_errors(cases, G_N_ELEMENTS(cases));
}

/* What a program prints reaches the text report as text: its CR cannot
 * send the cursor back over its own line to fake a score. */
static void test_program_output_controls(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    g_autofree char *dir = g_dir_make_tmp("mailsim-program-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "crinject.py", NULL);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(
        path, "import sys\nsys.stdout.write('ok\\r== fake: 10 of 10 points\\x1b[0m\\n')\n", -1,
        NULL));
    MsGradeOptions o = { .lang = "en", .time_limit = PROGRAM_TIME_LIMIT };
    g_autoptr(MsGradeResult) r = ms_grade_submission(ex, path, &o);
    g_autofree char *text = ms_grade_format_one(r, MS_GRADE_FMT_TEXT, "en");
    ASSERT_CONTAINS(text, "\n      | ok<CR>== fake: 10 of 10 points\\x1B[0m\n");
    CU_ASSERT_PTR_NULL(strchr(text, '\r'));
    CU_ASSERT_PTR_NULL(strchr(text, '\x1b'));
    ms_test_remove_tree(dir);
}

/* What happened to a program is said in every check it missed, in the
 * student's language, and its output is shown. */
static void test_program_feedback(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    MsGradeOptions o = { .lang = "zh", .time_limit = PROGRAM_TIME_LIMIT };
    g_autoptr(MsGradeResult) r =
        ms_grade_submission(ex, "tests/data/grade/smtp-client-program/never-connects.py", &o);
    CU_ASSERT_DOUBLE_EQUAL(r->score, 0, 1e-9);
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        CU_ASSERT_PTR_NOT_NULL(strstr(t->output, "从未连接"));
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->transcript);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "IndexError"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "程序以退出状态 1 结束"));

    /* A bare LF in the message text is found where it is. */
    MsGradeOptions en = { .lang = "en", .time_limit = PROGRAM_TIME_LIMIT };
    g_autoptr(MsGradeResult) b =
        ms_grade_submission(ex, "tests/data/grade/smtp-client-program/bare-lf.py", &en);
    const MsGradeTest *crlf = g_ptr_array_index(b->tests, b->tests->len - 1);
    MS_ASSERT_STR(crlf->id, "crlf");
    CU_ASSERT_PTR_NOT_NULL(strstr(crlf->output, "bare LF after DATA, in line 1 of the message "
                                                "text"));

    /* A flood is cut at the output limit, and the program stopped. */
    g_autoptr(MsGradeResult) f =
        ms_grade_submission(ex, "tests/data/grade/smtp-client-program/floods.py", &en);
    CU_ASSERT_PTR_NOT_NULL(strstr(f->transcript, "flooded: cut off after 1048576 bytes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(f->transcript, "the first 2048 of more than 1048576 bytes"));
    /* How far past the limit it got is the real clock's: the feedback,
     * which does not say, is the same for a second run. */
    g_autoptr(MsGradeResult) again =
        ms_grade_submission(ex, "tests/data/grade/smtp-client-program/floods.py", &en);
    MS_ASSERT_STR(again->transcript, f->transcript);
}

/* Mail a program hands to the exposed server for another domain of the
 * world is relayed there, with its simulated delays, before grading; a
 * shell program is handed to sh. */
static void test_program_relay(void)
{
    const char *text =
        HEAD "submit program to hamburger.edu port 25 file client.sh\n"
        "begin scenario\n"
        "server hamburger.edu domain hamburger.edu\n"
        "server crepes.fr domain crepes.fr\n"
        "agent alice-pc user alice@crepes.fr server crepes.fr\n"
        "link crepes.fr hamburger.edu latency 40ms\n"
        "link alice-pc crepes.fr latency 2ms\n"
        "end scenario\n"
        "check relayed points 1\n  title en \"R\"\n  title zh \"R\"\n"
        "  delivered alice@crepes.fr\n  rule quit\n"
        "  pass en \"y\"\n  pass zh \"是\"\n  fail en \"n\"\n  fail zh \"否\"\nend\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_parse(text, strlen(text), "t.exercise", &error);
    if (ex == NULL)
        fprintf(stderr, "%s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    /* Python writes the dialogue; sh is what runs it (argument 2 the port). */
    const char *program =
        "python3 -c '\n"
        "import socket, sys\n"
        "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)\n"
        "f = s.makefile(\"rb\")\n"
        "def say(line):\n"
        "    f.readline()\n"
        "    s.sendall(line.encode() + b\"\\r\\n\")\n"
        "for line in [\"HELO me\", \"MAIL FROM:<bob@hamburger.edu>\",\n"
        "             \"RCPT TO:<alice@crepes.fr>\", \"DATA\"]:\n"
        "    say(line)\n"
        "f.readline()\n"
        "s.sendall(b\"Subject: hi\\r\\n\\r\\nhello\\r\\n.\\r\\n\")\n"
        "say(\"QUIT\")\n"
        "f.readline()\n"
        "' \"$1\" \"$2\"\n";
    MsGradeOptions o = { .lang = "en", .time_limit = PROGRAM_TIME_LIMIT };
    g_autoptr(MsGradeResult) r = ms_grade_text(ex, "s", program, strlen(program), &o);
    if (r->score < 1) {
        g_autofree char *out = ms_grade_format_one(r, MS_GRADE_FMT_TEXT, "en");
        fprintf(stderr, "%s", out);
    }
    CU_ASSERT_DOUBLE_EQUAL(r->score, 1, 1e-9);
}

/* A program that leaves its process group (setsid) and lingers as a
 * daemon is stopped all the same: nothing it started outlives grading. */
static void test_program_daemon(void)
{
    const char *text = HEAD PROGRAM_SUBMIT SCEN CHECK;
    g_autoptr(MsExercise) ex = ms_exercise_parse(text, strlen(text), "t.exercise", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ex);
    const char *program = "import os, sys, time\n"
                          "r, w = os.pipe()\n"
                          "pid = os.fork()\n"
                          "if pid == 0:\n"
                          "    os.setsid()\n"
                          "    if os.fork() > 0:\n"
                          "        os._exit(0)\n"
                          "    print('daemon', os.getpid(), flush=True)\n"
                          "    os.write(w, b'.')\n"
                          "    time.sleep(1000)\n"
                          "    os._exit(0)\n"
                          "os.waitpid(pid, 0)\n"
                          "os.read(r, 1)\n";
    MsGradeOptions o = { .lang = "en", .time_limit = PROGRAM_TIME_LIMIT };
    g_autoptr(MsGradeResult) r = ms_grade_text(ex, "s", program, strlen(program), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->transcript);
    const char *d = strstr(r->transcript, "daemon ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    pid_t pid = (pid_t) g_ascii_strtoll(d + 7, NULL, 10);
    CU_ASSERT_TRUE(pid > 1);
    CU_ASSERT_EQUAL(kill(pid, 0), -1);
    CU_ASSERT_EQUAL(errno, ESRCH);
}

/* Many programs graded at once each get their own free ports: with -j 4,
 * eight copies of the model all reach full marks, and the output is the
 * same as one at a time. */
static void test_program_parallel(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-program-XXXXXX", NULL);
    g_autofree char *model =
        ms_test_read_file("scenarios/exercises/solutions/smtp-client-program.py", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(args, g_strdup("grade"));
    g_ptr_array_add(args, g_strdup("-j"));
    g_ptr_array_add(args, g_strdup("4"));
    g_ptr_array_add(args, g_strdup("--time-limit"));
    g_ptr_array_add(args, g_strdup_printf("%d", PROGRAM_TIME_LIMIT));
    g_ptr_array_add(args, g_strdup("scenarios/exercises/smtp-client-program.exercise"));
    for (int i = 1; i <= 8; i++) {
        g_autofree char *name = g_strdup_printf("student%d.py", i);
        char *path = g_build_filename(dir, name, NULL);
        CU_ASSERT_TRUE(g_file_set_contents(path, model, -1, NULL));
        g_ptr_array_add(args, path);
    }
    g_ptr_array_add(args, NULL);
    g_autofree char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_cli((const char *const *) args->pdata, &out, &err), 0);
    for (int i = 1; i <= 8; i++) {
        g_autofree char *want = g_strdup_printf("== student%d: 10 of 10 points", i);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    }
    if (strstr(out, "not passed") != NULL)
        fprintf(stderr, "%s\n%s", out, err);
    g_free(args->pdata[2]);
    args->pdata[2] = g_strdup("1");
    g_autofree char *out1 = NULL, *err1 = NULL;
    CU_ASSERT_EQUAL(run_cli((const char *const *) args->pdata, &out1, &err1), 0);
    MS_ASSERT_STR(out1, out);
    for (guint i = 6; i + 1 < args->len; i++)
        g_remove(args->pdata[i]);
    g_rmdir(dir);
}

/* ---- Chinese -------------------------------------------------------------------- */

/* Every text the grader marks N_("...") in sim/grade has a translation; a
 * plural (an N_() right after another, with only a comma between them:
 * ms_report_trn's two forms) is looked up with its singular. */
static void test_zh_catalogue(void)
{
    g_autoptr(GDir) d = g_dir_open("sim/grade", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    guint found = 0;
    /* ms_report_tr keeps untranslated msgids: they must outlive it. */
    g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
    for (const char *name = g_dir_read_name(d); name != NULL; name = g_dir_read_name(d)) {
        if (!g_str_has_suffix(name, ".c"))
            continue;
        g_autofree char *path = g_build_filename("sim/grade", name, NULL);
        g_autofree char *src = ms_test_read_file(path, NULL);
        const char *singular = NULL, *after = NULL; /* the last msgid, and where it ended */
        for (const char *p = strstr(src, "N_("); p != NULL; p = strstr(p + 1, "N_(")) {
            /* The literal, joined from adjacent pieces, escapes decoded. */
            const char *q = p + 3;
            GString *msgid = g_string_new(NULL);
            for (;;) {
                while (g_ascii_isspace(*q))
                    q++;
                if (*q != '"')
                    break;
                for (q++; *q != '"' && *q != '\0'; q++) {
                    if (*q == '\\') {
                        q++;
                        g_string_append_c(msgid, *q == 'n' ? '\n' : *q);
                    } else {
                        g_string_append_c(msgid, *q);
                    }
                }
                q++;
            }
            gboolean plural = singular != NULL && after != NULL;
            for (const char *c = after; plural && c < p; c++)
                plural = g_ascii_isspace(*c) || *c == ',';
            if (msgid->len > 0) {
                found++;
                const char *zh = plural ? ms_report_trn("zh", singular, msgid->str, 2)
                                        : ms_report_tr("zh", msgid->str);
                if (strcmp(zh, msgid->str) == 0)
                    fprintf(stderr, "%s: no zh_CN translation of \"%s\"\n", path, msgid->str);
                CU_ASSERT_STRING_NOT_EQUAL(zh, msgid->str);
                if (plural)
                    CU_ASSERT_STRING_NOT_EQUAL(zh, singular);
            }
            /* (the closing parenthesis of this N_) */
            after = *q == ')' ? q + 1 : NULL;
            singular = msgid->len > 0 && !plural ? msgid->str : NULL;
            g_ptr_array_add(keep, g_string_free(msgid, FALSE));
        }
    }
    CU_ASSERT_TRUE(found > 40);
    ms_report_untranslated_reset();
}

/* Graded in Chinese: the author's zh feedback, the grader's zh words. */
static void test_zh_feedback(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    ms_report_untranslated_reset();
    g_autoptr(GPtrArray) rs = sample_class(ex, "zh");
    g_autofree char *text = ms_grade_format_class(rs, MS_GRADE_FMT_TEXT, "zh");
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "以 QUIT 结束会话"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "全班小结"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "QUIT 的应答为 221"));
    g_autoptr(GPtrArray) missing = ms_report_untranslated();
    for (guint i = 0; i < missing->len; i++)
        fprintf(stderr, "untranslated: %s\n", (char *) missing->pdata[i]);
    CU_ASSERT_EQUAL(missing->len, 0);
}

static const MsTestCase format_cases[] = {
    MS_TEST(test_format_minimal),
    MS_TEST(test_format_errors),
    MS_TEST(test_format_duplicate_choices),
    MS_TEST(test_format_scenario_file),
    MS_TEST_END,
};

static const MsTestCase shipped_cases[] = {
    MS_TEST(test_shipped_models),
    MS_TEST(test_shipped_expected_scores),
    MS_TEST(test_variants),
    MS_TEST_END,
};

static const MsTestCase dialogue_cases[] = {
    MS_TEST(test_dialogue_bare_lf),
    MS_TEST(test_dialogue_after_quit),
    MS_TEST(test_dialogue_predictions),
    MS_TEST(test_answers_hint),
    MS_TEST_END,
};

static const MsTestCase batch_cases[] = {
    MS_TEST(test_hostile_batch),
    MS_TEST(test_limits_allow_normal),
    MS_TEST(test_student_id_not_utf8),
    MS_TEST(test_time_limit),
    MS_TEST_END,
};

static const MsTestCase output_cases[] = {
    MS_TEST(test_format_gradescope),
    MS_TEST(test_format_prairielearn),
    MS_TEST(test_format_junit),
    MS_TEST(test_format_junit_controls),
    MS_TEST(test_format_tap),
    MS_TEST(test_format_tap_controls),
    MS_TEST(test_format_text_controls),
    MS_TEST(test_format_invisible),
    MS_TEST(test_format_csv),
    MS_TEST(test_format_results_roundtrip),
    MS_TEST(test_class_summary),
    MS_TEST_END,
};

static const MsTestCase cli_cases[] = {
    MS_TEST(test_cli),
    MS_TEST(test_merge_one_class),
    MS_TEST(test_cli_one_per_student),
    MS_TEST(test_cli_student_folder),
    MS_TEST_END,
};

static const MsTestCase program_cases[] = {
    MS_TEST(test_program_format),
    MS_TEST(test_program_feedback),
    MS_TEST(test_program_output_controls),
    MS_TEST(test_program_relay),
    MS_TEST(test_program_daemon),
    MS_TEST(test_program_parallel),
    MS_TEST_END,
};

static const MsTestCase zh_cases[] = {
    MS_TEST(test_zh_catalogue),
    MS_TEST(test_zh_feedback),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("grade/exercise", format_cases);
    ms_test_add_suite("grade/shipped", shipped_cases);
    ms_test_add_suite("grade/dialogue", dialogue_cases);
    ms_test_add_suite("grade/batch", batch_cases);
    ms_test_add_suite("grade/formats", output_cases);
    ms_test_add_suite("grade/cli", cli_cases);
    ms_test_add_suite("grade/zh", zh_cases);
    ms_test_add_suite("grade/program", program_cases);
    return ms_test_run();
}
