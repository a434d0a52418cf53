/* A pool of strings, each kept once and named by its offset: for fields
 * that repeat across many records (the reason 100,000 pending tasks give,
 * the service id of a service's ten series), where a fixed char array in
 * every record costs tens of MB at swarm-record scale.
 *
 * Pure: no I/O. Offsets stay valid until sp_free; 0 names "". */
#ifndef DAS_STRPOOL_H
#define DAS_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

struct strpool {
    char *buf;       /* the strings, NUL-terminated; buf[0] is "" */
    size_t len, cap; /* bytes used, held */
    size_t count;    /* strings held */
    uint32_t *slots; /* offsets by hash, 0 = empty (sp_intern's index);
                        NULL after sp_unindex */
    size_t nslots;
};

/* FNV-1a of s, continued from h (SP_HASH_START to begin): the one string
 * hash of the pool and of pcache's series keys. */
#define SP_HASH_START 1469598103934665603u
uint64_t sp_hash(uint64_t h, const char *s);

/* A zeroed struct strpool is an empty pool. */
void sp_free(struct strpool *p);

/* The offset of s, added when new; 0 for "" (and once the pool holds
 * 4 GB, which no caller comes near: such a string reads as ""). */
uint32_t sp_intern(struct strpool *p, const char *s);

/* The string at off, "" for 0 or an offset the pool does not have. */
const char *sp_str(const struct strpool *p, uint32_t off);

/* Frees the index sp_intern keeps (the strings stay; a later sp_intern
 * builds it again): for a pool that is only read from now on. */
void sp_unindex(struct strpool *p);

#endif
