
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_secauth_redis.h"
#include "ngx_http_secauth_redis_private.h"


/*
 * Commands on the connection. Each has an nginx timer, because hiredis
 * 0.14 has none: a timeout answers the command and drops the connection,
 * since a late reply would be matched to the wrong command. A script
 * runs with EVALSHA, and again with EVAL when the server answers
 * NOSCRIPT (a restart or SCRIPT FLUSH lost it). Spare commands are kept
 * for reuse.
 */


static ngx_http_secauth_redis_cmd_t *ngx_http_secauth_redis_cmd_get(
    ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_cmd_free(ngx_http_secauth_redis_cmd_t *cmd);
static void ngx_http_secauth_redis_cmd_finish(ngx_http_secauth_redis_cmd_t *cmd,
    redisReply *reply);
static ngx_int_t ngx_http_secauth_redis_send(ngx_http_secauth_redis_cmd_t *cmd,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_secauth_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_http_secauth_redis_cmd_timeout(ngx_event_t *ev);


ngx_int_t
ngx_http_secauth_redis_command(ngx_http_secauth_redis_t *rd,
    ngx_http_secauth_redis_handler_pt handler, void *data, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_secauth_redis_cmd_t **cmdp)
{
    ngx_http_secauth_redis_cmd_t  *cmd;

    if (rd->ac == NULL) {
        return NGX_ERROR;
    }

    cmd = ngx_http_secauth_redis_cmd_get(rd);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    cmd->handler = handler;
    cmd->data = data;

    if (ngx_http_secauth_redis_send(cmd, argc, argv, argvlen) != NGX_OK) {
        ngx_http_secauth_redis_cmd_free(cmd);
        return NGX_ERROR;
    }

    *cmdp = cmd;

    return NGX_OK;
}


/* EVALSHA sha numkeys keys... args...; argv starts at numkeys */

ngx_int_t
ngx_http_secauth_redis_eval(ngx_http_secauth_redis_t *rd, ngx_uint_t script,
    ngx_http_secauth_redis_handler_pt handler, void *data, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_secauth_redis_cmd_t **cmdp)
{
    int                            i;
    size_t                         len;
    u_char                        *p;
    ngx_http_secauth_redis_cmd_t  *cmd;

    if (rd->ac == NULL) {
        return NGX_ERROR;
    }

    if (script >= rd->nscripts
        || argc + 2 > NGX_HTTP_SECAUTH_REDIS_MAX_ARGS)
    {
        ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                      "secauth: bad redis script call");
        return NGX_ERROR;
    }

    cmd = ngx_http_secauth_redis_cmd_get(rd);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    cmd->handler = handler;
    cmd->data = data;
    cmd->script = &rd->scripts[script];

    len = 0;
    for (i = 0; i < argc; i++) {
        len += argvlen[i];
    }

    cmd->args = ngx_alloc(len + 1, rd->log);
    if (cmd->args == NULL) {
        ngx_http_secauth_redis_cmd_free(cmd);
        return NGX_ERROR;
    }

    cmd->argc = argc + 2;
    cmd->argv[0] = "EVALSHA";
    cmd->argvlen[0] = sizeof("EVALSHA") - 1;
    cmd->argv[1] = (const char *) cmd->script->sha1;
    cmd->argvlen[1] = 40;

    p = cmd->args;

    for (i = 0; i < argc; i++) {
        cmd->argv[i + 2] = (const char *) p;
        cmd->argvlen[i + 2] = argvlen[i];
        p = ngx_cpymem(p, argv[i], argvlen[i]);
    }

    if (ngx_http_secauth_redis_send(cmd, cmd->argc, cmd->argv, cmd->argvlen)
        != NGX_OK)
    {
        ngx_http_secauth_redis_cmd_free(cmd);
        return NGX_ERROR;
    }

    *cmdp = cmd;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_redis_send(ngx_http_secauth_redis_cmd_t *cmd, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_http_secauth_redis_t  *rd;

    rd = cmd->rd;

    if (redisAsyncCommandArgv(rd->ac, ngx_http_secauth_redis_reply, cmd,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    cmd->queued = 1;

    if (!cmd->timer.timer_set) {
        ngx_add_timer(&cmd->timer, rd->conf->timeout);
    }

    return NGX_OK;
}


void
ngx_http_secauth_redis_cancel(ngx_http_secauth_redis_cmd_t *cmd)
{
    cmd->data = NULL;
    cmd->done = 1;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }
}


static void
ngx_http_secauth_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply                    *reply = r;
    ngx_http_secauth_redis_cmd_t  *cmd = privdata;

    static const char  noscript[] = "NOSCRIPT";

    cmd->queued = 0;

    /* the server lost our scripts (restart, SCRIPT FLUSH): EVAL instead */

    if (reply && reply->type == REDIS_REPLY_ERROR && cmd->script
        && !cmd->done && !cmd->retried
        && ngx_strncmp(reply->str, noscript, sizeof(noscript) - 1) == 0
        && cmd->rd->ac == ac)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cmd->rd->log, 0,
                       "secauth redis: NOSCRIPT for \"%s\", using EVAL",
                       cmd->script->name);

        cmd->retried = 1;
        cmd->argv[0] = "EVAL";
        cmd->argvlen[0] = sizeof("EVAL") - 1;
        cmd->argv[1] = (const char *) cmd->script->source.data;
        cmd->argvlen[1] = cmd->script->source.len;

        if (ngx_http_secauth_redis_send(cmd, cmd->argc, cmd->argv,
                                        cmd->argvlen)
            == NGX_OK)
        {
            return;
        }
    }

    ngx_http_secauth_redis_cmd_finish(cmd, reply);
    ngx_http_secauth_redis_cmd_free(cmd);
}


