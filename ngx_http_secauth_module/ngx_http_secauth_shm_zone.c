
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <sys/file.h>

#include "ngx_http_secauth_shm_private.h"
#include "ngx_http_secauth_state.h"


/*
 * The shm engine's zones (ngx_http_secauth_shm.h): added at configuration
 * time, initialised when the cycle maps them. A zone nginx keeps across a
 * reload keeps its records; a new zone is filled, in the master before
 * any worker sees it, from the zone it replaces when only its size
 * changed, else from its state file (state=).
 */


/* a state file bigger than this is not read (a zone is far smaller) */
#define NGX_HTTP_SECAUTH_SHM_FILE_MAX      (1024 * 1024 * 1024)


static ngx_http_secauth_shm_t *ngx_http_secauth_shm_resized(ngx_conf_t *cf,
    ngx_shm_zone_t *zone, const char *purpose);
static ngx_int_t ngx_http_secauth_shm_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_secauth_shm_check_dir(ngx_http_secauth_shm_t *shm,
    ngx_log_t *log);
static void ngx_http_secauth_shm_copy(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_t *old, ngx_log_t *log);
static void ngx_http_secauth_shm_load(ngx_http_secauth_shm_t *shm,
    ngx_log_t *log);
static u_char *ngx_http_secauth_shm_read(ngx_http_secauth_shm_t *shm,
    size_t *len, ngx_uint_t *ino, ngx_log_t *log);
static void ngx_http_secauth_shm_load_record(void *data,
    const ngx_http_secauth_state_record_t *r);
static void ngx_http_secauth_shm_catchup_record(void *data,
    const ngx_http_secauth_state_record_t *r);
static void ngx_http_secauth_shm_set_aside(ngx_http_secauth_shm_t *shm,
    ngx_log_t *log, const char *why, size_t offset, const char *then);


/* what a file is being loaded into */
typedef struct {
    ngx_http_secauth_shm_t       *shm;
    ngx_http_secauth_shm_fill_t   fill;
} ngx_http_secauth_shm_load_t;


ngx_shm_zone_t *
ngx_http_secauth_shm_zone_add(ngx_conf_t *cf, ngx_str_t *name, size_t size,
    const char *purpose)
{
    ngx_shm_zone_t          *zone;
    ngx_http_secauth_shm_t  *shm, *old;

    if (size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small: %uz bytes, "
                           "the minimum is %uz", name, size,
                           (size_t) (8 * ngx_pagesize));
        return NULL;
    }

    zone = ngx_shared_memory_add(cf, name, size, &ngx_http_secauth_module);
    if (zone == NULL) {
        return NULL;
    }

    old = NULL;

    if (zone->data == NULL) {
        old = ngx_http_secauth_shm_resized(cf, zone, purpose);
    }

    if (zone->data) {
        shm = zone->data;

        /* the same zone named again, for the same thing only */

        if (shm->purpose != purpose) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "zone \"%V\" is already used for %s, "
                               "it cannot also hold %s", name, shm->purpose,
                               purpose);
            return NULL;
        }

        return zone;
    }

    shm = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_shm_t));
    if (shm == NULL) {
        return NULL;
    }

    shm->zone = zone;
    shm->purpose = purpose;
    shm->resized_from = old;

    zone->init = ngx_http_secauth_shm_init_zone;
    zone->data = shm;

    return zone;
}


ngx_http_secauth_shm_t *
ngx_http_secauth_shm_get(ngx_shm_zone_t *zone)
{
    if (zone == NULL || zone->init != ngx_http_secauth_shm_init_zone) {
        return NULL;
    }

    return zone->data;
}


ngx_str_t *
ngx_http_secauth_shm_name(ngx_http_secauth_shm_t *shm)
{
    return &shm->zone->shm.name;
}


/*
 * nginx keeps a zone across a reload only if its size is the same, and
 * says nothing otherwise: the new zone is filled from the old one (still
 * mapped while the new cycle initialises its zones), and the log says how
 * much of it fitted.
 */

