
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/evp.h>

#include "ngx_http_secauth_redis.h"


/*
 * hiredis's asynchronous API on nginx's event loop. One connection per
 * worker carries every request's commands (hiredis pipelines them); each
 * command has an nginx timer because hiredis 0.14 has none. A timeout or
 * any connection error drops the connection (every pending command fails
 * at once) and a reconnect is scheduled with capped exponential backoff.
 *
 * The socket is read here rather than by hiredis: hiredis (0.14 and 1.x)
 * aborts the process on a reply other than an error that no command
 * waits for, so the replies of each read are counted first, and one more
 * than the commands in flight drops the connection instead.
 */


#define NGX_HTTP_SECAUTH_REDIS_DOWN        0
#define NGX_HTTP_SECAUTH_REDIS_CONNECTING  1
#define NGX_HTTP_SECAUTH_REDIS_READY       2

#define NGX_HTTP_SECAUTH_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_SECAUTH_REDIS_BACKOFF_MAX  2000
#define NGX_HTTP_SECAUTH_REDIS_STABLE       1000

#define NGX_HTTP_SECAUTH_REDIS_MAXBUF       (16 * 1024)
#define NGX_HTTP_SECAUTH_REDIS_MAXELEMENTS  (64 * 1024)
#define NGX_HTTP_SECAUTH_REDIS_MAXREPLY     (1024 * 1024)
#define NGX_HTTP_SECAUTH_REDIS_READ         (16 * 1024)

#define NGX_HTTP_SECAUTH_REDIS_CAUSE_LEN    256
#define NGX_HTTP_SECAUTH_REDIS_CAUSE_EVERY  1000


struct ngx_http_secauth_redis_s {
    ngx_http_secauth_redis_conf_t       *conf;
    ngx_http_secauth_redis_script_t     *scripts;
    ngx_uint_t                           nscripts;

    redisAsyncContext                   *ac;
    redisReader                         *framing;   /* counts replies */
    ngx_connection_t                    *connection;
    ngx_uint_t                           state;
    ngx_uint_t                           handshake;   /* replies awaited */

    ngx_event_t                          reconnect;
    ngx_event_t                          connect_timer;
    ngx_msec_t                           backoff;
    ngx_msec_t                           ready_since;   /* 0: not ready */

    ngx_queue_t                          free;        /* spare commands */
    ngx_log_t                           *log;

#if !(NGX_HTTP_SECAUTH_HAVE_HIREDIS_1)
    /* hiredis 0.14 has no limit on array replies: ours wraps its own */
    redisReplyObjectFunctions            reply_fns;
    void                              *(*create_array)(const redisReadTask *t,
                                                        int elements);
#endif

    time_t                               last_reply_log;

    /* the outage cause last logged, and when; cause_changed: "still" */
    ngx_msec_t                           cause_logged;
    size_t                               cause_len;
    u_char                  cause[NGX_HTTP_SECAUTH_REDIS_CAUSE_LEN];

    unsigned                             outage_logged:1;
    unsigned                             cause_changed:1;
    unsigned                             exiting:1;
};


struct ngx_http_secauth_redis_cmd_s {
    ngx_queue_t                          queue;
    ngx_http_secauth_redis_t            *rd;

    ngx_http_secauth_redis_handler_pt    handler;
    void                                *data;
    ngx_event_t                          timer;

    /* for EVAL after NOSCRIPT: the script and a copy of the arguments */
    ngx_http_secauth_redis_script_t     *script;
    int                                  argc;
    u_char                              *args;
    const char                   *argv[NGX_HTTP_SECAUTH_REDIS_MAX_ARGS];
    size_t                        argvlen[NGX_HTTP_SECAUTH_REDIS_MAX_ARGS];

    unsigned                             done:1;      /* answered */
    unsigned                             queued:1;    /* hiredis holds it */
    unsigned                             retried:1;   /* EVAL was sent */
};


/*
 * What redisAsyncHandleRead() calls after reading: exported by every
 * hiredis from 0.10 to 1.x, declared in none of its headers (config checks
 * that it links).
 */
void redisProcessCallbacks(redisAsyncContext *ac);

