/* smtp_profile.c - the wording of an SMTP server's replies, as data.
 *
 * RFC 5321 4.2 fixes reply codes and leaves the text to the server, so
 * servers differ in wording only.  A profile is a table from reply id to a
 * text template.  "default" reads like a modern server and starts every
 * text with an RFC 3463 enhanced status code ("250 2.1.0 Ok"); "textbook"
 * reproduces the sample session of Kurose & Ross (a sendmail of the 1990s)
 * word for word, without enhanced codes, and words the replies the book does
 * not show in the same spirit or in RFC 5321 4.2.2's own words.
 */
#include <string.h>

#include "smtp-private.h"

/* ---- Codes and notes of every reply id ----------------------------------- */
typedef struct {
    const char *name;
    guint code;
    const char *note;
} ReplyInfo;

#define REPLY_INFO_(e, code, note) { #e, code, note },
static const ReplyInfo reply_info[] = { MS_SMTP_REPLIES(REPLY_INFO_) };
#undef REPLY_INFO_

guint ms_smtp_reply_code(MsSmtpReplyId id)
{
    g_assert((guint) id < MS_SMTP_N_REPLIES);
    return reply_info[id].code;
}

const char *ms_smtp_reply_note(MsSmtpReplyId id)
{
    g_assert((guint) id < MS_SMTP_N_REPLIES);
    return reply_info[id].note;
}

const char *ms_smtp_reply_id_name(MsSmtpReplyId id)
{
    g_assert((guint) id < MS_SMTP_N_REPLIES);
    return reply_info[id].name;
}

/* ---- "default" ------------------------------------------------------------
 * Enhanced codes per RFC 3463: X.1.x addressing, X.2.x mailbox, X.3.x mail
 * system, X.5.x protocol, X.6.x content. */
