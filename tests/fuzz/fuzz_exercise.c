/* fuzz_exercise.c - the exercise reader on arbitrary bytes.  An exercise file
 * is untrusted input (a teaching assistant's, or one passed around between
 * courses), and the promise is the one `mailsim exercise check` makes: it is
 * accepted, or refused with every error positioned ("file:line:column:
 * error: ...").  What it accepts must then hold for every student: the
 * instructions and the scenario come out for any student id, and the
 * scenario, filled in with their values, reads and builds.
 *
 * The file is read as if it were scenarios/exercises/fuzz.exercise, so a
 * 'model' or 'scenario "FILE"' may name the shipped files beside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailsim/grade.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"

#define PATH "scenarios/exercises/fuzz.exercise"

/* Every line of a refusal says where: "FILE:LINE:COLUMN: error: ...", line
 * and column from 1; the only others are the parameters a scenario error
 * was found with ("  (with the parameters a=1 b=2)"). */
static gboolean positioned(const char *message)
{
    static GRegex *re;
    if (re == NULL)
        re = g_regex_new("^.+:[1-9][0-9]*:[1-9][0-9]*: error: ", G_REGEX_OPTIMIZE, 0, NULL);
    g_auto(GStrv) lines = g_strsplit(message, "\n", -1);
    if (lines[0] == NULL)
        return FALSE;
    for (guint i = 0; lines[i] != NULL; i++) {
        if (i > 0 && g_str_has_prefix(lines[i], "  (with the parameters "))
            continue;
        if (!g_regex_match(re, lines[i], 0, NULL))
            return FALSE;
    }
    return TRUE;
}

/* One student's view of an accepted exercise. */
static void student(const MsExercise *ex, const char *id)
{
    g_autoptr(MsGradeParams) params = ms_exercise_params(ex, id);
    g_free(ms_exercise_show(ex, id, "en"));
    g_free(ms_exercise_show(ex, id, "zh"));
    g_free(ms_exercise_instructions(ex, params, "zh"));
    g_autofree char *text = ms_exercise_scenario_text(ex, params);
    if (text == NULL) {
        fprintf(stderr, "accepted, but student '%s' gets no scenario\n", id);
        abort();
    }
    GError *error = NULL;
    MsScenario *sc = ms_scenario_parse_string(text, -1, PATH, &error);
    if (sc == NULL) {
        fprintf(stderr, "accepted, but student '%s' gets a broken scenario: %s\n", id,
                error->message);
        abort();
    }
    MsWorld *world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL) {
        fprintf(stderr, "accepted, but student '%s' gets a world that does not build: %s\n", id,
                error->message);
        abort();
    }
    ms_world_free(world);
    ms_scenario_free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    MsExercise *ex = ms_exercise_parse((const char *) data, size, PATH, &error);
    if (ex == NULL) {
        if (error == NULL || !positioned(error->message)) {
            fprintf(stderr, "refused without a position: %s\n",
                    error != NULL ? error->message : "(no error)");
            abort();
        }
        g_error_free(error);
        return 0;
    }
    (void) ms_exercise_title(ex, "zh");
    (void) ms_exercise_submission_file(ex);
    (void) ms_exercise_max_score(ex);
    /* The defaults, and two students (as `exercise check` grades three). */
    student(ex, NULL);
    student(ex, "alice");
    student(ex, "\xE5\xAD\xA6\xE7\x94\x9F-42");
    ms_exercise_free(ex);
    return 0;
}
