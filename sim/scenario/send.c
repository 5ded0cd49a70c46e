/* send.c - reads a 'send' action: the envelope, the header and the body.
 *
 * The language keeps apart what the notes keep apart: the envelope (to, cc,
 * bcc: whom the message is delivered to) and the header a user sees (the
 * same To: and Cc:, and a From: that may differ from the sender).  Bodies,
 * HTML alternatives and attachments may come from files next to the
 * scenario; the parser reads them here, so a missing picture is reported at
 * its line and column like any other mistake, and a run never touches the
 * file system again.
 */
#include "scenario-private.h"

#include <string.h>

/* A text written inline shares the cap of one read from a file (files.c). */
#define MAX_FILE_BYTES (10 * 1000 * 1000)
/* Messages one 'send' may ask for ('count'). */
#define MAX_COUNT 1000

/* A display name is one line of text (RFC 5322 3.4: a phrase, which the
 * user agent quotes or encodes as needed). */
static gboolean good_name(MsScCursor *c, const MsScToken *tok)
{
    for (const char *q = tok->text; *q != '\0'; q++) {
        if ((guchar) *q < 0x20 || *q == 0x7F) {
            ms_sc_fail(c, tok->loc, "a display name is one line of text: it cannot hold a "
                                    "line break or control character");
            return FALSE;
        }
    }
    return TRUE;
}

/* The parts of "Name <addr>" written in one string (transfer full). */
static void split_mailbox(const char *text, char **name_out, char **addr_out)
{
    const char *lt = strrchr(text, '<');
    *name_out = g_strstrip(g_strndup(text, (gsize) (lt - text)));
    *addr_out = g_strndup(lt + 1, strlen(lt + 1) - 1);
}

static gboolean is_mailbox(const char *text);

/* One recipient: an address, "Bob Smith" <bob@hamburger.edu> (a display
 * name and an angle address, RFC 5322 3.4), <bob@hamburger.edu>, or the
 * whole "Bob Smith <bob@hamburger.edu>" in one string.  no_names, when not
 * NULL, says why this list takes no display name. */
static gboolean read_mailbox(MsScCursor *c, const char *what, const char *no_names,
                             char **addr_out, char **name_out, MsLoc *loc_out)
{
    MsScToken *tok = ms_sc_take(c);
    MsScToken *angle = NULL;
    char *name = NULL;
    char *addr = NULL;
    if (tok != NULL && tok->kind == MS_SC_TOK_ANGLE) {
        angle = tok;
    } else if (ms_sc_is_text(tok) && ms_sc_peek(c) != NULL
               && ms_sc_peek(c)->kind == MS_SC_TOK_ANGLE) {
        if (!good_name(c, tok))
            return FALSE;
        angle = ms_sc_take(c);
        name = g_strdup(tok->text);
    } else if (ms_sc_is_text(tok) && ms_sc_is_address(tok->text)) {
        addr = g_strdup(tok->text);
        *loc_out = tok->loc;
    } else if (tok != NULL && tok->kind == MS_SC_TOK_STRING && is_mailbox(tok->text)
               && strchr(tok->text, '<') != NULL) {
        split_mailbox(tok->text, &name, &addr);
        *loc_out = tok->loc;
    } else {
        ms_sc_fail_expected(c, tok, what);
        return FALSE;
    }
    if (angle != NULL) {
        if (!ms_sc_is_address(angle->text)) {
            g_autofree char *found = ms_sc_describe(angle);
            g_free(name);
            ms_sc_fail(c, (MsLoc) { angle->loc.line, angle->loc.column + 1 },
                       "expected an address such as bob@hamburger.edu "
                                      "between '<' and '>', found %s", found);
            return FALSE;
        }
        addr = g_strdup(angle->text);
        *loc_out = (MsLoc) { angle->loc.line, angle->loc.column + 1 };
    }
    if (name != NULL && name[0] == '\0')
        g_clear_pointer(&name, g_free);
    if (name != NULL && no_names != NULL) {
        g_free(name);
        g_free(addr);
        ms_sc_fail(c, tok->loc, "%s: write the address only, such as bob@hamburger.edu",
                   no_names);
        return FALSE;
    }
    *addr_out = addr;
    *name_out = name != NULL ? name : g_strdup("");
    return TRUE;
}

