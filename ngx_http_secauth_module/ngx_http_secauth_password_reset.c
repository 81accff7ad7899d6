
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_body.h"
#include "ngx_http_secauth_login_ctx.h"
#include "ngx_http_secauth_users.h"
#include "ngx_http_secauth_password_set.h"


/*
 * secauth_password_reset and secauth_password_reset_confirm
 * (docs/passwords.md, "Reset"). A request (POST username) answers 202
 * and the same body whoever it names, after the same store round trips:
 * for a real user it makes a token of 32 random bytes, stores only its
 * SHA-256 (with the user and the password version, for ttl=) and, under
 * the user's key, which token is the latest (one live token per user),
 * then runs secauth_reset_notify as a background subrequest with the
 * link, made of secauth_reset_url and never of the Host header. For an
 * unknown user the same round trips read keys that do not exist.
 * A confirmation (POST token, new_password, otp) finds the token, checks
 * it is its user's latest, and hands over to
 * ngx_http_secauth_password_set.c, which spends it.
 */


#define NGX_HTTP_SECAUTH_RESET_USER     50   /* the user's record */
#define NGX_HTTP_SECAUTH_RESET_PUT      51   /* the token stored */
#define NGX_HTTP_SECAUTH_RESET_LATEST   52   /* the user's latest stored */
#define NGX_HTTP_SECAUTH_RESET_TOKEN    53   /* confirm: the token read */
#define NGX_HTTP_SECAUTH_RESET_CHECKED  54   /* confirm: the latest read */

/* the token's record: "<pwv>:<user>"; the latest: hex of the token key */
#define NGX_HTTP_SECAUTH_RESET_HEX_LEN  (2 * NGX_HTTP_SECAUTH_KEY_LEN)


static ngx_int_t ngx_http_secauth_reset_handler(ngx_http_request_t *r);
static void ngx_http_secauth_reset_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_confirm_handler(ngx_http_request_t *r);
static void ngx_http_secauth_confirm_body(ngx_http_request_t *r);
static void ngx_http_secauth_reset_step(ngx_http_request_t *r);
static ngx_int_t ngx_http_secauth_reset_store(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, ngx_uint_t state, u_char *key,
    ngx_str_t *value);
static ngx_int_t ngx_http_secauth_reset_made(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_reset_notify(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_int_t ngx_http_secauth_reset_found(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx);
static ngx_flag_t ngx_http_secauth_reset_token_valid(ngx_str_t *token);


char *
ngx_http_secauth_password_reset(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_secauth_loc_conf_t *slcf = conf;

    char                          *rv;
    time_t                         ttl;
    ngx_str_t                     *value, s;
    ngx_http_secauth_main_conf_t  *smcf;

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (ngx_strncmp(value[1].data, "ttl=", 4) != 0) {
            return "has an invalid parameter";
        }

        s.data = value[1].data + 4;
        s.len = value[1].len - 4;

        ttl = ngx_parse_time(&s, 1);

        if (ttl == (time_t) NGX_ERROR || ttl < 1
            || ttl > NGX_HTTP_SECAUTH_RESET_TTL_MAX)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\": a reset token lives from "
                               "1s to 24h", &value[1]);
            return NGX_CONF_ERROR;
        }

        slcf->reset_ttl = ttl;
    }

    rv = ngx_http_secauth_content(cf, conf,
                                  NGX_HTTP_SECAUTH_HANDLER_PASSWORD_RESET,
                                  ngx_http_secauth_reset_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;

    return NGX_CONF_OK;
}


char *
ngx_http_secauth_password_reset_confirm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char                          *rv;
    ngx_http_secauth_main_conf_t  *smcf;

    rv = ngx_http_secauth_content(cf, conf,
                                  NGX_HTTP_SECAUTH_HANDLER_PASSWORD_CONFIRM,
                                  ngx_http_secauth_confirm_handler);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_secauth_module);
    smcf->store_used = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_secauth_reset_handler(ngx_http_request_t *r)
{
    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_secauth_pwset_form(r, NGX_HTTP_SECAUTH_PWSET_REQUEST,
                                           NGX_HTTP_OK, NULL, NULL);
    }

    return ngx_http_secauth_body_start(r, ngx_http_secauth_reset_body,
                                       "GET, HEAD, POST");
}


