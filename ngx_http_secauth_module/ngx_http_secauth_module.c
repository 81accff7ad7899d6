
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


static ngx_int_t ngx_http_secauth_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_secauth_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_http_secauth_ctx_cleanup(void *data);
static void *ngx_http_secauth_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_secauth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_secauth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_secauth(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_realm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_secauth_login_url(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_secauth_init(ngx_conf_t *cf);


static ngx_conf_enum_t  ngx_http_secauth_modes[] = {
    { ngx_string("off"), NGX_HTTP_SECAUTH_OFF },
    { ngx_string("session"), NGX_HTTP_SECAUTH_SESSION },
    { ngx_string("jwt"), NGX_HTTP_SECAUTH_JWT },
    { ngx_string("any"), NGX_HTTP_SECAUTH_ANY },
    { ngx_null_string, 0 }
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

      ngx_null_command
};


static ngx_http_module_t  ngx_http_secauth_module_ctx = {
    ngx_http_secauth_add_variables,        /* preconfiguration */
    ngx_http_secauth_init,                 /* postconfiguration */

    ngx_http_secauth_create_main_conf,     /* create main configuration */
    NULL,                                  /* init main configuration */

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
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
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

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_secauth_default_realm = ngx_string("secauth");


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

    cln->handler = ngx_http_secauth_ctx_cleanup;

    ngx_http_set_ctx(r, ctx, ngx_http_secauth_module);

    return ctx;
}


static void
ngx_http_secauth_ctx_cleanup(void *data)
{
    /* nothing outside the pool yet; pending store calls detach here */
}


static void *
ngx_http_secauth_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    return smcf;
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

    return slcf;
}


static char *
ngx_http_secauth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_secauth_loc_conf_t  *prev = parent;
    ngx_http_secauth_loc_conf_t  *conf = child;

    ngx_conf_merge_uint_value(conf->mode, prev->mode, NGX_HTTP_SECAUTH_OFF);
    ngx_conf_merge_str_value(conf->realm, prev->realm,
                             ngx_http_secauth_default_realm.data);
    ngx_conf_merge_ptr_value(conf->login_url, prev->login_url, NULL);

    return NGX_CONF_OK;
}


static char *
ngx_http_secauth(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_conf_set_enum_slot(cf, cmd, conf);
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


/* the access handler costs nothing unless some location enables the gate */

static ngx_int_t
ngx_http_secauth_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt           *h;
    ngx_http_core_main_conf_t     *cmcf;
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);

    if (!smcf->enabled) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_secauth_access_handler;

    return NGX_OK;
}
