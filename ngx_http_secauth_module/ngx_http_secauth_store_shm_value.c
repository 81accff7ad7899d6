
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_store_shm.h"


/*
 * value_get on the state zone: the record once_put stored (kind ONCE),
 * copied out under the zone's lock and left in place. A user's MFA
 * record is one: put replaces it, consume deletes it, this reads it.
 */


ngx_int_t
ngx_http_secauth_value_get_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op)
{
    u_char                       *p;
    size_t                        len;
    ngx_int_t                     rc;
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_node_t  *n;

    if (op->once == NULL) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid value operation for the zone");
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

    ngx_http_secauth_shm_unlock(shm);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->log, 0,
                   "secauth shm value get: %i", rc);

    if (rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, op->log, 0,
                      "secauth: invalid value record in zone \"%V\"",
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
