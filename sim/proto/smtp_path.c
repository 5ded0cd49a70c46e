/* smtp_path.c - the arguments of MAIL and RCPT: a path in angle brackets
 * and ESMTP parameters (RFC 5321 4.1.2).
 *
 *   Reverse-path   = Path / "<>"
 *   Forward-path   = Path
 *   Path           = "<" [ A-d-l ":" ] Mailbox ">"
 *   A-d-l          = At-domain *( "," At-domain )   ; a source route
 *   Mailbox        = Local-part "@" ( Domain / address-literal )
 *   Local-part     = Dot-string / Quoted-string
 *   Dot-string     = Atom *("." Atom)
 *   Domain         = sub-domain *("." sub-domain)
 *   sub-domain     = Let-dig [Ldh-str]
 *   esmtp-param    = esmtp-keyword ["=" esmtp-value]
 *   esmtp-keyword  = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 *   esmtp-value    = 1*(%d33-60 / %d62-126)
 */
#include <string.h>

#include "smtp-private.h"

/* RFC 5322 3.2.3 atext, which RFC 5321 4.1.2 reuses for Atom.  The
 * specials are a switch, not a search of their string: every octet of
 * every local part is tested. */
static gboolean is_atext(char c)
{
    if (g_ascii_isalnum(c))
        return TRUE;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
        return TRUE;
    default:
        return FALSE;
    }
}

static gboolean valid_dot_string(const char *s, gsize len)
{
    gboolean need_atext = TRUE;

    if (len == 0)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (s[i] == '.' && !need_atext) {
            need_atext = TRUE;
        } else if (is_atext(s[i])) {
            need_atext = FALSE;
        } else {
            return FALSE;
        }
    }
    return !need_atext;
}

/* Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE, where
 * qtextSMTP is %d32-33 / %d35-91 / %d93-126 and a quoted pair is "\" with
 * %d32-126.  Returns the length of the quoted string at s, 0 if none. */
static gsize quoted_string_len(const char *s, gsize len)
{
    if (len < 2 || s[0] != '"')
        return 0;
    for (gsize i = 1; i < len; i++) {
        guchar c = (guchar) s[i];

        if (c == '"')
            return i + 1;
        if (c == '\\') {
            if (i + 1 >= len || s[i + 1] < 32 || (guchar) s[i + 1] > 126)
                return 0;
            i++;
        } else if (c < 32 || c > 126) {
            return 0;
        }
    }
    return 0;
}

static gboolean valid_domain(const char *s, gsize len)
{
    if (len == 0)
        return FALSE;
    if (s[0] == '[') {
        /* address-literal: checked loosely, dcontent is %d33-90 / %d94-126. */
        if (len < 3 || s[len - 1] != ']')
            return FALSE;
        for (gsize i = 1; i + 1 < len; i++) {
            guchar c = (guchar) s[i];

            if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']')
                return FALSE;
        }
        return TRUE;
    }
    gsize label = 0;

    for (gsize i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            /* sub-domain = Let-dig [Ldh-str]: no empty label, no hyphen at
             * either end. */
            if (label == 0 || s[i - 1] == '-' || s[i - label] == '-')
                return FALSE;
            label = 0;
        } else if (g_ascii_isalnum(s[i]) || s[i] == '-') {
            label++;
        } else {
            return FALSE;
        }
    }
    return TRUE;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ), with the lengths of
 * RFC 5321 4.5.3.1.1 (local part 64) and 4.5.3.1.2 (domain 255). */
static gboolean valid_mailbox(const char *s, gsize len)
{
    gsize local = quoted_string_len(s, len);

    if (local == 0) {
        const char *at = memchr(s, '@', len);

        if (at == NULL)
            return FALSE;
        local = (gsize) (at - s);
        if (!valid_dot_string(s, local))
            return FALSE;
    }
    if (local > 64 || local >= len || s[local] != '@')
        return FALSE;
    gsize dlen = len - local - 1;

    return dlen <= 255 && valid_domain(s + local + 1, dlen);
}

/* A mailbox whose quoted local part (qlen octets, with its quotes) holds
 * a dot-atom once its quoted pairs are undone is written as that dot-atom,
 * in place: RFC 5321 4.1.2 takes a local part by its content, not its
 * form, and RFC 5322 3.4.1 says the dot-atom form is the one to use when
 * it can be.  So <"bob"@x> and <"b\ob"@x> name <bob@x>'s mailbox; a
 * content that needs the quotes ("bob smith") keeps them. */
