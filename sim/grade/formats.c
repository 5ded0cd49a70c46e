/* formats.c - graded results for people and for autograders.
 *
 * text: per student each check with points and feedback, the replayed
 * dialogue, then the class summary.  gradescope: Gradescope's results.json
 * (score, output, tests[] of name, score, max_score, status, output,
 * visibility).  prairielearn: PrairieLearn's external-grader results.json
 * (gradable, score as a fraction, message, output, tests[] of name,
 * description, points, max_points, message, output).  junit: one
 * <testsuite> per student, a <testcase> per check.  tap: TAP version 13,
 * one test point per student and check, YAML diagnostics.  csv: RFC 4180,
 * a row per student, a column per check.  results: mailsim's own JSON,
 * which `--merge` reads back.  docs/grading.md shows each.
 */
#include <math.h>
#include <string.h>

#include "grade/grade-private.h"
#include "report/report-private.h"

#define RESULTS_FORMAT "mailsim-grade-results"

static const char *const format_names[] = {
#define MS_GRADE_NAME_(e, s) s,
    MS_GRADE_FORMATS(MS_GRADE_NAME_)
#undef MS_GRADE_NAME_
};

const char *ms_grade_format_name(MsGradeFormat f)
{
    g_return_val_if_fail(f < MS_GRADE_N_FORMATS, "?");
    return format_names[f];
}

gboolean ms_grade_format_parse(const char *name, MsGradeFormat *out)
{
    for (int i = 0; i < MS_GRADE_N_FORMATS; i++) {
        if (g_strcmp0(name, format_names[i]) == 0) {
            *out = (MsGradeFormat) i;
            return TRUE;
        }
    }
    return FALSE;
}

static char *json_text(JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, node);
    char *s = json_generator_to_data(gen, NULL);
    char *out = g_strconcat(s, "\n", NULL);
    g_free(s);
    return out;
}

static void member_str(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, v != NULL ? v : "");
}

static void member_num(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, round(v * 1e4) / 1e4);
}

/* What the student sees above the tests: an error, the parameters, the
 * replayed dialogue. */
static char *overall_output(const MsGradeResult *r, const char *lang)
{
    GString *s = g_string_new(NULL);
    if (r->error != NULL) {
        g_autofree char *e = ms_grade_fmt(lang, N_("Your submission could not be graded as "
                                                   "submitted: {1}"),
                                          r->error, NULL);
        g_string_append_printf(s, "%s\n", e);
    }
    if (r->params->names->len > 0) {
        g_string_append_printf(s, "%s", ms_grade_tr(lang, N_("Your values:")));
        for (guint i = 0; i < r->params->names->len; i++)
            g_string_append_printf(s, " %s=%s", (char *) r->params->names->pdata[i],
                                   (char *) r->params->values->pdata[i]);
        g_string_append_c(s, '\n');
    }
    if (r->transcript != NULL)
        g_string_append_printf(s, "%s\n%s",
                               ms_grade_tr(lang, N_("Your dialogue, replayed (\\r\\n: the line "
                                                    "ends as sent):")),
                               r->transcript);
    return g_string_free(s, FALSE);
}

