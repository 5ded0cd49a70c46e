/* test_grade_feedback.c - what a student and a grader read: feedback that
 * names the student's own values, says plainly what never happened, reads
 * each finding once; submissions saved by ordinary editors (a byte order
 * mark, UTF-16, a Chinese input method's full-width signs, upper-case
 * names); and exercise errors that point at the line and column.
 */
#include <signal.h>
#include <string.h>

#include "mailsim/grade.h"
#include "testutil.h"

/* grade-private.h's, tested here through its one public use. */
char *ms_grade_signal_name(int sig);

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

static const MsGradeTest *test_named(const MsGradeResult *r, const char *id)
{
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        if (strcmp(t->id, id) == 0)
            return t;
    }
    CU_FAIL_FATAL("no such check");
    return NULL;
}

static MsGradeResult *grade(const MsExercise *ex, const char *student, const char *text,
                            gsize len, const char *lang)
{
    MsGradeOptions o = { .lang = lang };
    return ms_grade_text(ex, student, text, len, &o);
}

/* ---- Feedback ------------------------------------------------------------------ */

/* A submission that cannot be graded still gets its own values in every
 * check's text, never the exercise's ${name}. */
static void test_not_graded_fills_values(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(MsGradeParams) p = ms_exercise_params(ex, "empty");
    const char *subject = ms_grade_params_get(p, "subject");
    CU_ASSERT_PTR_NOT_NULL_FATAL(subject);
    for (int l = 0; l < 2; l++) {
        g_autoptr(MsGradeResult) r = grade(ex, "empty", "", 0, l == 0 ? "en" : "zh");
        CU_ASSERT_PTR_NOT_NULL(r->error);
        for (guint i = 0; i < r->tests->len; i++) {
            const MsGradeTest *t = g_ptr_array_index(r->tests, i);
            CU_ASSERT_PTR_NULL(strstr(t->output, "${"));
        }
        g_autofree char *line = g_strdup_printf("Subject: %s", subject);
        CU_ASSERT_PTR_NOT_NULL(strstr(test_named(r, "delivered")->output, line));
    }
}

/* What never happened is said so, not shown as "-"; a finding two rules
 * make is said once; Chinese feedback joins findings with "；". */
static void test_never_answered_said_once(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    /* A bare CR after HELO: the server waits for the line's end, so HELO
     * is never answered; no RCPT is typed at all. */
    const char *text = "HELO crepes.fr\rQUIT\r\n";
    g_autoptr(MsGradeResult) r = grade(ex, "x", text, strlen(text), "en");
    const MsGradeTest *helo = test_named(r, "greeting");
    CU_ASSERT_PTR_NOT_NULL(strstr(helo->output, "was never answered"));
    CU_ASSERT_PTR_NULL(strstr(helo->output, "answered -"));
    const MsGradeTest *env = test_named(r, "envelope");
    const char *once = strstr(env->output, "RCPT was never typed");
    CU_ASSERT_PTR_NOT_NULL_FATAL(once);
    CU_ASSERT_PTR_NULL(strstr(once + 1, "RCPT was never typed"));
    const MsGradeTest *msg = test_named(r, "message-text");
    CU_ASSERT_PTR_NOT_NULL(strstr(msg->output, "DATA was never typed"));
    CU_ASSERT_PTR_NULL(strstr(msg->output, "(got -)"));

    g_autoptr(MsGradeResult) zh = grade(ex, "x", "HELO crepes.fr\r\n", 16, "zh");
    const MsGradeTest *env_zh = test_named(zh, "envelope");
    CU_ASSERT_PTR_NULL(strstr(env_zh->output, "; "));
    CU_ASSERT_PTR_NOT_NULL(strstr(env_zh->output, "MAIL"));
}

/* Feedback names the cause a student can act on, not only the symptom:
 * a QUIT or a ". " that went into an unended message text, a RETR that
 * failed before its DELE, the RFC of the protocol typed; lines never sent
 * show the line end they would have had; the class summary names who
 * could not be graded. */