static ngx_http_secauth_shm_t *
ngx_http_secauth_shm_resized(ngx_conf_t *cf, ngx_shm_zone_t *zone,
    const char *purpose)
{
    ngx_uint_t        i;
    ngx_cycle_t      *old;
    ngx_list_part_t  *part;
    ngx_shm_zone_t   *ozone;

    old = cf->cycle->old_cycle;

    if (old == NULL || ngx_is_init_cycle(old)) {
        return NULL;
    }

    part = &old->shared_memory.part;
    ozone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            ozone = part->elts;
            i = 0;
        }

        if (ozone[i].tag != &ngx_http_secauth_module
            || ozone[i].shm.name.len != zone->shm.name.len
            || ngx_strncmp(ozone[i].shm.name.data, zone->shm.name.data,
                           zone->shm.name.len)
               != 0)
        {
            continue;
        }

        if (ozone[i].shm.size == zone->shm.size) {
            return NULL;
        }

        ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                      "secauth: zone \"%V\" resized from %uz to %uz "
                      "bytes: a new zone replaces it, filled with the %s "
                      "of the old one that fit, most recently used first",
                      &zone->shm.name, ozone[i].shm.size,
                      zone->shm.size, purpose);

        if (ozone[i].init != ngx_http_secauth_shm_init_zone) {
            return NULL;
        }

        return ozone[i].data;
    }
}


/*
 * On reload nginx passes the old cycle's data of a zone with the same name,
 * size and tag: the records in it are kept.
 */

static ngx_int_t
ngx_http_secauth_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_secauth_shm_t  *oshm = data;

    ngx_log_t               *log;
    ngx_http_secauth_shm_t  *shm;

    shm = shm_zone->data;
    log = shm_zone->shm.log;

    if (shm->state_conf
        && ngx_http_secauth_shm_check_dir(shm, log) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (oshm) {
        if (oshm->sh->version != NGX_HTTP_SECAUTH_SHM_VERSION) {
            ngx_log_error(NGX_LOG_EMERG, log, 0,
                          "secauth zone \"%V\" was created by an "
                          "incompatible version of the module, "
                          "restart nginx", &shm_zone->shm.name);
            return NGX_ERROR;
        }

        shm->sh = oshm->sh;
        shm->shpool = oshm->shpool;

        if (shm->state_conf) {
            ngx_shmtx_lock(&shm->shpool->mutex);

            if (shm->sh->state.journal == NULL) {
                /* state= added by this reload */

                if (ngx_http_secauth_shm_state_init(shm) != NGX_OK) {
                    ngx_shmtx_unlock(&shm->shpool->mutex);
                    return NGX_ERROR;
                }

            } else if (!ngx_test_config) {
                /*
                 * a reload makes this nginx the file's writer again, even
                 * after another one took it over (a binary upgrade rolled
                 * back), and writes the file whole (PATH may have changed)
                 */

                shm->sh->state.foreign = 0;
                shm->sh->state.claim = 1;
                shm->sh->state.snapshot = 1;
                shm->sh->state.changed = 1;
                shm->sh->state.tail_gen = 0;
            }

            ngx_shmtx_unlock(&shm->shpool->mutex);
        }

        shm->state = shm->state_conf;
        shm->replay = ngx_http_secauth_shm_catchup_record;

        return NGX_OK;
    }

    shm->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;
    shm->replay = ngx_http_secauth_shm_catchup_record;

    if (shm_zone->shm.exists) {
        shm->sh = shm->shpool->data;
        shm->state = shm->state_conf;

        return NGX_OK;
    }

    if (ngx_http_secauth_shm_create(shm) != NGX_OK) {
        return NGX_ERROR;
    }

    if (shm->state_conf && ngx_http_secauth_shm_state_init(shm) != NGX_OK) {
        return NGX_ERROR;
    }

    if (shm->resized_from) {
        ngx_http_secauth_shm_copy(shm, shm->resized_from, log);

        if (shm->state_conf) {
            /* what the old zone had not written yet, the file lacks */
            shm->sh->state.changed = 1;
        }

    } else if (shm->state_conf) {
        ngx_http_secauth_shm_load(shm, log);
    }

    shm->resized_from = NULL;
    shm->state = shm->state_conf;

    return NGX_OK;
}


