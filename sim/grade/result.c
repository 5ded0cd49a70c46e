/* result.c - one student's graded result, and mailsim's own JSON for it.
 *
 * The JSON ("results" format) is what a worker process hands back to the
 * batch and what `mailsim grade --shard K/N` writes for `--merge` to read:
 * it holds everything every output format needs, so a merged class prints
 * exactly as if it had been graded on one machine.
 */
#include <math.h>
#include <string.h>

#include "grade/grade-private.h"

#define RESULTS_FORMAT "mailsim-grade-results"
#define RESULTS_VERSION 1

static const char *const status_names[] = {
#define MS_GRADE_NAME_(e, s) s,
    MS_GRADE_STATUSES(MS_GRADE_NAME_)
#undef MS_GRADE_NAME_
};

const char *ms_grade_status_name(MsGradeStatus s)
{
    g_return_val_if_fail(s < MS_GRADE_N_STATUSES, "?");
    return status_names[s];
}

MsGradeTest *ms_grade_test_new(void)
{
    return g_new0(MsGradeTest, 1);
}

void ms_grade_test_free(gpointer data)
{
    MsGradeTest *t = data;
    if (t == NULL)
        return;
    g_free(t->id);
    g_free(t->name);
    g_free(t->output);
    g_free(t);
}

/* An id as UTF-8 text.  A student id is made from a file name, and an
 * exercise id too, and a file name is bytes: one from an old archive may be
 * Latin-1 ("m\xFCller.txt").  No JSON can carry such a byte, so the worker's
 * result would not read back and the student would get no grade; each is
 * written \xFC instead, as the text report shows it, so that two ids that
 * differ in such a byte stay two (transfer full). */
static char *utf8_id(const char *id)
{
    if (id == NULL || g_utf8_validate(id, -1, NULL))
        return g_strdup(id);
    GString *out = g_string_new(NULL);
    const char *p = id;
    while (*p != '\0') {
        const char *end = NULL;
        g_utf8_validate(p, -1, &end);
        g_string_append_len(out, p, end - p);
        if (*end == '\0')
            break;
        g_string_append_printf(out, "\\x%02X", (guint) (guchar) *end);
        p = end + 1;
    }
    return g_string_free(out, FALSE);
}

MsGradeResult *ms_grade_result_new(const char *student, const char *exercise)
{
    MsGradeResult *r = g_new0(MsGradeResult, 1);
    r->student = utf8_id(student);
    r->exercise = utf8_id(exercise);
    r->tests = g_ptr_array_new_with_free_func(ms_grade_test_free);
    r->params = ms_grade_params_new();
    return r;
}

void ms_grade_result_free(MsGradeResult *r)
{
    if (r == NULL)
        return;
    g_free(r->student);
    g_free(r->exercise);
    g_free(r->error);
    g_free(r->transcript);
    ms_grade_params_free(r->params);
    g_ptr_array_unref(r->tests);
    g_free(r);
}

char *ms_grade_score_text(double score)
{
    /* Two decimals at most, trailing zeros dropped: "2", "1.5", "0.33". */
    double r = round(score * 100.0) / 100.0;
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, "%.2f", r);
    char *dot = strchr(buf, '.');
    if (dot != NULL) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        return g_strdup("0");
    return g_strdup(buf);
}

MsGradeResult *ms_grade_result_failing(const MsExercise *ex, const char *student,
                                       const MsGradeParams *params, const char *why,
                                       const char *lang)
{
    MsGradeResult *r = ms_grade_result_new(student, ex->id);
    r->error = g_strdup(why);
    r->max_score = ex->max_score;
    for (guint i = 0; params != NULL && i < params->names->len; i++)
        ms_grade_params_add(r->params, params->names->pdata[i], params->values->pdata[i]);
    for (guint i = 0; i < ex->checks->len; i++) {
        const Check *c = g_ptr_array_index(ex->checks, i);
        MsGradeTest *t = ms_grade_test_new();
        t->id = g_strdup(c->id);
        t->name = g_strdup(ms_grade_pick((char **) c->title, lang) != NULL
                               ? ms_grade_pick((char **) c->title, lang)
                               : c->id);
        t->max_score = c->points;
        t->status = MS_GRADE_FAILED;
        t->visibility = c->visibility;
        g_autofree char *not_graded = ms_grade_fmt(lang, N_("not graded: {1}"), why, NULL);
        const char *says = ms_grade_pick((char **) c->fail, lang);
        if (says == NULL)
            says = "";
        /* The student's values in it, as in a graded check's text. */
        g_autofree char *said = ms_grade_substitute(says, params, NULL);
        t->output = g_strdup_printf("%s\n%s", said != NULL ? said : says, not_graded);
        g_ptr_array_add(r->tests, t);
    }
    return r;
}

/* ---- JSON ---------------------------------------------------------------------- */

static void add_double(JsonBuilder *b, const char *name, double v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_double_value(b, round(v * 1e6) / 1e6);
}

