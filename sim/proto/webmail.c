/* webmail.c - the web-mail application: pages for logging in, listing the
 * INBOX and the folders, writing a message and logging out, and the routes
 * that lead to them (webmail_message.c shows a message and its parts).
 *
 * A request comes in as method, target, header fields and content, and
 * goes out as a status, header fields and a small HTML page; nothing here
 * touches a connection or a clock.  HTTP keeps no state between requests,
 * so the login is remembered by a session cookie: POST /login sets
 * "session=sN" and the browser sends it back in a Cookie field with every
 * later request (RFC 6265).  Real servers draw session ids at random so
 * they cannot be guessed; here they are numbered so that every run of a
 * scenario shows the same dialogue, unless the glue supplies ids of its
 * own (live mode, where real people could guess "s1").  Forms arrive
 * URL-encoded (the WHATWG
 * URL standard's application/x-www-form-urlencoded), and everything taken
 * from a message or a form is HTML-escaped before it is shown.
 */
#include "mailsim/webmail.h"

#include <string.h>

#include "mailsim/core.h"
#include "mailsim/message.h"
#include "webmail-private.h"

#define OUTCOME_NAME_(e, name) [e] = name,
static const char *const outcome_names[] = { MS_WEBMAIL_OUTCOMES(OUTCOME_NAME_) };
#undef OUTCOME_NAME_

const char *ms_webmail_outcome_name(MsWebmailOutcome outcome)
{
    g_return_val_if_fail(outcome < MS_WEBMAIL_N_OUTCOMES, "?");
    return outcome_names[outcome];
}

/* ---- HTML --------------------------------------------------------------------- */

/* Appends text with the five characters HTML gives meaning to escaped,
 * invalid UTF-8 repaired and control characters (but TAB) dropped, so
 * nothing a message or a form holds can become markup. */
static void append_escaped(GString *out, const char *text, gssize len)
{
    g_autofree char *valid = g_utf8_make_valid(text, len);
    for (const char *p = valid; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        case '\'':
            g_string_append(out, "&#39;");
            break;
        default:
            if ((guchar) *p >= 0x20 || *p == '\t')
                g_string_append_c(out, *p);
            break;
        }
    }
}

/* Appends one page line: fmt with every %s argument escaped, then CRLF.
 * Only %s is understood; %% gives %. */
void ms_webmail_line(GString *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == 's') {
            append_escaped(out, va_arg(ap, const char *), -1);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            g_string_append_c(out, '%');
            p++;
        } else {
            g_string_append_c(out, *p);
        }
    }
    va_end(ap);
    g_string_append(out, "\r\n");
}

GString *ms_webmail_page(const char *title)
{
    GString *out = g_string_new("<!DOCTYPE html>\r\n");
    ms_webmail_line(out, "<title>%s</title>", title);
    return out;
}

/* Sets the response: status, a text/html page, outcome. */
void ms_webmail_answer(MsWebmailCtx *ctx, guint status, GString *html, MsWebmailOutcome outcome)
{
    MsWebmailResponse *r = ctx->resp;
    r->status = status;
    r->outcome = outcome;
    ms_http_headers_add(r->headers, "Content-Type", "text/html; charset=utf-8");
    gsize len = html->len;
    r->body = g_bytes_new_take(g_string_free(html, FALSE), len);
}

/* A redirect (RFC 9110 15.4): Location, and a one-line page with the link
 * for a browser that does not follow it. */
static void redirect(MsWebmailCtx *ctx, guint status, const char *location,
                     MsWebmailOutcome outcome)
{
    ms_http_headers_add(ctx->resp->headers, "Location", location);
    GString *html = g_string_new(NULL);
    ms_webmail_line(html, "<a href=\"%s\">%s</a>", location, location);
    ms_webmail_answer(ctx, status, html, outcome);
}