/* the workers write the file: its directory must let them */

static ngx_int_t
ngx_http_secauth_shm_check_dir(ngx_http_secauth_shm_t *shm, ngx_log_t *log)
{
    ngx_uint_t                          ok;
    ngx_file_info_t                     fi;
    ngx_core_conf_t                    *ccf;
    ngx_http_secauth_shm_state_conf_t  *conf;

    conf = shm->state_conf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(conf->cycle->conf_ctx,
                                           ngx_core_module);
    /* one process (master_process off) keeps its user */

    conf->user = ccf->master ? ccf->user : (ngx_uid_t) NGX_CONF_UNSET_UINT;
    conf->group = ccf->group;

    if (ngx_file_info(conf->dir.data, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_EMERG, log, ngx_errno,
                      "secauth: zone \"%V\": the directory of state file "
                      "\"%s\" cannot be used: " ngx_file_info_n " \"%s\" "
                      "failed", &shm->zone->shm.name, conf->path.data,
                      conf->dir.data);
        return NGX_ERROR;
    }

    if (!ngx_is_dir(&fi)) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "secauth: zone \"%V\": \"%s\", where state file "
                      "\"%s\" goes, is not a directory",
                      &shm->zone->shm.name, conf->dir.data,
                      conf->path.data);
        return NGX_ERROR;
    }

    if (geteuid() != 0 || conf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        ok = (access((char *) conf->dir.data, W_OK | X_OK) == 0);

    } else {
        /* the workers' user and group (not its other groups) */

        ok = (fi.st_uid == conf->user
              && (fi.st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR))
             || (fi.st_gid == conf->group
                 && (fi.st_mode & (S_IWGRP | S_IXGRP))
                    == (S_IWGRP | S_IXGRP))
             || (fi.st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
    }

    if (!ok) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "secauth: zone \"%V\": the directory \"%s\" of state "
                      "file \"%s\" is not writable by the user of the "
                      "worker processes (uid %d)", &shm->zone->shm.name,
                      conf->dir.data, conf->path.data,
                      (int) (conf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT
                             ? geteuid() : conf->user));
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the old zone of a resize, still used by the old workers: locked */

static void
ngx_http_secauth_shm_copy(ngx_http_secauth_shm_t *shm,
    ngx_http_secauth_shm_t *old, ngx_log_t *log)
{
    ngx_uint_t                    level;
    ngx_queue_t                  *q;
    ngx_http_secauth_shm_rec_t    rec;
    ngx_http_secauth_shm_fill_t   fill;
    ngx_http_secauth_shm_node_t  *n;

    ngx_memzero(&fill, sizeof(ngx_http_secauth_shm_fill_t));

    ngx_shmtx_lock(&old->shpool->mutex);

    for (q = ngx_queue_head(&old->sh->lru);
         q != ngx_queue_sentinel(&old->sh->lru);
         q = ngx_queue_next(q))
    {
        n = ngx_queue_data(q, ngx_http_secauth_shm_node_t, lru);

        rec.kind = n->kind;
        rec.key = ngx_http_secauth_shm_key(n);
        rec.len = n->key_len;
        rec.value = ngx_http_secauth_shm_value(n);
        rec.value_len = n->value_len;
        rec.expire = n->expire;
        rec.is_parent = (n->nchildren != 0);

        if (n->parent) {
            rec.parent_kind = n->parent->kind;
            rec.parent_key = ngx_http_secauth_shm_key(n->parent);
            rec.parent_len = n->parent->key_len;

        } else {
            rec.parent_kind = 0;
            rec.parent_key = NULL;
            rec.parent_len = 0;
        }

        ngx_http_secauth_shm_fill(shm, &rec, &fill);
    }

    ngx_shmtx_unlock(&old->shpool->mutex);

    ngx_http_secauth_shm_fill_done(shm, &fill);

    level = fill.full ? NGX_LOG_WARN : NGX_LOG_NOTICE;

    ngx_log_error(level, log, 0,
                  "secauth: zone \"%V\": %ui records copied from the zone "
                  "it replaces, %ui did not fit",
                  &shm->zone->shm.name, fill.loaded, fill.full);
}


