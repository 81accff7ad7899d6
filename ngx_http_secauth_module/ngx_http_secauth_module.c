
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

/*
 * SHA-256 of session ids and keys on every request: the low-level API,
 * deprecated in OpenSSL 3 but kept, as nginx keeps it for ngx_sha1
 * (ngx_event_openssl.h); see ngx_http_secauth_sha256()
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_limit.h"
#include "ngx_http_secauth_throttle.h"
#include "ngx_http_secauth_verify.h"
#include "ngx_http_secauth_admin.h"


static ngx_int_t ngx_http_secauth_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_secauth_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_secauth_ctx_cleanup(void *data);
static void *ngx_http_secauth_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_secauth_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_secauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_secauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_secauth(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_set_enum_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static u_char *ngx_http_secauth_enum_list(u_char *buf, u_char *last,
    ngx_conf_enum_t *e);
static char *ngx_http_secauth_param_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *param, size_t skip, ngx_conf_enum_t *e, ngx_uint_t *np);
static char *ngx_http_secauth_realm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_login_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_session_timeout(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_secauth_login_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *prev, ngx_http_secauth_loc_conf_t *conf);
static void ngx_http_secauth_fail_open_warn(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf);
static char *ngx_http_secauth_cookie_server(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf);
static void ngx_http_secauth_check_tls(ngx_conf_t *cf,
    ngx_http_secauth_main_conf_t *smcf);
static ngx_int_t ngx_http_secauth_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_secauth_init_process(ngx_cycle_t *cycle);
static void ngx_http_secauth_exit_process(ngx_cycle_t *cycle);


static ngx_conf_enum_t  ngx_http_secauth_modes[] = {
    { ngx_string("off"), NGX_HTTP_SECAUTH_OFF },
    { ngx_string("session"), NGX_HTTP_SECAUTH_SESSION },
    { ngx_string("jwt"), NGX_HTTP_SECAUTH_JWT },
    { ngx_string("any"), NGX_HTTP_SECAUTH_ANY },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_secauth_fail_modes[] = {
    { ngx_string("closed"), NGX_HTTP_SECAUTH_FAIL_CLOSED },
    { ngx_string("open"), NGX_HTTP_SECAUTH_FAIL_OPEN },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_secauth_samesite[] = {
    { ngx_string("lax"), NGX_HTTP_SECAUTH_SAMESITE_LAX },
    { ngx_string("strict"), NGX_HTTP_SECAUTH_SAMESITE_STRICT },
    { ngx_string("none"), NGX_HTTP_SECAUTH_SAMESITE_NONE },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_secauth_on_off[] = {
    { ngx_string("on"), 1 },
    { ngx_string("off"), 0 },
    { ngx_null_string, 0 }
};


static ngx_conf_num_bounds_t  ngx_http_secauth_jwt_max_size_bounds = {
    ngx_conf_check_num_bounds, 64, 1024 * 1024
};


static ngx_command_t  ngx_http_secauth_commands[] = {

    { ngx_string("secauth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, mode),
      &ngx_http_secauth_modes },

    { ngx_string("secauth_realm"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth_realm,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, realm),
      NULL },

    { ngx_string("secauth_login_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth_login_url,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, login_url),
      NULL },

    { ngx_string("secauth_fail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, fail),
      &ngx_http_secauth_fail_modes },

    { ngx_string("secauth_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_session_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_secauth_session_timeout,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_jwt_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE23,
      ngx_http_secauth_jwt_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_jwt_signing_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE23,
      ngx_http_secauth_jwt_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_issuer),
      NULL },

    { ngx_string("secauth_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_audience),
      NULL },

    { ngx_string("secauth_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_leeway),
      NULL },

    { ngx_string("secauth_jwt_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_max_size),
      &ngx_http_secauth_jwt_max_size_bounds },

    { ngx_string("secauth_jwt_revocation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_revocation),
      NULL },

    { ngx_string("secauth_jwt_access_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_access_ttl),
      NULL },

    { ngx_string("secauth_jwt_refresh_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_refresh_ttl),
      NULL },

    { ngx_string("secauth_refresh"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_login,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_revoke"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_login,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_login"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_login,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_logout"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_login,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_verify"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_verify,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_admin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_login_throttle"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_login_throttle,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_users"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth_users_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, users),
      NULL },

    { ngx_string("secauth_password_hash"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_password_hash_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, password_hash),
      NULL },

    { ngx_string("secauth_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_secauth_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("secauth_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_limit_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_secauth_limit_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_limit,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_limit_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth_limit_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, limit_status),
      NULL },

    { ngx_string("secauth_limit_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_secauth_limit_log_level,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_secauth_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_secauth_module_ctx = {
    ngx_http_secauth_add_variables,        /* preconfiguration */
    ngx_http_secauth_init,                 /* postconfiguration */

    ngx_http_secauth_create_main_conf,     /* create main configuration */
    ngx_http_secauth_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_secauth_create_loc_conf,      /* create location configuration */
    ngx_http_secauth_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_http_secauth_module = {
    NGX_MODULE_V1,
    &ngx_http_secauth_module_ctx,          /* module context */
    ngx_http_secauth_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_secauth_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_secauth_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_secauth_vars[] = {

    { ngx_string("secauth_user"), NULL, ngx_http_secauth_str_variable,
      offsetof(ngx_http_secauth_ctx_t, user), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_method"), NULL, ngx_http_secauth_str_variable,
      offsetof(ngx_http_secauth_ctx_t, method), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_error"), NULL, ngx_http_secauth_str_variable,
      offsetof(ngx_http_secauth_ctx_t, error), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_limit_status"), NULL,
      ngx_http_secauth_limit_status_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_login_location"), NULL,
      ngx_http_secauth_login_location_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_claim_"), NULL, ngx_http_secauth_claim_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE|NGX_HTTP_VAR_PREFIX, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_secauth_default_realm = ngx_string("secauth");
static ngx_str_t  ngx_http_secauth_default_zone = ngx_string("secauth");

static ngx_http_secauth_cookie_t  ngx_http_secauth_default_cookie = {
    ngx_string("__Host-secauth"),
    ngx_null_string,
    ngx_string("/"),
    NGX_HTTP_SECAUTH_SAMESITE_LAX,
    1
};

#define NGX_HTTP_SECAUTH_DEFAULT_ZONE_SIZE  (10 * 1024 * 1024)


static ngx_int_t
ngx_http_secauth_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_secauth_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t               *s;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/*
 * The context is allocated as the data of a pool cleanup: an internal
 * redirect zeroes r->ctx, and the cleanup list is where it is found again
 * (the same technique as the realip module).
 */

ngx_http_secauth_ctx_t *
ngx_http_secauth_get_ctx(ngx_http_request_t *r, ngx_flag_t create)
{
    ngx_pool_cleanup_t      *cln;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_secauth_module);
    if (ctx) {
        return ctx;
    }

    if (r->internal || r->filter_finalize) {
        for (cln = r->pool->cleanup; cln; cln = cln->next) {
            if (cln->handler == ngx_http_secauth_ctx_cleanup) {
                ctx = cln->data;
                ngx_http_set_ctx(r, ctx, ngx_http_secauth_module);
                return ctx;
            }
        }
    }

    if (!create) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_secauth_ctx_t));
    if (cln == NULL) {
        return NULL;
    }

    ctx = cln->data;
    ngx_memzero(ctx, sizeof(ngx_http_secauth_ctx_t));

    ctx->request = r;
    ctx->resume.handler = ngx_http_secauth_resume;
    ctx->resume.data = ctx;
    ctx->resume.log = r->connection->log;

    cln->handler = ngx_http_secauth_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_secauth_module);

    return ctx;
}


