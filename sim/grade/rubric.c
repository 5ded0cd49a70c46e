/* rubric.c - the checks of an exercise: 'check NAME ...' blocks, their
 * titles and feedback, and the predicates they grade with (exercise.c reads
 * the rest of the file and hands each line of a block here).
 */
#include <string.h>

#include "grade/grade-private.h"

/* The rules a 'rule' predicate may name (dialogue.c implements them). */
static const char *const rule_names[] = {
    "helo-first", "mail-before-rcpt", "rcpt-before-data", "data-ended", "quit", "crlf",
    "user-before-pass", "retr-before-dele", "waits-for-replies", NULL,
};

static gboolean check_id_ok(const char *id)
{
    for (const char *p = id; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return FALSE;
    }
    return *id != '\0';
}

void ms_grade_parse_check_head(GradeReader *r, MsScCursor *c, MsLoc kw)
{
    MsScToken *id = ms_sc_expect_text(c, "the check's name, such as helo-first");
    if (id == NULL)
        return;
    if (!check_id_ok(id->text)) {
        ms_sc_fail(c, id->loc, "a check's name is letters, digits, '.', '_' and '-'");
        return;
    }
    for (guint i = 0; i < r->ex->checks->len; i++) {
        Check *o = g_ptr_array_index(r->ex->checks, i);
        if (strcmp(o->id, id->text) == 0) {
            ms_sc_fail(c, id->loc, "check '%s' is declared twice (first at %u:%u)", id->text,
                       o->loc.line, o->loc.column);
            return;
        }
    }
    Check *ck = g_new0(Check, 1);
    ck->id = g_strdup(id->text);
    ck->loc = kw;
    ck->points = 1;
    ck->preds = g_ptr_array_new_with_free_func(ms_grade_pred_free);
    static const char *const opts[] = { "points", "visibility", NULL };
    MsLoc seen[G_N_ELEMENTS(opts)] = { { 0, 0 } };
    for (;;) {
        int o = ms_sc_next_option(c, opts, seen, 0, "check statement");
        if (o < 0)
            break;
        if (o == 0) {
            MsScToken *tok = ms_sc_expect_text(c, "the points, such as 2 or 0.5");
            double v = 0;
            g_autofree char *unit = NULL;
            int dec = 0;
            if (tok != NULL && (!ms_grade_split_number(tok->text, &v, &unit, &dec) || *unit != '\0' ||
                                v < 0 || v > 1000)) {
                ms_sc_fail(c, tok->loc, "expected points from 0 to 1000, such as 2 or 0.5, "
                                        "found '%s'", tok->text);
            }
            ck->points = v;
        } else {
            static const char *const vis[] = { "visible", "after-due", "after-published",
                                               "hidden", NULL };
            int v = ms_sc_read_choice(c, vis, " (when the student sees the result)");
            if (v >= 0)
                ck->visibility = (MsGradeVisibility) v;
        }
        if (c->failed)
            break;
    }
    if (c->failed) {
        ms_grade_check_free(ck);
        /* Still a block: its lines up to 'end' belong to it. */
        r->check = g_new0(Check, 1);
        r->check->preds = g_ptr_array_new_with_free_func(ms_grade_pred_free);
        r->check_loc = kw;
        return;
    }
    r->check = ck;
    r->check_loc = kw;
}

/* COUNT, or ">= N" written "min N" / "max N" after the word 'count'. */
static gboolean read_count(MsScCursor *c, Pred *p)
{
    MsScToken *kw = ms_sc_peek(c);
    if (ms_sc_is_word(kw, "count"))
        p->cmp = CMP_EQ;
    else if (ms_sc_is_word(kw, "min"))
        p->cmp = CMP_GE;
    else if (ms_sc_is_word(kw, "max"))
        p->cmp = CMP_LE;
    else
        return FALSE;
    ms_sc_take(c);
    guint64 n = 0;
    if (!ms_sc_read_whole(c, 0, 1000000, "a number of messages", &n))
        return FALSE;
    p->has_count = TRUE;
    p->count = (gint64) n;
    return TRUE;
}

