/* files.c - where the files a scenario names are found, and reading them.
 *
 * A relative name (`attach files/ketchup.jpg`, `body-file letter.txt`) is
 * looked for first beside the scenario file, so a scenario and its files
 * move together; then in the folder of the scenarios shipped with mailsim,
 * so a shipped scenario copied elsewhere to be changed still finds the
 * shipped `files/...`.  That folder is, in order: $MAILSIM_SCENARIODIR;
 * <bin>/../share/mailsim/scenarios beside an installed program (`make
 * install`); the source tree's scenarios/ the program was built from
 * (MS_SCENARIODIR).  Files are read when the scenario is read, so a missing
 * one is reported at its line and column, and a run never opens them again.
 */
#include "scenario-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifndef MS_SCENARIODIR
#define MS_SCENARIODIR "/usr/local/share/mailsim/scenarios"
#endif

/* Files larger than this are not lesson material but a mistake. */
#define MAX_FILE_BYTES (10 * 1000 * 1000)

char *ms_scenario_shipped_dir(void)
{
    const char *env = g_getenv("MAILSIM_SCENARIODIR");
    if (env != NULL && *env != '\0')
        return g_strdup(env);
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    if (exe != NULL) {
        g_autofree char *bin = g_path_get_dirname(exe);
        g_autofree char *prefix = g_path_get_dirname(bin);
        char *dir = g_build_filename(prefix, "share", "mailsim", "scenarios", NULL);
        if (g_file_test(dir, G_FILE_TEST_IS_DIR))
            return dir;
        g_free(dir);
    }
    return g_strdup(MS_SCENARIODIR);
}

/* The places a name is looked for, in order, without repeats (transfer
 * full: a NULL-terminated vector). */
static GStrv candidates(const MsScParse *p, const char *name)
{
    GPtrArray *out = g_ptr_array_new();
    if (g_path_is_absolute(name)) {
        g_ptr_array_add(out, g_strdup(name));
        g_ptr_array_add(out, NULL);
        return (GStrv) g_ptr_array_free(out, FALSE);
    }
    g_ptr_array_add(out, g_build_filename(p->base_dir, name, NULL));
    g_autofree char *shipped = ms_scenario_shipped_dir();
    char *second = g_build_filename(shipped, name, NULL);
    g_autofree char *a = g_canonicalize_filename(g_ptr_array_index(out, 0), NULL);
    g_autofree char *b = g_canonicalize_filename(second, NULL);
    if (strcmp(a, b) != 0)
        g_ptr_array_add(out, second);
    else
        g_free(second);
    g_ptr_array_add(out, NULL);
    return (GStrv) g_ptr_array_free(out, FALSE);
}

/* Reads a whole file of at most MAX_FILE_BYTES (+1, to tell "too large"). */
static GBytes *slurp(FILE *f, int *errno_out)
{
    GByteArray *buf = g_byte_array_new();
    guint8 chunk[8192];
    size_t got = fread(chunk, 1, sizeof chunk, f);
    while (got > 0 && buf->len <= MAX_FILE_BYTES) {
        g_byte_array_append(buf, chunk, (guint) got);
        got = fread(chunk, 1, sizeof chunk, f);
    }
    *errno_out = errno;
    if (ferror(f) != 0) {
        g_byte_array_unref(buf);
        return NULL;
    }
    return g_byte_array_free_to_bytes(buf);
}

GBytes *ms_sc_read_file(MsScCursor *c, const MsScToken *tok)
{
    g_autofree char *q = ms_sc_quote(tok->text);
    if (tok->text[0] == '\0') {
        ms_sc_fail(c, tok->loc, "the file name is empty");
        return NULL;
    }
    g_auto(GStrv) paths = candidates(c->p, tok->text);
    for (guint i = 0; paths[i] != NULL; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (f == NULL && errno == ENOENT)
            continue;
        /* The path holds the name as written, which may hold a line end:
         * escaped, so that the message stays one line that says where. */
        if (f == NULL) {
            /* There, but not readable: that is the file meant. */
            int e = errno;
            g_autofree char *at = ms_sc_escape(paths[i]);
            ms_sc_fail(c, tok->loc, "cannot read the file '%s' (%s): %s", q, at, g_strerror(e));
            return NULL;
        }
        int e = 0;
        GBytes *data = slurp(f, &e);
        fclose(f);
        if (data == NULL) {
            g_autofree char *at = ms_sc_escape(paths[i]);
            ms_sc_fail(c, tok->loc, "cannot read the file '%s' (%s): %s", q, at, g_strerror(e));
            return NULL;
        }
        if (g_bytes_get_size(data) > MAX_FILE_BYTES) {
            g_bytes_unref(data);
            ms_sc_fail(c, tok->loc, "the file '%s' is larger than %d bytes: too large to "
                                    "send in a simulation", q, MAX_FILE_BYTES);
            return NULL;
        }
        return data;
    }
    /* Nowhere: say every place looked at, so a moved file can be found. */
    GString *tried = g_string_new(NULL);
    for (guint i = 0; paths[i] != NULL; i++) {
        const char *sep = i == 0 ? "" : paths[i + 1] == NULL ? " and " : ", ";
        g_autofree char *at = ms_sc_escape(paths[i]);
        g_string_append_printf(tried, "%s%s", sep, at);
    }
    const char *where = paths[1] == NULL ? "" : " (beside the scenario, then among the "
                                                "shipped scenarios)";
    ms_sc_fail(c, tok->loc, "cannot read the file '%s': %s; tried %s%s", q, g_strerror(ENOENT),
               tried->str, where);
    g_string_free(tried, TRUE);
    return NULL;
}

char *ms_sc_read_text_file(MsScCursor *c, const MsScToken *tok)
{
    g_autoptr(GBytes) bytes = ms_sc_read_file(c, tok);
    if (bytes == NULL)
        return NULL;
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    if (len == 0)
        return g_strdup("");
    /* With a length, g_utf8_validate also stops at a NUL byte. */
    const char *end = NULL;
    if (!g_utf8_validate(data, (gssize) len, &end)) {
        g_autofree char *q = ms_sc_quote(tok->text);
        ms_sc_fail(c, tok->loc, "the file '%s' is not UTF-8 text (byte 0x%02X at offset "
                                "%" G_GSIZE_FORMAT "); send it with 'attach' instead", q,
                   (guchar) *end, (gsize) (end - data));
        return NULL;
    }
    /* Windows line ends become "\n" like those of a string. */
    GString *out = g_string_sized_new(len);
    for (gsize i = 0; i < len; i++) {
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            continue;
        g_string_append_c(out, data[i]);
    }
    return g_string_free(out, FALSE);
}
