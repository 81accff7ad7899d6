
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <sys/resource.h>

#include <argon2.h>
#include <crypt.h>
#include <openssl/rand.h>

#include "ngx_http_secauth_module.h"
#include "ngx_http_secauth_password.h"
#include "ngx_http_secauth_ct.h"
#include "ngx_http_secauth_policy.h"


/*
 * Password hashes are verified (and, when weaker than configured,
 * recomputed) in an nginx thread pool: Argon2id costs tens to hundreds of
 * milliseconds of CPU. The task holds copies of its inputs; the request is
 * parked the way nginx core parks it for thread I/O (blocked, aio).
 */


#define NGX_HTTP_SECAUTH_SALT_LEN   16
#define NGX_HTTP_SECAUTH_HASH_NICE  10
#define NGX_HTTP_SECAUTH_TAG_LEN    32
#define NGX_HTTP_SECAUTH_GUARD      60000


typedef struct {
    ngx_http_secauth_password_task_t  *task;
    struct crypt_data                 *crypt;     /* crypt(3) hashes only */
} ngx_http_secauth_thread_ctx_t;


static uint64_t ngx_http_secauth_password_now(void);
static void ngx_http_secauth_password_full(ngx_http_request_t *r,
    ngx_http_secauth_main_conf_t *smcf);
static void ngx_http_secauth_password_thread(void *data, ngx_log_t *log);
static ngx_flag_t ngx_http_secauth_password_match(
    ngx_http_secauth_thread_ctx_t *tc, u_char *password, size_t len);
static void ngx_http_secauth_password_event(ngx_event_t *ev);
static void ngx_http_secauth_password_guard(ngx_event_t *ev);
static ngx_int_t ngx_http_secauth_argon2_params(const u_char *hash,
    ngx_uint_t *t, ngx_uint_t *m, ngx_uint_t *p);
static ngx_int_t ngx_http_secauth_argon2_encode(u_char *out, size_t size,
    u_char *password, size_t len, ngx_uint_t t, ngx_uint_t m, ngx_uint_t p);


char *
ngx_http_secauth_password_hash_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    ngx_str_t                      *value, s;
    ngx_int_t                       n;
    ngx_uint_t                      i;
    ngx_http_secauth_hash_conf_t  **field, *hc;

    field = (ngx_http_secauth_hash_conf_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "argon2id") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\": only argon2id is supported",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    hc = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_hash_conf_t));
    if (hc == NULL) {
        return NGX_CONF_ERROR;
    }

    hc->t = 3;
    hc->m = 64 * 1024;
    hc->p = 1;

    for (i = 2; i < cf->args->nelts; i++) {

        if (value[i].len > 2 && value[i].data[1] == '=') {
            s.data = value[i].data + 2;
            s.len = value[i].len - 2;

            switch (value[i].data[0]) {

            case 't':
                n = ngx_atoi(s.data, s.len);
                if (n >= 1 && n <= 100) {
                    hc->t = n;
                    continue;
                }
                break;

            case 'p':
                n = ngx_atoi(s.data, s.len);
                if (n >= 1 && n <= 16) {
                    hc->p = n;
                    continue;
                }
                break;

            case 'm':
                n = ngx_parse_size(&s);
                if (n >= 1024 * 1024 && n <= 4096 * 1024 * 1024LL) {
                    hc->m = n / 1024;
                    continue;
                }
                break;
            }
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\"",
                           &value[i], &cmd->name);
        return NGX_CONF_ERROR;
    }

    if (hc->m < 19 * 1024 || (hc->m < 46 * 1024 && hc->t < 2)) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%V\" parameters are below OWASP's minimum "
                           "(m=19m t=2, or m=46m t=1): use them for tests "
                           "only", &cmd->name);
    }

    *field = hc;

    return NGX_CONF_OK;
}


char *
ngx_http_secauth_password_hash_merge(ngx_conf_t *cf,
    ngx_http_secauth_hash_conf_t **conf, ngx_http_secauth_hash_conf_t *prev)
{
    ngx_http_secauth_hash_conf_t  *hc;

    if (*conf == NGX_CONF_UNSET_PTR) {
        if (prev != NGX_CONF_UNSET_PTR && prev != NULL) {
            *conf = prev;

        } else {
            hc = ngx_pcalloc(cf->pool, sizeof(ngx_http_secauth_hash_conf_t));
            if (hc == NULL) {
                return NGX_CONF_ERROR;
            }

            hc->t = 3;
            hc->m = 64 * 1024;
            hc->p = 1;
            *conf = hc;
        }
    }

    return NGX_CONF_OK;
}