static gboolean parse_quantity(MsScCursor *c, Quantity *q)
{
    static const char *const kinds[] = { "summary", "record", "reply-to", NULL };
    int k = ms_sc_read_choice(c, kinds, " (where the expected value is computed from)");
    if (k < 0)
        return FALSE;
    q->kind = (QuantityKind) k;
    MsScToken *tok = NULL;
    switch (q->kind) {
    case QTY_SUMMARY:
        tok = ms_sc_expect_text(c, "a path in the summary, such as "
                                   "\"messages[0].deliveries[0].end_to_end_ns\"");
        if (tok != NULL)
            q->path = g_strdup(tok->text);
        break;
    case QTY_RECORD:
        tok = ms_sc_expect_text(c, "a trace note key, such as message.attachment");
        if (tok != NULL)
            q->note = g_strdup(tok->text);
        if (tok != NULL && ms_sc_is_word(ms_sc_peek(c), "index")) {
            ms_sc_take(c);
            guint64 n = 0;
            if (ms_sc_read_whole(c, 0, 100000, "an index from 0", &n))
                q->index = (guint) n;
        }
        break;
    case QTY_REPLY_TO:
        tok = ms_sc_expect_text(c, "a command, such as RCPT");
        if (tok != NULL)
            q->verb = g_ascii_strup(tok->text, -1);
        break;
    }
    return !c->failed;
}

/* answer NAME number|choice|token QUANTITY [unit U] [tolerance T] [choices ...] */
static gboolean parse_answer(MsScCursor *c, Pred *p)
{
    MsScToken *name = ms_sc_expect_text(c, "the answer's name, such as delay_ms");
    if (name == NULL)
        return FALSE;
    if (!ms_grade_name_ok(name->text)) {
        ms_sc_fail(c, name->loc, "an answer's name is letters, digits, '_' and '-'");
        return FALSE;
    }
    p->answer = g_strdup(name->text);
    static const char *const kinds[] = { "number", "choice", "token", NULL };
    int k = ms_sc_read_choice(c, kinds, " (the kind of answer)");
    if (k < 0)
        return FALSE;
    p->answer_kind = (AnswerKind) k;
    if (!parse_quantity(c, &p->qty))
        return FALSE;
    p->unit = g_strdup("");
    static const char *const opts[] = { "unit", "tolerance", "choices", NULL };
    MsLoc seen[G_N_ELEMENTS(opts)] = { { 0, 0 } };
    for (;;) {
        int o = ms_sc_next_option(c, opts, seen, 0, "answer");
        if (o < 0)
            break;
        MsScToken *tok = NULL;
        if (o == 0) {
            tok = ms_sc_expect_text(c, "a unit such as ms, s, bytes or kB");
            double scale = 0;
            const char *family = NULL;
            if (tok != NULL && !ms_grade_unit(tok->text, &scale, &family)) {
                ms_sc_fail(c, tok->loc, "expected a unit (ns, us, ms, s, B, bytes, kB, KiB, "
                                        "MB, MiB), found '%s'", tok->text);
            } else if (tok != NULL) {
                g_free(p->unit);
                p->unit = g_strdup(tok->text);
            }
        } else if (o == 1) {
            tok = ms_sc_expect_text(c, "a tolerance such as 1ms, 2 or 5%");
            double v = 0;
            g_autofree char *unit = NULL;
            int dec = 0;
            if (tok != NULL && !ms_grade_split_number(tok->text, &v, &unit, &dec)) {
                if (g_str_has_suffix(tok->text, "%")) {
                    g_autofree char *num = g_strndup(tok->text, strlen(tok->text) - 1);
                    if (ms_grade_split_number(num, &v, &unit, &dec) && *unit == '\0') {
                        p->tol_rel = v / 100.0;
                        continue;
                    }
                }
                ms_sc_fail(c, tok->loc, "expected a tolerance such as 1ms, 2 or 5%%, "
                                        "found '%s'", tok->text);
            } else if (tok != NULL) {
                double scale = 1, uscale = 1;
                const char *fam = NULL, *ufam = NULL;
                if (*unit != '\0' && !ms_grade_unit(unit, &scale, &fam)) {
                    ms_sc_fail(c, tok->loc, "unknown unit in tolerance '%s'", tok->text);
                } else if (*unit != '\0' && ms_grade_unit(p->unit, &uscale, &ufam) &&
                           g_strcmp0(fam, ufam) == 0) {
                    p->tol_abs = v * scale / uscale;
                } else if (*unit != '\0') {
                    ms_sc_fail(c, tok->loc, "give 'unit' before 'tolerance', in the same "
                                            "kind of unit");
                } else {
                    p->tol_abs = v;
                }
            }
        } else {
            /* A word given twice (in any case: answers are compared so)
             * is a slip; where the first one was, for the message. */
            g_autoptr(GArray) locs = g_array_new(FALSE, FALSE, sizeof(MsLoc));
            p->choices = g_ptr_array_new_with_free_func(g_free);
            while (!c->failed && ms_sc_peek(c) != NULL && ms_sc_is_text(ms_sc_peek(c)) &&
                   !ms_sc_is_word(ms_sc_peek(c), "unit") &&
                   !ms_sc_is_word(ms_sc_peek(c), "tolerance")) {
                if (!ms_grade_add_choice(
                        c, p->choices, locs, ms_sc_take(c), TRUE,
                        "each of the choices once (they are compared in any case)"))
                    break;
            }
            if (c->failed)
                return FALSE;
            if (p->choices->len == 0)
                ms_sc_fail_expected(c, ms_sc_peek(c), "the words a student may answer");
        }
        if (c->failed)
            return FALSE;
    }
    return !c->failed;
}

