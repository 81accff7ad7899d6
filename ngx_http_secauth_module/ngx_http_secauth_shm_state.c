
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_secauth_shm_private.h"
#include "ngx_http_secauth_state.h"


/*
 * A zone's state file (state=), written without a worker ever waiting for
 * the disk:
 *
 *   - every change of a record (set, set_expire, a value changed in place,
 *     delete) goes, with the zone locked, into a bounded journal in the
 *     zone: a memcpy of the record as the file has it;
 *   - every sync, one process at a time (a flag in the zone) takes the
 *     journal out and appends it to the file from nginx's thread pool,
 *     with fdatasync; a journal that overflowed, a file that grew past
 *     the zone's size or a file not yet ours is rewritten whole instead:
 *     a snapshot, to PATH.tmp, fsync, rename, fsync of the directory;
 *   - when nginx exits, the master writes what the file lacks (blocking:
 *     no worker is left; ngx_http_secauth_shm_exit.c).
 *
 * Each zone instance has a random generation, in the file's header. The
 * new nginx of a binary upgrade loads the file and, on its first flush,
 * rewrites it with its own generation: from then on the old nginx sees a
 * foreign file and stops writing it (its exit does not overwrite it).
 * Writers (and the loader) take flock() on PATH.lock.
 */


/* journal bytes in the zone: a 16th of it, at least 8k, at most 4m */
#define NGX_HTTP_SECAUTH_STATE_JOURNAL_MIN   (8 * 1024)
#define NGX_HTTP_SECAUTH_STATE_JOURNAL_MAX   (4 * 1024 * 1024)

/* snapshot block payloads at most */
#define NGX_HTTP_SECAUTH_STATE_CHUNK         (1024 * 1024)

/* a flush not done after this long was a process that died */
#define NGX_HTTP_SECAUTH_STATE_STALE         60

/* seconds at most of catching up with the nginx before this one */
#define NGX_HTTP_SECAUTH_STATE_CATCHUP       600




static void ngx_http_secauth_shm_state_append(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_state_record_t *rec, ngx_http_secauth_shm_node_t *n);
static void ngx_http_secauth_shm_state_record(
    ngx_http_secauth_shm_node_t *n, ngx_http_secauth_state_record_t *rec);
static void ngx_http_secauth_shm_state_arm(ngx_http_secauth_shm_t *shm);
static void ngx_http_secauth_shm_state_flush(ngx_event_t *ev);
static ngx_uint_t ngx_http_secauth_shm_state_trylock(
    ngx_http_secauth_shm_t *shm);
static void ngx_http_secauth_shm_state_caught_up(
    ngx_http_secauth_shm_write_t *w);

static u_char *ngx_http_secauth_shm_state_snapshot(
    ngx_http_secauth_shm_t *shm, size_t *len, ngx_uint_t *records);
#if (NGX_THREADS)
static void ngx_http_secauth_shm_state_thread(void *data, ngx_log_t *log);
static void ngx_http_secauth_shm_state_written(ngx_event_t *ev);
static void ngx_http_secauth_shm_state_cleanup(void *data);
#endif
static void ngx_http_secauth_shm_state_done(ngx_http_secauth_shm_write_t *w);


ngx_int_t
ngx_http_secauth_shm_state_init(ngx_http_secauth_shm_t *shm)
{
    size_t                            size;
    ngx_http_secauth_shm_state_sh_t  *st;

    st = &shm->sh->state;

    size = shm->zone->shm.size / 16;
    size = ngx_max(size, NGX_HTTP_SECAUTH_STATE_JOURNAL_MIN);
    size = ngx_min(size, NGX_HTTP_SECAUTH_STATE_JOURNAL_MAX);

    st->journal = ngx_slab_alloc_locked(shm->shpool, size);
    if (st->journal == NULL) {
        ngx_log_error(NGX_LOG_EMERG, shm->zone->shm.log, 0,
                      "secauth: zone \"%V\" has no room for the journal "
                      "of its state file (%uz bytes)",
                      &shm->zone->shm.name, size);
        return NGX_ERROR;
    }

    st->journal_size = size;
    st->journal_len = 0;
    st->last = NULL;
    st->generation = ((uint64_t) ngx_random() << 32)
                     ^ (uint64_t) ngx_random()
                     ^ ((uint64_t) ngx_pid << 16) ^ (uint64_t) ngx_time();
    st->snapshot = 1;
    st->claim = 1;

    return NGX_OK;
}


