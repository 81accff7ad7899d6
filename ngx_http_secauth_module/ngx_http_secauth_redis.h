
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_REDIS_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "ngx_http_secauth_redis_conf.h"


/* EVALSHA, its sha, then a script's own: 3 + 3 x 16 for limit_take */
#define NGX_HTTP_SECAUTH_REDIS_MAX_ARGS  64


typedef struct ngx_http_secauth_redis_s      ngx_http_secauth_redis_t;
typedef struct ngx_http_secauth_redis_cmd_s  ngx_http_secauth_redis_cmd_t;

/* reply is NULL when the command failed: timeout, lost connection */
typedef void (*ngx_http_secauth_redis_handler_pt)(void *data,
    redisReply *reply);


/* a Lua script run with EVALSHA (EVAL after NOSCRIPT) */
typedef struct {
    const char                 *name;
    ngx_str_t                   source;
    u_char                      sha1[41];
} ngx_http_secauth_redis_script_t;


ngx_http_secauth_redis_t *ngx_http_secauth_redis_create(ngx_cycle_t *cycle,
    ngx_http_secauth_redis_conf_t *conf,
    ngx_http_secauth_redis_script_t *scripts, ngx_uint_t nscripts);
void ngx_http_secauth_redis_destroy(ngx_http_secauth_redis_t *rd);

/*
 * Queue a command; argv values are copied by hiredis, binary-safe.
 * NGX_OK: handler(data, reply) will be called exactly once, later, unless
 * the command is cancelled; NGX_ERROR: Redis is down (no call).
 */
ngx_int_t ngx_http_secauth_redis_command(ngx_http_secauth_redis_t *rd,
    ngx_http_secauth_redis_handler_pt handler, void *data, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_secauth_redis_cmd_t **cmdp);
ngx_int_t ngx_http_secauth_redis_eval(ngx_http_secauth_redis_t *rd,
    ngx_uint_t script, ngx_http_secauth_redis_handler_pt handler,
    void *data, int argc, const char **argv, const size_t *argvlen,
    ngx_http_secauth_redis_cmd_t **cmdp);
void ngx_http_secauth_redis_cancel(ngx_http_secauth_redis_cmd_t *cmd);

/* the reply is an error; logs it (rate-limited) with what was attempted */
void ngx_http_secauth_redis_log_reply(ngx_http_secauth_redis_t *rd,
    const char *what, redisReply *reply);


#endif /* _NGX_HTTP_SECAUTH_REDIS_H_INCLUDED_ */