/* the request goes away: its pending store calls must not call back */

static void
ngx_http_secauth_ctx_cleanup(void *data)
{
    ngx_http_secauth_ctx_t  *ctx = data;

    ngx_uint_t                    n;
    ngx_http_secauth_store_t     *st;
    ngx_http_secauth_store_op_t  *op;

    st = ngx_http_secauth_store(ctx->request);
    n = 0;

    if (ctx->op.pending) {
        ngx_http_secauth_store_cancel(st, &ctx->op);
        n++;
    }

    for (op = ctx->ops; op; op = op->next) {
        if (op->pending) {
            ngx_http_secauth_store_cancel(st, op);
            n++;
        }
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                   "secauth: %ui store ops cancelled with the request", n);

    if (ctx->resume.posted) {
        ngx_delete_posted_event(&ctx->resume);
    }

    ngx_http_secauth_jwt_release(ctx);
}


/*
 * A store op of the request beyond ctx->op, zeroed, in the context's list
 * (so that the context's cleanup cancels it whatever happens to the
 * request meanwhile: an op must never outlive its pool), and in the given
 * slot when there is one. Most requests need none, and the context stays
 * small.
 */

ngx_http_secauth_store_op_t *
ngx_http_secauth_new_op(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t **slot)
{
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;

    ctx = ngx_http_secauth_get_ctx(r->main, 0);
    if (ctx == NULL) {
        return NULL;
    }

    op = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_store_op_t));
    if (op == NULL) {
        return NULL;
    }

    op->pool = r->pool;
    op->log = r->connection->log;

    op->next = ctx->ops;
    ctx->ops = op;

    if (slot) {
        *slot = op;
    }

    return op;
}