static const MsSmtpReplyText default_texts[] = {
    { MS_SMTP_R_GREETING, "{host} ESMTP mailsim" },
    { MS_SMTP_R_NO_SERVICE, "5.3.2 {host} No SMTP service here" },
    { MS_SMTP_R_CLOSING, "2.0.0 Bye" },
    { MS_SMTP_R_SHUTDOWN, "4.3.2 {host} Service not available, closing transmission channel" },
    { MS_SMTP_R_TOO_MANY_ERRORS, "4.7.0 {host} Error: too many errors" },
    { MS_SMTP_R_DATA_BARE_CLOSE,
      "4.5.0 {host} Error: bare LF or CR in message text, its end is uncertain;"
      " closing transmission channel" },
    { MS_SMTP_R_HELO_OK, "{host}" },
    { MS_SMTP_R_EHLO_OK, "{host}" },
    { MS_SMTP_R_MAIL_OK, "2.1.0 Ok" },
    { MS_SMTP_R_RCPT_OK, "2.1.5 Ok" },
    { MS_SMTP_R_RCPT_FORWARD, "2.1.5 User not local; will forward" },
    { MS_SMTP_R_RCPT_OTHER_2XX, "2.1.5 Ok" },
    { MS_SMTP_R_RCPT_450, "4.2.1 <{addr}>: Mailbox unavailable, try again later" },
    { MS_SMTP_R_RCPT_451, "4.3.0 <{addr}>: Local error in processing" },
    { MS_SMTP_R_RCPT_452, "4.3.1 <{addr}>: Insufficient system storage" },
    { MS_SMTP_R_RCPT_OTHER_4XX, "4.0.0 <{addr}>: Recipient temporarily rejected" },
    { MS_SMTP_R_RCPT_550, "5.1.1 <{addr}>: Recipient address rejected: User unknown" },
    { MS_SMTP_R_RCPT_551, "5.1.6 <{addr}>: User not local" },
    { MS_SMTP_R_RCPT_552, "5.2.2 <{addr}>: Mailbox full" },
    { MS_SMTP_R_RCPT_553, "5.1.3 <{addr}>: Mailbox name not allowed" },
    { MS_SMTP_R_RCPT_OTHER_5XX, "5.0.0 <{addr}>: Recipient rejected" },
    { MS_SMTP_R_TOO_MANY_RCPTS, "4.5.3 Error: too many recipients" },
    { MS_SMTP_R_DATA_START, "End data with <CR><LF>.<CR><LF>" },
    { MS_SMTP_R_DATA_OK, "2.0.0 Ok: queued" },
    { MS_SMTP_R_RSET_OK, "2.0.0 Ok" },
    { MS_SMTP_R_NOOP_OK, "2.0.0 Ok" },
    { MS_SMTP_R_VRFY_CANNOT,
      "2.0.0 Cannot VRFY user, but will accept message and attempt delivery" },
    { MS_SMTP_R_HELP, "2.0.0 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT" },
    { MS_SMTP_R_NEED_HELO, "5.5.1 Error: send HELO/EHLO first" },
    { MS_SMTP_R_NESTED_MAIL, "5.5.1 Error: nested MAIL command" },
    { MS_SMTP_R_NEED_MAIL, "5.5.1 Error: need MAIL command" },
    { MS_SMTP_R_NEED_RCPT, "5.5.1 Error: need RCPT command" },
    { MS_SMTP_R_BAD_SEQUENCE, "5.5.1 Error: bad sequence of commands" },
    { MS_SMTP_R_NO_VALID_RCPTS, "5.5.1 Error: no valid recipients" },
    { MS_SMTP_R_UNKNOWN, "5.5.2 Error: command not recognized" },
    { MS_SMTP_R_LINE_TOO_LONG,
      "5.5.2 Error: line too long, a command line is limited to 512 octets"
      " (RFC 5321 4.5.3.1.4)" },
    { MS_SMTP_R_BARE_LF,
      "5.5.2 Error: bare LF not allowed, lines must end with CRLF (RFC 5321 2.3.8)" },
    { MS_SMTP_R_BARE_CR,
      "5.5.2 Error: bare CR not allowed, lines must end with CRLF (RFC 5321 2.3.8)" },
    { MS_SMTP_R_NOT_IMPLEMENTED, "5.5.1 Error: command not implemented" },
    { MS_SMTP_R_SYNTAX_HELO, "5.5.4 Syntax: HELO hostname" },
    { MS_SMTP_R_SYNTAX_EHLO, "5.5.4 Syntax: EHLO hostname" },
    { MS_SMTP_R_SYNTAX_MAIL, "5.5.4 Syntax: MAIL FROM:<address>" },
    { MS_SMTP_R_SYNTAX_RCPT, "5.5.4 Syntax: RCPT TO:<address>" },
    { MS_SMTP_R_SYNTAX_VRFY, "5.5.4 Syntax: VRFY address" },
    { MS_SMTP_R_SYNTAX_NO_ARGS, "5.5.4 Syntax: {verb} takes no arguments" },
    { MS_SMTP_R_BAD_SENDER, "5.1.7 <{addr}>: Bad sender address syntax" },
    { MS_SMTP_R_BAD_RECIPIENT, "5.1.3 <{addr}>: Bad recipient address syntax" },
    { MS_SMTP_R_PATH_TOO_LONG, "5.5.4 Error: path too long" },
    { MS_SMTP_R_BAD_PARAM_VALUE, "5.5.4 Bad parameter value: {param}" },
    { MS_SMTP_R_BAD_PARAM, "5.5.4 Unsupported option: {param}" },
    { MS_SMTP_R_SIZE_TOO_BIG, "5.3.4 Message size exceeds fixed limit of {size} octets" },
    { MS_SMTP_R_DATA_TOO_BIG, "5.3.4 Error: message too big (limit {size} octets)" },
    { MS_SMTP_R_DATA_BARE_LF,
      "5.6.0 Message rejected: bare LF in message text, lines must end with CRLF"
      " (RFC 5321 2.3.8)" },
    { MS_SMTP_R_DATA_BARE_CR,
      "5.6.0 Message rejected: bare CR in message text, lines must end with CRLF"
      " (RFC 5321 2.3.8)" },
    { MS_SMTP_R_DATA_NUL,
      "5.6.0 Message rejected: NUL octet in message text, not allowed even with BODY=8BITMIME"
      " (RFC 2045 2.8, RFC 6152 3)" },
    { MS_SMTP_R_DATA_LINE_TOO_LONG,
      "5.5.2 Message rejected: line too long, a text line is limited to 1000 octets"
      " (RFC 5321 4.5.3.1.6)" },
    { MS_SMTP_R_DATA_8BIT,
      "5.6.1 Message rejected: message must be 7-bit ASCII unless BODY=8BITMIME was"
      " negotiated (RFC 5321 2.4, RFC 6152)" },
};