static void
ngx_http_secauth_reset_body(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      name;
    ngx_http_secauth_store_op_t   *op;
    ngx_http_secauth_pwset_ctx_t  *pctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    static const char  *names[] = { "username" };

    pctx = ngx_http_secauth_pwset_ctx(r, NGX_HTTP_SECAUTH_PWSET_REQUEST);
    if (pctx == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lctx = &pctx->login;

    rc = ngx_http_secauth_body_fields(r, "password reset request", names,
                                      &name, 1, &lctx->json);
    if (rc != NGX_OK) {
        ngx_http_secauth_login_finish(r, rc);
        return;
    }

    rc = ngx_http_secauth_username(r->pool, &name, &lctx->username);

    if (rc == NGX_ERROR) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc != NGX_OK) {
        /* no account can have this name: the same answer, at once */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: password reset asked for an invalid user "
                      "name");
        ngx_http_secauth_login_finish(r,
                                ngx_http_secauth_pwset_requested(r, pctx));
        return;
    }

    r->write_event_handler = ngx_http_secauth_reset_step;

    op = ngx_http_secauth_pwset_op(r, NGX_HTTP_SECAUTH_RESET_USER);
    op->session.user = lctx->username;

    rc = ngx_http_secauth_pwset_wait(r,
                         ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                                     user_get, op),
                         ngx_http_secauth_reset_step);

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


static ngx_int_t
ngx_http_secauth_confirm_handler(ngx_http_request_t *r)
{
    ngx_str_t  token;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        if (ngx_http_discard_request_body(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* the link's token, into the form (base64url only, or none) */

        if (ngx_http_arg(r, (u_char *) "token", 5, &token) != NGX_OK
            || !ngx_http_secauth_reset_token_valid(&token))
        {
            ngx_str_null(&token);
        }

        return ngx_http_secauth_pwset_form(r, NGX_HTTP_SECAUTH_PWSET_CONFIRM,
                                           NGX_HTTP_OK, NULL, &token);
    }

    return ngx_http_secauth_body_start(r, ngx_http_secauth_confirm_body,
                                       "GET, HEAD, POST");
}


static void
ngx_http_secauth_confirm_body(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      f[3];
    ngx_http_secauth_pwset_ctx_t  *pctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    static const char  *names[] = { "token", "new_password", "otp" };

    pctx = ngx_http_secauth_pwset_ctx(r, NGX_HTTP_SECAUTH_PWSET_CONFIRM);
    if (pctx == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lctx = &pctx->login;

    rc = ngx_http_secauth_body_fields(r, "password reset", names, f, 3,
                                      &lctx->json);
    if (rc != NGX_OK) {
        ngx_http_secauth_login_finish(r, rc);
        return;
    }

    pctx->new_password = f[1];
    lctx->otp = f[2];

    if (!ngx_http_secauth_reset_token_valid(&f[0])) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: password reset with a malformed token");
        rc = ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_BAD_REQUEST,
                                           "invalid_token");
        goto done;
    }

    pctx->token = f[0];

    if (pctx->new_password.len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "secauth: password reset without a new password");
        rc = ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_BAD_REQUEST,
                                           "invalid_request");
        goto done;
    }

    if (ngx_http_secauth_reset_token_key(&pctx->token, pctx->tkey)
        != NGX_OK)
    {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    r->write_event_handler = ngx_http_secauth_reset_step;

    rc = ngx_http_secauth_reset_store(r, pctx, NGX_HTTP_SECAUTH_RESET_TOKEN,
                                      pctx->tkey, NULL);

done:

    if (rc != NGX_AGAIN) {
        ngx_explicit_memzero(pctx->new_password.data,
                             pctx->new_password.len);
        ngx_http_secauth_login_finish(r, rc);
    }
}


