
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_STORE_RECORD_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_STORE_RECORD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_store.h"


/*
 * A session record in its JSON form, the one kept in Redis
 * (docs/sessions.md). decode: NGX_DECLINED (logged) for a record that is
 * not that form, NGX_ERROR when out of memory.
 */
ngx_int_t ngx_http_secauth_store_record_encode(ngx_pool_t *pool,
    ngx_http_secauth_session_t *s, ngx_str_t *record);
ngx_int_t ngx_http_secauth_store_record_decode(ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *record, ngx_http_secauth_session_t *s);


#endif /* _NGX_HTTP_SECAUTH_STORE_RECORD_H_INCLUDED_ */
