
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_SHM_PRIVATE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_SHM_PRIVATE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include "ngx_http_secauth_shm.h"
#include "ngx_http_secauth_state.h"


/*
 * Inside the shm engine, shared by its files and by nothing else:
 *
 *   ngx_http_secauth_shm.c        records: lookup, set, delete, evict;
 *   ngx_http_secauth_shm_zone.c   zones: add, init, what a new zone is
 *                                 filled with (the old zone of a resize,
 *                                 or the state file);
 *   ngx_http_secauth_shm_fill.c   filling a new zone with records;
 *   ngx_http_secauth_shm_state.c  the state file: the journal of changes,
 *                                 its flush from the thread pool,
 *                                 snapshots, catching up with another
 *                                 nginx;
 *   ngx_http_secauth_shm_exit.c   the write at exit;
 *   ngx_http_secauth_shm_file.c   the file's blocking reads and writes.
 *
 * Calls go zone -> fill -> shm -> state -> file, exit -> state, never
 * back.
 */


/*
 * of the layout in the zone and its hash: a reload keeps a zone of the
 * same version (2: murmur instead of crc32; 3: the state file's part)
 */
#define NGX_HTTP_SECAUTH_SHM_VERSION        3

/* dirty records in one locked section at most; more: a snapshot next */
#define NGX_HTTP_SECAUTH_SHM_DIRTY_MAX      8


/* the state file's part of the zone (zeros without state=) */
typedef struct {
    u_char                       *journal;       /* encoded records */
    size_t                        journal_size;
    size_t                        journal_len;
    size_t                        file_journal;  /* bytes in the file
                                                    after its snapshot */
    void                         *last;          /* the record of the last
                                                    journal entry */
    size_t                        last_off;      /* where that entry is */
    uint64_t                      generation;    /* of this zone */
    ngx_atomic_t                  flush_lock;    /* pid of the flusher */
    time_t                        flush_since;
    ngx_uint_t                    lost;          /* snapshots skipped
                                                    to another nginx */
    /*
     * catching up: the nginx before this one (a binary upgrade) still
     * appends to the file this zone was loaded from; its changes are
     * replayed here until its master is gone, then the file is taken over
     */
    uint64_t                      tail_gen;      /* 0: not catching up */
    off_t                         tail_off;      /* read up to */
    ngx_uint_t                    tail_ino;
    time_t                        tail_since;

    unsigned                      changed:1;     /* since the load */
    unsigned                      snapshot:1;    /* write one whole next */
    unsigned                      claim:1;       /* the file is not ours
                                                    yet: take it over */
    unsigned                      foreign:1;     /* the file is another
                                                    nginx's: stop */
} ngx_http_secauth_shm_state_sh_t;


/* the zone's shared part, at shpool->data */
typedef struct {
    ngx_rbtree_t                     rbtree;
    ngx_rbtree_node_t                sentinel;
    ngx_queue_t                      lru;        /* most recent first */
    ngx_uint_t                       version;
    ngx_uint_t                       evicted;
    ngx_uint_t                       failed;
    time_t                           evict_logged;
    time_t                           fail_logged;
    ngx_http_secauth_shm_state_sh_t  state;
} ngx_http_secauth_shm_sh_t;


/* state=PATH of a zone, from the configuration */
typedef struct {
    ngx_str_t                     path;          /* null-terminated */
    ngx_str_t                     tmp;           /* PATH.tmp */
    ngx_str_t                     lock;          /* PATH.lock */
    ngx_str_t                     dir;           /* where PATH is */
    ngx_msec_t                    sync;
    ngx_cycle_t                  *cycle;         /* configured in */
    ngx_uid_t                     user;          /* of the workers */
    ngx_gid_t                     group;
#if (NGX_THREADS)
    ngx_thread_pool_t            *thread_pool;
#endif
} ngx_http_secauth_shm_state_conf_t;


/* per process: the zone's data */
struct ngx_http_secauth_shm_s {
    ngx_http_secauth_shm_sh_t          *sh;
    ngx_slab_pool_t                    *shpool;
    ngx_shm_zone_t                     *zone;
    const char                         *purpose;    /* one per zone name */

    /* log lines decided while locked, written after unlocking */
    ngx_uint_t                          log_evicted;
    ngx_uint_t                          log_failed;
    ngx_uint_t                          log_invalid;

    /* NULL: no state=, or while the zone is being filled */
    ngx_http_secauth_shm_state_conf_t  *state;
    ngx_http_secauth_shm_state_conf_t  *state_conf;

    /* records set while locked, journaled when unlocking */
    ngx_http_secauth_shm_node_t        *dirty[NGX_HTTP_SECAUTH_SHM_DIRTY_MAX];
    ngx_uint_t                          ndirty;

    /* replays a record of another nginx's journal (catching up) */
    ngx_http_secauth_state_record_pt    replay;     /* data: the shm */

    ngx_event_t                         flush;      /* a worker's timer */
    void                               *task;       /* its thread task */

    /* at configuration time: the zone a resize replaces */
    ngx_http_secauth_shm_t             *resized_from;
};


/* the zones' tag: every zone of the module, whatever its purpose */
extern ngx_module_t  ngx_http_secauth_module;


