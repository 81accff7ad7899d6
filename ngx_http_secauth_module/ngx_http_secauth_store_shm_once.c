
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_shm.h"


/*
 * One-time values and monotone counters in the state zone (the store
 * interface, ngx_http_secauth_store.h): what a second factor and password
 * reset need to refuse a replay. Both are keyed by the SHA-256 the caller
 * computes (the zone never sees a secret), are read and written under the
 * zone's lock, and expire on their own. Like revoked tokens they compete
 * with sessions for room: an evicted one-time value is as good as spent,
 * an evicted counter accepts its last TOTP step again until that step is
 * over; size the zone for them, or use Redis.
 */


static ngx_int_t ngx_http_secauth_once_read_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op, ngx_flag_t consume);
static ngx_int_t ngx_http_secauth_once_valid(ngx_http_secauth_store_op_t *op,
    void *what);


ngx_int_t
ngx_http_secauth_once_put_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    if (ngx_http_secauth_once_valid(op, op->once) != NGX_OK) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    if (op->once->data.len > NGX_HTTP_SECAUTH_ONCE_MAX) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid one-time value length %uz",
                      op->once->data.len);
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    shm = st->data;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_ONCE, op->key,
                                 NGX_HTTP_SECAUTH_KEY_LEN,
                                 op->once->data.data, op->once->data.len,
                                 ngx_time() + op->ttl, NULL);

    /* a full zone is logged by unlock, once in a while */

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm once put: %uz bytes", op->once->data.len);

    op->rc = n ? NGX_OK : NGX_ERROR;

    return NGX_OK;
}


/*
 * Found and deleted under the zone's lock: of parallel calls, one gets the
 * value. The copy's room is taken before locking, so that a value once
 * removed is always handed out.
 */

ngx_int_t
ngx_http_secauth_once_consume_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    return ngx_http_secauth_once_read_shm(st, op, 1);
}


/*
 * value_get: the record once_put stored, copied out under the zone's lock
 * and left in place. A user's MFA record is one: put replaces it, consume
 * deletes it, this reads it.
 */

ngx_int_t
ngx_http_secauth_value_get_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    return ngx_http_secauth_once_read_shm(st, op, 0);
}


/* the value under op->key, NUL-terminated, and deleted when consumed */

static ngx_int_t
ngx_http_secauth_once_read_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op, ngx_flag_t consume)
{
    u_char                       *p;
    size_t                        len;
    ngx_int_t                     rc;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    if (op->once == NULL) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid %s operation for the zone",
                      consume ? "one-time" : "value");
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    p = ngx_pnalloc(op->pool, NGX_HTTP_SECAUTH_ONCE_MAX + 1);
    if (p == NULL) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    shm = st->data;
    len = 0;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_ONCE, op->key,
                                    NGX_HTTP_SECAUTH_KEY_LEN);

    if (n == NULL) {
        rc = NGX_DECLINED;

    } else if (n->value_len > NGX_HTTP_SECAUTH_ONCE_MAX) {
        rc = NGX_ERROR;

    } else {
        len = n->value_len;
        ngx_memcpy(p, ngx_http_secauth_shm_value(n), len);
        rc = NGX_OK;
    }

    /* spent, or not one of ours: gone either way */

    if (n && consume) {
        (void) ngx_http_secauth_shm_delete(shm, n);
    }

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm %s: %i", consume ? "once consume" : "value get",
                   rc);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid %s record in zone \"%V\"",
                      consume ? "one-time" : "value",
                      ngx_http_secauth_shm_name(shm));
    }

    if (rc == NGX_OK) {
        p[len] = '\0';
        op->once->data.data = p;
        op->once->data.len = len;
    }

    op->rc = rc;

    return NGX_OK;
}


/* the check and the advance in one step under the zone's lock */

ngx_int_t
ngx_http_secauth_counter_advance_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    time_t                        expire;
    uint64_t                      stored;
    ngx_int_t                     rc;
    ngx_uint_t                    invalid;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    if (ngx_http_secauth_once_valid(op, op->counter) != NGX_OK) {
        op->rc = NGX_ERROR;
        return NGX_OK;
    }

    shm = st->data;
    expire = ngx_time() + op->ttl;
    invalid = 0;

    ngx_http_secauth_shm_lock(shm);

    n = ngx_http_secauth_shm_lookup(shm, NGX_HTTP_SECAUTH_SHM_COUNTER,
                                    op->key, NGX_HTTP_SECAUTH_KEY_LEN);

    if (n == NULL) {
        n = ngx_http_secauth_shm_set(shm, NGX_HTTP_SECAUTH_SHM_COUNTER,
                                     op->key, NGX_HTTP_SECAUTH_KEY_LEN,
                                     (u_char *) &op->counter->value,
                                     sizeof(uint64_t), expire, NULL);

        rc = n ? NGX_OK : NGX_ERROR;

    } else if (n->value_len != sizeof(uint64_t)) {
        /* not one of ours: refused now, absent (as if evicted) next time */

        (void) ngx_http_secauth_shm_delete(shm, n);

        invalid = 1;
        rc = NGX_ERROR;

    } else {
        ngx_memcpy(&stored, ngx_http_secauth_shm_value(n), sizeof(uint64_t));

        if (op->counter->value > stored) {
            ngx_memcpy(ngx_http_secauth_shm_value(n), &op->counter->value,
                       sizeof(uint64_t));
            ngx_http_secauth_shm_set_expire(shm, n, expire);

            rc = NGX_OK;

        } else {
            op->counter->current = stored;
            rc = NGX_DECLINED;
        }
    }

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm counter advance: %uL %i",
                   op->counter->value, rc);

    if (invalid) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid counter record in zone \"%V\"",
                      ngx_http_secauth_shm_name(shm));
    }

    op->rc = rc;

    return NGX_OK;
}


/* what every operation here needs: its parameters and a ttl */

static ngx_int_t
ngx_http_secauth_once_valid(ngx_http_secauth_store_op_t *op, void *what)
{
    if (what == NULL || op->ttl <= 0) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid one-time operation for the zone");
        return NGX_ERROR;
    }

    return NGX_OK;
}
