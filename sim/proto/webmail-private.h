/* webmail-private.h - what the files of the web-mail application share:
 * the application and its sessions, the request being answered, and the
 * writing of a page (webmail.c).  webmail_message.c answers the /message/
 * route with them: a message's page and its parts.
 */
#pragma once

#include "mailsim/webmail.h"

G_BEGIN_DECLS

/* A browser logged in: the cookie it was given and whose mailbox it may
 * read (RFC 6265: HTTP itself keeps no state between requests). */
typedef struct {
    char *id;       /* the cookie value: "s1", or one drawn at random */
    char *address;  /* whose mailbox */
} MsWebmailSession;

/* The application: its host, the server's callbacks that read and send
 * mail for it, and the browsers logged in. */
struct MsWebmail {
    char *hostname;
    MsWebmailAuthFn authenticate;
    MsWebmailListFn list;
    MsWebmailGetFn get;
    MsWebmailSendFn send;
    gpointer user_data;
    GPtrArray *sessions;  /* MsWebmailSession, in login order */
    guint next_session;
    MsWebmailSessionIdFn new_session_id; /* NULL: numbered */
    gpointer session_id_data;
    MsWebmailFolders folders; /* all NULL: INBOX pages only */
};

/* One request being answered: the application, what was asked, the
 * session its cookie names (NULL: none), and the response being written. */
typedef struct {
    MsWebmail *app;
    const char *client;   /* the browser's host, for Received: (may be NULL) */
    const char *method;
    const char *path;     /* without the query */
    const char *query;    /* after '?', or "" */
    const GPtrArray *headers;
    GBytes *body;
    const MsWebmailSession *session;
    MsWebmailResponse *resp;
} MsWebmailCtx;

/* The folder pages are on (ms_webmail_enable_folders()). */
static inline gboolean ms_webmail_folders_on(const MsWebmail *app)
{
    return app->folders.list != NULL;
}

/* ---- Writing a page (webmail.c) --------------------------------------------- */

/* One line of a page, every %s argument HTML-escaped. */
void ms_webmail_line(GString *out, const char *fmt, ...);
/* A new page with its title (transfer full: give it to ms_webmail_answer()). */
GString *ms_webmail_page(const char *title);
/* Sets the response: status, the page as text/html, outcome. */
void ms_webmail_answer(MsWebmailCtx *ctx, guint status, GString *html, MsWebmailOutcome outcome);
/* Answers with an error page saying why and linking to the start. */
void ms_webmail_error_page(MsWebmailCtx *ctx, guint status, const char *why,
                           MsWebmailOutcome outcome);
/* A field of the request's query, or NULL (transfer full). */
char *ms_webmail_query_get(const MsWebmailCtx *ctx, const char *name);
/* base with "?folder=..." (transfer full). */
char *ms_webmail_folder_link(const char *base, const char *folder);

/* ---- A message and its parts (webmail_message.c) --------------------------- */

/* GET /message/N: the message's page; /message/N/part/K: one part. */
void ms_webmail_do_message(MsWebmailCtx *ctx);

G_END_DECLS
