/* dialogue.c - the rubric's predicates on the typed dialogue: the protocol
 * rules, the reply to a command, the commands typed and their order, and
 * the replies a student predicted.  submission.c reads the dialogue and
 * facts.c indexes what the server answered; checks.c combines these
 * predicates with the others into a check.
 *
 * The protocol rules are lenient where the RFCs are (command verbs in any
 * case, HELO or EHLO, spaces around the colon of MAIL FROM) and strict
 * where they say MUST (CRLF line ends, the lone "." ending the message
 * text).
 */
#include <string.h>

#include "grade/grade-private.h"

/* Whether a typed line is the command with its arguments that `want`
 * names ("RETR 1", upper case as the exercise reader keeps it): compared
 * in any case, the spaces between words as one, an IMAP tag left out. */
static gboolean is_command_with_args(const MsTraceRecord *r, const char *want)
{
    const char *p = ms_grade_command_of(r);
    if (p == NULL)
        return FALSE;
    const char *w = want;
    while (*p != '\0' || *w != '\0') {
        if (*p == ' ' && *w == ' ') {
            while (*p == ' ')
                p++;
            while (*w == ' ')
                w++;
            continue;
        }
        if (g_ascii_toupper(*p) != g_ascii_toupper(*w))
            return *w == '\0' && strspn(p, " ") == strlen(p);
        p++;
        w++;
    }
    return TRUE;
}

/* The index of the first typed command with this verb ("RETR"), or this
 * verb and arguments ("RETR 1"), from `from`; -1. */
static int find_typed(const Facts *f, const char *verb, guint from)
{
    gboolean with_args = strchr(verb, ' ') != NULL;
    for (guint i = from; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        if (strcmp(verb, ".") == 0) {
            if (g_strcmp0(r->note, "smtp.data.end") == 0)
                return (int) i;
            continue;
        }
        if (with_args) {
            if (is_command_with_args(r, verb))
                return (int) i;
            continue;
        }
        g_autofree char *v = ms_grade_verb_of(r);
        if (strcmp(v, verb) == 0)
            return (int) i;
    }
    return -1;
}

/* The index of the first line of a message text, from `from`, that holds
 * `word` (in any case) with nothing but spaces around it: a command or a
 * "." the server read as text; -1. */
static int find_in_text(const Facts *f, const char *word, guint from)
{
    gsize n = strlen(word);
    for (guint i = from; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        if (!ms_grade_is_data_line(r) || r->text == NULL)
            continue;
        const char *p = r->text + strspn(r->text, " \t");
        if (g_ascii_strncasecmp(p, word, n) == 0 && p[n + strspn(p + n, " \t")] == '\0')
            return (int) i;
    }
    return -1;
}

/* The status of the reply to the i-th typed line (group i + 1). */
static char *status_after(const Facts *f, int i)
{
    return i < 0 ? NULL : ms_grade_group_status(f, (guint) i + 1);
}

/* "RCPT was answered 250", or that it never was. */
static char *answered(const char *lang, const char *verb, const char *status)
{
    return status != NULL ? ms_grade_fmt(lang, N_("{1} was answered {2}"), verb, status, NULL)
                          : ms_grade_fmt(lang, N_("{1} was never answered"), verb, NULL);
}

static double rule_order(const Facts *f, const char *first, const char *then,
                         const char *lang, GString *out)
{
    int a = find_typed(f, first, 0);
    int b = find_typed(f, then, 0);
    if (b < 0) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} was never typed"), then, NULL);
        g_string_append(out, s);
        return 0;
    }
    if (a < 0 || a > b) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} came before any {2}"), then, first, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_autofree char *s = ms_grade_fmt(lang, N_("{1} came before {2}"), first, then, NULL);
    g_string_append(out, s);
    return 1;
}