/* ngx_http_secauth_shm.c */

/* the zone's shared part in a new zone */
ngx_int_t ngx_http_secauth_shm_create(ngx_http_secauth_shm_t *shm);

/* the record functions' own steps */
uint32_t ngx_http_secauth_shm_hash(ngx_uint_t kind, u_char *key,
    size_t len);
ngx_http_secauth_shm_node_t *ngx_http_secauth_shm_find(
    ngx_http_secauth_shm_t *shm, uint32_t hash, ngx_uint_t kind, u_char *key,
    size_t len);
ngx_uint_t ngx_http_secauth_shm_expired(ngx_http_secauth_shm_node_t *n,
    time_t now);
void ngx_http_secauth_shm_link(ngx_http_secauth_shm_node_t *parent,
    ngx_http_secauth_shm_node_t *n);
/* a node without children */
void ngx_http_secauth_shm_free(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);


/*
 * ngx_http_secauth_shm_fill.c: filling a new zone, before any process
 * uses it
 */

/* a record as a snapshot or a journal has it */
typedef struct {
    ngx_uint_t                    kind;
    u_char                       *key;
    size_t                        len;
    u_char                       *value;
    size_t                        value_len;
    time_t                        expire;
    ngx_uint_t                    parent_kind;   /* 0: no parent */
    u_char                       *parent_key;
    size_t                        parent_len;
    ngx_uint_t                    is_parent;     /* had children */
} ngx_http_secauth_shm_rec_t;

/* how a fill went */
typedef struct {
    ngx_uint_t                    loaded;
    ngx_uint_t                    expired;
    ngx_uint_t                    orphans;       /* their parent was not
                                                    loaded */
    ngx_uint_t                    full;          /* did not fit */
} ngx_http_secauth_shm_fill_t;

/*
 * one record of a snapshot (most recently used first) into a zone being
 * filled: never evicts, goes to the LRU tail
 */
void ngx_http_secauth_shm_fill(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_rec_t *rec, ngx_http_secauth_shm_fill_t *fill);
/* one change of a journal, replayed after the snapshot (put 0: delete) */
void ngx_http_secauth_shm_replay(ngx_http_secauth_shm_t *shm, ngx_uint_t put,
    ngx_http_secauth_shm_rec_t *rec, ngx_http_secauth_shm_fill_t *fill);
/* then: expired records left without children dropped */
void ngx_http_secauth_shm_fill_done(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_fill_t *fill);


/* one write of the state file: what to write, how it went */
typedef struct {
    ngx_http_secauth_shm_t             *shm;
    ngx_http_secauth_shm_state_conf_t  *conf;
    u_char                             *buf;
    size_t                              len;
    uint64_t                            generation;
    ngx_uint_t                          snapshot;   /* else a journal */
    ngx_uint_t                          claim;
    ngx_uint_t                          records;

    /* catching up: the other nginx's appends after tail_off */
    ngx_uint_t                          catchup;
    uint64_t                            tail_gen;
    off_t                               tail_off;
    ngx_uint_t                          tail_ino;
    ngx_uint_t                          alive;      /* its master is */

    /* the result */
    ngx_int_t                           rc;         /* NGX_OK, NGX_ERROR,
                                                       NGX_DECLINED: not
                                                       ours, NGX_AGAIN: no
                                                       file, a snapshot */
    const char                         *failed;     /* the call */
    ngx_err_t                           err;
} ngx_http_secauth_shm_write_t;


/* ngx_http_secauth_shm_state.c */

/* with the zone locked: the journal's hooks */
void ngx_http_secauth_shm_state_dirty(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);
void ngx_http_secauth_shm_state_deleted(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);
void ngx_http_secauth_shm_state_freed(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);
/* before unlocking: the dirty records into the journal */
void ngx_http_secauth_shm_state_commit(ngx_http_secauth_shm_t *shm);

/* a new zone's state: the journal allocated, a generation drawn */
ngx_int_t ngx_http_secauth_shm_state_init(ngx_http_secauth_shm_t *shm);
/*
 * locked: what to write next, out of the zone, into w (NGX_DECLINED:
 * nothing); exiting: at exit, by the master
 */
ngx_int_t ngx_http_secauth_shm_state_take(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_write_t *w, ngx_uint_t exiting);
/* locked: what another nginx appended (w->buf) replayed into the zone */
size_t ngx_http_secauth_shm_state_replay(ngx_http_secauth_shm_write_t *w);


/*
 * ngx_http_secauth_shm_exit.c: a cleanup of the cycle's pool; when the
 * master (or a single process) exits, what the file lacks, blocking
 */
void ngx_http_secauth_shm_state_exit(void *data);


/*
 * ngx_http_secauth_shm_file.c: the state file written, blocking (in the
 * thread pool, or at exit); the outcome in w->rc, w->failed, w->err
 */
void ngx_http_secauth_shm_file_write(ngx_http_secauth_shm_write_t *w);
/* catching up: reads what the other nginx appended (w->catchup) */
void ngx_http_secauth_shm_file_catchup(ngx_http_secauth_shm_write_t *w);


#endif /* _NGX_HTTP_SECAUTH_SHM_PRIVATE_H_INCLUDED_ */
