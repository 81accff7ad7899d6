
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_POLICY_CONF_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_POLICY_CONF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_secauth_policy.h"


/*
 * secauth_password_policy [min=12] [max=128] [strength=3]
 * [blocklist=PATH] (docs/passwords.md). A location without the directive
 * inherits one; where none is set, the defaults apply: there is always a
 * policy wherever a password is set (change, reset, the admin tool).
 */
typedef struct {
    ngx_http_secauth_policy_t   policy;   /* policy.blocklist: or NULL */
    ngx_str_t                   blocklist_path;
} ngx_http_secauth_policy_conf_t;


char *ngx_http_secauth_password_policy_conf(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_secauth_password_policy_merge(ngx_conf_t *cf,
    ngx_http_secauth_policy_conf_t **conf,
    ngx_http_secauth_policy_conf_t *prev);

/*
 * For the handlers that set passwords: every reason the password fails
 * (NGX_HTTP_SECAUTH_POLICY_* bits), 0 when it passes. user is the user
 * name, fields other strings of the user's record (NULL-terminated, or
 * NULL). A password over NGX_HTTP_SECAUTH_PASSWORD_BYTES is TOO_LONG
 * alone, unexamined. NGX_HTTP_SECAUTH_POLICY_ERROR (logged here) is a
 * refusal too: answer 500. CPU on the event loop: at most about a
 * millisecond for 128 code points (docs/passwords.md).
 */
ngx_uint_t ngx_http_secauth_password_policy_check(ngx_log_t *log,
    ngx_http_secauth_policy_conf_t *pc, ngx_str_t *password,
    ngx_str_t *user, const char *const *fields);

/*
 * The reasons as the JSON array of codes (json) for
 * {"error":"weak_password","reasons":[...]}, or as English sentences for
 * a page (HTML-safe: plain ASCII without markup), from pool.
 */
ngx_int_t ngx_http_secauth_password_policy_reasons(ngx_pool_t *pool,
    ngx_http_secauth_policy_conf_t *pc, ngx_uint_t reasons,
    ngx_flag_t json, ngx_str_t *out);


#endif /* _NGX_HTTP_SECAUTH_POLICY_CONF_H_INCLUDED_ */
