/* outputs.c - writing every report of a run into its output directory.
 *
 * The transcript's items serve both transcript.txt and transcript.md, and
 * the summary's model both summary.txt and trace.json, so each is built
 * once.  The files are streamed as they are laid out: a run of a hundred
 * thousand messages writes gigabytes of transcript and trace, which never
 * sit whole in memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report/report-private.h"

static FILE *open_output(const char *path, GError **error)
{
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot write %s: %s",
                    path, g_strerror(saved));
    }
    return file;
}

/* Writes what is left in `out` and closes the file; FALSE with an error if
 * any write failed. */
static gboolean close_output(FILE *file, GString *out, const char *path, GError **error)
{
    gboolean ok = fwrite(out->str, 1, out->len, file) == out->len;
    ok = !ferror(file) && ok;
    int saved = errno;
    if (fclose(file) != 0 && ok) {
        saved = errno;
        ok = FALSE;
    }
    if (!ok)
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot write %s: %s",
                    path, g_strerror(saved != 0 ? saved : EIO));
    return ok;
}

typedef enum { OUT_TXT, OUT_MD, OUT_SUMMARY } TextOutput;

static void tell(const MsReportOptions *options, const char *file)
{
    if (options->progress != NULL)
        options->progress(file, options->progress_data);
}

static gboolean write_text(TextOutput which, const char *path, GPtrArray *items,
                           GPtrArray *conns, const MsSummary *summary,
                           const MsReportOptions *options, GError **error)
{
    g_autofree char *name = g_path_get_basename(path);
    tell(options, name);
    FILE *file = open_output(path, error);
    if (file == NULL)
        return FALSE;
    g_autoptr(GString) out = g_string_sized_new(80u * 1024u);
    switch (which) {
    case OUT_TXT:
        ms_report_lang_enter(options->lang);
        ms_report_transcript_write(out, file, items, options);
        ms_report_lang_leave(options->lang);
        break;
    case OUT_MD:
        ms_report_lang_enter(options->lang);
        ms_report_transcript_md_write(out, file, items, conns, options);
        ms_report_lang_leave(options->lang);
        break;
    case OUT_SUMMARY:
    default:
        ms_summary_write(out, file, summary, options);
        break;
    }
    return close_output(file, out, path, error);
}

gboolean ms_report_write(const MsTrace *trace, const MsReportOptions *options, const char *dir,
                         GPtrArray *written, GError **error)
{
    g_autofree char *txt = g_build_filename(dir, "transcript.txt", NULL);
    g_autofree char *md = g_build_filename(dir, "transcript.md", NULL);
    g_autofree char *sum = g_build_filename(dir, "summary.txt", NULL);
    g_autofree char *json = g_build_filename(dir, "trace.json", NULL);
    {
        ms_report_lang_enter(options->lang);
        g_autoptr(MsReportItems) ri = ms_report_items(trace, options);
        ms_report_lang_leave(options->lang);
        if (!write_text(OUT_TXT, txt, ri->items, ri->conns, NULL, options, error))
            return FALSE;
        g_ptr_array_add(written, g_strdup(txt));
        if (!write_text(OUT_MD, md, ri->items, ri->conns, NULL, options, error))
            return FALSE;
        g_ptr_array_add(written, g_strdup(md));
    }
    g_autoptr(MsSummary) summary = ms_summary_build(trace);
    if (!write_text(OUT_SUMMARY, sum, NULL, NULL, summary, options, error))
        return FALSE;
    g_ptr_array_add(written, g_strdup(sum));
    tell(options, "trace.json");
    if (!ms_report_json_write_summary(trace, summary, options, json, error))
        return FALSE;
    g_ptr_array_add(written, g_strdup(json));
    tell(options, NULL);
    return TRUE;
}