void
ngx_http_secauth_shm_state_dirty(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    ngx_uint_t  i;

    for (i = 0; i < shm->ndirty; i++) {
        if (shm->dirty[i] == n) {
            return;
        }
    }

    if (shm->ndirty == NGX_HTTP_SECAUTH_SHM_DIRTY_MAX) {
        shm->sh->state.snapshot = 1;
        shm->sh->state.changed = 1;
        return;
    }

    shm->dirty[shm->ndirty++] = n;
}


void
ngx_http_secauth_shm_state_freed(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    ngx_uint_t  i;

    if (shm->sh->state.last == n) {
        shm->sh->state.last = NULL;
    }

    for (i = 0; i < shm->ndirty; i++) {
        if (shm->dirty[i] == n) {
            shm->dirty[i] = shm->dirty[--shm->ndirty];
            return;
        }
    }
}


/* a delete at once (its key is gone after it); its children go with it */

void
ngx_http_secauth_shm_state_deleted(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    ngx_http_secauth_state_record_t  rec;

    ngx_memzero(&rec, sizeof(ngx_http_secauth_state_record_t));

    rec.op = NGX_HTTP_SECAUTH_STATE_DEL;
    rec.kind = n->kind;
    rec.key = ngx_http_secauth_shm_key(n);
    rec.key_len = n->key_len;

    ngx_http_secauth_shm_state_append(shm, &rec, NULL);
}


/* parents first, so that a replayed child finds its parent */

void
ngx_http_secauth_shm_state_commit(ngx_http_secauth_shm_t *shm)
{
    ngx_uint_t                        i, pass;
    ngx_http_secauth_shm_node_t      *n;
    ngx_http_secauth_state_record_t   rec;

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < shm->ndirty; i++) {
            n = shm->dirty[i];

            if ((n->nchildren != 0) == pass) {
                continue;
            }

            ngx_http_secauth_shm_state_record(n, &rec);
            ngx_http_secauth_shm_state_append(shm, &rec, n);
        }
    }

    shm->ndirty = 0;

    if (shm->sh->state.journal_len || shm->sh->state.snapshot) {
        ngx_http_secauth_shm_state_arm(shm);
    }
}


static void
ngx_http_secauth_shm_state_record(ngx_http_secauth_shm_node_t *n,
    ngx_http_secauth_state_record_t *rec)
{
    ngx_memzero(rec, sizeof(ngx_http_secauth_state_record_t));

    rec->op = NGX_HTTP_SECAUTH_STATE_PUT;
    rec->kind = n->kind;
    rec->flags = n->nchildren ? NGX_HTTP_SECAUTH_STATE_FLAG_PARENT : 0;
    rec->key = ngx_http_secauth_shm_key(n);
    rec->key_len = n->key_len;
    rec->value = ngx_http_secauth_shm_value(n);
    rec->value_len = n->value_len;
    rec->expire = n->expire;

    if (n->parent) {
        rec->parent_kind = n->parent->kind;
        rec->parent_key = ngx_http_secauth_shm_key(n->parent);
        rec->parent_key_len = n->parent->key_len;
    }
}


/*
 * With a snapshot to come, or a file not ours, the journal is moot. A
 * record changed again right after its last entry (a hot rate-limit key)
 * replaces that entry: the journal holds states, not operations, so only
 * the last one of a run of changes matters.
 */

static void
ngx_http_secauth_shm_state_append(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_state_record_t *rec, ngx_http_secauth_shm_node_t *n)
{
    size_t                            size;
    ngx_http_secauth_shm_state_sh_t  *st;

    st = &shm->sh->state;
    st->changed = 1;

    if (st->snapshot || st->foreign || st->journal == NULL) {
        return;
    }

    size = ngx_http_secauth_state_record_size(rec);

    if (n && st->last == n && st->journal_len - st->last_off == size) {
        (void) ngx_http_secauth_state_record_write(st->journal
                                                   + st->last_off, rec);
        return;
    }

    if (size > st->journal_size - st->journal_len) {
        st->snapshot = 1;
        st->journal_len = 0;
        st->last = NULL;
        return;
    }

    (void) ngx_http_secauth_state_record_write(st->journal + st->journal_len,
                                               rec);
    st->last = n;
    st->last_off = st->journal_len;
    st->journal_len += size;
}


/* a worker's timer, armed by its first change since its last flush */

static void
ngx_http_secauth_shm_state_arm(ngx_http_secauth_shm_t *shm)
{
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return;
    }

    if (shm->flush.timer_set || ngx_exiting || shm->state == NULL) {
        return;
    }

    if (shm->flush.handler == NULL) {
        shm->flush.handler = ngx_http_secauth_shm_state_flush;
        shm->flush.data = shm;
        shm->flush.log = ngx_cycle->log;
        shm->flush.cancelable = 1;
    }

    ngx_add_timer(&shm->flush, shm->state->sync);
}


