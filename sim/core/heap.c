/* heap.c - a large run's heap on huge pages.
 *
 * A run of thousands of messages spreads tens of megabytes of small objects
 * over the heap (connections, segments in flight, stored messages, the
 * trace's pool and indexes) and reaches them in no order.  On 4 KiB pages
 * nearly every such reach needs an address translation the TLB no longer
 * holds; on 2 MiB pages one entry covers 512 times as much.  On a kernel
 * that gives transparent huge pages only where they are asked for (its
 * "madvise" mode, the common default), the heap gets them only if the
 * process asks, and glibc's malloc asks only when started with the tunable
 * glibc.malloc.hugetlb=1.  This asks in its place, for the heap's growth
 * while a large run lasts:
 *   - malloc is told to grow the heap in steps of HEAP_STEP (M_TOP_PAD), so
 *     that a step is mostly untouched when it is advised;
 *   - ms_heap_huge_poll(), called now and then by the loop that allocates,
 *     advises what the heap grew by since the last call (madvise
 *     MADV_HUGEPAGE), and the kernel backs each 2 MiB of it that is still
 *     untouched with one huge page when it is first written.
 * The pages a step had already touched stay small: between two polls a
 * run allocates a few tens of kilobytes.  No output depends on any of
 * this, only the time a run takes (docs/design.md, Scale).  Elsewhere than
 * glibc on Linux, under AddressSanitizer (whose allocator does not use the
 * heap that sbrk grows), and where the kernel gives huge pages always or
 * never, it does nothing.
 *
 * The heap is the process's, so its state here is too; the simulator runs
 * in one thread.
 */
/* sbrk() and MADV_HUGEPAGE are BSD and Linux extensions. */
#define _DEFAULT_SOURCE
#include "mailsim/core.h"

#include <string.h>

#if defined(__linux__) && defined(__GLIBC__) && !MS_UNDER_ASAN
#define HEAP_HUGE 1
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#else
#define HEAP_HUGE 0
#endif

#if HEAP_HUGE && defined(MADV_HUGEPAGE) && defined(M_TOP_PAD)

/* What the heap grows by at least, each time it grows: about a second of
 * a campus run's allocations, and only address space until it is used. */
#define HEAP_STEP (32u << 20)

/* The kernel's file that says when it gives huge pages: "[madvise]" is
 * the one mode where asking makes a difference. */
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

static struct {
    gboolean checked;  /* the kernel's mode has been read */
    gboolean useful;   /* ... and it is "madvise" */
    gboolean on;       /* between begin and end */
    uintptr_t advised; /* the heap's end when it was last advised */
} heap;

/* Whether asking for huge pages can change anything here. */
static gboolean thp_on_request(void)
{
    g_autofree char *mode = NULL;
    if (!g_file_get_contents(THP_ENABLED, &mode, NULL, NULL))
        return FALSE;
    return strstr(mode, "[madvise]") != NULL;
}

void ms_heap_huge_begin(void)
{
    if (!heap.checked) {
        heap.useful = thp_on_request();
        heap.checked = TRUE;
    }
    if (!heap.useful || heap.on)
        return;
    if (mallopt(M_TOP_PAD, HEAP_STEP) != 1)
        return;
    heap.on = TRUE;
    /* What the heap holds already was written and stays as it is. */
    heap.advised = (uintptr_t) sbrk(0);
}

void ms_heap_huge_poll(void)
{
    if (!heap.on)
        return;
    uintptr_t end = (uintptr_t) sbrk(0);
    if (end == (uintptr_t) -1 || end == heap.advised)
        return;
    /* Below what was advised: malloc gave some of the heap back, and
     * what it grows into again is advised at the next poll. */
    if (end > heap.advised) {
        uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE);
        uintptr_t start = heap.advised & ~(page - 1u);
        /* Only advice: refused (an old kernel), the heap keeps small pages. */
        (void) madvise((void *) start, end - start, MADV_HUGEPAGE);
    }
    heap.advised = end;
}

void ms_heap_huge_end(void)
{
    if (!heap.on)
        return;
    ms_heap_huge_poll();
    /* glibc's own default, which malloc.h does not name. */
    (void) mallopt(M_TOP_PAD, 128 * 1024);
    heap.on = FALSE;
}

gboolean ms_heap_huge_active(void)
{
    return heap.on;
}

#else

void ms_heap_huge_begin(void)
{
}

void ms_heap_huge_poll(void)
{
}

void ms_heap_huge_end(void)
{
}

gboolean ms_heap_huge_active(void)
{
    return FALSE;
}

#endif
