
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <string.h>

#include "ngx_http_secauth_state.h"


static const unsigned char  ngx_http_secauth_state_magic[8] = "SECAUTHZ";
static const unsigned char  ngx_http_secauth_state_block_magic[4] = "BLK1";


static void ngx_http_secauth_state_crc_init(void);
static void ngx_http_secauth_state_put16(unsigned char *p, uint32_t v);
static void ngx_http_secauth_state_put32(unsigned char *p, uint32_t v);
static void ngx_http_secauth_state_put64(unsigned char *p, uint64_t v);
static uint32_t ngx_http_secauth_state_get16(const unsigned char *p);
static uint32_t ngx_http_secauth_state_get32(const unsigned char *p);
static uint64_t ngx_http_secauth_state_get64(const unsigned char *p);
static int ngx_http_secauth_state_header_read(const unsigned char *buf,
    size_t len, uint32_t records, ngx_http_secauth_state_result_t *res);
static int ngx_http_secauth_state_block(const unsigned char *p, size_t avail,
    unsigned *type, const unsigned char **payload, size_t *len,
    const char **reason);
static int ngx_http_secauth_state_records(const unsigned char *p,
    size_t len, unsigned journal, ngx_http_secauth_state_record_pt handler,
    void *data, uint64_t *n);


/* CRC32C (Castagnoli, reflected 0x82f63b78), a table built once */
static uint32_t  ngx_http_secauth_state_crc_table[256];
static int       ngx_http_secauth_state_crc_ready;


static void
ngx_http_secauth_state_crc_init(void)
{
    int       k;
    uint32_t  i, c;

    for (i = 0; i < 256; i++) {
        c = i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78 : c >> 1;
        }

        ngx_http_secauth_state_crc_table[i] = c;
    }

    ngx_http_secauth_state_crc_ready = 1;
}


uint32_t
ngx_http_secauth_state_crc32c(uint32_t crc, const unsigned char *p,
    size_t len)
{
    if (!ngx_http_secauth_state_crc_ready) {
        ngx_http_secauth_state_crc_init();
    }

    crc = ~crc;

    while (len--) {
        crc = ngx_http_secauth_state_crc_table[(crc ^ *p++) & 0xff]
              ^ (crc >> 8);
    }

    return ~crc;
}


static void
ngx_http_secauth_state_put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) v;
    p[1] = (unsigned char) (v >> 8);
}


static void
ngx_http_secauth_state_put32(unsigned char *p, uint32_t v)
{
    ngx_http_secauth_state_put16(p, v & 0xffff);
    ngx_http_secauth_state_put16(p + 2, v >> 16);
}


static void
ngx_http_secauth_state_put64(unsigned char *p, uint64_t v)
{
    ngx_http_secauth_state_put32(p, (uint32_t) v);
    ngx_http_secauth_state_put32(p + 4, (uint32_t) (v >> 32));
}


static uint32_t
ngx_http_secauth_state_get16(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8;
}


static uint32_t
ngx_http_secauth_state_get32(const unsigned char *p)
{
    return ngx_http_secauth_state_get16(p)
           | ngx_http_secauth_state_get16(p + 2) << 16;
}


static uint64_t
ngx_http_secauth_state_get64(const unsigned char *p)
{
    return (uint64_t) ngx_http_secauth_state_get32(p)
           | (uint64_t) ngx_http_secauth_state_get32(p + 4) << 32;
}


void
ngx_http_secauth_state_header_write(unsigned char *buf,
    const ngx_http_secauth_state_header_t *h)
{
    memset(buf, 0, NGX_HTTP_SECAUTH_STATE_HEADER_SIZE);
    memcpy(buf, ngx_http_secauth_state_magic, 8);

    ngx_http_secauth_state_put32(buf + 8, h->format);
    ngx_http_secauth_state_put32(buf + 12, h->records);
    ngx_http_secauth_state_put64(buf + 16, h->zone_size);
    ngx_http_secauth_state_put64(buf + 24, h->generation);
    ngx_http_secauth_state_put64(buf + 32, (uint64_t) h->written);
    ngx_http_secauth_state_put32(buf + 40, h->master);

    ngx_http_secauth_state_put32(buf + 60,
                                 ngx_http_secauth_state_crc32c(0, buf, 60));
}


