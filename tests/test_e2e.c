/* test_e2e.c - whole runs: a shipped scenario through the world to its
 * transcript and trace, the CLI's exit statuses, and determinism.
 *
 * Golden files live in tests/golden/<scenario>/; they change only in a
 * commit that says why.  A mismatch leaves <golden>.actual for review.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "mailsim/report.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"
#include "testutil.h"

typedef struct {
    char *transcript;
    char *transcript_zh;
    char *summary;
    char *json;
    gsize json_len;
} RunOutput;

static void run_output_clear(RunOutput *out)
{
    g_free(out->transcript);
    g_free(out->transcript_zh);
    g_free(out->summary);
    g_free(out->json);
    memset(out, 0, sizeof *out);
}

static gboolean run_scenario(const char *path, guint64 seed, gboolean use_file_seed,
                             gboolean tcp, RunOutput *out)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MsScenario) sc = ms_scenario_parse_file(path, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    if (use_file_seed)
        seed = sc->seed;
    g_autoptr(MsWorld) world = ms_world_new(sc, seed, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(world);
    gboolean ok = ms_world_run(world, MS_TIME_NEVER, &error);
    if (!ok)
        fprintf(stderr, "\n  %s: %s\n", path, error->message);
    MsReportOptions options;
    ms_report_options_init(&options);
    options.scenario_name = sc->name;
    options.scenario_name_zh = sc->name_zh;
    options.scenario_file = path;
    options.seed = seed;
    options.tcp = tcp;
    out->transcript = ms_report_transcript(ms_world_trace(world), &options);
    out->summary = ms_report_summary(ms_world_trace(world), &options);
    out->json = ms_report_json(ms_world_trace(world), &options, &out->json_len);
    options.lang = "zh";
    out->transcript_zh = ms_report_transcript(ms_world_trace(world), &options);
    return ok;
}

static void check_goldens(const RunOutput *out, const char *dir, gboolean summary)
{
    g_autofree char *en = g_build_filename(dir, "transcript.txt", NULL);
    g_autofree char *zh = g_build_filename(dir, "transcript.zh.txt", NULL);
    CU_ASSERT_TRUE(ms_test_matches_golden(out->transcript, strlen(out->transcript), en));
    CU_ASSERT_TRUE(ms_test_matches_golden(out->transcript_zh, strlen(out->transcript_zh), zh));
    if (summary) {
        g_autofree char *sum = g_build_filename(dir, "summary.txt", NULL);
        CU_ASSERT_TRUE(ms_test_matches_golden(out->summary, strlen(out->summary), sum));
    }
}

/* The acceptance scenario: Alice's agent submits to crepes.fr, crepes.fr
 * relays to hamburger.edu, Bob fetches with POP3. */
static void smtp_basic_golden(void)
{
    RunOutput out = { 0 };
    CU_ASSERT_TRUE(run_scenario("scenarios/smtp-basic.mss", 0, TRUE, FALSE, &out));
    check_goldens(&out, "tests/golden/smtp-basic", TRUE);
    run_output_clear(&out);
}

/* The textbook's POP3 session: authorization, transaction, update. */
static void pop3_basic_golden(void)
{
    RunOutput out = { 0 };
    CU_ASSERT_TRUE(run_scenario("scenarios/pop3-basic.mss", 0, TRUE, FALSE, &out));
    check_goldens(&out, "tests/golden/pop3-basic", FALSE);
    run_output_clear(&out);
}

/* The first line of text holding both a and b (NULL if none). */
static const char *line_with(const char *text, const char *a, const char *b)
{
    for (const char *p = strstr(text, a); p != NULL; p = strstr(p + 1, a)) {
        const char *start = p;
        while (start > text && start[-1] != '\n')
            start--;
        const char *end = strchr(p, '\n');
        const char *hit = strstr(start, b);
        if (hit != NULL && (end == NULL || hit < end))
            return start;
    }
    return NULL;
}

