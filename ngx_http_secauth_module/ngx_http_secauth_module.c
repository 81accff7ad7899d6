
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_jwt.h"
#include "ngx_http_secauth_login.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_limit.h"
#include "ngx_http_secauth_throttle.h"
#include "ngx_http_secauth_verify.h"
#include "ngx_http_secauth_jwks.h"
#include "ngx_http_secauth_require.h"
#include "ngx_http_secauth_admin.h"
#include "ngx_http_secauth_refresh.h"
#include "ngx_http_secauth_gate.h"
#include "ngx_http_secauth_conf.h"
#include "ngx_http_secauth_variables.h"
#include "ngx_http_secauth_mfa_enrol.h"
#include "ngx_http_secauth_password_set.h"


static ngx_int_t ngx_http_secauth_add_variables(ngx_conf_t *cf);
static void *ngx_http_secauth_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_secauth_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_secauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_secauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_secauth(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
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

    { ngx_string("secauth_jwt_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_secauth_jwt_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_jwt_key_request"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_jwt_key_request,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_jwt_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, jwt_key_cache),
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
      ngx_http_secauth_refresh,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_revoke"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_refresh,
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
      ngx_http_secauth_logout,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_claim_var"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE23,
      ngx_http_secauth_claim_var,
      0,
      0,
      NULL },

    { ngx_string("secauth_claim_has"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_secauth_claim_var,
      0,
      0,
      NULL },

    { ngx_string("secauth_require"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_secauth_require,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_jwks"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_jwks,
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

    { ngx_string("secauth_password_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_ANY,
      ngx_http_secauth_password_policy_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, password_policy),
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

    { ngx_string("secauth_mfa"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_secauth_mfa_conf,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_totp"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_totp,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_totp_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, totp_issuer),
      NULL },

    { ngx_string("secauth_password_change"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_password_change,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_password_reset"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_secauth_password_reset,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_password_reset_confirm"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_secauth_password_reset_confirm,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("secauth_reset_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, reset_url),
      NULL },

    { ngx_string("secauth_reset_notify"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_secauth_loc_conf_t, reset_notify),
      NULL },

    { ngx_string("secauth_secret_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_secauth_secret_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
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

    { ngx_string("secauth_amr"), NULL, ngx_http_secauth_str_variable,
      offsetof(ngx_http_secauth_ctx_t, amr), NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_reset_user"), NULL, ngx_http_secauth_str_variable,
      offsetof(ngx_http_secauth_ctx_t, reset_user),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("secauth_reset_link"), NULL, ngx_http_secauth_str_variable,
      offsetof(ngx_http_secauth_ctx_t, reset_link),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

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

    if (smcf->shm_zone == NULL
        && (smcf->enabled || smcf->store_used || smcf->redis))
    {
        smcf->shm_zone = ngx_http_secauth_store_zone_add(cf,
                                          &ngx_http_secauth_default_zone,
                                          NGX_HTTP_SECAUTH_DEFAULT_ZONE_SIZE,
                                          NGX_HTTP_SECAUTH_STORE_ZONE_STATE);
        if (smcf->shm_zone == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return ngx_http_secauth_mfa_durable(cf, smcf);
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
     *     slcf->mfa_enrol = { 0, NULL };
     *     slcf->totp_issuer = { 0, NULL };
     *     slcf->reset_url = { 0, NULL };
     *     slcf->reset_notify = { 0, NULL };
     */

    slcf->mode = NGX_CONF_UNSET_UINT;
    slcf->require = NGX_CONF_UNSET_PTR;
    slcf->login_url = NGX_CONF_UNSET_PTR;
    slcf->fail = NGX_CONF_UNSET_UINT;
    slcf->cookie = NGX_CONF_UNSET_PTR;
    slcf->idle_timeout = NGX_CONF_UNSET;
    slcf->absolute_timeout = NGX_CONF_UNSET;
    slcf->jwt_keys = NGX_CONF_UNSET_PTR;
    slcf->jwt_fetch = NGX_CONF_UNSET_PTR;
    slcf->jwt_key_cache = NGX_CONF_UNSET;
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
    slcf->password_policy = NGX_CONF_UNSET_PTR;
    slcf->mfa = NGX_CONF_UNSET;
    slcf->reset_ttl = NGX_CONF_UNSET;

    return slcf;
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
    if (conf->mfa == NGX_CONF_UNSET) {
        conf->mfa = (prev->mfa == NGX_CONF_UNSET) ? 0 : prev->mfa;
        conf->mfa_enrol = prev->mfa_enrol;
    }

    ngx_conf_merge_str_value(conf->totp_issuer, prev->totp_issuer, "");
    ngx_conf_merge_str_value(conf->reset_url, prev->reset_url, "");
    ngx_conf_merge_str_value(conf->reset_notify, prev->reset_notify, "");
    ngx_conf_merge_sec_value(conf->reset_ttl, prev->reset_ttl,
                             NGX_HTTP_SECAUTH_RESET_TTL);

    if (ngx_http_secauth_login_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_cookie_server(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_jwt_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_secauth_require_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_secauth_jwks_merge(cf, conf);
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