ngx_http_secauth_store_t *
ngx_http_secauth_store(ngx_http_request_t *r)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    return &smcf->store;
}


/*
 * A location directive that makes the location one of the module's
 * content handlers (kind: NGX_HTTP_SECAUTH_HANDLER_*); one per location
 */

char *
ngx_http_secauth_content(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *slcf,
    ngx_uint_t kind, ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->handler != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    slcf->handler = kind;
    clcf->handler = handler;

    return NGX_CONF_OK;
}


/* an output header; "Location" also becomes r->headers_out.location */

ngx_int_t
ngx_http_secauth_add_header(ngx_http_request_t *r, const char *key,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    if (ngx_strcmp(key, "Location") == 0) {
        ngx_http_clear_location(r);
        r->headers_out.location = h;
    }

    return NGX_OK;
}


/* Retry-After in whole seconds, at least 1 */

ngx_int_t
ngx_http_secauth_retry_after(ngx_http_request_t *r, ngx_msec_t ms)
{
    u_char     *p;
    ngx_str_t   v;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v.data = p;
    v.len = ngx_sprintf(p, "%M", ngx_max((ms + 999) / 1000, 1)) - p;

    return ngx_http_secauth_add_header(r, "Retry-After", &v);
}


/*
 * SHA-256 of the pieces given. Through EVP, OpenSSL 3 looks the algorithm
 * up under a lock, or with a kept context still frees and allocates the
 * provider's state on every digest; SHA256_*() is the same assembly on a
 * context on the stack. Safe in any thread.
 */

ngx_int_t
ngx_http_secauth_sha256(ngx_str_t *parts, ngx_uint_t n, u_char *out)
{
    ngx_uint_t  i;
    SHA256_CTX  c;

    if (SHA256_Init(&c) != 1) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        if (SHA256_Update(&c, parts[i].data, parts[i].len) != 1) {
            return NGX_ERROR;
        }
    }

    if (SHA256_Final(out, &c) != 1) {
        return NGX_ERROR;
    }

    ngx_explicit_memzero(&c, sizeof(SHA256_CTX));

    return NGX_OK;
}


/*
 * Users and claims end up in headers for the backend: no control
 * characters (CR, LF, NUL would split or cut them); UTF-8 is fine.
 */

