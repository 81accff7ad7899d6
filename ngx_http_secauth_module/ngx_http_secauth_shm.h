
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_SHM_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/*
 * The shm engine (ngx_http_secauth_shm.c): a small keyed store in a shared
 * memory zone, on which the shm implementation of the store interface
 * (ngx_http_secauth_store_shm*.c) is built. Only that implementation
 * includes this header: the rest of the module reaches the zones through
 * ngx_http_secauth_store.h.
 *
 * A record is (kind, key) -> value, with an absolute expiry in ngx_time()
 * seconds (0: none; absent from that second on, like a JWT "exp") and a
 * place in a least recently used queue. Expired records are absent, and
 * freed when looked up or when they reach the LRU tail. When the zone is
 * full, the least recently used records are evicted to make room: a
 * record kind that must not be lost silently (a revoked jti, the last
 * accepted TOTP step) needs a zone of its own or an eviction policy of
 * its own.
 *
 * A record may be the parent of up to NGX_HTTP_SECAUTH_SHM_CHILDREN_MAX
 * records of other keys (one level: a child has no children), e.g. a user
 * and the user's sessions, or a refresh-token family and its tokens:
 *
 *   - deleting or evicting a parent deletes its children;
 *   - a child that goes (deleted, expired, evicted) leaves its parent;
 *   - linking a child to a full parent deletes the parent's oldest child;
 *   - a parent does not expire while it has children;
 *   - using a child (lookup, set) also marks its parent as used, so a
 *     parent is always more recently used than its children and is
 *     evicted only after them.
 *
 * lookup, set, delete and set_expire are called between lock and unlock,
 * with nothing that can block in between. A node pointer is valid until
 * the next set, delete or unlock: a set may evict any record but the one
 * it replaces, the parent given and the replaced record's parent.
 */


#define NGX_HTTP_SECAUTH_SHM_CHILDREN_MAX   256

/*
 * record kinds; a kind is a byte, and part of the key. The numbers are
 * part of the zone's layout (a reload keeps the zone): a new kind takes a
 * new number, an old one is never reused.
 */
#define NGX_HTTP_SECAUTH_SHM_SESSION        1    /* key: SHA-256 of the id */
#define NGX_HTTP_SECAUTH_SHM_USER           2    /* key: user; children:
                                                    the user's sessions */
#define NGX_HTTP_SECAUTH_SHM_REVOKED        3    /* key: SHA-256(iss \n jti) */
#define NGX_HTTP_SECAUTH_SHM_LIMIT          4    /* key: a limit key; value:
                                                    uint64_t TAT, us */
#define NGX_HTTP_SECAUTH_SHM_ATTEMPTS       5    /* key: user; logins */
#define NGX_HTTP_SECAUTH_SHM_FAMILY         6    /* key: family id; child
                                                    of its user */
#define NGX_HTTP_SECAUTH_SHM_ONCE           7    /* key: the caller's
                                                    SHA-256; value: the
                                                    bytes given */
#define NGX_HTTP_SECAUTH_SHM_COUNTER        8    /* key: the caller's
                                                    SHA-256; value:
                                                    uint64_t */

/*
 * the version of the records' values, kind by kind: a state file
 * (state=) written with another one is refused. A change to the value of
 * a kind (a field added to a session...) takes the next number.
 */
#define NGX_HTTP_SECAUTH_SHM_RECORDS_VERSION  1


typedef struct ngx_http_secauth_shm_s       ngx_http_secauth_shm_t;
typedef struct ngx_http_secauth_shm_node_s  ngx_http_secauth_shm_node_t;


/* read only but for the value bytes; followed by the key and the value */
struct ngx_http_secauth_shm_node_s {
    ngx_rbtree_node_t              node;       /* key: hash of kind + key */
    ngx_queue_t                    lru;
    ngx_queue_t                    children;   /* of a parent */
    ngx_queue_t                    sibling;    /* in the parent's children */
    ngx_http_secauth_shm_node_t   *parent;
    time_t                         expire;     /* ngx_time() based, 0: none */
    uint32_t                       nchildren;
    uint32_t                       value_len;
    uint32_t                       value_size; /* allocated */
    uint16_t                       key_len;
    u_char                         kind;
    u_char                         reserved;
};


#define ngx_http_secauth_shm_key(n)   ((u_char *) ((n) + 1))

/* aligned to NGX_ALIGNMENT: a fixed-size struct may be updated in place */
#define ngx_http_secauth_shm_value(n)                                        \
    (ngx_http_secauth_shm_key(n) + ngx_align((n)->key_len, NGX_ALIGNMENT))


/*
 * at configuration time: a zone of at least 8 pages, tagged with
 * ngx_http_secauth_module; the same name and size again returns the same
 * zone, if it is for the same purpose (a string naming what the zone
 * holds, in log lines: the pointer is compared), else fails. Logs the
 * reason and returns NULL on failure.
 */
ngx_shm_zone_t *ngx_http_secauth_shm_zone_add(ngx_conf_t *cf, ngx_str_t *name,
    size_t size, const char *purpose);

/*
 * at configuration time, after zone_add: the zone's records are kept in
 * the file path (relative to the prefix), loaded when the zone is created
 * (start, binary upgrade), journaled and written every sync from the
 * thread pool, written whole when nginx exits. Logs the reason and
 * returns NGX_ERROR on failure.
 */
ngx_int_t ngx_http_secauth_shm_zone_state(ngx_conf_t *cf,
    ngx_shm_zone_t *zone, ngx_str_t *path, ngx_msec_t sync);

/* whether the function above gave the zone a state file */
ngx_flag_t ngx_http_secauth_shm_zone_durable(ngx_shm_zone_t *zone);

/*
 * the engine's data of a zone from the function above, to pass to the
 * functions below; NULL for any other zone (or none)
 */
ngx_http_secauth_shm_t *ngx_http_secauth_shm_get(ngx_shm_zone_t *zone);

/* the zone's name, for log lines */
ngx_str_t *ngx_http_secauth_shm_name(ngx_http_secauth_shm_t *shm);

void ngx_http_secauth_shm_lock(ngx_http_secauth_shm_t *shm);
/* also writes the log lines (zone full...) deferred while locked */
void ngx_http_secauth_shm_unlock(ngx_http_secauth_shm_t *shm);

/* a live record, marked as used (with its parent); NULL when absent */
ngx_http_secauth_shm_node_t *ngx_http_secauth_shm_lookup(
    ngx_http_secauth_shm_t *shm, ngx_uint_t kind, u_char *key, size_t len);

/*
 * insert or replace (kind, key) with value_len bytes of value (or, when
 * value is NULL, uninitialised bytes for the caller to fill in), expiry
 * and parent (NULL: none; a replaced record keeps its children, and moves
 * to the new parent). NULL when there is no room even after evicting.
 */
ngx_http_secauth_shm_node_t *ngx_http_secauth_shm_set(
    ngx_http_secauth_shm_t *shm, ngx_uint_t kind, u_char *key, size_t len,
    u_char *value, size_t value_len, time_t expire,
    ngx_http_secauth_shm_node_t *parent);

/* deletes a record and its children; returns how many live children */
ngx_uint_t ngx_http_secauth_shm_delete(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);

void ngx_http_secauth_shm_set_expire(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n, time_t expire);

/*
 * after writing a record's value in place: the change is kept in the
 * zone's state file (state=), as set and set_expire's are
 */
void ngx_http_secauth_shm_changed(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);


#endif /* _NGX_HTTP_SECAUTH_SHM_H_INCLUDED_ */
