
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_form.c, fields and percent-decoding: the input
 * is a login form's body, in a buffer of its exact size; the fields the
 * login location reads are looked up and decoded (into a buffer of the
 * value's size, and in place), and checked against the contract: the
 * value lies inside the body after "name=", holds no "&", decodes to at
 * most its length, to the same bytes as a plain decoder written here,
 * the same in place as not.
 */


#include <string.h>

#include "ngx_http_secauth_form.h"
#include "fuzz.h"


static int fuzz_hex(unsigned char c);
static long fuzz_decode(unsigned char *dst, const unsigned char *src,
    size_t len);
static void fuzz_field(const unsigned char *body, size_t len,
    const char *name);


static int
fuzz_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}


static long
fuzz_decode(unsigned char *dst, const unsigned char *src, size_t len)
{
    size_t  i, n;

    for (i = 0, n = 0; i < len; i++) {
        if (src[i] == '+') {
            dst[n++] = ' ';

        } else if (src[i] != '%') {
            dst[n++] = src[i];

        } else if (i + 2 < len && fuzz_hex(src[i + 1]) >= 0
                   && fuzz_hex(src[i + 2]) >= 0)
        {
            dst[n++] = fuzz_hex(src[i + 1]) << 4 | fuzz_hex(src[i + 2]);
            i += 2;

        } else {
            return -1;
        }
    }

    return n;
}


static void
fuzz_field(const unsigned char *body, size_t len, const char *name)
{
    int                   rc;
    long                  n, m, k;
    size_t                name_len, value_len;
    unsigned char        *a, *b, *c;
    const unsigned char  *value;

    name_len = strlen(name);
    value = NULL;
    value_len = 0;

    rc = ngx_http_secauth_form_find(body, len, (const unsigned char *) name,
                                    name_len, &value, &value_len);

    fuzz_assert(rc == 1 || rc == 0 || rc == -1);

    if (rc != 1) {
        fuzz_assert(value == NULL && value_len == 0);
        return;
    }

    fuzz_assert(value >= body + name_len + 1);
    fuzz_assert(value + value_len <= body + len);
    fuzz_assert(value[-1] == '=');
    fuzz_assert(memcmp(value - 1 - name_len, name, name_len) == 0);
    fuzz_assert(value - 1 - name_len == body || *(value - 2 - name_len) == '&');
    fuzz_assert(memchr(value, '&', value_len) == NULL);
    fuzz_assert(value + value_len == body + len || value[value_len] == '&');

    a = malloc(value_len ? value_len : 1);
    b = malloc(value_len ? value_len : 1);
    c = malloc(value_len ? value_len : 1);
    fuzz_assert(a != NULL && b != NULL && c != NULL);

    n = ngx_http_secauth_form_decode(a, value, value_len);

    memcpy(b, value, value_len);
    m = ngx_http_secauth_form_decode(b, b, value_len);

    k = fuzz_decode(c, value, value_len);

    fuzz_assert(n == m && n == k);
    fuzz_assert(n <= (long) value_len);

    if (n > 0) {
        fuzz_assert(memcmp(a, b, n) == 0 && memcmp(a, c, n) == 0);
    }

    free(a);
    free(b);
    free(c);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char  *body;

    body = malloc(size ? size : 1);
    fuzz_assert(body != NULL);
    memcpy(body, data, size);

    fuzz_field(body, size, "username");
    fuzz_field(body, size, "password");
    fuzz_field(body, size, "next");
    fuzz_field(body, size, "csrf");

    free(body);

    return 0;
}