static void test_feedback_names_the_cause(void)
{
    g_autoptr(MsExercise) smtp = load_shipped("smtp-send");
    const char *dot_space = "HELO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\n"
                            "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n"
                            ". \r\nQUIT\r\n";
    g_autoptr(MsGradeResult) a = grade(smtp, "x", dot_space, strlen(dot_space), "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(a, "quit")->output,
                                  "QUIT, typed line 9, went inside the message text"));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(a, "message-text")->output,
                                  "typed line 8, \". \", is not a line holding only \".\""));

    /* (the line after QUIT goes out as 221 arrives; the rest never do) */
    const char *early_quit = "HELO crepes.fr\r\nQUIT\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\n"
                             "DATA\r\n";
    g_autoptr(MsGradeResult) b = grade(smtp, "x", early_quit, strlen(early_quit), "en");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->transcript);
    CU_ASSERT_PTR_NOT_NULL(strstr(b->transcript, "had closed: RCPT TO:<c@d>\\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b->transcript, "had closed: DATA\\r\\n\n"));
    CU_ASSERT_PTR_NULL(strstr(b->transcript, "<no line end>"));

    /* A refusal that echoes an earlier one names the first; a refused
     * message text says the server's reason. */
    const char *no_brackets = "EHLO crepes.fr\r\nMAIL FROM:alice@crepes.fr\r\n"
                              "RCPT TO:bob@hamburger.edu\r\nDATA\r\nQUIT\r\n";
    g_autoptr(MsGradeResult) g = grade(smtp, "x", no_brackets, strlen(no_brackets), "en");
    const char *first = "before it, typed line 2, \"MAIL FROM:alice@crepes.fr\", was refused: "
                        "\"501 ";
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(g, "envelope")->output, first));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(g, "message-text")->output, first));
    const char *eight_bit = "HELO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\n"
                            "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\nSubject: \xe4\xbd\xa0\r\n"
                            "\r\nhi\r\n.\r\nQUIT\r\n";
    g_autoptr(MsGradeResult) h = grade(smtp, "x", eight_bit, strlen(eight_bit), "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(h, "message-text")->output,
                                  "was answered 554: \"554 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(h, "message-text")->output, "7-bit"));

    g_autoptr(MsExercise) pop3 = load_shipped("pop3-session");
    const char *pass_first = "PASS x\r\nUSER bob\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n";
    g_autoptr(MsGradeResult) c = grade(pop3, "x", pass_first, strlen(pass_first), "en");
    const char *why = test_named(c, "delete-after")->output;
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "RETR 1 was answered -ERR, so message 1 was never "
                                       "retrieved"));
    CU_ASSERT_PTR_NULL(strstr(why, "deleted before it was retrieved"));

    const char *lf = "USER bob\nPASS x\n";
    g_autoptr(MsGradeResult) d = grade(pop3, "x", lf, strlen(lf), "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(d, "crlf")->output, "not CRLF (RFC 1939 3)"));

    g_autoptr(MsGradeResult) e = grade(smtp, "nothing", "", 0, "en");
    g_autoptr(GPtrArray) class = g_ptr_array_new();
    g_ptr_array_add(class, a);
    g_ptr_array_add(class, e);
    g_autofree char *summary = ms_grade_class_summary(class, "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(summary, "1 submission could not be graded as submitted: "
                                           "nothing\n"));
}

/* A dialogue saved with Unix line ends: as typed (the default) every
 * line meets the server's 500 for a bare LF; with --line-ends crlf the
 * lines go out as telnet sends them and only the crlf check, which reads
 * the file, is lost. */