/* ---- "textbook" ------------------------------------------------------------
 * The sample session of Kurose & Ross, "Computer Networking", section 2.3:
 *   S: 220 hamburger.edu
 *   S: 250 Hello crepes.fr, pleased to meet you
 *   S: 250 alice@crepes.fr ... Sender ok
 *   S: 250 bob@hamburger.edu ... Recipient ok
 *   S: 354 Enter mail, end with "." on a line by itself
 *   S: 250 Message accepted for delivery
 *   S: 221 hamburger.edu closing connection */
static const MsSmtpReplyText textbook_texts[] = {
    { MS_SMTP_R_GREETING, "{host}" },
    { MS_SMTP_R_NO_SERVICE, "{host} No SMTP service here" },
    { MS_SMTP_R_CLOSING, "{host} closing connection" },
    { MS_SMTP_R_SHUTDOWN, "{host} Service not available, closing transmission channel" },
    { MS_SMTP_R_TOO_MANY_ERRORS, "{host} Too many errors, closing transmission channel" },
    { MS_SMTP_R_DATA_BARE_CLOSE,
      "{host} Bare LF or CR in message text, closing transmission channel" },
    { MS_SMTP_R_HELO_OK, "Hello {helo}, pleased to meet you" },
    { MS_SMTP_R_EHLO_OK, "{host} Hello {helo}, pleased to meet you" },
    { MS_SMTP_R_MAIL_OK, "{addr} ... Sender ok" },
    { MS_SMTP_R_RCPT_OK, "{addr} ... Recipient ok" },
    { MS_SMTP_R_RCPT_FORWARD, "{addr} ... User not local; will forward" },
    { MS_SMTP_R_RCPT_OTHER_2XX, "{addr} ... Recipient ok" },
    { MS_SMTP_R_RCPT_450, "{addr} ... Mailbox unavailable" },
    { MS_SMTP_R_RCPT_451, "{addr} ... Local error in processing" },
    { MS_SMTP_R_RCPT_452, "{addr} ... Insufficient system storage" },
    { MS_SMTP_R_RCPT_OTHER_4XX, "{addr} ... Recipient temporarily rejected" },
    { MS_SMTP_R_RCPT_550, "{addr} ... User unknown" },
    { MS_SMTP_R_RCPT_551, "{addr} ... User not local" },
    { MS_SMTP_R_RCPT_552, "{addr} ... Mailbox full" },
    { MS_SMTP_R_RCPT_553, "{addr} ... Mailbox name not allowed" },
    { MS_SMTP_R_RCPT_OTHER_5XX, "{addr} ... Recipient rejected" },
    { MS_SMTP_R_TOO_MANY_RCPTS, "Too many recipients" },
    { MS_SMTP_R_DATA_START, "Enter mail, end with \".\" on a line by itself" },
    { MS_SMTP_R_DATA_OK, "Message accepted for delivery" },
    { MS_SMTP_R_RSET_OK, "Reset state" },
    { MS_SMTP_R_NOOP_OK, "OK" },
    { MS_SMTP_R_VRFY_CANNOT, "Cannot VRFY user, but will accept message and attempt delivery" },
    { MS_SMTP_R_HELP, "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT" },
    { MS_SMTP_R_NEED_HELO, "Polite people say HELO first" },
    { MS_SMTP_R_NESTED_MAIL, "Sender already specified" },
    { MS_SMTP_R_NEED_MAIL, "Need MAIL before RCPT" },
    { MS_SMTP_R_NEED_RCPT, "Need RCPT (recipient)" },
    { MS_SMTP_R_BAD_SEQUENCE, "Bad sequence of commands" },
    { MS_SMTP_R_NO_VALID_RCPTS, "No valid recipients" },
    { MS_SMTP_R_UNKNOWN, "Command unrecognized" },
    { MS_SMTP_R_LINE_TOO_LONG, "Line too long" },
    { MS_SMTP_R_BARE_LF, "Bare LF not allowed, lines must end with CRLF" },
    { MS_SMTP_R_BARE_CR, "Bare CR not allowed, lines must end with CRLF" },
    { MS_SMTP_R_NOT_IMPLEMENTED, "Command not implemented" },
    { MS_SMTP_R_SYNTAX_HELO, "HELO requires domain address" },
    { MS_SMTP_R_SYNTAX_EHLO, "EHLO requires domain address" },
    { MS_SMTP_R_SYNTAX_MAIL, "Syntax error in parameters scanning \"from\"" },
    { MS_SMTP_R_SYNTAX_RCPT, "Syntax error in parameters scanning \"to\"" },
    { MS_SMTP_R_SYNTAX_VRFY, "Argument required" },
    { MS_SMTP_R_SYNTAX_NO_ARGS, "Syntax error in parameters or arguments" },
    { MS_SMTP_R_BAD_SENDER, "{addr} ... Bad sender address syntax" },
    { MS_SMTP_R_BAD_RECIPIENT, "{addr} ... Bad recipient address syntax" },
    { MS_SMTP_R_PATH_TOO_LONG, "Path too long" },
    { MS_SMTP_R_BAD_PARAM_VALUE, "Bad parameter value {param}" },
    { MS_SMTP_R_BAD_PARAM, "{param} parameter unrecognized" },
    { MS_SMTP_R_SIZE_TOO_BIG, "Message size exceeds fixed maximum message size" },
    { MS_SMTP_R_DATA_TOO_BIG, "Message size exceeds fixed maximum message size" },
    { MS_SMTP_R_DATA_BARE_LF, "Bare LF in message text, lines must end with CRLF" },
    { MS_SMTP_R_DATA_BARE_CR, "Bare CR in message text, lines must end with CRLF" },
    { MS_SMTP_R_DATA_NUL, "NUL character in message text" },
    { MS_SMTP_R_DATA_LINE_TOO_LONG, "Line too long" },
    { MS_SMTP_R_DATA_8BIT, "Message must be 7-bit ASCII unless BODY=8BITMIME was negotiated" },
};

