/* names.c - the one rule by which the program compares the names a scenario
 * gives: host names (servers and agents) and domains.
 *
 * Names compare without regard to ASCII case, as DNS does (RFC 4343 3), and
 * everything that looks a name up (the scenario checker, the world that is
 * built from it, the network's host table) goes through these functions, so
 * a name that `check` finds is the name that `run` finds.  The spelling of
 * the declaration is the one shown in the outputs.
 */
#include "mailsim/core.h"

gboolean ms_name_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    /* g_ascii_strcasecmp() == 0, written out: routing and delivery compare
     * names all the time, and most differ at once or match byte for byte. */
    for (;; a++, b++) {
        guchar x = (guchar) *a;
        guchar y = (guchar) *b;
        if (x == y) {
            if (x == '\0')
                return TRUE;
            continue;
        }
        if (x >= 'A' && x <= 'Z')
            x = (guchar) (x + ('a' - 'A'));
        if (y >= 'A' && y <= 'Z')
            y = (guchar) (y + ('a' - 'A'));
        if (x != y)
            return FALSE;
    }
}

/* A hash consistent with ms_name_equal (g_str_hash's djb2 over the
 * lower-cased bytes). */
guint ms_name_hash(gconstpointer name)
{
    guint h = 5381;
    for (const unsigned char *p = name; *p != '\0'; p++)
        h = (h << 5) + h + (guint) g_ascii_tolower(*p);
    return h;
}

gboolean ms_name_hash_equal(gconstpointer a, gconstpointer b)
{
    return ms_name_equal(a, b);
}

char *ms_name_key(const char *name)
{
    return g_ascii_strdown(name, -1);
}