size_t
ngx_http_secauth_state_record_size(const ngx_http_secauth_state_record_t *rec)
{
    if (rec->op == NGX_HTTP_SECAUTH_STATE_DEL) {
        return NGX_HTTP_SECAUTH_STATE_RECORD_HEADER + rec->key_len;
    }

    return NGX_HTTP_SECAUTH_STATE_RECORD_HEADER + rec->key_len
           + (rec->parent_kind ? rec->parent_key_len : 0) + rec->value_len;
}


unsigned char *
ngx_http_secauth_state_record_write(unsigned char *p,
    const ngx_http_secauth_state_record_t *rec)
{
    size_t    plen, vlen;
    unsigned  pkind;

    if (rec->op == NGX_HTTP_SECAUTH_STATE_DEL) {
        pkind = 0;
        plen = 0;
        vlen = 0;

    } else {
        pkind = rec->parent_kind;
        plen = pkind ? rec->parent_key_len : 0;
        vlen = rec->value_len;
    }

    p[0] = (unsigned char) rec->op;
    p[1] = (unsigned char) rec->kind;
    p[2] = (unsigned char) rec->flags;
    p[3] = (unsigned char) pkind;
    ngx_http_secauth_state_put16(p + 4, (uint32_t) rec->key_len);
    ngx_http_secauth_state_put16(p + 6, (uint32_t) plen);
    ngx_http_secauth_state_put32(p + 8, (uint32_t) vlen);
    ngx_http_secauth_state_put64(p + 12, (uint64_t) rec->expire);
    p += NGX_HTTP_SECAUTH_STATE_RECORD_HEADER;

    if (rec->key_len) {
        memcpy(p, rec->key, rec->key_len);
        p += rec->key_len;
    }

    if (plen) {
        memcpy(p, rec->parent_key, plen);
        p += plen;
    }

    if (vlen) {
        memcpy(p, rec->value, vlen);
        p += vlen;
    }

    return p;
}


void
ngx_http_secauth_state_block_close(unsigned char *start, unsigned char *end,
    unsigned type)
{
    uint32_t  crc, len;

    len = (uint32_t) (end - start - NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER);

    memcpy(start, ngx_http_secauth_state_block_magic, 4);
    ngx_http_secauth_state_put32(start + 4, type);
    ngx_http_secauth_state_put32(start + 8, len);

    crc = ngx_http_secauth_state_crc32c(0, start + 4, 8);
    crc = ngx_http_secauth_state_crc32c(crc,
                                 start + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER,
                                 len);

    ngx_http_secauth_state_put32(start + 12, crc);
}


unsigned char *
ngx_http_secauth_state_end_write(unsigned char *p, uint64_t n)
{
    unsigned char  *end;

    end = p + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;
    ngx_http_secauth_state_put64(end, n);
    end += 8;

    ngx_http_secauth_state_block_close(p, end, NGX_HTTP_SECAUTH_STATE_END);

    return end;
}


static int
ngx_http_secauth_state_header_read(const unsigned char *buf, size_t len,
    uint32_t records, ngx_http_secauth_state_result_t *res)
{
    ngx_http_secauth_state_header_t  *h;

    h = &res->header;

    if (len == 0) {
        res->status = NGX_HTTP_SECAUTH_STATE_EMPTY;
        res->reason = "the file is empty";
        return -1;
    }

    if (len < 8 || memcmp(buf, ngx_http_secauth_state_magic, 8) != 0) {
        res->status = NGX_HTTP_SECAUTH_STATE_FOREIGN;
        res->reason = "not a secauth state file (no magic)";
        return -1;
    }

    if (len < NGX_HTTP_SECAUTH_STATE_HEADER_SIZE) {
        res->status = NGX_HTTP_SECAUTH_STATE_BAD_HEADER;
        res->reason = "the header is cut short";
        return -1;
    }

    if (ngx_http_secauth_state_crc32c(0, buf, 60)
        != ngx_http_secauth_state_get32(buf + 60))
    {
        res->status = NGX_HTTP_SECAUTH_STATE_BAD_HEADER;
        res->reason = "the header's checksum does not match";
        return -1;
    }

    h->format = ngx_http_secauth_state_get32(buf + 8);
    h->records = ngx_http_secauth_state_get32(buf + 12);
    h->zone_size = ngx_http_secauth_state_get64(buf + 16);
    h->generation = ngx_http_secauth_state_get64(buf + 24);
    h->written = (int64_t) ngx_http_secauth_state_get64(buf + 32);
    h->master = ngx_http_secauth_state_get32(buf + 40);

    if (h->format != NGX_HTTP_SECAUTH_STATE_FORMAT) {
        res->status = NGX_HTTP_SECAUTH_STATE_VERSION;
        res->reason = "written in another format version";
        return -1;
    }

    if (h->records != records) {
        res->status = NGX_HTTP_SECAUTH_STATE_VERSION;
        res->reason = "written with another version of the records";
        return -1;
    }

    return 0;
}


