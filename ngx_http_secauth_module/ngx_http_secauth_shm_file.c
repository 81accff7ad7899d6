
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <sys/file.h>

#include "ngx_http_secauth_shm_private.h"
#include "ngx_http_secauth_state.h"


/*
 * The state file's writes (ngx_http_secauth_shm_state.c decides what and
 * when): plain blocking system calls, run in nginx's thread pool or by
 * the master at exit. Nothing here touches the zone or logs: what
 * happened goes back in the write's fields.
 */


static ngx_int_t ngx_http_secauth_shm_file_write_all(ngx_fd_t fd,
    u_char *buf, size_t len);


/*
 * The file written, blocking: in the thread pool, or at exit. Logs
 * nothing (a thread): the result is in w.
 */

void
ngx_http_secauth_shm_file_write(ngx_http_secauth_shm_write_t *w)
{
    u_char                              hdr[NGX_HTTP_SECAUTH_STATE_HEADER_SIZE];
    ssize_t                             n;
    ngx_fd_t                            fd, lock, dir;
    ngx_uint_t                          exists;
    ngx_http_secauth_state_header_t     h;
    ngx_http_secauth_shm_state_conf_t  *conf;

    conf = w->conf;
    w->rc = NGX_ERROR;
    fd = NGX_INVALID_FILE;

    lock = ngx_open_file(conf->lock.data, NGX_FILE_RDWR,
                         NGX_FILE_CREATE_OR_OPEN, NGX_FILE_OWNER_ACCESS);
    if (lock == NGX_INVALID_FILE) {
        w->failed = ngx_open_file_n " of the lock file";
        goto failed;
    }

    if (flock(lock, LOCK_EX) == -1) {
        w->failed = "flock()";
        goto failed;
    }

    /* whose the file is */

    exists = 0;

    fd = ngx_open_file(conf->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd != NGX_INVALID_FILE) {
        n = read(fd, hdr, sizeof(hdr));

        if (n > 0
            && ngx_http_secauth_state_header_get(hdr, n, &h) == 0)
        {
            exists = 1;
        }

        (void) ngx_close_file(fd);
        fd = NGX_INVALID_FILE;
    }

    if (exists && h.generation != w->generation && !w->claim) {
        w->rc = NGX_DECLINED;
        goto done;
    }

    if (!w->snapshot) {
        if (!exists) {
            w->rc = NGX_AGAIN;
            goto done;
        }

        fd = ngx_open_file(conf->path.data, NGX_FILE_APPEND, NGX_FILE_OPEN,
                           0);
        if (fd == NGX_INVALID_FILE) {
            w->failed = ngx_open_file_n;
            goto failed;
        }

        if (ngx_http_secauth_shm_file_write_all(fd, w->buf, w->len)
            != NGX_OK)
        {
            w->failed = "write()";
            goto failed;
        }

        if (fdatasync(fd) == -1) {
            w->failed = "fdatasync()";
            goto failed;
        }

        w->rc = NGX_OK;
        goto done;
    }

    fd = ngx_open_file(conf->tmp.data, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                       NGX_FILE_OWNER_ACCESS);
    if (fd == NGX_INVALID_FILE) {
        w->failed = ngx_open_file_n " of the temporary file";
        goto failed;
    }

    if (geteuid() == 0 && conf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        /* the master at exit: the file stays the workers' */

        if (fchown(fd, conf->user, conf->group) == -1
            || fchown(lock, conf->user, conf->group) == -1)
        {
            w->failed = "fchown()";
            goto failed;
        }
    }

    if (ngx_http_secauth_shm_file_write_all(fd, w->buf, w->len) != NGX_OK) {
        w->failed = "write() of the temporary file";
        goto failed;
    }

    if (fsync(fd) == -1) {
        w->failed = "fsync() of the temporary file";
        goto failed;
    }

    (void) ngx_close_file(fd);
    fd = NGX_INVALID_FILE;

    if (ngx_rename_file(conf->tmp.data, conf->path.data) == NGX_FILE_ERROR) {
        w->failed = ngx_rename_file_n;
        goto failed;
    }

    dir = ngx_open_file(conf->dir.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (dir != NGX_INVALID_FILE) {
        (void) fsync(dir);
        (void) ngx_close_file(dir);
    }

    w->rc = NGX_OK;
    goto done;

failed:

    w->err = ngx_errno;

done:

    if (fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
    }

    if (lock != NGX_INVALID_FILE) {
        (void) ngx_close_file(lock);
    }
}


static ngx_int_t
ngx_http_secauth_shm_file_write_all(ngx_fd_t fd, u_char *buf, size_t len)
{
    ssize_t  n;

    while (len) {
        n = write(fd, buf, len);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            return NGX_ERROR;
        }

        buf += n;
        len -= n;
    }

    return NGX_OK;
}


/*
 * Catching up, under the writers' lock: whether the file is still the
 * one this zone was loaded from (same inode, same generation), whether
 * the master that writes it still runs, and what it appended since.
 * NGX_DONE: give up catching up (the file was rewritten: take it over).
 */

void
ngx_http_secauth_shm_file_catchup(ngx_http_secauth_shm_write_t *w)
{
    u_char                              hdr[NGX_HTTP_SECAUTH_STATE_HEADER_SIZE];
    off_t                               size;
    ssize_t                             n;
    ngx_fd_t                            fd, lock;
    ngx_file_info_t                     fi;
    ngx_http_secauth_state_header_t     h;
    ngx_http_secauth_shm_state_conf_t  *conf;

    conf = w->conf;
    w->rc = NGX_DONE;
    w->buf = NULL;
    w->len = 0;
    fd = NGX_INVALID_FILE;

    lock = ngx_open_file(conf->lock.data, NGX_FILE_RDWR,
                         NGX_FILE_CREATE_OR_OPEN, NGX_FILE_OWNER_ACCESS);
    if (lock == NGX_INVALID_FILE || flock(lock, LOCK_EX) == -1) {
        goto done;
    }

    fd = ngx_open_file(conf->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE || ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || (ngx_uint_t) fi.st_ino != w->tail_ino)
    {
        goto done;
    }

    n = read(fd, hdr, sizeof(hdr));

    if (n <= 0 || ngx_http_secauth_state_header_get(hdr, n, &h) != 0
        || h.generation != w->tail_gen)
    {
        goto done;
    }

    w->alive = h.master != 0
               && (kill((ngx_pid_t) h.master, 0) == 0 || ngx_errno == EPERM);

    size = ngx_file_size(&fi);

    if (size > w->tail_off) {
        w->len = (size_t) (size - w->tail_off);

        w->buf = malloc(w->len);
        if (w->buf == NULL) {
            w->len = 0;
            goto done;
        }

        n = pread(fd, w->buf, w->len, w->tail_off);
        if (n < 0) {
            n = 0;
        }

        w->len = n;
    }

    w->rc = NGX_OK;

done:

    if (fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
    }

    if (lock != NGX_INVALID_FILE) {
        (void) ngx_close_file(lock);
    }
}
