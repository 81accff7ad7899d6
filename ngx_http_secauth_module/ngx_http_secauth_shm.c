
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_shm_private.h"


/*
 * The shm engine (ngx_http_secauth_shm.h): in each zone a red-black tree
 * of records in a slab pool, with their LRU queue and their parents. It
 * knows records, not what they mean: the store on top of it
 * (ngx_http_secauth_store_shm*.c) gives each kind its value. The zones
 * themselves are ngx_http_secauth_shm_zone.c's; each change of a record
 * is told to the state file's journal (ngx_http_secauth_shm_state.c).
 */


/* records evicted at most to make room for one */
#define NGX_HTTP_SECAUTH_SHM_EVICT_MAX      64

/* expired records reclaimed at most from the LRU tail before an insert */
#define NGX_HTTP_SECAUTH_SHM_RECLAIM_MAX    2

/* seconds between two "zone is full" log lines of a zone */
#define NGX_HTTP_SECAUTH_SHM_LOG_INTERVAL   60


static void ngx_http_secauth_shm_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_int_t ngx_http_secauth_shm_cmp(ngx_uint_t kind, u_char *key,
    size_t len, ngx_http_secauth_shm_node_t *n);
static void ngx_http_secauth_shm_used(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n);
static void ngx_http_secauth_shm_unlink(ngx_http_secauth_shm_node_t *n);
static ngx_uint_t ngx_http_secauth_shm_protected(
    ngx_http_secauth_shm_node_t *n, ngx_http_secauth_shm_node_t **protect);
static void ngx_http_secauth_shm_reclaim(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t **protect);
static ngx_int_t ngx_http_secauth_shm_evict(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t **protect);
static void *ngx_http_secauth_shm_alloc(ngx_http_secauth_shm_t *shm,
    size_t size, ngx_http_secauth_shm_node_t **protect);


ngx_int_t
ngx_http_secauth_shm_create(ngx_http_secauth_shm_t *shm)
{
    size_t                      len;
    ngx_str_t                  *name;
    ngx_http_secauth_shm_sh_t  *sh;

    sh = ngx_slab_calloc(shm->shpool, sizeof(ngx_http_secauth_shm_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    shm->sh = sh;
    shm->shpool->data = sh;

    ngx_rbtree_init(&sh->rbtree, &sh->sentinel,
                    ngx_http_secauth_shm_rbtree_insert_value);

    ngx_queue_init(&sh->lru);

    sh->version = NGX_HTTP_SECAUTH_SHM_VERSION;

    name = &shm->zone->shm.name;
    len = sizeof(" in secauth zone \"\"") + name->len;

    shm->shpool->log_ctx = ngx_slab_alloc(shm->shpool, len);
    if (shm->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shm->shpool->log_ctx, " in secauth zone \"%V\"%Z", name);

    /* failures are handled (evict, then log once in a while) by us */
    shm->shpool->log_nomem = 0;

    return NGX_OK;
}


void
ngx_http_secauth_shm_lock(ngx_http_secauth_shm_t *shm)
{
    ngx_shmtx_lock(&shm->shpool->mutex);
}


void
ngx_http_secauth_shm_unlock(ngx_http_secauth_shm_t *shm)
{
    ngx_uint_t  evicted, failed, invalid;

    if (shm->state) {
        ngx_http_secauth_shm_state_commit(shm);
    }

    evicted = shm->log_evicted;
    failed = shm->log_failed;
    invalid = shm->log_invalid;

    shm->log_evicted = 0;
    shm->log_failed = 0;
    shm->log_invalid = 0;

    ngx_shmtx_unlock(&shm->shpool->mutex);

    if (evicted) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "secauth: zone \"%V\" is full, least recently used "
                      "sessions and records are evicted "
                      "(%ui so far); consider a larger zone",
                      &shm->zone->shm.name, evicted);
    }

    if (failed) {
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, 0,
                      "secauth: could not allocate a record in zone \"%V\" "
                      "even after evicting (%ui failures so far)",
                      &shm->zone->shm.name, failed);
    }

    if (invalid) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "secauth: invalid record for zone \"%V\"",
                      &shm->zone->shm.name);
    }
}