/*
 * The state file into a new zone: in the master at configuration time
 * (start, or the new binary of an upgrade), blocking. A file that cannot
 * be trusted is set aside and the zone starts empty: nginx starts.
 */

static void
ngx_http_secauth_shm_load(ngx_http_secauth_shm_t *shm, ngx_log_t *log)
{
    size_t                              len;
    u_char                             *buf;
    ngx_str_t                          *name;
    ngx_uint_t                          level, ino;
    ngx_http_secauth_shm_load_t         ld;
    ngx_http_secauth_state_result_t     res;
    ngx_http_secauth_shm_state_conf_t  *conf;

    conf = shm->state_conf;
    name = &shm->zone->shm.name;

    buf = ngx_http_secauth_shm_read(shm, &len, &ino, log);
    if (buf == NULL) {
        return;
    }

    ngx_memzero(&ld, sizeof(ngx_http_secauth_shm_load_t));
    ld.shm = shm;

    (void) ngx_http_secauth_state_parse(buf, len,
                                        NGX_HTTP_SECAUTH_SHM_RECORDS_VERSION,
                                        ngx_http_secauth_shm_load_record,
                                        &ld, &res);

    ngx_free(buf);

    switch (res.status) {

    case NGX_HTTP_SECAUTH_STATE_OK:
        break;

    case NGX_HTTP_SECAUTH_STATE_EMPTY:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "secauth: zone \"%V\": state file \"%s\" is empty, "
                      "the zone starts empty", name, conf->path.data);
        return;

    case NGX_HTTP_SECAUTH_STATE_TORN_JOURNAL:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "secauth: zone \"%V\": state file \"%s\" ends in a "
                      "journal block cut short at byte %uz (written when "
                      "nginx or the system stopped): the records before "
                      "it are loaded", name, conf->path.data, res.offset);
        break;

    case NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL:
        ngx_http_secauth_shm_set_aside(shm, log, res.reason, res.offset,
                                       "the records before the damage "
                                       "are loaded");
        break;

    default:
        ngx_http_secauth_shm_set_aside(shm, log, res.reason, res.offset,
                                       "the zone starts empty");
        return;
    }

    ngx_http_secauth_shm_fill_done(shm, &ld.fill);

    if (res.status != NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL) {
        /*
         * the nginx that wrote the file may still append to it (a binary
         * upgrade): the workers catch up with it before taking it over
         */

        shm->sh->state.tail_gen = res.header.generation;
        shm->sh->state.tail_off = (off_t) res.offset;
        shm->sh->state.tail_ino = ino;
        shm->sh->state.tail_since = ngx_time();
    }

    if (res.header.zone_size != shm->zone->shm.size) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "secauth: zone \"%V\": state file \"%s\" was written "
                      "by a zone of %uL bytes, this one has %uz: the most "
                      "recently used records that fit are loaded", name,
                      conf->path.data, res.header.zone_size,
                      shm->zone->shm.size);
    }

    level = ld.fill.full ? NGX_LOG_WARN : NGX_LOG_NOTICE;

    ngx_log_error(level, log, 0,
                  "secauth: zone \"%V\": %ui records loaded from \"%s\" "
                  "(%uL in the snapshot, %uL changes after it), "
                  "%ui expired, %ui did not fit", name, ld.fill.loaded,
                  conf->path.data, res.snapshot, res.journal,
                  ld.fill.expired, ld.fill.full);
}


/* the whole file, read under the lock the writers take */

