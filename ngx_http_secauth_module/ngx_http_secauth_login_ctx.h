
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_LOGIN_CTX_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_LOGIN_CTX_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_password.h"


/*
 * What the files of secauth_login and secauth_logout share, from the
 * top: ngx_http_secauth_login.c and ngx_http_secauth_logout.c (the
 * handlers) call ngx_http_secauth_login_check.c (the credential check),
 * and all of them ngx_http_secauth_login_page.c (what they answer and the
 * cookie); none calls a file above it.
 */


#define NGX_HTTP_SECAUTH_LOGIN_USER     1
#define NGX_HTTP_SECAUTH_LOGIN_VERIFY   2
#define NGX_HTTP_SECAUTH_LOGIN_STORE    3
#define NGX_HTTP_SECAUTH_LOGOUT_GET     4
#define NGX_HTTP_SECAUTH_LOGOUT_DELETE  5
#define NGX_HTTP_SECAUTH_LOGIN_THROTTLE 6
#define NGX_HTTP_SECAUTH_LOGIN_FAMILY   7
#define NGX_HTTP_SECAUTH_LOGOUT_FAMILY  8
#define NGX_HTTP_SECAUTH_LOGIN_PAD      9
#define NGX_HTTP_SECAUTH_LOGIN_MFA      10
#define NGX_HTTP_SECAUTH_LOGIN_MFA_CODE 11
#define NGX_HTTP_SECAUTH_LOGIN_MFA_PENDING 12
#define NGX_HTTP_SECAUTH_LOGIN_MFA_ISSUED  13


/* a login or a logout, in ctx->login */

typedef struct {
    ngx_uint_t                          state;
    ngx_flag_t                          json;
    ngx_flag_t                          known;
    ngx_flag_t                          everywhere;
    ngx_flag_t                          bearer;       /* logout by token */
    ngx_uint_t                          pwv;          /* the user's */
    ngx_str_t                           username;
    ngx_str_t                           password;
    ngx_str_t                           otp;          /* a TOTP or backup
                                                         code, or none */
    ngx_uint_t                          level;        /* AMR_* bits */
    ngx_str_t                           pending;      /* an mfa_token */
    ngx_uint_t                          tries;        /* its wrong codes */
    time_t                              pending_exp;
    uint64_t                            gen;          /* backup-code set */
    unsigned                            old_key:1;    /* tried it too */
    unsigned                            retry:1;      /* pending kept */
    ngx_str_t                           next;
    ngx_str_t                           hash;
    ngx_str_t                           sid;          /* the new cookie */
    ngx_http_secauth_family_t           family;       /* the new tokens */
    ngx_http_secauth_password_task_t   *task;
    ngx_str_t                           new_password;  /* to hash once
                                                          the password
                                                          matches */
    unsigned                            hash_only:1;   /* no password
                                                          to check */

    /* the throttle's count of this attempt, taken back unless it failed */
    ngx_http_request_t                 *request;
    ngx_http_secauth_store_op_t        *release;
    ngx_uint_t                          attempt;
    unsigned                            counted:1;
    unsigned                            settled:1;
} ngx_http_secauth_login_ctx_t;


/* ngx_http_secauth_login_check.c */
ngx_int_t ngx_http_secauth_login_attempt(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
ngx_int_t ngx_http_secauth_login_throttled(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
ngx_int_t ngx_http_secauth_login_verify(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
ngx_flag_t ngx_http_secauth_login_verified(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
ngx_int_t ngx_http_secauth_login_failed(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
void ngx_http_secauth_login_user_found(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
ngx_int_t ngx_http_secauth_login_forget(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);

/* ngx_http_secauth_mfa_login.c */
ngx_int_t ngx_http_secauth_mfa_login(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
ngx_int_t ngx_http_secauth_mfa_login_step(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
ngx_int_t ngx_http_secauth_mfa_login_parse(ngx_http_request_t *r,
    void *obj, ngx_http_secauth_login_ctx_t *lctx);
ngx_int_t ngx_http_secauth_mfa_login_resume(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_http_event_handler_pt next);
ngx_int_t ngx_http_secauth_mfa_login_form(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_str_t *body);
ngx_int_t ngx_http_secauth_mfa_login_refuse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);
ngx_int_t ngx_http_secauth_mfa_login_done(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx);

/* ngx_http_secauth_login_page.c */
ngx_int_t ngx_http_secauth_login_form(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *next);
ngx_int_t ngx_http_secauth_login_refuse(ngx_http_request_t *r,
    ngx_http_secauth_login_ctx_t *lctx, ngx_uint_t status,
    ngx_msec_t locked);
void ngx_http_secauth_login_finish(ngx_http_request_t *r, ngx_int_t rc);
void ngx_http_secauth_safe_next(ngx_http_request_t *r, ngx_str_t *next);
void ngx_http_secauth_next_arg(ngx_http_request_t *r, ngx_str_t *next);
ngx_int_t ngx_http_secauth_set_cookie(ngx_http_request_t *r,
    ngx_str_t *value, time_t max_age);
ngx_int_t ngx_http_secauth_set_named_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value, time_t max_age);
ngx_int_t ngx_http_secauth_presented_session(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op);
ngx_int_t ngx_http_secauth_session_new(ngx_http_request_t *r,
    ngx_http_secauth_store_op_t *op, ngx_str_t *user, ngx_uint_t level,
    ngx_uint_t pwv, ngx_str_t *sid);


#endif /* _NGX_HTTP_SECAUTH_LOGIN_CTX_H_INCLUDED_ */