static double rule_helo(const Facts *f, const char *lang, GString *out)
{
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        g_autofree char *v = ms_grade_verb_of(r);
        if (*v == '\0' && !ms_grade_is_data_line(r))
            continue; /* an empty line is not a command */
        gboolean ok = strcmp(v, "HELO") == 0 || strcmp(v, "EHLO") == 0;
        g_autofree char *status = status_after(f, (int) i);
        if (ok && status != NULL && status[0] == '2') {
            g_autofree char *s = ms_grade_fmt(lang, N_("the first command was {1}, answered {2}"),
                                              v, status, NULL);
            g_string_append(out, s);
            return 1;
        }
        g_autofree char *s =
            ok && status == NULL
                ? ms_grade_fmt(lang, N_("the first command was {1}, and it was never answered"),
                               v, NULL)
            : ok ? ms_grade_fmt(lang, N_("the first command was {1}, answered {2}"), v, status,
                                NULL)
                 : ms_grade_fmt(lang, N_("the first command was {1}, not HELO or EHLO"),
                              *v != '\0' ? v : r->text, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_string_append(out, ms_grade_tr(lang, N_("no command was typed")));
    return 0;
}

/* Whether a status refuses: SMTP 4xx and 5xx, POP3 -ERR, IMAP NO and BAD. */
static gboolean is_refusal(const char *st)
{
    return st[0] == '4' || st[0] == '5' || strcmp(st, "-ERR") == 0 || strcmp(st, "NO") == 0 ||
           strcmp(st, "BAD") == 0;
}

/* The line of the server's reply to typed line i that holds its status,
 * shown (transfer full; "" when none). */
static char *reply_words(const Facts *f, int i)
{
    const MsTraceRecord *r = i < 0 ? NULL : ms_grade_group_status_line(f, (guint) i + 1);
    return ms_report_escape_text(r != NULL ? r->text : "");
}

/* A refusal is often the echo of an earlier one ("RCPT was answered 503"
 * after a MAIL refused with 501): the nearest command before typed line
 * i that was refused for itself is named, with the server's words; an
 * SMTP 503 (bad sequence) is an echo, named only when there is nothing
 * else. */
static void say_earlier_refusal(const Facts *f, int i, const char *lang, GString *out)
{
    int found = -1;
    for (int k = i - 1; k >= 0; k--) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, k);
        if (ms_grade_is_data_line(r))
            continue;
        g_autofree char *st = status_after(f, k);
        if (st == NULL || !is_refusal(st))
            continue;
        if (found < 0)
            found = k;
        if (strcmp(st, "503") != 0) {
            found = k;
            break;
        }
    }
    if (found < 0)
        return;
    const MsTraceRecord *r = g_ptr_array_index(f->typed, found);
    g_autofree char *n = g_strdup_printf("%d", found + 1);
    g_autofree char *cmd = ms_report_escape_text(r->text);
    g_autofree char *said = reply_words(f, found);
    g_autofree char *s = ms_grade_fmt(lang, N_("before it, typed line {1}, \"{2}\", was refused: "
                                               "\"{3}\""),
                                      n, cmd, said, NULL);
    g_string_append(out, ms_grade_separator(lang));
    g_string_append(out, s);
}

static double rule_data_ended(const Facts *f, const char *lang, GString *out)
{
    int data = find_typed(f, "DATA", 0);
    g_autofree char *ds = status_after(f, data);
    if (data < 0) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} was never typed"), "DATA", NULL);
        g_string_append(out, s);
        return 0;
    }
    if (ds == NULL || strcmp(ds, "354") != 0) {
        g_autofree char *s = ds == NULL
                                 ? g_strdup(ms_grade_tr(lang, N_("DATA was never answered")))
                                 : ms_grade_fmt(lang, N_("DATA was answered {1}, not 354"), ds,
                                                NULL);
        g_string_append(out, s);
        if (ds != NULL && is_refusal(ds))
            say_earlier_refusal(f, data, lang, out);
        return 0;
    }
    int end = find_typed(f, ".", (guint) data + 1);
    if (end < 0) {
        g_string_append(out, ms_grade_tr(lang, N_("the message text was never ended by a line "
                                                   "holding only \".\"")));
        /* A "." with spaces around it looks like the end and is text. */
        int near = find_in_text(f, ".", (guint) data + 1);
        if (near >= 0) {
            const MsTraceRecord *r = g_ptr_array_index(f->typed, near);
            g_autofree char *n = g_strdup_printf("%d", near + 1);
            g_autofree char *shown = ms_report_escape_text(r->text);
            g_autofree char *s = ms_grade_fmt(lang, N_("typed line {1}, \"{2}\", is not a line "
                                                       "holding only \".\": it stayed in the "
                                                       "message text"),
                                              n, shown, NULL);
            g_string_append(out, ms_grade_separator(lang));
            g_string_append(out, s);
        }
        return 0;
    }
    g_autofree char *es = status_after(f, end);
    g_autofree char *s =
        es == NULL ? g_strdup(ms_grade_tr(lang, N_("the line \".\" ended the message text and "
                                                   "was never answered")))
                   : ms_grade_fmt(lang, N_("the line \".\" ended the message text and was "
                                           "answered {1}"),
                                  es, NULL);
    g_string_append(out, s);
    if (es != NULL && es[0] != '2') {
        /* The message was refused, not its end: the server says why
         * (554 for 8-bit text without 8BITMIME, 552 too large). */
        g_autofree char *said = reply_words(f, end);
        g_string_append_printf(out, ": \"%s\"", said);
    }
    return es != NULL && es[0] == '2' ? 1 : 0;
}