static JsonNode *gradescope_node(const MsGradeResult *r, const char *lang)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    member_num(b, "score", r->score);
    g_autofree char *out = overall_output(r, lang);
    member_str(b, "output", out);
    member_str(b, "visibility", "visible");
    member_str(b, "stdout_visibility", "hidden");
    json_builder_set_member_name(b, "tests");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        json_builder_begin_object(b);
        member_str(b, "name", t->name);
        json_builder_set_member_name(b, "number");
        json_builder_add_string_value(b, t->id);
        member_num(b, "score", t->score);
        member_num(b, "max_score", t->max_score);
        /* Gradescope knows "passed" and "failed" only. */
        member_str(b, "status", t->status == MS_GRADE_PASSED ? "passed" : "failed");
        member_str(b, "output", t->output);
        member_str(b, "visibility", ms_grade_visibility_name(t->visibility));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static JsonNode *prairielearn_node(const MsGradeResult *r, const char *lang)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "gradable");
    json_builder_add_boolean_value(b, TRUE);
    member_num(b, "score", r->max_score > 0 ? r->score / r->max_score : 0);
    member_str(b, "message", r->error != NULL ? r->error : "");
    g_autofree char *out = overall_output(r, lang);
    member_str(b, "output", out);
    json_builder_set_member_name(b, "tests");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        json_builder_begin_object(b);
        member_str(b, "name", t->name);
        member_str(b, "description", t->id);
        member_num(b, "points", t->score);
        member_num(b, "max_points", t->max_score);
        member_str(b, "message", ms_grade_status_name(t->status));
        member_str(b, "output", t->output);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* ---- Control characters ------------------------------------------------------------
 * A submission's bytes reach the reports: what a program printed, a file
 * name as the student id.  A terminal acts on CR and ESC, XML 1.0 forbids
 * most C0 controls even as &#x1b;, YAML (TAP's diagnostics) allows none but
 * TAB and the line breaks.  They are written as text by the rule the
 * replayed dialogue's are (ms_report_append_escaped()): CR as <CR>, LF inside a
 * one-line field as <LF>, the others as \xNN, a byte that is not UTF-8 as
 * \xNN.  The C1 controls (a terminal may read U+009B as ESC [) and
 * U+FFFE/U+FFFF (not characters in XML) are written \u009B.  The bidi
 * controls and the zero-width characters are written <U+202E>: a
 * right-to-left override or an isolate reorders what follows it on the
 * grader's screen ("Trojan Source", CVE-2021-42574), a zero-width space
 * hides in a word, and none of them shows itself.  TAB stays: it is only
 * white space to a terminal, XML and YAML alike. */

/* s made visible (transfer full); LF kept when keep_lf. */
static char *visible(const char *s, gboolean keep_lf)
{
    GString *out = g_string_new(NULL);
    ms_report_append_escaped(out, s, MS_ESCAPE_KEEP_TAB | MS_ESCAPE_C1 | MS_ESCAPE_INVISIBLE |
                                         (keep_lf ? MS_ESCAPE_KEEP_LF : 0));
    return g_string_free(out, FALSE);
}

/* The text report, for a terminal: what a program printed, the feedback
 * and the error may hold a CR or an ESC that would rewrite what the grader
 * reads ("ok\r== fake: 10 of 10 points") (transfer full; frees text). */
static char *text_visible(GString *text)
{
    char *v = visible(text->str, TRUE);
    g_string_free(text, TRUE);
    return v;
}

static void indent(GString *out, const char *text, const char *pad)
{
    g_auto(GStrv) lines = g_strsplit(text != NULL ? text : "", "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (lines[i][0] == '\0' && lines[i + 1] == NULL)
            break;
        g_string_append_printf(out, "%s%s\n", pad, lines[i]);
    }
}

static void text_one(GString *out, const MsGradeResult *r, const char *lang)
{
    g_autofree char *sc = ms_grade_score_text(r->score);
    g_autofree char *mx = ms_grade_score_text(r->max_score);
    /* The id is one line: an LF in a file name must not start a line of
     * its own ("== fake: 10 of 10 points"). */
    g_autofree char *student = visible(r->student, FALSE);
    g_autofree char *head = ms_grade_fmt(lang, N_("{1}: {2} of {3} points ({4})"), student,
                                         sc, mx, r->exercise, NULL);
    g_string_append_printf(out, "== %s\n", head);
    if (r->error != NULL) {
        g_autofree char *e = ms_grade_fmt(lang, N_("not graded: {1}"), r->error, NULL);
        indent(out, e, "   ");
    }
    if (r->params->names->len > 0) {
        g_string_append_printf(out, "   %s", ms_grade_tr(lang, N_("values:")));
        for (guint i = 0; i < r->params->names->len; i++)
            g_string_append_printf(out, " %s=%s", (char *) r->params->names->pdata[i],
                                   (char *) r->params->values->pdata[i]);
        g_string_append_c(out, '\n');
    }
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        g_autofree char *s = ms_grade_score_text(t->score);
        g_autofree char *m = ms_grade_score_text(t->max_score);
        const char *mark = t->status == MS_GRADE_PASSED    ? "PASS"
                           : t->status == MS_GRADE_PARTIAL ? "PART"
                                                           : "FAIL";
        g_string_append_printf(out, "   [%s] %s/%s  %s: %s\n", mark, s, m, t->id, t->name);
        indent(out, t->output, "          ");
    }
    if (r->transcript != NULL) {
        g_string_append_printf(out, "   %s\n", ms_grade_tr(lang, N_("the dialogue, replayed:")));
        indent(out, r->transcript, "   ");
    }
    g_string_append_c(out, '\n');
}

