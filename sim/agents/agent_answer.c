/* agent_answer.c - a user answers or passes on a message they have read:
 * 'reply' and 'forward'.
 *
 * A reply is a new message whose header ties it to the original (RFC 5322
 * 3.6.4: In-Reply-To holds the original's Message-ID, References the
 * thread up to it), goes to the original's Reply-To or else its From
 * (3.6.3), and is titled "Re: " and the original's subject (3.6.5).  A
 * forward goes to whoever the user names, is titled "Fwd: ...", and
 * carries the original whole as a message/rfc822 part (RFC 2046 5.2.1).
 * Both choose among the messages the agent has downloaded; one that is not
 * there when the action fires is a note in the transcript, not a crash.
 */
#include <string.h>

#include "agents/agents-private.h"
#include "mailsim/message.h"

/* What the transcript says when the original an action names is not
 * among the downloads, per action: the note's key, and the sentence for an
 * original named by its place in the downloads and by its subject, each
 * for one download ([0]) and for any other number ([1]).  Each
 * sentence stays whole, because events.c matches it whole against its
 * template to translate it (po/zh_CN.po); each takes the same arguments,
 * the user, the place or the subject, and the number of downloads. */
static const struct {
    MsScActionKind kind;
    const char *key;
    const char *by_number[2];
    const char *by_subject[2];
} no_original[] = {
    { MS_SC_REPLY, "reply.no-original",
      { "%s's agent cannot reply to message %s: it has downloaded %u message so far, so no "
        "reply is sent",
        "%s's agent cannot reply to message %s: it has downloaded %u messages so far, so no "
        "reply is sent" },
      { "%s's agent cannot reply to \"%s\": the %u message it has downloaded does not have "
        "that subject, so no reply is sent",
        "%s's agent cannot reply to \"%s\": none of the %u messages it has downloaded has "
        "that subject, so no reply is sent" } },
    { MS_SC_FORWARD, "forward.no-original",
      { "%s's agent cannot forward message %s: it has downloaded %u message so far, so "
        "nothing is forwarded",
        "%s's agent cannot forward message %s: it has downloaded %u messages so far, so "
        "nothing is forwarded" },
      { "%s's agent cannot forward \"%s\": the %u message it has downloaded does not have "
        "that subject, so nothing is forwarded",
        "%s's agent cannot forward \"%s\": none of the %u messages it has downloaded has "
        "that subject, so nothing is forwarded" } },
};

static void note_no_original(MsUserAgent *agent, const MsScAction *action)
{
    guint i = 0;
    while (i < G_N_ELEMENTS(no_original) && no_original[i].kind != action->kind)
        i++;
    g_assert(i < G_N_ELEMENTS(no_original));
    g_autofree char *place = g_strdup_printf("%u", action->number);
    gboolean by_subject = action->original != NULL;
    guint form = agent->received->len == 1 ? 0 : 1;
    const char *fmt = by_subject ? no_original[i].by_subject[form] : no_original[i].by_number[form];
    /* The sentences come from the table above, so the compiler cannot check
     * them against the arguments: the table's comment states them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    ms_world_note(agent->world, MS_TRACE_ACTION, no_original[i].key, agent->host_name, NULL, 0,
                  fmt, agent->local, by_subject ? action->original : place,
                  agent->received->len);
#pragma GCC diagnostic pop
}

/* The original named by the action, or NULL after noting why there is
 * none.  *number_out gets its place in the agent's downloads (from 1). */
static GBytes *find_original(MsUserAgent *agent, const MsScAction *action, guint *number_out)
{
    guint n = agent->received->len;
    if (action->original == NULL) {
        if (action->number >= 1 && action->number <= n) {
            *number_out = action->number;
            return g_ptr_array_index(agent->received, action->number - 1);
        }
        note_no_original(agent, action);
        return NULL;
    }
    /* The latest download with that subject: the one the user just read. */
    for (guint i = n; i > 0; i--) {
        GBytes *data = g_ptr_array_index(agent->received, i - 1);
        g_autofree char *raw = ms_message_peek_field(data, "Subject");
        g_autofree char *subject = raw != NULL ? ms_rfc2047_decode(raw) : NULL;
        if (subject != NULL && strcmp(g_strstrip(subject), action->original) == 0) {
            *number_out = i;
            return data;
        }
    }
    note_no_original(agent, action);
    return NULL;
}

/* "Re: Ketchup" from "Ketchup", "Re: Ketchup" or "RE: re: Ketchup": one
 * prefix, never "Re: Re:" (RFC 5322 3.6.5); "Fwd: " likewise (transfer
 * full). */
static char *prefixed(const char *subject, const char *prefix)
{
    const char *p = subject != NULL ? subject : "";
    gsize n = strlen(prefix);
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (g_ascii_strncasecmp(p, prefix, n) != 0 || p[n] != ':')
            break;
        p += n + 1;
    }
    return *p != '\0' ? g_strdup_printf("%s: %s", prefix, p) : g_strdup_printf("%s:", prefix);
}

