/* i18n.c - the language of the reports: English texts are the msgids of
 * gettext's "mailsim" domain; Chinese comes from the zh_CN catalogue built
 * from po/zh_CN.po.
 *
 * `--lang zh` must work whatever the machine's locale is, and no zh_CN
 * locale need be installed: gettext only needs the .mo file.  glibc ignores
 * LANGUAGE while LC_MESSAGES is "C" (or "POSIX"), so for Chinese the
 * category is moved to C.UTF-8 (a real locale since glibc 2.35, and not "C"
 * for that check), LANGUAGE is set to zh_CN, and textdomain() is called
 * again, which is how gettext is told to forget the translations it has
 * cached.  All of it is undone when the report is written (a renderer
 * brackets its work with ms_report_lang_enter/leave; a lone lookup does it
 * around itself).  English never calls gettext: the msgid is the text.
 */
#define GETTEXT_PACKAGE "mailsim"
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <stdarg.h>
#include <string.h>

#include "report/report-private.h"

#ifndef MS_LOCALEDIR
#define MS_LOCALEDIR "/usr/local/share/locale"
#endif

#define ZH_LANGUAGE "zh_CN"

/* What gettext has been set up for, and what a switch to Chinese changed,
 * to be put back when the report is written: process-wide, like gettext's
 * own state.  The switch nests (a report calls ms_report_tr many times). */
static gboolean domain_bound;
static guint switched;          /* nesting depth of use_chinese() */
static char *saved_messages;    /* LC_MESSAGES before, if it was changed */
static char *saved_language;    /* LANGUAGE before (NULL: it was unset) */
static GPtrArray *untranslated; /* const char*: static msgids */

gboolean ms_report_lang_is_zh(const char *lang)
{
    return lang != NULL && g_ascii_strncasecmp(lang, "zh", 2) == 0;
}

const char *ms_report_scenario_title(const MsReportOptions *options, const char *lang)
{
    if (options == NULL)
        return NULL;
    if (ms_report_lang_is_zh(lang) && options->scenario_name_zh != NULL &&
        options->scenario_name_zh[0] != '\0')
        return options->scenario_name_zh;
    return options->scenario_name;
}

gboolean ms_report_lang_supported(const char *lang)
{
    return lang != NULL && (strcmp(lang, "en") == 0 || strcmp(lang, "zh") == 0);
}

const char *ms_report_default_lang(void)
{
    /* POSIX precedence: the first of these that is set and not empty
     * decides the language of messages. */
    static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    for (gsize i = 0; i < G_N_ELEMENTS(vars); i++) {
        const char *v = g_getenv(vars[i]);
        if (v != NULL && *v != '\0')
            return g_str_has_prefix(v, "zh") ? "zh" : "en";
    }
    return "en";
}

static gboolean catalogue_in(const char *dir)
{
    g_autofree char *mo = g_build_filename(dir, ZH_LANGUAGE, "LC_MESSAGES",
                                           GETTEXT_PACKAGE ".mo", NULL);
    return g_file_test(mo, G_FILE_TEST_IS_REGULAR);
}

/* The build tree's catalogue (MS_LOCALEDIR) or, for a program installed
 * with another prefix than it was built for, <bin>/../share/locale.
 * MAILSIM_LOCALEDIR overrides both. */
static char *find_localedir(void)
{
    const char *env = g_getenv("MAILSIM_LOCALEDIR");
    if (env != NULL && *env != '\0')
        return g_strdup(env);
    if (catalogue_in(MS_LOCALEDIR))
        return g_strdup(MS_LOCALEDIR);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe != NULL) {
        g_autofree char *bin = g_path_get_dirname(exe);
        char *dir = g_build_filename(bin, "..", "share", "locale", NULL);
        if (catalogue_in(dir))
            return dir;
        g_free(dir);
    }
    return g_strdup(MS_LOCALEDIR);
}