static void parse_pred(GradeReader *r, MsScCursor *c, MsScToken *kw)
{
    Pred *p = g_new0(Pred, 1);
    p->loc = kw->loc;
    p->min_fraction = 1.0;
    MsScToken *word = kw;
    if (ms_sc_is_word(kw, "not")) {
        p->negate = TRUE;
        word = ms_sc_take(c);
    }
    static const char *const names[] = {
#define PRED_NAME_(e, s) s,
        PRED_KINDS(PRED_NAME_)
#undef PRED_NAME_
        "title", "pass", "fail", "end", NULL,
    };
    int k = -1;
    for (int i = 0; word != NULL && word->kind == MS_SC_TOK_WORD && i < PRED_N_KINDS; i++) {
        if (strcmp(word->text, names[i]) == 0)
            k = i;
    }
    if (k < 0) {
        ms_sc_fail_choice(c, word, names, " in a check");
        ms_grade_pred_free(p);
        return;
    }
    p->kind = (PredKind) k;
    MsScToken *tok = NULL;
    switch (p->kind) {
    case PRED_RULE: {
        int i = ms_sc_read_choice(c, rule_names, " (a rule of the protocol)");
        if (i >= 0)
            p->word = g_strdup(rule_names[i]);
        break;
    }
    case PRED_REPLY:
        tok = ms_sc_expect_text(c, "a reply such as 250, +OK or -ERR");
        if (tok != NULL)
            p->word = g_ascii_strup(tok->text, -1);
        if (tok != NULL) {
            MsScToken *to = ms_sc_take(c);
            if (!ms_sc_is_word(to, "to")) {
                ms_sc_fail_expected(c, to, "'to' and the command it answers, such as 'to DATA'");
                break;
            }
            tok = ms_sc_expect_text(c, "a command such as DATA, or \".\" for the end of "
                                       "the message");
            if (tok != NULL)
                p->verb = g_ascii_strup(tok->text, -1);
        }
        break;
    case PRED_PREDICTIONS:
        if (ms_sc_is_word(ms_sc_peek(c), "min")) {
            ms_sc_take(c);
            guint64 pct = 0;
            if (ms_sc_read_whole(c, 0, 100, "a percentage from 0 to 100", &pct))
                p->min_fraction = (double) pct / 100.0;
        }
        break;
    case PRED_TYPED:
        tok = ms_sc_expect_text(c, "a command such as RETR");
        if (tok != NULL)
            p->word = g_ascii_strup(tok->text, -1);
        break;
    case PRED_ORDER:
        p->verbs = g_ptr_array_new_with_free_func(g_free);
        while (ms_sc_peek(c) != NULL && ms_sc_is_text(ms_sc_peek(c)))
            g_ptr_array_add(p->verbs, g_ascii_strup(ms_sc_take(c)->text, -1));
        if (p->verbs->len < 2)
            ms_sc_fail_expected(c, ms_sc_peek(c), "at least two commands, in order");
        break;
    case PRED_MAILBOX:
        tok = ms_sc_expect_address(c, "a mailbox address, such as bob@hamburger.edu");
        if (tok == NULL)
            break;
        p->word = g_strdup(tok->text);
        for (;;) {
            if (read_count(c, p))
                continue;
            if (c->failed)
                break;
            MsScToken *o = ms_sc_peek(c);
            if (ms_sc_is_word(o, "subject")) {
                ms_sc_take(c);
                tok = ms_sc_expect_text(c, "the subject");
                if (tok != NULL)
                    p->subject = g_strdup(tok->text);
            } else if (ms_sc_is_word(o, "from")) {
                ms_sc_take(c);
                tok = ms_sc_expect_text(c, "the sender's address");
                if (tok != NULL)
                    p->sender = g_strdup(tok->text);
            } else {
                break;
            }
        }
        if (!c->failed && !p->has_count && p->subject == NULL && p->sender == NULL)
            ms_sc_fail_expected(c, ms_sc_peek(c), "'count N', 'min N', 'max N', 'subject "
                                                  "TEXT' or 'from ADDRESS'");
        break;
    case PRED_DELIVERED:
        tok = ms_sc_expect_address(c, "the recipient's address");
        if (tok != NULL)
            p->word = g_strdup(tok->text);
        break;
    case PRED_BOUNCED:
        read_count(c, p);
        break;
    case PRED_DOWNLOADED:
    case PRED_STORE:
    case PRED_QUEUE:
    case PRED_CONNECTED:
        tok = ms_sc_expect_host(c, p->kind == PRED_QUEUE ? "a server" : "an agent's host");
        if (tok != NULL)
            p->word = g_strdup(tok->text);
        /* 'connected HOST' alone: at least one connection. */
        if (tok != NULL && !read_count(c, p) && !c->failed && p->kind != PRED_CONNECTED)
            ms_sc_fail_expected(c, ms_sc_peek(c), "'count N', 'min N' or 'max N'");
        if (p->kind == PRED_CONNECTED && !c->failed && ms_sc_is_word(ms_sc_peek(c), "after")) {
            ms_sc_take(c);
            tok = ms_sc_expect_host(c, "the host that must have connected first");
            if (tok != NULL)
                p->after = g_strdup(tok->text);
        }
        break;
    case PRED_ANSWER:
        parse_answer(c, p);
        break;
    case PRED_N_KINDS:
        break;
    }
    if (c->failed || !ms_sc_expect_end(c, names[k])) {
        ms_grade_pred_free(p);
        return;
    }
    g_ptr_array_add(r->check->preds, p);
}

