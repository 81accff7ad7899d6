
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#include <stdint.h>

#include "ngx_http_secauth_gcra.h"


int
ngx_http_secauth_gcra_take(uint64_t tat, uint64_t now, uint64_t interval,
    uint64_t tau, uint64_t *next, uint64_t *wait)
{
    uint64_t  ahead;

    if (tat < now) {
        tat = now;
    }

    ahead = tat - now;

    if (ahead > tau) {
        *wait = ahead - tau;
        *next = tat;
        return 0;
    }

    *wait = ahead;
    *next = (tat > UINT64_MAX - interval) ? UINT64_MAX : tat + interval;

    return 1;
}


uint64_t
ngx_http_secauth_gcra_give_back(uint64_t tat, uint64_t interval)
{
    return (tat > interval) ? tat - interval : 0;
}


uint64_t
ngx_http_secauth_gcra_full_in(uint64_t tat, uint64_t now)
{
    return (tat > now) ? tat - now : 0;
}
