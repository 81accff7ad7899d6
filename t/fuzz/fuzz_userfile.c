
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_userfile.c: the input is a secauth_users file,
 * read line by line as ngx_http_secauth_users.c reads it, each entry's
 * name checked and folded. Asserted: an entry's name and hash lie inside
 * the line, the name before the first ":", the hash the rest; a folded
 * name is as long, has no ASCII capital, is the same in place, and is
 * strict UTF-8; the UTF-8 check agrees with jansson's (json_stringn()
 * refuses what is not UTF-8), on names and on whole lines.
 */


#include <string.h>
#include <jansson.h>

#include "ngx_http_secauth_userfile.h"
#include "fuzz.h"


static void fuzz_line(const unsigned char *line, size_t len);
static int fuzz_jansson_utf8(const unsigned char *p, size_t len);


static int
fuzz_jansson_utf8(const unsigned char *p, size_t len)
{
    json_t  *s;

    s = json_stringn((const char *) p, len);

    if (s == NULL) {
        return 0;
    }

    json_decref(s);

    return 1;
}


static void
fuzz_line(const unsigned char *line, size_t len)
{
    int                   rc, rc2;
    size_t                i, nl, hl;
    unsigned char        *a, *b;
    const unsigned char  *n, *h;

    fuzz_assert(ngx_http_secauth_utf8_valid(line, len)
                == fuzz_jansson_utf8(line, len));

    n = NULL;
    h = NULL;

    rc = ngx_http_secauth_userfile_line(line, len, &n, &nl, &h, &hl);

    if (rc != NGX_HTTP_SECAUTH_USERFILE_ENTRY) {
        fuzz_assert(rc == NGX_HTTP_SECAUTH_USERFILE_SKIP
                    || rc == NGX_HTTP_SECAUTH_USERFILE_NO_COLON);
        fuzz_assert(n == NULL && h == NULL);
        fuzz_assert(rc != NGX_HTTP_SECAUTH_USERFILE_NO_COLON
                    || memchr(line, ':', len) == NULL);
        return;
    }

    fuzz_assert(n >= line && n + nl + 1 == h && h + hl <= line + len);
    fuzz_assert(h[-1] == ':' && memchr(n, ':', nl) == NULL);
    fuzz_assert(h + hl == line + len
                || (h + hl + 1 == line + len && h[hl] == '\r'));
    fuzz_assert(nl == 0 || (n[0] != ' ' && n[0] != '\t'));

    a = malloc(nl ? nl : 1);
    b = malloc(nl ? nl : 1);
    fuzz_assert(a != NULL && b != NULL);
    memcpy(b, n, nl);

    rc = ngx_http_secauth_username_fold(a, n, nl);
    rc2 = ngx_http_secauth_username_fold(b, b, nl);

    fuzz_assert(rc == rc2);
    fuzz_assert(rc == NGX_HTTP_SECAUTH_USERNAME_OK
                || rc == NGX_HTTP_SECAUTH_USERNAME_INVALID
                || rc == NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8);

    if (nl > 0 && nl <= NGX_HTTP_SECAUTH_USERFILE_NAME_MAX) {
        fuzz_assert((rc == NGX_HTTP_SECAUTH_USERNAME_NOT_UTF8)
                    == !fuzz_jansson_utf8(n, nl));
    }

    if (rc == NGX_HTTP_SECAUTH_USERNAME_OK) {
        fuzz_assert(nl >= 1 && nl <= NGX_HTTP_SECAUTH_USERFILE_NAME_MAX);
        fuzz_assert(memcmp(a, b, nl) == 0);
        fuzz_assert(ngx_http_secauth_utf8_valid(a, nl));

        for (i = 0; i < nl; i++) {
            fuzz_assert(!(a[i] >= 'A' && a[i] <= 'Z'));
            fuzz_assert(a[i] > ' ' && a[i] != ':' && a[i] != 0x7f);
            fuzz_assert(a[i] == n[i] || a[i] == (n[i] | 0x20));
        }
    }

    free(a);
    free(b);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, start;
    unsigned char  *line;

    for (start = 0; start <= size; start = i + 1) {
        for (i = start; i < size && data[i] != '\n'; i++) { /* void */ }

        line = malloc(i - start ? i - start : 1);
        fuzz_assert(line != NULL);
        memcpy(line, data + start, i - start);

        fuzz_line(line, i - start);

        free(line);
    }

    return 0;
}
