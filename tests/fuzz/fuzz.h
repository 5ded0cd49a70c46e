/* fuzz.h - what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Each harness defines LLVMFuzzerTestOneInput().  Built with clang and
 * -fsanitize=fuzzer (make fuzz) it is a fuzzer; linked with replay.c and
 * the normal compiler (make test) it replays its seed corpus and every past
 * crash, tests/fuzz/{corpus,crashes}/<harness>/, as regression inputs.
 */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds data to fn in segments whose lengths the first byte chooses, so the
 * fuzzer tries every way a line can be cut between TCP segments: segment i
 * is 1 + ((seed * (i + 1)) % 61) bytes long (one byte at a time for seed 0). */
typedef void (*MsFuzzFeedFn)(gpointer target, const char *bytes, gsize len);

static inline void ms_fuzz_feed_segments(const uint8_t *data, size_t size, MsFuzzFeedFn fn,
                                         gpointer target, void (*after)(gpointer target))
{
    if (size == 0)
        return;
    guint seed = data[0];
    const char *p = (const char *) data + 1;
    gsize left = size - 1;
    for (guint i = 0; left > 0; i++) {
        gsize n = seed == 0 ? 1 : 1 + (seed * (i + 1)) % 61;
        if (n > left)
            n = left;
        fn(target, p, n);
        if (after != NULL)
            after(target);
        p += n;
        left -= n;
    }
}

/* Frees what take_output gave (a GPtrArray of lines), checking nothing: the
 * sanitizers do the checking. */
static inline void ms_fuzz_drop(GPtrArray *lines)
{
    if (lines != NULL)
        g_ptr_array_unref(lines);
}
