/* webmail-private.h - what the files of the web-mail application share:
 * the application and its sessions, the request being answered, and the
 * writing of a page (webmail.c).  webmail_message.c answers the /message/
 * route with them: a message's page and its parts.
 */
#pragma once

#include "mailsim/webmail.h"

G_BEGIN_DECLS

typedef struct {
    char *id;       /* the cookie value, "s1" */
    char *address;  /* whose mailbox */
} Session;

struct MsWebmail {
    char *hostname;
    MsWebmailAuthFn authenticate;
    MsWebmailListFn list;
    MsWebmailGetFn get;
    MsWebmailSendFn send;
    gpointer user_data;
    GPtrArray *sessions;  /* Session, in login order */
    guint next_session;
    MsWebmailFolders folders; /* all NULL: INBOX pages only */
};

/* One request being answered. */
typedef struct {
    MsWebmail *app;
    const char *method;
    const char *path;     /* without the query */
    const char *query;    /* after '?', or "" */
    const GPtrArray *headers;
    GBytes *body;
    const Session *session;
    MsWebmailResponse *resp;
} Ctx;

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
void ms_webmail_answer(Ctx *ctx, guint status, GString *html, MsWebmailOutcome outcome);
/* Answers with an error page saying why and linking to the start. */
void ms_webmail_error_page(Ctx *ctx, guint status, const char *why, MsWebmailOutcome outcome);
/* A field of the request's query, or NULL (transfer full). */
char *ms_webmail_query_get(const Ctx *ctx, const char *name);
/* base with "?folder=..." (transfer full). */
char *ms_webmail_folder_link(const char *base, const char *folder);

/* ---- A message and its parts (webmail_message.c) --------------------------- */

/* GET /message/N: the message's page; /message/N/part/K: one part. */
void ms_webmail_do_message(Ctx *ctx);

G_END_DECLS
