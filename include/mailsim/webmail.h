/* webmail.h - web mail: the mail server's pages a browser reads and writes
 * mail with (the lecture notes' "基于Web的电子邮件").
 *
 * With web mail the user agent is an ordinary browser: it fetches pages
 * from the user's mail server over HTTP (a pull, like POP3 and IMAP) and
 * sends new mail to it with an HTTP POST; between mail servers the message
 * still travels by SMTP.  This module is the application behind the HTTP
 * server engine (http.h): a pure function from a request to a response,
 * with no I/O.  It reaches the user's mailbox and outgoing queue only
 * through the callbacks of its configuration, and remembers who is logged
 * in by session cookies it numbers itself ("s1", "s2", ...), so every run
 * gives the same pages.
 *
 * Routes (all pages are a few lines of HTML):
 *   GET  /            the login form
 *   POST /login       form user=...&password=...: 302 to /inbox with
 *                     Set-Cookie: session=sN; wrong credentials 401
 *   GET  /inbox       the INBOX listing (?sent=1 adds "Message sent.")
 *   GET  /message/N   message N of the listing (from 1): header fields and
 *                     text, HTML-escaped, then one line per attachment
 *                     linking to its part (a picture as <img src>, any
 *                     other as <a href download>); 404 when there is none
 *   GET  /message/N/part/K
 *                     part K of message N (its leaf MIME parts numbered
 *                     from 1, depth first), decoded: one object per
 *                     response, with the part's Content-Type and a
 *                     Content-Disposition (RFC 6266); 404 when none
 *   GET  /compose     the form for a new message
 *   POST /send        form to=...&subject=...&body=...: 303 to
 *                     /inbox?sent=1 once the message is queued for SMTP
 *   GET  /logout      ends the session: 302 to / and the cookie expired
 * Every route but / and /login needs a valid session cookie, else 302 to /.
 * A malformed form is 400, an unknown path 404, a wrong method 405 (with
 * Allow).  HEAD is answered like GET (the HTTP engine drops the content).
 */
#pragma once

#include <glib.h>
#include "mailsim/http.h"

G_BEGIN_DECLS

#define MS_WEBMAIL_COOKIE "session"
#define MS_WEBMAIL_FORM_TYPE "application/x-www-form-urlencoded"

/* What a request came to: X-macro of enum constant and printable name. */
#define MS_WEBMAIL_OUTCOMES(X)                                                \
    X(MS_WEBMAIL_LOGIN_FORM, "login-form")                                    \
    X(MS_WEBMAIL_LOGIN_OK, "login-ok")                                        \
    X(MS_WEBMAIL_LOGIN_FAILED, "login-failed")                                \
    X(MS_WEBMAIL_INBOX, "inbox")                                              \
    X(MS_WEBMAIL_MESSAGE, "message")                                          \
    X(MS_WEBMAIL_PART, "part")                                                \
    X(MS_WEBMAIL_COMPOSE, "compose")                                          \
    X(MS_WEBMAIL_SENT, "sent")                                                \
    X(MS_WEBMAIL_LOGOUT, "logout")                                            \
    X(MS_WEBMAIL_NO_SESSION, "no-session")                                    \
    X(MS_WEBMAIL_BAD_REQUEST, "bad-request")                                  \
    X(MS_WEBMAIL_NOT_FOUND, "not-found")                                      \
    X(MS_WEBMAIL_BAD_METHOD, "method-not-allowed")                            \
    X(MS_WEBMAIL_SERVER_ERROR, "server-error")                                \
    X(MS_WEBMAIL_CHANGED, "changed")                                          \
    X(MS_WEBMAIL_OPTIONS, "options")

#define MS_WEBMAIL_OUTCOME_ENUM_(e, name) e,
typedef enum {
    MS_WEBMAIL_OUTCOMES(MS_WEBMAIL_OUTCOME_ENUM_) MS_WEBMAIL_N_OUTCOMES
} MsWebmailOutcome;
#undef MS_WEBMAIL_OUTCOME_ENUM_

const char *ms_webmail_outcome_name(MsWebmailOutcome outcome);

/* ---- The mailbox, as the application sees it --------------------------------- */

/* One line of the INBOX listing. */
typedef struct {
    char *from;     /* the From field, decoded (RFC 2047); "" when none */
    char *subject;  /* the Subject field, decoded; "" when none */
    char *date;     /* the Date field as written; "" when none */
    guint64 size;   /* the message's size in octets */
    gboolean flagged; /* marked \\Flagged (shown with folders on) */
} MsWebmailSummary;

