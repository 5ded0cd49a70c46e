/* fuzz_grade.c - a student's submission on arbitrary bytes, graded as
 * `mailsim grade` grades it (ms_grade_text, the worker's entry point) against
 * shipped exercises: smtp-send (a typed SMTP dialogue, C:/S: or plain),
 * smtp-predict (the same with predicted replies) and delay (name = value
 * answers with units).  The promise: a result, never a crash, hang or
 * blow-up: a broken submission is a failing result that says why.  Every
 * report format of that result is then written and held to its shape:
 * the JSON ones parse (and "results" reads back as what --merge reads), the
 * JUnit XML is well formed with XML 1.0 characters only, each TAP test point
 * is one line, and the text report holds no control character but LF and
 * TAB (docs/grading.md).
 *
 * The bytes after the last NUL, when there is one, are the student id (a
 * file name or --student, untrusted too); the report's language follows the
 * input's length, so both languages are reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "fuzz.h"
#include "mailsim/grade.h"

static const char *const exercise_paths[] = {
    "scenarios/exercises/smtp-send.exercise",
    "scenarios/exercises/smtp-predict.exercise",
    "scenarios/exercises/delay.exercise",
};

static MsExercise *exercises[G_N_ELEMENTS(exercise_paths)];

static void fail(const char *what, MsGradeFormat format, const char *out)
{
    fprintf(stderr, "%s (format %s):\n%s\n", what, ms_grade_format_name(format), out);
    abort();
}

static void check_json(MsGradeFormat format, const char *out)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    if (!json_parser_load_from_data(parser, out, -1, &error))
        fail(error->message, format, out);
}

/* What --merge reads: the same student, the same score. */
static void check_results(const MsGradeResult *res, const char *out)
{
    g_autoptr(GPtrArray) back = g_ptr_array_new_with_free_func(
        (GDestroyNotify) ms_grade_result_free);
    g_autoptr(GError) error = NULL;
    if (!ms_grade_results_read(out, strlen(out), "fuzz.json", back, &error))
        fail(error->message, MS_GRADE_FMT_RESULTS, out);
    const MsGradeResult *r = back->len == 1 ? g_ptr_array_index(back, 0) : NULL;
    if (r == NULL || strcmp(r->student, res->student) != 0 ||
        r->tests->len != res->tests->len || (r->error == NULL) != (res->error == NULL))
        fail("the results do not read back as written", MS_GRADE_FMT_RESULTS, out);
}

static void check_junit(const char *out)
{
    /* XML 1.0 (2.2 Characters): no C0 control but TAB, LF, CR. */
    for (const char *p = out; *p != '\0'; p++) {
        if ((guchar) *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            fail("a control character in XML", MS_GRADE_FMT_JUNIT, out);
    }
    static const GMarkupParser none = { 0 };
    g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new(&none, 0, NULL, NULL);
    g_autoptr(GError) error = NULL;
    if (!g_markup_parse_context_parse(ctx, out, -1, &error) ||
        !g_markup_parse_context_end_parse(ctx, &error))
        fail(error->message, MS_GRADE_FMT_JUNIT, out);
}

/* A test point per check, each one line; the rest is the version, the
 * plan and the indented YAML blocks. */
static void check_tap(const MsGradeResult *res, const char *out)
{
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    guint points = 0;
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "ok ") || g_str_has_prefix(l, "not ok "))
            points++;
        else if (!(l[0] == '\0' || g_str_has_prefix(l, "  ") ||
                   g_str_has_prefix(l, "TAP version ") || g_str_has_prefix(l, "1..")))
            fail("a TAP line that is neither a test point nor in its block", MS_GRADE_FMT_TAP,
                 out);
    }
    if (points != res->tests->len)
        fail("not one TAP test point per check", MS_GRADE_FMT_TAP, out);
}

static void check_text(const char *out)
{
    for (const char *p = out; *p != '\0'; p++) {
        if (((guchar) *p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F)
            fail("a control character in the text report", MS_GRADE_FMT_TEXT, out);
    }
}

static void grade(const MsExercise *ex, const char *student, const char *text, gsize len,
                  const char *lang)
{
    MsGradeOptions options = { .lang = lang };
    MsGradeResult *res = ms_grade_text(ex, student, text, len, &options);
    if (res == NULL || res->max_score != ms_exercise_max_score(ex) || res->score < 0 ||
        res->score > res->max_score + 1e-9) {
        fprintf(stderr, "no result, or a score out of range\n");
        abort();
    }
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_ptr_array_add(one, res);
    for (int f = 0; f < MS_GRADE_N_FORMATS; f++) {
        g_autofree char *out = ms_grade_format_class(one, (MsGradeFormat) f, lang);
        switch ((MsGradeFormat) f) {
        case MS_GRADE_FMT_TEXT: check_text(out); break;
        case MS_GRADE_FMT_GRADESCOPE:
        case MS_GRADE_FMT_PRAIRIELEARN: check_json((MsGradeFormat) f, out); break;
        case MS_GRADE_FMT_RESULTS:
            check_json((MsGradeFormat) f, out);
            check_results(res, out);
            break;
        case MS_GRADE_FMT_JUNIT: check_junit(out); break;
        case MS_GRADE_FMT_TAP: check_tap(res, out); break;
        default: break;
        }
    }
    /* One student alone, as an autograder container writes it. */
    g_free(ms_grade_format_one(res, MS_GRADE_FMT_TEXT, lang));
    ms_grade_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (gsize i = 0; i < G_N_ELEMENTS(exercises); i++) {
        if (exercises[i] != NULL)
            continue;
        GError *error = NULL;
        exercises[i] = ms_exercise_load(exercise_paths[i], &error);
        if (exercises[i] == NULL) {
            fprintf(stderr, "fuzz_grade: %s\n", error->message);
            abort();
        }
    }
    const char *text = (const char *) data;
    gsize len = size;
    g_autofree char *student = NULL;
    const char *nul = NULL;
    for (gsize i = size; i > 0 && nul == NULL; i--) {
        if (text[i - 1] == '\0')
            nul = text + i - 1;
    }
    if (nul != NULL) {
        len = (gsize) (nul - text);
        student = g_strndup(nul + 1, size - len - 1);
    }
    const char *lang = size % 2 == 1 ? "zh" : "en";
    for (gsize i = 0; i < G_N_ELEMENTS(exercises); i++)
        grade(exercises[i], student != NULL ? student : "fuzz", text, len, lang);
    return 0;
}
