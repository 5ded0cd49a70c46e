/* cmd_exercise.c - `mailsim exercise show|check|solve EXERCISE`: what a
 * student is asked (with their own values), whether the exercise holds
 * together (its model solution must reach full marks), and the answers the
 * simulation computes.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "mailsim/grade.h"
#include "mailsim/report.h"

static int show(const MsExercise *ex, const char *student, const char *lang)
{
    g_autofree char *text = ms_exercise_show(ex, student, lang);
    fputs(text, stdout);
    return MS_EXIT_OK;
}

/* The model solution's text; FALSE after saying why it cannot be read
 * (where the exercise names it, when it does). */
static gboolean read_model(const MsExercise *ex, const char *model, char **text_out,
                           gsize *len_out)
{
    g_autoptr(GError) error = NULL;
    if (g_file_get_contents(model, text_out, len_out, &error))
        return TRUE;
    MsLoc loc = ms_exercise_model_loc(ex);
    const char *named = ms_exercise_model(ex);
    if (named != NULL && strcmp(named, model) == 0 && loc.line > 0)
        fprintf(stderr, "%s:%u:%u: error: cannot read the model solution: %s\n",
                ms_exercise_path(ex), loc.line, loc.column, error->message);
    else
        ms_cli_error("cannot read the model solution: %s", error->message);
    return FALSE;
}

static int solve(const MsExercise *ex, const char *student, const char *model, const char *lang)
{
    g_autoptr(MsGradeParams) params = ms_exercise_params(ex, student);
    g_autoptr(GError) error = NULL;
    if (ms_exercise_kind(ex) == MS_GRADE_ANSWERS) {
        g_autofree char *answers = ms_exercise_solve(ex, params, &error);
        if (answers == NULL) {
            fprintf(stderr, "%s\n", error->message);
            return MS_EXIT_FAILURE;
        }
        if (student != NULL)
            printf("# %s\n", student);
        fputs(answers, stdout);
        return MS_EXIT_OK;
    }
    if (model == NULL) {
        ms_cli_error("%s has no model solution to replay (give --model FILE)",
                     ms_exercise_path(ex));
        return MS_EXIT_FAILURE;
    }
    /* The model, graded as this student: its run is the computed answer. */
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!read_model(ex, model, &text, &len))
        return MS_EXIT_FAILURE;
    MsGradeOptions go = { .lang = lang, .params = params };
    g_autofree char *filled = ms_exercise_fill(ex, params, text);
    const char *sol = filled != NULL ? filled : text;
    g_autoptr(MsGradeResult) r =
        ms_grade_text(ex, student != NULL ? student : "model", sol, strlen(sol), &go);
    g_autofree char *out = ms_grade_format_one(r, MS_GRADE_FMT_TEXT, lang);
    fputs(out, stdout);
    return MS_EXIT_OK;
}

/* The model must reach full marks for the default values and for some
 * students' values; answers must be computable for each. */
static int check(const MsExercise *ex, const char *model, const char *lang)
{
    static const char *const students[] = { NULL, "student-1", "student-2", "student-3" };
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (model != NULL && !read_model(ex, model, &text, &len))
        return MS_EXIT_FAILURE;
    for (gsize i = 0; i < G_N_ELEMENTS(students); i++) {
        g_autoptr(MsGradeParams) params = ms_exercise_params(ex, students[i]);
        g_autofree char *answers = NULL;
        if (ms_exercise_kind(ex) == MS_GRADE_ANSWERS) {
            answers = ms_exercise_solve(ex, params, &error);
            if (answers == NULL) {
                fprintf(stderr, "%s\n", error->message);
                return MS_EXIT_FAILURE;
            }
        }
        /* A model may hold ${name}: each student's own values. */
        g_autofree char *filled = text != NULL ? ms_exercise_fill(ex, params, text) : NULL;
        const char *sol = answers != NULL ? answers : filled != NULL ? filled : text;
        if (sol == NULL)
            continue;
        MsGradeOptions go = { .lang = lang, .params = params };
        const char *who = students[i] != NULL ? students[i] : "model";
        g_autoptr(MsGradeResult) r = ms_grade_text(ex, who, sol, strlen(sol), &go);
        if (r->score < r->max_score - 1e-9) {
            fprintf(stderr, "%s: error: the model solution does not reach full marks for %s:\n",
                    ms_exercise_path(ex), who);
            g_autofree char *out = ms_grade_format_one(r, MS_GRADE_FMT_TEXT, lang);
            fputs(out, stderr);
            return MS_EXIT_FAILURE;
        }
    }
    printf("%s: ok (%s, %g points%s)\n", ms_exercise_path(ex),
           ms_grade_kind_name(ms_exercise_kind(ex)), ms_exercise_max_score(ex),
           text != NULL || ms_exercise_kind(ex) == MS_GRADE_ANSWERS
               ? "; the model solution reaches full marks"
               : "; no model solution to try");
    return MS_EXIT_OK;
}

int ms_cli_exercise(int argc, char **argv)
{
    g_autofree char *student = NULL;
    g_autofree char *lang = NULL;
    g_autofree char *model = NULL;
    GOptionEntry entries[] = {
        { "student", 0, 0, G_OPTION_ARG_STRING, &student,
          "The values of this student (show, solve)", "ID" },
        { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, "Language: en or zh", "LANG" },
        { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
          "The model solution (default: the exercise's 'model')", "FILE" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("show|check|solve EXERCISE");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(
        ctx, "show: the student's instructions (with --student, their own values)\n"
             "check: validate the exercise; its model solution must reach full marks\n"
             "solve: the answers the simulation computes (with --student, for that student)\n"
             "Exit status: 0 ok, 1 the exercise is broken, 2 usage error.");
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        ms_cli_error("%s", error->message);
        return MS_EXIT_USAGE;
    }
    if (!ms_cli_lang(&lang))
        return MS_EXIT_USAGE;
    static const char *const verbs[] = { "show", "check", "solve" };
    int verb = -1;
    for (int i = 0; argc == 3 && i < 3; i++) {
        if (strcmp(argv[1], verbs[i]) == 0)
            verb = i;
    }
    if (verb < 0) {
        ms_cli_error("usage: mailsim exercise show|check|solve EXERCISE (try 'mailsim exercise "
                     "--help')");
        return MS_EXIT_USAGE;
    }
    g_autoptr(MsExercise) ex = ms_exercise_load(argv[2], &error);
    if (ex == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return MS_EXIT_FAILURE;
    }
    const char *m = model != NULL ? model : ms_exercise_model(ex);
    switch (verb) {
    case 0: return show(ex, student, lang);
    case 1: return check(ex, m, lang);
    default: return solve(ex, student, m, lang);
    }
}