int
ngx_http_secauth_state_header_get(const unsigned char *buf, size_t len,
    ngx_http_secauth_state_header_t *h)
{
    ngx_http_secauth_state_result_t  res;

    memset(&res, 0, sizeof(res));

    if (ngx_http_secauth_state_header_read(buf, len, 0, &res) != 0
        && res.status != NGX_HTTP_SECAUTH_STATE_VERSION)
    {
        return -1;
    }

    *h = res.header;

    return 0;
}


/* 0: a good block, 1: cut short, -1: damaged */

static int
ngx_http_secauth_state_block(const unsigned char *p, size_t avail,
    unsigned *type, const unsigned char **payload, size_t *len,
    const char **reason)
{
    uint32_t  crc, n;

    if (avail < NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER) {
        *reason = "a block header is cut short";
        return 1;
    }

    if (memcmp(p, ngx_http_secauth_state_block_magic, 4) != 0) {
        *reason = "a block has no magic";
        return -1;
    }

    n = ngx_http_secauth_state_get32(p + 8);

    if (n > NGX_HTTP_SECAUTH_STATE_BLOCK_MAX) {
        *reason = "a block's length is out of range";
        return -1;
    }

    if (avail - NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER < n) {
        *reason = "a block is cut short";
        return 1;
    }

    crc = ngx_http_secauth_state_crc32c(0, p + 4, 8);
    crc = ngx_http_secauth_state_crc32c(crc,
                                     p + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER,
                                     n);

    if (crc != ngx_http_secauth_state_get32(p + 12)) {
        *reason = "a block's checksum does not match";
        return -1;
    }

    *type = ngx_http_secauth_state_get32(p + 4);
    *payload = p + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;
    *len = n;

    return 0;
}


/*
 * the records of a checked payload; handler NULL: only counts them.
 * 0: done, -1: a malformed record
 */

static int
ngx_http_secauth_state_records(const unsigned char *p, size_t len,
    unsigned journal, ngx_http_secauth_state_record_pt handler, void *data,
    uint64_t *n)
{
    size_t                           need;
    const unsigned char             *end;
    ngx_http_secauth_state_record_t  rec;

    end = p + len;

    while (p < end) {

        if ((size_t) (end - p) < NGX_HTTP_SECAUTH_STATE_RECORD_HEADER) {
            return -1;
        }

        memset(&rec, 0, sizeof(rec));

        rec.op = p[0];
        rec.kind = p[1];
        rec.flags = p[2];
        rec.parent_kind = p[3];
        rec.key_len = ngx_http_secauth_state_get16(p + 4);
        rec.parent_key_len = ngx_http_secauth_state_get16(p + 6);
        rec.value_len = ngx_http_secauth_state_get32(p + 8);
        rec.expire = (int64_t) ngx_http_secauth_state_get64(p + 12);
        rec.journal = journal;

        if ((rec.op != NGX_HTTP_SECAUTH_STATE_PUT
             && rec.op != NGX_HTTP_SECAUTH_STATE_DEL)
            || rec.kind == 0
            || (rec.parent_kind == 0 && rec.parent_key_len != 0))
        {
            return -1;
        }

        if (rec.op == NGX_HTTP_SECAUTH_STATE_DEL
            && (rec.parent_kind || rec.value_len))
        {
            return -1;
        }

        p += NGX_HTTP_SECAUTH_STATE_RECORD_HEADER;

        need = rec.key_len + rec.parent_key_len;

        if ((size_t) (end - p) < need
            || (size_t) (end - p) - need < rec.value_len)
        {
            return -1;
        }

        rec.key = p;
        p += rec.key_len;
        rec.parent_key = p;
        p += rec.parent_key_len;
        rec.value = p;
        p += rec.value_len;

        (*n)++;

        if (handler) {
            handler(data, &rec);
        }
    }

    return 0;
}