static void
ngx_http_secauth_shm_state_flush(ngx_event_t *ev)
{
    ngx_http_secauth_shm_t  *shm = ev->data;

    ngx_int_t                      rc;
    ngx_http_secauth_shm_write_t  *w;
#if (NGX_THREADS)
    ngx_thread_task_t             *task;
    ngx_pool_cleanup_t            *cln;
#endif

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (!ngx_http_secauth_shm_state_trylock(shm)) {
        ngx_http_secauth_shm_state_arm(shm);
        return;
    }

#if (NGX_THREADS)
    task = shm->task;

    if (task == NULL) {
        /* once per process and zone, freed with the cycle */

        task = ngx_thread_task_alloc(ngx_cycle->pool,
                                     sizeof(ngx_http_secauth_shm_write_t));
        if (task == NULL) {
            ngx_atomic_cmp_set(&shm->sh->state.flush_lock, ngx_pid, 0);
            return;
        }

        /*
         * a write under way when the worker exits is finished by its
         * thread (the pool is joined first), but its completion never
         * runs: the buffer goes with the cycle
         */

        cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
        if (cln == NULL) {
            ngx_atomic_cmp_set(&shm->sh->state.flush_lock, ngx_pid, 0);
            return;
        }

        cln->handler = ngx_http_secauth_shm_state_cleanup;
        cln->data = task->ctx;

        task->handler = ngx_http_secauth_shm_state_thread;
        task->event.handler = ngx_http_secauth_shm_state_written;
        task->event.data = task->ctx;
        shm->task = task;
    }

    if (task->event.active) {
        ngx_atomic_cmp_set(&shm->sh->state.flush_lock, ngx_pid, 0);
        return;
    }

    w = task->ctx;
#else
    w = ngx_calloc(sizeof(ngx_http_secauth_shm_write_t), ev->log);
    if (w == NULL) {
        ngx_atomic_cmp_set(&shm->sh->state.flush_lock, ngx_pid, 0);
        return;
    }
#endif

    ngx_memzero(w, sizeof(ngx_http_secauth_shm_write_t));
    w->shm = shm;
    w->conf = shm->state;

    ngx_shmtx_lock(&shm->shpool->mutex);
    rc = ngx_http_secauth_shm_state_take(shm, w, 0);
    ngx_shmtx_unlock(&shm->shpool->mutex);

    if (rc != NGX_OK) {
        ngx_atomic_cmp_set(&shm->sh->state.flush_lock, ngx_pid, 0);
#if !(NGX_THREADS)
        ngx_free(w);
#endif
        return;
    }

#if (NGX_THREADS)
    if (ngx_thread_task_post(w->conf->thread_pool, task) == NGX_OK) {
        return;
    }

    /* the pool is overloaded: no waiting here, a snapshot next time */

    w->rc = NGX_ERROR;
    w->failed = "ngx_thread_task_post()";
    w->err = 0;
#else
    /* no thread pools in this nginx: the write is done here, blocking */

    if (w->catchup) {
        ngx_http_secauth_shm_file_catchup(w);

    } else {
        ngx_http_secauth_shm_file_write(w);
    }
#endif

    ngx_http_secauth_shm_state_done(w);
}


static ngx_uint_t
ngx_http_secauth_shm_state_trylock(ngx_http_secauth_shm_t *shm)
{
    ngx_pid_t                         pid;
    ngx_http_secauth_shm_state_sh_t  *st;

    st = &shm->sh->state;
    pid = (ngx_pid_t) st->flush_lock;

    if (pid != 0
        && (kill(pid, 0) == 0 || ngx_errno != NGX_ESRCH)
        && ngx_time() - st->flush_since < NGX_HTTP_SECAUTH_STATE_STALE)
    {
        return 0;
    }

    if (!ngx_atomic_cmp_set(&st->flush_lock, (ngx_atomic_uint_t) pid,
                            (ngx_atomic_uint_t) ngx_pid))
    {
        return 0;
    }

    st->flush_since = ngx_time();

    return 1;
}


/*
 * Locked: what to write, out of the zone; NGX_DECLINED: nothing. At exit
 * a file never taken over is left as it is: it is still the one loaded
 * (nothing changed), or another nginx's (an upgrade rolled back).
 */

