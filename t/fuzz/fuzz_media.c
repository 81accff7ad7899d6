
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_form.c, the media type of a Content-Type: the
 * input, in a buffer of its exact size, against the two types the POST
 * locations accept, and the answer against the contract written out:
 * the type in any ASCII case, then the end, ";", a space or a tab.
 */


#include <string.h>
#include <strings.h>

#include "ngx_http_secauth_form.h"
#include "fuzz.h"


static int fuzz_reference(const unsigned char *v, size_t len,
    const char *type);


static int
fuzz_reference(const unsigned char *v, size_t len, const char *type)
{
    size_t         i, n;
    unsigned char  a, b;

    n = strlen(type);

    if (len < n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        a = v[i];
        b = (unsigned char) type[i];

        if (a >= 'A' && a <= 'Z') {
            a += 'a' - 'A';
        }

        if (b >= 'A' && b <= 'Z') {
            b += 'a' - 'A';
        }

        if (a != b) {
            return 0;
        }
    }

    return len == n || v[n] == ';' || v[n] == ' ' || v[n] == '\t';
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i;
    unsigned char  *v;

    static const char  *types[] = {
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain"
    };

    v = malloc(size ? size : 1);
    fuzz_assert(v != NULL);
    memcpy(v, data, size);

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        fuzz_assert(ngx_http_secauth_form_media_type(v, size, types[i])
                    == fuzz_reference(v, size, types[i]));
    }

    free(v);

    return 0;
}
