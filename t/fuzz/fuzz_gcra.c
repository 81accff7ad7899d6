
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * core/ngx_http_secauth_gcra.c: the input is a bucket's parameters and a
 * run of requests (64-bit times, any values: a clock gone backwards, an
 * interval near UINT64_MAX). Checked: no sum wraps (the TAT after a take
 * is never below the time it started from), a take admits within tau
 * and a refusal says how long until one would be admitted, a give back
 * undoes a take, and monotony: the same bucket later never refuses what
 * it admitted earlier, nor asks a longer wait.
 */


#include <string.h>

#include "ngx_http_secauth_gcra.h"
#include "fuzz.h"


static uint64_t fuzz_u64(const uint8_t **p, size_t *left);


static uint64_t
fuzz_u64(const uint8_t **p, size_t *left)
{
    uint64_t  v;
    size_t    n;

    v = 0;
    n = *left < sizeof(v) ? *left : sizeof(v);
    memcpy(&v, *p, n);
    *p += n;
    *left -= n;

    return v;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int       ok, ok2;
    uint64_t  tat, now, later, interval, tau, next, wait, next2, wait2;
    uint64_t  base, step;

    interval = fuzz_u64(&data, &size);
    tau = fuzz_u64(&data, &size);
    tat = fuzz_u64(&data, &size);
    now = fuzz_u64(&data, &size);

    while (1) {
        base = (tat > now) ? tat : now;

        ok = ngx_http_secauth_gcra_take(tat, now, interval, tau, &next,
                                        &wait);
        fuzz_assert(ok == 0 || ok == 1);

        /* no wrap: the TAT never goes behind max(tat, now) */
        fuzz_assert(next >= base);
        fuzz_assert(ngx_http_secauth_gcra_full_in(tat, now)
                    == base - now);

        if (ok) {
            fuzz_assert(wait == base - now && wait <= tau);
            fuzz_assert(next == (base > UINT64_MAX - interval
                                 ? UINT64_MAX : base + interval));

            /* a give back undoes the take (unless it saturated) */
            if (base <= UINT64_MAX - interval) {
                fuzz_assert(ngx_http_secauth_gcra_give_back(next, interval)
                            == base);
            }

        } else {
            fuzz_assert(next == base);
            fuzz_assert(base - now > tau && wait == base - now - tau);

            /* wait later (if the clock can get there), it is admitted */
            if (now <= UINT64_MAX - wait) {
                ok2 = ngx_http_secauth_gcra_take(tat, now + wait, interval,
                                                 tau, &next2, &wait2);
                fuzz_assert(ok2 == 1);
            }
        }

        fuzz_assert(ngx_http_secauth_gcra_give_back(tat, interval) <= tat);

        /* monotone in time: later is never worse */
        step = fuzz_u64(&data, &size);
        later = (now > UINT64_MAX - step) ? UINT64_MAX : now + step;

        ok2 = ngx_http_secauth_gcra_take(tat, later, interval, tau, &next2,
                                         &wait2);
        fuzz_assert(ok2 >= ok);
        fuzz_assert(wait2 <= wait || (!ok && ok2));
        fuzz_assert(next2 >= base);

        if (size == 0) {
            break;
        }

        /* the run goes on: the request taken (or not), time moves */
        tat = next;
        now = later;
    }

    return 0;
}
