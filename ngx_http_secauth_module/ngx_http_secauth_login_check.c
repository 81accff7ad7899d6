
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_login_ctx.h"


/*
 * The credential check of a login, below its handler: the throttle's
 * count of the attempt (refused while the account is locked, taken back
 * unless the password turns out wrong), the password verified in the
 * thread pool against the user's hash or the dummy one, and a failure
 * held as long as a dummy verification would take.
 */


static ngx_int_t ngx_http_secauth_login_counted(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t attempt);
static void ngx_http_secauth_login_release(void *data);
static void ngx_http_secauth_login_padded(ngx_http_request_t *r);


/*
 * The user's record from Redis (user_get, in ctx->op): its hash, in the
 * formats of the user file, weak ones too (rehashed on success); else
 * the user is as if unknown
 */

void
ngx_http_secauth_login_user_found(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    const char              *reason;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx->op.rc != NGX_OK) {
        return;
    }

    if (ngx_http_secauth_hash_acceptable(&ctx->op.value, &reason)
        != NGX_DECLINED)
    {
        lctx->hash = ctx->op.value;
        lctx->pwv = ctx->op.session.pwv;
        lctx->known = 1;
        return;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "secauth: the Redis record of \"%V\" holds a hash that "
                  "%s: refused", &lctx->username, reason);
}


/*
 * A success (a right password, a right code): the throttle forgets the
 * account's count; the write goes on without the request
 */

ngx_int_t
ngx_http_secauth_login_forget(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_http_secauth_store_op_t  *op;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    lctx->settled = 1;

    if (slcf->throttle == NULL) {
        return NGX_OK;
    }

    op = ngx_http_secauth_new_op(r, NULL);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->session.user = lctx->username;
    op->throttle = slcf->throttle;

    (void) ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       login_reset, op);

    return NGX_OK;
}


/*
 * The attempt is counted (or refused, locked) before anything else:
 * NGX_AGAIN while the store works, else its answer is in ctx->op already
 * (the shm store answers at once) and the caller goes on with it now
 */

ngx_int_t
ngx_http_secauth_login_attempt(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_http_secauth_ctx_t       *ctx;
    ngx_http_secauth_store_op_t  *op;
    ngx_http_secauth_loc_conf_t  *slcf;

    ctx = ngx_http_secauth_get_ctx(r, 0);
    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    op = &ctx->op;
    ngx_memzero(op, sizeof(ngx_http_secauth_store_op_t));
    op->pool = r->pool;
    op->log = r->connection->log;
    op->session.user = lctx->username;
    op->throttle = slcf->throttle;

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_THROTTLE;
    ngx_http_secauth_store_wait(r, ctx, op);

    return ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       login_attempt, op);
}


/*
 * The throttle's answer: NGX_OK, the attempt is counted and the login
 * goes on; NGX_DECLINED, the account is locked (for ctx->op.locked ms);
 * else the status to end the request with.
 */

ngx_int_t
ngx_http_secauth_login_throttled(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx->op.rc == NGX_ERROR) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (ctx->op.rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login for \"%V\" refused: locked for "
                      "%M ms after failed logins", &lctx->username,
                      ctx->op.locked);
        return NGX_DECLINED;
    }

    if (ctx->op.locked) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: \"%V\" locked for %M ms after %ui "
                      "logins without success", &lctx->username,
                      ctx->op.locked, ctx->op.count);
    }

    if (ngx_http_secauth_login_counted(r, lctx, ctx->op.count) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * The password against the user's hash, in the thread pool; next is the
 * caller's step, which the thread's completion runs. NGX_AGAIN, or the
 * status to end the request with.
 */

ngx_int_t
ngx_http_secauth_login_verify(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next)
{
    ngx_int_t                      rc;
    ngx_str_t                     *hash;
    ngx_http_secauth_loc_conf_t   *slcf;
    ngx_http_secauth_main_conf_t  *smcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    /* unknown users cost the same work as known ones (ASVS 6.3.8) */

    hash = lctx->known ? &lctx->hash : &slcf->password_hash->dummy;

    lctx->task = ngx_http_secauth_password_task(r, &lctx->password, hash,
                                                slcf->password_hash);
    if (lctx->task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a new hash is only of use where it can be written back */
    lctx->task->rehash = slcf->users->redis;

    /* a change or a reset: the new password's hash is made too */

    lctx->task->hash_only = lctx->hash_only;

    if (lctx->new_password.len
        && ngx_http_secauth_password_task_next(lctx->task,
                                               &lctx->new_password)
           != NGX_OK)
    {
        ngx_explicit_memzero(lctx->password.data, lctx->password.len);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_explicit_memzero(lctx->new_password.data, lctx->new_password.len);

    ngx_explicit_memzero(lctx->password.data, lctx->password.len);

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_VERIFY;
    r->write_event_handler = next;

    rc = ngx_http_secauth_password_verify(r, smcf->thread_pool, lctx->task);

    if (rc == NGX_DECLINED) {
        /* overload, not a wrong password: the attempt is taken back */
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_AGAIN;
}


/*
 * The verification's outcome: 1 for the right password of a known user;
 * else the failure is logged, and counted by the throttle only when the
 * hash was verified (a broken hash is no guess at the password).
 */

ngx_flag_t
ngx_http_secauth_login_verified(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    if (lctx->task->error) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "secauth: password hash of \"%V\": %s",
                      &lctx->username, lctx->task->error);
    }

    if (!lctx->known || !lctx->task->valid) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: login failed for \"%V\"",
                      &lctx->username);

        /* a verified mismatch: the one thing the throttle counts */
        lctx->settled = (lctx->task->error == NULL);

        return 0;
    }

    lctx->settled = 1;

    return 1;
}