gboolean ms_sc_read_addresses(MsScCursor *c, GPtrArray *list, GPtrArray *names, GArray *locs,
                              const char *no_names)
{
    const char *what = "an address such as bob@hamburger.edu or "
                       "\"Bob Smith\" <bob@hamburger.edu>";
    for (;;) {
        char *addr = NULL;
        char *name = NULL;
        MsLoc loc = { 0, 0 };
        if (!read_mailbox(c, what, no_names, &addr, &name, &loc))
            return FALSE;
        g_ptr_array_add(list, addr);
        if (names != NULL)
            g_ptr_array_add(names, name);
        else
            g_free(name);
        g_array_append_val(locs, loc);
        MsScToken *next = ms_sc_peek(c);
        if (next == NULL || next->kind != MS_SC_TOK_COMMA)
            return TRUE;
        c->pos++;
        what = "another address after ','";
    }
}

/* Replaces a string an option set before (transfer full of value). */
static void set_string(char **slot, char *value)
{
    g_free(*slot);
    *slot = value;
}

/* ---- Values of the header ---------------------------------------------- */

/* RFC 5322 3.4: a From: is an addr-spec or "display-name <addr-spec>". */
static gboolean is_mailbox(const char *text)
{
    if (strpbrk(text, "\r\n") != NULL)
        return FALSE;
    const char *lt = strrchr(text, '<');
    if (lt == NULL)
        return ms_sc_is_address(text);
    gsize len = strlen(text);
    if (len == 0 || text[len - 1] != '>')
        return FALSE;
    g_autofree char *addr = g_strndup(lt + 1, (gsize) (text + len - 1 - (lt + 1)));
    return ms_sc_is_address(addr);
}

/* The fields mailsim writes itself, and the option that sets each. */
static const struct {
    const char *field;
    const char *instead;
} own_fields[] = {
    { "From", "from" },
    { "To", "to" },
    { "Cc", "cc" },
    { "Bcc", "bcc" },
    { "Subject", "subject" },
    { "MIME-Version", "body, html or attach" },
    { "Content-Type", "body, html, attach and charset" },
    { "Content-Transfer-Encoding", "encoding" },
};

static gboolean read_header(MsScCursor *c, GPtrArray *headers, MsScActionKind kind)
{
    MsScToken *tok = ms_sc_expect_text(c, "a header line in double quotes, such as "
                                          "\"X-Mailer: mailsim\"");
    if (tok == NULL)
        return FALSE;
    g_autofree char *q = ms_sc_quote(tok->text);
    /* RFC 5322 2.2 and 3.6.8: field-name = 1*ftext (printable US-ASCII but
     * ':'), then ':', then an unstructured value on one (unfolded) line. */
    const char *colon = strchr(tok->text, ':');
    gboolean ok = colon != NULL && colon != tok->text;
    for (const char *p = tok->text; ok && p < colon; p++) {
        if ((guchar) *p < 33 || (guchar) *p > 126)
            ok = FALSE;
    }
    if (!ok) {
        ms_sc_fail(c, tok->loc, "expected a header line 'Name: value' with a name of "
                                "printable ASCII and no spaces, found \"%s\"", q);
        return FALSE;
    }
    if (strpbrk(colon, "\r\n") != NULL) {
        ms_sc_fail(c, tok->loc, "a header line is one line here: it cannot hold a line "
                                "break (mailsim folds long lines itself)");
        return FALSE;
    }
    g_autofree char *name = g_strndup(tok->text, (gsize) (colon - tok->text));
    for (guint i = 0; i < G_N_ELEMENTS(own_fields); i++) {
        if (g_ascii_strcasecmp(name, own_fields[i].field) == 0) {
            ms_sc_fail(c, tok->loc, "mailsim writes the %s: field itself; set it with %s "
                                    "instead of 'header'", own_fields[i].field,
                       own_fields[i].instead);
            return FALSE;
        }
    }
    /* RFC 5322 3.6.4: a reply's identification fields come from the
     * original's; a forward's would be free, a reply's must not clash. */
    if (kind == MS_SC_REPLY && (g_ascii_strcasecmp(name, "In-Reply-To") == 0
                                || g_ascii_strcasecmp(name, "References") == 0)) {
        ms_sc_fail(c, tok->loc, "mailsim writes the %s: field of a reply itself, from the "
                                "original's Message-ID", name);
        return FALSE;
    }
    g_ptr_array_add(headers, g_strdup(tok->text));
    return TRUE;
}

