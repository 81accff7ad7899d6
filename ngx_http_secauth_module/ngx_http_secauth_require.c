
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_require.h"


/*
 * secauth_require, as NGINX Plus's auth_jwt_require: rules on who the
 * gate admitted, checked right after it, in the access phase (an "if" in
 * the rewrite phase runs before the gate and sees no claims). Each value
 * is usually a map of $secauth_claim_NAME or $secauth_user; every value
 * of every line must be non-empty and not "0". A level without the
 * directive inherits all of the outer level's lines; one with it has
 * only its own.
 */


char *
ngx_http_secauth_require(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    ngx_str_t                         *value;
    ngx_int_t                          code;
    ngx_uint_t                         i, n, status;
    ngx_http_secauth_require_t        *req;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;
    n = cf->args->nelts;
    status = NGX_HTTP_FORBIDDEN;

    if (value[n - 1].len > 6
        && ngx_strncmp(value[n - 1].data, "error=", 6) == 0)
    {
        code = ngx_atoi(value[n - 1].data + 6, value[n - 1].len - 6);

        if (code != NGX_HTTP_UNAUTHORIZED && code != NGX_HTTP_FORBIDDEN) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in "
                               "\"secauth_require\", expected error=401 or "
                               "error=403", &value[n - 1]);
            return NGX_CONF_ERROR;
        }

        status = (ngx_uint_t) code;
        n--;
    }

    if (n < 2) {
        return "needs at least one value";
    }

    if (slcf->require == NGX_CONF_UNSET_PTR) {
        slcf->require = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_secauth_require_t));
        if (slcf->require == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    for (i = 1; i < n; i++) {

        /* a constant is always true or always false: a mistake */

        if (ngx_http_script_variables_count(&value[i]) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"secauth_require\": \"%V\" has no variable",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        req = ngx_array_push(slcf->require);
        if (req == NULL) {
            return NGX_CONF_ERROR;
        }

        req->status = status;

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = &req->value;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


char *
ngx_http_secauth_require_merge(ngx_conf_t *cf,
    ngx_http_secauth_loc_conf_t *prev, ngx_http_secauth_loc_conf_t *conf)
{
    ngx_flag_t                 own;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    /* a location's own rules (the server's are merged as a level too) */
    own = (conf->require != NGX_CONF_UNSET_PTR && clcf->name.len);

    ngx_conf_merge_ptr_value(conf->require, prev->require, NULL);

    /* inherited by a location without a gate, it has nothing to check */

    if (own && conf->mode == NGX_HTTP_SECAUTH_OFF
        && conf->handler == NGX_HTTP_SECAUTH_HANDLER_NONE)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_require\" needs a gate: \"secauth "
                           "session\", \"jwt\" or \"any\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_secauth_require_check(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, ngx_http_secauth_ctx_t *ctx)
{
    ngx_str_t                    v;
    ngx_uint_t                   i;
    ngx_http_secauth_require_t  *req;

    if (slcf->require == NULL) {
        return NGX_OK;
    }

    req = slcf->require->elts;

    for (i = 0; i < slcf->require->nelts; i++) {

        if (ngx_http_complex_value(r, &req[i].value, &v) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (v.len == 0 || (v.len == 1 && v.data[0] == '0')) {
            ngx_str_set(&ctx->error, "forbidden");
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: \"%V\" is refused by "
                          "\"secauth_require %V\"", &ctx->user,
                          &req[i].value.value);
            return req[i].status;
        }
    }

    return NGX_OK;
}