static gint compare_scores(gconstpointer a, gconstpointer b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* Who could not be graded: the first few ids, then how many more. */
#define UNGRADED_LISTED 20u

char *ms_grade_class_summary(const GPtrArray *results, const char *lang)
{
    GString *out = g_string_new(NULL);
    guint n = results->len;
    g_autofree char *ns = g_strdup_printf("%u", n);
    const char *ex = n > 0 ? ((MsGradeResult *) g_ptr_array_index(results, 0))->exercise : "-";
    /* (translated already: "en" only fills the holes in) */
    const char *summary = ms_report_trn(lang, N_("Class summary of {1}: {2} submission"),
                                        N_("Class summary of {1}: {2} submissions"), n);
    g_autofree char *head = ms_grade_fmt("en", summary, ex, ns, NULL);
    g_string_append_printf(out, "== %s\n", head);
    if (n == 0)
        return g_string_free(out, FALSE);
    g_autoptr(GArray) scores = g_array_new(FALSE, FALSE, sizeof(double));
    double sum = 0, max = 0;
    guint errors = 0;
    for (guint i = 0; i < n; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        g_array_append_val(scores, r->score);
        sum += r->score;
        max = MAX(max, r->max_score);
        errors += r->error != NULL;
    }
    g_array_sort(scores, compare_scores);
    double median = n % 2 == 1 ? g_array_index(scores, double, n / 2)
                               : (g_array_index(scores, double, n / 2 - 1) +
                                  g_array_index(scores, double, n / 2)) / 2;
    g_autofree char *mean_s = ms_grade_score_text(sum / n);
    g_autofree char *med_s = ms_grade_score_text(median);
    g_autofree char *min_s = ms_grade_score_text(g_array_index(scores, double, 0));
    g_autofree char *max_s = ms_grade_score_text(g_array_index(scores, double, n - 1));
    g_autofree char *of = ms_grade_score_text(max);
    g_autofree char *line = ms_grade_fmt(lang, N_("mean {1}, median {2}, lowest {3}, highest {4} "
                                                  "(of {5} points)"),
                                         mean_s, med_s, min_s, max_s, of, NULL);
    g_string_append_printf(out, "   %s\n", line);
    if (errors > 0) {
        g_autofree char *es = g_strdup_printf("%u", errors);
        const char *words = ms_report_trn(lang, N_("{1} submission could not be graded as"
                                                   " submitted"),
                                          N_("{1} submissions could not be graded as submitted"),
                                          errors);
        g_autofree char *e = ms_grade_fmt("en", words, es, NULL);
        GString *who = g_string_new(NULL);
        guint listed = 0;
        for (guint i = 0; i < n && listed < UNGRADED_LISTED; i++) {
            const MsGradeResult *r = g_ptr_array_index(results, i);
            if (r->error == NULL)
                continue;
            if (listed++ > 0)
                g_string_append(who, ", ");
            ms_report_append_escaped(who, r->student, MS_ESCAPE_C1 | MS_ESCAPE_INVISIBLE);
        }
        if (errors > listed) {
            g_autofree char *more = g_strdup_printf("%u", errors - listed);
            g_autofree char *m = ms_grade_fmt(lang, N_("and {1} more"), more, NULL);
            g_string_append_printf(who, ", %s", m);
        }
        g_autofree char *named = ms_grade_fmt(lang, N_("{1}: {2}"), e, who->str, NULL);
        g_string_append_printf(out, "   %s\n", named);
        g_string_free(who, TRUE);
    }
    /* Distribution in bands of a fifth of the points, full marks apart. */
    g_string_append_printf(out, "   %s\n", ms_grade_tr(lang, N_("distribution:")));
    static const char *const bands[] = { "  0-19%", " 20-39%", " 40-59%", " 60-79%", " 80-99%",
                                         "   100%" };
    guint count[6] = { 0 };
    for (guint i = 0; i < n; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        double f = r->max_score > 0 ? r->score / r->max_score : 0;
        guint b = f >= 1 - 1e-9 ? 5 : (guint) MIN(4.0, floor(f * 5 + 1e-9));
        count[b]++;
    }
    for (guint b = 0; b < 6; b++) {
        g_string_append_printf(out, "     %s %4u ", bands[b], count[b]);
        guint bar = n > 0 ? (count[b] * 40 + n - 1) / n : 0;
        for (guint k = 0; k < bar; k++)
            g_string_append(out, "#");
        g_string_append_c(out, '\n');
    }
    /* The checks most often failed, most first (ties in rubric order). */
    const MsGradeResult *first = g_ptr_array_index(results, 0);
    guint nt = first->tests->len;
    g_autofree guint *fails = g_new0(guint, MAX(nt, 1));
    for (guint i = 0; i < n; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        for (guint k = 0; k < MIN(nt, r->tests->len); k++) {
            const MsGradeTest *t = g_ptr_array_index(r->tests, k);
            if (t->status != MS_GRADE_PASSED)
                fails[k]++;
        }
    }
    g_string_append_printf(out, "   %s\n", ms_grade_tr(lang, N_("checks most often failed:")));
    gboolean any = FALSE;
    for (guint shown = 0; shown < 5; shown++) {
        guint best = G_MAXUINT;
        for (guint k = 0; k < nt; k++) {
            if (fails[k] > 0 && (best == G_MAXUINT || fails[k] > fails[best]))
                best = k;
        }
        if (best == G_MAXUINT)
            break;
        any = TRUE;
        const MsGradeTest *t = g_ptr_array_index(first->tests, best);
        g_autofree char *a = g_strdup_printf("%u", fails[best]);
        g_autofree char *pct = g_strdup_printf("%.0f%%", 100.0 * fails[best] / n);
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} ({2}): not passed by {3} of {4} ({5})"),
                                          t->id, t->name, a, ns, pct, NULL);
        g_string_append_printf(out, "     %s\n", s);
        fails[best] = 0;
    }
    if (!any)
        g_string_append_printf(out, "     %s\n", ms_grade_tr(lang, N_("none: every check was "
                                                                     "passed by everyone")));
    return g_string_free(out, FALSE);
}