/* for unknown users, the same work as for known ones: once, at nginx -t */

ngx_int_t
ngx_http_secauth_password_dummy(ngx_conf_t *cf,
    ngx_http_secauth_hash_conf_t *hc)
{
    u_char    random[32], *buf;
    uint64_t  start;

    if (hc->dummy.len) {
        return NGX_OK;
    }

    buf = ngx_pnalloc(cf->pool, NGX_HTTP_SECAUTH_HASH_MAX + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    start = ngx_http_secauth_password_now();

    if (RAND_bytes(random, sizeof(random)) != 1
        || ngx_http_secauth_argon2_encode(buf, NGX_HTTP_SECAUTH_HASH_MAX + 1,
                                          random, sizeof(random),
                                          hc->t, hc->m, hc->p)
           != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secauth: cannot compute an argon2id hash");
        return NGX_ERROR;
    }

    /* a first estimate of what a failed login costs; workers refine it */
    hc->dummy_us = ngx_http_secauth_password_now() - start;

    hc->dummy.data = buf;
    hc->dummy.len = ngx_strlen(buf);

    return NGX_OK;
}


/* NGX_OK: 1 to 128 code points, valid UTF-8 not required; no NUL */

ngx_int_t
ngx_http_secauth_password_length(u_char *p, size_t len)
{
    size_t   n;
    u_char  *last;

    if (len == 0 || len > NGX_HTTP_SECAUTH_PASSWORD_BYTES) {
        return NGX_DECLINED;
    }

    n = 0;

    for (last = p + len; p < last; p++) {
        if (*p == '\0') {
            return NGX_DECLINED;
        }

        /* count what is not a UTF-8 continuation byte */
        if ((*p & 0xc0) != 0x80) {
            n++;
        }
    }

    return n <= NGX_HTTP_SECAUTH_PASSWORD_MAX ? NGX_OK : NGX_DECLINED;
}


/*
 * The hash formats a user store may hold (docs/login.md): Argon2id and
 * Argon2i, and for migration bcrypt ($2b$, $2y$), yescrypt ($y$) and
 * SHA-512 crypt ($6$). Plain text, MD5 ($1$, $apr1$), {SHA}, {SSHA} and
 * anything else unsalted or fast are refused (NGX_DECLINED). bcrypt below
 * cost 10 (htpasswd -B makes cost 5) is NGX_AGAIN: accepted for
 * migration, but worth a warning; every login with it rehashes it.
 */

ngx_int_t
ngx_http_secauth_hash_acceptable(ngx_str_t *hash, const char **reason)
{
    u_char     *h, *p, *last;
    ngx_int_t   cost;

    h = hash->data;

    if (hash->len > NGX_HTTP_SECAUTH_HASH_MAX) {
        *reason = "is too long";
        return NGX_DECLINED;
    }

    if (ngx_strlchr(h, h + hash->len, ':')
        || ngx_strlchr(h, h + hash->len, ' '))
    {
        *reason = "is not a single hash";
        return NGX_DECLINED;
    }

    if ((hash->len > 10 && ngx_strncmp(h, "$argon2id$", 10) == 0)
        || (hash->len > 9 && ngx_strncmp(h, "$argon2i$", 9) == 0)
        || (hash->len > 3 && ngx_strncmp(h, "$y$", 3) == 0)
        || (hash->len > 3 && ngx_strncmp(h, "$6$", 3) == 0))
    {
        if (h[1] == 'y' || h[1] == '6') {
            /* the salt: after yescrypt's parameters, or sha512's rounds= */

            p = h + 3;
            last = h + hash->len;

            if (h[1] == 'y'
                || (last - p > 7 && ngx_strncmp(p, "rounds=", 7) == 0))
            {
                p = ngx_strlchr(p, last, '$');
                p = p ? p + 1 : last;
            }

            if (p == last || *p == '$') {
                *reason = "is an unsalted crypt hash (its salt is empty)";
                return NGX_DECLINED;
            }
        }

        return NGX_OK;
    }

    if (hash->len == 60
        && (ngx_strncmp(h, "$2b$", 4) == 0 || ngx_strncmp(h, "$2y$", 4) == 0))
    {
        cost = ngx_atoi(h + 4, 2);

        if (h[6] != '$' || cost < 4 || cost > 31) {
            *reason = "is bcrypt with an invalid cost";
            return NGX_DECLINED;
        }

        if (cost < 10) {
            *reason = "is bcrypt with a cost below 10";
            return NGX_AGAIN;
        }

        return NGX_OK;
    }

    if (hash->len > 3
        && (ngx_strncmp(h, "$1$", 3) == 0 || ngx_strncmp(h, "$apr1$", 6) == 0
            || ngx_strncmp(h, "$md5", 4) == 0))
    {
        *reason = "is MD5-based (refused: too fast)";
        return NGX_DECLINED;
    }

    if (hash->len > 0 && h[0] == '{') {
        *reason = "is an unsalted or fast LDAP-style hash ({SHA}, ...)";
        return NGX_DECLINED;
    }

    if (hash->len == 0 || h[0] != '$') {
        *reason = "is plain text or an unknown format";
        return NGX_DECLINED;
    }

    *reason = "is a hash format that is not accepted";
    return NGX_DECLINED;
}


ngx_http_secauth_password_task_t *
ngx_http_secauth_password_task(ngx_http_request_t *r, ngx_str_t *password,
    ngx_str_t *hash, ngx_http_secauth_hash_conf_t *hc)
{
    ngx_http_secauth_password_task_t  *t;

    if (password->len >= sizeof(t->password)
        || hash->len > NGX_HTTP_SECAUTH_HASH_MAX)
    {
        return NULL;
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_secauth_password_task_t));
    if (t == NULL) {
        return NULL;
    }

    ngx_memcpy(t->password, password->data, password->len);
    t->password_len = password->len;

    /* not UTF-8, or an NFKC form too long for any policy: typed only */

    if (ngx_http_secauth_nfkc(t->nfkc, NGX_HTTP_SECAUTH_PASSWORD_BYTES,
                              password->data, password->len, &t->nfkc_len)
        != NGX_HTTP_SECAUTH_NFKC_OK
        || (t->nfkc_len == password->len
            && ngx_memcmp(t->nfkc, password->data, password->len) == 0))
    {
        ngx_explicit_memzero(t->nfkc, sizeof(t->nfkc));
        t->nfkc_len = 0;
    }
    ngx_memcpy(t->hash, hash->data, hash->len);
    t->t = hc->t;
    t->m = hc->m;
    t->p = hc->p;
    t->conf = hc;
    t->dummy = (hash->data == hc->dummy.data);
    t->request = r;

    return t;
}