ngx_int_t
ngx_http_secauth_is_text(u_char *p, size_t len)
{
    u_char  *last;

    for (last = p + len; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static void *
ngx_http_secauth_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->redis = NULL;
     *     smcf->shm_zone = NULL;
     */

    return smcf;
}


/* without "secauth_zone", a zone of 10m is added when the module is used */

static char *
ngx_http_secauth_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    if (smcf->store_used) {
        if (smcf->thread_pool_name.data == NULL) {
            ngx_str_set(&smcf->thread_pool_name, "default");
        }

        smcf->thread_pool = ngx_thread_pool_add(cf, &smcf->thread_pool_name);
        if (smcf->thread_pool == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (smcf->shm_zone
        || (!smcf->enabled && !smcf->store_used && smcf->redis == NULL))
    {
        return NGX_CONF_OK;
    }

    smcf->shm_zone = ngx_http_secauth_store_zone_add(cf,
                                          &ngx_http_secauth_default_zone,
                                          NGX_HTTP_SECAUTH_DEFAULT_ZONE_SIZE,
                                          NGX_HTTP_SECAUTH_STORE_ZONE_STATE);
    if (smcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_secauth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->realm = { 0, NULL };
     */

    slcf->mode = NGX_CONF_UNSET_UINT;
    slcf->login_url = NGX_CONF_UNSET_PTR;
    slcf->fail = NGX_CONF_UNSET_UINT;
    slcf->cookie = NGX_CONF_UNSET_PTR;
    slcf->idle_timeout = NGX_CONF_UNSET;
    slcf->absolute_timeout = NGX_CONF_UNSET;
    slcf->jwt_keys = NGX_CONF_UNSET_PTR;
    slcf->jwt_signing_key = NGX_CONF_UNSET_PTR;
    slcf->jwt_leeway = NGX_CONF_UNSET;
    slcf->jwt_max_size = NGX_CONF_UNSET_SIZE;
    slcf->jwt_revocation = NGX_CONF_UNSET;
    slcf->jwt_access_ttl = NGX_CONF_UNSET;
    slcf->jwt_refresh_ttl = NGX_CONF_UNSET;
    slcf->limits = NGX_CONF_UNSET_PTR;
    slcf->limit_status = NGX_CONF_UNSET_UINT;
    slcf->limit_log_level = NGX_CONF_UNSET_UINT;
    slcf->handler = NGX_CONF_UNSET_UINT;
    slcf->users = NGX_CONF_UNSET_PTR;
    slcf->throttle = NGX_CONF_UNSET_PTR;
    slcf->password_hash = NGX_CONF_UNSET_PTR;

    return slcf;
}


/*
 * The login and logout locations are never gated (a gate on the login
 * page would send browsers to it in a loop); they need users, a hash
 * configuration and the dummy hash for unknown users.
 */

static char *
ngx_http_secauth_login_merge(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *prev,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_flag_t                     login;
    ngx_http_secauth_main_conf_t  *smcf;

    ngx_conf_merge_uint_value(conf->handler, prev->handler,
                              NGX_HTTP_SECAUTH_HANDLER_NONE);
    ngx_conf_merge_ptr_value(conf->users, prev->users, NULL);

    if (ngx_http_secauth_password_hash_merge(cf, &conf->password_hash,
                                             prev->password_hash)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    login = (conf->handler == NGX_HTTP_SECAUTH_HANDLER_LOGIN);

    if (ngx_http_secauth_throttle_merge(cf, &conf->throttle, prev->throttle,
                                        login)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (conf->fail == NGX_HTTP_SECAUTH_FAIL_OPEN) {
        ngx_http_secauth_fail_open_warn(cf, conf);
    }

    if (conf->handler == NGX_HTTP_SECAUTH_HANDLER_NONE
        || conf->handler == NGX_HTTP_SECAUTH_HANDLER_VERIFY)
    {
        return NGX_CONF_OK;
    }

    conf->mode = NGX_HTTP_SECAUTH_OFF;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    if (conf->handler != NGX_HTTP_SECAUTH_HANDLER_LOGIN) {
        return NGX_CONF_OK;
    }

    if (conf->users == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_login\" needs \"secauth_users\"");
        return NGX_CONF_ERROR;
    }

    if (conf->users->redis && smcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_users redis\" needs \"secauth_redis\"");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_password_dummy(cf, conf->password_hash) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * secauth_fail open where it is most likely a mistake: a verify location
 * then admits anybody during an outage (and an auth_request with it),
 * and the locations that issue credentials always fail closed anyway
 */

static void
ngx_http_secauth_fail_open_warn(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    switch (conf->handler) {

    case NGX_HTTP_SECAUTH_HANDLER_VERIFY:
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"secauth_fail open\" with \"secauth_verify\" "
                           "in location \"%V\": while the store does not "
                           "answer, its auth_request admits anybody",
                           &clcf->name);
        break;

    case NGX_HTTP_SECAUTH_HANDLER_LOGIN:
    case NGX_HTTP_SECAUTH_HANDLER_REFRESH:
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"secauth_fail open\" has no effect in "
                           "location \"%V\", which issues credentials: it "
                           "fails closed", &clcf->name);
        break;

    default:
        break;
    }
}


static char *
ngx_http_secauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_secauth_loc_conf_t  *prev = parent;
    ngx_http_secauth_loc_conf_t  *conf = child;

    if (ngx_http_secauth_verify_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_SECAUTH_OFF);
    ngx_conf_merge_str_value(conf->realm, prev->realm,
                             ngx_http_secauth_default_realm.data);
    ngx_conf_merge_ptr_value(conf->login_url, prev->login_url, NULL);
    ngx_conf_merge_uint_value(conf->fail, prev->fail,
                              NGX_HTTP_SECAUTH_FAIL_CLOSED);
    ngx_conf_merge_ptr_value(conf->cookie, prev->cookie,
                             &ngx_http_secauth_default_cookie);

    if (conf->idle_timeout == NGX_CONF_UNSET) {
        conf->idle_timeout = (prev->idle_timeout == NGX_CONF_UNSET)
                             ? 30 * 60 : prev->idle_timeout;
        conf->absolute_timeout = (prev->absolute_timeout == NGX_CONF_UNSET)
                                 ? 24 * 60 * 60 : prev->absolute_timeout;
    }

    if (ngx_http_secauth_limit_merge(cf, &conf->limits, prev->limits)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_uint_value(conf->limit_status, prev->limit_status,
                              NGX_HTTP_TOO_MANY_REQUESTS);
    ngx_conf_merge_uint_value(conf->limit_log_level, prev->limit_log_level,
                              NGX_LOG_ERR);

    if (ngx_http_secauth_login_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_cookie_server(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_secauth_jwt_merge(cf, prev, conf);
}


/*
 * Remembers the server{} of a location that reads or sets a Secure session
 * cookie, for ngx_http_secauth_check_tls(): while the locations merge,
 * cf->ctx holds the srv_conf of their server.
 */

static char *
ngx_http_secauth_cookie_server(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *conf)
{
    ngx_http_core_srv_conf_t      *cscf, **cscfp;
    ngx_http_secauth_main_conf_t  *smcf;

    if (!conf->cookie->secure
        || (conf->handler != NGX_HTTP_SECAUTH_HANDLER_LOGIN
            && conf->handler != NGX_HTTP_SECAUTH_HANDLER_LOGOUT
            && !ngx_http_secauth_mode_has_session(conf->mode)))
    {
        return NGX_CONF_OK;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    cscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_core_module);

    if (smcf->cookie_servers == NULL) {
        smcf->cookie_servers = ngx_array_create(cf->pool, 4, sizeof(void *));
        if (smcf->cookie_servers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    /* a server's locations merge one after another */

    cscfp = smcf->cookie_servers->elts;

    if (smcf->cookie_servers->nelts
        && cscfp[smcf->cookie_servers->nelts - 1] == cscf)
    {
        return NGX_CONF_OK;
    }

    cscfp = ngx_array_push(smcf->cookie_servers);
    if (cscfp == NULL) {
        return NGX_CONF_ERROR;
    }

    *cscfp = cscf;

    return NGX_CONF_OK;
}


/*
 * Browsers keep a Secure cookie only from https (and localhost): a server
 * without "listen ... ssl" that sets one sends its users back to the login
 * page for ever, unless a TLS-terminating balancer is in front, which is a
 * common layout; hence a warning, not an error. A listen socket is TLS for
 * all its servers once one of them says "ssl".
 */

static void
ngx_http_secauth_check_tls(ngx_conf_t *cf, ngx_http_secauth_main_conf_t *smcf)
{
    ngx_uint_t                   i, p, a, s, tls;
    ngx_http_conf_addr_t        *addr;
    ngx_http_conf_port_t        *port;
    ngx_http_core_srv_conf_t   **cscfp, **servers;
    ngx_http_core_main_conf_t   *cmcf;

    if (smcf->cookie_servers == NULL) {
        return;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = smcf->cookie_servers->elts;

    for (i = 0; i < smcf->cookie_servers->nelts; i++) {

        tls = 0;
        port = cmcf->ports ? cmcf->ports->elts : NULL;

        for (p = 0; port && p < cmcf->ports->nelts && !tls; p++) {
            addr = port[p].addrs.elts;

            for (a = 0; a < port[p].addrs.nelts && !tls; a++) {
                if (!addr[a].opt.ssl) {
                    continue;
                }

                servers = addr[a].servers.elts;

                for (s = 0; s < addr[a].servers.nelts; s++) {
                    if (servers[s] == cscfp[i]) {
                        tls = 1;
                        break;
                    }
                }
            }
        }

        if (tls) {
            continue;
        }

        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "secauth: server \"%V\" in %s:%ui has no "
                      "\"listen ... ssl\" but a Secure session cookie, "
                      "which browsers drop over plain http except on "
                      "localhost (logins loop); fine behind a TLS-terminating "
                      "balancer, else for local development use "
                      "\"secauth_cookie NAME secure=off\"",
                      &cscfp[i]->server_name, cscfp[i]->file_name,
                      cscfp[i]->line);
    }
}


static char *
ngx_http_secauth(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_http_secauth_set_enum_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (slcf->mode != NGX_HTTP_SECAUTH_OFF) {
        smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
        smcf->enabled = 1;
    }

    return NGX_CONF_OK;
}


/*
 * ngx_conf_set_enum_slot(), whose error names neither the directive nor
 * the values it takes: "secauth: invalid value "sesion", expected off,
 * session, jwt or any"
 */

static char *
ngx_http_secauth_set_enum_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    u_char           *last, list[NGX_MAX_CONF_ERRSTR];
    ngx_str_t        *value;
    ngx_uint_t       *np, i;
    ngx_conf_enum_t  *e;

    np = (ngx_uint_t *) (p + cmd->offset);

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value[1].len
            && ngx_strcasecmp(e[i].name.data, value[1].data) == 0)
        {
            *np = e[i].value;
            return NGX_CONF_OK;
        }
    }

    last = ngx_http_secauth_enum_list(list, list + sizeof(list), e);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid value \"%V\", expected %*s",
                       &cmd->name, &value[1], last - list, list);

    return NGX_CONF_ERROR;
}


/* a NAME=VALUE parameter of an enum's values, as the enum slot */

static char *
ngx_http_secauth_param_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *param, size_t skip, ngx_conf_enum_t *e, ngx_uint_t *np)
{
    u_char      *last, list[NGX_MAX_CONF_ERRSTR];
    ngx_str_t    v;
    ngx_uint_t   i;

    v.data = param->data + skip;
    v.len = param->len - skip;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == v.len
            && ngx_strncmp(e[i].name.data, v.data, v.len) == 0)
        {
            *np = e[i].value;
            return NGX_CONF_OK;
        }
    }

    last = ngx_http_secauth_enum_list(list, list + sizeof(list), e);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid value \"%V\" of \"%*s\", expected %*s",
                       &cmd->name, &v, skip, param->data, last - list, list);

    return NGX_CONF_ERROR;
}