static void add_string(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    if (v != NULL)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

JsonNode *ms_grade_result_to_json(const MsGradeResult *r)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    add_string(b, "student", r->student);
    add_string(b, "exercise", r->exercise);
    add_double(b, "score", r->score);
    add_double(b, "max_score", r->max_score);
    add_string(b, "error", r->error);
    add_string(b, "transcript", r->transcript);
    json_builder_set_member_name(b, "params");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->params->names->len; i++) {
        json_builder_begin_object(b);
        add_string(b, "name", r->params->names->pdata[i]);
        add_string(b, "value", r->params->values->pdata[i]);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "tests");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->tests->len; i++) {
        const MsGradeTest *t = g_ptr_array_index(r->tests, i);
        json_builder_begin_object(b);
        add_string(b, "id", t->id);
        add_string(b, "name", t->name);
        add_double(b, "score", t->score);
        add_double(b, "max_score", t->max_score);
        add_string(b, "status", ms_grade_status_name(t->status));
        add_string(b, "output", t->output);
        add_string(b, "visibility", ms_grade_visibility_name(t->visibility));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static const char *get_str(JsonObject *o, const char *name)
{
    if (!json_object_has_member(o, name))
        return NULL;
    JsonNode *n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
        return NULL;
    return json_node_get_string(n);
}

static gboolean get_num(JsonObject *o, const char *name, double *out)
{
    if (!json_object_has_member(o, name))
        return FALSE;
    JsonNode *n = json_object_get_member(o, name);
    if (!JSON_NODE_HOLDS_VALUE(n))
        return FALSE;
    GType t = json_node_get_value_type(n);
    if (t == G_TYPE_DOUBLE)
        *out = json_node_get_double(n);
    else if (t == G_TYPE_INT64)
        *out = (double) json_node_get_int(n);
    else
        return FALSE;
    return TRUE;
}

static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; name != NULL && i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return i;
    }
    return -1;
}

MsGradeResult *ms_grade_result_from_json(JsonNode *node, GError **error)
{
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        g_set_error_literal(error, MS_ERROR, MS_ERROR_PARSE, "a result is not a JSON object");
        return NULL;
    }
    JsonObject *o = json_node_get_object(node);
    const char *student = get_str(o, "student");
    const char *exercise = get_str(o, "exercise");
    JsonNode *tests = json_object_has_member(o, "tests") ? json_object_get_member(o, "tests")
                                                         : NULL;
    g_autoptr(MsGradeResult) r = ms_grade_result_new(student, exercise);
    if (student == NULL || exercise == NULL || !get_num(o, "score", &r->score) ||
        !get_num(o, "max_score", &r->max_score) || tests == NULL ||
        !JSON_NODE_HOLDS_ARRAY(tests)) {
        g_set_error_literal(error, MS_ERROR, MS_ERROR_PARSE,
                            "a result needs student, exercise, score, max_score and tests");
        return NULL;
    }
    r->error = g_strdup(get_str(o, "error"));
    r->transcript = g_strdup(get_str(o, "transcript"));
    JsonNode *params = json_object_has_member(o, "params") ? json_object_get_member(o, "params")
                                                           : NULL;
    if (params != NULL && JSON_NODE_HOLDS_ARRAY(params)) {
        JsonArray *a = json_node_get_array(params);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            JsonNode *e = json_array_get_element(a, i);
            if (!JSON_NODE_HOLDS_OBJECT(e))
                continue;
            const char *n = get_str(json_node_get_object(e), "name");
            const char *v = get_str(json_node_get_object(e), "value");
            if (n != NULL && v != NULL)
                ms_grade_params_add(r->params, n, v);
        }
    }
    JsonArray *a = json_node_get_array(tests);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_OBJECT(e)) {
            g_set_error_literal(error, MS_ERROR, MS_ERROR_PARSE, "a test is not an object");
            return NULL;
        }
        JsonObject *to = json_node_get_object(e);
        MsGradeTest *t = ms_grade_test_new();
        g_ptr_array_add(r->tests, t);
        t->id = g_strdup(get_str(to, "id"));
        t->name = g_strdup(get_str(to, "name"));
        t->output = g_strdup(get_str(to, "output"));
        int st = name_index(status_names, MS_GRADE_N_STATUSES, get_str(to, "status"));
        static const char *const vis[] = {
#define MS_GRADE_NAME_(e, s) s,
            MS_GRADE_VISIBILITIES(MS_GRADE_NAME_)
#undef MS_GRADE_NAME_
        };
        int v = name_index(vis, MS_GRADE_N_VISIBILITIES, get_str(to, "visibility"));
        if (t->id == NULL || t->name == NULL || st < 0 || v < 0 ||
            !get_num(to, "score", &t->score) || !get_num(to, "max_score", &t->max_score)) {
            g_set_error_literal(error, MS_ERROR, MS_ERROR_PARSE,
                                "a test needs id, name, score, max_score, status and visibility");
            return NULL;
        }
        t->status = (MsGradeStatus) st;
        t->visibility = (MsGradeVisibility) v;
    }
    return g_steal_pointer(&r);
}
