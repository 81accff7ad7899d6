
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_shm_private.h"


static ngx_http_secauth_shm_node_t *ngx_http_secauth_shm_fill_parent(
    ngx_http_secauth_shm_t *shm, ngx_http_secauth_shm_rec_t *rec);


/*
 * Filling a new zone: from the old zone of a resize or from the state
 * file, in master at configuration time, before any worker sees it. A
 * snapshot lists records most recently used first (a parent before its
 * children): each goes to the LRU tail, with no eviction, so what fits
 * is the most recently used.
 */

void
ngx_http_secauth_shm_fill(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_rec_t *rec, ngx_http_secauth_shm_fill_t *fill)
{
    size_t                        size;
    uint32_t                      hash;
    ngx_http_secauth_shm_node_t  *n, *parent;

    if (rec->expire && rec->expire <= ngx_time() && !rec->is_parent) {
        fill->expired++;
        return;
    }

    parent = NULL;

    if (rec->parent_kind) {
        parent = ngx_http_secauth_shm_fill_parent(shm, rec);
        if (parent == NULL
            || parent->nchildren >= NGX_HTTP_SECAUTH_SHM_CHILDREN_MAX)
        {
            fill->orphans++;
            return;
        }
    }

    hash = ngx_http_secauth_shm_hash(rec->kind, rec->key, rec->len);

    if (rec->kind == 0 || rec->kind > 255 || rec->len > 65535
        || (uint64_t) rec->value_len > 0xffffffff
        || ngx_http_secauth_shm_find(shm, hash, rec->kind, rec->key,
                                     rec->len))
    {
        fill->orphans++;
        return;
    }

    size = sizeof(ngx_http_secauth_shm_node_t)
           + ngx_align(rec->len, NGX_ALIGNMENT) + rec->value_len;

    n = ngx_slab_alloc_locked(shm->shpool, size);
    if (n == NULL) {
        fill->full++;
        return;
    }

    ngx_memzero(n, sizeof(ngx_http_secauth_shm_node_t));

    n->node.key = hash;
    n->kind = (u_char) rec->kind;
    n->key_len = (uint16_t) rec->len;
    n->value_size = (uint32_t) rec->value_len;
    n->value_len = (uint32_t) rec->value_len;
    n->expire = rec->expire;
    ngx_queue_init(&n->children);

    ngx_memcpy(ngx_http_secauth_shm_key(n), rec->key, rec->len);

    if (rec->value_len) {
        ngx_memcpy(ngx_http_secauth_shm_value(n), rec->value,
                   rec->value_len);
    }

    ngx_rbtree_insert(&shm->sh->rbtree, &n->node);
    ngx_queue_insert_tail(&shm->sh->lru, &n->lru);

    if (parent) {
        ngx_http_secauth_shm_link(parent, n);
    }

    fill->loaded++;
}


/* a change after the snapshot: as it was made (a set may evict) */

void
ngx_http_secauth_shm_replay(ngx_http_secauth_shm_t *shm, ngx_uint_t put,
    ngx_http_secauth_shm_rec_t *rec, ngx_http_secauth_shm_fill_t *fill)
{
    uint32_t                      hash;
    ngx_http_secauth_shm_node_t  *n, *parent;

    hash = ngx_http_secauth_shm_hash(rec->kind, rec->key, rec->len);
    n = ngx_http_secauth_shm_find(shm, hash, rec->kind, rec->key, rec->len);

    if (!put
        || (rec->expire && rec->expire <= ngx_time() && !rec->is_parent))
    {
        if (n) {
            (void) ngx_http_secauth_shm_delete(shm, n);
        }

        return;
    }

    parent = NULL;

    if (rec->parent_kind) {
        parent = ngx_http_secauth_shm_fill_parent(shm, rec);

        if (parent == NULL || (n && (n == parent || n->nchildren))) {
            if (n) {
                (void) ngx_http_secauth_shm_delete(shm, n);
            }

            fill->orphans++;
            return;
        }
    }

    if (ngx_http_secauth_shm_set(shm, rec->kind, rec->key, rec->len,
                                 rec->value, rec->value_len, rec->expire,
                                 parent)
        == NULL)
    {
        fill->full++;
        return;
    }

    fill->loaded++;
}


void
ngx_http_secauth_shm_fill_done(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_fill_t *fill)
{
    time_t                        now;
    ngx_queue_t                  *q, *next;
    ngx_http_secauth_shm_node_t  *n;

    now = ngx_time();

    /* from the tail: children before their parent */

    for (q = ngx_queue_last(&shm->sh->lru);
         q != ngx_queue_sentinel(&shm->sh->lru);
         q = next)
    {
        next = ngx_queue_prev(q);
        n = ngx_queue_data(q, ngx_http_secauth_shm_node_t, lru);

        if (ngx_http_secauth_shm_expired(n, now)) {
            ngx_http_secauth_shm_free(shm, n);
            fill->expired++;
        }
    }

    shm->log_evicted = 0;
    shm->log_failed = 0;
    shm->log_invalid = 0;
}


static ngx_http_secauth_shm_node_t *
ngx_http_secauth_shm_fill_parent(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_rec_t *rec)
{
    uint32_t                      hash;
    ngx_http_secauth_shm_node_t  *parent;

    hash = ngx_http_secauth_shm_hash(rec->parent_kind, rec->parent_key,
                                     rec->parent_len);

    parent = ngx_http_secauth_shm_find(shm, hash, rec->parent_kind,
                                       rec->parent_key, rec->parent_len);

    if (parent == NULL || parent->parent || parent->kind == rec->kind) {
        return NULL;
    }

    return parent;
}