static void
ngx_http_secauth_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_http_secauth_redis_t      *rd;
    ngx_http_secauth_redis_cmd_t  *cmd;

    cmd = ev->data;
    rd = cmd->rd;

    ngx_http_secauth_redis_fail(rd, "command timed out", "");

    ngx_http_secauth_redis_cmd_finish(cmd, NULL);

    /* a late reply would be matched to the wrong command: drop it all */

    ngx_http_secauth_redis_drop(rd);
}


static void
ngx_http_secauth_redis_cmd_finish(ngx_http_secauth_redis_cmd_t *cmd,
    redisReply *reply)
{
    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    if (cmd->done) {
        return;
    }

    cmd->done = 1;

    if (cmd->data) {
        cmd->handler(cmd->data, reply);
    }
}


static ngx_http_secauth_redis_cmd_t *
ngx_http_secauth_redis_cmd_get(ngx_http_secauth_redis_t *rd)
{
    ngx_queue_t                   *q;
    ngx_http_secauth_redis_cmd_t  *cmd;

    if (!ngx_queue_empty(&rd->free)) {
        q = ngx_queue_head(&rd->free);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_secauth_redis_cmd_t, queue);

    } else {
        cmd = ngx_alloc(sizeof(ngx_http_secauth_redis_cmd_t), rd->log);
        if (cmd == NULL) {
            return NULL;
        }
    }

    ngx_memzero(cmd, sizeof(ngx_http_secauth_redis_cmd_t));

    cmd->rd = rd;
    cmd->timer.handler = ngx_http_secauth_redis_cmd_timeout;
    cmd->timer.data = cmd;
    cmd->timer.log = rd->log;

    return cmd;
}


static void
ngx_http_secauth_redis_cmd_free(ngx_http_secauth_redis_cmd_t *cmd)
{
    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    if (cmd->args) {
        ngx_free(cmd->args);
        cmd->args = NULL;
    }

    if (cmd->rd->exiting) {
        ngx_free(cmd);
        return;
    }

    ngx_queue_insert_head(&cmd->rd->free, &cmd->queue);
}


void
ngx_http_secauth_redis_log_reply(ngx_http_secauth_redis_t *rd,
    const char *what, redisReply *reply)
{
    /* an error reply is logged at most once a second per worker */

    if (rd->last_reply_log == ngx_time()) {
        return;
    }

    rd->last_reply_log = ngx_time();

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "secauth: redis %V: %s failed: %*s", &rd->conf->url,
                      what, (size_t) ngx_min(reply->len, 200), reply->str);

    } else {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "secauth: redis %V: %s: unexpected reply type %d",
                      &rd->conf->url, what, reply->type);
    }
}
