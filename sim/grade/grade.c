/* grade.c - grading one submission: run the exercise's scenario for this
 * student, then apply the rubric to the run's trace.
 *
 * A dialogue becomes one more action of the scenario: a telnet action (the
 * same one a scenario's 'telnet' block makes) whose typed lines are the
 * student's, each with the line end it had in the file, so the real server
 * engine and the real line reader answer it.  Answers are compared with
 * values computed from the scenario run with the student's parameters; a
 * scenario submission is itself run.  Whatever goes wrong with a
 * submission gives a failing result that says why, never an error.
 */
#include <signal.h>
#include <string.h>

#include "grade/grade-private.h"
#include "mailsim/report.h"
#include "mailsim/world.h"
#include "report/report-private.h"
#include "scenario/scenario-private.h"

char *ms_grade_student_id(const char *path)
{
    g_autofree char *copy = g_strdup(path);
    gsize n = strlen(copy);
    while (n > 1 && copy[n - 1] == G_DIR_SEPARATOR)
        copy[--n] = '\0';
    char *base = g_path_get_basename(copy);
    char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base && !g_file_test(path, G_FILE_TEST_IS_DIR))
        *dot = '\0';
    return base;
}

/* Adds the student's dialogue to the scenario as a telnet action, after
 * the actions at the same time or earlier (the list stays in time order). */
static void add_dialogue(const MsExercise *ex, MsScenario *sc, const Dialogue *d,
                         gboolean crlf_typed)
{
    MsScAction *act = ms_sc_action_new(MS_SC_TELNET);
    act->at = ex->at;
    act->host = g_strdup(ex->host);
    act->target = g_strdup(ex->server);
    act->port = ex->port;
    for (guint i = 0; i < d->typed->len; i++) {
        const TypedLine *t = g_ptr_array_index(d->typed, i);
        MsScTelnetStep *step = g_new0(MsScTelnetStep, 1);
        step->kind = MS_SC_STEP_TYPE;
        step->text = g_strdup(t->text);
        step->end = crlf_typed ? MS_SC_EOL_CRLF : t->end;
        step->loc = (MsLoc) { t->line, 1 };
        g_ptr_array_add(act->steps, step);
    }
    guint pos = 0;
    while (pos < sc->actions->len &&
           ((MsScAction *) g_ptr_array_index(sc->actions, pos))->at <= act->at)
        pos++;
    g_ptr_array_insert(sc->actions, (gint) pos, act);
}

MsScenario *ms_grade_exercise_scenario(const MsExercise *ex, const MsGradeParams *params,
                                       char **why_out)
{
    g_autofree char *text = ms_exercise_scenario_text(ex, params);
    g_autoptr(GError) err = NULL;
    MsScenario *sc = text != NULL ? ms_scenario_parse_string(text, -1, ex->scenario_file, &err)
                                  : NULL;
    if (sc == NULL)
        *why_out = g_strdup_printf("the exercise's scenario is broken for these parameters: %s",
                                   err != NULL ? err->message : "unknown parameter");
    return sc;
}

/* A submitted scenario may not read files: it is untrusted, and the
 * grader's files are none of its business. */
static gboolean reads_files(const MsScenario *sc)
{
    for (guint i = 0; i < sc->actions->len; i++) {
        const MsScAction *a = g_ptr_array_index(sc->actions, i);
        if (a->attachments->len > 0 || a->body_file != NULL || a->html_file != NULL)
            return TRUE;
    }
    return FALSE;
}

void ms_grade_append_visible(GString *out, const char *text, const char *eol)
{
    g_autofree char *t = ms_report_escape_text(text != NULL ? text : "");
    g_string_append(out, t);
    if (eol == NULL || *eol == '\0')
        g_string_append(out, "<no line end>");
    for (const char *p = eol; p != NULL && *p != '\0'; p++)
        g_string_append(out, *p == '\r' ? "\\r" : *p == '\n' ? "\\n" : "?");
}