void ms_webmail_error_page(MsWebmailCtx *ctx, guint status, const char *why,
                           MsWebmailOutcome outcome)
{
    g_autofree char *title = g_strdup_printf("%u %s", status, ms_http_status_reason(status));
    GString *html = ms_webmail_page(title);
    ms_webmail_line(html, "<p>%s <a href=\"/\">Start again</a></p>", why);
    ms_webmail_answer(ctx, status, html, outcome);
}

/* The form of a POST, or NULL after answering 415 or 400. */
static GPtrArray *read_form(MsWebmailCtx *ctx)
{
    const char *type = ms_http_headers_get(ctx->headers, "Content-Type");
    g_autofree char *token = type != NULL ? ms_mime_value_token(type) : NULL;
    if (token == NULL || strcmp(token, MS_WEBMAIL_FORM_TYPE) != 0) {
        /* RFC 9110 15.5.16: content in a format the target does not take. */
        ms_webmail_error_page(ctx, 415,
                              "The form must be sent as application/x-www-form-urlencoded.",
                              MS_WEBMAIL_BAD_REQUEST);
        return NULL;
    }
    gsize len = 0;
    const char *data = ctx->body != NULL ? g_bytes_get_data(ctx->body, &len) : "";
    g_autoptr(GError) error = NULL;
    GPtrArray *form = ms_webmail_form_decode(data != NULL ? data : "", len, &error);
    if (form == NULL)
        ms_webmail_error_page(ctx, 400, "The form data could not be read.", MS_WEBMAIL_BAD_REQUEST);
    return form;
}

/* ---- Sessions ------------------------------------------------------------------------ */

static void session_free(MsWebmailSession *s)
{
    g_free(s->id);
    g_free(s->address);
    g_free(s);
}