/* Whether a command the protocol defines, other than QUIT or LOGOUT, was
 * typed before typed line `limit` (refused or not: a forgotten HELO is
 * still SMTP): a dialogue of junk, blank lines, another protocol's
 * commands or a lone QUIT earns nothing for the form of what it did not
 * do.  The server's engine named each line (smtp.cmd.mail,
 * pop3.cmd.unknown). */
static gboolean typed_a_command(const Facts *f, guint limit)
{
    for (guint i = 0; i < limit && i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        const char *cmd = r->note != NULL ? strstr(r->note, ".cmd.") : NULL;
        if (cmd == NULL || ms_grade_is_data_line(r))
            continue;
        cmd += strlen(".cmd.");
        if (strcmp(cmd, "unknown") != 0 && strcmp(cmd, "quit") != 0 &&
            strcmp(cmd, "logout") != 0)
            return TRUE;
    }
    return FALSE;
}

/* Did the server close the session with its 421 for a message text with
 * a bare LF or CR (RFC 5321 4.1.1.4) before the i-th typed line? */
static gboolean closed_after_bare_line_end(const Facts *f, int i)
{
    for (guint g = 0; g <= (guint) i && g < f->groups->len; g++) {
        const GPtrArray *lines = g_ptr_array_index(f->groups, g);
        for (guint k = 0; k < lines->len; k++) {
            const MsTraceRecord *r = g_ptr_array_index((GPtrArray *) lines, k);
            if (g_strcmp0(r->note, "smtp.reply.421.bare-line-end") == 0)
                return TRUE;
        }
    }
    return FALSE;
}