static u_char *
ngx_http_secauth_shm_read(ngx_http_secauth_shm_t *shm, size_t *len,
    ngx_uint_t *ino, ngx_log_t *log)
{
    u_char                             *buf;
    size_t                              size;
    ssize_t                             n;
    ngx_fd_t                            fd, lock;
    ngx_file_info_t                     fi;
    ngx_http_secauth_shm_state_conf_t  *conf;

    conf = shm->state_conf;
    buf = NULL;

    lock = ngx_open_file(conf->lock.data, NGX_FILE_RDWR,
                         NGX_FILE_CREATE_OR_OPEN, NGX_FILE_OWNER_ACCESS);
    if (lock != NGX_INVALID_FILE) {
        (void) flock(lock, LOCK_SH);

        if (geteuid() == 0 && conf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT
            && fchown(lock, conf->user, conf->group) == -1)
        {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "secauth: fchown(\"%s\") failed", conf->lock.data);
        }
    }

    fd = ngx_open_file(conf->path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        if (ngx_errno != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                          "secauth: zone \"%V\": state file \"%s\" cannot "
                          "be read, the zone starts empty",
                          &shm->zone->shm.name, conf->path.data);

        } else {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "secauth: zone \"%V\": no state file \"%s\" yet, "
                          "the zone starts empty", &shm->zone->shm.name,
                          conf->path.data);
        }

        goto done;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR
        || ngx_file_size(&fi) > NGX_HTTP_SECAUTH_SHM_FILE_MAX)
    {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "secauth: zone \"%V\": state file \"%s\" cannot be "
                      "read (or is over 1g), the zone starts empty",
                      &shm->zone->shm.name, conf->path.data);
        goto done;
    }

    size = (size_t) ngx_file_size(&fi);
    *ino = (ngx_uint_t) fi.st_ino;

    buf = ngx_alloc(size + 1, log);
    if (buf == NULL) {
        goto done;
    }

    *len = 0;

    while (*len < size) {
        n = read(fd, buf + *len, size - *len);

        if (n == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        *len += n;
    }

done:

    if (fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(fd);
    }

    if (lock != NGX_INVALID_FILE) {
        (void) ngx_close_file(lock);
    }

    return buf;
}


static void
ngx_http_secauth_shm_load_record(void *data,
    const ngx_http_secauth_state_record_t *r)
{
    ngx_http_secauth_shm_load_t  *ld = data;

    ngx_http_secauth_shm_rec_t  rec;

    rec.kind = r->kind;
    rec.key = (u_char *) r->key;
    rec.len = r->key_len;
    rec.value = (u_char *) r->value;
    rec.value_len = r->value_len;
    rec.expire = (time_t) r->expire;
    rec.parent_kind = r->parent_kind;
    rec.parent_key = (u_char *) r->parent_key;
    rec.parent_len = r->parent_key_len;
    rec.is_parent = (r->flags & NGX_HTTP_SECAUTH_STATE_FLAG_PARENT) != 0;

    if (r->journal) {
        ngx_http_secauth_shm_replay(ld->shm,
                                    r->op == NGX_HTTP_SECAUTH_STATE_PUT,
                                    &rec, &ld->fill);

    } else {
        ngx_http_secauth_shm_fill(ld->shm, &rec, &ld->fill);
    }
}


/* a change the nginx before this one made, while catching up with it */

static void
ngx_http_secauth_shm_catchup_record(void *data,
    const ngx_http_secauth_state_record_t *r)
{
    ngx_http_secauth_shm_load_t  ld;

    ngx_memzero(&ld, sizeof(ngx_http_secauth_shm_load_t));
    ld.shm = data;

    ngx_http_secauth_shm_load_record(&ld, r);
}


/* one [alert] naming the file and why; kept as PATH.corrupt-TIME */