static const MsWebmailSession *find_session(const MsWebmail *app, const GPtrArray *headers)
{
    g_autofree char *id = ms_http_cookie_get(headers, MS_WEBMAIL_COOKIE);
    for (guint i = 0; id != NULL && i < app->sessions->len; i++) {
        const MsWebmailSession *s = g_ptr_array_index(app->sessions, i);
        if (strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

static gboolean session_id_taken(const MsWebmail *app, const char *id)
{
    for (guint i = 0; i < app->sessions->len; i++) {
        const MsWebmailSession *s = g_ptr_array_index(app->sessions, i);
        if (strcmp(s->id, id) == 0)
            return TRUE;
    }
    return FALSE;
}

/* A session id no session has (transfer full). */
static char *new_session_id(MsWebmail *app)
{
    if (app->new_session_id == NULL)
        return g_strdup_printf("s%u", ++app->next_session);
    for (;;) {
        char *id = app->new_session_id(app->session_id_data);
        if (!session_id_taken(app, id))
            return id;
        g_free(id);
    }
}

/* ---- Routes ------------------------------------------------------------------------------ */

static void do_login_form(MsWebmailCtx *ctx)
{
    g_autofree char *title = g_strdup_printf("Web mail at %s", ctx->app->hostname);
    GString *html = ms_webmail_page(title);
    ms_webmail_line(html, "<form method=\"post\" action=\"/login\">");
    ms_webmail_line(html, "<p>User <input name=\"user\"> Password <input name=\"password\" "
                          "type=\"password\"> <button>Log in</button></p>");
    ms_webmail_line(html, "</form>");
    ms_webmail_answer(ctx, 200, html, MS_WEBMAIL_LOGIN_FORM);
}

static void do_login(MsWebmailCtx *ctx)
{
    g_autoptr(GPtrArray) form = read_form(ctx);
    if (form == NULL)
        return;
    const char *user = ms_http_headers_get(form, "user");
    const char *password = ms_http_headers_get(form, "password");
    if (user == NULL || password == NULL || user[0] == '\0') {
        ms_webmail_error_page(ctx, 400, "The login form needs a user and a password.",
                              MS_WEBMAIL_BAD_REQUEST);
        return;
    }
    MsWebmail *app = ctx->app;
    char *address = NULL;
    if (!app->authenticate(user, password, app->user_data, &address)) {
        g_free(address);
        /* RFC 9110 15.5.2: a 401 carries a WWW-Authenticate challenge.
         * "Form" is no registered scheme: it tells the browser to use the
         * login form, which is what web mail does instead of HTTP
         * authentication. */
        ms_http_headers_add(ctx->resp->headers, "WWW-Authenticate", "Form realm=\"webmail\"");
        ctx->resp->user = g_strdup(user);
        ms_webmail_error_page(ctx, 401, "Wrong user name or password.", MS_WEBMAIL_LOGIN_FAILED);
        return;
    }
    MsWebmailSession *s = g_new0(MsWebmailSession, 1);
    s->id = new_session_id(app);
    s->address = address != NULL ? address : g_strdup(user);
    g_ptr_array_add(app->sessions, s);
    g_autofree char *cookie = g_strdup_printf("%s=%s; Path=/; HttpOnly", MS_WEBMAIL_COOKIE,
                                              s->id);
    ms_http_headers_add(ctx->resp->headers, "Set-Cookie", cookie);
    ctx->resp->user = g_strdup(s->address);
    redirect(ctx, 302, "/inbox", MS_WEBMAIL_LOGIN_OK);
}

/* A field of the query ("folder=Saved"), or NULL (transfer full). */
char *ms_webmail_query_get(const MsWebmailCtx *ctx, const char *name)
{
    g_autoptr(GPtrArray) pairs = ms_webmail_form_decode(ctx->query, strlen(ctx->query), NULL);
    const char *v = pairs != NULL ? ms_http_headers_get(pairs, name) : NULL;
    return v != NULL && v[0] != '\0' ? g_strdup(v) : NULL;
}

/* "/inbox?folder=..." or "/message/N?folder=..." (transfer full). */
char *ms_webmail_folder_link(const char *base, const char *folder)
{
    const char *pairs[] = { "folder", folder, NULL };
    g_autofree char *q = ms_webmail_form_encode(pairs);
    return g_strdup_printf("%s?%s", base, q);
}

static void folder_nav(MsWebmailCtx *ctx, GString *html, const char *current)
{
    MsWebmail *app = ctx->app;
    g_auto(GStrv) names = app->folders.folders(ctx->session->address, app->user_data);
    GString *nav = g_string_new("<p>Folders:");
    for (guint i = 0; names != NULL && names[i] != NULL; i++) {
        g_autofree char *href = ms_webmail_folder_link("/inbox", names[i]);
        g_string_append(nav, " ");
        if (strcmp(names[i], current) == 0) {
            g_string_append(nav, "<b>");
            append_escaped(nav, names[i], -1);
            g_string_append(nav, "</b>");
        } else {
            g_string_append(nav, "<a href=\"");
            append_escaped(nav, href, -1);
            g_string_append(nav, "\">");
            append_escaped(nav, names[i], -1);
            g_string_append(nav, "</a>");
        }
    }
    g_string_append(nav, "</p>\r\n");
    g_string_append(html, nav->str);
    g_string_free(nav, TRUE);
    ms_webmail_line(html, "<form method=\"post\" action=\"/change\"><p><input type=\"hidden\" "
                          "name=\"op\" value=\"create\">New folder <input name=\"name\"> "
                          "<button id=\"create\">Create folder</button></p></form>");
}

/* A listing page: the INBOX (folder NULL: the pages without folders) or a
 * folder, with its navigation, links and flags. */
static void listing(MsWebmailCtx *ctx, GPtrArray *list, const char *folder, gboolean sent)
{
    g_autofree char *title = g_strdup_printf("%s of %s", folder != NULL ? folder : "Inbox",
                                             ctx->session->address);
    GString *html = ms_webmail_page(title);
    if (sent)
        ms_webmail_line(html, "<p>Message sent.</p>");
    char count[32];
    g_snprintf(count, sizeof count, "%u message%s", list->len, list->len == 1 ? "" : "s");
    ms_webmail_line(html, "<p>%s | <a href=\"/compose\">Compose</a> | "
                          "<a href=\"/logout\">Log out</a></p>",
                    count);
    if (folder != NULL)
        folder_nav(ctx, html, folder);
    if (list->len > 0) {
        ms_webmail_line(html, "<ol>");
        for (guint i = 0; i < list->len; i++) {
            const MsWebmailSummary *m = g_ptr_array_index(list, i);
            char base[32], size[32];
            g_snprintf(base, sizeof base, "/message/%u", i + 1);
            g_autofree char *href = folder != NULL ? ms_webmail_folder_link(base, folder)
                                                   : g_strdup(base);
            g_snprintf(size, sizeof size, "%" G_GUINT64_FORMAT " bytes", m->size);
            ms_webmail_line(html, "<li><a href=\"%s\">%s</a> from %s, %s, %s%s</li>", href,
                            m->subject[0] != '\0' ? m->subject : "(no subject)", m->from,
                            m->date, size, folder != NULL && m->flagged ? " [flagged]" : "");
        }
        ms_webmail_line(html, "</ol>");
    }
    ms_webmail_answer(ctx, 200, html, MS_WEBMAIL_INBOX);
}

static void do_inbox(MsWebmailCtx *ctx)
{
    MsWebmail *app = ctx->app;
    if (ms_webmail_folders_on(app)) {
        g_autofree char *folder = ms_webmail_query_get(ctx, "folder");
        g_autofree char *sent = ms_webmail_query_get(ctx, "sent");
        const char *name = folder != NULL ? folder : "INBOX";
        g_autoptr(GPtrArray) list = app->folders.list(ctx->session->address, name,
                                                      app->user_data);
        if (list == NULL)
            ms_webmail_error_page(ctx, 404, "There is no such folder.", MS_WEBMAIL_NOT_FOUND);
        else
            listing(ctx, list, name, sent != NULL);
        return;
    }
    g_autoptr(GPtrArray) list = app->list(ctx->session->address, app->user_data);
    if (list == NULL) {
        ms_webmail_error_page(ctx, 500, "The mailbox could not be read.", MS_WEBMAIL_SERVER_ERROR);
        return;
    }
    listing(ctx, list, NULL, strcmp(ctx->query, "sent=1") == 0);
}

static void do_change(MsWebmailCtx *ctx)
{
    MsWebmail *app = ctx->app;
    if (!ms_webmail_folders_on(app)) {
        ms_webmail_error_page(ctx, 404, "There is no such page.", MS_WEBMAIL_NOT_FOUND);
        return;
    }
    g_autoptr(GPtrArray) form = read_form(ctx);
    if (form == NULL)
        return;
    static const struct {
        const char *name;
        MsWebmailOp op;
    } ops[] = {
        { "delete", MS_WEBMAIL_OP_DELETE }, { "flag", MS_WEBMAIL_OP_FLAG },
        { "unflag", MS_WEBMAIL_OP_UNFLAG }, { "copy", MS_WEBMAIL_OP_COPY },
        { "move", MS_WEBMAIL_OP_MOVE },     { "create", MS_WEBMAIL_OP_CREATE },
    };
    const char *op = ms_http_headers_get(form, "op");
    MsWebmailChange change = { 0 };
    gboolean known = FALSE;
    for (gsize i = 0; op != NULL && i < G_N_ELEMENTS(ops); i++) {
        if (strcmp(op, ops[i].name) == 0) {
            change.op = ops[i].op;
            known = TRUE;
        }
    }
    const char *n = ms_http_headers_get(form, "n");
    guint64 number = 0;
    if (change.op == MS_WEBMAIL_OP_CREATE) {
        change.folder = ms_http_headers_get(form, "name");
    } else {
        change.folder = ms_http_headers_get(form, "folder");
        change.target = ms_http_headers_get(form, "to");
        if (n == NULL || !g_ascii_string_to_unsigned(n, 10, 1, G_MAXUINT32, &number, NULL))
            known = FALSE;
        change.number = (guint) number;
    }
    if (!known || change.folder == NULL || change.folder[0] == '\0' ||
        ((change.op == MS_WEBMAIL_OP_COPY || change.op == MS_WEBMAIL_OP_MOVE) &&
         (change.target == NULL || change.target[0] == '\0'))) {
        ms_webmail_error_page(ctx, 400, "The form does not say what to change.",
                              MS_WEBMAIL_BAD_REQUEST);
        return;
    }
    g_autofree char *why = NULL;
    if (!app->folders.change(ctx->session->address, &change, app->user_data, &why)) {
        ms_webmail_error_page(ctx, 400, why != NULL ? why : "The change was refused.",
                              MS_WEBMAIL_BAD_REQUEST);
        return;
    }
    g_autofree char *back = ms_webmail_folder_link("/inbox", change.folder);
    redirect(ctx, 303, back, MS_WEBMAIL_CHANGED);
}

static void do_compose(MsWebmailCtx *ctx)
{
    g_autofree char *title = g_strdup_printf("New message from %s", ctx->session->address);
    GString *html = ms_webmail_page(title);
    ms_webmail_line(html, "<form method=\"post\" action=\"/send\">");
    ms_webmail_line(html, "<p>To <input name=\"to\"> Subject <input name=\"subject\"></p>");
    ms_webmail_line(html, "<p><textarea name=\"body\"></textarea> <button>Send</button></p>");
    ms_webmail_line(html, "</form>");
    ms_webmail_answer(ctx, 200, html, MS_WEBMAIL_COMPOSE);
}

/* An addr-spec as a form gives it: local@domain, no spaces or brackets. */
static gboolean address_is_plain(const char *a)
{
    const char *at = strchr(a, '@');
    if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return FALSE;
    for (const char *p = a; *p != '\0'; p++) {
        if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr("<>()[],;:\\\"", *p) != NULL)
            return FALSE;
    }
    return TRUE;
}

static void do_send(MsWebmailCtx *ctx)
{
    g_autoptr(GPtrArray) form = read_form(ctx);
    if (form == NULL)
        return;
    const char *to = ms_http_headers_get(form, "to");
    const char *subject = ms_http_headers_get(form, "subject");
    const char *body = ms_http_headers_get(form, "body");
    g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) parts = g_strsplit(to != NULL ? to : "", ",", -1);
    for (guint i = 0; parts[i] != NULL; i++) {
        const char *a = g_strstrip(parts[i]);
        if (a[0] == '\0')
            continue;
        if (!address_is_plain(a)) {
            ms_webmail_error_page(ctx, 400,
                                  "A recipient is not an address like bob@hamburger.edu.",
                                  MS_WEBMAIL_BAD_REQUEST);
            return;
        }
        g_ptr_array_add(rcpts, g_strdup(a));
    }
    if (rcpts->len == 0) {
        ms_webmail_error_page(ctx, 400, "The message needs at least one recipient.",
                              MS_WEBMAIL_BAD_REQUEST);
        return;
    }
    g_ptr_array_add(rcpts, NULL);
    /* HTML 4.10.21.8: a textarea is submitted with CRLF line ends; the
     * message is handed on with LF, as composing expects. */
    g_autoptr(GString) text = g_string_new(body != NULL ? body : "");
    g_string_replace(text, "\r\n", "\n", 0);
    MsWebmailOutgoing out = {
        .from = ctx->session->address,
        .to = (const char *const *) rcpts->pdata,
        .subject = subject != NULL ? subject : "",
        .body = text->str,
        .client = ctx->client,
    };
    MsWebmail *app = ctx->app;
    g_autofree char *why = NULL;
    if (!app->send(&out, app->user_data, &why)) {
        ms_webmail_error_page(ctx, 400, why != NULL ? why : "The message was refused.",
                              MS_WEBMAIL_BAD_REQUEST);
        return;
    }
    /* RFC 9110 15.4.4: 303 after a POST sends the browser to GET the
     * result, so reloading the page does not send the message again. */
    redirect(ctx, 303, "/inbox?sent=1", MS_WEBMAIL_SENT);
}

static void do_logout(MsWebmailCtx *ctx)
{
    if (ctx->session != NULL)
        g_ptr_array_remove(ctx->app->sessions, (gpointer) ctx->session);
    ctx->session = NULL;
    /* RFC 6265 5.2.2: Max-Age=0 makes the browser forget the cookie. */
    ms_http_headers_add(ctx->resp->headers, "Set-Cookie",
                        MS_WEBMAIL_COOKIE "=; Path=/; Max-Age=0");
    redirect(ctx, 302, "/", MS_WEBMAIL_LOGOUT);
}

static void do_options(MsWebmailCtx *ctx);

typedef struct {
    const char *path;      /* exact, or a prefix ending in '/' */
    const char *allow;     /* methods, as the Allow field lists them */
    gboolean needs_session;
    void (*handle)(MsWebmailCtx *ctx);
} Route;

static const Route routes[] = {
    { "/", "GET, HEAD", FALSE, do_login_form },
    { "/login", "POST", FALSE, do_login },
    { "/inbox", "GET, HEAD", TRUE, do_inbox },
    { "/message/", "GET, HEAD", TRUE, ms_webmail_do_message },
    { "/compose", "GET, HEAD", TRUE, do_compose },
    { "/send", "POST", TRUE, do_send },
    { "/change", "POST", TRUE, do_change },
    { "/logout", "GET, HEAD", FALSE, do_logout },
    /* RFC 9112 3.2.4: the asterisk-form, only for OPTIONS, asks about the
     * server as a whole. */
    { "*", "OPTIONS", FALSE, do_options },
};

static gboolean method_allowed(const char *allow, const char *method)
{
    g_auto(GStrv) methods = g_strsplit(allow, ", ", -1);
    return g_strv_contains((const char *const *) methods, method);
}

static const Route *find_route(const char *path)
{
    for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
        const char *p = routes[i].path;
        gsize n = strlen(p);
        gboolean prefix = n > 1 && p[n - 1] == '/';
        if (prefix ? strncmp(path, p, n) == 0 : strcmp(path, p) == 0)
            return &routes[i];
    }
    return NULL;
}

