/* outputs.c - the files a run leaves behind, written from its trace: the
 * same for a simulated run (`mailsim run`) and a live one (`mailsim serve`).
 */
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "cli/cli.h"
#include "mailsim/html.h"

/* Outputs are written to a fresh folder inside the output folder, and moved
 * into place only when every one was written: a run that fails half-way
 * leaves the previous run's outputs as they were, never a mix. */
static void remove_staging(const char *staging)
{
    g_autoptr(GDir) dir = g_dir_open(staging, 0, NULL);
    for (const char *n = dir != NULL ? g_dir_read_name(dir) : NULL; n != NULL;
         n = g_dir_read_name(dir)) {
        g_autofree char *p = g_build_filename(staging, n, NULL);
        g_remove(p);
    }
    g_rmdir(staging);
}

static gboolean move_into_place(const char *staging, const char *out_dir, GPtrArray *written,
                                GError **error)
{
    /* Everything that could stop a rename half-way is looked at first. */
    for (guint i = 0; i < written->len; i++) {
        g_autofree char *name = g_path_get_basename(g_ptr_array_index(written, i));
        g_autofree char *to = g_build_filename(out_dir, name, NULL);
        if (g_file_test(to, G_FILE_TEST_EXISTS) && !g_file_test(to, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot write %s: %s is in the way "
                        "and is not a file", name, to);
            return FALSE;
        }
    }
    for (guint i = 0; i < written->len; i++) {
        char *from = g_ptr_array_index(written, i);
        g_autofree char *name = g_path_get_basename(from);
        char *to = g_build_filename(out_dir, name, NULL);
        if (g_rename(from, to) != 0) {
            int e = errno;
            g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot move %s into %s: %s", name,
                        out_dir, g_strerror(e));
            g_free(to);
            return FALSE;
        }
        g_free(from);
        written->pdata[i] = to;
    }
    g_rmdir(staging);
    return TRUE;
}

/* report.html, the page that steps through the run. */
static gboolean write_html(const MsTrace *trace, const MsReportOptions *options,
                           const MsDiagramOptions *dopt, const char *dir, GPtrArray *written,
                           GError **error)
{
    gsize len = 0;
    g_autofree char *html = ms_report_html(trace, options, dopt, &len, error);
    if (html == NULL)
        return FALSE;
    g_autofree char *path = g_build_filename(dir, "report.html", NULL);
    if (!g_file_set_contents(path, html, (gssize) len, error))
        return FALSE;
    g_ptr_array_add(written, g_steal_pointer(&path));
    return TRUE;
}

static void forward_file(const char *file, gpointer data)
{
    const MsReportOptions *options = data;
    if (file != NULL)
        options->progress(file, options->progress_data);
}

gboolean ms_cli_write_outputs(MsTrace *trace, const MsReportOptions *options,
                              const MsDiagramOptions *dopt, gboolean html, const char *out_dir,
                              GPtrArray *written, char **diagram_index, GError **error)
{
    if (g_mkdir_with_parents(out_dir, 0755) != 0) {
        int e = errno;
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot create the output folder %s: %s",
                    out_dir, g_strerror(e));
        return FALSE;
    }
    g_autofree char *staging = g_build_filename(out_dir, ".mailsim-XXXXXX", NULL);
    if (g_mkdtemp(staging) == NULL) {
        int e = errno;
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot write to the output folder %s: %s",
                    out_dir, g_strerror(e));
        return FALSE;
    }
    g_autoptr(GError) local = NULL;
    /* ms_report_write names its own files to options->progress (its end,
     * NULL, is not the end here); the diagram and the page are named here. */
    MsReportOptions quiet = *options;
    quiet.progress = NULL;
    MsReportOptions named = *options;
    named.progress = options->progress != NULL ? forward_file : NULL;
    named.progress_data = (gpointer) options;
    gboolean ok = ms_report_write(trace, &named, staging, written, &local);
    if (ok && options->progress != NULL)
        options->progress("the diagram", options->progress_data);
    ok = ok && ms_diagram_write(trace, &quiet, dopt, staging, written, diagram_index, &local);
    if (ok && html && options->progress != NULL)
        options->progress("report.html", options->progress_data);
    ok = ok && (!html || write_html(trace, &quiet, dopt, staging, written, &local));
    if (options->progress != NULL)
        options->progress(NULL, options->progress_data);
    if (!ok || !move_into_place(staging, out_dir, written, &local)) {
        remove_staging(staging);
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "%s; the outputs in %s were left as they were",
                    local->message, out_dir);
        return FALSE;
    }
    return TRUE;
}