/*
 * The throttle counted this attempt: unless its password turns out
 * wrong (or right, which forgets the count), the count is taken back when
 * the request ends, whatever ended it: a full thread pool, a store
 * outage, a client gone before the verification was done.
 */

static ngx_int_t
ngx_http_secauth_login_counted(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t attempt)
{
    ngx_pool_cleanup_t           *cln;
    ngx_http_secauth_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_secauth_module);

    /* allocated now: nothing is allocated while the pool goes */

    lctx->release = ngx_http_secauth_new_op(r, NULL);
    if (lctx->release == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    lctx->release->session.user = lctx->username;
    lctx->release->throttle = slcf->throttle;
    lctx->release->count = attempt;

    lctx->request = r;
    lctx->attempt = attempt;
    lctx->counted = 1;

    cln->handler = ngx_http_secauth_login_release;
    cln->data = lctx;

    return NGX_OK;
}


/*
 * A pool cleanup added after the context's: it runs first, and the op is
 * in the context's list (ngx_http_secauth_new_op), whose cleanup then
 * detaches it if Redis has not answered yet (the command itself still
 * runs): its reply must not be written into the freed pool.
 */

static void
ngx_http_secauth_login_release(void *data)
{
    ngx_http_secauth_login_ctx_t *lctx = data;

    ngx_http_request_t  *r;

    if (!lctx->counted || lctx->settled) {
        return;
    }

    r = lctx->request;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: login attempt %ui of \"%V\" taken back",
                   lctx->attempt, &lctx->username);

    (void) ngx_http_secauth_store_call(ngx_http_secauth_store(r),
                                       login_release, lctx->release);
}


/*
 * 401 for a failed verification, held until a dummy verification would
 * have been done (ASVS 6.3.8: a weak hash answers no faster than an
 * unknown user): a timer on the write event, as limit_req's delay.
 */

ngx_int_t
ngx_http_secauth_login_failed(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx)
{
    ngx_msec_t  pad;

    pad = ngx_http_secauth_password_pad(r, lctx->task);

    if (pad == 0) {
        return ngx_http_secauth_login_refuse(r, lctx, NGX_HTTP_UNAUTHORIZED,
                                             0);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "secauth: failed login held %M ms", pad);

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lctx->state = NGX_HTTP_SECAUTH_LOGIN_PAD;

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_secauth_login_padded;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, pad);

    return NGX_AGAIN;
}


static void
ngx_http_secauth_login_padded(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_event_t                   *wev;
    ngx_http_secauth_ctx_t        *ctx;

    wev = r->connection->write;

    if (wev->delayed) {
        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    r->read_event_handler = ngx_http_block_reading;

    ctx = ngx_http_secauth_get_ctx(r, 0);

    if (ctx == NULL || ctx->login == NULL) {
        ngx_http_secauth_login_finish(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_secauth_login_refuse(r, ctx->login, NGX_HTTP_UNAUTHORIZED,
                                       0);
    ngx_http_secauth_login_finish(r, rc);
}