static void smtp_basic_tells_the_story(void)
{
    RunOutput out = { 0 };
    CU_ASSERT_TRUE(run_scenario("scenarios/smtp-basic.mss", 0, TRUE, FALSE, &out));
    const char *t = out.transcript;
    /* Step 2: submission from Alice's agent to her server. */
    const char *submit = line_with(t, "[1] alice-pc:49152 \u2192 crepes.fr:25 ", "SYN: alice-pc opens");
    /* Step 3: crepes.fr opens a connection to hamburger.edu's port 25. */
    const char *relay = line_with(t, "[2] crepes.fr:49152 \u2192 hamburger.edu:25 ", "SYN: crepes.fr opens");
    /* Step 5: the message lands in Bob's mailbox. */
    const char *mailbox = strstr(t, "placed in bob@hamburger.edu's mailbox");
    /* Step 6: Bob's agent retrieves it with POP3. */
    const char *pop3 = line_with(t, "bob-pc:49152 \u2192 hamburger.edu:110 ", "SYN: bob-pc opens");
    CU_ASSERT_PTR_NOT_NULL(submit);
    CU_ASSERT_PTR_NOT_NULL(relay);
    CU_ASSERT_PTR_NOT_NULL(mailbox);
    CU_ASSERT_PTR_NOT_NULL(pop3);
    if (submit != NULL && relay != NULL && mailbox != NULL && pop3 != NULL) {
        CU_ASSERT_TRUE(submit < relay);
        CU_ASSERT_TRUE(relay < mailbox);
        CU_ASSERT_TRUE(mailbox < pop3);
    }
    /* The textbook's dialogue lines, from both sides. */
    CU_ASSERT_TRUE(strstr(t, "C: HELO crepes.fr") != NULL || strstr(t, "C: EHLO crepes.fr") != NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: MAIL FROM:<alice@crepes.fr>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: RCPT TO:<bob@hamburger.edu>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "S: 354"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: Do you like ketchup?"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: How about pickles?"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: ."));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "S: 221"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: RETR 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "C: DELE 1"));
    run_output_clear(&out);
}

static void same_seed_same_bytes(void)
{
    RunOutput a = { 0 }, b = { 0 };
    CU_ASSERT_TRUE(run_scenario("scenarios/smtp-basic.mss", 7, FALSE, TRUE, &a));
    CU_ASSERT_TRUE(run_scenario("scenarios/smtp-basic.mss", 7, FALSE, TRUE, &b));
    CU_ASSERT_STRING_EQUAL(a.transcript, b.transcript);
    CU_ASSERT_EQUAL(a.json_len, b.json_len);
    CU_ASSERT_TRUE(a.json_len == b.json_len && memcmp(a.json, b.json, a.json_len) == 0);
    run_output_clear(&a);
    run_output_clear(&b);
}

/* Runs the sanitizer-built CLI; returns its exit status. */
static int run_cli(const char *const *args, char **out, char **err)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, "build/san/mailsim");
    for (const char *const *a = args; *a != NULL; a++)
        g_ptr_array_add(argv, (gpointer) *a);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    g_autoptr(GError) error = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error);
    CU_ASSERT_TRUE_FATAL(ok);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return -1;
}

