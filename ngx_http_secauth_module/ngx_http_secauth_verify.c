
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_verify.h"


/*
 * secauth_verify: the target of an auth_request (docs/verify.md). The
 * location is gated like any other, by default with "secauth any"; the
 * gate runs in the subrequest's access phase on the main request's
 * credentials and answers 401 itself, so this handler only runs for a
 * request the gate admitted, and says 204 with who it was.
 *
 * auth_request reads 2xx as "allow", 401 and 403 as "deny" and anything
 * else as an error (500 to the client): an outage under secauth_fail
 * closed is a 503 here and a 500 there, never an admission.
 */


static ngx_int_t ngx_http_secauth_verify_handler(ngx_http_request_t *r);


char *
ngx_http_secauth_verify(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_secauth_main_conf_t  *smcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->enabled = 1;

    return ngx_http_secauth_content(cf, conf, NGX_HTTP_SECAUTH_HANDLER_VERIFY,
                                    ngx_http_secauth_verify_handler);
}


/*
 * The gate of a secauth_verify location: "secauth any" unless the
 * location or an outer level names a mode; "secauth off" here would
 * answer 204 to anybody and is refused.
 */

char *
ngx_http_secauth_verify_merge(ngx_conf_t *cf, ngx_http_secauth_loc_conf_t *prev,
    ngx_http_secauth_loc_conf_t *conf)
{
    if (conf->handler != NGX_HTTP_SECAUTH_HANDLER_VERIFY) {
        return NGX_CONF_OK;
    }

    if (conf->mode == NGX_HTTP_SECAUTH_OFF) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"secauth_verify\" cannot go with \"secauth "
                           "off\": it would admit anybody");
        return NGX_CONF_ERROR;
    }

    if (conf->mode == NGX_CONF_UNSET_UINT) {
        conf->mode = (prev->mode == NGX_CONF_UNSET_UINT
                      || prev->mode == NGX_HTTP_SECAUTH_OFF)
                     ? NGX_HTTP_SECAUTH_ANY : prev->mode;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_secauth_verify_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_secauth_ctx_t  *ctx;

    static ngx_str_t  no_store = ngx_string("no-store");

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    /*
     * Only the gate decides: a location whose access phase ended before
     * it (satisfy any with a matching allow) has no decision, and gets
     * 401, never 204.
     */

    ctx = ngx_http_secauth_get_ctx(r->main, 0);

    if (ctx == NULL || !ctx->admitted) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: secauth_verify reached without a decision "
                      "of the gate (\"satisfy any\"?): refused");
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (ngx_http_secauth_add_header(r, "Cache-Control", &no_store)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /*
     * for an auth_request proxied to this nginx from another one, which
     * reads it as $upstream_http_x_auth_request_user (the users's name
     * was checked to be header-safe when it was read)
     */

    if (ctx->user.len
        && ngx_http_secauth_add_header(r, "X-Auth-Request-User", &ctx->user)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_NO_CONTENT;
}