/* OPTIONS *: RFC 9110 9.3.7 asks about the server in general, and is
 * answered 200 with Allow listing the methods some page of it takes (RFC
 * 9110 10.2.1), and no content (Content-Length: 0).  Not 501, which says
 * the server does not implement the method (RFC 9110 15.6.2): it does,
 * for "*"; a client uses it as a "ping", and a teacher can show it. */
static void do_options(MsWebmailCtx *ctx)
{
    GString *allow = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
        g_auto(GStrv) methods = g_strsplit(routes[i].allow, ", ", -1);
        for (guint k = 0; methods[k] != NULL; k++) {
            g_autofree char *listed = g_strconcat(", ", allow->str, ", ", NULL);
            g_autofree char *item = g_strconcat(", ", methods[k], ", ", NULL);
            if (strstr(listed, item) == NULL)
                g_string_append_printf(allow, "%s%s", allow->len > 0 ? ", " : "", methods[k]);
        }
    }
    ms_http_headers_add(ctx->resp->headers, "Allow", allow->str);
    g_string_free(allow, TRUE);
    ctx->resp->status = 200;
    ctx->resp->outcome = MS_WEBMAIL_OPTIONS;
    ctx->resp->body = g_bytes_new(NULL, 0);
}

/* ---- Public ------------------------------------------------------------------------------ */

