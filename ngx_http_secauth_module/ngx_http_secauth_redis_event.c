
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_secauth_redis.h"
#include "ngx_http_secauth_redis_private.h"


/*
 * hiredis's asynchronous API on an nginx connection: hiredis writes
 * through the event hooks below, and the socket is read here rather than
 * by hiredis: hiredis (0.14 and 1.x) aborts the process on a reply other
 * than an error that no command waits for, so the replies of each read
 * are counted first, and one more than the commands in flight drops the
 * connection instead.
 */


#define NGX_HTTP_SECAUTH_REDIS_MAXELEMENTS  (64 * 1024)
#define NGX_HTTP_SECAUTH_REDIS_MAXREPLY     (1024 * 1024)
#define NGX_HTTP_SECAUTH_REDIS_READ         (16 * 1024)


/*
 * What redisAsyncHandleRead() calls after reading: exported by every
 * hiredis from 0.10 to 1.x, declared in none of its headers (config checks
 * that it links).
 */
void redisProcessCallbacks(redisAsyncContext *ac);

static void ngx_http_secauth_redis_read_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_secauth_redis_count(ngx_http_secauth_redis_t *rd,
    const char *buf, size_t len);
static void ngx_http_secauth_redis_write_handler(ngx_event_t *ev);
static void ngx_http_secauth_redis_add_read(void *privdata);
static void ngx_http_secauth_redis_del_read(void *privdata);
static void ngx_http_secauth_redis_add_write(void *privdata);
static void ngx_http_secauth_redis_del_write(void *privdata);
static void ngx_http_secauth_redis_cleanup(void *privdata);
#if !(NGX_HTTP_SECAUTH_HAVE_HIREDIS_1)
static void *ngx_http_secauth_redis_create_array(const redisReadTask *task,
    int elements);
#endif


/* the hiredis socket becomes an nginx connection with level events */

ngx_int_t
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

    return NGX_OK;
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