static void cli_exit_statuses(void)
{
    char *out = NULL, *err = NULL;
    const char *help[] = { "--help", NULL };
    CU_ASSERT_EQUAL(run_cli(help, &out, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Usage: mailsim"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *version[] = { "--version", NULL };
    CU_ASSERT_EQUAL(run_cli(version, &out, &err), 0);
    CU_ASSERT_TRUE(g_str_has_prefix(out, "mailsim "));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *unknown[] = { "frobnicate", NULL };
    CU_ASSERT_EQUAL(run_cli(unknown, &out, &err), 2);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *no_file[] = { "run", NULL };
    CU_ASSERT_EQUAL(run_cli(no_file, &out, &err), 2);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *bad_seed[] = { "run", "--seed", "minus-one", "scenarios/smtp-basic.mss", NULL };
    CU_ASSERT_EQUAL(run_cli(bad_seed, &out, &err), 2);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *check_ok[] = { "check", "scenarios/smtp-basic.mss", NULL };
    CU_ASSERT_EQUAL(run_cli(check_ok, &out, &err), 0);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *missing[] = { "check", "tests/data/no-such-file.mss", NULL };
    CU_ASSERT_EQUAL(run_cli(missing, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-file.mss"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
}

/* Usage errors exit 2 and write nothing; output-folder trouble exits 1,
 * says which folder, and leaves what was there before as it was. */
static void cli_refuses_bad_options_and_folders(void)
{
    static const char *const usage[][6] = {
        { "run", "--lang", "xx", "scenarios/smtp-basic.mss", NULL },
        { "run", "-o", "", "scenarios/smtp-basic.mss", NULL },
        { "run", "--dpi", "0", "scenarios/smtp-basic.mss", NULL },
        { "run", "--dpi", "nan", "scenarios/smtp-basic.mss", NULL },
        { "check", "scenarios/smtp-basic.mss", "scenarios/pop3-basic.mss", NULL },
        { "run", "--max-messages", "0", "scenarios/smtp-basic.mss", NULL },
        { "run", "--max-messages", "1000001", "scenarios/smtp-basic.mss", NULL },
        { "check", "--max-messages", "many", "scenarios/smtp-basic.mss", NULL },
        { "run", "--filter-protocol", "SMTP,SMPT", "scenarios/smtp-basic.mss", NULL },
        { "run", "--filter-host", "alice-pc,no-such-host", "scenarios/smtp-basic.mss", NULL },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(usage); i++) {
        g_autofree char *out = NULL, *err = NULL;
        CU_ASSERT_EQUAL(run_cli(usage[i], &out, &err), 2);
        CU_ASSERT_TRUE(g_str_has_prefix(err, "mailsim"));
        /* A filter that names nothing in the run says which name. */
        if (g_str_has_prefix(usage[i][1], "--filter"))
            CU_ASSERT_PTR_NOT_NULL(strstr(err, strstr(usage[i][2], "SMPT") != NULL
                                                   ? "unknown protocol 'SMPT'"
                                                   : "no host 'no-such-host'"));
    }
    /* Names in another case, empty items and the ends of links are fine. */
    g_autofree char *fdir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fdir);
    const char *filtered[] = { "run", "-q", "--no-html", "-o", fdir, "--filter-protocol",
                               "smtp,,Pop3", "--filter-host", "Alice-PC, crepes.fr",
                               "scenarios/smtp-basic.mss", NULL };
    g_autofree char *fout = NULL, *ferr = NULL;
    CU_ASSERT_EQUAL(run_cli(filtered, &fout, &ferr), 0);
    ms_test_remove_tree(fdir);
    g_autofree char *dir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    /* A file where the folder should be. */
    g_autofree char *file = g_build_filename(dir, "a-file", NULL);
    g_autofree char *below = g_build_filename(file, "out", NULL);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(file, "x", -1, NULL));
    const char *blocked[] = { "run", "-o", below, "scenarios/smtp-basic.mss", NULL };
    g_autofree char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_cli(blocked, &out, &err), 1);
    g_autofree char *says = g_strdup_printf("cannot create the output folder %s: ", below);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, says));
    /* A later output cannot be written: the earlier ones are not touched
     * either, and nothing temporary is left behind. */
    g_autofree char *od = g_build_filename(dir, "od", NULL);
    g_autofree char *in_the_way = g_build_filename(od, "trace.json", NULL);
    g_autofree char *old = g_build_filename(od, "transcript.txt", NULL);
    CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(in_the_way, 0755), 0);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(old, "old", -1, NULL));
    const char *stale[] = { "run", "-o", od, "scenarios/smtp-basic.mss", NULL };
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    CU_ASSERT_EQUAL(run_cli(stale, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "trace.json"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "left as they were"));
    g_autofree char *text = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(old, &text, NULL, NULL) && strcmp(text, "old") == 0);
    g_autoptr(GDir) d = g_dir_open(od, 0, NULL);
    guint entries = 0;
    for (const char *n = d != NULL ? g_dir_read_name(d) : NULL; n != NULL;
         n = g_dir_read_name(d))
        entries++;
    CU_ASSERT_EQUAL(entries, 2);
    ms_test_remove_tree(dir);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Without -o, outputs go to output/<file stem>/ under the current folder:
 * every output, and nothing else. */