static void unquote_local_part(char *mailbox, gsize qlen)
{
    char content[64]; /* RFC 5321 4.5.3.1.1: the local part is at most 64 */
    gsize n = 0;

    for (gsize i = 1; i + 1 < qlen && n < sizeof content; i++) {
        if (mailbox[i] == '\\')
            i++;
        content[n++] = mailbox[i];
    }
    if (!valid_dot_string(content, n))
        return;
    memmove(mailbox + n, mailbox + qlen, strlen(mailbox + qlen) + 1);
    memcpy(mailbox, content, n);
}

/* Skips a source route "@a,@b:" (RFC 5321 4.1.1.3: accepted and ignored). */
static gsize source_route_len(const char *s, gsize len)
{
    if (len == 0 || s[0] != '@')
        return 0;
    const char *colon = memchr(s, ':', len);

    return colon != NULL ? (gsize) (colon - s) + 1 : 0;
}

/* Parses `<path>` at the start of args.  On success path_out gets the
 * mailbox (or "" for "<>", "Postmaster" for "<Postmaster>"; a quoted local
 * part that needs no quotes without them) and rest_out what follows the
 * ">". */
MsSmtpPathStatus ms_smtp_parse_path(const char *args, gboolean allow_null,
                                    char path_out[MS_SMTP_PATH_MAX], const char **rest_out)
{
    path_out[0] = '\0';
    *rest_out = NULL;
    if (args[0] != '<')
        return MS_SMTP_PATH_SYNTAX;

    /* Find the closing ">", stepping over a quoted local part.  The rest
     * of the line is measured only for a source route or a quoted local
     * part, which few paths have. */
    const char *p = args + 1;
    gsize route = p[0] == '@' ? source_route_len(p, strlen(p)) : 0;
    const char *mbox = p + route;
    gsize qlen = mbox[0] == '"' ? quoted_string_len(mbox, strlen(mbox)) : 0;
    const char *close = strchr(mbox + qlen, '>');

    if (close == NULL)
        return MS_SMTP_PATH_SYNTAX;
    gsize mlen = (gsize) (close - mbox);

    *rest_out = close + 1;
    /* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its brackets,
     * so the mailbox of one that is not too long fits in path_out. */
    if ((gsize) (close - args) + 1 > MS_SMTP_PATH_MAX)
        return MS_SMTP_PATH_TOO_LONG;
    memcpy(path_out, mbox, mlen);
    path_out[mlen] = '\0';
    if (mlen == 0 && route == 0)
        return allow_null ? MS_SMTP_PATH_OK : MS_SMTP_PATH_BAD_ADDRESS;
    /* RFC 5321 4.5.1: "<Postmaster>" without a domain must be accepted.
     * The mailbox has no NUL (strchr() stopped at none), so one of ten
     * octets is the whole of it. */
    if (!allow_null && route == 0 && mlen == 10 &&
        ms_proto_ascii_caseeq(path_out, "postmaster", 10))
        return MS_SMTP_PATH_OK;
    if (!valid_mailbox(mbox, mlen))
        return MS_SMTP_PATH_BAD_ADDRESS;
    if (qlen > 0)
        unquote_local_part(path_out, qlen);
    return MS_SMTP_PATH_OK;
}

/* The next word of text from *cursor on: words are separated by single
 * spaces, an empty one (two spaces) skipped.  Read in place, as every MAIL
 * and RCPT of a run comes through here. */
static gboolean next_word(const char **cursor, const char **word_out, gsize *len_out)
{
    const char *w = *cursor;

    /* Scanned inline: a word is a few octets, and strcspn() cost more to
     * call than the scan. */
    while (*w == ' ')
        w++;
    if (*w == '\0') {
        *cursor = w;
        return FALSE;
    }
    const char *end = w;

    while (*end != ' ' && *end != '\0')
        end++;
    *word_out = w;
    *len_out = (gsize) (end - w);
    *cursor = *end == ' ' ? end + 1 : end;
    return TRUE;
}