ngx_int_t
ngx_http_secauth_password_task_next(ngx_http_secauth_password_task_t *t,
    ngx_str_t *next)
{
    if (ngx_http_secauth_nfkc(t->next, NGX_HTTP_SECAUTH_PASSWORD_BYTES,
                              next->data, next->len, &t->next_len)
        != NGX_HTTP_SECAUTH_NFKC_OK
        || t->next_len == 0)
    {
        ngx_explicit_memzero(t->next, sizeof(t->next));
        t->next_len = 0;
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_secauth_password_verify(ngx_http_request_t *r,
    ngx_thread_pool_t *pool, ngx_http_secauth_password_task_t *t)
{
    ngx_thread_task_t                  *task;
    ngx_http_secauth_main_conf_t       *smcf;
    ngx_http_secauth_thread_ctx_t      *tc;
    ngx_http_secauth_password_stats_t  *ps;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);
    ps = &smcf->password;

    /*
     * The pool refused a task this second and holds as many of ours as
     * then: refused without asking it again (nginx logs each overflow).
     * A task done leaves our count before the pool's thread has taken
     * the next one from its queue, which may still be full: until the
     * second ends, one place is kept in hand.
     */

    if (ps->full == ngx_time() && ps->busy + (ps->cap > 1) >= ps->cap) {
        ngx_http_secauth_password_full(r, smcf);
        return NGX_DECLINED;
    }

    task = ngx_thread_task_alloc(r->pool,
                                 sizeof(ngx_http_secauth_thread_ctx_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    tc = task->ctx;
    tc->task = t;

    if (t->hash[0] == '$' && t->hash[1] != 'a') {
        tc->crypt = ngx_pcalloc(r->pool, sizeof(struct crypt_data));
        if (tc->crypt == NULL) {
            return NGX_ERROR;
        }
    }

    task->handler = ngx_http_secauth_password_thread;
    task->event.handler = ngx_http_secauth_password_event;
    task->event.data = t;

    if (ngx_thread_task_post(pool, task) != NGX_OK) {
        /* the queue is full: no waiting in line */
        ps->full = ngx_time();
        ps->cap = ps->busy;
        ngx_http_secauth_password_full(r, smcf);
        return NGX_DECLINED;
    }

    ps->busy++;

    /* the caller has set r->write_event_handler to its next step */

    r->main->blocked++;
    r->aio = 1;

    /*
     * A worker that stops gracefully (reload, QUIT) exits as soon as no
     * timer but cancelable ones is left, and a thread task is no timer:
     * without this one it would leave with the login unanswered and its
     * connection open. Not cancelable, re-armed until the hash is in.
     */

    t->guard.handler = ngx_http_secauth_password_guard;
    t->guard.data = t;
    t->guard.log = r->connection->log;
    ngx_add_timer(&t->guard, NGX_HTTP_SECAUTH_GUARD);

    return NGX_AGAIN;
}


static void
ngx_http_secauth_password_guard(ngx_event_t *ev)
{
    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "secauth: password hash still running");

    ngx_add_timer(ev, NGX_HTTP_SECAUTH_GUARD);
}


/* one line a second at most, however many logins the full pool refuses */

static void
ngx_http_secauth_password_full(ngx_http_request_t *r,
    ngx_http_secauth_main_conf_t *smcf)
{
    ngx_http_secauth_password_stats_t  *ps;

    ps = &smcf->password;
    ps->refused++;

    if (ps->full_logged == ngx_time()) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "secauth: password thread pool \"%V\" queue is full "
                  "(%ui verifications in it): %ui logins refused with 503 "
                  "since the last such line", &smcf->thread_pool_name,
                  ps->busy, ps->refused);

    ps->full_logged = ngx_time();
    ps->refused = 0;
}


/*
 * A failed login is answered no sooner than a dummy verification would
 * have been, counted from when its own verification started: a user with
 * a weaker (older, faster) hash fails as slowly as an unknown one. The
 * dummy's time is a moving average of this worker's dummy runs (the
 * first estimate: nginx -t's), so that it follows the machine's load.
 */

ngx_msec_t
ngx_http_secauth_password_pad(ngx_http_request_t *r,
    ngx_http_secauth_password_task_t *t)
{
    uint64_t                            target;
    ngx_http_secauth_main_conf_t       *smcf;
    ngx_http_secauth_password_stats_t  *ps;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);
    ps = &smcf->password;

    target = (ps->dummy_conf == t->conf) ? ps->dummy_us : t->conf->dummy_us;

    if (!t->done || t->elapsed >= target) {
        return 0;
    }

    return (ngx_msec_t) ((target - t->elapsed + 500) / 1000);
}


