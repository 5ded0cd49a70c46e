/* params.c - per-student variants: every student gets their own values of
 * the exercise's parameters, derived from the student id alone.
 *
 * A value is drawn from a GRand seeded with a hash of the exercise id, the
 * student id and the parameter's name (FNV-1a, 64 bits: the same on every
 * machine and in every GLib version, unlike g_str_hash's documented
 * freedom to change), so a grader on any machine, a shard of a class, and
 * `mailsim exercise show --student ID` all agree on the numbers.
 */
#include <string.h>

#include "grade/grade-private.h"

void ms_grade_param_free(gpointer data)
{
    GradeParam *p = data;
    if (p == NULL)
        return;
    g_free(p->name);
    g_clear_pointer(&p->choices, g_ptr_array_unref);
    g_free(p->unit);
    g_free(p->def);
    g_free(p);
}

MsGradeParams *ms_grade_params_new(void)
{
    MsGradeParams *p = g_new0(MsGradeParams, 1);
    p->names = g_ptr_array_new_with_free_func(g_free);
    p->values = g_ptr_array_new_with_free_func(g_free);
    return p;
}

void ms_grade_params_free(MsGradeParams *params)
{
    if (params == NULL)
        return;
    g_ptr_array_unref(params->names);
    g_ptr_array_unref(params->values);
    g_free(params);
}

void ms_grade_params_add(MsGradeParams *p, const char *name, const char *value)
{
    g_ptr_array_add(p->names, g_strdup(name));
    g_ptr_array_add(p->values, g_strdup(value));
}

const char *ms_grade_params_get(const MsGradeParams *params, const char *name)
{
    for (guint i = 0; params != NULL && i < params->names->len; i++) {
        if (strcmp(g_ptr_array_index(params->names, i), name) == 0)
            return g_ptr_array_index(params->values, i);
    }
    return NULL;
}

static guint64 fnv1a(guint64 h, const char *s)
{
    for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
        h ^= *p;
        h *= G_GUINT64_CONSTANT(1099511628211);
    }
    /* A separator, so ("ab","c") and ("a","bc") differ. */
    h ^= 0xFF;
    h *= G_GUINT64_CONSTANT(1099511628211);
    return h;
}

static char *range_value(const GradeParam *p, guint64 k)
{
    double v = p->low + (double) k * p->step;
    return g_strdup_printf("%.*f%s", p->decimals, v, p->unit);
}

static guint64 range_count(const GradeParam *p)
{
    return (guint64) ((p->high - p->low) / p->step + 1e-9) + 1;
}

MsGradeParams *ms_exercise_params(const MsExercise *ex, const char *student)
{
    MsGradeParams *out = ms_grade_params_new();
    for (guint i = 0; i < ex->params->len; i++) {
        const GradeParam *p = g_ptr_array_index(ex->params, i);
        if (student == NULL) {
            ms_grade_params_add(out, p->name, p->def);
            continue;
        }
        guint64 h = G_GUINT64_CONSTANT(14695981039346656037);
        h = fnv1a(h, ex->id);
        h = fnv1a(h, student);
        h = fnv1a(h, p->name);
        GRand *rand = g_rand_new_with_seed_array((const guint32[]) { (guint32) h,
                                                                     (guint32) (h >> 32) },
                                                 2);
        char *value = NULL;
        if (p->kind == PARAM_CHOICE) {
            gint32 k = g_rand_int_range(rand, 0, (gint32) p->choices->len);
            value = g_strdup(g_ptr_array_index(p->choices, k));
        } else {
            gint32 k = g_rand_int_range(rand, 0, (gint32) range_count(p));
            value = range_value(p, (guint64) k);
        }
        g_rand_free(rand);
        g_ptr_array_add(out->names, g_strdup(p->name));
        g_ptr_array_add(out->values, value);
    }
    return out;
}

GPtrArray *ms_grade_param_sets(const MsExercise *ex)
{
    GPtrArray *sets = g_ptr_array_new_with_free_func((GDestroyNotify) ms_grade_params_free);
    g_ptr_array_add(sets, ms_exercise_params(ex, NULL));
    for (guint i = 0; i < ex->params->len; i++) {
        const GradeParam *p = g_ptr_array_index(ex->params, i);
        guint n = p->kind == PARAM_CHOICE ? p->choices->len : 2;
        for (guint k = 0; k < n; k++) {
            MsGradeParams *set = ms_exercise_params(ex, NULL);
            char *v = p->kind == PARAM_CHOICE ? g_strdup(g_ptr_array_index(p->choices, k))
                                              : range_value(p, k == 0 ? 0 : range_count(p) - 1);
            g_free(set->values->pdata[i]);
            set->values->pdata[i] = v;
            g_ptr_array_add(sets, set);
        }
    }
    return sets;
}

char *ms_grade_substitute(const char *text, const MsGradeParams *params, gsize *bad_out)
{
    GString *out = g_string_sized_new(strlen(text));
    for (const char *p = text; *p != '\0';) {
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p + 2, '}');
            const char *nl = strchr(p + 2, '\n');
            g_autofree char *name = end != NULL && (nl == NULL || end < nl)
                                        ? g_strndup(p + 2, (gsize) (end - p - 2))
                                        : NULL;
            const char *value = name != NULL ? ms_grade_params_get(params, name) : NULL;
            if (value == NULL) {
                if (bad_out != NULL)
                    *bad_out = (gsize) (p - text);
                g_string_free(out, TRUE);
                return NULL;
            }
            g_string_append(out, value);
            p = end + 1;
            continue;
        }
        g_string_append_c(out, *p++);
    }
    return g_string_free(out, FALSE);
}

char *ms_exercise_fill(const MsExercise *ex, const MsGradeParams *params, const char *text)
{
    (void) ex;
    return ms_grade_substitute(text, params, NULL);
}

char *ms_exercise_scenario_text(const MsExercise *ex, const MsGradeParams *params)
{
    return ms_grade_substitute(ex->scenario, params, NULL);
}

char *ms_exercise_instructions(const MsExercise *ex, const MsGradeParams *params,
                               const char *lang)
{
    GString *s = ex->instructions[LANG_INDEX(lang)];
    if (s == NULL)
        s = ex->instructions[0];
    if (s == NULL)
        return g_strdup("");
    char *text = ms_grade_substitute(s->str, params, NULL);
    /* An unknown name in the instructions is shown as written. */
    return text != NULL ? text : g_strdup(s->str);
}
