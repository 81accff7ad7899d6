
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * A zone's state file (core/ngx_http_secauth_state.c), which nginx reads
 * at start and, in a binary upgrade, from another nginx. The first byte
 * picks how the rest is used:
 *
 *   0  the whole file as it is (the header's checksum stops most inputs:
 *      the parse of what follows is reached by 1 and 2);
 *   1  records in a journal block of a well-formed file: either the
 *      block is refused whole (the handler never called), or every
 *      record comes back and writes back to exactly the same bytes;
 *   2  the same records as a journal block parsed alone (which gives
 *      their count), then in the snapshot block of a file, with the
 *      count its END block needs: accepted exactly when the journal
 *      block was, and written back the same.
 */


#include <string.h>

#include "ngx_http_secauth_state.h"
#include "fuzz.h"


#define FUZZ_RECORDS  1


typedef struct {
    unsigned char  *out;
    size_t          cap;
    size_t          pos;
    uint64_t        n;
} fuzz_state_t;


static void fuzz_state_record(void *data,
    const ngx_http_secauth_state_record_t *rec);
static size_t fuzz_state_file(unsigned char *buf, const uint8_t *payload,
    size_t size, unsigned type, uint64_t count);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                           len, n;
    unsigned                         mode;
    unsigned char                   *buf;
    fuzz_state_t                     st;
    ngx_http_secauth_state_result_t  res;
    ngx_http_secauth_state_status_e  rc;

    if (size == 0) {
        return 0;
    }

    mode = data[0] % 3;
    data++;
    size--;

    memset(&st, 0, sizeof(fuzz_state_t));
    st.cap = size;
    st.out = malloc(size + 1);
    fuzz_assert(st.out != NULL);

    if (mode == 0) {
        (void) ngx_http_secauth_state_parse(data, size, FUZZ_RECORDS,
                                            fuzz_state_record, &st, &res);
        st.pos = 0;
        n = ngx_http_secauth_state_parse_journal(data, size, NULL, NULL);
        fuzz_assert(n <= size);
        free(st.out);
        st.out = NULL;
        return 0;
    }

    buf = malloc(NGX_HTTP_SECAUTH_STATE_HEADER_SIZE
                 + 2 * NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + 8 + size);
    fuzz_assert(buf != NULL);

    if (mode == 1) {
        len = fuzz_state_file(buf, data, size,
                              NGX_HTTP_SECAUTH_STATE_JOURNAL, 0);
        rc = ngx_http_secauth_state_parse(buf, len, FUZZ_RECORDS,
                                          fuzz_state_record, &st, &res);

        fuzz_assert(rc == NGX_HTTP_SECAUTH_STATE_OK
                    || rc == NGX_HTTP_SECAUTH_STATE_BAD_JOURNAL);
        fuzz_assert(res.journal == st.n && res.snapshot == 0);

        if (rc == NGX_HTTP_SECAUTH_STATE_OK) {
            fuzz_assert(st.pos == size && memcmp(st.out, data, size) == 0);

        } else {
            fuzz_assert(st.n == 0);
        }

    } else {
        /* the count, from the same records parsed as a journal block */

        len = fuzz_state_file(buf, data, size,
                              NGX_HTTP_SECAUTH_STATE_JOURNAL, 0);
        n = ngx_http_secauth_state_parse_journal(
                  buf + NGX_HTTP_SECAUTH_STATE_HEADER_SIZE
                  + NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER + 8,
                  len - NGX_HTTP_SECAUTH_STATE_HEADER_SIZE
                  - NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER - 8,
                  fuzz_state_record, &st);

        len = fuzz_state_file(buf, data, size,
                              NGX_HTTP_SECAUTH_STATE_SNAPSHOT, st.n);
        n = (n > 0);
        st.pos = 0;
        st.n = 0;

        rc = ngx_http_secauth_state_parse(buf, len, FUZZ_RECORDS,
                                          fuzz_state_record, &st, &res);

        if (n) {
            fuzz_assert(rc == NGX_HTTP_SECAUTH_STATE_OK);
            fuzz_assert(st.pos == size && memcmp(st.out, data, size) == 0);
            fuzz_assert(res.snapshot == st.n);

        } else {
            fuzz_assert(rc == NGX_HTTP_SECAUTH_STATE_BAD_SNAPSHOT);
            fuzz_assert(st.n == 0);
        }
    }

    free(buf);
    free(st.out);

    return 0;
}


/* each record written back where the last one ended */

static void
fuzz_state_record(void *data, const ngx_http_secauth_state_record_t *rec)
{
    size_t          need;
    fuzz_state_t   *st = data;
    unsigned char  *end;

    need = ngx_http_secauth_state_record_size(rec);
    fuzz_assert(need <= st->cap - st->pos);

    end = ngx_http_secauth_state_record_write(st->out + st->pos, rec);
    fuzz_assert((size_t) (end - st->out) == st->pos + need);

    st->pos += need;
    st->n++;
}


/*
 * A well-formed file around payload: a header, then either an empty
 * snapshot and payload as a journal block, or payload as the snapshot
 * block of count records and its END block
 */

static size_t
fuzz_state_file(unsigned char *buf, const uint8_t *payload, size_t size,
    unsigned type, uint64_t count)
{
    unsigned char                    *p, *start;
    ngx_http_secauth_state_header_t   h;

    memset(&h, 0, sizeof(h));
    h.format = NGX_HTTP_SECAUTH_STATE_FORMAT;
    h.records = FUZZ_RECORDS;
    h.zone_size = 1024 * 1024;
    h.generation = 1;
    h.written = 1;
    h.master = 1;

    ngx_http_secauth_state_header_write(buf, &h);
    p = buf + NGX_HTTP_SECAUTH_STATE_HEADER_SIZE;

    if (type == NGX_HTTP_SECAUTH_STATE_JOURNAL) {
        p = ngx_http_secauth_state_end_write(p, 0);
    }

    start = p;
    p += NGX_HTTP_SECAUTH_STATE_BLOCK_HEADER;
    memcpy(p, payload, size);
    p += size;
    ngx_http_secauth_state_block_close(start, p, type);

    if (type == NGX_HTTP_SECAUTH_STATE_SNAPSHOT) {
        p = ngx_http_secauth_state_end_write(p, count);
    }

    return p - buf;
}
