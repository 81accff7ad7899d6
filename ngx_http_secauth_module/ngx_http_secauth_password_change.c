
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_password_set.h"


/*
 * secauth_password_change (docs/passwords.md): a logged-in session sets
 * its user's password: POST password (the current one), new_password,
 * otp when the user has TOTP on, next (where a form goes back to). The
 * location is gated on the session (ngx_http_secauth_conf.c makes it
 * so); ngx_http_secauth_password_set.c does the rest.
 */


static ngx_int_t ngx_http_secauth_change_handler(ngx_http_request_t *r);
static void ngx_http_secauth_change_body(ngx_http_request_t *r);


char *
ngx_http_secauth_password_change(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_http_secauth_content(cf, conf,
                                  NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CHANGE,
                                  ngx_http_secauth_change_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* the store and the thread pool are set up for it, and the gate */

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;
    smcf->enabled = 1;

    return NGX_CONF_OK;
}


/* the gate has run: a valid session, or an outage let through (open) */

static ngx_int_t
ngx_http_secauth_change_handler(ngx_http_request_t *r)
{
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->session != NGX_HTTP_SECAUTH_VALID) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: secauth_password_change without a valid "
                      "session");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_secauth_pwset_form(r, NGX_HTTP_SECAUTH_PWSET_CHANGE,
                                           NGX_HTTP_OK, NULL, NULL);
    }

    return ngx_http_secauth_body_start(r, ngx_http_secauth_change_body,
                                       "GET, HEAD, POST");
}


static void
ngx_http_secauth_change_body(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      f[4];
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_pwset_ctx_t  *pctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    static const char  *names[] = { "password", "new_password", "otp",
                                    "next" };

    ctx = ngx_http_secauth_get_ctx(r, 0);

    pctx = ngx_http_secauth_pwset_ctx(r, NGX_HTTP_SECAUTH_PWSET_CHANGE);
    if (pctx == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lctx = &pctx->login;

    rc = ngx_http_secauth_body_fields(r, "password change", names, f, 4,
                                      &lctx->json);
    if (rc != NGX_OK) {
        ngx_http_secauth_login_finish(r, rc);
        return;
    }

    /* the session the gate found is the user's */

    lctx->username = ctx->user;
    lctx->password = f[0];
    pctx->new_password = f[1];
    lctx->otp = f[2];
    lctx->next = f[3];

    ngx_http_secauth_safe_next(r, &lctx->next);

    if (ngx_http_secauth_password_length(lctx->password.data,
                                         lctx->password.len)
        != NGX_OK
        || pctx->new_password.len == 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: password change of \"%V\" without a usable "
                      "current and new password", &lctx->username);
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        ngx_explicit_memzero(pctx->new_password.data,
                             pctx->new_password.len);
        ngx_http_secauth_login_finish(r,
                    ngx_http_secauth_pwset_refuse(r, pctx,
                                                  NGX_HTTP_BAD_REQUEST,
                                                  "invalid_request"));
        return;
    }

    rc = ngx_http_secauth_pwset_start(r, pctx);

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}
