
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>
#include <string.h>

#include "ngx_http_secauth_form.h"


static int ngx_http_secauth_form_hex(unsigned char c);


#define ngx_http_secauth_form_lower(c)                                        \
    (((c) >= 'A' && (c) <= 'Z') ? ((c) | 0x20) : (c))


int
ngx_http_secauth_form_find(const unsigned char *body, size_t len,
    const unsigned char *name, size_t name_len, const unsigned char **value,
    size_t *value_len)
{
    int                   found;
    const unsigned char  *p, *last, *end, *v;
    size_t                n;

    p = body;
    last = body + len;
    found = 0;
    v = NULL;
    n = 0;

    while (p < last) {
        end = memchr(p, '&', last - p);
        if (end == NULL) {
            end = last;
        }

        if ((size_t) (end - p) > name_len && p[name_len] == '='
            && memcmp(p, name, name_len) == 0)
        {
            if (found) {
                return -1;
            }

            found = 1;
            v = p + name_len + 1;
            n = end - v;
        }

        /* not one past the end: the pointer stays inside the object */
        p = (end < last) ? end + 1 : last;
    }

    if (!found) {
        return 0;
    }

    *value = v;
    *value_len = n;

    return 1;
}


long
ngx_http_secauth_form_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    int                   hi, lo;
    unsigned char        *d;
    const unsigned char  *last;

    d = dst;

    for (last = src + len; src < last; src++) {

        if (*src == '+') {
            *d++ = ' ';

        } else if (*src == '%') {
            if (last - src < 3) {
                return -1;
            }

            hi = ngx_http_secauth_form_hex(src[1]);
            lo = ngx_http_secauth_form_hex(src[2]);

            if (hi < 0 || lo < 0) {
                return -1;
            }

            *d++ = (unsigned char) (hi << 4 | lo);
            src += 2;

        } else {
            *d++ = *src;
        }
    }

    return (long) (d - dst);
}


/* the value of a hexadecimal digit, or -1 */

static int
ngx_http_secauth_form_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c = ngx_http_secauth_form_lower(c);

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
ngx_http_secauth_form_media_type(const unsigned char *value, size_t len,
    const char *type)
{
    size_t                i, n;
    unsigned char         c;
    const unsigned char  *t;

    t = (const unsigned char *) type;
    n = strlen(type);

    if (len < n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        c = value[i];

        if (ngx_http_secauth_form_lower(c) != ngx_http_secauth_form_lower(t[i]))
        {
            return 0;
        }
    }

    if (len == n) {
        return 1;
    }

    c = value[n];

    return c == ';' || c == ' ' || c == '\t';
}
