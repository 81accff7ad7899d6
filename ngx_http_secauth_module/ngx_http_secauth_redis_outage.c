
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_secauth_redis.h"
#include "ngx_http_secauth_redis_private.h"


/*
 * When the connection breaks: the outage is logged (once, and again when
 * its cause changes), the hiredis context is freed, which fails every
 * pending command at once, and a reconnect is scheduled with capped
 * exponential backoff.
 */


#define NGX_HTTP_SECAUTH_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_SECAUTH_REDIS_BACKOFF_MAX  2000
#define NGX_HTTP_SECAUTH_REDIS_STABLE       1000

#define NGX_HTTP_SECAUTH_REDIS_CAUSE_EVERY  1000


/*
 * An outage is logged at error level when it starts, and again ("still
 * unavailable") when a later attempt fails for another reason, e.g. the
 * connection was lost and the reconnect is refused with NOAUTH: the log
 * names the latest cause. A retry that fails the same way is logged only
 * at debug level, and "still unavailable" at most once a second.
 */

void
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

void
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


void
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