static void test_line_ends_crlf(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autoptr(MsGradeParams) p = ms_exercise_params(ex, "carol");
    g_autofree char *text = g_strdup_printf(
        "HELO crepes.fr\nMAIL FROM:<alice@crepes.fr>\nRCPT TO:<bob@hamburger.edu>\nDATA\n"
        "Subject: %s\n\nhi\n.\nQUIT\n", ms_grade_params_get(p, "subject"));
    MsGradeOptions as_typed = { .lang = "en" };
    MsGradeOptions crlf = { .lang = "en", .crlf_typed = TRUE };
    g_autoptr(MsGradeResult) a = ms_grade_text(ex, "carol", text, strlen(text), &as_typed);
    g_autoptr(MsGradeResult) b = ms_grade_text(ex, "carol", text, strlen(text), &crlf);
    CU_ASSERT_DOUBLE_EQUAL(a->score, 0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(b->score, b->max_score - 2, 1e-9);
    const MsGradeTest *t = test_named(b, "crlf");
    CU_ASSERT_DOUBLE_EQUAL(t->score, 0, 1e-9);
    CU_ASSERT_PTR_NOT_NULL(strstr(t->output, "typed line 1 ended with a bare LF"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b->transcript, "C: HELO crepes.fr\\r\\n"));
}

/* A bare LF in the message text: the server refuses the text with 554,
 * then closes with 421 (RFC 5321 3.8), so the "." is said to be answered
 * 554, not 421, and the QUIT typed after the close is said to have come
 * too late, not merely "never answered". */
static void test_bare_lf_text_then_closed(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    const char *text = "HELO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\n"
                       "RCPT TO:<bob@hamburger.edu>\r\nDATA\r\nSubject: x\n\nhi\n.\r\n"
                       "QUIT\r\n";
    g_autoptr(MsGradeResult) r = grade(ex, "x", text, strlen(text), "en");
    const MsGradeTest *dot = test_named(r, "message-text");
    CU_ASSERT_PTR_NOT_NULL(strstr(dot->output, "was answered 554"));
    CU_ASSERT_PTR_NULL(strstr(dot->output, "421"));
    const MsGradeTest *quit = test_named(r, "quit");
    CU_ASSERT_EQUAL(quit->status, MS_GRADE_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(quit->output, "QUIT was typed, but the server had already "
                                                "closed the connection with 421"));
    g_autoptr(MsGradeResult) zh = grade(ex, "x", text, strlen(text), "zh");
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(zh, "quit")->output, "已经用 421 关闭了连接"));
}

static void test_signal_names(void)
{
    g_autofree char *segv = ms_grade_signal_name(SIGSEGV);
    g_autofree char *xfsz = ms_grade_signal_name(SIGXFSZ);
    g_autofree char *odd = ms_grade_signal_name(77);
    CU_ASSERT_STRING_EQUAL(segv, "SIGSEGV");
    CU_ASSERT_STRING_EQUAL(xfsz, "SIGXFSZ");
    CU_ASSERT_STRING_EQUAL(odd, "signal 77");
}

/* ---- Files as editors save them ------------------------------------------------- */

/* Windows Notepad's byte order mark is not part of what was typed. */
static void test_bom_ignored(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autofree char *model = NULL;
    gsize len = 0;
    CU_ASSERT_FATAL(g_file_get_contents(ms_exercise_model(ex), &model, &len, NULL));
    g_autoptr(MsGradeParams) p = ms_exercise_params(ex, "bom");
    g_autofree char *filled = ms_exercise_fill(ex, p, model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(filled);
    g_autofree char *with_bom = g_strconcat("\xEF\xBB\xBF", filled, NULL);
    g_autoptr(MsGradeResult) plain = grade(ex, "bom", filled, strlen(filled), "en");
    g_autoptr(MsGradeResult) bom = grade(ex, "bom", with_bom, strlen(with_bom), "en");
    CU_ASSERT_DOUBLE_EQUAL(plain->score, plain->max_score, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(bom->score, plain->score, 1e-9);
    CU_ASSERT_STRING_EQUAL(bom->transcript, plain->transcript);

    g_autoptr(MsExercise) delay = load_shipped("delay");
    g_autoptr(MsGradeParams) dp = ms_exercise_params(delay, "bom");
    g_autofree char *answers = ms_exercise_solve(delay, dp, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(answers);
    g_autofree char *answers_bom = g_strconcat("\xEF\xBB\xBF", answers, NULL);
    g_autoptr(MsGradeResult) a = grade(delay, "bom", answers_bom, strlen(answers_bom), "en");
    CU_ASSERT_PTR_NULL(a->error);
    CU_ASSERT_DOUBLE_EQUAL(a->score, a->max_score, 1e-9);
}

/* A UTF-16 file is named as such, not as "a NUL byte". */
static void test_utf16_named(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    const char text[] = "\xFF\xFEH\0E\0L\0O\0";
    g_autoptr(MsGradeResult) r = grade(ex, "u", text, sizeof text - 1, "en");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->error);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->error, "UTF-16"));
}