ngx_int_t
ngx_http_secauth_shm_state_take(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_write_t *w, ngx_uint_t exiting)
{
    ngx_http_secauth_shm_state_sh_t  *st;

    st = &shm->sh->state;

    if (st->foreign) {
        st->journal_len = 0;
        st->last = NULL;
        return NGX_DECLINED;
    }

    if (exiting && st->claim && (st->tail_gen || !st->changed)) {
        return NGX_DECLINED;
    }

    if (!exiting && st->claim && st->tail_gen) {
        w->catchup = 1;
        w->tail_gen = st->tail_gen;
        w->tail_off = st->tail_off;
        w->tail_ino = st->tail_ino;
        return NGX_OK;
    }

    w->generation = st->generation;
    w->claim = st->claim;

    if (st->snapshot || st->claim
        || (st->file_journal > shm->zone->shm.size && !exiting))
    {
        w->buf = ngx_http_secauth_shm_state_snapshot(shm, &w->len,
                                                     &w->records);
        if (w->buf == NULL) {
            return NGX_ERROR;
        }

        w->snapshot = 1;
        st->snapshot = 0;
        st->journal_len = 0;
        st->last = NULL;
        st->file_journal = 0;

        return NGX_OK;
    }

    if (st->journal_len == 0) {
        return NGX_DECLINED;
    }

    w->len = NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + st->journal_len;

    w->buf = ngx_alloc(w->len, ngx_cycle->log);
    if (w->buf == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(w->buf + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER, st->journal,
               st->journal_len);
    ngx_http_secauth_state_block_close(w->buf, w->buf + w->len,
                                       NGX_HTTP_SECAUTH_STATE_JOURNAL);

    st->file_journal += w->len;
    st->journal_len = 0;
    st->last = NULL;

    return NGX_OK;
}


/*
 * Locked: the whole zone as a file, most recently used first (a parent
 * before its children). Memory only: the disk comes after unlocking.
 */

static u_char *
ngx_http_secauth_shm_state_snapshot(ngx_http_secauth_shm_t *shm,
    size_t *len, ngx_uint_t *records)
{
    size_t                            size;
    u_char                           *buf, *p, *block;
    time_t                            now;
    ngx_uint_t                        n;
    ngx_queue_t                      *q;
    ngx_http_secauth_shm_node_t      *node;
    ngx_http_secauth_state_header_t   h;
    ngx_http_secauth_state_record_t   rec;

    now = ngx_time();
    size = NGX_HTTP_SECAUTH_STATE_HEADER_SIZE
           + 2 * NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + 8;

    for (q = ngx_queue_head(&shm->sh->lru);
         q != ngx_queue_sentinel(&shm->sh->lru);
         q = ngx_queue_next(q))
    {
        node = ngx_queue_data(q, ngx_http_secauth_shm_node_t, lru);
        ngx_http_secauth_shm_state_record(node, &rec);

        /* a block per record at worst */
        size += ngx_http_secauth_state_record_size(&rec)
                + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;
    }

    buf = ngx_alloc(size, ngx_cycle->log);
    if (buf == NULL) {
        return NULL;
    }

    h.format = NGX_HTTP_SECAUTH_STATE_FORMAT;
    h.records = NGX_HTTP_SECAUTH_SHM_RECORDS_VERSION;
    h.zone_size = shm->zone->shm.size;
    h.generation = shm->sh->state.generation;
    h.written = now;
    h.master = (uint32_t) ((ngx_process == NGX_PROCESS_WORKER)
                           ? ngx_parent : ngx_pid);

    ngx_http_secauth_state_header_write(buf, &h);

    p = buf + NGX_HTTP_SECAUTH_STATE_HEADER_SIZE;
    block = p;
    p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;
    n = 0;

    for (q = ngx_queue_head(&shm->sh->lru);
         q != ngx_queue_sentinel(&shm->sh->lru);
         q = ngx_queue_next(q))
    {
        node = ngx_queue_data(q, ngx_http_secauth_shm_node_t, lru);

        /* expired (a parent stays while it has children) */

        if (node->expire != 0 && node->expire <= now
            && node->nchildren == 0)
        {
            continue;
        }

        ngx_http_secauth_shm_state_record(node, &rec);

        if (p - block > NGX_HTTP_SECAUTH_STATE_CHUNK) {
            ngx_http_secauth_state_block_close(block, p,
                                            NGX_HTTP_SECAUTH_STATE_SNAPSHOT);
            block = p;
            p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;
        }

        p = ngx_http_secauth_state_record_write(p, &rec);
        n++;
    }

    ngx_http_secauth_state_block_close(block, p,
                                       NGX_HTTP_SECAUTH_STATE_SNAPSHOT);

    p = ngx_http_secauth_state_end_write(p, n);

    *len = p - buf;
    *records = n;

    return buf;
}


#if (NGX_THREADS)

static void
ngx_http_secauth_shm_state_thread(void *data, ngx_log_t *log)
{
    ngx_http_secauth_shm_write_t  *w = data;

    if (w->catchup) {
        ngx_http_secauth_shm_file_catchup(w);

    } else {
        ngx_http_secauth_shm_file_write(w);
    }
}


static void
ngx_http_secauth_shm_state_written(ngx_event_t *ev)
{
    ngx_http_secauth_shm_state_done(ev->data);
}


static void
ngx_http_secauth_shm_state_cleanup(void *data)
{
    ngx_http_secauth_shm_write_t  *w = data;

    if (w->buf) {
        ngx_free(w->buf);
        w->buf = NULL;
    }
}

#endif


/* back in the worker: the outcome into the zone, the flag released */

static void
ngx_http_secauth_shm_state_done(ngx_http_secauth_shm_write_t *w)
{
    ngx_uint_t                        more;
    ngx_http_secauth_shm_t           *shm;
    ngx_http_secauth_shm_state_sh_t  *st;

    shm = w->shm;
    st = &shm->sh->state;

    if (w->catchup) {
        ngx_http_secauth_shm_state_caught_up(w);
        return;
    }

    ngx_free(w->buf);
    w->buf = NULL;

    if (w->rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, w->err,
                      "secauth: zone \"%V\": writing state file \"%s\" "
                      "failed: %s; a snapshot is tried again next time",
                      &shm->zone->shm.name, w->conf->path.data, w->failed);
    }

    if (w->rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "secauth: zone \"%V\": state file \"%s\" was taken "
                      "over by another nginx (a binary upgrade): this one "
                      "no longer writes it", &shm->zone->shm.name,
                      w->conf->path.data);
    }

    ngx_shmtx_lock(&shm->shpool->mutex);

    switch (w->rc) {

    case NGX_OK:
        if (w->snapshot) {
            st->claim = 0;
        }

        break;

    case NGX_DECLINED:
        st->foreign = 1;
        st->journal_len = 0;
        st->last = NULL;
        break;

    default:
        st->snapshot = 1;
        st->journal_len = 0;
        st->last = NULL;
    }

    more = (st->journal_len || st->snapshot) && !st->foreign;

    ngx_shmtx_unlock(&shm->shpool->mutex);

    ngx_atomic_cmp_set(&st->flush_lock, ngx_pid, 0);

