
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_MODULE_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_SECAUTH_OFF         0
#define NGX_HTTP_SECAUTH_SESSION     1
#define NGX_HTTP_SECAUTH_JWT         2
#define NGX_HTTP_SECAUTH_ANY         3

/* which credential kinds a mode admits */
#define ngx_http_secauth_mode_has_session(m)                                  \
    ((m) == NGX_HTTP_SECAUTH_SESSION || (m) == NGX_HTTP_SECAUTH_ANY)
#define ngx_http_secauth_mode_has_jwt(m)                                      \
    ((m) == NGX_HTTP_SECAUTH_JWT || (m) == NGX_HTTP_SECAUTH_ANY)


/* outcome of checking one kind of credential for a request */
typedef enum {
    NGX_HTTP_SECAUTH_UNCHECKED = 0,
    NGX_HTTP_SECAUTH_ABSENT,          /* the client sent none */
    NGX_HTTP_SECAUTH_VALID,
    NGX_HTTP_SECAUTH_INVALID
} ngx_http_secauth_result_e;


typedef struct {
    ngx_flag_t                  enabled;     /* any "secauth" other than off */
} ngx_http_secauth_main_conf_t;


typedef struct {
    ngx_uint_t                  mode;
    ngx_str_t                   realm;
    ngx_http_complex_value_t   *login_url;
} ngx_http_secauth_loc_conf_t;


/*
 * Per main request. Lives in a pool cleanup so that it survives the context
 * reset of internal redirects (error_page, try_files, named locations): the
 * credentials are checked once per request, whatever the number of
 * locations it passes through.
 */
typedef struct {
    ngx_http_secauth_result_e   session;
    ngx_http_secauth_result_e   jwt;

    ngx_str_t                   user;
    ngx_str_t                   method;     /* "session" | "jwt" */
    ngx_str_t                   error;      /* machine-readable reason */
} ngx_http_secauth_ctx_t;


ngx_http_secauth_ctx_t *ngx_http_secauth_get_ctx(ngx_http_request_t *r,
    ngx_flag_t create);
ngx_int_t ngx_http_secauth_access_handler(ngx_http_request_t *r);


extern ngx_module_t  ngx_http_secauth_module;


#endif /* _NGX_HTTP_SECAUTH_MODULE_H_INCLUDED_ */