static void finish_check(GradeReader *r, MsScCursor *c, MsLoc kw)
{
    Check *ck = g_steal_pointer(&r->check);
    if (ck->id == NULL) {
        ms_grade_check_free(ck); /* its head was broken, already reported */
        return;
    }
    if (ck->preds->len == 0)
        ms_sc_fail(c, kw, "check '%s' has nothing to check (add a line such as "
                          "'rule helo-first')", ck->id);
    else if (ck->fail[0] == NULL || ck->pass[0] == NULL)
        ms_sc_fail(c, kw, "check '%s' needs feedback for the student: 'pass en \"...\"' "
                          "and 'fail en \"...\"'", ck->id);
    else if (ck->fail[1] == NULL || ck->pass[1] == NULL || ck->title[1] == NULL)
        ms_sc_fail(c, kw, "check '%s' needs its Chinese texts too: 'title zh', 'pass zh' "
                          "and 'fail zh'", ck->id);
    if (c->failed) {
        ms_grade_check_free(ck);
        return;
    }
    g_ptr_array_add(r->ex->checks, ck);
}

void ms_grade_parse_check_line(GradeReader *r, MsScCursor *c, MsScToken *kw)
{
    char **slots = NULL;
    if (ms_sc_is_word(kw, "title"))
        slots = r->check->title;
    else if (ms_sc_is_word(kw, "pass"))
        slots = r->check->pass;
    else if (ms_sc_is_word(kw, "fail"))
        slots = r->check->fail;
    if (slots != NULL) {
        const char *text = NULL;
        MsLoc loc = ms_sc_loc_of(c, ms_sc_peek(c));
        int i = ms_grade_read_lang_text(r, c, &text);
        if (i >= 0 && ms_sc_expect_end(c, kw->text))
            ms_grade_set_once(c, &slots[i], text, loc, "this text");
        return;
    }
    if (ms_sc_is_word(kw, "end")) {
        if (ms_sc_expect_end(c, "end"))
            finish_check(r, c, kw->loc);
        else
            g_clear_pointer(&r->check, ms_grade_check_free);
        return;
    }
    parse_pred(r, c, kw);
}