static void cli_default_output_folder(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autofree char *cwd = g_get_current_dir();
    g_autofree char *bin = g_build_filename(cwd, "build/san/mailsim", NULL);
    g_autofree char *scenario = g_build_filename(cwd, "scenarios/smtp-basic.mss", NULL);
    const char *argv[] = { bin, "run", scenario, NULL };
    g_autofree char *out = NULL;
    int status = -1;
    CU_ASSERT_TRUE_FATAL(g_spawn_sync(dir, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                      &out, NULL, &status, NULL));
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    g_autofree char *outputs = g_build_filename(dir, "output", "smtp-basic", NULL);
    const char *names[] = { "report.html", "sequence.svg", "summary.txt", "trace.json",
                            "transcript.md", "transcript.txt" };
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(outputs, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL(d);
    for (const char *n = d != NULL ? g_dir_read_name(d) : NULL; n != NULL;
         n = g_dir_read_name(d))
        g_ptr_array_add(found, g_strdup(n));
    g_ptr_array_sort(found, compare_names);
    CU_ASSERT_EQUAL(found->len, G_N_ELEMENTS(names));
    for (guint i = 0; i < MIN(found->len, G_N_ELEMENTS(names)); i++) {
        MS_ASSERT_STR(g_ptr_array_index(found, i), names[i]);
        g_autofree char *line = g_strdup_printf("  output/smtp-basic/%s\n", names[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(out, line));
    }
    ms_test_remove_tree(dir);
}

static void cli_reports_scenario_errors_with_position(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autofree char *path = g_build_filename(dir, "broken.mss", NULL);
    const char *text = "server crepes.fr domain crepes.fr\n"
                       "link crepes.fr nowhere latency 2ms\n"
                       "serverr x domain y\n";
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, text, -1, NULL));
    char *out = NULL, *err = NULL;
    const char *args[] = { "run", path, "-o", dir, NULL };
    CU_ASSERT_EQUAL(run_cli(args, &out, &err), 1);
    g_autofree char *line2 = g_strdup_printf("%s:2:", path);
    g_autofree char *line3 = g_strdup_printf("%s:3:1: error:", path);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, line2));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, line3));
    g_free(out);
    g_free(err);
    ms_test_remove_tree(dir);
}

/* --lang zh, or a Chinese locale without --lang, writes Chinese words;
 * a locale that is not Chinese gives English. */
static void cli_language(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    g_autofree char *path = g_build_filename(dir, "transcript.txt", NULL);
    static const struct {
        const char *lang;   /* --lang, or NULL */
        const char *locale; /* LANG, with LC_ALL and LC_MESSAGES unset */
        gboolean zh;
    } cases[] = {
        { "zh", "C.UTF-8", TRUE },
        { NULL, "zh_CN.UTF-8", TRUE },
        { NULL, "C.UTF-8", FALSE },
        { "en", "zh_CN.UTF-8", FALSE },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, "build/san/mailsim");
        g_ptr_array_add(argv, "run");
        g_ptr_array_add(argv, "-q");
        g_ptr_array_add(argv, "-o");
        g_ptr_array_add(argv, dir);
        if (cases[i].lang != NULL) {
            g_ptr_array_add(argv, "--lang");
            g_ptr_array_add(argv, (gpointer) cases[i].lang);
        }
        g_ptr_array_add(argv, "scenarios/smtp-basic.mss");
        g_ptr_array_add(argv, NULL);
        g_auto(GStrv) env = g_get_environ();
        env = g_environ_unsetenv(env, "LC_ALL");
        env = g_environ_unsetenv(env, "LC_MESSAGES");
        env = g_environ_unsetenv(env, "LANGUAGE");
        env = g_environ_setenv(env, "LANG", cases[i].locale, TRUE);
        int status = -1;
        gboolean ok = g_spawn_sync(NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL,
                                   NULL, NULL, NULL, &status, NULL);
        CU_ASSERT_TRUE(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0);
        g_autofree char *text = NULL;
        CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
        gboolean zh = strstr(text, "SMTP 消息传输") != NULL;
        gboolean en = strstr(text, "SMTP message transfer") != NULL;
        CU_ASSERT_EQUAL(zh, cases[i].zh);
        CU_ASSERT_EQUAL(en, !cases[i].zh);
    }
    ms_test_remove_tree(dir);
}

static void cli_writes_outputs(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *out = NULL, *err = NULL;
    const char *args[] = { "run", "scenarios/smtp-basic.mss", "-o", dir, NULL };
    CU_ASSERT_EQUAL(run_cli(args, &out, &err), 0);
    const char *names[] = { "transcript.txt", "transcript.md", "summary.txt", "trace.json" };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *p = g_build_filename(dir, names[i], NULL);
        CU_ASSERT_TRUE(g_file_test(p, G_FILE_TEST_IS_REGULAR));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, names[i]));
    }
    g_free(out);
    g_free(err);
    ms_test_remove_tree(dir);
    CU_ASSERT_FALSE(g_file_test(dir, G_FILE_TEST_EXISTS));
}