/* Copies the strings; NULL is taken as "". */
MsWebmailSummary *ms_webmail_summary_new(const char *from, const char *subject,
                                         const char *date, guint64 size);
/* The summary of a message text (RFC 5322), for glue that keeps messages
 * as bytes (transfer full; never NULL: what cannot be read is ""). */
MsWebmailSummary *ms_webmail_summary_from_bytes(GBytes *message);
void ms_webmail_summary_free(MsWebmailSummary *summary);
/* A GPtrArray that frees MsWebmailSummary elements (transfer full). */
GPtrArray *ms_webmail_summaries_new(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWebmailSummary, ms_webmail_summary_free)

/* A message written in the compose form, for the glue to submit by SMTP. */
typedef struct {
    const char *from;          /* the logged-in address */
    const char *const *to;     /* addr-specs, NULL-terminated, at least one */
    const char *subject;       /* "" when the field was left empty */
    const char *body;          /* UTF-8, "\n" line ends */
    const char *client;        /* the browser's host (NULL: not known) */
} MsWebmailOutgoing;

/* Callbacks into the glue; each gets the config's user_data last. */

/* TRUE if password is user's (as typed in the form: "alice" or
 * "alice@crepes.fr"); then *address_out gets the mailbox address the
 * session is for (transfer full). */
typedef gboolean (*MsWebmailAuthFn)(const char *user, const char *password,
                                    gpointer user_data, char **address_out);
/* The INBOX of address, oldest first, MsWebmailSummary* from
 * ms_webmail_summaries_new() (transfer full), or NULL if it cannot be read
 * (500). */
typedef GPtrArray *(*MsWebmailListFn)(const char *address, gpointer user_data);
/* The text of message number (from 1, in the listing's order), or NULL if
 * there is none (404) (transfer full). */
typedef GBytes *(*MsWebmailGetFn)(const char *address, guint number, gpointer user_data);
/* Queues the message for delivery.  FALSE refuses it, with a reason in
 * *error_out (transfer full) shown on a 400 page. */
typedef gboolean (*MsWebmailSendFn)(const MsWebmailOutgoing *message, gpointer user_data,
                                    char **error_out);

typedef struct {
    const char *hostname;       /* the server, in page titles */
    MsWebmailAuthFn authenticate; /* required */
    MsWebmailListFn list;         /* required */
    MsWebmailGetFn get;           /* required */
    MsWebmailSendFn send;         /* required */
    gpointer user_data;
} MsWebmailConfig;

/* ---- Folders (optional) -------------------------------------------------------
 * With these callbacks the pages also show the user's folders and each
 * message's flag, and offer to delete, flag, copy or move a message and to
 * create a folder (all through POST /change, then 303 back to the folder):
 *   GET  /inbox?folder=NAME      a folder's listing (INBOX without it)
 *   GET  /message/N?folder=NAME  message N of that folder
 *   POST /change                 op=delete|flag|unflag|copy|move with
 *                                folder, n (and to); op=create with name
 * Live mode turns them on; a scenario's browsers see the INBOX pages only. */
typedef enum {
    MS_WEBMAIL_OP_DELETE,
    MS_WEBMAIL_OP_FLAG,
    MS_WEBMAIL_OP_UNFLAG,
    MS_WEBMAIL_OP_COPY,
    MS_WEBMAIL_OP_MOVE,
    MS_WEBMAIL_OP_CREATE,
} MsWebmailOp;

typedef struct {
    MsWebmailOp op;
    const char *folder;  /* where the message is (or the new folder's name) */
    guint number;        /* from 1, in that folder's listing */
    const char *target;  /* COPY / MOVE: the folder it goes to */
} MsWebmailChange;

typedef struct {
    /* The folders, INBOX first (transfer full, NULL-terminated). */
    char **(*folders)(const char *address, gpointer user_data);
    /* Like MsWebmailListFn / MsWebmailGetFn, in a folder. */
    GPtrArray *(*list)(const char *address, const char *folder, gpointer user_data);
    GBytes *(*get)(const char *address, const char *folder, guint number, gpointer user_data);
    /* FALSE refuses the change with a reason (transfer full) for a 400 page. */
    gboolean (*change)(const char *address, const MsWebmailChange *change, gpointer user_data,
                       char **error_out);
} MsWebmailFolders;

