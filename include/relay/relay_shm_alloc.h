/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A block allocator over one caller-given memory region (typically shared
 * memory), addressed by offsets from the region's start so that it works
 * wherever each process maps the region. Its whole state lives inside the
 * region; it does no locking (the caller serialises every call).
 *
 * Design (two-level segregated fit, as TLSF): every block carries a
 * 16-byte header (its size, a free flag, and the offset of the block
 * physically before it), and blocks tile the region end to end. Free
 * blocks sit on one of up to 256 doubly linked lists by size class: exact
 * classes of 16-byte granules up to 112 bytes, then four classes per power
 * of two (steps of 1.25x to 1.5x). A bitmap of the non-empty lists finds
 * a list with a block large enough in a few word operations. Freeing
 * merges the block with free physical neighbours at once, so free space
 * never stays split into pieces that were once separate blocks: with
 * nothing allocated the region is one free block again. Allocation and
 * free are O(1): no walk over blocks or lists.
 *
 * Waste: each block costs its 16-byte header plus rounding of the payload
 * up to 16 bytes (at most 31 bytes per block; the smallest block is 32
 * bytes, 16 of payload). An allocation takes the first block of the
 * smallest class whose every block fits, so it can fail while a block of
 * the requested size's own class that would fit exists (only the first of
 * that list is tried): up to 25% of a class's range is not found that
 * way; with a single free block, any request it can hold succeeds. A
 * caller that needs room frees what it holds and retries: as neighbours
 * merge, the free space returns to large blocks, and once everything is
 * freed the region is one block again.
 */
#ifndef RELAY_SHM_ALLOC_H
#define RELAY_SHM_ALLOC_H

#include <apr_errno.h>

/* The allocator's state, at the (16-byte aligned) start of its region. */
typedef struct relay_shm_alloc_t relay_shm_alloc_t;

/* Where a block is: bytes from the start of the region; 0 is none. */
typedef apr_size_t relay_shm_off_t;

/*
 * The region size that holds `nblocks` blocks of `payload` bytes in all,
 * besides the allocator's own state and slack for aligning the region.
 */
apr_size_t relay_shm_alloc_region_size(apr_size_t payload, apr_size_t nblocks);

/*
 * Lays the allocator out over base[0, size), all of it free; returns its
 * state (at base, or up to 15 bytes after it), or NULL when the region is
 * too small for its state and one block.
 */
relay_shm_alloc_t *relay_shm_alloc_init(void *base, apr_size_t size);

/* A block of at least `size` bytes, 16-byte aligned; 0 when none fits. */
relay_shm_off_t relay_shm_alloc_get(relay_shm_alloc_t *a, apr_size_t size);

/* Gives back the block at `off` (from relay_shm_alloc_get; 0 is ignored). */
void relay_shm_alloc_free(relay_shm_alloc_t *a, relay_shm_off_t off);

/* The address of the block at `off` in this process. */
void *relay_shm_alloc_addr(relay_shm_alloc_t *a, relay_shm_off_t off);

/* Bytes in free blocks (headers included), and blocks handed out. */
apr_size_t relay_shm_alloc_free_bytes(const relay_shm_alloc_t *a);
apr_size_t relay_shm_alloc_live_blocks(const relay_shm_alloc_t *a);

/*
 * Walks every block and list and checks that they agree (tiling, flags,
 * merged neighbours, list membership, byte counts): APR_SUCCESS or
 * APR_EGENERAL. O(blocks); for tests and debugging.
 */
apr_status_t relay_shm_alloc_check(const relay_shm_alloc_t *a);

#endif