static void
ngx_http_secauth_reset_step(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_pwset_ctx_t  *pctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->waiting || r->main->blocked) {
        return;
    }

    pctx = ctx->login;
    lctx = &pctx->login;

    if (ctx->op.rc == NGX_ERROR) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    switch (lctx->state) {

    case NGX_HTTP_SECAUTH_RESET_USER:

        ngx_http_secauth_login_user_found(r, lctx);

        if (lctx->known) {
            rc = ngx_http_secauth_reset_made(r, pctx);
            break;
        }

        /* an unknown user: the same round trips, to keys of nothing */

        rc = ngx_http_secauth_reset_store(r, pctx, NGX_HTTP_SECAUTH_RESET_PUT,
                                          NULL, NULL);
        break;

    case NGX_HTTP_SECAUTH_RESET_PUT:

        if (!lctx->known) {
            rc = ngx_http_secauth_reset_store(r, pctx,
                                              NGX_HTTP_SECAUTH_RESET_LATEST,
                                              NULL, NULL);
            break;
        }

        {
            u_char     hex[NGX_HTTP_SECAUTH_RESET_HEX_LEN];
            ngx_str_t  latest;

            latest.data = hex;
            latest.len = ngx_hex_dump(hex, pctx->tkey,
                                      NGX_HTTP_SECAUTH_KEY_LEN) - hex;

            rc = (ngx_http_secauth_reset_user_key(&lctx->username,
                                                  pctx->ukey)
                  != NGX_OK)
                 ? NGX_HTTP_INTERNAL_SERVER_ERROR
                 : ngx_http_secauth_reset_store(r, pctx,
                                                NGX_HTTP_SECAUTH_RESET_LATEST,
                                                pctx->ukey, &latest);
        }

        break;

    case NGX_HTTP_SECAUTH_RESET_LATEST:

        if (lctx->known) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "secauth: password reset link made for \"%V\"",
                          &lctx->username);

            if (ngx_http_secauth_reset_notify(r, pctx) != NGX_OK) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                break;
            }

        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "secauth: password reset asked for \"%V\", who "
                          "is no user", &lctx->username);
        }

        rc = ngx_http_secauth_pwset_requested(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_RESET_TOKEN:
        rc = ngx_http_secauth_reset_found(r, pctx);
        break;

    case NGX_HTTP_SECAUTH_RESET_CHECKED:

        if (ctx->op.rc != NGX_OK
            || ctx->op.once->data.len != NGX_HTTP_SECAUTH_RESET_HEX_LEN)
        {
            rc = NGX_DECLINED;

        } else {
            u_char  hex[NGX_HTTP_SECAUTH_RESET_HEX_LEN];

            (void) ngx_hex_dump(hex, pctx->tkey, NGX_HTTP_SECAUTH_KEY_LEN);

            rc = (ngx_memcmp(hex, ctx->op.once->data.data,
                             NGX_HTTP_SECAUTH_RESET_HEX_LEN)
                  == 0) ? NGX_OK : NGX_DECLINED;
        }

        if (rc == NGX_DECLINED) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "secauth: password reset of \"%V\" refused: a "
                          "newer token was made", &lctx->username);
            rc = ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_BAD_REQUEST,
                                               "invalid_token");
            break;
        }

        rc = ngx_http_secauth_pwset_start(r, pctx);
        break;

    default:
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_AGAIN) {
        ngx_http_secauth_login_finish(r, rc);
    }
}


/*
 * One round trip: value under key stored for the token's lifetime, or
 * with no value the key read; no key: a random one (the decoy of an
 * unknown user, which finds nothing)
 */