/* "a, b or c" from the names of an enum */

static u_char *
ngx_http_secauth_enum_list(u_char *buf, u_char *last, ngx_conf_enum_t *e)
{
    ngx_uint_t  i;

    for (i = 0; e[i].name.len != 0; i++) {
        if (i > 0) {
            buf = ngx_slprintf(buf, last, e[i + 1].name.len ? ", " : " or ");
        }

        buf = ngx_slprintf(buf, last, "%V", &e[i].name);
    }

    return buf;
}


/*
 * The realm goes into a quoted-string of WWW-Authenticate (RFC 7235):
 * only printable characters, no quote or backslash, so that it never
 * needs escaping.
 */

static char *
ngx_http_secauth_realm(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char     *c;
    ngx_str_t  *field, *value;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 256) {
        return "must be 1 to 256 characters long";
    }

    for (c = value[1].data; c < value[1].data + value[1].len; c++) {
        if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid character in \"%V\": only printable "
                               "ASCII without '\"' and '\\' is allowed",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    *field = value[1];

    return NGX_CONF_OK;
}


/* "off" cancels a login URL inherited from an outer level */

static char *
ngx_http_secauth_login_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->login_url != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        slcf->login_url = NULL;
        return NGX_CONF_OK;
    }

    if (value[1].len == 0) {
        return "must not be empty";
    }

    slcf->login_url = NGX_CONF_UNSET_PTR;

    return ngx_http_set_complex_value_slot(cf, cmd, conf);
}