#if !(NGX_THREADS)
    ngx_free(w);
#endif

    if (more) {
        ngx_http_secauth_shm_state_arm(shm);
    }
}


/*
 * Back from reading what the other nginx appended: replayed into the
 * zone (as the load would have), then, once its master is gone, the
 * file is taken over by the next flush. Catching up ends after a while
 * anyway: its master's pid may have been taken by another process.
 */

static void
ngx_http_secauth_shm_state_caught_up(ngx_http_secauth_shm_write_t *w)
{
    size_t                              used;
    ngx_http_secauth_shm_t             *shm;
    ngx_http_secauth_shm_state_sh_t    *st;

    shm = w->shm;
    st = &shm->sh->state;

    ngx_shmtx_lock(&shm->shpool->mutex);

    used = ngx_http_secauth_shm_state_replay(w);

    if (w->rc != NGX_OK || used < w->len || !w->alive
        || ngx_time() - st->tail_since > NGX_HTTP_SECAUTH_STATE_CATCHUP)
    {
        st->tail_gen = 0;

    } else {
        st->tail_off += used;
    }

    ngx_shmtx_unlock(&shm->shpool->mutex);

    ngx_free(w->buf);
    w->buf = NULL;

    ngx_atomic_cmp_set(&st->flush_lock, ngx_pid, 0);

#if !(NGX_THREADS)
    ngx_free(w);
#endif

    /* the takeover, or the next look at the file */
    ngx_http_secauth_shm_state_arm(shm);
}


/* locked: the other nginx's changes read, into the zone */

size_t
ngx_http_secauth_shm_state_replay(ngx_http_secauth_shm_write_t *w)
{
    size_t                              used;
    ngx_http_secauth_shm_t             *shm;
    ngx_http_secauth_shm_state_conf_t  *conf;

    shm = w->shm;

    if (w->rc != NGX_OK || w->len == 0 || shm->replay == NULL) {
        return 0;
    }

    /* not journaled: the snapshot of the takeover holds it all */

    conf = shm->state;
    shm->state = NULL;

    used = ngx_http_secauth_state_parse_journal(w->buf, w->len, shm->replay,
                                                shm);

    shm->state = conf;
    shm->ndirty = 0;
    shm->sh->state.changed = 1;

    return used;
}
