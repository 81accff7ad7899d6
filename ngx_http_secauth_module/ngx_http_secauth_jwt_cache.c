
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_jwt_private.h"


/*
 * Tokens that passed are remembered per worker, exact copies found by
 * their bytes, bound to the key that verified them and never past their
 * exp, so that a client repeating its token costs a lookup, not parsing
 * and a signature check. At most NGX_HTTP_SECAUTH_JWT_CACHE_MAX tokens,
 * the least recently used one is dropped first.
 */


#define NGX_HTTP_SECAUTH_JWT_CACHE_TAIL  32


struct ngx_http_secauth_jwt_cache_s {
    ngx_rbtree_t                tree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 lru;
    ngx_uint_t                  count;
};


static uint32_t ngx_http_secauth_jwt_cache_key(ngx_str_t *token);
static ngx_http_secauth_jwt_cached_t *ngx_http_secauth_jwt_cache_find(
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel,
    ngx_rbtree_key_t key, ngx_str_t *token, ngx_array_t *keys,
    ngx_array_t *fetched);
static ngx_flag_t ngx_http_secauth_jwt_cache_of(
    ngx_http_secauth_jws_key_t *key, ngx_array_t *keys);
static void ngx_http_secauth_jwt_cache_remove(
    ngx_http_secauth_jwt_cache_t *cache, ngx_http_secauth_jwt_cached_t *e);
static void ngx_http_secauth_jwt_cache_cleanup(void *data);


/* the per-worker cache of verified tokens */

ngx_http_secauth_jwt_cache_t *
ngx_http_secauth_jwt_cache(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_secauth_jwt_cache_t  *cache;
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->jwt_cache) {
        return smcf->jwt_cache;
    }

    cache = ngx_pcalloc(ngx_cycle->pool, sizeof(ngx_http_secauth_jwt_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    /* the entries are on the heap: freed with the cycle's pool at exit */

    cln = ngx_pool_cleanup_add(ngx_cycle->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ngx_rbtree_init(&cache->tree, &cache->sentinel,
                    ngx_rbtree_insert_value);
    ngx_queue_init(&cache->lru);

    cln->handler = ngx_http_secauth_jwt_cache_cleanup;
    cln->data = cache;

    smcf->jwt_cache = cache;

    return cache;
}


static uint32_t
ngx_http_secauth_jwt_cache_key(ngx_str_t *token)
{
    size_t  n;

    n = ngx_min(token->len, NGX_HTTP_SECAUTH_JWT_CACHE_TAIL);

    return ngx_murmur_hash2(token->data + token->len - n, n);
}


ngx_http_secauth_jwt_cached_t *
ngx_http_secauth_jwt_cache_get(ngx_http_secauth_jwt_cache_t *cache,
    ngx_str_t *token, ngx_array_t *keys, ngx_array_t *fetched)
{
    ngx_http_secauth_jwt_cached_t  *e;

    if (keys == NULL && fetched == NULL) {
        return NULL;
    }

    e = ngx_http_secauth_jwt_cache_find(cache->tree.root,
                                        cache->tree.sentinel,
                                        ngx_http_secauth_jwt_cache_key(token),
                                        token, keys, fetched);
    if (e == NULL) {
        return NULL;
    }

    if (ngx_time() >= e->times.exp) {
        ngx_http_secauth_jwt_cache_remove(cache, e);
        return NULL;
    }

    ngx_queue_remove(&e->lru);
    ngx_queue_insert_head(&cache->lru, &e->lru);

    return e;
}


/*
 * An entry of exactly these bytes, verified by a key of this location.
 * Entries of equal hashes (the same token verified in locations with keys
 * of their own, or a collision) may sit on either side of each other once
 * the tree rebalances: both sides are searched.
 */

static ngx_http_secauth_jwt_cached_t *
ngx_http_secauth_jwt_cache_find(ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel, ngx_rbtree_key_t key, ngx_str_t *token,
    ngx_array_t *keys, ngx_array_t *fetched)
{
    ngx_http_secauth_jwt_cached_t  *e;

    while (node != sentinel && key != node->key) {
        node = (key < node->key) ? node->left : node->right;
    }

    if (node == sentinel) {
        return NULL;
    }

    e = (ngx_http_secauth_jwt_cached_t *) node;

    if (e->len == token->len
        && ngx_memcmp(e->token, token->data, token->len) == 0
        && (ngx_http_secauth_jwt_cache_of(e->key, keys)
            || ngx_http_secauth_jwt_cache_of(e->key, fetched)))
    {
        return e;
    }

    e = ngx_http_secauth_jwt_cache_find(node->left, sentinel, key, token,
                                        keys, fetched);
    if (e) {
        return e;
    }

    return ngx_http_secauth_jwt_cache_find(node->right, sentinel, key, token,
                                           keys, fetched);
}


static ngx_flag_t
ngx_http_secauth_jwt_cache_of(ngx_http_secauth_jws_key_t *key,
    ngx_array_t *keys)
{
    ngx_http_secauth_jws_key_t  *k;

    if (keys == NULL) {
        return 0;
    }

    k = keys->elts;

    return key >= k && key < k + keys->nelts;
}


void
ngx_http_secauth_jwt_cache_put(ngx_http_secauth_jwt_cache_t *cache,
    ngx_str_t *token, ngx_http_secauth_jwt_times_t *t, json_t *claims,
    void *checked, ngx_http_secauth_jws_key_t *key, ngx_log_t *log)
{
    ngx_queue_t                    *q;
    ngx_http_secauth_jwt_cached_t  *e;

    if (t->exp <= ngx_time()) {
        return;
    }

    if (cache->count >= NGX_HTTP_SECAUTH_JWT_CACHE_MAX) {
        q = ngx_queue_last(&cache->lru);
        e = ngx_queue_data(q, ngx_http_secauth_jwt_cached_t, lru);
        ngx_http_secauth_jwt_cache_remove(cache, e);
    }

    e = ngx_alloc(offsetof(ngx_http_secauth_jwt_cached_t, token) + token->len,
                  log);
    if (e == NULL) {
        return;
    }

    e->node.key = ngx_http_secauth_jwt_cache_key(token);
    e->times = *t;
    e->claims = json_incref(claims);
    e->checked = checked;
    e->key = key;
    e->len = token->len;
    ngx_memcpy(e->token, token->data, token->len);

    ngx_rbtree_insert(&cache->tree, &e->node);
    ngx_queue_insert_head(&cache->lru, &e->lru);
    cache->count++;
}


static void
ngx_http_secauth_jwt_cache_remove(ngx_http_secauth_jwt_cache_t *cache,
    ngx_http_secauth_jwt_cached_t *e)
{
    ngx_rbtree_delete(&cache->tree, &e->node);
    ngx_queue_remove(&e->lru);
    json_decref(e->claims);
    ngx_explicit_memzero(e->token, e->len);
    ngx_free(e);
    cache->count--;
}


static void
ngx_http_secauth_jwt_cache_cleanup(void *data)
{
    ngx_http_secauth_jwt_cache_flush(data);
}


void
ngx_http_secauth_jwt_cache_flush(ngx_http_secauth_jwt_cache_t *cache)
{
    ngx_queue_t                    *q;
    ngx_http_secauth_jwt_cached_t  *e;

    while (!ngx_queue_empty(&cache->lru)) {
        q = ngx_queue_head(&cache->lru);
        e = ngx_queue_data(q, ngx_http_secauth_jwt_cached_t, lru);
        ngx_http_secauth_jwt_cache_remove(cache, e);
    }
}