static char *
ngx_http_secauth_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    if (smcf->redis) {
        return "is duplicate";
    }

    smcf->redis = ngx_pcalloc(cf->pool,
                              sizeof(ngx_http_secauth_redis_conf_t));
    if (smcf->redis == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_secauth_redis_parse(cf, smcf->redis);
}


/*
 * secauth_zone NAME:SIZE [state=PATH] [sync=TIME], NAME:SIZE as
 * limit_req_zone's zone=, state= as keyval_zone's
 */

static char *
ngx_http_secauth_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t *smcf = conf;

    u_char      *p;
    ssize_t      size;
    ngx_int_t    rc;
    ngx_str_t   *value, name, s, path;
    ngx_msec_t   sync;
    ngx_uint_t   i;

    if (smcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\" in \"%V\", expected "
                           "NAME:SIZE", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - value[1].data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&path);
    sync = NGX_CONF_UNSET_MSEC;

    for (i = 2; i < cf->args->nelts; i++) {
        rc = ngx_http_secauth_store_zone_state_arg(cf, &value[i], &path,
                                                   &sync);
        if (rc == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        if (rc == NGX_DECLINED) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in \"%V\"",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    smcf->shm_zone = ngx_http_secauth_store_zone_add(cf, &name, size,
                                          NGX_HTTP_SECAUTH_STORE_ZONE_STATE);
    if (smcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_store_zone_state(cf, smcf->shm_zone, &path, sync)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * secauth_cookie NAME [domain=D] [path=P] [samesite=lax|strict|none]
 *                [secure=on|off]; the prefixes' rules (RFC 6265bis 4.1.3)
 * are enforced here, so that a browser never silently drops the cookie.
 */

static char *
ngx_http_secauth_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    u_char                     *c;
    ngx_str_t                  *value, v;
    ngx_uint_t                  i, on;
    ngx_http_secauth_cookie_t  *ck;

    if (slcf->cookie != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    ck = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_cookie_t));
    if (ck == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    ck->name = value[1];
    ngx_str_set(&ck->path, "/");
    ck->samesite = NGX_HTTP_SECAUTH_SAMESITE_LAX;
    ck->secure = 1;

    if (ck->name.len == 0 || ck->name.len > 64) {
        return "needs a name of 1 to 64 characters";
    }

    for (c = ck->name.data; c < ck->name.data + ck->name.len; c++) {
        if (*c <= 0x20 || *c >= 0x7f
            || ngx_strchr("()<>@,;:\\\"/[]?={}", *c) != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid cookie name \"%V\" in \"%V\"",
                               &ck->name, &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            ck->domain.data = value[i].data + 7;
            ck->domain.len = value[i].len - 7;
            v = ck->domain;

        } else if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            ck->path.data = value[i].data + 5;
            ck->path.len = value[i].len - 5;
            v = ck->path;

            if (v.len == 0 || v.data[0] != '/') {
                goto invalid;
            }

        } else if (ngx_strncmp(value[i].data, "samesite=", 9) == 0) {
            if (ngx_http_secauth_param_enum(cf, cmd, &value[i], 9,
                                            ngx_http_secauth_samesite,
                                            &ck->samesite)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;

        } else if (ngx_strncmp(value[i].data, "secure=", 7) == 0) {
            if (ngx_http_secauth_param_enum(cf, cmd, &value[i], 7,
                                            ngx_http_secauth_on_off, &on)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            ck->secure = on;
            continue;

        } else {
            goto invalid;
        }

        for (c = v.data; c < v.data + v.len; c++) {
            if (*c <= 0x20 || *c >= 0x7f || *c == ';' || *c == ',') {
                goto invalid;
            }
        }
    }

    if (ck->name.len > 7 && ngx_strncmp(ck->name.data, "__Host-", 7) == 0
        && (!ck->secure || ck->domain.len
            || ck->path.len != 1 || ck->path.data[0] != '/'))
    {
        return "with a \"__Host-\" name needs secure=on, path=/ "
               "and no domain";
    }

    if ((ck->name.len > 9 && ngx_strncmp(ck->name.data, "__Secure-", 9) == 0)
        || ck->samesite == NGX_HTTP_SECAUTH_SAMESITE_NONE)
    {
        if (!ck->secure) {
            return "with a \"__Secure-\" name or samesite=none needs "
                   "secure=on";
        }
    }

    slcf->cookie = ck;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\"",
                       &value[i], &cmd->name);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_secauth_session_timeout(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t  *value;

    if (slcf->idle_timeout != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    slcf->idle_timeout = ngx_parse_time(&value[1], 1);
    slcf->absolute_timeout = ngx_parse_time(&value[2], 1);

    if (slcf->idle_timeout == (time_t) NGX_ERROR
        || slcf->absolute_timeout == (time_t) NGX_ERROR
        || slcf->idle_timeout < 1
        || slcf->absolute_timeout < slcf->idle_timeout)
    {
        return "needs IDLE and ABSOLUTE times, 1s <= IDLE <= ABSOLUTE";
    }

    return NGX_CONF_OK;
}


/*
 * The handlers cost nothing unless some location enables the gate (access
 * phase) or a rate limit (preaccess phase).
 */

static ngx_int_t
ngx_http_secauth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt           *h;
    ngx_http_core_main_conf_t     *cmcf;
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    ngx_http_secauth_check_tls(cf, smcf);

    if (ngx_http_secauth_body_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (smcf->limit_used) {
        h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ngx_http_secauth_limit_handler;
    }

    if (!smcf->enabled) {
        return NGX_OK;
    }

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_secauth_access_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_secauth_subrequest_handler;

    return NGX_OK;
}


/* each worker opens its own Redis connection, or uses the shared zone */

static ngx_int_t
ngx_http_secauth_init_process(ngx_cycle_t *cycle)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_secauth_module);

    if (smcf == NULL) {
        return NGX_OK;
    }

    if (smcf->redis) {
        return ngx_http_secauth_store_redis_init(&smcf->store, cycle,
                                                 smcf->redis);
    }

    if (smcf->shm_zone) {
        return ngx_http_secauth_store_shm_init(&smcf->store, smcf->shm_zone);
    }

    return NGX_OK;
}


static void
ngx_http_secauth_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_secauth_module);

    if (smcf && smcf->redis && smcf->store.data) {
        ngx_http_secauth_store_redis_done(&smcf->store);
    }
}