/* The mailboxes of an address-list field, split at the commas that are
 * not inside a quoted string, angle brackets or a comment (RFC 5322 3.4),
 * with encoded-words decoded: the composer encodes them again. */
static GPtrArray *split_mailboxes(const char *value)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gboolean quoted = FALSE;
    int angle = 0, comment = 0;
    const char *start = value;
    for (const char *p = value;; p++) {
        if (*p == '\0' || (*p == ',' && !quoted && angle == 0 && comment == 0)) {
            g_autofree char *raw = g_strstrip(g_strndup(start, (gsize) (p - start)));
            if (raw[0] != '\0')
                g_ptr_array_add(out, ms_rfc2047_decode(raw));
            if (*p == '\0')
                break;
            start = p + 1;
        } else if (*p == '\\' && quoted && p[1] != '\0') {
            p++;
        } else if (*p == '"' && comment == 0) {
            quoted = !quoted;
        } else if (!quoted && *p == '<') {
            angle++;
        } else if (!quoted && *p == '>' && angle > 0) {
            angle--;
        } else if (!quoted && *p == '(') {
            comment++;
        } else if (!quoted && *p == ')' && comment > 0) {
            comment--;
        }
    }
    return out;
}

/* RFC 5322 3.6.4: the parent's References (or, lacking them, its
 * In-Reply-To when that names one message), then the parent's Message-ID
 * (transfer full; NULL when there is nothing to refer to). */
static char *references_of(GBytes *original, const char *message_id)
{
    g_autofree char *refs = ms_message_peek_field(original, "References");
    if (refs == NULL) {
        g_autofree char *irt = ms_message_peek_field(original, "In-Reply-To");
        if (irt != NULL && strchr(g_strstrip(irt), ' ') == NULL && irt[0] == '<')
            refs = g_steal_pointer(&irt);
    }
    if (refs != NULL)
        g_strstrip(refs);
    if (refs != NULL && refs[0] != '\0' && message_id != NULL)
        return g_strdup_printf("%s %s", refs, message_id);
    if (message_id != NULL)
        return g_strdup(message_id);
    return refs != NULL && refs[0] != '\0' ? g_steal_pointer(&refs) : NULL;
}

/* The first text/plain leaf, not looking inside attached messages. */
static const MsMimePart *first_text(const MsMimePart *part)
{
    const char *type = ms_mime_part_type(part);
    guint n = ms_mime_part_n_children(part);
    if (n == 0)
        return strcmp(type, "text/plain") == 0 ? part : NULL;
    if (!g_str_has_prefix(type, "multipart/"))
        return NULL;
    for (guint i = 0; i < n; i++) {
        const MsMimePart *t = first_text(ms_mime_part_child(part, i));
        if (t != NULL)
            return t;
    }
    return NULL;
}

/* The original's text in UTF-8 with "\n" line ends, for quoting (transfer
 * full), or NULL when it has none that can be read. */
