/* webmail_forms.c - what crosses the wire between a browser and the
 * web-mail application besides its pages: form data, encoded and decoded
 * as application/x-www-form-urlencoded (the WHATWG URL standard), the
 * summaries the INBOX listing is made from, and the requests a browser
 * sends (a GET, the login form, the compose form).  webmail.c answers
 * them.
 */
#include "mailsim/webmail.h"

#include <string.h>

#include "mailsim/core.h"
#include "mailsim/message.h"

/* ---- Forms ------------------------------------------------------------------------ */

char *ms_webmail_form_encode(const char *const *pairs)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; pairs != NULL && pairs[i] != NULL && pairs[i + 1] != NULL; i += 2) {
        if (i > 0)
            g_string_append_c(out, '&');
        for (guint k = 0; k < 2; k++) {
            if (k == 1)
                g_string_append_c(out, '=');
            /* WHATWG URL 5.2: the urlencoded byte serializer. */
            for (const guchar *p = (const guchar *) pairs[i + k]; *p != '\0'; p++) {
                if (*p == ' ')
                    g_string_append_c(out, '+');
                else if (g_ascii_isalnum(*p) || *p == '*' || *p == '-' || *p == '.' || *p == '_')
                    g_string_append_c(out, (char) *p);
                else
                    g_string_append_printf(out, "%%%02X", *p);
            }
        }
    }
    return g_string_free(out, FALSE);
}

/* '+' and %XX decoded; FALSE on a bad escape, a NUL or bytes that are not
 * UTF-8. */
static gboolean form_unescape(const char *s, gsize len, char **out)
{
    GString *buf = g_string_sized_new(len);
    for (gsize i = 0; i < len; i++) {
        if (s[i] == '+') {
            g_string_append_c(buf, ' ');
        } else if (s[i] == '%') {
            if (i + 2 >= len) {
                g_string_free(buf, TRUE);
                return FALSE;
            }
            int hi = g_ascii_xdigit_value(s[i + 1]);
            int lo = g_ascii_xdigit_value(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                g_string_free(buf, TRUE);
                return FALSE;
            }
            g_string_append_c(buf, (char) (hi * 16 + lo));
            i += 2;
        } else if (s[i] == '\0') {
            g_string_free(buf, TRUE);
            return FALSE;
        } else {
            g_string_append_c(buf, s[i]);
        }
    }
    if (!g_utf8_validate(buf->str, (gssize) buf->len, NULL)) {
        g_string_free(buf, TRUE);
        return FALSE;
    }
    *out = g_string_free(buf, FALSE);
    return TRUE;
}

GPtrArray *ms_webmail_form_decode(const char *data, gsize len, GError **error)
{
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    g_autoptr(GPtrArray) pairs = ms_http_headers_new();
    gsize pos = 0;
    while (pos < len) {
        const char *amp = memchr(data + pos, '&', len - pos);
        gsize end = amp != NULL ? (gsize) (amp - data) : len;
        /* WHATWG URL 5.1: empty sequences are skipped; a sequence without
         * '=' is a name with an empty value. */
        if (end > pos) {
            const char *eq = memchr(data + pos, '=', end - pos);
            gsize name_end = eq != NULL ? (gsize) (eq - data) : end;
            g_autofree char *name = NULL;
            g_autofree char *value = NULL;
            if (!form_unescape(data + pos, name_end - pos, &name)
                || !form_unescape(data + name_end + (eq != NULL ? 1 : 0),
                                  end - name_end - (eq != NULL ? 1 : 0), &value)) {
                g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                            "form data with a bad %%-escape or bytes that are not UTF-8");
                return NULL;
            }
            ms_http_headers_add(pairs, name, value);
        }
        pos = end + 1;
    }
    return g_steal_pointer(&pairs);
}

/* ---- Summaries ------------------------------------------------------------------------- */

MsWebmailSummary *ms_webmail_summary_new(const char *from, const char *subject,
                                         const char *date, guint64 size)
{
    MsWebmailSummary *s = g_new0(MsWebmailSummary, 1);
    s->from = g_strdup(from != NULL ? from : "");
    s->subject = g_strdup(subject != NULL ? subject : "");
    s->date = g_strdup(date != NULL ? date : "");
    s->size = size;
    return s;
}

MsWebmailSummary *ms_webmail_summary_from_bytes(GBytes *message)
{
    g_return_val_if_fail(message != NULL, NULL);
    g_autoptr(MsMessage) msg = ms_message_parse_bytes(message, NULL);
    g_autofree char *from = msg != NULL ? ms_message_get_decoded(msg, "From") : NULL;
    g_autofree char *subject = msg != NULL ? ms_message_get_decoded(msg, "Subject") : NULL;
    const char *date = msg != NULL ? ms_message_get(msg, "Date") : NULL;
    return ms_webmail_summary_new(from, subject, date, g_bytes_get_size(message));
}

void ms_webmail_summary_free(MsWebmailSummary *summary)
{
    if (summary == NULL)
        return;
    g_free(summary->from);
    g_free(summary->subject);
    g_free(summary->date);
    g_free(summary);
}

GPtrArray *ms_webmail_summaries_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) ms_webmail_summary_free);
}

/* ---- What a browser sends ---------------------------------------------------------------- */

void ms_webmail_request_free(MsWebmailRequest *request)
{
    if (request == NULL)
        return;
    g_free(request->target);
    if (request->headers != NULL)
        g_ptr_array_unref(request->headers);
    if (request->body != NULL)
        g_bytes_unref(request->body);
    g_free(request);
}

static MsWebmailRequest *request_new(const char *method, const char *target, const char *cookie)
{
    MsWebmailRequest *r = g_new0(MsWebmailRequest, 1);
    r->method = method;
    r->target = g_strdup(target);
    r->headers = ms_http_headers_new();
    /* RFC 6265 5.4: the browser sends back the cookie it was given. */
    if (cookie != NULL)
        ms_http_headers_add(r->headers, "Cookie", cookie);
    return r;
}

static void set_form(MsWebmailRequest *r, const char *const *pairs)
{
    ms_http_headers_add(r->headers, "Content-Type", MS_WEBMAIL_FORM_TYPE);
    char *form = ms_webmail_form_encode(pairs);
    r->body = g_bytes_new_take(form, strlen(form));
}

MsWebmailRequest *ms_webmail_request_get(const char *target, const char *cookie)
{
    g_return_val_if_fail(target != NULL, NULL);
    return request_new("GET", target, cookie);
}

MsWebmailRequest *ms_webmail_request_login(const char *user, const char *password,
                                           const char *cookie)
{
    MsWebmailRequest *r = request_new("POST", "/login", cookie);
    const char *pairs[] = { "user", user != NULL ? user : "", "password",
                            password != NULL ? password : "", NULL };
    set_form(r, pairs);
    return r;
}

MsWebmailRequest *ms_webmail_request_send(const char *const *to, const char *subject,
                                          const char *body, const char *cookie)
{
    MsWebmailRequest *r = request_new("POST", "/send", cookie);
    g_autofree char *rcpts = to != NULL ? g_strjoinv(",", (char **) to) : g_strdup("");
    /* HTML 4.10.21.8: a browser submits a textarea's lines with CRLF. */
    g_autoptr(GString) text = g_string_new(body != NULL ? body : "");
    g_string_replace(text, "\r\n", "\n", 0);
    g_string_replace(text, "\n", "\r\n", 0);
    const char *pairs[] = { "to", rcpts, "subject", subject != NULL ? subject : "",
                            "body", text->str, NULL };
    set_form(r, pairs);
    return r;
}