/* ---- The application --------------------------------------------------------- */

typedef struct {
    guint status;
    GPtrArray *headers;        /* MsHttpHeader*: Content-Type, Location,
                                * Set-Cookie, Allow, WWW-Authenticate */
    GBytes *body;              /* the HTML page, CRLF line ends, or a message
                                * part's decoded octets; never NULL */
    MsWebmailOutcome outcome;
    char *user;                /* the address the request acted for, or NULL */
} MsWebmailResponse;

void ms_webmail_response_free(MsWebmailResponse *response);

typedef struct MsWebmail MsWebmail;

/* Copies config.  Fails (MS_ERROR_SCENARIO) when a callback is missing. */
MsWebmail *ms_webmail_new(const MsWebmailConfig *config, GError **error);
void ms_webmail_free(MsWebmail *app);
/* Answers one request from the browser on host `client` (may be NULL; a
 * message it sends says it came from there): method and target as in the
 * REQUEST event (target in origin form, "/inbox"), its header fields
 * (MsHttpHeader*, for Cookie and Content-Type) and content (may be NULL).
 * Never fails: a bad request gets a 4xx page.  Transfer full. */
MsWebmailResponse *ms_webmail_handle(MsWebmail *app, const char *client, const char *method,
                                     const char *target, const GPtrArray *headers, GBytes *body);
/* Turns the folder pages on (callbacks copied; all four required; the
 * config's user_data is passed to them). */
void ms_webmail_enable_folders(MsWebmail *app, const MsWebmailFolders *folders);
/* Where session ids come from: new_id(data) returns a fresh one (transfer
 * full; cookie-octets only, RFC 6265 4.1.1, such as hex digits).  Without
 * it they are numbered "s1", "s2"...: the same in every run of a scenario,
 * and so guessable; the glue of real clients (mailsim serve) draws them. */
typedef char *(*MsWebmailSessionIdFn)(gpointer data);
void ms_webmail_set_session_ids(MsWebmail *app, MsWebmailSessionIdFn new_id, gpointer data);
/* How many sessions are logged in. */
guint ms_webmail_sessions(const MsWebmail *app);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWebmailResponse, ms_webmail_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWebmail, ms_webmail_free)

/* ---- Forms (application/x-www-form-urlencoded) -------------------------------
 * The WHATWG URL standard's encoding, which browsers use for HTML forms:
 * name=value pairs joined by '&', space as '+', every byte outside
 * [A-Za-z0-9*-._] as %XX of its UTF-8 octets. */

/* pairs: name, value, name, value, ..., NULL (transfer full). */
char *ms_webmail_form_encode(const char *const *pairs);
/* The pairs of a form, MsHttpHeader* (name, value) in order, '+' and %XX
 * decoded.  Fails (MS_ERROR_PARSE) on a bad %-escape, a NUL, or a name or
 * value that is not UTF-8 once decoded.  Transfer full. */
GPtrArray *ms_webmail_form_decode(const char *data, gsize len, GError **error);

/* ---- What a browser sends ------------------------------------------------------
 * The requests a browser makes for the scenario's web actions, for the
 * glue to queue on its MsHttpClient.  cookie is the "name=value" pair the
 * browser holds (ms_http_set_cookie_pair()), sent in a Cookie field, or
 * NULL. */
typedef struct {
    const char *method;        /* static: "GET" or "POST" */
    char *target;
    GPtrArray *headers;        /* MsHttpHeader* */
    GBytes *body;              /* NULL for GET */
} MsWebmailRequest;

void ms_webmail_request_free(MsWebmailRequest *request);
/* GET target: "/", "/inbox", "/message/2", "/logout", or a Location. */
MsWebmailRequest *ms_webmail_request_get(const char *target, const char *cookie);
/* POST /login with user=...&password=... */
MsWebmailRequest *ms_webmail_request_login(const char *user, const char *password,
                                           const char *cookie);
/* POST /send with to=a,b&subject=...&body=... (body "\n" line ends are
 * sent as CRLF, as a browser sends a textarea).  subject and body may be
 * NULL. */
MsWebmailRequest *ms_webmail_request_send(const char *const *to, const char *subject,
                                          const char *body, const char *cookie);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWebmailRequest, ms_webmail_request_free)

G_END_DECLS