static double rule_quit(const Facts *f, const char *lang, GString *out)
{
    int q = find_typed(f, "QUIT", 0);
    if (q < 0) {
        /* Typed inside a message text that never ended, it was text. */
        int in_text = find_in_text(f, "QUIT", 0);
        g_autofree char *n = g_strdup_printf("%d", in_text + 1);
        g_autofree char *s =
            in_text < 0 ? g_strdup(ms_grade_tr(lang, N_("QUIT was never typed")))
                        : ms_grade_fmt(lang, N_("QUIT, typed line {1}, went inside the message "
                                                "text, which had not ended: the server took it "
                                                "for a line of the message, not a command"),
                                       n, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_autofree char *st = status_after(f, q);
    if (st == NULL && closed_after_bare_line_end(f, q)) {
        /* The session did not end with QUIT, but "never answered" would
         * not say why: the server had hung up first. */
        g_string_append(out, ms_grade_tr(lang, N_("QUIT was typed, but the server had already "
                                                  "closed the connection with 421: after a "
                                                  "message text with a bare LF or CR it reads "
                                                  "nothing more")));
        return 0;
    }
    g_autofree char *s = st == NULL ? g_strdup(ms_grade_tr(lang, N_("QUIT was never answered")))
                                    : ms_grade_fmt(lang, N_("QUIT was answered {1}"), st, NULL);
    g_string_append(out, s);
    gboolean ok = st != NULL && (st[0] == '2' || strcmp(st, "+OK") == 0 || strcmp(st, "OK") == 0);
    if (ok && !typed_a_command(f, (guint) q)) {
        g_string_append(out, ms_grade_separator(lang));
        g_string_append(out, ms_grade_tr(lang, N_("but no command the protocol defines came "
                                                  "before it: the session did nothing to end")));
        return 0;
    }
    return ok ? 1 : 0;
}

static const char *eol_name(const char *eol)
{
    if (g_strcmp0(eol, "\n") == 0)
        return "LF";
    if (g_strcmp0(eol, "\r") == 0)
        return "CR";
    return "-";
}

/* Where the protocol of a typed line says that lines end with CRLF. */
static const char *crlf_rfc(const MsTraceRecord *r)
{
    if (g_strcmp0(r->protocol, "POP3") == 0)
        return "RFC 1939 3";
    if (g_strcmp0(r->protocol, "IMAP") == 0)
        return "RFC 9051 2.2";
    if (g_strcmp0(r->protocol, "HTTP") == 0)
        return "RFC 9112 2.2";
    return "RFC 5321 2.3.8";
}

static double rule_crlf(const Facts *f, const char *lang, GString *out)
{
    guint in_text = 0; /* lines of the message text so far */
    /* Sent with CRLF whatever the file had (--line-ends crlf): the rule
     * reads the file's line ends, what the student saved. */
    const GArray *file_ends = f->run != NULL ? f->run->file_ends : NULL;
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        gboolean data = ms_grade_is_data_line(r);
        in_text = data ? in_text + 1 : 0;
        const char *eol = r->eol;
        if (file_ends != NULL && i < file_ends->len && g_strcmp0(eol, "\r\n") == 0)
            eol = ms_sc_line_end_octets(g_array_index(file_ends, MsScLineEnd, i));
        if (g_strcmp0(eol, "\r\n") != 0) {
            /* In the message text, where a client program usually slips:
             * say where in the text. */
            g_autofree char *n = g_strdup_printf("%u", data ? in_text : i + 1);
            g_autofree char *s =
                eol == NULL || eol[0] == '\0'
                    ? ms_grade_fmt(lang, N_("typed line {1} never ended: the connection "
                                            "closed before its CRLF came"),
                                   n, NULL)
                : data ? ms_grade_fmt(lang, N_("bare {2} after DATA, in line {1} of the message "
                                             "text: every line ends with CRLF (RFC 5321 "
                                             "2.3.8)"),
                                    n, eol_name(eol), NULL)
                     : ms_grade_fmt(lang, N_("typed line {1} ended with a bare {2}, not CRLF "
                                             "({3})"),
                                    n, eol_name(eol), crlf_rfc(r), NULL);
            g_string_append(out, s);
            return 0;
        }
    }
    if (f->typed->len == 0) {
        g_string_append(out, ms_grade_tr(lang, N_("no command was typed")));
        return 0;
    }
    g_string_append(out, ms_grade_tr(lang, N_("every typed line ended with CRLF")));
    if (!typed_a_command(f, f->typed->len)) {
        g_string_append(out, ms_grade_separator(lang));
        g_string_append(out, ms_grade_tr(lang, N_("but no line was a command the protocol "
                                                  "defines: no point for the form of a "
                                                  "dialogue that did nothing")));
        return 0;
    }
    return 1;
}

static double rule_user_pass(const Facts *f, const char *lang, GString *out)
{
    int apop = find_typed(f, "APOP", 0);
    if (apop >= 0) {
        g_autofree char *st = status_after(f, apop);
        g_autofree char *s = answered(lang, "APOP", st);
        g_string_append(out, s);
        return g_strcmp0(st, "+OK") == 0 ? 1 : 0;
    }
    if (rule_order(f, "USER", "PASS", lang, out) == 0)
        return 0;
    int pass = find_typed(f, "PASS", 0);
    g_autofree char *st = status_after(f, pass);
    g_autofree char *s = answered(lang, "PASS", st);
    g_string_append(out, ms_grade_separator(lang));
    g_string_append(out, s);
    return g_strcmp0(st, "+OK") == 0 ? 1 : 0;
}

static char *argument_of(const MsTraceRecord *r)
{
    const char *sp = strchr(r->text, ' ');
    return sp != NULL ? g_strstrip(g_strdup(sp)) : g_strdup("");
}

static double rule_retr_dele(const Facts *f, const char *lang, GString *out)
{
    guint deletes = 0;
    /* Each message RETR was typed for: NULL once retrieved, else the
     * status its (latest) RETR got. */
    g_autoptr(GHashTable) retr = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        g_autofree char *v = ms_grade_verb_of(r);
        g_autofree char *arg = argument_of(r);
        g_autofree char *st = status_after(f, (int) i);
        if (strcmp(v, "RETR") == 0) {
            gpointer was = NULL;
            gboolean done = g_hash_table_lookup_extended(retr, arg, NULL, &was) && was == NULL;
            if (!done)
                g_hash_table_insert(retr, g_steal_pointer(&arg),
                                    g_strcmp0(st, "+OK") == 0 ? NULL
                                                              : g_strdup(st != NULL ? st : ""));
        } else if (strcmp(v, "DELE") == 0) {
            deletes++;
            gpointer failed = NULL;
            gboolean typed = g_hash_table_lookup_extended(retr, arg, NULL, &failed);
            if (typed && failed == NULL)
                continue;
            /* Why it was not retrieved first: its RETR failed (not logged
             * in, no such message), or there was none; and whether the
             * DELE itself deleted anything. */
            g_autofree char *s =
                typed && *(const char *) failed == '\0'
                    ? ms_grade_fmt(lang, N_("RETR {1} was never answered, so message {1} was "
                                            "never retrieved"),
                                   arg, NULL)
                : typed ? ms_grade_fmt(lang, N_("RETR {1} was answered {2}, so message {1} was "
                                                "never retrieved"),
                                       arg, (char *) failed, NULL)
                : g_strcmp0(st, "+OK") == 0 || st == NULL
                    ? ms_grade_fmt(lang, N_("message {1} was deleted before it was retrieved"),
                                   arg, NULL)
                    : ms_grade_fmt(lang, N_("DELE {1} was answered {2}, and message {1} was "
                                            "never retrieved"),
                                   arg, st, NULL);
            g_string_append(out, s);
            return 0;
        }
    }
    if (deletes == 0) {
        g_string_append(out, ms_grade_tr(lang, N_("DELE was never typed")));
        return 0;
    }
    g_string_append(out, ms_grade_tr(lang, N_("every deleted message was retrieved first")));
    return 1;
}