/* Answers: names in any case; errors with their column; a full-width
 * sign named; only decimal numbers. */
static void test_answers_as_typed(void)
{
    g_autoptr(MsExercise) ex = load_shipped("delay");
    g_autoptr(MsGradeParams) p = ms_exercise_params(ex, "case");
    g_autofree char *answers = ms_exercise_solve(ex, p, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(answers);
    /* Each name upper-cased, the values (and their units) as they were. */
    GString *upper = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(answers, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *eq = strchr(lines[i], '=');
        if (eq == NULL) {
            g_string_append_printf(upper, "%s\n", lines[i]);
            continue;
        }
        g_autofree char *name = g_ascii_strup(lines[i], eq - lines[i]);
        g_string_append_printf(upper, "%s%s\n", name, eq);
    }
    g_autoptr(MsGradeResult) r = grade(ex, "case", upper->str, upper->len, "en");
    g_string_free(upper, TRUE);
    CU_ASSERT_PTR_NULL(r->error);
    CU_ASSERT_DOUBLE_EQUAL(r->score, r->max_score, 1e-9);

    const char *bad = "delivered_ms = 1\n  end_to_end_ms 5\n";
    g_autoptr(MsGradeResult) b = grade(ex, "case", bad, strlen(bad), "en");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->error);
    CU_ASSERT_PTR_NOT_NULL(strstr(b->error, "line 2, column 17: expected 'name = value'"));

    const char *wide = "delivered_ms \xEF\xBC\x9D 1\n";
    g_autoptr(MsGradeResult) w = grade(ex, "case", wide, strlen(wide), "en");
    CU_ASSERT_PTR_NOT_NULL_FATAL(w->error);
    CU_ASSERT_PTR_NOT_NULL(strstr(w->error, "line 1, column 14: a full-width sign"));

    const char *hex = "delivered_ms = 0x4\n";
    g_autoptr(MsGradeResult) h = grade(ex, "case", hex, strlen(hex), "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(h, "delivered")->output, "is not a number"));
}

/* ---- Exercise errors -------------------------------------------------------------- */

/* An unknown ${name} in a title, instructions or feedback text is pointed
 * at where it is written, each once. */
static void test_unknown_name_located(void)
{
    const char *text =
        "title en \"T\"\ntitle zh \"T\"\n"
        "instructions en \"Do it\"\n"
        "instructions en \"Send ${subjekt} now\"\n"
        "instructions zh \"做\"\n"
        "submit dialogue from alice-pc to hamburger.edu\n"
        "begin scenario\nserver hamburger.edu domain hamburger.edu\n"
        "agent alice-pc user alice@hamburger.edu server hamburger.edu\n"
        "link alice-pc hamburger.edu latency 10ms\nend scenario\n"
        "check q points 1\n  title en \"Q\"\n  title zh \"Q\"\n  rule quit\n"
        "  pass en \"y\"\n  pass zh \"是\"\n  fail en \"n ${nope}\"\n  fail zh \"否\"\nend\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(MsExercise) ex = ms_exercise_parse(text, strlen(text), "t.exercise", &error);
    CU_ASSERT_PTR_NULL(ex);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "t.exercise:4:23: error: '${subjekt}'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "t.exercise:18:14: error: '${nope}'"));
    CU_ASSERT_PTR_NULL(strstr(error->message, ":1:1:"));
}

/* A program's output cut to its first lines says so, since the byte count
 * before it is the whole output's. */
static void test_program_lines_cut_said(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    const char *many = "for i in range(100):\n    print('line', i)\n";
    const char *few = "for i in range(3):\n    print('line', i)\n";
    MsGradeOptions o = { .lang = "en", .time_limit = 30 };
    g_autoptr(MsGradeResult) a = ms_grade_text(ex, "many", many, strlen(many), &o);
    g_autoptr(MsGradeResult) b = ms_grade_text(ex, "few", few, strlen(few), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a->transcript);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->transcript);
    CU_ASSERT_PTR_NOT_NULL(strstr(a->transcript, "| line 29\n   | (only its first 30 lines are "
                                                 "shown)"));
    CU_ASSERT_PTR_NULL(strstr(a->transcript, "line 30"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b->transcript, "| line 2\n"));
    CU_ASSERT_PTR_NULL(strstr(b->transcript, "only its first"));
}