static void ngx_http_secauth_redis_connect(ngx_http_secauth_redis_t *rd);
static ngx_int_t ngx_http_secauth_redis_attach(ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_handshake(ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_handshake_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_http_secauth_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_secauth_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_secauth_redis_fail(ngx_http_secauth_redis_t *rd,
    const char *reason, const char *detail);
static void ngx_http_secauth_redis_drop(ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_schedule(ngx_http_secauth_redis_t *rd);
static void ngx_http_secauth_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_secauth_redis_connect_timeout(ngx_event_t *ev);
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
static void ngx_http_secauth_redis_read_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_secauth_redis_count(ngx_http_secauth_redis_t *rd,
    const char *buf, size_t len);
static void ngx_http_secauth_redis_write_handler(ngx_event_t *ev);
static void ngx_http_secauth_redis_add_read(void *privdata);
static void ngx_http_secauth_redis_del_read(void *privdata);
static void ngx_http_secauth_redis_add_write(void *privdata);
static void ngx_http_secauth_redis_del_write(void *privdata);
static void ngx_http_secauth_redis_cleanup(void *privdata);
static void ngx_http_secauth_redis_sha1(ngx_str_t *src, u_char *hex);
#if !(NGX_HTTP_SECAUTH_HAVE_HIREDIS_1)
static void *ngx_http_secauth_redis_create_array(const redisReadTask *task,
    int elements);
#endif


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

    rd->state = NGX_HTTP_SECAUTH_REDIS_CONNECTING;

    ngx_add_timer(&rd->connect_timer, conf->connect_timeout);

    ngx_http_secauth_redis_handshake(rd);
}


/* the hiredis socket becomes an nginx connection with level events */

static ngx_int_t
ngx_http_secauth_redis_attach(ngx_http_secauth_redis_t *rd)
{
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    ac = rd->ac;

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = rd;
    c->read->handler = ngx_http_secauth_redis_read_handler;
    c->write->handler = ngx_http_secauth_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    rd->connection = c;

    /*
     * A reply of "*2147483647" would make hiredis allocate, and on error
     * walk, a 16 GiB array: arrays are capped, and bulk replies by the
     * buffer check in the read handler.
     */

    ac->c.reader->maxbuf = NGX_HTTP_SECAUTH_REDIS_MAXBUF;
#if (NGX_HTTP_SECAUTH_HAVE_HIREDIS_1)
    ac->c.reader->maxelements = NGX_HTTP_SECAUTH_REDIS_MAXELEMENTS;
#else
    rd->reply_fns = *ac->c.reader->fn;
    rd->create_array = rd->reply_fns.createArray;
    rd->reply_fns.createArray = ngx_http_secauth_redis_create_array;
    ac->c.reader->fn = &rd->reply_fns;
    ac->c.reader->privdata = rd;
#endif

    ac->data = rd;
    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_secauth_redis_add_read;
    ac->ev.delRead = ngx_http_secauth_redis_del_read;
    ac->ev.addWrite = ngx_http_secauth_redis_add_write;
    ac->ev.delWrite = ngx_http_secauth_redis_del_write;
    ac->ev.cleanup = ngx_http_secauth_redis_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_http_secauth_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_secauth_redis_disconnected);

    return NGX_OK;
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


/*
 * An outage is logged at error level when it starts, and again ("still
 * unavailable") when a later attempt fails for another reason, e.g. the
 * connection was lost and the reconnect is refused with NOAUTH: the log
 * names the latest cause. A retry that fails the same way is logged only
 * at debug level, and "still unavailable" at most once a second.
 */

static void
ngx_http_secauth_redis_fail(ngx_http_secauth_redis_t *rd, const char *reason,
    const char *detail)
{
    u_char  *last;
    size_t   len;
    u_char   cause[NGX_HTTP_SECAUTH_REDIS_CAUSE_LEN];

    last = ngx_snprintf(cause, sizeof(cause), "%s%s%s", reason,
                        detail[0] ? " " : "", detail);
    len = last - cause;

    if (rd->exiting
        || (rd->outage_logged
            && ((len == rd->cause_len
                 && ngx_memcmp(cause, rd->cause, len) == 0)
                || (rd->cause_changed
                    && ngx_current_msec - rd->cause_logged
                       < NGX_HTTP_SECAUTH_REDIS_CAUSE_EVERY))))
    {
        ngx_log_debug3(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                       "secauth redis: %V: %*s", &rd->conf->url, len,
                       cause);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "secauth: redis %V %sunavailable: %*s", &rd->conf->url,
                  rd->outage_logged ? "still " : "", len, cause);

    rd->cause_changed = rd->outage_logged;
    rd->outage_logged = 1;
    rd->cause_logged = ngx_current_msec;
    rd->cause_len = len;
    ngx_memcpy(rd->cause, cause, len);
}


/*
 * Frees the hiredis context: pending commands are answered with a NULL
 * reply, the cleanup hook closes the nginx connection, and a reconnect is
 * scheduled.
 */

static void
ngx_http_secauth_redis_drop(ngx_http_secauth_redis_t *rd)
{
    redisAsyncContext  *ac;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    ac = rd->ac;

    if (ac == NULL) {
        return;
    }

    redisAsyncFree(ac);
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


/*
 * What redisAsyncHandleRead() does, with the replies counted before
 * hiredis dispatches any: a surplus means the stream is out of step (one
 * of the replies answers some other command), so none of them is used.
 */

static void
ngx_http_secauth_redis_read_handler(ngx_event_t *ev)
{
    u_char                    *p;
    ssize_t                    n;
    ngx_err_t                  err;
    redisReader               *reader;
    ngx_connection_t          *c;
    redisAsyncContext         *ac;
    ngx_http_secauth_redis_t  *rd;
    u_char                     msg[NGX_MAX_ERROR_STR];
    char                       buf[NGX_HTTP_SECAUTH_REDIS_READ];

    c = ev->data;
    rd = c->data;
    ac = rd->ac;

    if (ac == NULL) {
        return;
    }

    if (!(ac->c.flags & REDIS_CONNECTED)) {

        /* hiredis completes a connect on either event */

        redisAsyncHandleWrite(ac);

        if (rd->ac != ac || !(ac->c.flags & REDIS_CONNECTED)) {
            return;
        }
    }

    n = recv(c->fd, buf, sizeof(buf), 0);

    if (n == -1) {
        err = ngx_socket_errno;

        if (err == NGX_EAGAIN || err == NGX_EINTR) {
            return;
        }

        p = ngx_strerror(err, msg, sizeof(msg) - 1);
        *p = '\0';

        ngx_http_secauth_redis_fail(rd, "connection lost:", (char *) msg);
        ngx_http_secauth_redis_drop(rd);
        return;
    }

    if (n == 0) {
        ngx_http_secauth_redis_fail(rd, "connection lost:",
                                    "Server closed the connection");
        ngx_http_secauth_redis_drop(rd);
        return;
    }

    if (ngx_http_secauth_redis_count(rd, buf, (size_t) n) != NGX_OK) {
        ngx_http_secauth_redis_drop(rd);
        return;
    }

    if (redisReaderFeed(ac->c.reader, buf, n) != REDIS_OK) {
        ngx_http_secauth_redis_fail(rd, "cannot buffer a reply", "");
        ngx_http_secauth_redis_drop(rd);
        return;
    }

    redisProcessCallbacks(ac);

    /* no reply of ours is anywhere near a megabyte: a broken server */

    if (rd->ac) {
        reader = rd->ac->c.reader;

        if (reader->len - reader->pos > NGX_HTTP_SECAUTH_REDIS_MAXREPLY) {
            ngx_http_secauth_redis_fail(rd, "reply too large", "");
            ngx_http_secauth_redis_drop(rd);
        }
    }
}


/*
 * The framing reader sees the bytes hiredis's reader is about to see, and
 * every reply hiredis's reader held before is already dispatched: the
 * complete replies it finds now are those hiredis will dispatch, each to
 * the next callback waiting (handshake and commands alike, EVAL after
 * NOSCRIPT included). The replies before a protocol error are counted;
 * hiredis reports the error itself once it reaches it.
 */

static ngx_int_t
ngx_http_secauth_redis_count(ngx_http_secauth_redis_t *rd, const char *buf,
    size_t len)
{
    void           *reply;
    ngx_uint_t      replies, pending;
    redisCallback  *cb;

    if (redisReaderFeed(rd->framing, buf, len) != REDIS_OK) {
        ngx_http_secauth_redis_fail(rd, "cannot read a reply:",
                                    rd->framing->errstr);
        return NGX_ERROR;
    }

    pending = 0;

    for (cb = rd->ac->replies.head; cb; cb = cb->next) {
        pending++;
    }

    replies = 0;

    while (redisReaderGetReply(rd->framing, &reply) == REDIS_OK
           && reply != NULL)
    {
        replies++;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "secauth redis: %ui replies for %ui commands",
                   replies, pending);

    if (replies <= pending) {
        return NGX_OK;
    }

    ngx_http_secauth_redis_fail(rd, "unsolicited reply:",
                                "more replies than commands sent");

    return NGX_ERROR;
}


static void
ngx_http_secauth_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c = ev->data;
    ngx_http_secauth_redis_t  *rd = c->data;

    if (rd->ac) {
        redisAsyncHandleWrite(rd->ac);
    }
}


/*
 * hiredis reads and writes once per call, so the events are level-
 * triggered: data left in the socket fires the event again.
 */

static void
ngx_http_secauth_redis_add_read(void *privdata)
{
    ngx_http_secauth_redis_t  *rd = privdata;

    if (rd->connection && !rd->connection->read->active) {
        if (ngx_add_event(rd->connection->read, NGX_READ_EVENT,
                          NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "secauth: redis read event failed");
        }
    }
}


static void
ngx_http_secauth_redis_del_read(void *privdata)
{
    ngx_http_secauth_redis_t  *rd = privdata;

    if (rd->connection && rd->connection->read->active) {
        (void) ngx_del_event(rd->connection->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_secauth_redis_add_write(void *privdata)
{
    ngx_http_secauth_redis_t  *rd = privdata;

    if (rd->connection && !rd->connection->write->active) {
        if (ngx_add_event(rd->connection->write, NGX_WRITE_EVENT,
                          NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "secauth: redis write event failed");
        }
    }
}


static void
ngx_http_secauth_redis_del_write(void *privdata)
{
    ngx_http_secauth_redis_t  *rd = privdata;

    if (rd->connection && rd->connection->write->active) {
        (void) ngx_del_event(rd->connection->write, NGX_WRITE_EVENT, 0);
    }
}


/* called by hiredis when it frees the context, after the pending replies */

static void
ngx_http_secauth_redis_cleanup(void *privdata)
{
    ngx_http_secauth_redis_t  *rd = privdata;

    if (rd->connection) {
        ngx_close_connection(rd->connection);
        rd->connection = NULL;

        /* hiredis would close the descriptor again, maybe someone else's */
        rd->ac->c.fd = -1;
    }

    if (rd->framing) {
        redisReaderFree(rd->framing);
        rd->framing = NULL;
    }

    rd->ac = NULL;
    rd->state = NGX_HTTP_SECAUTH_REDIS_DOWN;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    ngx_http_secauth_redis_schedule(rd);
}


static void
ngx_http_secauth_redis_schedule(ngx_http_secauth_redis_t *rd)
{
    ngx_msec_t  delay;

    if (rd->exiting || ngx_exiting || ngx_terminate || ngx_quit
        || rd->reconnect.timer_set)
    {
        return;
    }

    /*
     * A connection that worked for a second or more is retried at once (a
     * Redis restart, a killed client); one that worked briefly after 100ms;
     * attempts that fail in a row back off 200ms, 400ms, ... up to 2s, so
     * that a flapping or dead server costs little.
     */

    if (rd->ready_since
        && ngx_current_msec - rd->ready_since >= NGX_HTTP_SECAUTH_REDIS_STABLE)
    {
        rd->backoff = 0;
        delay = 1;

    } else {
        rd->backoff = rd->backoff
                      ? ngx_min(rd->backoff * 2,
                                NGX_HTTP_SECAUTH_REDIS_BACKOFF_MAX)
                      : NGX_HTTP_SECAUTH_REDIS_BACKOFF_MIN;
        delay = rd->backoff;
    }

    rd->ready_since = 0;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rd->log, 0,
                   "secauth redis: reconnect in %M ms", delay);

    ngx_add_timer(&rd->reconnect, delay);
}


#if !(NGX_HTTP_SECAUTH_HAVE_HIREDIS_1)

/* NULL makes hiredis fail the reply (out of memory) and disconnect */

static void *
ngx_http_secauth_redis_create_array(const redisReadTask *task, int elements)
{
    ngx_http_secauth_redis_t  *rd = task->privdata;

    if (elements < 0 || elements > NGX_HTTP_SECAUTH_REDIS_MAXELEMENTS) {
        return NULL;
    }

    return rd->create_array(task, elements);
}

#endif


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