/* A typed line as the feedback names it: its verb, or what it is in the
 * message text (transfer full). */
static char *line_name(const MsTraceRecord *r, const char *lang)
{
    if (g_strcmp0(r->note, "smtp.data.end") == 0)
        return g_strdup(ms_grade_tr(lang, N_("the line \".\" that ends the message text")));
    if (ms_grade_is_data_line(r))
        return g_strdup(ms_grade_tr(lang, N_("the message text")));
    g_autofree char *v = ms_grade_verb_of(r);
    return *v != '\0' ? g_steal_pointer(&v) : g_strdup(ms_grade_tr(lang, N_("an empty line")));
}

/* RFC 2920 3.1: where the server offered PIPELINING, RSET, MAIL and RCPT
 * may be followed before their replies come, and so may the end of the
 * message text (the content may be the first "command" of a group); EHLO,
 * DATA, VRFY, EXPN, TURN, QUIT and NOOP end a group, and wait. */
static gboolean may_go_ahead_of(const MsTraceRecord *answered)
{
    if (g_strcmp0(answered->note, "smtp.data.end") == 0)
        return TRUE;
    g_autofree char *v = ms_grade_verb_of(answered);
    return strcmp(v, "RSET") == 0 || strcmp(v, "MAIL") == 0 || strcmp(v, "RCPT") == 0;
}

/* RFC 5321 4.3.1: "the sender MUST wait for this response before sending
 * further commands" (so a program reads each reply first; after DATA it
 * waits for the 354 before the message text); a POP3 server that does not
 * offer PIPELINING (RFC 2449 6.6) expects the same.  A line sent before the
 * reply to the one before it was read is marked in a live run (live.early,
 * sim/live/live_conn.c); IMAP lets a client send commands without waiting
 * (RFC 9051 5.5). */
