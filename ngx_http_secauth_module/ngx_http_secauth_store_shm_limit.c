
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_shm.h"
#include "ngx_http_secauth_gcra.h"


/*
 * Rate limits and login attempts in shared memory (the store interface,
 * ngx_http_secauth_store.h): limit_take and login_attempt / reset /
 * release. Each limit zone and the throttle have a zone of their own, the
 * one the op carries (bucket->shm_zone, throttle->zone), so that a spray
 * of keys or made-up user names can only evict records of its kind, never
 * sessions; st is not used. The GCRA arithmetic is ngx_http_secauth_gcra.c;
 * the Redis implementation runs the same rules in its Lua scripts.
 */


/* a login throttle record: the count, and the lock the last one set */
typedef struct {
    uint64_t                     until;      /* ngx_current_msec */
    uint32_t                     attempts;
} ngx_http_secauth_attempts_t;


static ngx_int_t ngx_http_secauth_limit_take_bucket(
    ngx_http_secauth_bucket_t *b, uint64_t now, ngx_flag_t check);
static void ngx_http_secauth_limit_give_back(ngx_http_secauth_bucket_t *b);
static ngx_msec_t ngx_http_secauth_login_lock_shm(
    ngx_http_secauth_throttle_t *t, ngx_uint_t n);
static ngx_int_t ngx_http_secauth_attempts_get(ngx_http_secauth_shm_t *shm,
    ngx_str_t *user, ngx_http_secauth_attempts_t *a);


/*
 * The shm buckets: with several, every bucket is checked first, and only
 * if all admit the request is it taken from each, so that a refused
 * request costs no budget (each zone has its own lock; two requests
 * racing between the passes may both be admitted, as with limit_req).
 * One bucket, the usual case, is checked and taken in one go.
 */

ngx_int_t
ngx_http_secauth_limit_take_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    uint64_t     now;
    ngx_int_t    rc;
    ngx_uint_t   i, j, pass;

    /* nginx's monotonic clock: a wall clock stepped back changes nothing */

    now = (uint64_t) ngx_current_msec * 1000;

    for (pass = (op->nbuckets == 1); pass < 2; pass++) {

        for (i = 0; i < op->nbuckets; i++) {
            rc = ngx_http_secauth_limit_take_bucket(&op->buckets[i], now,
                                                    pass == 0);
            if (rc == NGX_OK) {
                continue;
            }

            if (rc == NGX_DECLINED) {
                op->count = i + 1;

            } else {
                ngx_log_error(NGX_LOG_ERR, op->log, 0,
                              "secauth: no room for a bucket in zone "
                              "\"%V\"", &op->buckets[i].zone);
            }

            /* a race since the check: what was taken is given back */

            for (j = 0; pass == 1 && j < i; j++) {
                ngx_http_secauth_limit_give_back(&op->buckets[j]);
            }

            op->rc = rc;
            return NGX_OK;
        }
    }

    op->rc = NGX_OK;

    return NGX_OK;
}


/*
 * Under the zone's lock: NGX_DECLINED when the bucket refuses (b->wait
 * until it would admit), else NGX_OK (b->wait: the delay that would keep
 * to the rate) and, unless only checking, the request is taken.
 */

static ngx_int_t
ngx_http_secauth_limit_take_bucket(ngx_http_secauth_bucket_t *b,
    uint64_t now, ngx_flag_t check)
{
    time_t                        expire;
    uint64_t                      tat, next;
    ngx_int_t                     rc;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *node;

    shm = ngx_http_secauth_shm_get(b->shm_zone);
    if (shm == NULL) {
        return NGX_ERROR;
    }

    ngx_http_secauth_shm_lock(shm);

    node = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_LIMIT,
                                       b->key.data, b->key.len);
    tat = 0;

    if (node && node->value_len == sizeof(uint64_t)) {
        ngx_memcpy(&tat, ngx_http_secauth_shm_value(node), sizeof(uint64_t));

    } else {
        node = NULL;
    }

    if (!ngx_http_secauth_gcra_take(tat, now, b->interval, b->tau, &next,
                                    &b->wait))
    {
        rc = NGX_DECLINED;
        goto done;
    }

    rc = NGX_OK;

    if (check) {
        goto done;
    }

    /*
     * absent (a full bucket again) after its TAT, in wall-clock seconds:
     * + 2 covers both the truncated remainder and ngx_time()'s fraction
     */

    expire = ngx_time()
             + (time_t) (ngx_http_secauth_gcra_full_in(next, now) / 1000000)
             + 2;

    if (node) {
        ngx_memcpy(ngx_http_secauth_shm_value(node), &next, sizeof(uint64_t));
        ngx_http_secauth_shm_set_expire(shm, node, expire);

    } else if (ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_LIMIT,
                                        b->key.data, b->key.len,
                                        (u_char *) &next, sizeof(uint64_t),
                                        expire, NULL)
               == NULL)
    {
        rc = NGX_ERROR;
    }

done:

    ngx_http_secauth_shm_unlock(shm);

    return rc;
}


/* undoes a take: the bucket's TAT goes back by one interval */