static char *original_text(GBytes *original)
{
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(original, NULL);
    if (msg == NULL)
        return NULL;
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    const MsMimePart *text = first_text(root);
    g_autoptr(GBytes) bytes = text != NULL ? ms_mime_part_decode(text, NULL) : NULL;
    if (bytes == NULL)
        return NULL;
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    const char *charset = ms_mime_part_param(text, "charset");
    g_autofree char *utf8 = NULL;
    if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0
        && g_ascii_strcasecmp(charset, "us-ascii") != 0)
        utf8 = g_convert(data, (gssize) len, "UTF-8", charset, NULL, NULL, NULL);
    else
        utf8 = g_strndup(data, len);
    if (utf8 == NULL || !g_utf8_validate(utf8, -1, NULL))
        return NULL;
    GString *out = g_string_new(NULL);
    for (const char *p = utf8; *p != '\0'; p++) {
        if (*p != '\r')
            g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* What a mail reader writes under the user's own text: who wrote the
 * original and when, then its text with "> " before each line. */
static char *quoted_reply(const MsScAction *action, GBytes *original)
{
    const char *own = action->body != NULL ? action->body : "";
    g_autofree char *text = original_text(original);
    g_autofree char *date = ms_message_peek_field(original, "Date");
    g_autofree char *raw_from = ms_message_peek_field(original, "From");
    g_autofree char *from = raw_from != NULL ? ms_rfc2047_decode(raw_from) : NULL;
    if (text == NULL)
        return g_strdup(own);
    GString *out = g_string_new(own);
    if (out->len > 0 && out->str[out->len - 1] != '\n')
        g_string_append_c(out, '\n');
    if (out->len > 0)
        g_string_append_c(out, '\n');
    if (date != NULL && from != NULL)
        g_string_append_printf(out, "On %s, %s wrote:\n", date, from);
    else
        g_string_append_printf(out, "%s wrote:\n", from != NULL ? from : "The original");
    gsize len = strlen(text);
    while (len > 0 && text[len - 1] == '\n')
        text[--len] = '\0';
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
        g_string_append_printf(out, lines[i][0] != '\0' ? "> %s\n" : ">\n", lines[i]);
    /* The quote must fit what the action asked of the text: its charset
     * and its encoding; if it cannot, the reply goes without it. */
    gboolean fits = TRUE;
    if (action->charset != NULL) {
        g_autofree char *conv = g_convert(out->str, -1, action->charset, "UTF-8", NULL, NULL,
                                          NULL);
        fits = conv != NULL;
    }
    if (action->encoding == MS_TE_7BIT && !ms_message_is_7bit(out->str, out->len))
        fits = FALSE;
    if (!fits) {
        g_string_free(out, TRUE);
        return g_strdup(own);
    }
    return g_string_free(out, FALSE);
}

void ms_agent_answer(MsUserAgent *agent, const MsScAction *action)
{
    guint number = 0;
    GBytes *original = find_original(agent, action, &number);
    if (original == NULL)
        return;
    g_autofree char *raw_subject = ms_message_peek_field(original, "Subject");
    g_autofree char *subject = raw_subject != NULL ? ms_rfc2047_decode(raw_subject) : NULL;
    g_autofree char *message_id = ms_message_peek_field(original, "Message-ID");
    if (message_id != NULL)
        g_strstrip(message_id);
    const char *shown_id = message_id != NULL ? message_id : "(no Message-ID)";
    const char *shown_subject = subject != NULL ? g_strstrip(subject) : "";
    MsAgentAnswer answer = { 0 };
    if (action->kind == MS_SC_FORWARD) {
        g_autofree char *fwd = prefixed(shown_subject, "Fwd");
        answer.subject = fwd;
        answer.forwarded = original;
        GString *to = g_string_new(NULL);
        for (guint i = 0; i < action->to->len; i++)
            g_string_append_printf(to, "%s%s", i > 0 ? ", " : "",
                                   (const char *) g_ptr_array_index(action->to, i));
        ms_world_note_text(agent->world, MS_TRACE_ACTION, "action.forward", agent->host_name,
                           message_id, agent->address, number,
                           "%s's agent forwards message %u \"%s\" %s to %s, the original "
                           "whole inside as a message/rfc822 part", agent->local, number,
                           shown_subject, shown_id, to->str);
        g_string_free(to, TRUE);
        ms_user_agent_submit(agent, action, &answer);
        return;
    }
    /* RFC 5322 3.6.3: replies go to Reply-To when the author gave one. */
    g_autofree char *reply_to = ms_message_peek_field(original, "Reply-To");
    g_autofree char *from = ms_message_peek_field(original, "From");
    const char *field = reply_to != NULL ? "Reply-To" : "From";
    g_autoptr(GPtrArray) to = split_mailboxes(reply_to != NULL ? reply_to : from != NULL ? from
                                                                                         : "");
    if (to->len == 0) {
        ms_world_note(agent->world, MS_TRACE_ACTION, "reply.no-original", agent->host_name,
                      message_id, 0,
                      "%s's agent cannot reply to message %u: it has neither Reply-To nor "
                      "From, so there is no one to reply to", agent->local, number);
        return;
    }
    GString *addrs = g_string_new(NULL);
    for (guint i = 0; i < to->len; i++) {
        g_autofree char *addr = ms_message_addr_spec(g_ptr_array_index(to, i));
        g_string_append_printf(addrs, "%s%s", i > 0 ? ", " : "", addr);
    }
    g_ptr_array_add(to, NULL);
    g_autofree char *re = prefixed(shown_subject, "Re");
    g_autofree char *references = references_of(original, message_id);
    g_autofree char *text = quoted_reply(action, original);
    answer.to = (const char *const *) to->pdata;
    answer.subject = re;
    answer.in_reply_to = message_id;
    answer.references = references;
    answer.text = text;
    ms_world_note_text(agent->world, MS_TRACE_ACTION, "action.reply", agent->host_name,
                       message_id, agent->address, number,
                       "%s's agent replies to message %u \"%s\" %s: to %s, from its %s: "
                       "field", agent->local, number, shown_subject, shown_id, addrs->str,
                       field);
    g_string_free(addrs, TRUE);
    ms_user_agent_submit(agent, action, &answer);
}
