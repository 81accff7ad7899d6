
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_STORE_SHM_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_STORE_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"
#include "ngx_http_secauth_shm.h"


/*
 * Private to the shm implementation of the store interface: its files
 * share this header, the rest of the module sees ngx_http_secauth_store.h
 * only. The table of operations is in ngx_http_secauth_store_shm.c with
 * the session operations; each other group has a file of its own, and
 * none of them calls another: they share only the engine
 * (ngx_http_secauth_shm.h).
 *
 * st->data is the engine's data of the state zone (secauth_zone); limits
 * and the throttle carry their own zones in the op (bucket->shm_zone,
 * throttle->zone), and may be called with st NULL.
 */


/* refresh-token families and revoked tokens (_family_shm.c) */
ngx_int_t ngx_http_secauth_family_create_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_family_rotate_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_family_revoke_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_revoked_check_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_revoke_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);

/* rate limits and login attempts, in zones of their own (_store_shm_limit.c) */
ngx_int_t ngx_http_secauth_limit_take_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_login_attempt_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_login_reset_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_login_release_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);

/* one-time values and counters (_store_shm_once.c) */
ngx_int_t ngx_http_secauth_once_put_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_once_consume_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_counter_advance_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);

/* values read without consuming them (_store_shm_once.c) */
ngx_int_t ngx_http_secauth_value_get_shm(ngx_http_secauth_store_t *st,
    ngx_http_secauth_store_op_t *op);


#endif /* _NGX_HTTP_SECAUTH_STORE_SHM_H_INCLUDED_ */