/* A simulation that reports an error exits 1 and says why, after writing
 * the outputs up to there (the trace shows how far it got); the same run
 * without the limit exits 0.  --max-events is how a user (and this test)
 * bounds a run. */
static void cli_simulation_error_exits_nonzero(void)
{
    g_autofree char *dir = g_dir_make_tmp("mailsim-e2e-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *out = NULL, *err = NULL;
    const char *stopped[] = { "run", "scenarios/smtp-basic.mss", "--max-events", "10",
                              "--no-html", "-o", dir, NULL };
    CU_ASSERT_EQUAL(run_cli(stopped, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "scenarios/smtp-basic.mss: error: more than 10 events; "
                                       "stopped"));
    g_autofree char *trace = g_build_filename(dir, "trace.json", NULL);
    CU_ASSERT_TRUE(g_file_test(trace, G_FILE_TEST_IS_REGULAR));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *bad[] = { "run", "scenarios/smtp-basic.mss", "--max-events", "0", NULL };
    CU_ASSERT_EQUAL(run_cli(bad, &out, &err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-events expects a number from 1 to 200000000"));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    const char *enough[] = { "run", "scenarios/smtp-basic.mss", "--max-events", "100000",
                             "--no-html", "-q", "-o", dir, NULL };
    CU_ASSERT_EQUAL(run_cli(enough, &out, &err), 0);
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);

    /* --html-lines: a number of lines, or a usage error that names it. */
    static const char *const wrong[] = { "-1", "many", "" };
    for (gsize i = 0; i < G_N_ELEMENTS(wrong); i++) {
        const char *html[] = { "run", "scenarios/smtp-basic.mss", "--html-lines", wrong[i],
                               "-o", dir, NULL };
        CU_ASSERT_EQUAL(run_cli(html, &out, &err), 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "--html-lines expects a number of protocol lines"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
    }
    const char *cut[] = { "run", "scenarios/smtp-basic.mss", "--html-lines", "10", "-q",
                          "-o", dir, NULL };
    CU_ASSERT_EQUAL(run_cli(cut, &out, &err), 0);
    g_autofree char *page = g_build_filename(dir, "report.html", NULL);
    g_autofree char *html = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(page, &html, NULL, NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "\"window\":{\"lines\":"));
    g_free(out);
    g_free(err);
    ms_test_remove_tree(dir);
}

/* The closing count of tests/run-tests.sh: a skipped test is not a pass,
 * and a binary that dies loses every test it announced. */
static void harness_counts_skips_and_crashes(void)
{
    const char *argv[] = { "tests/run-tests.sh", "tests/data/harness/skips.sh",
                           "tests/data/harness/crashes.sh", NULL };
    g_autofree char *out = NULL;
    int status = -1;
    CU_ASSERT_TRUE_FATAL(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                                      NULL, NULL, &out, NULL, &status, NULL));
    CU_ASSERT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n2 passed, 5 failed, 1 skipped\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "failing: crashes.sh"));
}

int main(void)
{
    static const MsTestCase e2e[] = {
        MS_TEST(smtp_basic_golden),
        MS_TEST(pop3_basic_golden),
        MS_TEST(smtp_basic_tells_the_story),
        MS_TEST(same_seed_same_bytes),
        MS_TEST_END,
    };
    static const MsTestCase cli[] = {
        MS_TEST(cli_exit_statuses),
        MS_TEST(cli_reports_scenario_errors_with_position),
        MS_TEST(cli_writes_outputs),
        MS_TEST(cli_language),
        MS_TEST(harness_counts_skips_and_crashes),
        MS_TEST(cli_refuses_bad_options_and_folders),
        MS_TEST(cli_default_output_folder),
        MS_TEST(cli_simulation_error_exits_nonzero),
        MS_TEST_END,
    };
    ms_test_add_suite("e2e/scenario", e2e);
    ms_test_add_suite("e2e/cli", cli);
    return ms_test_run();
}