static const MsSmtpProfile profiles[] = {
    { "default", TRUE, default_texts, G_N_ELEMENTS(default_texts) },
    { "textbook", FALSE, textbook_texts, G_N_ELEMENTS(textbook_texts) },
};

static const char *const profile_names[] = { "default", "textbook", NULL };

const MsSmtpProfile *ms_smtp_profile_lookup(const char *name)
{
    if (name == NULL)
        return &profiles[0];
    /* Compared inline, as g_ascii_strcasecmp() would: every server of a
     * run looks its profile up, and the library call cost more than the
     * comparison. */
    for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++) {
        if (ms_proto_ascii_caseeq(profiles[i].name, name, G_MAXSIZE))
            return &profiles[i];
    }
    return NULL;
}

gboolean ms_smtp_profile_exists(const char *name)
{
    return ms_smtp_profile_lookup(name) != NULL;
}

const char *const *ms_smtp_profile_names(void)
{
    return profile_names;
}

static const char *find_template(const MsSmtpProfile *profile, MsSmtpReplyId id)
{
    for (gsize i = 0; i < profile->n_texts; i++) {
        if (profile->texts[i].id == id)
            return profile->texts[i].text;
    }
    return NULL;
}

const char *ms_smtp_profile_template(const MsSmtpProfile *profile, MsSmtpReplyId id)
{
    /* The tables list the ids in their order, so a reply's template is
     * found at its id's place at once; the search is for a table that
     * skips some.  Every reply of a run looks its template up. */
    if (profile != NULL && (gsize) id < profile->n_texts && profile->texts[id].id == id)
        return profile->texts[id].text;

    const char *text = profile != NULL ? find_template(profile, id) : NULL;

    if (text == NULL)
        text = find_template(&profiles[0], id);
    /* The tests check that "default" words every id. */
    g_assert(text != NULL);
    return text;
}