/* Does the word follow esmtp-param? */
static gboolean valid_param(const char *w, gsize len)
{
    const char *eq = memchr(w, '=', len);
    gsize klen = eq != NULL ? (gsize) (eq - w) : len;

    if (klen == 0 || !g_ascii_isalnum(w[0]))
        return FALSE;
    for (gsize k = 0; k < klen; k++) {
        if (!g_ascii_isalnum(w[k]) && w[k] != '-')
            return FALSE;
    }
    if (eq != NULL) {
        if (eq + 1 == w + len)
            return FALSE;
        for (const char *v = eq + 1; v < w + len; v++) {
            if ((guchar) *v < 33 || (guchar) *v > 126 || *v == '=')
                return FALSE;
        }
    }
    return TRUE;
}

/* Splits "KEY=VALUE KEY2" into MsSmtpParam entries; FALSE when a parameter
 * does not follow the esmtp-param grammar (transfer full in params_out). */
gboolean ms_smtp_parse_params(const char *text, GPtrArray **params_out)
{
    g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func(g_free);
    const char *w;
    gsize len;

    *params_out = NULL;
    while (next_word(&text, &w, &len)) {
        if (!valid_param(w, len))
            return FALSE;
        g_ptr_array_add(params, g_strndup(w, len));
    }
    *params_out = g_steal_pointer(&params);
    return TRUE;
}

gboolean ms_smtp_params_valid(const char *text, guint *n_out)
{
    const char *w;
    gsize len;

    *n_out = 0;
    while (next_word(&text, &w, &len)) {
        if (!valid_param(w, len))
            return FALSE;
        (*n_out)++;
    }
    return TRUE;
}

/* size-value = 1*20DIGIT (RFC 1870 3), and within a guint64. */
static gboolean size_value(const char *v, gsize n, guint64 *size_out)
{
    guint64 size = 0;

    if (n == 0 || n > 20)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return FALSE;
        guint64 d = (guint64) (v[i] - '0');

        if (size > (G_MAXUINT64 - d) / 10)
            return FALSE;
        size = size * 10 + d;
    }
    *size_out = size;
    return TRUE;
}

/* The parameters of MAIL (RFC 5321 4.1.1.2): SIZE=n (RFC 1870 3) when
 * size_ok, BODY=7BIT|8BITMIME (RFC 6152 2) when body_ok.  Returns
 * MS_SMTP_N_REPLIES when all are fine, otherwise the reply id and, in
 * bad_out, the offending parameter, NUL-terminated (a word of a command
 * line always fits).  Each is read where it is: every MAIL of a run has
 * its SIZE read here, and a copy and the library's conversion cost more
 * than the rest of the command's checks. */
MsSmtpReplyId ms_smtp_mail_params(const char *text, gboolean size_ok, gboolean body_ok,
                                  guint64 *size_out, gboolean *body_8bitmime_out,
                                  char bad_out[MS_SMTP_COMMAND_LINE_MAX])
{
    const char *w;
    gsize len;

    while (next_word(&text, &w, &len)) {
        MsSmtpReplyId refusal = MS_SMTP_N_REPLIES;

        g_assert(len < MS_SMTP_COMMAND_LINE_MAX);
        /* RFC 5321 4.1.1.11: a parameter of an extension not advertised
         * (or any parameter after plain HELO) is refused with 555. */
        if (size_ok && len >= 5 && ms_proto_ascii_caseeq(w, "SIZE=", 5)) {
            if (!size_value(w + 5, len - 5, size_out))
                refusal = MS_SMTP_R_BAD_PARAM_VALUE;
        } else if (body_ok && len >= 5 && ms_proto_ascii_caseeq(w, "BODY=", 5)) {
            const char *value = w + 5;
            gsize n = len - 5;

            if (n == 8 && ms_proto_ascii_caseeq(value, "8BITMIME", 8))
                *body_8bitmime_out = TRUE;
            else if (n == 4 && ms_proto_ascii_caseeq(value, "7BIT", 4))
                *body_8bitmime_out = FALSE;
            else
                refusal = MS_SMTP_R_BAD_PARAM_VALUE;
        } else {
            refusal = MS_SMTP_R_BAD_PARAM;
        }
        if (refusal != MS_SMTP_N_REPLIES) {
            memcpy(bad_out, w, len);
            bad_out[len] = '\0';
            return refusal;
        }
    }
    bad_out[0] = '\0';
    return MS_SMTP_N_REPLIES;
}
