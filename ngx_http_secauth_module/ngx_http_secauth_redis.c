
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/evp.h>

#include "ngx_http_secauth_redis.h"
#include "ngx_http_secauth_redis_private.h"


/*
 * hiredis's asynchronous API on nginx's event loop. One connection per
 * worker carries every request's commands (hiredis pipelines them); each
 * command has an nginx timer because hiredis 0.14 has none. A timeout or
 * any connection error drops the connection (every pending command fails
 * at once) and a reconnect is scheduled with capped exponential backoff.
 *
 * This file: the connection's life, from create to destroy; the hiredis
 * adapter and the read path are in ngx_http_secauth_redis_event.c, the
 * commands in ngx_http_secauth_redis_command.c, what a failure does in
 * ngx_http_secauth_redis_outage.c.
 */


static void ngx_http_secauth_redis_connect(ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_handshake(ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_handshake_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_secauth_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_secauth_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_secauth_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_secauth_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_secauth_redis_sha1(ngx_str_t *src, u_char *hex);


ngx_http_secauth_redis_t *
ngx_http_secauth_redis_create(ngx_cycle_t *cycle,
    ngx_http_secauth_redis_conf_t *conf,
    ngx_http_secauth_redis_script_t *scripts, ngx_uint_t nscripts)
{
    ngx_uint_t                 i;
    ngx_http_secauth_redis_t  *rd;

    rd = ngx_pcalloc(cycle->pool, sizeof(ngx_http_secauth_redis_t));
    if (rd == NULL) {
        return NULL;
    }

    rd->conf = conf;
    rd->scripts = scripts;
    rd->nscripts = nscripts;
    rd->log = cycle->log;

    for (i = 0; i < nscripts; i++) {
        ngx_http_secauth_redis_sha1(&scripts[i].source, scripts[i].sha1);
    }

    ngx_queue_init(&rd->free);

    rd->reconnect.handler = ngx_http_secauth_redis_reconnect_handler;
    rd->reconnect.data = rd;
    rd->reconnect.log = rd->log;
    rd->reconnect.cancelable = 1;

    rd->connect_timer.handler = ngx_http_secauth_redis_connect_timeout;
    rd->connect_timer.data = rd;
    rd->connect_timer.log = rd->log;
    rd->connect_timer.cancelable = 1;

    ngx_http_secauth_redis_connect(rd);

    return rd;
}


void
ngx_http_secauth_redis_destroy(ngx_http_secauth_redis_t *rd)
{
    ngx_queue_t                   *q;
    ngx_http_secauth_redis_cmd_t  *cmd;

    rd->exiting = 1;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    ngx_http_secauth_redis_drop(rd);

    while (!ngx_queue_empty(&rd->free)) {
        q = ngx_queue_head(&rd->free);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_secauth_redis_cmd_t, queue);
        ngx_free(cmd);
    }
}


static void
ngx_http_secauth_redis_connect(ngx_http_secauth_redis_t *rd)
{
    char                           *host;
    redisAsyncContext              *ac;
    ngx_http_secauth_redis_conf_t  *conf;

    conf = rd->conf;
    host = (char *) conf->host.data;    /* null-terminated at parse time */

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "secauth redis: connecting to %V", &conf->url);

    if (conf->port) {
        ac = redisAsyncConnect(host, (int) conf->port);

    } else {
        ac = redisAsyncConnectUnix(host);
    }

    if (ac == NULL) {
        ngx_http_secauth_redis_fail(rd, "cannot allocate a connection", "");
        ngx_http_secauth_redis_schedule(rd);
        return;
    }

    if (ac->err) {
        ngx_http_secauth_redis_fail(rd, "connect failed:", ac->errstr);
        redisAsyncFree(ac);
        ngx_http_secauth_redis_schedule(rd);
        return;
    }

    /* the same bytes, framing only: no reply objects are built */

    rd->framing = redisReaderCreateWithFunctions(NULL);

    if (rd->framing == NULL) {
        ngx_http_secauth_redis_fail(rd, "cannot allocate a connection", "");
        redisAsyncFree(ac);
        ngx_http_secauth_redis_schedule(rd);
        return;
    }

    rd->framing->maxbuf = NGX_HTTP_SECAUTH_REDIS_MAXBUF;
    rd->ac = ac;

    if (ngx_http_secauth_redis_attach(rd) != NGX_OK) {
        ngx_http_secauth_redis_fail(rd, "no free nginx connection for",
                                    "redis");
        rd->ac = NULL;
        redisAsyncFree(ac);
        redisReaderFree(rd->framing);
        rd->framing = NULL;
        ngx_http_secauth_redis_schedule(rd);
        return;
    }

    redisAsyncSetConnectCallback(ac, ngx_http_secauth_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_secauth_redis_disconnected);

    rd->state = NGX_HTTP_SECAUTH_REDIS_CONNECTING;

    ngx_add_timer(&rd->connect_timer, conf->connect_timeout);

    ngx_http_secauth_redis_handshake(rd);
}


