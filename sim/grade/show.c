/* show.c - what a student reads: the exercise's title, their instructions
 * with their own values filled in, what to submit, and for a scenario
 * exercise the scenario to start from.
 */
#include <string.h>

#include "grade/grade-private.h"
#include "report/report-private.h"

char *ms_exercise_show(const MsExercise *ex, const char *student, const char *lang)
{
    g_autoptr(MsGradeParams) params = ms_exercise_params(ex, student);
    GString *out = g_string_new(NULL);
    const char *title = ms_exercise_title(ex, lang);
    g_string_append_printf(out, "%s\n", title);
    /* An underline as wide as the title looks (CJK characters are two
     * columns wide). */
    glong width = 0;
    for (const char *p = title; *p != '\0'; p = g_utf8_next_char(p))
        width += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
    for (glong i = 0; i < MIN(width, 72); i++)
        g_string_append_c(out, '=');
    g_string_append(out, "\n\n");
    g_autofree char *text = ms_exercise_instructions(ex, params, lang);
    g_string_append(out, text);
    if (out->len > 0 && out->str[out->len - 1] != '\n')
        g_string_append_c(out, '\n');
    ms_report_lang_enter(lang);
    /* What kind of work it is, in the student's words. */
    static const char *const kinds[] = {
        [MS_GRADE_DIALOGUE] = N_("a dialogue"),
        [MS_GRADE_ANSWERS] = N_("answers"),
        [MS_GRADE_SCENARIO] = N_("a scenario"),
        [MS_GRADE_PROGRAM] = N_("a program"),
    };
    const char *kind = ex->kind < G_N_ELEMENTS(kinds) && kinds[ex->kind] != NULL
                           ? ms_grade_tr(lang, kinds[ex->kind])
                           : ms_grade_kind_name(ex->kind);
    g_autofree char *submit = ms_grade_fmt(lang, N_("Submit: {1} (file {2})"), kind,
                                           ms_exercise_submission_file(ex), NULL);
    g_string_append_printf(out, "\n%s\n", submit);
    if (params->names->len > 0) {
        g_string_append_printf(out, "\n%s\n",
                               student != NULL ? ms_grade_tr(lang, N_("Your values:"))
                                               : ms_grade_tr(lang, N_("Values (defaults):")));
        for (guint i = 0; i < params->names->len; i++)
            g_string_append_printf(out, "  %s = %s\n", (char *) params->names->pdata[i],
                                   (char *) params->values->pdata[i]);
    }
    if (ex->kind == MS_GRADE_SCENARIO) {
        g_autofree char *sc = ms_exercise_scenario_text(ex, params);
        /* The embedded scenario keeps the exercise's line numbers as blank
         * lines: a student gets it without them. */
        const char *start = sc;
        while (*start == '\n')
            start++;
        g_string_append_printf(out, "\n%s\n%s",
                               ms_grade_tr(lang, N_("The scenario to start from:")), start);
    }
    ms_report_lang_leave(lang);
    return g_string_free(out, FALSE);
}