/* ---- XML, TAP and CSV ------------------------------------------------------------ */

/* s as XML character data; an attribute's value is one line (keep_lf
 * FALSE: a parser would make an LF a space). */
static void xml_text(GString *out, const char *s, gboolean keep_lf)
{
    g_autofree char *v = visible(s, keep_lf);
    g_autofree char *e = g_markup_escape_text(v, -1);
    g_string_append(out, e);
}

/* A check not passed is a <failure>; when the submission could not be
 * graded as submitted its checks never ran, and JUnit calls that an
 * <error>.  The testsuite's counts are those elements'. */
static void junit_suite(GString *out, const MsGradeResult *r)
{
    guint not_passed = 0;
    for (guint i = 0; i < r->tests->len; i++)
        not_passed += ((MsGradeTest *) g_ptr_array_index(r->tests, i))->status != MS_GRADE_PASSED;
    const char *element = r->error != NULL ? "error" : "failure";
    g_string_append(out, "  <testsuite name=\"");
    xml_text(out, r->student, FALSE);
    g_string_append_printf(out, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\">\n",
                           r->tests->len, r->error != NULL ? 0 : not_passed,
                           r->error != NULL ? not_passed : 0);
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        g_string_append(out, "    <testcase classname=\"");
        xml_text(out, r->exercise, FALSE);
        g_string_append_c(out, '.');
        xml_text(out, r->student, FALSE);
        g_string_append(out, "\" name=\"");
        xml_text(out, t->id, FALSE);
        g_string_append(out, "\">\n");
        if (t->status != MS_GRADE_PASSED) {
            g_autofree char *s = ms_grade_score_text(t->score);
            g_autofree char *m = ms_grade_score_text(t->max_score);
            g_string_append_printf(out, "      <%s message=\"%s/%s\" type=\"%s\">", element, s,
                                   m, ms_grade_status_name(t->status));
            xml_text(out, t->output, TRUE);
            g_string_append_printf(out, "</%s>\n", element);
        } else {
            g_string_append(out, "      <system-out>");
            xml_text(out, t->output, TRUE);
            g_string_append(out, "</system-out>\n");
        }
        g_string_append(out, "    </testcase>\n");
    }
    if (r->transcript != NULL || r->error != NULL) {
        g_string_append(out, "    <system-out>");
        xml_text(out, r->error != NULL ? r->error : r->transcript, TRUE);
        g_string_append(out, "</system-out>\n");
    }
    g_string_append(out, "  </testsuite>\n");
}

