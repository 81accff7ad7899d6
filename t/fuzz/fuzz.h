
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_FUZZ_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_FUZZ_H_INCLUDED_


/*
 * What every libFuzzer target of t/fuzz/ shares: the entry point's
 * prototype and an assertion that is a finding (abort(): libFuzzer
 * keeps the input as a crash file), kept in release builds too.
 */


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


#define fuzz_assert(cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: fuzz_assert(%s) failed\n",                \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)


#endif /* _NGX_HTTP_SECAUTH_FUZZ_H_INCLUDED_ */
