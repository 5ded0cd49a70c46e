/* dump-msgids.c - writes, as a PO template on standard output, every text
 * the reports translate that is not marked in the report's own sources:
 * the engines' annotation tables (SMTP, POP3, IMAP) reached through
 * ms_report_foreach_msgid(), each with its key as a comment.  update-po.sh
 * merges it with what xgettext finds in the files of po/POTFILES.
 */
#include <stdio.h>

#include "mailsim/report.h"

static void put_string(const char *s)
{
    putchar('"');
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else
            putchar(*p);
    }
    putchar('"');
}

/* A text used under two keys ("link {1} down" is a record and a phrase)
 * is written once, with its first key. */
static void put_entry(const char *key, const char *msgid, gpointer user_data)
{
    GHashTable *seen = user_data;
    if (!g_hash_table_add(seen, (gpointer) msgid))
        return;
    if (key != NULL)
        printf("#. %s\n", key);
    fputs("msgid ", stdout);
    put_string(msgid);
    fputs("\nmsgstr \"\"\n\n", stdout);
}

int main(void)
{
    fputs("msgid \"\"\nmsgstr \"\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\n", stdout);
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    ms_report_foreach_msgid(put_entry, seen);
    g_hash_table_unref(seen);
    return 0;
}