static void
ngx_http_secauth_limit_give_back(ngx_http_secauth_bucket_t *b)
{
    uint64_t                      tat;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *node;

    shm = ngx_http_secauth_shm_get(b->shm_zone);
    if (shm == NULL) {
        return;
    }

    ngx_http_secauth_shm_lock(shm);

    node = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_LIMIT,
                                       b->key.data, b->key.len);

    if (node && node->value_len == sizeof(uint64_t)) {
        ngx_memcpy(&tat, ngx_http_secauth_shm_value(node), sizeof(uint64_t));
        tat = ngx_http_secauth_gcra_give_back(tat, b->interval);
        ngx_memcpy(ngx_http_secauth_shm_value(node), &tat, sizeof(uint64_t));
        ngx_http_secauth_shm_changed(shm, node);
    }

    ngx_http_secauth_shm_unlock(shm);
}


/*
 * The lock check and the count in one step under the zone's lock. Locks
 * run on nginx's monotonic clock (shared by the workers of one host), so
 * that a wall clock stepped back does not lengthen them.
 */

ngx_int_t
ngx_http_secauth_login_attempt_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    uint64_t                      now;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *node;
    ngx_http_secauth_attempts_t   a;

    shm = ngx_http_secauth_shm_get(op->throttle->zone);
    if (shm == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    now = ngx_current_msec;

    ngx_http_secauth_shm_lock(shm);

    (void) ngx_http_secauth_attempts_get(shm, &op->session.user, &a);

    if (a.until > now) {
        ngx_http_secauth_shm_unlock(shm);

        op->locked = (ngx_msec_t) (a.until - now);
        op->rc = NGX_DECLINED;
        return NGX_OK;
    }

    if (a.attempts < NGX_MAX_UINT32_VALUE) {
        a.attempts++;
    }

    op->count = a.attempts;
    op->locked = ngx_http_secauth_login_lock_shm(op->throttle, a.attempts);

    if (op->locked) {
        a.until = now + op->locked;
    }

    /* forget >= max_lock: the count outlives its lock (+ 1: whole seconds) */

    node = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_ATTEMPTS,
                                    op->session.user.data,
                                    op->session.user.len,
                                    (u_char *) &a, sizeof(a),
                                    ngx_time() + op->throttle->forget + 1,
                                    NULL);

    ngx_http_secauth_shm_unlock(shm);

    op->rc = node ? NGX_OK : NGX_ERROR;

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_login_reset_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *node;

    shm = ngx_http_secauth_shm_get(op->throttle->zone);
    if (shm == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    ngx_http_secauth_shm_lock(shm);

    node = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_ATTEMPTS,
                                       op->session.user.data,
                                       op->session.user.len);
    if (node) {
        (void) ngx_http_secauth_shm_delete(shm, node);
    }

    ngx_http_secauth_shm_unlock(shm);

    op->rc = node ? NGX_OK : NGX_DECLINED;

    return NGX_OK;
}


/*
 * An attempt that never checked a password is taken back: the count goes
 * down by one and, when it is still the count that attempt made (no
 * attempt since), so does the lock that attempt set.
 */

ngx_int_t
ngx_http_secauth_login_release_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *node;
    ngx_http_secauth_attempts_t   a;

    shm = ngx_http_secauth_shm_get(op->throttle->zone);
    if (shm == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    ngx_http_secauth_shm_lock(shm);

    node = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_ATTEMPTS,
                                       op->session.user.data,
                                       op->session.user.len);

    if (node == NULL || node->value_len != sizeof(a)) {
        ngx_http_secauth_shm_unlock(shm);
        op->rc = NGX_DECLINED;
        return NGX_OK;
    }

    ngx_memcpy(&a, ngx_http_secauth_shm_value(node), sizeof(a));

    if (a.attempts == op->count) {
        a.until = 0;
    }

    if (a.attempts) {
        a.attempts--;
    }

    if (a.attempts == 0 && a.until == 0) {
        (void) ngx_http_secauth_shm_delete(shm, node);

    } else {
        ngx_memcpy(ngx_http_secauth_shm_value(node), &a, sizeof(a));
        ngx_http_secauth_shm_changed(shm, node);
    }

    ngx_http_secauth_shm_unlock(shm);

    op->rc = NGX_OK;

    return NGX_OK;
}


/*
 * how long the n-th attempt locks the account, in ms (0: not at all):
 * lock, doubled with each attempt after the free-th, up to max_lock (the
 * Redis script computes the same)
 */

static ngx_msec_t
ngx_http_secauth_login_lock_shm(ngx_http_secauth_throttle_t *t, ngx_uint_t n)
{
    ngx_uint_t  shift;

    if (n < t->free) {
        return 0;
    }

    shift = ngx_min(n - t->free, 30);

    if (t->lock > t->max_lock >> shift) {
        return t->max_lock;
    }

    return t->lock << shift;
}


static ngx_int_t
ngx_http_secauth_attempts_get(ngx_http_secauth_shm_t *shm, ngx_str_t *user,
    ngx_http_secauth_attempts_t *a)
{
    ngx_http_secauth_shm_node_t  *node;

    node = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_ATTEMPTS,
                                       user->data, user->len);

    if (node == NULL || node->value_len != sizeof(*a)) {
        ngx_memzero(a, sizeof(*a));
        return NGX_DECLINED;
    }

    ngx_memcpy(a, ngx_http_secauth_shm_value(node), sizeof(*a));

    return NGX_OK;
}
