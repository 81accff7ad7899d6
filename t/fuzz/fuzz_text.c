
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_text.c against its contract written out byte by
 * byte: text is what has no C0 control and no DEL.
 */


#include "ngx_http_secauth_text.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int     want;
    size_t  i;

    want = 1;

    for (i = 0; i < size; i++) {
        if (data[i] < 0x20 || data[i] == 0x7f) {
            want = 0;
            break;
        }
    }

    fuzz_assert(ngx_http_secauth_text_valid(data, size) == want);

    return 0;
}
