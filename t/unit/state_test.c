
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_state.c, linked alone: the state
 * file of a zone written and read back, then damaged every way a disk or
 * a crash damages it: empty, truncated at every byte, one byte flipped
 * anywhere, another format or records version, a foreign file; a journal
 * cut short or damaged keeps what comes before it.
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_secauth_state.h"
#include "tap.h"


#define RECORDS  7


typedef struct {
    unsigned       n;
    unsigned       puts;
    unsigned       dels;
    unsigned       parents;
    unsigned char  last_key[64];
    size_t         last_key_len;
} collect_t;


static void collect(void *data, const ngx_http_secauth_state_record_t *rec);
static size_t build(unsigned char *buf, int with_journal);


static void
collect(void *data, const ngx_http_secauth_state_record_t *rec)
{
    collect_t  *c = data;

    c->n++;

    if (rec->op == NGX_HTTP_SECAUTH_STATE_PUT) {
        c->puts++;

    } else {
        c->dels++;
    }

    if (rec->parent_kind) {
        c->parents++;
    }

    if (rec->key_len <= sizeof(c->last_key)) {
        memcpy(c->last_key, rec->key, rec->key_len);
        c->last_key_len = rec->key_len;
    }
}


/* a snapshot of 3 records in 2 blocks, then 2 journal blocks */

static size_t
build(unsigned char *buf, int with_journal)
{
    unsigned char                    *p, *start;
    ngx_http_secauth_state_header_t   h;
    ngx_http_secauth_state_record_t   r;

    h.format = NGX_HTTP_SECAUTH_STATE_FORMAT;
    h.records = RECORDS;
    h.zone_size = 10485760;
    h.generation = 0x1122334455667788ULL;
    h.written = 1700000000;
    h.master = 4242;

    ngx_http_secauth_state_header_write(buf, &h);
    p = buf + NGX_HTTP_SECAUTH_STATE_HEADER_SIZE;

    memset(&r, 0, sizeof(r));

    start = p;
    p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;

    r.op = NGX_HTTP_SECAUTH_STATE_PUT;
    r.kind = 2;
    r.flags = NGX_HTTP_SECAUTH_STATE_FLAG_PARENT;
    r.key = (const unsigned char *) "alice";
    r.key_len = 5;
    r.value = (const unsigned char *) "";
    r.value_len = 0;
    r.expire = 1800000000;
    p = ngx_http_secauth_state_record_write(p, &r);

    r.kind = 1;
    r.flags = 0;
    r.key = (const unsigned char *) "0123456789abcdef0123456789abcdef";
    r.key_len = 32;
    r.parent_kind = 2;
    r.parent_key = (const unsigned char *) "alice";
    r.parent_key_len = 5;
    r.value = (const unsigned char *) "session value";
    r.value_len = 13;
    p = ngx_http_secauth_state_record_write(p, &r);

    ngx_http_secauth_state_block_close(start, p,
                                       NGX_HTTP_SECAUTH_STATE_SNAPSHOT);

    start = p;
    p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;

    r.kind = 4;
    r.parent_kind = 0;
    r.key = (const unsigned char *) "limit";
    r.key_len = 5;
    r.value = (const unsigned char *) "12345678";
    r.value_len = 8;
    p = ngx_http_secauth_state_record_write(p, &r);

    ngx_http_secauth_state_block_close(start, p,
                                       NGX_HTTP_SECAUTH_STATE_SNAPSHOT);

    p = ngx_http_secauth_state_end_write(p, 3);

    if (!with_journal) {
        return p - buf;
    }

    start = p;
    p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;

    r.op = NGX_HTTP_SECAUTH_STATE_DEL;
    r.kind = 4;
    p = ngx_http_secauth_state_record_write(p, &r);

    ngx_http_secauth_state_block_close(start, p,
                                       NGX_HTTP_SECAUTH_STATE_JOURNAL);

    start = p;
    p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;

    r.op = NGX_HTTP_SECAUTH_STATE_PUT;
    r.kind = 3;
    r.key = (const unsigned char *) "revoked";
    r.key_len = 7;
    r.value_len = 0;
    p = ngx_http_secauth_state_record_write(p, &r);

    ngx_http_secauth_state_block_close(start, p,
                                       NGX_HTTP_SECAUTH_STATE_JOURNAL);

    return p - buf;
}