static ngx_int_t
ngx_http_secauth_reset_store(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx, ngx_uint_t state, u_char *key,
    ngx_str_t *value)
{
    ngx_int_t                     rc;
    ngx_http_secauth_store_t     *st;
    ngx_http_secauth_store_op_t  *op;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    st = ngx_http_secauth_store(r);

    op = ngx_http_secauth_pwset_op(r, state);

    op->once = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_once_t));

    if (op->once == NULL
        || (key == NULL && RAND_bytes(op->key, sizeof(op->key)) != 1))
    {
        ngx_http_secauth_get_ctx(r, 0)->waiting = 0;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (key) {
        ngx_memcpy(op->key, key, NGX_HTTP_SECAUTH_KEY_LEN);
    }

    if (value) {
        op->once->data.data = ngx_pstrdup(r->pool, value);
        if (op->once->data.data == NULL) {
            ngx_http_secauth_get_ctx(r, 0)->waiting = 0;
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        op->once->data.len = value->len;
        op->ttl = slcf->reset_ttl;

        rc = ngx_http_secauth_store_call(st, once_put, op);

    } else {
        rc = ngx_http_secauth_store_call(st, value_get, op);
    }

    return ngx_http_secauth_pwset_wait(r, rc, ngx_http_secauth_reset_step);
}


/* a real user: the token, and its record stored under its hash */

static ngx_int_t
ngx_http_secauth_reset_made(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    u_char                        raw[32];
    ngx_str_t                     record;
    ngx_http_secauth_login_ctx_t  *lctx;

    lctx = &pctx->login;

    if (lctx->username.len > NGX_HTTP_SECAUTH_ONCE_MAX - NGX_INT_T_LEN - 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pctx->token.data = ngx_pnalloc(r->pool, NGX_HTTP_SECAUTH_RESET_TOKEN_LEN);
    if (pctx->token.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    record.data = ngx_pnalloc(r->pool, NGX_INT_T_LEN + 1
                                       + lctx->username.len);
    if (record.data == NULL || RAND_bytes(raw, sizeof(raw)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pctx->token.len = ngx_http_secauth_b64url_encode(pctx->token.data, raw,
                                                     sizeof(raw));
    ngx_explicit_memzero(raw, sizeof(raw));

    if (ngx_http_secauth_reset_token_key(&pctx->token, pctx->tkey)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    record.len = ngx_sprintf(record.data, "%ui:%V", lctx->pwv,
                             &lctx->username)
                 - record.data;

    return ngx_http_secauth_reset_store(r, pctx, NGX_HTTP_SECAUTH_RESET_PUT,
                                        pctx->tkey, &record);
}


/*
 * The link to the application: secauth_reset_notify runs in the
 * background with $secauth_reset_user and $secauth_reset_link; the
 * client's answer does not wait for it. It gets no request body.
 */

static ngx_int_t
ngx_http_secauth_reset_notify(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    u_char                       *p;
    ngx_http_request_t           *sr;
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_loc_conf_t  *slcf;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    p = ngx_pnalloc(r->pool, slcf->reset_url.len + sizeof("?token=") - 1
                             + pctx->token.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->reset_link.data = p;

    p = ngx_cpymem(p, slcf->reset_url.data, slcf->reset_url.len);
    *p++ = ngx_strlchr(slcf->reset_url.data,
                       slcf->reset_url.data + slcf->reset_url.len, '?')
           ? '&' : '?';
    p = ngx_cpymem(p, "token=", sizeof("token=") - 1);
    p = ngx_cpymem(p, pctx->token.data, pctx->token.len);

    ctx->reset_link.len = p - ctx->reset_link.data;
    ctx->reset_user = pctx->login.username;

    if (ngx_http_subrequest(r, &slcf->reset_notify, NULL, &sr, NULL,
                            NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /*
     * As the mirror module does: its answer is not ours to send
     * (header_only, else its output would wait behind ours for ever),
     * and it gets an empty body, not our form (its headers_in are a copy
     * of ours: a proxy_pass would send our Content-Length)
     */

    sr->header_only = 1;
    ctx->notify = sr;           /* the gate lets it through */

    sr->request_body = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    if (sr->request_body == NULL) {
        return NGX_ERROR;
    }

    sr->headers_in.content_length = NULL;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.chunked = 0;

    return NGX_OK;
}


/* confirm: the token's record, then its user's latest token */

static ngx_int_t
ngx_http_secauth_reset_found(ngx_http_request_t *r,
    ngx_http_secauth_pwset_ctx_t *pctx)
{
    u_char                        *p, *last;
    ngx_int_t                      pwv;
    ngx_http_secauth_ctx_t        *ctx;
    ngx_http_secauth_login_ctx_t  *lctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    lctx = &pctx->login;

    p = NULL;
    last = NULL;

    if (ctx->op.rc == NGX_OK) {
        p = ctx->op.once->data.data;
        last = p + ctx->op.once->data.len;
        p = ngx_strlchr(p, last, ':');
    }

    pwv = p ? ngx_atoi(ctx->op.once->data.data, p - ctx->op.once->data.data)
            : NGX_ERROR;

    if (pwv == NGX_ERROR || p + 1 == last) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: password reset with an unknown, spent or "
                      "expired token");
        return ngx_http_secauth_pwset_refuse(r, pctx, NGX_HTTP_BAD_REQUEST,
                                             "invalid_token");
    }

    pctx->token_pwv = (ngx_uint_t) pwv;
    lctx->username.data = p + 1;
    lctx->username.len = last - (p + 1);

    if (ngx_http_secauth_reset_user_key(&lctx->username, pctx->ukey)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_secauth_reset_store(r, pctx,
                                        NGX_HTTP_SECAUTH_RESET_CHECKED,
                                        pctx->ukey, NULL);
}


static ngx_flag_t
ngx_http_secauth_reset_token_valid(ngx_str_t *token)
{
    u_char      c;
    ngx_uint_t  i;

    if (token->len != NGX_HTTP_SECAUTH_RESET_TOKEN_LEN) {
        return 0;
    }

    for (i = 0; i < token->len; i++) {
        c = token->data[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        {
            return 0;
        }
    }

    return 1;
}
