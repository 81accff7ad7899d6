
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stddef.h>

#include "ngx_http_secauth_text.h"


int
ngx_http_secauth_text_valid(const unsigned char *p, size_t len)
{
    const unsigned char  *last;

    for (last = p + len; p < last; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return 0;
        }
    }

    return 1;
}