static double rule_waits(const Facts *f, const char *lang, GString *out)
{
    gboolean smtp = g_strcmp0(f->protocol, "SMTP") == 0;
    gboolean imap = g_strcmp0(f->protocol, "IMAP") == 0;
    gboolean pipelining = FALSE; /* the server offered PIPELINING */
    gboolean ahead = FALSE;      /* a line went ahead as PIPELINING lets it */
    int answered = -1;           /* the last typed line a reply answers */
    for (guint i = 0; i < f->typed->len; i++) {
        const MsTraceRecord *r = g_ptr_array_index(f->typed, i);
        if (g_array_index(f->early, gboolean, i) && !imap) {
            const MsTraceRecord *a = answered >= 0 ? g_ptr_array_index(f->typed, answered)
                                                   : NULL;
            if (a != NULL && smtp && pipelining && may_go_ahead_of(a)) {
                ahead = TRUE;
            } else {
                g_autofree char *what = line_name(r, lang);
                g_autofree char *before = a != NULL ? line_name(a, lang) : NULL;
                g_autofree char *s =
                    a != NULL ? ms_grade_fmt(lang, N_("{1} was sent before the reply to {2} was "
                                                      "read"),
                                             what, before, NULL)
                              : ms_grade_fmt(lang, N_("{1} was sent before the greeting was "
                                                      "read"),
                                             what, NULL);
                g_string_append(out, s);
                return 0;
            }
        }
        /* A command, or the end of the message text: a reply answers it. */
        if (!ms_grade_is_data_line(r) || g_strcmp0(r->note, "smtp.data.end") == 0)
            answered = (int) i;
        GPtrArray *group = g_ptr_array_index(f->groups, i + 1);
        for (guint k = 0; k < group->len; k++) {
            const MsTraceRecord *l = g_ptr_array_index(group, k);
            if (g_strcmp0(l->note, "smtp.ext.pipelining") == 0)
                pipelining = TRUE;
        }
    }
    g_string_append(out, ahead ? ms_grade_tr(lang, N_("every command that had to wait for a "
                                                      "reply did (PIPELINING lets MAIL, RCPT "
                                                      "and RSET go ahead, RFC 2920)"))
                               : ms_grade_tr(lang, N_("every command waited for the reply to "
                                                      "the one before it")));
    return 1;
}

double ms_grade_eval_rule(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    const char *r = p->word;
    if (strcmp(r, "helo-first") == 0)
        return rule_helo(f, lang, out);
    if (strcmp(r, "mail-before-rcpt") == 0)
        return rule_order(f, "MAIL", "RCPT", lang, out);
    if (strcmp(r, "rcpt-before-data") == 0)
        return rule_order(f, "RCPT", "DATA", lang, out);
    if (strcmp(r, "data-ended") == 0)
        return rule_data_ended(f, lang, out);
    if (strcmp(r, "quit") == 0)
        return rule_quit(f, lang, out);
    if (strcmp(r, "crlf") == 0)
        return rule_crlf(f, lang, out);
    if (strcmp(r, "user-before-pass") == 0)
        return rule_user_pass(f, lang, out);
    if (strcmp(r, "retr-before-dele") == 0)
        return rule_retr_dele(f, lang, out);
    if (strcmp(r, "waits-for-replies") == 0)
        return rule_waits(f, lang, out);
    g_assert_not_reached();
    return 0;
}

double ms_grade_eval_reply(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    int i = find_typed(f, p->verb, 0);
    if (i < 0) {
        g_autofree char *s = ms_grade_fmt(lang, N_("{1} was never typed"), p->verb, NULL);
        g_string_append(out, s);
        return 0;
    }
    g_autofree char *st = status_after(f, i);
    g_autofree char *s = answered(lang, p->verb, st);
    g_string_append(out, s);
    gboolean ok = st != NULL && g_str_has_prefix(st, p->word);
    if (!ok && st != NULL && is_refusal(st))
        say_earlier_refusal(f, i, lang, out);
    return ok ? 1 : 0;
}

double ms_grade_eval_typed(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    gboolean found = find_typed(f, p->word, 0) >= 0;
    g_autofree char *s = ms_grade_fmt(lang, found ? N_("{1} was typed") : N_("{1} was never typed"),
                                      p->word, NULL);
    g_string_append(out, s);
    return found ? 1 : 0;
}

