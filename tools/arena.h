/*
 * arena.h: the tool's allocator for its context. Blocks come from one
 * large address range that the kernel may back with huge pages (fewer
 * address-translation misses on a context of hundreds of megabytes): up
 * to 64 KiB in size classes, larger ones in whole 64 KiB spans. Freed
 * blocks are reused, not returned to the system: the tool runs once. When
 * the range is used up, blocks come from malloc.
 * Not thread-safe: one arena serves one context on one thread.
 */
#ifndef RTN_TOOL_ARENA_H
#define RTN_TOOL_ARENA_H

#include "retention.h"

typedef struct arena arena;

/* A new arena, or NULL when the system gives no address range for one (the
 * caller then leaves the library on malloc). */
arena *arena_new(void);
/* Release the range; every context using it must be freed first. */
void arena_free(arena *a);
/* Hooks that allocate from a (for rtn_config.allocator). */
void arena_hooks(arena *a, rtn_allocator *out);
/* Bytes of the range handed out so far (for --stats). */
size_t arena_used(const arena *a);

#endif