/* ---- Recipient replies ------------------------------------------------------- */
/* Which reply id words the policy's code. */
MsSmtpReplyId ms_smtp_rcpt_reply_id(guint code)
{
    static const struct {
        guint code;
        MsSmtpReplyId id;
    } known[] = {
        { 250, MS_SMTP_R_RCPT_OK },      { 251, MS_SMTP_R_RCPT_FORWARD },
        { 450, MS_SMTP_R_RCPT_450 },     { 451, MS_SMTP_R_RCPT_451 },
        { 452, MS_SMTP_R_RCPT_452 },     { 550, MS_SMTP_R_RCPT_550 },
        { 551, MS_SMTP_R_RCPT_551 },     { 552, MS_SMTP_R_RCPT_552 },
        { 553, MS_SMTP_R_RCPT_553 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
        if (known[i].code == code)
            return known[i].id;
    }
    if (code / 100 == 2)
        return MS_SMTP_R_RCPT_OTHER_2XX;
    return code / 100 == 4 ? MS_SMTP_R_RCPT_OTHER_4XX : MS_SMTP_R_RCPT_OTHER_5XX;
}

/* ---- Templates ---------------------------------------------------------- */
/* The value of the placeholder that starts at `p` (its '{'), and through
 * `end` where the text after it resumes; FALSE when `p` starts no
 * placeholder and the brace is literal.  A {size} is written into
 * `digits`; a variable that is NULL gives the empty text. */
static gboolean placeholder(const char *p, const MsSmtpVars *vars, char digits[MS_PROTO_UINT_MAX_LEN],
                            const char **value, gsize *value_len, const char **end)
{
    const char *close = strchr(p, '}');
    const char *name = p + 1;

    if (close == NULL)
        return FALSE;
    gsize n = (gsize) (close - name);
    const char *v = NULL;

    if (n == 4 && memcmp(name, "host", 4) == 0)
        v = vars->host;
    else if (n == 4 && memcmp(name, "helo", 4) == 0)
        v = vars->helo;
    else if (n == 4 && memcmp(name, "addr", 4) == 0)
        v = vars->addr;
    else if (n == 4 && memcmp(name, "verb", 4) == 0)
        v = vars->verb;
    else if (n == 5 && memcmp(name, "param", 5) == 0)
        v = vars->param;
    else if (n == 4 && memcmp(name, "size", 4) == 0) {
        *value = digits;
        *value_len = ms_proto_format_uint(digits, vars->size);
        *end = close + 1;
        return TRUE;
    } else
        return FALSE;
    *value = v != NULL ? v : "";
    *value_len = strlen(*value);
    *end = close + 1;
    return TRUE;
}

/* Adds n octets at src to the expansion, of *len octets so far: those
 * that fall within the cap octets at dest are written. */
static void put(char *dest, gsize cap, gsize *len, const char *src, gsize n)
{
    if (*len < cap)
        memcpy(dest + *len, src, MIN(n, cap - *len));
    *len += n;
}

gsize ms_smtp_expand_into(const char *template_text, const MsSmtpVars *vars, char *dest,
                          gsize cap)
{
    char digits[MS_PROTO_UINT_MAX_LEN];
    const char *value;
    const char *end;
    gsize value_len;
    gsize len = 0;

    for (const char *p = template_text; *p != '\0';) {
        const char *brace = strchr(p, '{');

        if (brace == NULL) {
            put(dest, cap, &len, p, strlen(p));
            break;
        }
        put(dest, cap, &len, p, (gsize) (brace - p));
        if (placeholder(brace, vars, digits, &value, &value_len, &end)) {
            put(dest, cap, &len, value, value_len);
            p = end;
        } else {
            put(dest, cap, &len, "{", 1); /* Not a placeholder: a literal brace. */
            p = brace + 1;
        }
    }
    return len;
}

gsize ms_smtp_expand_to(const char *template_text, const MsSmtpVars *vars, char *dest)
{
    return ms_smtp_expand_into(template_text, vars, dest, G_MAXSIZE);
}

char *ms_smtp_expand(const char *template_text, const MsSmtpVars *vars)
{
    gsize len = ms_smtp_expand_into(template_text, vars, NULL, 0);
    char *out = g_malloc(len + 1);
    gsize written = ms_smtp_expand_to(template_text, vars, out);

    g_assert(written == len);
    out[len] = '\0';
    return out;
}
