
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_secauth_shm_private.h"


/*
 * A zone's state file when nginx exits: the master (or the one process)
 * writes what the file lacks, blocking, once every worker is gone. A
 * cleanup of the cycle's pool (ngx_http_secauth_shm_zone_state()): it
 * runs when the cycle is destroyed, which at a reload is not an exit.
 */


void
ngx_http_secauth_shm_state_exit(void *data)
{
    ngx_http_secauth_shm_t  *shm = data;

    ngx_int_t                         rc;
    ngx_http_secauth_shm_write_t      w;
    ngx_http_secauth_shm_state_sh_t  *st;

    if ((ngx_process != NGX_PROCESS_MASTER
         && ngx_process != NGX_PROCESS_SINGLE)
        || !(ngx_quit || ngx_terminate)
        || shm->state == NULL || shm->sh == NULL)
    {
        return;
    }

    ngx_memzero(&w, sizeof(ngx_http_secauth_shm_write_t));
    w.shm = shm;
    w.conf = shm->state;

    st = &shm->sh->state;

    if (st->claim && st->tail_gen && !st->foreign) {
        /*
         * never taken over: a file still another nginx's (a binary
         * upgrade rolled back) is left to it; else what the nginx before
         * this one appended after the load is taken in first
         */

        w.catchup = 1;
        w.tail_gen = st->tail_gen;
        w.tail_off = st->tail_off;
        w.tail_ino = st->tail_ino;

        ngx_http_secauth_shm_file_catchup(&w);

        if (w.rc == NGX_OK && w.alive) {
            ngx_free(w.buf);

            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "secauth: zone \"%V\": state file \"%s\" is "
                          "still another nginx's, not written at exit",
                          &shm->zone->shm.name, w.conf->path.data);
            return;
        }

        ngx_shmtx_lock(&shm->shpool->mutex);
        (void) ngx_http_secauth_shm_state_replay(&w);
        st->tail_gen = 0;
        ngx_shmtx_unlock(&shm->shpool->mutex);

        ngx_free(w.buf);

        ngx_memzero(&w, sizeof(ngx_http_secauth_shm_write_t));
        w.shm = shm;
        w.conf = shm->state;
    }

    /*
     * no worker is left (a flush of one that was killed is forgotten):
     * what the file lacks, appended, or the whole zone
     */

    ngx_shmtx_lock(&shm->shpool->mutex);
    rc = ngx_http_secauth_shm_state_take(shm, &w, 1);
    ngx_shmtx_unlock(&shm->shpool->mutex);

    if (rc == NGX_DECLINED && !st->foreign) {
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "secauth: zone \"%V\": state file \"%s\" is up to "
                      "date at exit", &shm->zone->shm.name,
                      w.conf->path.data);
    }

    if (rc != NGX_OK) {
        return;
    }

    ngx_http_secauth_shm_file_write(&w);

    ngx_free(w.buf);

    switch (w.rc) {

    case NGX_OK:
        if (w.snapshot) {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "secauth: zone \"%V\": %ui records saved to "
                          "\"%s\"", &shm->zone->shm.name, w.records,
                          w.conf->path.data);

        } else {
            ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                          "secauth: zone \"%V\": the last changes saved to "
                          "\"%s\"", &shm->zone->shm.name,
                          w.conf->path.data);
        }

        break;

    case NGX_DECLINED:
        ngx_log_error(NGX_LOG_NOTICE, ngx_cycle->log, 0,
                      "secauth: zone \"%V\": state file \"%s\" belongs to "
                      "another nginx (a binary upgrade), not written at "
                      "exit", &shm->zone->shm.name, w.conf->path.data);
        break;

    default:
        ngx_log_error(NGX_LOG_CRIT, ngx_cycle->log, w.err,
                      "secauth: zone \"%V\": writing state file \"%s\" at "
                      "exit failed: %s", &shm->zone->shm.name,
                      w.conf->path.data, w.failed);
    }
}