MsWebmail *ms_webmail_new(const MsWebmailConfig *config, GError **error)
{
    g_return_val_if_fail(config != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (config->authenticate == NULL || config->list == NULL || config->get == NULL
        || config->send == NULL) {
        g_set_error(error, MS_ERROR, MS_ERROR_SCENARIO,
                    "web mail needs authenticate, list, get and send callbacks");
        return NULL;
    }
    MsWebmail *app = g_new0(MsWebmail, 1);
    app->hostname = g_strdup(config->hostname != NULL ? config->hostname : "localhost");
    app->authenticate = config->authenticate;
    app->list = config->list;
    app->get = config->get;
    app->send = config->send;
    app->user_data = config->user_data;
    app->sessions = g_ptr_array_new_with_free_func((GDestroyNotify) session_free);
    return app;
}

void ms_webmail_free(MsWebmail *app)
{
    if (app == NULL)
        return;
    g_ptr_array_unref(app->sessions);
    g_free(app->hostname);
    g_free(app);
}

void ms_webmail_enable_folders(MsWebmail *app, const MsWebmailFolders *folders)
{
    g_return_if_fail(app != NULL && folders != NULL);
    g_return_if_fail(folders->folders != NULL && folders->list != NULL && folders->get != NULL &&
                     folders->change != NULL);
    app->folders = *folders;
}

void ms_webmail_set_session_ids(MsWebmail *app, MsWebmailSessionIdFn new_id, gpointer data)
{
    g_return_if_fail(app != NULL);
    app->new_session_id = new_id;
    app->session_id_data = data;
}

guint ms_webmail_sessions(const MsWebmail *app)
{
    g_return_val_if_fail(app != NULL, 0);
    return app->sessions->len;
}

void ms_webmail_response_free(MsWebmailResponse *response)
{
    if (response == NULL)
        return;
    if (response->headers != NULL)
        g_ptr_array_unref(response->headers);
    if (response->body != NULL)
        g_bytes_unref(response->body);
    g_free(response->user);
    g_free(response);
}

MsWebmailResponse *ms_webmail_handle(MsWebmail *app, const char *client, const char *method,
                                     const char *target, const GPtrArray *headers, GBytes *body)
{
    g_return_val_if_fail(app != NULL, NULL);
    MsWebmailResponse *resp = g_new0(MsWebmailResponse, 1);
    resp->headers = ms_http_headers_new();
    const char *t = target != NULL ? target : "";
    const char *q = strchr(t, '?');
    g_autofree char *path = q != NULL ? g_strndup(t, (gsize) (q - t)) : g_strdup(t);
    MsWebmailCtx ctx = {
        .app = app,
        .client = client,
        .method = method != NULL ? method : "",
        .path = path,
        .query = q != NULL ? q + 1 : "",
        .headers = headers,
        .body = body,
        .session = find_session(app, headers),
        .resp = resp,
    };
    const Route *route = find_route(path);
    if (route == NULL) {
        ms_webmail_error_page(&ctx, 404, "There is no such page.", MS_WEBMAIL_NOT_FOUND);
    } else if (!method_allowed(route->allow, ctx.method)) {
        /* RFC 9110 15.5.6: 405 lists the methods the target supports. */
        ms_http_headers_add(resp->headers, "Allow", route->allow);
        ms_webmail_error_page(&ctx, 405, "This page does not take that method.",
                              MS_WEBMAIL_BAD_METHOD);
    } else if (route->needs_session && ctx.session == NULL) {
        /* No valid session cookie: back to the login form. */
        redirect(&ctx, 302, "/", MS_WEBMAIL_NO_SESSION);
    } else {
        if (ctx.session != NULL)
            resp->user = g_strdup(ctx.session->address);
        route->handle(&ctx);
    }
    return resp;
}
