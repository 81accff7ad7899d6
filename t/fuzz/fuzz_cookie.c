
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_cookie.c: the input is a request's Cookie
 * headers, one a line ("\n" between them), scanned one after the other
 * for the module's default cookie as the gate does, and checked against
 * the contract written out plainly: the first cookie of that name wins,
 * a second one anywhere is refused, the value points inside its header,
 * trimmed of spaces and tabs, without ";".
 */


#include <string.h>

#include "ngx_http_secauth_cookie.h"
#include "fuzz.h"


#define NAME  "__Host-secauth"


static int fuzz_space(unsigned char c);
static void fuzz_reference(const unsigned char *h, size_t len,
    unsigned int *count, const unsigned char **value, size_t *value_len);


static int
fuzz_space(unsigned char c)
{
    return c == ' ' || c == '\t';
}


/* the pairs of one header whose trimmed name is NAME, counted */

static void
fuzz_reference(const unsigned char *h, size_t len, unsigned int *count,
    const unsigned char **value, size_t *value_len)
{
    size_t  start, end, eq, ns, ne, vs, ve;

    start = 0;

    while (start < len) {
        end = start;
        while (end < len && h[end] != ';') {
            end++;
        }

        eq = start;
        while (eq < end && h[eq] != '=') {
            eq++;
        }

        if (eq < end) {
            ns = start;
            ne = eq;
            while (ns < ne && fuzz_space(h[ns])) {
                ns++;
            }
            while (ne > ns && fuzz_space(h[ne - 1])) {
                ne--;
            }

            if (ne - ns == sizeof(NAME) - 1
                && memcmp(h + ns, NAME, ne - ns) == 0)
            {
                if ((*count)++ == 0) {
                    vs = eq + 1;
                    ve = end;
                    while (vs < ve && fuzz_space(h[vs])) {
                        vs++;
                    }
                    while (ve > vs && fuzz_space(h[ve - 1])) {
                        ve--;
                    }
                    *value = h + vs;
                    *value_len = ve - vs;
                }
            }
        }

        start = end + 1;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   rc, refused;
    size_t                i, start, len, value_len, ref_len;
    unsigned int          found, count;
    unsigned char        *h;
    const unsigned char  *value, *ref;

    found = 0;
    count = 0;
    refused = 0;
    value = NULL;
    value_len = 0;
    ref = NULL;
    ref_len = 0;

    start = 0;

    while (start <= size && !refused) {
        for (i = start; i < size && data[i] != '\n'; i++) { /* void */ }

        len = i - start;

        /* a copy of its exact size: a read past it is an ASan report */
        h = malloc(len ? len : 1);
        fuzz_assert(h != NULL);
        memcpy(h, data + start, len);

        rc = ngx_http_secauth_cookie_scan(h, len,
                                          (const unsigned char *) NAME,
                                          sizeof(NAME) - 1, &value,
                                          &value_len, &found);

        fuzz_assert(rc == 0 || rc == -1);

        fuzz_reference(h, len, &count, &ref, &ref_len);

        if (rc == -1) {
            fuzz_assert(count >= 2);
            refused = 1;

        } else {
            fuzz_assert(count <= 1);
            fuzz_assert(found == count);
        }

        if (found && ref != NULL && rc == 0) {
            /* the value was found in this header: the same bytes */
            fuzz_assert(value == ref && value_len == ref_len);
            fuzz_assert(value >= h && value + value_len <= h + len);
            fuzz_assert(memchr(value, ';', value_len) == NULL);
            fuzz_assert(value_len == 0
                        || (!fuzz_space(value[0])
                            && !fuzz_space(value[value_len - 1])));

            if (ngx_http_secauth_cookie_id_valid(value, value_len)) {
                fuzz_assert(value_len == NGX_HTTP_SECAUTH_COOKIE_ID_LEN);
            }

            /* later headers must not see a pointer into a freed one */
            ref = NULL;
            value = NULL;
        }

        free(h);
        start = i + 1;
    }

    return 0;
}