/* Lines of a transcript that are the dialogue's ("C: ", "S: "). */
static guint dialogue_lines(const char *transcript)
{
    guint n = 0;
    g_auto(GStrv) lines = g_strsplit(transcript, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
        n += g_str_has_prefix(lines[i], "C: ") || g_str_has_prefix(lines[i], "S: ");
    return n;
}

/* A program (Python) that sends a message whose text after its header is
 * the Python bytes expression `body`, then QUIT.  Transfer full. */
static char *message_program(const char *body)
{
    return g_strdup_printf(
        "import socket, sys\n"
        "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
        "f = s.makefile('rb')\n"
        "def say(line):\n"
        "    if line is not None:\n"
        "        s.sendall(line + b'\\r\\n')\n"
        "    while f.readline()[3:4] == b'-':\n"
        "        pass\n"
        "for c in (None, b'HELO crepes.fr', b'MAIL FROM:<alice@crepes.fr>',\n"
        "          b'RCPT TO:<bob@hamburger.edu>', b'DATA'):\n"
        "    say(c)\n"
        "s.sendall(b'Subject: long\\r\\n\\r\\n' + %s)\n"
        "say(b'.')\n"
        "say(b'QUIT')\n",
        body);
}

/* A program's dialogue is kept in the report up to 1000 lines and 64 KiB
 * (a loop of NOOPs made megabytes); where it is cut is said, and the
 * checks still read all of it: the QUIT after the cut is seen. */
static void test_program_dialogue_cut(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    MsGradeOptions o = { .lang = "en", .time_limit = 30 };
    /* 1 + 2 + 1200 + 2 lines: greeting, HELO, 600 NOOPs, QUIT. */
    const char *noops =
        "import socket, sys\n"
        "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
        "f = s.makefile('rb')\n"
        "f.readline()\n"
        "s.sendall(b'HELO crepes.fr\\r\\n' + b'NOOP\\r\\n' * 600 + b'QUIT\\r\\n')\n"
        "while f.readline():\n"
        "    pass\n";
    g_autoptr(MsGradeResult) a = ms_grade_text(ex, "noops", noops, strlen(noops), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a->transcript);
    CU_ASSERT_EQUAL(dialogue_lines(a->transcript), 1000);
    CU_ASSERT_PTR_NOT_NULL(strstr(a->transcript, "\n-- the dialogue is cut here, after its "
                                                 "line 1000: a program's dialogue is kept up to "
                                                 "1000 lines and 65536 bytes; the checks read "
                                                 "all of it\n"));
    CU_ASSERT_PTR_NULL(strstr(a->transcript, "C: QUIT"));
    CU_ASSERT_EQUAL(test_named(a, "quit")->status, MS_GRADE_PASSED);

    /* A message of 100 lines of 990 octets: cut inside a line at 64 KiB,
     * and the message is still delivered and its end seen. */
    g_autofree char *wide = message_program("(b'x' * 990 + b'\\r\\n') * 100");
    g_autoptr(MsGradeResult) b = ms_grade_text(ex, "wide", wide, strlen(wide), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->transcript);
    const char *cut = strstr(b->transcript, "\n-- the dialogue is cut here, inside its line ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
    CU_ASSERT_TRUE(cut - b->transcript <= 64 * 1024);
    CU_ASSERT_TRUE(cut - b->transcript > 60 * 1024);
    CU_ASSERT_DOUBLE_EQUAL(b->score, b->max_score, 1e-9);

    /* Lines of control characters, each shown as "\\x01": the cut keeps
     * every mark whole rather than end the shown text in "\\x0". */
    g_autofree char *marks = message_program("(b'\\x01' * 990 + b'\\r\\n') * 20");
    g_autoptr(MsGradeResult) m = ms_grade_text(ex, "marks", marks, strlen(marks), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m->transcript);
    const char *at = strstr(m->transcript, "\n-- the dialogue is cut here, inside its line ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    CU_ASSERT_TRUE(at - m->transcript > 4 && strncmp(at - 4, "\\x01", 4) == 0);
    CU_ASSERT_TRUE(at - m->transcript > 60 * 1024);
}

/* ---- Programs that do not wait for replies --------------------------------------- */

/* The whole dialogue of the review's blast.py, as one Python bytes value. */
#define BLAST "b'HELO x\\r\\nMAIL FROM:<alice@crepes.fr>\\r\\nRCPT TO:<bob@hamburger.edu>\\r\\n" \
              "DATA\\r\\nSubject: hi\\r\\n\\r\\nhello\\r\\n.\\r\\nQUIT\\r\\n'"

/* A program (Python) that writes `dialogue` (a bytes expression) in one go
 * as soon as it is connected, without reading, then runs `then`.  It prints
 * nothing, so that its whole report is the grader's.  Transfer full. */
static char *blast_program(const char *dialogue, const char *then)
{
    return g_strdup_printf("import socket, sys\n"
                           "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
                           "s.sendall(%s)\n"
                           "%s",
                           dialogue, then);
}

/* The report of a result, what the program printed included. */
static char *report_of(const MsGradeResult *r)
{
    return ms_grade_format_one(r, MS_GRADE_FMT_TEXT, "en");
}

/* A program that closes its socket with replies unread makes its kernel
 * reset the connection, and whether that reset crossed the server's
 * replies before or after a given line was a matter of timing: the same
 * program scored 10, 7, 5 or 3.  Every line it wrote before it closed
 * now reaches the dialogue and the server in order, each time: sent at
 * once and closed, read once, half-closed and read to the end, written a
 * line at a time and never read.  Each is graded the same every time,
 * and fails only for not waiting for the replies. */
static void test_program_blast_graded_alike(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    MsGradeOptions o = { .lang = "en", .time_limit = 30 };
    const char *lines =
        "import socket, sys\n"
        "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
        "for line in [b'HELO x', b'MAIL FROM:<alice@crepes.fr>', b'RCPT TO:<bob@hamburger.edu>',\n"
        "             b'DATA', b'Subject: hi', b'', b'hello', b'.', b'QUIT']:\n"
        "    s.sendall(line + b'\\r\\n')\n"
        "s.close()\n";
    g_autofree char *closes = blast_program(BLAST, "s.close()\n");
    g_autofree char *reads_once = blast_program(BLAST, "s.recv(4096)\ns.close()\n");
    g_autofree char *half_closes = blast_program(BLAST, "s.recv(4096)\n"
                                                        "s.shutdown(socket.SHUT_WR)\n"
                                                        "while s.recv(4096):\n"
                                                        "    pass\n");
    const char *programs[] = { closes, reads_once, half_closes, lines };
    for (gsize k = 0; k < G_N_ELEMENTS(programs); k++) {
        g_autoptr(MsGradeResult) first =
            ms_grade_text(ex, "blast", programs[k], strlen(programs[k]), &o);
        g_autofree char *want = report_of(first);
        CU_ASSERT_DOUBLE_EQUAL(first->score, 9, 1e-9);
        const MsGradeTest *greeting = test_named(first, "greeting");
        CU_ASSERT_EQUAL(greeting->status, MS_GRADE_FAILED);
        if (strstr(greeting->output, "MAIL was sent before the reply to HELO was read") == NULL)
            fprintf(stderr, "\n%s\n", want);
        CU_ASSERT_PTR_NOT_NULL(
            strstr(greeting->output, "MAIL was sent before the reply to HELO was read"));
        for (int run = 0; run < 3; run++) {
            g_autoptr(MsGradeResult) again =
                ms_grade_text(ex, "blast", programs[k], strlen(programs[k]), &o);
            g_autofree char *got = report_of(again);
            if (strcmp(got, want) != 0)
                fprintf(stderr, "\nprogram %zu, run %d:\n%s\nfirst run:\n%s\n", k, run + 2, got,
                        want);
            MS_ASSERT_STR(got, want);
        }
    }
}

/* The checks and the replayed dialogue read the same recorded lines: a
 * program that sends everything and closes has each of its lines shown
 * as sent, none run into the next, and the checks find DATA, the "."
 * and QUIT that the dialogue shows; a line is called unended only where
 * the dialogue shows it without its end. */
static void test_program_feedback_agrees_with_dialogue(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    MsGradeOptions o = { .lang = "en", .time_limit = 30 };
    g_autofree char *closes = blast_program(BLAST, "s.close()\n");
    g_autoptr(MsGradeResult) r = ms_grade_text(ex, "blast", closes, strlen(closes), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->transcript);
    CU_ASSERT_PTR_NULL(strstr(r->transcript, "<CR>"));
    CU_ASSERT_PTR_NULL(strstr(r->transcript, "<no line end>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "\nC: DATA\\r\\n   (sent before the reply "
                                                 "above was read)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "\nC: .\\r\\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->transcript, "\nC: QUIT\\r\\n   (sent before the reply "
                                                 "above was read)\n"));
    static const char *const passed[] = { "envelope", "message-text", "delivered", "quit",
                                          "crlf" };
    for (gsize i = 0; i < G_N_ELEMENTS(passed); i++)
        CU_ASSERT_EQUAL(test_named(r, passed[i])->status, MS_GRADE_PASSED);
    CU_ASSERT_EQUAL(dialogue_lines(r->transcript), 16);

    /* Half of it, cut inside RCPT: that line, and only it, never ended,
     * in the checks as in the dialogue. */
    g_autofree char *half = blast_program(BLAST "[:51]", "s.close()\n");
    g_autoptr(MsGradeResult) h = ms_grade_text(ex, "half", half, strlen(half), &o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->transcript);
    CU_ASSERT_PTR_NOT_NULL(strstr(test_named(h, "crlf")->output, "typed line 3 never ended"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h->transcript, "\nC: RCPT TO:<bob@h<no line end>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h->transcript, "\nC: MAIL FROM:<alice@crepes.fr>\\r\\n"));
    CU_ASSERT_EQUAL(dialogue_lines(h->transcript), 6);
}

/* A program (Python) that greets with `hello` (EHLO or HELO), then sends
 * MAIL, RCPT and DATA together, and the message text, its "." and QUIT
 * together, reading the replies to each group.  Transfer full. */
static char *pipelining_program(const char *hello)
{
    return g_strdup_printf(
        "import socket, sys\n"
        "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
        "f = s.makefile('rb')\n"
        "def replies(n):\n"
        "    for i in range(n):\n"
        "        while f.readline()[3:4] == b'-':\n"
        "            pass\n"
        "replies(1)\n"
        "s.sendall(b'%s crepes.fr\\r\\n')\n"
        "replies(1)\n"
        "s.sendall(b'MAIL FROM:<alice@crepes.fr>\\r\\nRCPT TO:<bob@hamburger.edu>\\r\\n"
        "DATA\\r\\n')\n"
        "replies(3)\n"
        "s.sendall(b'Subject: hi\\r\\n\\r\\nhello\\r\\n.\\r\\nQUIT\\r\\n')\n"
        "replies(2)\n",
        hello);
}

/* Where the server offers PIPELINING (RFC 2920), MAIL and RCPT may go
 * ahead of their replies, and QUIT ahead of the reply to the "."; after
 * HELO nothing may. */
static void test_program_pipelining_allowed(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-client-program");
    MsGradeOptions o = { .lang = "en", .time_limit = 30 };
    g_autofree char *ehlo = pipelining_program("EHLO");
    g_autoptr(MsGradeResult) e = ms_grade_text(ex, "ehlo", ehlo, strlen(ehlo), &o);
    const MsGradeTest *g = test_named(e, "greeting");
    CU_ASSERT_EQUAL(g->status, MS_GRADE_PASSED);
    CU_ASSERT_PTR_NOT_NULL(strstr(g->output, "PIPELINING lets MAIL, RCPT and RSET go ahead"));
    CU_ASSERT_DOUBLE_EQUAL(e->score, 10, 1e-9);

    g_autofree char *helo = pipelining_program("HELO");
    g_autoptr(MsGradeResult) h = ms_grade_text(ex, "helo", helo, strlen(helo), &o);
    g = test_named(h, "greeting");
    CU_ASSERT_EQUAL(g->status, MS_GRADE_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(g->output, "RCPT was sent before the reply to MAIL was read"));
}

/* What to hand in is said in the student's language, the kind included. */
static void test_show_kind_in_words(void)
{
    g_autoptr(MsExercise) ex = load_shipped("smtp-send");
    g_autofree char *zh = ms_exercise_show(ex, "s1", "zh");
    g_autofree char *en = ms_exercise_show(ex, "s1", "en");
    CU_ASSERT_PTR_NOT_NULL(strstr(zh, "提交：一段对话（文件 dialogue.txt）"));
    CU_ASSERT_PTR_NOT_NULL(strstr(en, "Submit: a dialogue (file dialogue.txt)"));
}

static const MsTestCase feedback_cases[] = {
    MS_TEST(test_show_kind_in_words),
    MS_TEST(test_program_lines_cut_said),
    MS_TEST(test_program_dialogue_cut),
    MS_TEST(test_program_blast_graded_alike),
    MS_TEST(test_program_feedback_agrees_with_dialogue),
    MS_TEST(test_program_pipelining_allowed),
    MS_TEST(test_not_graded_fills_values),
    MS_TEST(test_never_answered_said_once),
    MS_TEST(test_feedback_names_the_cause),
    MS_TEST(test_line_ends_crlf),
    MS_TEST(test_bare_lf_text_then_closed),
    MS_TEST(test_signal_names),
    MS_TEST_END,
};

static const MsTestCase file_cases[] = {
    MS_TEST(test_bom_ignored),
    MS_TEST(test_utf16_named),
    MS_TEST(test_answers_as_typed),
    MS_TEST_END,
};

static const MsTestCase exercise_cases[] = {
    MS_TEST(test_unknown_name_located),
    MS_TEST_END,
};

int main(void)
{
    ms_test_add_suite("grade-feedback/feedback", feedback_cases);
    ms_test_add_suite("grade-feedback/files", file_cases);
    ms_test_add_suite("grade-feedback/exercise", exercise_cases);
    return ms_test_run();
}