/* RFC 2978 2.3: the characters of a charset name. */
static gboolean is_charset_name(const char *text)
{
    if (*text == '\0' || strlen(text) > 40)
        return FALSE;
    for (const char *p = text; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("!#$%&'+-^_`{}~", *p) == NULL)
            return FALSE;
    }
    return TRUE;
}

/* ---- Attachments ------------------------------------------------------- */

static const struct {
    const char *extension;
    const char *type;
} known_types[] = {
    { "jpg", "image/jpeg" },      { "jpeg", "image/jpeg" },
    { "png", "image/png" },       { "gif", "image/gif" },
    { "svg", "image/svg+xml" },   { "txt", "text/plain" },
    { "html", "text/html" },      { "htm", "text/html" },
    { "csv", "text/csv" },        { "pdf", "application/pdf" },
    { "zip", "application/zip" }, { "json", "application/json" },
    { "mp3", "audio/mpeg" },      { "wav", "audio/wav" },
    { "mp4", "video/mp4" },
};

/* RFC 2045 5.1: token = 1*<any CHAR except SPACE, CTLs, or tspecials>. */
static gboolean is_token(const char *p, const char *end)
{
    if (p == end)
        return FALSE;
    for (; p < end; p++) {
        if ((guchar) *p <= 32 || (guchar) *p >= 127 || strchr("()<>@,;:\\\"/[]?=", *p) != NULL)
            return FALSE;
    }
    return TRUE;
}

static gboolean is_media_type(const char *text)
{
    const char *slash = strchr(text, '/');
    return slash != NULL && is_token(text, slash) && is_token(slash + 1, slash + strlen(slash));
}

static gboolean read_attachment(MsScCursor *c, MsScAction *act)
{
    MsScToken *tok = ms_sc_expect_text(c, "the file to attach, such as picture.jpg");
    if (tok == NULL)
        return FALSE;
    GBytes *data = ms_sc_read_file(c, tok);
    if (data == NULL)
        return FALSE;
    MsScAttachment *a = g_new0(MsScAttachment, 1);
    a->path = g_strdup(tok->text);
    a->filename = g_path_get_basename(tok->text);
    a->data = data;
    a->loc = tok->loc;
    g_ptr_array_add(act->attachments, a);
    if (ms_sc_is_word(ms_sc_peek(c), "type")) {
        c->pos++;
        MsScToken *type = ms_sc_expect_text(c, "a media type such as image/jpeg");
        if (type == NULL)
            return FALSE;
        if (!is_media_type(type->text)) {
            g_autofree char *q = ms_sc_quote(type->text);
            ms_sc_fail(c, type->loc, "expected a media type TYPE/SUBTYPE such as image/jpeg "
                                     "(RFC 2045 5.1), found '%s'", q);
            return FALSE;
        }
        a->content_type = g_strdup(type->text);
        return TRUE;
    }
    const char *dot = strrchr(a->filename, '.');
    for (guint i = 0; dot != NULL && i < G_N_ELEMENTS(known_types); i++) {
        if (g_ascii_strcasecmp(dot + 1, known_types[i].extension) == 0)
            a->content_type = g_strdup(known_types[i].type);
    }
    /* RFC 2046 4.5.1: bytes of unknown kind. */
    if (a->content_type == NULL)
        a->content_type = g_strdup("application/octet-stream");
    return TRUE;
}

/* ---- The action --------------------------------------------------------- */

enum { OPT_TO, OPT_CC, OPT_BCC, OPT_FROM, OPT_SUBJECT, OPT_BODY, OPT_BODY_FILE, OPT_HTML,
       OPT_HTML_FILE, OPT_ATTACH, OPT_HEADER, OPT_CHARSET, OPT_ENCODING, OPT_RAW8BIT,
       OPT_COUNT };
static const char *const send_options[] = { "to", "cc", "bcc", "from", "subject", "body",
                                            "body-file", "html", "html-file", "attach",
                                            "header", "charset", "encoding", "raw8bit",
                                            "count", NULL };