static void
ngx_http_secauth_shm_set_aside(ngx_http_secauth_shm_t *shm, ngx_log_t *log,
    const char *why, size_t offset, const char *then)
{
    u_char                             *aside;
    ngx_http_secauth_shm_state_conf_t  *conf;

    conf = shm->state_conf;

    aside = ngx_alloc(conf->path.len + sizeof(".corrupt-") + NGX_TIME_T_LEN,
                      log);
    if (aside == NULL) {
        return;
    }

    ngx_sprintf(aside, "%V.corrupt-%T%Z", &conf->path, ngx_time());

    if (ngx_test_config) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "secauth: zone \"%V\": state file \"%s\" is refused: "
                      "%s (at byte %uz); on start it will be renamed to "
                      "\"%s\" and %s", &shm->zone->shm.name,
                      conf->path.data, why, offset, aside, then);

    } else if (ngx_rename_file(conf->path.data, aside) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "secauth: zone \"%V\": state file \"%s\" is refused: "
                      "%s (at byte %uz), renaming it to \"%s\" failed; %s",
                      &shm->zone->shm.name, conf->path.data, why, offset,
                      aside, then);

    } else {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "secauth: zone \"%V\": state file \"%s\" is refused: "
                      "%s (at byte %uz); it is renamed to \"%s\" and %s",
                      &shm->zone->shm.name, conf->path.data, why, offset,
                      aside, then);
    }

    ngx_free(aside);
}


ngx_flag_t
ngx_http_secauth_shm_zone_durable(ngx_shm_zone_t *zone)
{
    ngx_http_secauth_shm_t  *shm;

    shm = ngx_http_secauth_shm_get(zone);

    return shm != NULL && shm->state_conf != NULL;
}


ngx_int_t
ngx_http_secauth_shm_zone_state(ngx_conf_t *cf, ngx_shm_zone_t *zone,
    ngx_str_t *path, ngx_msec_t sync)
{
    u_char                             *p;
    ngx_str_t                           full;
    ngx_pool_cleanup_t                 *cln;
    ngx_http_secauth_shm_t             *shm;
    ngx_http_secauth_shm_state_conf_t  *conf;

    shm = ngx_http_secauth_shm_get(zone);
    if (shm == NULL) {
        return NGX_ERROR;
    }

    full = *path;

    if (ngx_conf_full_name(cf->cycle, &full, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (shm->state_conf) {
        if (shm->state_conf->path.len == full.len
            && ngx_strncmp(shm->state_conf->path.data, full.data, full.len)
               == 0
            && shm->state_conf->sync == sync)
        {
            return NGX_OK;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" has another state file or sync "
                           "already", &zone->shm.name);
        return NGX_ERROR;
    }

    if (full.data[full.len - 1] == '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid state file \"%V\"", path);
        return NGX_ERROR;
    }

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_shm_state_conf_t));
    if (conf == NULL) {
        return NGX_ERROR;
    }

    /* PATH, PATH.tmp, PATH.lock and the directory, null-terminated */

    p = ngx_pnalloc(cf->pool, 4 * (full.len + sizeof(".lock")));
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->path.data = p;
    conf->path.len = ngx_sprintf(p, "%V%Z", &full) - p - 1;
    p += full.len + sizeof(".lock");

    conf->tmp.data = p;
    conf->tmp.len = ngx_sprintf(p, "%V.tmp%Z", &full) - p - 1;
    p += full.len + sizeof(".lock");

    conf->lock.data = p;
    conf->lock.len = ngx_sprintf(p, "%V.lock%Z", &full) - p - 1;
    p += full.len + sizeof(".lock");

    conf->dir.data = p;
    conf->dir.len = full.len;

    while (conf->dir.len && full.data[conf->dir.len - 1] != '/') {
        conf->dir.len--;
    }

    if (conf->dir.len > 1) {
        conf->dir.len--;
    }

    if (conf->dir.len == 0 || conf->dir.len == full.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid state file \"%V\"", path);
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%*s%Z", conf->dir.len, full.data);

    conf->sync = sync;
    conf->cycle = cf->cycle;

#if (NGX_THREADS)
    conf->thread_pool = ngx_thread_pool_add(cf, NULL);
    if (conf->thread_pool == NULL) {
        return NGX_ERROR;
    }
#endif

    /* the whole zone written when nginx exits */

    cln = ngx_pool_cleanup_add(cf->cycle->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_secauth_shm_state_exit;
    cln->data = shm;

    shm->state_conf = conf;

    return NGX_OK;
}
