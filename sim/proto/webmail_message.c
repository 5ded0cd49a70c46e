/* webmail_message.c - a message read in the browser.  GET /message/N
 * shows its header fields and its plain text on a page, lists its
 * attachments under them and, when the folder pages are on, the buttons
 * that change it; GET /message/N/part/K sends one part, decoded, as a
 * response of its own.  Where SMTP carried the whole message in one piece,
 * the web gives one object per response: the page names each attachment
 * and the browser fetches it with a GET of its own.  webmail.c routes the
 * request here.
 */
#include "mailsim/webmail.h"

#include <string.h>

#include "mailsim/message.h"
#include "webmail-private.h"

/* The first text/plain part of a message, depth first, or NULL. */
static const MsMimePart *find_text(const MsMimePart *part)
{
    guint n = ms_mime_part_n_children(part);
    if (n == 0) {
        const char *disposition = ms_mime_part_disposition(part);
        gboolean attached = disposition != NULL && strcmp(disposition, "attachment") == 0;
        return strcmp(ms_mime_part_type(part), "text/plain") == 0 && !attached ? part : NULL;
    }
    for (guint i = 0; i < n; i++) {
        const MsMimePart *found = find_text(ms_mime_part_child(part, i));
        if (found != NULL)
            return found;
    }
    return NULL;
}

/* The text a reader sees: the first text/plain part with its transfer
 * encoding undone and converted to UTF-8 (transfer full). */
static char *readable_text(const MsMimePart *part)
{
    if (part == NULL)
        return g_strdup("(this message has no plain text part)");
    g_autoptr(GBytes) data = ms_mime_part_decode(part, NULL);
    if (data == NULL)
        return g_strdup("(the text of this message could not be decoded)");
    gsize len = 0;
    const char *bytes = g_bytes_get_data(data, &len);
    const char *charset = ms_mime_part_param(part, "charset");
    if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0
        && g_ascii_strcasecmp(charset, "us-ascii") != 0) {
        char *converted = g_convert(bytes != NULL ? bytes : "", (gssize) len, "UTF-8", charset,
                                    NULL, NULL, NULL);
        if (converted != NULL)
            return converted;
    }
    return g_utf8_make_valid(bytes != NULL ? bytes : "", (gssize) len);
}

/* A decimal from 1 at *p, up to 9 digits: its value, *p moved past it;
 * 0 when there is none. */
static guint take_number(const char **p)
{
    const char *s = *p;
    gsize n = 0;
    while (g_ascii_isdigit(s[n]))
        n++;
    if (n == 0 || n > 9 || s[0] == '0')
        return 0;
    guint v = 0;
    for (gsize i = 0; i < n; i++)
        v = v * 10 + (guint) (s[i] - '0');
    *p = s + n;
    return v;
}

/* "/message/N" (*part_out 0) or "/message/N/part/K": N, else 0. */
static guint message_number(const char *path, guint *part_out)
{
    const char *p = path + strlen("/message/");
    *part_out = 0;
    guint number = take_number(&p);
    if (number == 0)
        return 0;
    if (*p == '\0')
        return number;
    if (!g_str_has_prefix(p, "/part/"))
        return 0;
    p += strlen("/part/");
    *part_out = take_number(&p);
    return *part_out != 0 && *p == '\0' ? number : 0;
}

/* ---- Parts: one object per response -------------------------------------------- */

/* The leaf parts of a message, depth first: what /part/K numbers from 1
 * (a message that is not multipart is its own part 1). */
static void collect_leaves(const MsMimePart *part, GPtrArray *out)
{
    guint n = ms_mime_part_n_children(part);
    if (n == 0) {
        g_ptr_array_add(out, (gpointer) part);
        return;
    }
    for (guint i = 0; i < n; i++)
        collect_leaves(ms_mime_part_child(part, i), out);
}

/* An attachment, listed under the text with a link of its own: any leaf
 * but the text shown, that has a file name or is not text (an HTML
 * alternative of the text is not one). */
static gboolean is_attachment(const MsMimePart *part, const MsMimePart *shown)
{
    return part != shown && (ms_mime_part_filename(part) != NULL ||
                             !ms_mime_type_is_text(ms_mime_part_type(part)));
}