static gboolean read_option(MsScCursor *c, int opt, MsScAction *act, MsScActionLocs *locs)
{
    static const char *const encodings[] = { "7bit", "8bit", "quoted-printable", "base64",
                                             NULL };
    static const MsTransferEncoding encoding_values[] = { MS_TE_7BIT, MS_TE_8BIT,
                                                          MS_TE_QUOTED_PRINTABLE,
                                                          MS_TE_BASE64 };
    MsScToken *tok = NULL;
    guint64 n = 0;
    int i = 0;
    switch (opt) {
    case OPT_TO: return ms_sc_read_addresses(c, act->to, act->to_names, locs->to, NULL);
    case OPT_CC: return ms_sc_read_addresses(c, act->cc, act->cc_names, locs->cc, NULL);
    case OPT_BCC:
        return ms_sc_read_addresses(c, act->bcc, NULL, locs->bcc,
                                    "a Bcc recipient is in no header line, so a display "
                                    "name would show nowhere");
    case OPT_FROM:
        tok = ms_sc_peek(c);
        if (tok != NULL && (tok->kind == MS_SC_TOK_ANGLE
                            || (c->pos + 1 < c->st->tokens->len
                                && ((MsScToken *) g_ptr_array_index(c->st->tokens, c->pos + 1))
                                           ->kind == MS_SC_TOK_ANGLE))) {
            /* from "Alice Liddell" <alice@crepes.fr> */
            char *addr = NULL;
            char *name = NULL;
            MsLoc loc = { 0, 0 };
            if (!read_mailbox(c, "the From: line", NULL, &addr, &name, &loc))
                return FALSE;
            act->from = name[0] != '\0' ? g_strdup_printf("%s <%s>", name, addr)
                                          : g_strdup(addr);
            g_free(addr);
            g_free(name);
            return TRUE;
        }
        tok = ms_sc_expect_text(c, "the From: line such as \"Alice <alice@crepes.fr>\"");
        if (tok != NULL && !is_mailbox(tok->text)) {
            g_autofree char *q = ms_sc_quote(tok->text);
            ms_sc_fail(c, tok->loc, "expected a From: such as \"Alice <alice@crepes.fr>\" or "
                                    "alice@crepes.fr, found \"%s\"", q);
            return FALSE;
        }
        act->from = tok != NULL ? g_strdup(tok->text) : NULL;
        return tok != NULL;
    case OPT_SUBJECT:
        tok = ms_sc_expect_text(c, "the subject in double quotes, such as \"Ketchup\"");
        /* RFC 5322 2.2: a header field is one line; an unfolded subject
         * cannot hold a line break. */
        if (tok != NULL && strpbrk(tok->text, "\r\n") != NULL) {
            ms_sc_fail(c, tok->loc, "a subject is one line: it cannot hold a line break");
            return FALSE;
        }
        act->subject = tok != NULL ? g_strdup(tok->text) : NULL;
        return tok != NULL;
    case OPT_BODY:
    case OPT_HTML:
        tok = ms_sc_expect_text(c, opt == OPT_BODY ? "the body in double quotes, such as "
                                                     "\"Hi!\\n\""
                                                   : "the HTML in double quotes, such as "
                                                     "\"<p>Hi!</p>\"");
        if (tok == NULL)
            return FALSE;
        /* A text written inline shares the cap of one read from a file. */
        if (strlen(tok->text) > MAX_FILE_BYTES) {
            ms_sc_fail(c, tok->loc, "the %s is larger than %d bytes: too large to send in a "
                                    "simulation", opt == OPT_BODY ? "body" : "HTML",
                       MAX_FILE_BYTES);
            return FALSE;
        }
        set_string(opt == OPT_BODY ? &act->body : &act->html, g_strdup(tok->text));
        return TRUE;
    case OPT_BODY_FILE:
    case OPT_HTML_FILE:
        tok = ms_sc_expect_text(c, "a file name such as letter.txt, relative to the "
                                   "scenario file");
        if (tok == NULL)
            return FALSE;
        set_string(opt == OPT_BODY_FILE ? &act->body : &act->html, ms_sc_read_text_file(c, tok));
        set_string(opt == OPT_BODY_FILE ? &act->body_file : &act->html_file,
                   g_strdup(tok->text));
        return !c->failed;
    case OPT_ATTACH: return read_attachment(c, act);
    case OPT_HEADER: return read_header(c, act->headers, act->kind);
    case OPT_CHARSET:
        tok = ms_sc_expect_text(c, "a charset name such as utf-8 or iso-8859-1");
        locs->charset = ms_sc_loc_of(c, tok);
        if (tok != NULL && !is_charset_name(tok->text)) {
            g_autofree char *q = ms_sc_quote(tok->text);
            ms_sc_fail(c, tok->loc, "'%s' is not a charset name (RFC 2978 2.3)", q);
            return FALSE;
        }
        act->charset = tok != NULL ? g_strdup(tok->text) : NULL;
        return tok != NULL;
    case OPT_ENCODING:
        locs->encoding = ms_sc_loc_of(c, ms_sc_peek(c));
        i = ms_sc_read_choice(c, encodings, " after 'encoding'");
        act->encoding = i >= 0 ? encoding_values[i] : MS_TE_AUTO;
        return i >= 0;
    case OPT_RAW8BIT: act->raw8bit = TRUE; return TRUE;
    case OPT_COUNT:
        if (!ms_sc_read_whole(c, 1, MAX_COUNT, "a number of messages from 1 to 1000, "
                                                "such as 3", &n))
            return FALSE;
        act->count = (guint) n;
        return TRUE;
    default: g_assert_not_reached();
    }
    return FALSE;
}

