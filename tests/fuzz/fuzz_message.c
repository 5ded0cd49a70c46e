/* fuzz_message.c - the RFC 5322 message and MIME (RFC 2045-2049) readers on
 * arbitrary bytes: parse, walk every part, decode it, write it back. */
#include "fuzz.h"
#include "mailsim/message.h"

static void walk(const MsMimePart *part, guint depth)
{
    if (part == NULL || depth > 64)
        return;
    (void) ms_mime_part_type(part);
    (void) ms_mime_part_param(part, "charset");
    (void) ms_mime_part_filename(part);
    GBytes *decoded = ms_mime_part_decode(part, NULL);
    if (decoded != NULL)
        g_bytes_unref(decoded);
    for (guint i = 0; i < ms_mime_part_n_children(part); i++)
        walk(ms_mime_part_child(part, i), depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GBytes *bytes = g_bytes_new(data, size);
    MsMessage *msg = ms_message_parse_bytes(bytes, NULL);
    if (msg != NULL) {
        (void) ms_message_get(msg, "Subject");
        MsMimePart *root = ms_mime_parse(msg);
        walk(root, 0);
        ms_mime_part_free(root);
        GBytes *again = ms_message_to_bytes(msg);
        g_bytes_unref(again);
        ms_message_free(msg);
    }
    g_bytes_unref(bytes);
    return 0;
}