/* Makes gettext answer in Chinese until the matching leave_chinese(). */
static void use_chinese(void)
{
    switched++;
    if (switched > 1)
        return;
    if (!domain_bound) {
        g_autofree char *dir = find_localedir();
        bindtextdomain(GETTEXT_PACKAGE, dir);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        domain_bound = TRUE;
    }
    const char *messages = setlocale(LC_MESSAGES, NULL);
    if (messages == NULL || strcmp(messages, "C") == 0 || strcmp(messages, "POSIX") == 0) {
        saved_messages = g_strdup(messages != NULL ? messages : "C");
        if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
            setlocale(LC_MESSAGES, "C.utf8");
    }
    saved_language = g_strdup(g_getenv("LANGUAGE"));
    g_setenv("LANGUAGE", ZH_LANGUAGE, TRUE);
    /* Re-setting the text domain invalidates gettext's cache of
     * translations looked up under the previous LANGUAGE. */
    textdomain(textdomain(NULL));
}

/* Puts LC_MESSAGES and LANGUAGE back, so that nothing else in the process
 * (GLib's own messages, say) starts speaking Chinese. */
static void leave_chinese(void)
{
    g_assert(switched > 0);
    switched--;
    if (switched > 0)
        return;
    if (saved_language != NULL)
        g_setenv("LANGUAGE", saved_language, TRUE);
    else
        g_unsetenv("LANGUAGE");
    g_clear_pointer(&saved_language, g_free);
    if (saved_messages != NULL)
        setlocale(LC_MESSAGES, saved_messages);
    g_clear_pointer(&saved_messages, g_free);
    textdomain(textdomain(NULL));
}

void ms_report_lang_enter(const char *lang)
{
    if (ms_report_lang_is_zh(lang))
        use_chinese();
}

void ms_report_lang_leave(const char *lang)
{
    if (ms_report_lang_is_zh(lang))
        leave_chinese();
}

const char *ms_report_tr(const char *lang, const char *msgid)
{
    if (msgid == NULL || *msgid == '\0' || !ms_report_lang_is_zh(lang))
        return msgid;
    use_chinese();
    const char *text = g_dgettext(GETTEXT_PACKAGE, msgid);
    leave_chinese();
    if (text == msgid || strcmp(text, msgid) == 0) {
        if (untranslated == NULL)
            untranslated = g_ptr_array_new();
        if (!g_ptr_array_find_with_equal_func(untranslated, msgid, g_str_equal, NULL))
            g_ptr_array_add(untranslated, (gpointer) msgid);
    }
    return text;
}

const char *ms_report_trn(const char *lang, const char *singular, const char *plural, gulong n)
{
    if (!ms_report_lang_is_zh(lang))
        return n == 1 ? singular : plural;
    use_chinese();
    const char *text = g_dngettext(GETTEXT_PACKAGE, singular, plural, n);
    leave_chinese();
    if (text == singular || text == plural) {
        if (untranslated == NULL)
            untranslated = g_ptr_array_new();
        if (!g_ptr_array_find_with_equal_func(untranslated, singular, g_str_equal, NULL))
            g_ptr_array_add(untranslated, (gpointer) singular);
    }
    return text;
}

GPtrArray *ms_report_untranslated(void)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; untranslated != NULL && i < untranslated->len; i++)
        g_ptr_array_add(out, g_ptr_array_index(untranslated, i));
    return out;
}

void ms_report_untranslated_reset(void)
{
    g_clear_pointer(&untranslated, g_ptr_array_unref);
}

char *ms_report_format_args(const char *lang, const char *msgid, const char *const *args,
                            guint n_args)
{
    const char *tpl = ms_report_tr(lang, msgid);
    GString *out = g_string_new(NULL);
    for (const char *p = tpl; *p != '\0'; p++) {
        /* "{n}" with n in 1..9 is the n-th argument. */
        if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
            guint n = (guint) (p[1] - '1');
            if (n < n_args && args[n] != NULL)
                g_string_append(out, args[n]);
            p += 2;
            continue;
        }
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

char *ms_report_format(const char *lang, const char *msgid, ...)
{
    const char *args[9] = { NULL };
    guint n = 0;
    va_list ap;
    va_start(ap, msgid);
    for (const char *a = va_arg(ap, const char *); a != NULL && n < G_N_ELEMENTS(args);
         a = va_arg(ap, const char *))
        args[n++] = a;
    va_end(ap);
    return ms_report_format_args(lang, msgid, args, n);
}