static gboolean is_image(const MsMimePart *part)
{
    return g_str_has_prefix(ms_mime_part_type(part), "image/");
}

/* The attachments' lines of a message page.  A browser fetches what an
 * <img> shows by itself; a download link is what the user clicks.  Each
 * is one more GET, one more response (RFC 9110 3: one resource each). */
static void attachment_lines(GString *html, const GPtrArray *leaves, const MsMimePart *shown,
                             guint number, const char *folder)
{
    for (guint k = 0; k < leaves->len; k++) {
        const MsMimePart *part = g_ptr_array_index((GPtrArray *) leaves, k);
        if (!is_attachment(part, shown))
            continue;
        char base[64];
        g_snprintf(base, sizeof base, "/message/%u/part/%u", number, k + 1);
        g_autofree char *href = folder != NULL ? ms_webmail_folder_link(base, folder)
                                               : g_strdup(base);
        g_autofree char *fallback = g_strdup_printf("part %u", k + 1);
        const char *name = ms_mime_part_filename(part);
        if (name == NULL)
            name = fallback;
        g_autoptr(GBytes) data = ms_mime_part_decode(part, NULL);
        char size[48];
        g_snprintf(size, sizeof size, "%" G_GSIZE_FORMAT " bytes",
                   data != NULL ? g_bytes_get_size(data) : 0);
        if (is_image(part))
            ms_webmail_line(html, "<p><img src=\"%s\" alt=\"%s\"> %s (%s, %s)</p>", href, name,
                            name, ms_mime_part_type(part), size);
        else
            ms_webmail_line(html, "<p><a href=\"%s\" download>%s</a> (%s, %s)</p>", href,
                            name, ms_mime_part_type(part), size);
    }
}

/* A file name as a Content-Disposition parameter (RFC 6266 4.1): a
 * quoted-string when it is printable ASCII, else filename* in UTF-8
 * with percent-encoding (RFC 8187 3.2). */
static char *disposition(const MsMimePart *part)
{
    const char *how = is_image(part) ? "inline" : "attachment";
    const char *name = ms_mime_part_filename(part);
    if (name == NULL)
        return g_strdup(how);
    gboolean plain = TRUE;
    for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
        plain = plain && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
    if (plain)
        return g_strdup_printf("%s; filename=\"%s\"", how, name);
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "%s; filename*=UTF-8''", how);
    for (const guchar *p = (const guchar *) name; *p != '\0'; p++) {
        /* attr-char (RFC 8187 3.2.1) */
        if (g_ascii_isalnum(*p) || strchr("!#$&+-.^_`|~", *p) != NULL)
            g_string_append_c(out, (char) *p);
        else
            g_string_append_printf(out, "%%%02X", *p);
    }
    return g_string_free(out, FALSE);
}

/* One part, decoded, as its own response: the octets the message carried
 * in base64 or quoted-printable come as they are (HTTP is 8-bit clean). */
static void send_part(MsWebmailCtx *ctx, const MsMimePart *part)
{
    g_autoptr(GBytes) data = ms_mime_part_decode(part, NULL);
    if (data == NULL) {
        ms_webmail_error_page(ctx, 500, "This part of the message could not be decoded.",
                              MS_WEBMAIL_SERVER_ERROR);
        return;
    }
    const char *type = ms_mime_part_type(part);
    const char *charset = ms_mime_part_param(part, "charset");
    g_autofree char *content_type = charset != NULL && ms_mime_type_is_text(type)
                                        ? g_strdup_printf("%s; charset=%s", type, charset)
                                        : g_strdup(type);
    g_autofree char *how = disposition(part);
    MsWebmailResponse *r = ctx->resp;
    r->status = 200;
    r->outcome = MS_WEBMAIL_PART;
    ms_http_headers_add(r->headers, "Content-Type", content_type);
    ms_http_headers_add(r->headers, "Content-Disposition", how);
    r->body = g_bytes_ref(data);
}

/* ---- The page ------------------------------------------------------------------ */

