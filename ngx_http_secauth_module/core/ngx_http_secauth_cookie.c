
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>
#include <string.h>

#include "ngx_http_secauth_base64url.h"
#include "ngx_http_secauth_cookie.h"


#define ngx_http_secauth_cookie_space(c)  ((c) == ' ' || (c) == '\t')


int
ngx_http_secauth_cookie_scan(const unsigned char *header, size_t len,
    const unsigned char *name, size_t name_len, const unsigned char **value,
    size_t *value_len, unsigned int *found)
{
    const unsigned char  *p, *last, *start, *end, *eq, *name_end;

    p = header;
    last = header + len;

    while (p < last) {

        /* memchr(): the C library's, a word or more at a time */

        start = p;
        end = memchr(p, ';', last - p);

        if (end == NULL) {
            end = last;
        }

        /* not one past the end: the pointer stays inside the object */
        p = (end < last) ? end + 1 : last;

        eq = memchr(start, '=', end - start);

        if (eq == NULL) {
            continue;
        }

        name_end = eq;

        while (start < name_end && ngx_http_secauth_cookie_space(*start)) {
            start++;
        }

        while (name_end > start
               && ngx_http_secauth_cookie_space(name_end[-1]))
        {
            name_end--;
        }

        if ((size_t) (name_end - start) != name_len
            || memcmp(start, name, name_len) != 0)
        {
            continue;
        }

        if (*found) {
            return -1;
        }

        *found = 1;

        start = eq + 1;

        while (start < end && ngx_http_secauth_cookie_space(*start)) {
            start++;
        }

        while (end > start && ngx_http_secauth_cookie_space(end[-1])) {
            end--;
        }

        *value = start;
        *value_len = end - start;
    }

    return 0;
}


int
ngx_http_secauth_cookie_id_valid(const unsigned char *value, size_t len)
{
    return len == NGX_HTTP_SECAUTH_COOKIE_ID_LEN
           && ngx_http_secauth_b64url_valid(value, len);
}