/*
 * AUTH, SELECT and SCRIPT LOAD go first on every new connection; commands
 * queued meanwhile follow them in the pipeline, so they run authenticated,
 * in the right database, with the scripts loaded.
 */

static void
ngx_http_secauth_redis_handshake(ngx_http_secauth_redis_t *rd)
{
    int                             argc;
    u_char                          db[NGX_INT_T_LEN];
    size_t                          argvlen[3];
    ngx_uint_t                      i;
    const char                     *argv[3];
    redisAsyncContext              *ac;
    ngx_http_secauth_redis_conf_t  *conf;

    ac = rd->ac;
    conf = rd->conf;
    rd->handshake = 0;

    if (conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (conf->user.len) {
            argv[argc] = (const char *) conf->user.data;
            argvlen[argc++] = conf->user.len;
        }

        argv[argc] = (const char *) conf->password.data;
        argvlen[argc++] = conf->password.len;

        if (redisAsyncCommandArgv(ac, ngx_http_secauth_redis_handshake_reply,
                                  (void *) "AUTH", argc, argv, argvlen)
            == REDIS_OK)
        {
            rd->handshake++;
        }
    }

    if (conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (const char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", conf->db) - db;

        if (redisAsyncCommandArgv(ac, ngx_http_secauth_redis_handshake_reply,
                                  (void *) "SELECT", 2, argv, argvlen)
            == REDIS_OK)
        {
            rd->handshake++;
        }
    }

    for (i = 0; i < rd->nscripts; i++) {
        argv[0] = "SCRIPT";
        argvlen[0] = 6;
        argv[1] = "LOAD";
        argvlen[1] = 4;
        argv[2] = (const char *) rd->scripts[i].source.data;
        argvlen[2] = rd->scripts[i].source.len;

        if (redisAsyncCommandArgv(ac, ngx_http_secauth_redis_handshake_reply,
                                  (void *) "SCRIPT LOAD", 3, argv, argvlen)
            == REDIS_OK)
        {
            rd->handshake++;
        }
    }

    /* PING: at least one reply proves the connection works */

    argv[0] = "PING";
    argvlen[0] = 4;

    if (redisAsyncCommandArgv(ac, ngx_http_secauth_redis_handshake_reply,
                              (void *) "PING", 1, argv, argvlen)
        == REDIS_OK)
    {
        rd->handshake++;
    }
}


static void
ngx_http_secauth_redis_handshake_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply  *reply = r;

    ngx_http_secauth_redis_t  *rd;

    rd = ac->data;

    if (reply == NULL || rd == NULL || rd->ac != ac) {
        return;     /* the connection is going away */
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_secauth_redis_fail(rd, privdata, reply->str);
        redisAsyncFree(ac);     /* deferred by hiredis until we return */
        return;
    }

    if (--rd->handshake > 0) {
        return;
    }

    rd->state = NGX_HTTP_SECAUTH_REDIS_READY;
    rd->ready_since = ngx_current_msec ? ngx_current_msec : 1;
    rd->backoff = 0;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->outage_logged) {
        rd->outage_logged = 0;
        rd->cause_len = 0;
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "secauth: redis %V is available again", &rd->conf->url);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "secauth redis: connected to %V", &rd->conf->url);
    }
}


static void
ngx_http_secauth_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_secauth_redis_t  *rd;

    rd = ac->data;

    if (status != REDIS_OK && rd) {
        ngx_http_secauth_redis_fail(rd, "connect failed:", ac->errstr);
    }
}


static void
ngx_http_secauth_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_secauth_redis_t  *rd;

    rd = ac->data;

    if (status != REDIS_OK && rd && !rd->exiting) {
        ngx_http_secauth_redis_fail(rd, "connection lost:",
                                    ac->errstr ? ac->errstr : "closed");
    }
}


static void
ngx_http_secauth_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_secauth_redis_t  *rd = ev->data;

    if (rd->exiting || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_http_secauth_redis_connect(rd);
}


static void
ngx_http_secauth_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_secauth_redis_t  *rd = ev->data;

    ngx_http_secauth_redis_fail(rd, "connect timed out", "");
    ngx_http_secauth_redis_drop(rd);
}


static void
ngx_http_secauth_redis_sha1(ngx_str_t *src, u_char *hex)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  len;

    len = 0;

    if (EVP_Digest(src->data, src->len, md, &len, EVP_sha1(), NULL) != 1
        || len != 20)
    {
        ngx_memzero(hex, 41);
        return;
    }

    ngx_hex_dump(hex, md, 20);
    hex[40] = '\0';
}