/* The buttons under a message: delete, flag, copy or move it. */
static void message_actions(MsWebmailCtx *ctx, GString *html, const char *folder, guint number)
{
    MsWebmail *app = ctx->app;
    char n[16];
    g_snprintf(n, sizeof n, "%u", number);
    g_auto(GStrv) names = app->folders.folders(ctx->session->address, app->user_data);
    ms_webmail_line(html, "<form method=\"post\" action=\"/change\">");
    ms_webmail_line(html, "<p><input type=\"hidden\" name=\"folder\" value=\"%s\"><input "
                          "type=\"hidden\" name=\"n\" value=\"%s\">", folder, n);
    ms_webmail_line(html, "<button name=\"op\" value=\"delete\" id=\"delete\">Delete</button> "
                          "<button name=\"op\" value=\"flag\" id=\"flag\">Flag</button> "
                          "<button name=\"op\" value=\"unflag\" id=\"unflag\">Unflag</button>");
    ms_webmail_line(html, "Folder <select name=\"to\" id=\"to\">");
    for (guint i = 0; names != NULL && names[i] != NULL; i++)
        ms_webmail_line(html, "<option>%s</option>", names[i]);
    ms_webmail_line(html, "</select> <button name=\"op\" value=\"copy\" id=\"copy\">Copy</button> "
                          "<button name=\"op\" value=\"move\" id=\"move\">Move</button></p>");
    ms_webmail_line(html, "</form>");
}

void ms_webmail_do_message(MsWebmailCtx *ctx)
{
    MsWebmail *app = ctx->app;
    guint part_number = 0;
    guint number = message_number(ctx->path, &part_number);
    g_autofree char *folder = ms_webmail_folders_on(app) ? ms_webmail_query_get(ctx, "folder")
                                                         : NULL;
    if (ms_webmail_folders_on(app) && folder == NULL)
        folder = g_strdup("INBOX");
    g_autoptr(GBytes) text = number == 0 ? NULL
                             : folder != NULL ? app->folders.get(ctx->session->address, folder,
                                                                 number, app->user_data)
                                              : app->get(ctx->session->address, number,
                                                         app->user_data);
    g_autoptr(MsMessage) msg = text != NULL ? ms_message_parse_bytes(text, NULL) : NULL;
    if (msg == NULL) {
        ms_webmail_error_page(ctx, 404, "There is no such message.", MS_WEBMAIL_NOT_FOUND);
        return;
    }
    g_autoptr(MsMimePart) root = ms_mime_parse(msg);
    g_autoptr(GPtrArray) leaves = g_ptr_array_new();
    collect_leaves(root, leaves);
    if (part_number != 0) {
        if (part_number > leaves->len)
            ms_webmail_error_page(ctx, 404, "This message has no such part.", MS_WEBMAIL_NOT_FOUND);
        else
            send_part(ctx, g_ptr_array_index(leaves, part_number - 1));
        return;
    }
    const MsMimePart *text_part = find_text(root);
    g_autofree char *subject = ms_message_get_decoded(msg, "Subject");
    GString *html = ms_webmail_page(subject != NULL && subject[0] != '\0' ? subject
                                                                          : "(no subject)");
    ms_webmail_line(html, "<p><a href=\"/inbox\">Inbox</a></p>");
    ms_webmail_line(html, "<pre>");
    static const char *const shown[] = { "From", "To", "Cc", "Date", "Subject" };
    for (gsize i = 0; i < G_N_ELEMENTS(shown); i++) {
        g_autofree char *value = ms_message_get_decoded(msg, shown[i]);
        if (value != NULL)
            ms_webmail_line(html, "%s: %s", shown[i], value);
    }
    ms_webmail_line(html, "");
    g_autofree char *body = readable_text(text_part);
    g_auto(GStrv) lines = g_strsplit(body, "\n", -1);
    guint n = g_strv_length(lines);
    /* A final line end does not start another line. */
    if (n > 0 && lines[n - 1][0] == '\0')
        n--;
    for (guint i = 0; i < n; i++) {
        gsize len = strlen(lines[i]);
        if (len > 0 && lines[i][len - 1] == '\r')
            lines[i][len - 1] = '\0';
        ms_webmail_line(html, "%s", lines[i]);
    }
    ms_webmail_line(html, "</pre>");
    attachment_lines(html, leaves, text_part, number, folder);
    if (folder != NULL)
        message_actions(ctx, html, folder, number);
    ms_webmail_answer(ctx, 200, html, MS_WEBMAIL_MESSAGE);
}