ngx_http_secauth_shm_node_t *
ngx_http_secauth_shm_lookup(ngx_http_secauth_shm_t *shm, ngx_uint_t kind,
    u_char *key, size_t len)
{
    uint32_t                      hash;
    ngx_http_secauth_shm_node_t  *n;

    hash = ngx_http_secauth_shm_hash(kind, key, len);

    n = ngx_http_secauth_shm_find(shm, hash, kind, key, len);
    if (n == NULL) {
        return NULL;
    }

    if (ngx_http_secauth_shm_expired(n, ngx_time())) {
        ngx_http_secauth_shm_delete(shm, n);
        return NULL;
    }

    ngx_http_secauth_shm_used(shm, n);

    return n;
}


ngx_http_secauth_shm_node_t *
ngx_http_secauth_shm_set(ngx_http_secauth_shm_t *shm, ngx_uint_t kind,
    u_char *key, size_t len, u_char *value, size_t value_len, time_t expire,
    ngx_http_secauth_shm_node_t *parent)
{
    size_t                        size;
    uint32_t                      hash;
    ngx_queue_t                  *q;
    ngx_http_secauth_shm_node_t  *n, *old, *c, *protect[3];

    if (kind > 255 || len > 65535 || (uint64_t) value_len > 0xffffffff
        || (parent && parent->parent))
    {
        shm->log_invalid = 1;
        return NULL;
    }

    hash = ngx_http_secauth_shm_hash(kind, key, len);

    old = ngx_http_secauth_shm_find(shm, hash, kind, key, len);

    if (old && parent && (old == parent || old->nchildren)) {
        shm->log_invalid = 1;
        return NULL;
    }

    if (old && value_len <= old->value_size) {
        n = old;

    } else {
        protect[0] = old;
        protect[1] = parent;
        protect[2] = old ? old->parent : NULL;

        size = sizeof(ngx_http_secauth_shm_node_t)
               + ngx_align(len, NGX_ALIGNMENT) + value_len;

        n = ngx_http_secauth_shm_alloc(shm, size, protect);
        if (n == NULL) {
            return NULL;
        }

        ngx_memzero(n, sizeof(ngx_http_secauth_shm_node_t));

        n->node.key = hash;
        n->kind = (u_char) kind;
        n->key_len = (uint16_t) len;
        n->value_size = (uint32_t) value_len;
        ngx_queue_init(&n->children);

        ngx_memcpy(ngx_http_secauth_shm_key(n), key, len);

        if (old) {
            /* the new node takes the old one's place among its relatives */

            if (old->nchildren) {
                n->children = old->children;
                n->children.next->prev = &n->children;
                n->children.prev->next = &n->children;
                n->nchildren = old->nchildren;

                for (q = ngx_queue_head(&n->children);
                     q != ngx_queue_sentinel(&n->children);
                     q = ngx_queue_next(q))
                {
                    c = ngx_queue_data(q, ngx_http_secauth_shm_node_t,
                                       sibling);
                    c->parent = n;
                }

                ngx_queue_init(&old->children);
                old->nchildren = 0;
            }

            if (old->parent) {
                ngx_queue_insert_after(&old->sibling, &n->sibling);
                n->parent = old->parent;
                n->parent->nchildren++;
            }

            ngx_http_secauth_shm_free(shm, old);
        }

        ngx_rbtree_insert(&shm->sh->rbtree, &n->node);
        ngx_queue_insert_head(&shm->sh->lru, &n->lru);
    }

    n->expire = expire;
    n->value_len = (uint32_t) value_len;

    if (value && value_len) {
        ngx_memcpy(ngx_http_secauth_shm_value(n), value, value_len);
    }

    if (n->parent != parent) {

        if (n->parent) {
            ngx_http_secauth_shm_unlink(n);
        }

        if (parent) {
            if (parent->nchildren >= NGX_HTTP_SECAUTH_SHM_CHILDREN_MAX) {
                q = ngx_queue_head(&parent->children);
                c = ngx_queue_data(q, ngx_http_secauth_shm_node_t, sibling);

                if (shm->state) {
                    ngx_http_secauth_shm_state_deleted(shm, c);
                }

                ngx_http_secauth_shm_free(shm, c);
            }

            ngx_http_secauth_shm_link(parent, n);
        }
    }

    ngx_http_secauth_shm_used(shm, n);

    if (shm->state) {
        ngx_http_secauth_shm_state_dirty(shm, n);
    }

    return n;
}