int
main(void)
{
    int                               all;
    size_t                            len, full, snap, i, cut;
    unsigned char                     buf[4096], *copy;
    collect_t                         c;
    ngx_http_secauth_state_result_t   res;
    ngx_http_secauth_state_status_e   st;

    /* CRC32C of "123456789" is e3069283 */
    ok(ngx_http_secauth_state_crc32c(0, (const unsigned char *) "123456789",
                                     9)
       == 0xe3069283, "crc32c check value");

    snap = build(buf, 0);
    full = build(buf, 1);

    copy = tap_copy(buf, full);

    memset(&c, 0, sizeof(c));
    st = ngx_http_secauth_state_parse(copy, full, RECORDS, collect, &c, &res);
    ok(st == NGX_HTTP_SECAUTH_STATE_OK, "a good file parses");
    ok(res.snapshot == 3 && res.journal == 2, "3 + 2 records");
    ok(c.n == 5 && c.puts == 4 && c.dels == 1 && c.parents == 1,
       "records as written");
    ok(c.last_key_len == 7 && memcmp(c.last_key, "revoked", 7) == 0,
       "journal records come last, in order");
    ok(res.header.zone_size == 10485760
       && res.header.generation == 0x1122334455667788ULL
       && res.header.written == 1700000000 && res.header.master == 4242,
       "header fields read back");
    ok(res.offset == full, "offset at the end");
    free(copy);

    memset(&c, 0, sizeof(c));
    st = ngx_http_secauth_state_parse(buf, 0, RECORDS, collect, &c, &res);
    ok(st == NGX_HTTP_SECAUTH_STATE_EMPTY && c.n == 0, "0 bytes: empty");

    st = ngx_http_secauth_state_parse((const unsigned char *) "hello world",
                                      11, RECORDS, collect, &c, &res);
    ok(st == NGX_HTTP_SECAUTH_STATE_FOREIGN && c.n == 0,
       "another file: foreign");

    st = ngx_http_secauth_state_parse(buf, full, RECORDS + 1, collect, &c,
                                      &res);
    ok(st == NGX_HTTP_SECAUTH_STATE_VERSION && c.n == 0,
       "another records version: refused, nothing loaded");

    /* every truncation: the snapshot loads whole or not at all */

    all = 1;

    for (cut = 0; cut < full; cut++) {
        copy = tap_copy(buf, cut);
        memset(&c, 0, sizeof(c));
        st = ngx_http_secauth_state_parse(copy, cut, RECORDS, collect, &c,
                                          &res);
        free(copy);

        if (cut < snap) {
            if (st == NGX_HTTP_SECAUTH_STATE_OK
                || st == NGX_HTTP_SECAUTH_STATE_TORN_JOURNAL
                || st == NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL
                || c.n != 0)
            {
                tap_diag("cut at %zu: status %d, %u records", cut, (int) st,
                         c.n);
                all = 0;
            }

        } else if (cut > snap
                   && ((st != NGX_HTTP_SECAUTH_STATE_TORN_JOURNAL
                        && st != NGX_HTTP_SECAUTH_STATE_OK)
                       || c.n < 3))
        {
            tap_diag("cut at %zu (journal): status %d", cut, (int) st);
            all = 0;

        } else if (cut == snap
                   && (st != NGX_HTTP_SECAUTH_STATE_OK || c.n != 3))
        {
            all = 0;
        }
    }

    ok(all, "truncated at each of %zu bytes: refused in the snapshot, "
       "the good prefix in the journal (OK on a block boundary)", full);

    /* every flipped byte */

    all = 1;

    for (i = 0; i < full; i++) {
        copy = tap_copy(buf, full);
        copy[i] ^= 0x20;
        memset(&c, 0, sizeof(c));
        st = ngx_http_secauth_state_parse(copy, full, RECORDS, collect, &c,
                                          &res);
        free(copy);

        if (i < snap) {
            if (st == NGX_HTTP_SECAUTH_STATE_OK || c.n != 0) {
                tap_diag("flip at %zu: status %d, %u records", i, (int) st,
                         c.n);
                all = 0;
            }

        } else if (st != NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL
                   && st != NGX_HTTP_SECAUTH_STATE_TORN_JOURNAL)
        {
            tap_diag("flip at %zu (journal): status %d", i, (int) st);
            all = 0;

        } else if (c.n < 3 || c.n > 4) {
            all = 0;
        }
    }

    ok(all, "one byte flipped at each of %zu bytes: never loaded as good",
       full);

    /* a block claiming a huge length */

    copy = tap_copy(buf, full);
    copy[NGX_HTTP_SECAUTH_STATE_HEADER_SIZE + 11] = 0x7f;
    st = ngx_http_secauth_state_parse(copy, full, RECORDS, collect, &c, &res);
    ok(st == NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT && res.reason != NULL,
       "a huge block length: bad snapshot (%s)", res.reason);
    free(copy);

    /* a snapshot with no END block, then a journal block */

    len = snap - NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER - 8;
    copy = tap_copy(buf, len);
    memset(&c, 0, sizeof(c));
    st = ngx_http_secauth_state_parse(copy, len, RECORDS, collect, &c, &res);
    ok(st == NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT && c.n == 0,
       "no END block: bad snapshot, nothing loaded");
    free(copy);

    /* the header alone, as a writer checks whose the file is */

    {
        ngx_http_secauth_state_header_t  h;

        ok(ngx_http_secauth_state_header_get(buf, full, &h) == 0
           && h.generation == 0x1122334455667788ULL,
           "header_get reads the generation");
        ok(ngx_http_secauth_state_header_get(buf, 63, &h) != 0,
           "header_get refuses a header cut short");
        copy = tap_copy(buf, 64);
        copy[30] ^= 1;
        ok(ngx_http_secauth_state_header_get(copy, 64, &h) != 0,
           "header_get refuses a damaged header");
        free(copy);
    }

    /* the journal alone, from the end of the snapshot */

    memset(&c, 0, sizeof(c));
    len = ngx_http_secauth_state_parse_journal(buf + snap, full - snap,
                                               collect, &c);
    ok(len == full - snap && c.n == 2 && c.dels == 1,
       "parse_journal: the 2 journal records");

    memset(&c, 0, sizeof(c));
    len = ngx_http_secauth_state_parse_journal(buf + snap, full - snap - 3,
                                               collect, &c);
    ok(len < full - snap && len > 0 && c.n == 1,
       "parse_journal: stops before a block cut short (%zu bytes)", len);

    memset(&c, 0, sizeof(c));
    len = ngx_http_secauth_state_parse_journal(buf, full, collect, &c);
    ok(len == 0 && c.n == 0, "parse_journal: a header is no journal");

    /* a record size: header + key + parent key + value */

    {
        ngx_http_secauth_state_record_t  r;

        memset(&r, 0, sizeof(r));
        r.op = NGX_HTTP_SECAUTH_STATE_DEL;
        r.kind = 1;
        r.key_len = 32;
        r.value_len = 100;
        ok(ngx_http_secauth_state_record_size(&r)
           == NGX_HTTP_SECAUTH_STATE_RECORD_HEADER + 32,
           "a DEL carries no value");
    }

    return tap_done("state_test");
}