/* Two options that cannot go together: the error at the later one. */
static gboolean clash(MsScCursor *c, const MsLoc *seen, int a, int b, const char *why)
{
    if (seen[a].line == 0 || seen[b].line == 0)
        return FALSE;
    gboolean a_first = seen[a].line < seen[b].line
                       || (seen[a].line == seen[b].line && seen[a].column < seen[b].column);
    int later = a_first ? b : a;
    int earlier = a_first ? a : b;
    ms_sc_fail(c, seen[later], "'%s' cannot go with '%s' (at %u:%u): %s", send_options[later],
               send_options[earlier], seen[earlier].line, seen[earlier].column, why);
    return TRUE;
}

/* The text parts, as they will be written in the charset, must fit the
 * charset and the encoding; compose would refuse them at run time. */
static gboolean check_text(MsScCursor *c, const MsScAction *act, const MsScActionLocs *locs)
{
    const char *parts[] = { act->body, act->html };
    const char *names[] = { "body", "HTML" };
    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        if (parts[i] == NULL)
            continue;
        g_autofree char *converted = NULL;
        gsize len = strlen(parts[i]);
        if (act->charset != NULL) {
            g_autoptr(GError) error = NULL;
            converted = g_convert(parts[i], -1, act->charset, "UTF-8", NULL, &len, &error);
            g_autofree char *q = ms_sc_quote(act->charset);
            if (converted == NULL && g_error_matches(error, G_CONVERT_ERROR,
                                                     G_CONVERT_ERROR_NO_CONVERSION)) {
                ms_sc_fail(c, locs->charset, "unknown charset '%s'", q);
                return FALSE;
            }
            if (converted == NULL) {
                ms_sc_fail(c, locs->charset, "the %s cannot be written in charset '%s': "
                                                 "it holds characters '%s' does not have",
                           names[i], q, q);
                return FALSE;
            }
        }
        const char *bytes = converted != NULL ? converted : parts[i];
        gboolean eight = FALSE;
        for (gsize k = 0; k < len; k++)
            eight = eight || (guchar) bytes[k] >= 0x80;
        /* RFC 2045 2.7: 7bit data is US-ASCII only. */
        if (eight && act->encoding == MS_TE_7BIT) {
            ms_sc_fail(c, locs->encoding, "the %s is not 7-bit ASCII, so it cannot be "
                                              "sent with 'encoding 7bit': use "
                                              "quoted-printable or base64", names[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* Why an option of 'send' has no place in a reply or a forward, or NULL
 * when it has one. */
static const char *not_here(MsScActionKind kind, int opt)
{
    switch (opt) {
    case OPT_TO:
        return kind == MS_SC_REPLY ? "a reply goes to the original's Reply-To, or its From "
                                     "when it has none (RFC 5322 3.6.3): add others with cc"
                                   : NULL;
    case OPT_SUBJECT:
        return kind == MS_SC_REPLY ? "a reply's subject is the original's with 'Re: ' in front "
                                     "(RFC 5322 3.6.5)"
                                   : "a forward's subject is the original's with 'Fwd: ' in "
                                     "front";
    case OPT_FROM: return "the agent's user writes it, as the author of the new message";
    case OPT_RAW8BIT: return "the original travels inside a MIME message";
    case OPT_COUNT: return "one message answers or passes on one original";
    default: return NULL;
    }
}

/* reply N | reply "SUBJECT": the message answered (or forwarded). */
static gboolean read_original(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    g_autofree char *what = g_strdup_printf("the message to %s: its number among the "
                                            "messages the agent has downloaded, such as 1, or "
                                            "its subject in double quotes, such as \"Ketchup\"",
                                            act->kind == MS_SC_REPLY ? "reply to" : "forward");
    MsScToken *tok = ms_sc_peek(c);
    gboolean keyword = FALSE;
    for (guint i = 0; tok != NULL && tok->kind == MS_SC_TOK_WORD && send_options[i] != NULL; i++)
        keyword = keyword || strcmp(tok->text, send_options[i]) == 0;
    /* 'forward to carol@...': the message was left out, not called "to". */
    if (!ms_sc_is_text(tok) || keyword) {
        ms_sc_fail_expected(c, tok, what);
        return FALSE;
    }
    locs->original = tok->loc;
    if (tok->kind == MS_SC_TOK_WORD && g_ascii_isdigit(tok->text[0])) {
        guint64 n = 0;
        if (!ms_sc_read_whole(c, 1, G_MAXUINT32, "a message number from 1, such as 1", &n))
            return FALSE;
        act->number = (guint) n;
        return TRUE;
    }
    c->pos++;
    if (tok->text[0] == '\0' || strpbrk(tok->text, "\r\n") != NULL) {
        ms_sc_fail(c, tok->loc, "a subject to look for is one line of text, not empty");
        return FALSE;
    }
    act->original = g_strdup(tok->text);
    return TRUE;
}

gboolean ms_sc_parse_send(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    guint repeatable = (1u << OPT_ATTACH) | (1u << OPT_HEADER);
    gboolean answer = act->kind == MS_SC_REPLY || act->kind == MS_SC_FORWARD;
    g_autofree char *where = g_strdup_printf("%s action", ms_sc_action_name(act->kind));
    if (answer && !read_original(c, act, locs))
        return FALSE;
    int opt;
    for (opt = ms_sc_next_option(c, send_options, seen, repeatable, where); opt >= 0;
         opt = ms_sc_next_option(c, send_options, seen, repeatable, where)) {
        const char *why = answer ? not_here(act->kind, opt) : NULL;
        if (why != NULL) {
            ms_sc_fail(c, seen[opt], "'%s' cannot go in a %s: %s", send_options[opt],
                       ms_sc_action_name(act->kind), why);
            return FALSE;
        }
        if (!read_option(c, opt, act, locs))
            return FALSE;
    }
    if (opt == -2)
        return FALSE;
    if (act->kind == MS_SC_REPLY)
        return check_text(c, act, locs);
    if (act->to->len == 0) {
        ms_sc_fail_expected(c, NULL, act->kind == MS_SC_FORWARD
                                         ? "'to' and the address to forward to, as in "
                                           "to carol@hamburger.edu"
                                         : "'to' and at least one address, as in "
                                           "to bob@hamburger.edu");
        return FALSE;
    }
    const char *raw = "raw 8-bit text has no MIME, so no parts, charset or encoding";
    if (clash(c, seen, OPT_BODY, OPT_BODY_FILE, "both give the text; keep one")
        || clash(c, seen, OPT_HTML, OPT_HTML_FILE, "both give the HTML; keep one")
        || clash(c, seen, OPT_RAW8BIT, OPT_HTML, raw)
        || clash(c, seen, OPT_RAW8BIT, OPT_HTML_FILE, raw)
        || clash(c, seen, OPT_RAW8BIT, OPT_ATTACH, raw)
        || clash(c, seen, OPT_RAW8BIT, OPT_CHARSET, raw)
        || clash(c, seen, OPT_RAW8BIT, OPT_ENCODING, raw))
        return FALSE;
    return check_text(c, act, locs);
}