static void tap_yaml_string(GString *out, const char *key, const char *text)
{
    g_string_append_printf(out, "  %s: |\n", key);
    g_autofree char *v = visible(text, TRUE);
    g_auto(GStrv) lines = g_strsplit(v, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf(out, "    %s\n", lines[i]);
}

/* A test point's description: one line, and no directive in it.  TAP 14
 * ("Escaping"): '#' starts a directive ("# TODO" makes a failure pass)
 * unless written \#, and a backslash is then written \\.  The visible
 * escapes' backslashes are doubled too, so a reader that unescapes gets
 * "\x1B" back. */
static void tap_description(GString *out, const char *text)
{
    g_autofree char *v = visible(text, FALSE);
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '#' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
}

static void csv_field(GString *out, const char *s)
{
    /* RFC 4180 2.6-2.7: quote every field, double the quotes inside. */
    g_string_append_c(out, '"');
    for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

static char *csv_class(const GPtrArray *results)
{
    GString *out = g_string_new(NULL);
    const MsGradeResult *first = results->len > 0 ? g_ptr_array_index(results, 0) : NULL;
    csv_field(out, "student");
    g_string_append_c(out, ',');
    csv_field(out, "score");
    g_string_append_c(out, ',');
    csv_field(out, "max_score");
    for (guint k = 0; first != NULL && k < first->tests->len; k++) {
        g_string_append_c(out, ',');
        csv_field(out, ((MsGradeTest *) g_ptr_array_index(first->tests, k))->id);
    }
    g_string_append_c(out, ',');
    csv_field(out, "error");
    g_string_append(out, "\r\n");
    for (guint i = 0; i < results->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        g_autofree char *s = ms_grade_score_text(r->score);
        g_autofree char *m = ms_grade_score_text(r->max_score);
        csv_field(out, r->student);
        g_string_append_c(out, ',');
        csv_field(out, s);
        g_string_append_c(out, ',');
        csv_field(out, m);
        for (guint k = 0; first != NULL && k < first->tests->len; k++) {
            g_string_append_c(out, ',');
            g_autofree char *ts = k < r->tests->len
                                      ? ms_grade_score_text(
                                            ((MsGradeTest *) g_ptr_array_index(r->tests, k))->score)
                                      : g_strdup("");
            csv_field(out, ts);
        }
        g_string_append_c(out, ',');
        csv_field(out, r->error);
        g_string_append(out, "\r\n");
    }
    return g_string_free(out, FALSE);
}

static char *tap_class(const GPtrArray *results)
{
    guint total = 0;
    for (guint i = 0; i < results->len; i++)
        total += ((MsGradeResult *) g_ptr_array_index(results, i))->tests->len;
    GString *out = g_string_new("TAP version 13\n");
    g_string_append_printf(out, "1..%u\n", total);
    guint n = 0;
    for (guint i = 0; i < results->len; i++) {
        const MsGradeResult *r = g_ptr_array_index(results, i);
        for (guint k = 0; k < r->tests->len; k++) {
            const MsGradeTest *t = g_ptr_array_index(r->tests, k);
            g_autofree char *s = ms_grade_score_text(t->score);
            g_autofree char *m = ms_grade_score_text(t->max_score);
            g_autofree char *what = g_strdup_printf("%s %s: %s", r->student, t->id, t->name);
            g_string_append_printf(out, "%s %u - ",
                                   t->status == MS_GRADE_PASSED ? "ok" : "not ok", ++n);
            tap_description(out, what);
            g_string_append_c(out, '\n');
            g_string_append(out, "  ---\n");
            g_string_append_printf(out, "  score: %s\n  max_score: %s\n  status: %s\n", s, m,
                                   ms_grade_status_name(t->status));
            tap_yaml_string(out, "output", t->output);
            g_string_append(out, "  ...\n");
        }
    }
    return g_string_free(out, FALSE);
}

static JsonNode *results_node(const GPtrArray *results)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    member_str(b, "format", RESULTS_FORMAT);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, 1);
    json_builder_set_member_name(b, "results");
    json_builder_begin_array(b);
    for (guint i = 0; i < results->len; i++)
        json_builder_add_value(b, ms_grade_result_to_json(g_ptr_array_index(results, i)));
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

char *ms_grade_format_one(const MsGradeResult *result, MsGradeFormat format, const char *lang)
{
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_ptr_array_add(one, (gpointer) result);
    switch (format) {
    case MS_GRADE_FMT_GRADESCOPE: {
        g_autoptr(JsonNode) n = gradescope_node(result, lang);
        return json_text(n);
    }
    case MS_GRADE_FMT_PRAIRIELEARN: {
        g_autoptr(JsonNode) n = prairielearn_node(result, lang);
        return json_text(n);
    }
    case MS_GRADE_FMT_TEXT: {
        GString *out = g_string_new(NULL);
        ms_report_lang_enter(lang);
        text_one(out, result, lang);
        ms_report_lang_leave(lang);
        return text_visible(out);
    }
    default:
        return ms_grade_format_class(one, format, lang);
    }
}

char *ms_grade_format_class(const GPtrArray *results, MsGradeFormat format, const char *lang)
{
    switch (format) {
    case MS_GRADE_FMT_TEXT: {
        GString *out = g_string_new(NULL);
        ms_report_lang_enter(lang);
        for (guint i = 0; i < results->len; i++)
            text_one(out, g_ptr_array_index(results, i), lang);
        g_autofree char *sum = ms_grade_class_summary(results, lang);
        g_string_append(out, sum);
        ms_report_lang_leave(lang);
        return text_visible(out);
    }
    case MS_GRADE_FMT_GRADESCOPE:
    case MS_GRADE_FMT_PRAIRIELEARN: {
        if (results->len == 1)
            return ms_grade_format_one(g_ptr_array_index(results, 0), format, lang);
        /* Several students: one object, student id -> their results.json. */
        g_autoptr(JsonBuilder) b = json_builder_new();
        json_builder_begin_object(b);
        for (guint i = 0; i < results->len; i++) {
            const MsGradeResult *r = g_ptr_array_index(results, i);
            json_builder_set_member_name(b, r->student);
            json_builder_add_value(b, format == MS_GRADE_FMT_GRADESCOPE
                                          ? gradescope_node(r, lang)
                                          : prairielearn_node(r, lang));
        }
        json_builder_end_object(b);
        g_autoptr(JsonNode) n = json_builder_get_root(b);
        return json_text(n);
    }
    case MS_GRADE_FMT_JUNIT: {
        GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        const char *ex = results->len > 0
                             ? ((MsGradeResult *) g_ptr_array_index(results, 0))->exercise
                             : "mailsim";
        g_string_append(out, "<testsuites name=\"");
        xml_text(out, ex, FALSE);
        g_string_append(out, "\">\n");
        for (guint i = 0; i < results->len; i++)
            junit_suite(out, g_ptr_array_index(results, i));
        g_string_append(out, "</testsuites>\n");
        return g_string_free(out, FALSE);
    }
    case MS_GRADE_FMT_TAP:
        return tap_class(results);
    case MS_GRADE_FMT_CSV:
        return csv_class(results);
    case MS_GRADE_FMT_RESULTS: {
        g_autoptr(JsonNode) n = results_node(results);
        return json_text(n);
    }
    case MS_GRADE_N_FORMATS:
        break;
    }
    return g_strdup("");
}

gboolean ms_grade_results_read(const char *text, gsize len, const char *file, GPtrArray *results,
                               GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) err = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize) len, &err)) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "%s: not a results file: %s", file,
                    err->message);
        return FALSE;
    }
    JsonNode *root = json_parser_get_root(parser);
    JsonObject *o = root != NULL && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root)
                                                                 : NULL;
    const char *fmt = o != NULL && json_object_has_member(o, "format")
                          ? json_object_get_string_member(o, "format")
                          : NULL;
    JsonNode *list = o != NULL && json_object_has_member(o, "results")
                         ? json_object_get_member(o, "results")
                         : NULL;
    if (g_strcmp0(fmt, RESULTS_FORMAT) != 0 || list == NULL || !JSON_NODE_HOLDS_ARRAY(list)) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "%s: not a results file (write one with 'mailsim grade --format results')",
                    file);
        return FALSE;
    }
    JsonArray *a = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        MsGradeResult *r = ms_grade_result_from_json(json_array_get_element(a, i), &err);
        if (r == NULL) {
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "%s: result %u: %s", file, i + 1,
                        err->message);
            return FALSE;
        }
        g_ptr_array_add(results, r);
    }
    return TRUE;
}