double ms_grade_eval_order(const Pred *p, const Facts *f, const char *lang, GString *out)
{
    guint from = 0;
    for (guint k = 0; k < p->verbs->len; k++) {
        const char *v = g_ptr_array_index(p->verbs, k);
        int i = find_typed(f, v, from);
        if (i < 0) {
            g_autofree char *s = k == 0 || find_typed(f, v, 0) < 0
                                     ? ms_grade_fmt(lang, N_("{1} was never typed"), v, NULL)
                                     : ms_grade_fmt(lang, N_("{1} came before any {2}"), v,
                                                    (char *) g_ptr_array_index(p->verbs, k - 1),
                                                    NULL);
            g_string_append(out, s);
            return 0;
        }
        from = (guint) i + 1;
    }
    g_autofree char *list = ms_grade_join(p->verbs, " ");
    g_autofree char *s = ms_grade_fmt(lang, N_("the commands came in the order {1}"), list, NULL);
    g_string_append(out, s);
    return 1;
}

/* The status a predicted group of lines stands for: the code of its last
 * line (SMTP), its first word (POP3), its tagged completion (IMAP). */
static char *predicted_status(const char *group, const char *protocol)
{
    if (group == NULL || *group == '\0')
        return NULL;
    g_auto(GStrv) lines = g_strsplit(group, "\n", -1);
    guint n = g_strv_length(lines);
    const char *line = g_strcmp0(protocol, "POP3") == 0 ? lines[0] : lines[n - 1];
    while (*line == ' ')
        line++;
    if (g_strcmp0(protocol, "IMAP") == 0) {
        line += strcspn(line, " ");
        while (*line == ' ')
            line++;
        return g_ascii_strup(line, (gssize) strcspn(line, " "));
    }
    /* Three characters, not bytes: a student may write a full-width digit
     * or colon ("2：50"), and half a character is no text to show them. */
    if (g_strcmp0(protocol, "SMTP") == 0 && g_utf8_strlen(line, -1) >= 3)
        return g_utf8_substring(line, 0, 3);
    return g_ascii_strup(line, (gssize) strcspn(line, " "));
}

double ms_grade_eval_predictions(const Pred *p, const Facts *f, const char *lang,
                                 GString *out)
{
    GPtrArray *pred = f->run->predictions;
    if (pred == NULL) {
        g_string_append(out, ms_grade_tr(lang, N_("the submission predicts no reply (write "
                                                   "them as S: lines)")));
        return 0;
    }
    guint total = 0;
    guint right = 0;
    GString *first_wrong = NULL;
    for (guint g = 0; g < f->groups->len; g++) {
        g_autofree char *actual = ms_grade_group_status(f, g);
        if (actual == NULL)
            continue; /* a line of the message text: nothing is answered */
        total++;
        const char *group = g < pred->len ? g_ptr_array_index(pred, g) : NULL;
        g_autofree char *guess = predicted_status(group, f->protocol);
        if (guess != NULL && g_ascii_strcasecmp(guess, actual) == 0) {
            right++;
        } else if (first_wrong == NULL) {
            first_wrong = g_string_new(NULL);
            const char *after = g == 0 ? ms_grade_tr(lang, N_("the connection opened"))
                                       : ((const MsTraceRecord *) g_ptr_array_index(
                                              f->typed, g - 1))
                                             ->text;
            g_autofree char *s =
                guess == NULL ? ms_grade_fmt(lang, N_("after \"{1}\" you predicted no reply; "
                                                      "the server answered {2}"),
                                             after, actual, NULL)
                              : ms_grade_fmt(lang, N_("after \"{1}\" you predicted {2}; the "
                                                      "server answered {3}"),
                                             after, guess, actual, NULL);
            g_string_append(first_wrong, s);
        }
    }
    g_autofree char *a = g_strdup_printf("%u", right);
    g_autofree char *b = g_strdup_printf("%u", total);
    g_autofree char *s = ms_grade_fmt(lang, N_("{1} of {2} replies predicted right"), a, b, NULL);
    g_string_append(out, s);
    if (first_wrong != NULL) {
        g_string_append(out, ms_grade_separator(lang));
        g_string_append(out, first_wrong->str);
        g_string_free(first_wrong, TRUE);
    }
    if (total == 0)
        return 0;
    double frac = (double) right / (double) total;
    return frac >= p->min_fraction ? 1 : frac;
}