char *ms_grade_signal_name(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        { SIGHUP, "SIGHUP" },   { SIGINT, "SIGINT" },   { SIGQUIT, "SIGQUIT" },
        { SIGILL, "SIGILL" },   { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
        { SIGBUS, "SIGBUS" },   { SIGFPE, "SIGFPE" },   { SIGKILL, "SIGKILL" },
        { SIGSEGV, "SIGSEGV" }, { SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" },
        { SIGTERM, "SIGTERM" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
        { SIGSYS, "SIGSYS" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i].sig == sig)
            return g_strdup(names[i].name);
    }
    return g_strdup_printf("signal %d", sig);
}

/* The replayed dialogue, CR and LF shown: what the student typed and what
 * the server answered, then the lines never sent. */
static char *dialogue_transcript(const Facts *f, const Dialogue *d, const char *lang)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < f->lines->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->lines, i);
        g_string_append_printf(out, "%8.3f s  %s ", (double) r->time / 1e9,
                               r->dir == MS_DIR_CLIENT ? "C:" : "S:");
        ms_grade_append_visible(out, r->text, r->eol);
        g_string_append_c(out, '\n');
    }
    if (f->lines->len == 0)
        g_string_append_printf(out, "%s\n", ms_grade_tr(lang, N_("(no line was exchanged)")));
    for (guint i = f->typed->len; d != NULL && i < d->typed->len; i++) {
        const TypedLine *t = g_ptr_array_index(d->typed, i);
        g_autofree char *n = g_strdup_printf("%u", t->line);
        g_autofree char *s = ms_grade_fmt(lang, N_("line {1} was never sent: the connection "
                                                   "had closed"),
                                          n, NULL);
        g_string_append_printf(out, "          -- %s: ", s);
        /* (the line end it has in the submission, which it would have
         * been sent with) */
        ms_grade_append_visible(out, t->text, ms_sc_line_end_octets(t->end));
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

MsGradeResult *ms_grade_evaluate(const MsExercise *ex, const char *student,
                                 const MsGradeParams *params, Facts *f, const char *lang)
{
    MsGradeResult *res = ms_grade_result_new(student, ex->id);
    for (guint i = 0; params != NULL && i < params->names->len; i++)
        ms_grade_params_add(res->params, params->names->pdata[i], params->values->pdata[i]);
    res->max_score = ex->max_score;
    ms_report_lang_enter(lang);
    for (guint i = 0; i < ex->checks->len; i++) {
        const Check *c = g_ptr_array_index(ex->checks, i);
        g_autofree char *detail = NULL;
        double frac = ms_grade_check_eval(c, f, lang, &detail);
        MsGradeTest *t = ms_grade_test_new();
        t->id = g_strdup(c->id);
        t->name = g_strdup(ms_grade_pick((char **) c->title, lang) != NULL
                               ? ms_grade_pick((char **) c->title, lang)
                               : c->id);
        t->max_score = c->points;
        t->score = (double) (gint64) (c->points * frac * 100.0 + 0.5) / 100.0;
        t->status = frac >= 1.0 - 1e-9 ? MS_GRADE_PASSED
                    : frac <= 1e-9    ? MS_GRADE_FAILED
                                      : MS_GRADE_PARTIAL;
        t->visibility = c->visibility;
        const char *says = ms_grade_pick((char **) (t->status == MS_GRADE_PASSED ? c->pass
                                                                                 : c->fail),
                                         lang);
        g_autofree char *said = ms_grade_substitute(says, params, NULL);
        if (said == NULL)
            said = g_strdup(says);
        t->output = *detail != '\0' ? g_strdup_printf("%s\n%s", said, detail) : g_strdup(said);
        res->score += t->score;
        g_ptr_array_add(res->tests, t);
    }
    ms_report_lang_leave(lang);
    return res;
}

MsGradeResult *ms_grade_run_evaluate(const MsExercise *ex, const char *student,
                                     const MsGradeParams *params, const MsGradeRun *run,
                                     const MsGradeOptions *options)
{
    const char *lang = options != NULL && options->lang != NULL ? options->lang : "en";
    Facts *f = ms_grade_facts_new(run);
    f->params = params;
    MsGradeResult *res = ms_grade_evaluate(ex, student, params, f, lang);
    ms_grade_facts_free(f);
    return res;
}

/* Builds and runs the world; FALSE with a reason when it cannot run. */
static MsWorld *run_world(const MsScenario *sc, const char *lang, char **why_out)
{
    g_autoptr(GError) err = NULL;
    MsWorld *world = ms_world_new(sc, sc->seed, &err);
    if (world == NULL) {
        *why_out = ms_grade_fmt(lang, N_("the simulation could not start: {1}"), err->message,
                                NULL);
        return NULL;
    }
    if (!ms_world_run(world, MS_TIME_NEVER, &err)) {
        *why_out = ms_grade_fmt(lang, N_("the simulation stopped: {1}"), err->message, NULL);
        ms_world_free(world);
        return NULL;
    }
    return world;
}

MsGradeResult *ms_grade_text(const MsExercise *ex, const char *student, const char *text,
                             gsize len, const MsGradeOptions *options)
{
    const char *lang = options != NULL && options->lang != NULL ? options->lang : "en";
    gboolean crlf_typed = options != NULL && options->crlf_typed;
    g_autoptr(MsGradeParams) params = ms_exercise_params(ex, student);
    if (options != NULL && options->params != NULL) {
        ms_grade_params_free(params);
        params = ms_grade_params_new();
        for (guint i = 0; i < options->params->names->len; i++)
            ms_grade_params_add(params, options->params->names->pdata[i],
                                options->params->values->pdata[i]);
    }
    g_autofree char *why = NULL;
    if (!ms_grade_screen(text, len, lang, &why))
        return ms_grade_result_failing(ex, student, params, why, lang);
    /* Some editors (Windows Notepad) start a UTF-8 file with a byte order
     * mark: it is not what the student typed or answered. */
    if ((ex->kind == MS_GRADE_DIALOGUE || ex->kind == MS_GRADE_ANSWERS) && len >= 3 &&
        memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }

    g_autoptr(MsScenario) sc = NULL;
    Dialogue *d = NULL;
    g_autoptr(GHashTable) answers = NULL;
    switch (ex->kind) {
    case MS_GRADE_DIALOGUE:
        d = ms_grade_dialogue_parse(text, len, lang, &why);
        if (d != NULL)
            sc = ms_grade_exercise_scenario(ex, params, &why);
        if (sc != NULL)
            add_dialogue(ex, sc, d, crlf_typed);
        break;
    case MS_GRADE_ANSWERS:
        answers = ms_grade_answers_parse(text, len, lang, &why);
        if (answers != NULL)
            sc = ms_grade_exercise_scenario(ex, params, &why);
        break;
    case MS_GRADE_SCENARIO: {
        g_autoptr(GError) err = NULL;
        g_autofree char *name = g_strdup_printf("%s.mss", student);
        sc = ms_scenario_parse_string(text, (gssize) len, name, &err);
        if (sc == NULL)
            why = ms_grade_fmt(lang, N_("the scenario has errors:\n{1}"), err->message, NULL);
        else if (reads_files(sc)) {
            why = g_strdup(ms_grade_tr(lang, N_("a submitted scenario may not read files "
                                                "(attach, body-file, html-file)")));
            g_clear_pointer(&sc, ms_scenario_free);
        }
        break;
    }
    case MS_GRADE_PROGRAM:
        /* Run for real, against a live server: nothing to simulate here. */
        return ms_grade_program(ex, student, params, text, len, options);
    default:
        why = g_strdup_printf("%s submissions are not graded from a file",
                              ms_grade_kind_name(ex->kind));
        break;
    }
    MsWorld *world = sc != NULL ? run_world(sc, lang, &why) : NULL;
    if (world == NULL) {
        ms_grade_dialogue_free(d);
        return ms_grade_result_failing(ex, student, params, why, lang);
    }
    MsGradeRun run = { 0 };
    run.trace = ms_world_trace(world);
    if (d != NULL) {
        run.conn = ms_grade_find_conn(run.trace, ex->host, ex->server, ex->port, ex->at);
        run.predictions = d->has_predictions ? d->predictions : NULL;
    }
    g_autoptr(GArray) file_ends = NULL;
    if (d != NULL && crlf_typed) {
        file_ends = g_array_sized_new(FALSE, FALSE, sizeof(MsScLineEnd), d->typed->len);
        for (guint i = 0; i < d->typed->len; i++)
            g_array_append_val(file_ends, ((const TypedLine *) d->typed->pdata[i])->end);
        run.file_ends = file_ends;
    }
    run.answers = answers;
    Facts *f = ms_grade_facts_new(&run);
    f->params = params;
    MsGradeResult *res = ms_grade_evaluate(ex, student, params, f, lang);
    if (d != NULL) {
        ms_report_lang_enter(lang);
        res->transcript = dialogue_transcript(f, d, lang);
        ms_report_lang_leave(lang);
    }
    ms_grade_facts_free(f);
    ms_grade_dialogue_free(d);
    ms_world_free(world);
    return res;
}

/* A folder is one student's: the exercise's file in it, or its only file. */
static char *file_in_folder(const MsExercise *ex, const char *dir, const char *lang,
                            char **why_out)
{
    char *named = g_build_filename(dir, ms_exercise_submission_file(ex), NULL);
    if (g_file_test(named, G_FILE_TEST_IS_REGULAR))
        return named;
    g_free(named);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    char *only = NULL;
    guint n = 0;
    for (const char *e = d != NULL ? g_dir_read_name(d) : NULL; e != NULL;
         e = g_dir_read_name(d)) {
        g_autofree char *p = g_build_filename(dir, e, NULL);
        if (e[0] == '.' || !g_file_test(p, G_FILE_TEST_IS_REGULAR))
            continue;
        n++;
        if (only == NULL)
            only = g_steal_pointer(&p);
    }
    if (n == 1)
        return only;
    g_free(only);
    *why_out = ms_grade_fmt(lang, N_("the folder holds no {1} (and not exactly one file)"),
                            ms_exercise_submission_file(ex), NULL);
    return NULL;
}

MsGradeResult *ms_grade_submission(const MsExercise *ex, const char *path,
                                   const MsGradeOptions *options)
{
    const char *lang = options != NULL && options->lang != NULL ? options->lang : "en";
    g_autofree char *student = options != NULL && options->student != NULL
                                   ? g_strdup(options->student)
                                   : ms_grade_student_id(path);
    g_autofree char *why = NULL;
    g_autofree char *file = g_file_test(path, G_FILE_TEST_IS_DIR)
                                ? file_in_folder(ex, path, lang, &why)
                                : g_strdup(path);
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    g_autofree char *text = file != NULL ? ms_grade_read_bounded(file, &len, &err) : NULL;
    if (text == NULL) {
        g_autoptr(MsGradeParams) params = ms_exercise_params(ex, student);
        return ms_grade_result_failing(ex, student, params, why != NULL ? why : err->message,
                                       lang);
    }
    return ms_grade_text(ex, student, text, len, options);
}

char *ms_exercise_solve(const MsExercise *ex, const MsGradeParams *params, GError **error)
{
    g_autofree char *why = NULL;
    g_autoptr(MsScenario) sc = ms_grade_exercise_scenario(ex, params, &why);
    g_autoptr(MsWorld) world = sc != NULL ? run_world(sc, "en", &why) : NULL;
    if (world == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SIMULATION, "%s: %s", ex->path, why);
        return NULL;
    }
    MsGradeRun run = { .trace = ms_world_trace(world) };
    Facts *f = ms_grade_facts_new(&run);
    f->params = params;
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < ex->checks->len; i++) {
        const Check *c = g_ptr_array_index(ex->checks, i);
        for (guint j = 0; j < c->preds->len; j++) {
            const Pred *p = g_ptr_array_index(c->preds, j);
            if (p->kind != PRED_ANSWER)
                continue;
            g_autofree char *w = NULL;
            g_autofree char *v = ms_grade_expected_text(f, p, &w);
            if (v == NULL) {
                g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO, "%s:%u:%u: error: %s", ex->path,
                            p->loc.line, p->loc.column, w);
                ms_grade_facts_free(f);
                g_string_free(out, TRUE);
                return NULL;
            }
            g_string_append_printf(out, "%s = %s\n", p->answer, v);
        }
    }
    ms_grade_facts_free(f);
    return g_string_free(out, FALSE);
}