ngx_http_secauth_state_status_e
ngx_http_secauth_state_parse(const unsigned char *buf, size_t len,
    uint32_t records, ngx_http_secauth_state_record_pt handler, void *data,
    ngx_http_secauth_state_result_t *res)
{
    int                   rc, pass;
    size_t                off, plen, snapshot_end;
    uint64_t              count, expected;
    unsigned              type;
    const char           *reason;
    const unsigned char  *payload;

    memset(res, 0, sizeof(ngx_http_secauth_state_result_t));

    if (ngx_http_secauth_state_header_read(buf, len, records, res) != 0) {
        return res->status;
    }

    /*
     * the snapshot twice: checked whole (pass 0), then its records given
     * to the handler (pass 1), so that a damaged one loads nothing
     */

    snapshot_end = 0;

    for (pass = 0; pass < 2; pass++) {

        off = NGX_HTTP_SECAUTH_STATE_HEADER_SIZE;
        count = 0;

        for ( ;; ) {
            rc = ngx_http_secauth_state_block(buf + off, len - off, &type,
                                              &payload, &plen, &reason);
            if (rc != 0) {
                res->status = NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT;
                res->reason = (rc > 0) ? "the snapshot is cut short"
                                       : reason;
                res->offset = off;
                return res->status;
            }

            if (type == NGX_HTTP_SECAUTH_STATE_END) {
                if (plen != 8) {
                    goto bad_snapshot;
                }

                expected = ngx_http_secauth_state_get64(payload);

                if (expected != count) {
                    res->status = NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT;
                    res->reason = "the snapshot's count of records does "
                                  "not match";
                    res->offset = off;
                    return res->status;
                }

                off += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + plen;
                snapshot_end = off;
                break;
            }

            if (type != NGX_HTTP_SECAUTH_STATE_SNAPSHOT) {
                goto bad_snapshot;
            }

            rc = ngx_http_secauth_state_records(payload, plen, 0,
                                                pass ? handler : NULL,
                                                data, &count);
            if (rc != 0) {
                goto bad_snapshot;
            }

            off += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + plen;
        }

        res->snapshot = count;
    }

    /* the journal: good up to its first bad block */

    off = snapshot_end;
    count = 0;

    while (off < len) {
        rc = ngx_http_secauth_state_block(buf + off, len - off, &type,
                                          &payload, &plen, &reason);

        if (rc == 0 && type != NGX_HTTP_SECAUTH_STATE_JOURNAL) {
            rc = -1;
            reason = "a block after the snapshot is not a journal block";
        }

        if (rc == 0) {
            /* a block is applied whole or not at all: checked first */

            if (ngx_http_secauth_state_records(payload, plen, 1, NULL, NULL,
                                               &count)
                != 0)
            {
                rc = -1;
                reason = "a journal record is malformed";

            } else {
                (void) ngx_http_secauth_state_records(payload, plen, 1,
                                                      handler, data,
                                                      &res->journal);
            }
        }

        if (rc != 0) {
            res->status = (rc > 0) ? NGX_HTTP_SECAUTH_STATE_TORN_JOURNAL
                                   : NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL;
            res->reason = reason;
            res->offset = off;
            return res->status;
        }

        off += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + plen;
    }

    res->offset = off;
    res->status = NGX_HTTP_SECAUTH_STATE_OK;

    return res->status;

bad_snapshot:

    res->status = NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT;
    res->reason = "a snapshot block is malformed";
    res->offset = off;

    return res->status;
}


size_t
ngx_http_secauth_state_parse_journal(const unsigned char *buf, size_t len,
    ngx_http_secauth_state_record_pt handler, void *data)
{
    size_t                off, plen;
    uint64_t              n;
    unsigned              type;
    const char           *reason;
    const unsigned char  *payload;

    off = 0;
    n = 0;

    while (off < len) {
        if (ngx_http_secauth_state_block(buf + off, len - off, &type,
                                         &payload, &plen, &reason)
            != 0
            || type != NGX_HTTP_SECAUTH_STATE_JOURNAL
            || ngx_http_secauth_state_records(payload, plen, 1, NULL, NULL,
                                              &n)
               != 0)
        {
            break;
        }

        (void) ngx_http_secauth_state_records(payload, plen, 1, handler,
                                              data, &n);

        off += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + plen;
    }

    return off;
}