static uint64_t
ngx_http_secauth_password_now(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/* in a pool thread: nothing but the task */

static void
ngx_http_secauth_password_thread(void *data, ngx_log_t *log)
{
    ngx_http_secauth_thread_ctx_t *tc = data;

    uint64_t                           start;
    ngx_uint_t                         t, m, p;
    ngx_http_secauth_password_task_t  *task;

    task = tc->task;
    task->valid = 0;

    /*
     * The event loop comes first: a hashing thread that shares its CPU
     * with the worker yields to it (Linux: this thread only; giving a
     * priority away needs no privilege).
     */

    (void) setpriority(PRIO_PROCESS, 0, NGX_HTTP_SECAUTH_HASH_NICE);

    start = ngx_http_secauth_password_now();

    /*
     * The NFKC form first (what passwords are hashed from), then the typed
     * bytes. A password whose forms differ costs two verifications,
     * whether its user exists or not (the dummy's task is the same), so
     * the time says nothing about the user; only about the password's
     * own characters, which its sender knows.
     */

    if (task->hash_only) {
        task->valid = 1;

    } else if (task->nfkc_len) {
        task->valid = ngx_http_secauth_password_match(tc, task->nfkc,
                                                      task->nfkc_len);
    }

    if (!task->valid && task->error == NULL) {
        task->valid = ngx_http_secauth_password_match(tc, task->password,
                                                      task->password_len);
        task->typed_form = task->valid && task->nfkc_len;
    }

    /* the verification only: a rehash is for successes */
    task->elapsed = ngx_http_secauth_password_now() - start;

    /* a new password: its hash is the one to write */

    if (task->valid && task->next_len) {
        task->rehashed = (ngx_http_secauth_argon2_encode(task->new_hash,
                                                    sizeof(task->new_hash),
                                                    task->next,
                                                    task->next_len,
                                                    task->t, task->m,
                                                    task->p)
                          == NGX_OK);
        goto done;
    }

    /* weaker than configured, or not Argon2id: hash it again, now */

    task->weak = task->valid
                 && (ngx_strncmp(task->hash, "$argon2id$", 10) != 0
                     || ngx_http_secauth_argon2_params(task->hash, &t, &m, &p)
                        != NGX_OK
                     || t < task->t || m < task->m);

    if ((task->weak || task->typed_form) && task->rehash
        && ngx_http_secauth_argon2_encode(task->new_hash,
                                          sizeof(task->new_hash),
                                          task->nfkc_len ? task->nfkc
                                                         : task->password,
                                          task->nfkc_len ? task->nfkc_len
                                                         : task->password_len,
                                          task->t, task->m, task->p)
           == NGX_OK)
    {
        task->rehashed = 1;
    }

done:

    ngx_explicit_memzero(task->password, sizeof(task->password));
    ngx_explicit_memzero(task->nfkc, sizeof(task->nfkc));
    ngx_explicit_memzero(task->next, sizeof(task->next));
}


/* one form of the password against the task's hash */

static ngx_flag_t
ngx_http_secauth_password_match(ngx_http_secauth_thread_ctx_t *tc,
    u_char *password, size_t len)
{
    int                                rc;
    char                              *out;
    size_t                             hl;
    ngx_flag_t                         valid;
    ngx_http_secauth_password_task_t  *task;

    task = tc->task;
    valid = 0;

    if (ngx_strncmp(task->hash, "$argon2id$", 10) == 0) {
        rc = argon2id_verify((char *) task->hash, password, len);
        valid = (rc == ARGON2_OK);

        if (rc != ARGON2_OK && rc != ARGON2_VERIFY_MISMATCH) {
            task->error = argon2_error_message(rc);
        }

    } else if (ngx_strncmp(task->hash, "$argon2i$", 9) == 0) {
        rc = argon2i_verify((char *) task->hash, password, len);
        valid = (rc == ARGON2_OK);

        if (rc != ARGON2_OK && rc != ARGON2_VERIFY_MISMATCH) {
            task->error = argon2_error_message(rc);
        }

    } else if (tc->crypt) {
        password[len] = '\0';

        out = crypt_r((char *) password, (char *) task->hash, tc->crypt);
        hl = ngx_strlen(task->hash);

        if (out == NULL || out[0] == '*') {
            task->error = "crypt(3) cannot use this hash";

        } else {
            valid = (ngx_strlen(out) == hl
                     && ngx_http_secauth_ct_equal(out, task->hash, hl));
        }

        ngx_explicit_memzero(tc->crypt, sizeof(struct crypt_data));
    }

    return valid;
}


static void
ngx_http_secauth_password_event(ngx_event_t *ev)
{
    ngx_connection_t                   *c;
    ngx_http_request_t                 *r;
    ngx_http_secauth_main_conf_t       *smcf;
    ngx_http_secauth_password_task_t   *t;
    ngx_http_secauth_password_stats_t  *ps;

    t = ev->data;
    r = t->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    if (t->guard.timer_set) {
        ngx_del_timer(&t->guard);
    }

    r->main->blocked--;
    r->aio = 0;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_secauth_module);
    ps = &smcf->password;

    if (ps->busy) {
        ps->busy--;
    }

    t->done = 1;

    /* unknown users' runs keep the dummy's time up to date (1/8 each) */

    if (t->dummy && t->error == NULL) {
        if (ps->dummy_conf != t->conf) {
            ps->dummy_conf = t->conf;
            ps->dummy_us = t->elapsed;

        } else {
            ps->dummy_us = ps->dummy_us - ps->dummy_us / 8 + t->elapsed / 8;
        }
    }

    /* a request terminated meanwhile has another write handler now */
    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


/* "$argon2id$v=19$m=65536,t=3,p=1$..." */

static ngx_int_t
ngx_http_secauth_argon2_params(const u_char *hash, ngx_uint_t *t,
    ngx_uint_t *m, ngx_uint_t *p)
{
    unsigned  v, mm, tt, pp;

    if (sscanf((const char *) hash, "$argon2id$v=%u$m=%u,t=%u,p=%u$",
               &v, &mm, &tt, &pp)
        != 4)
    {
        return NGX_ERROR;
    }

    *t = tt;
    *m = mm;
    *p = pp;

    return NGX_OK;
}


static ngx_int_t
ngx_http_secauth_argon2_encode(u_char *out, size_t size, u_char *password,
    size_t len, ngx_uint_t t, ngx_uint_t m, ngx_uint_t p)
{
    u_char  salt[NGX_HTTP_SECAUTH_SALT_LEN];

    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        return NGX_ERROR;
    }

    if (argon2id_hash_encoded(t, m, p, password, len, salt, sizeof(salt),
                              NGX_HTTP_SECAUTH_TAG_LEN, (char *) out, size)
        != ARGON2_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
