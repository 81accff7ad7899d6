
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"


/*
 * The async plumbing of every request that waits for the store, below
 * the gate and the module's own locations alike: park the request, resume
 * it when the store answers (with the others of its main request that
 * wait for the same answer), and answer an outage per secauth_fail.
 */


static void ngx_http_secauth_store_done(ngx_http_secauth_store_op_t *op);


/*
 * The store did not answer in time: 503 (secauth_fail closed), or admit
 * (open) with a warning once a second at most, the outage itself being
 * logged once by the store.
 */

ngx_int_t
ngx_http_secauth_unavailable(ngx_http_request_t *r,
    ngx_http_secauth_loc_conf_t *slcf, const char *what)
{
    ngx_http_secauth_main_conf_t  *smcf;

    if (slcf->fail == NGX_HTTP_SECAUTH_FAIL_CLOSED) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);

    if (smcf->fail_open_logged != ngx_time()) {
        smcf->fail_open_logged = ngx_time();
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "secauth: store unavailable, request admitted "
                      "without %s (secauth_fail open)", what);
    }

    return NGX_OK;
}


/*
 * Parks the request until a store op completes: the op's handler posts
 * the resume event, which runs the phases again, and the access handler
 * reads the result (the way an access handler waits, cf. auth_request).
 */

void
ngx_http_secauth_store_wait(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx,
    ngx_http_secauth_store_op_t *op)
{
    op->handler = ngx_http_secauth_store_done;
    op->data = ctx;
    ctx->waiting = 1;
    ctx->parked = r;
}


static void
ngx_http_secauth_store_done(ngx_http_secauth_store_op_t *op)
{
    ngx_http_secauth_ctx_t  *ctx = op->data;

    ctx->waiting = 0;

    /* not from inside the store's callback: the store may be mid-reply */
    ngx_post_event(&ctx->resume, &ngx_posted_events);
}


void
ngx_http_secauth_resume(ngx_event_t *ev)
{
    ngx_uint_t               i, n;
    ngx_connection_t        *c;
    ngx_http_request_t      *r, **w;
    ngx_http_secauth_ctx_t  *ctx;

    ctx = ev->data;
    r = ctx->parked ? ctx->parked : ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "secauth: resume \"%V\"", &r->uri);

    /*
     * The others that wait for the same answer are posted first: running
     * the parked request may finalize the main one and free its pool,
     * which holds ctx and the waiters; posted requests die with it.
     */

    if (ctx->waiters && ctx->waiters->nelts) {
        n = ctx->waiters->nelts;
        w = ctx->waiters->elts;
        ctx->waiters->nelts = 0;

        for (i = 0; i < n; i++) {
            if (ngx_http_post_request(w[i], NULL) != NGX_OK) {
                ngx_http_finalize_request(w[i],
                                          NGX_HTTP_INTERNAL_SERVER_ERROR);
            }
        }
    }

    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


/* r waits for the answer another request of its main request waits for */

ngx_int_t
ngx_http_secauth_wait_also(ngx_http_request_t *r, ngx_http_secauth_ctx_t *ctx)
{
    ngx_uint_t           i;
    ngx_http_request_t **w;

    if (r == ctx->parked) {
        return NGX_OK;
    }

    if (ctx->waiters == NULL) {
        ctx->waiters = ngx_array_create(r->pool, 2,
                                        sizeof(ngx_http_request_t *));
        if (ctx->waiters == NULL) {
            return NGX_ERROR;
        }
    }

    w = ctx->waiters->elts;

    for (i = 0; i < ctx->waiters->nelts; i++) {
        if (w[i] == r) {
            return NGX_OK;
        }
    }

    w = ngx_array_push(ctx->waiters);
    if (w == NULL) {
        return NGX_ERROR;
    }

    *w = r;

    return NGX_OK;
}