ngx_uint_t
ngx_http_secauth_shm_delete(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    time_t                        now;
    ngx_uint_t                    live;
    ngx_queue_t                  *q;
    ngx_http_secauth_shm_node_t  *c;

    now = ngx_time();
    live = 0;

    if (shm->state) {
        ngx_http_secauth_shm_state_deleted(shm, n);
    }

    while (!ngx_queue_empty(&n->children)) {
        q = ngx_queue_head(&n->children);
        c = ngx_queue_data(q, ngx_http_secauth_shm_node_t, sibling);

        if (!ngx_http_secauth_shm_expired(c, now)) {
            live++;
        }

        ngx_http_secauth_shm_free(shm, c);
    }

    ngx_http_secauth_shm_free(shm, n);

    return live;
}


void
ngx_http_secauth_shm_set_expire(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n, time_t expire)
{
    n->expire = expire;

    if (shm->state) {
        ngx_http_secauth_shm_state_dirty(shm, n);
    }
}


void
ngx_http_secauth_shm_changed(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    if (shm->state) {
        ngx_http_secauth_shm_state_dirty(shm, n);
    }
}


static void
ngx_http_secauth_shm_rbtree_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t            **p;
    ngx_http_secauth_shm_node_t   *n, *t;

    n = (ngx_http_secauth_shm_node_t *) node;

    for ( ;; ) {

        if (node->key < temp->key) {

            p = &temp->left;

        } else if (node->key > temp->key) {

            p = &temp->right;

        } else { /* node->key == temp->key */

            t = (ngx_http_secauth_shm_node_t *) temp;

            p = (ngx_http_secauth_shm_cmp(n->kind, ngx_http_secauth_shm_key(n),
                                          n->key_len, t)
                 < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/*
 * The tree is ordered by (hash, kind, key), so keys chosen to collide
 * (user names, addresses) cost a deeper search, never a linear one.
 */

uint32_t
ngx_http_secauth_shm_hash(ngx_uint_t kind, u_char *key, size_t len)
{
    /* murmur takes 4 bytes a step, crc32 one (a third of a session check) */

    return ngx_murmur_hash2(key, len) ^ ((uint32_t) kind * 0x9e3779b1);
}


static ngx_int_t
ngx_http_secauth_shm_cmp(ngx_uint_t kind, u_char *key, size_t len,
    ngx_http_secauth_shm_node_t *n)
{
    if (kind != n->kind) {
        return (kind < n->kind) ? -1 : 1;
    }

    return ngx_memn2cmp(key, ngx_http_secauth_shm_key(n), len, n->key_len);
}


ngx_http_secauth_shm_node_t *
ngx_http_secauth_shm_find(ngx_http_secauth_shm_t *shm, uint32_t hash,
    ngx_uint_t kind, u_char *key, size_t len)
{
    ngx_int_t                     rc;
    ngx_rbtree_node_t            *node, *sentinel;
    ngx_http_secauth_shm_node_t  *n;

    node = shm->sh->rbtree.root;
    sentinel = shm->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        /* hash == node->key */

        n = (ngx_http_secauth_shm_node_t *) node;

        rc = ngx_http_secauth_shm_cmp(kind, key, len, n);

        if (rc == 0) {
            return n;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* a parent stays while it has children, whatever its expiry */

ngx_uint_t
ngx_http_secauth_shm_expired(ngx_http_secauth_shm_node_t *n, time_t now)
{
    return n->expire != 0 && n->expire <= now && n->nchildren == 0;
}


/* the parent after the child: a parent is never older than its children */

static void
ngx_http_secauth_shm_used(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    ngx_queue_remove(&n->lru);
    ngx_queue_insert_head(&shm->sh->lru, &n->lru);

    if (n->parent) {
        ngx_queue_remove(&n->parent->lru);
        ngx_queue_insert_head(&shm->sh->lru, &n->parent->lru);
    }
}


void
ngx_http_secauth_shm_link(ngx_http_secauth_shm_node_t *parent,
    ngx_http_secauth_shm_node_t *n)
{
    ngx_queue_insert_tail(&parent->children, &n->sibling);
    parent->nchildren++;
    n->parent = parent;
}


static void
ngx_http_secauth_shm_unlink(ngx_http_secauth_shm_node_t *n)
{
    ngx_queue_remove(&n->sibling);
    n->parent->nchildren--;
    n->parent = NULL;
}


/* a node without children */

void
ngx_http_secauth_shm_free(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t *n)
{
    if (n->parent) {
        ngx_http_secauth_shm_unlink(n);
    }

    if (shm->state) {
        ngx_http_secauth_shm_state_freed(shm, n);
    }

    ngx_queue_remove(&n->lru);
    ngx_rbtree_delete(&shm->sh->rbtree, &n->node);
    ngx_slab_free_locked(shm->shpool, n);
}


static ngx_uint_t
ngx_http_secauth_shm_protected(ngx_http_secauth_shm_node_t *n,
    ngx_http_secauth_shm_node_t **protect)
{
    return n == protect[0] || n == protect[1] || n == protect[2];
}


/* a few expired records from the LRU tail, like limit_req's expire */

static void
ngx_http_secauth_shm_reclaim(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t **protect)
{
    time_t                        now;
    ngx_uint_t                    i;
    ngx_queue_t                  *q;
    ngx_http_secauth_shm_node_t  *n;

    now = ngx_time();

    for (i = 0; i < NGX_HTTP_SECAUTH_SHM_RECLAIM_MAX; i++) {

        if (ngx_queue_empty(&shm->sh->lru)) {
            return;
        }

        q = ngx_queue_last(&shm->sh->lru);
        n = ngx_queue_data(q, ngx_http_secauth_shm_node_t, lru);

        if (ngx_http_secauth_shm_protected(n, protect)
            || !ngx_http_secauth_shm_expired(n, now))
        {
            return;
        }

        /* expired: it has no children */
        ngx_http_secauth_shm_free(shm, n);
    }
}


/*
 * Evicts the least recently used record (and its children) but those the
 * caller holds: at most three, so the walk is short.
 */

static ngx_int_t
ngx_http_secauth_shm_evict(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_node_t **protect)
{
    time_t                        now;
    ngx_queue_t                  *q;
    ngx_http_secauth_shm_sh_t    *sh;
    ngx_http_secauth_shm_node_t  *n;

    sh = shm->sh;

    q = ngx_queue_last(&sh->lru);

    for ( ;; ) {

        if (q == ngx_queue_sentinel(&sh->lru)) {
            return NGX_DECLINED;
        }

        n = ngx_queue_data(q, ngx_http_secauth_shm_node_t, lru);

        if (!ngx_http_secauth_shm_protected(n, protect)) {
            break;
        }

        q = ngx_queue_prev(q);
    }

    ngx_http_secauth_shm_delete(shm, n);

    sh->evicted++;

    now = ngx_time();

    if (now - sh->evict_logged >= NGX_HTTP_SECAUTH_SHM_LOG_INTERVAL) {
        sh->evict_logged = now;
        shm->log_evicted = sh->evicted;
    }

    return NGX_OK;
}


static void *
ngx_http_secauth_shm_alloc(ngx_http_secauth_shm_t *shm, size_t size,
    ngx_http_secauth_shm_node_t **protect)
{
    void                       *p;
    time_t                      now;
    ngx_uint_t                  i;
    ngx_slab_pool_t            *shpool;
    ngx_http_secauth_shm_sh_t  *sh;

    sh = shm->sh;
    shpool = shm->shpool;

    ngx_http_secauth_shm_reclaim(shm, protect);

    /* emptying the zone would not make room for more than half of it */

    if (size <= (size_t) (shpool->end - shpool->start) / 2) {

        for (i = 0; /* void */ ; i++) {

            p = ngx_slab_alloc_locked(shpool, size);
            if (p == NULL) {
                if (i < NGX_HTTP_SECAUTH_SHM_EVICT_MAX
                    && ngx_http_secauth_shm_evict(shm, protect) == NGX_OK)
                {
                    continue;
                }

                break;
            }

            return p;
        }
    }

    sh->failed++;

    now = ngx_time();

    if (now - sh->fail_logged >= NGX_HTTP_SECAUTH_SHM_LOG_INTERVAL) {
        sh->fail_logged = now;
        shm->log_failed = sh->failed;
    }

    return NULL;
}
