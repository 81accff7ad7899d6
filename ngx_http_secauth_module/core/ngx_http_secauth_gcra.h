
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


#ifndef _NGX_HTTP_SECAUTH_GCRA_H_INCLUDED_
#define _NGX_HTTP_SECAUTH_GCRA_H_INCLUDED_


#include <stdint.h>


/*
 * GCRA, the generic cell rate algorithm, with limit_req's meaning of rate,
 * burst and nodelay: a bucket is one number, its theoretical arrival time
 * (TAT). Pure arithmetic on unsigned 64-bit times of one clock, in any
 * unit (the module uses microseconds of nginx's monotonic clock); no
 * storage, no locking: the caller reads and writes the TAT.
 *
 *   interval  the time one request is worth: 1 / rate;
 *   tau       how far the TAT may run ahead of now: burst x interval.
 *
 * A request at now is admitted when max(TAT, now) - now <= tau, and
 * moves the TAT on by interval; without nodelay it is delayed by
 * max(TAT, now) - now, so that what gets through keeps to the rate. A
 * TAT behind now (a bucket idle long enough, or a clock that went
 * backwards past it) counts as now; a TAT far ahead of now (a clock gone
 * backwards) only refuses for longer. Sums saturate at UINT64_MAX, so no
 * input overflows.
 */


/*
 * A request at now against a bucket of TAT tat (0: a bucket never used).
 *
 * Returns 1 when the bucket admits it: *wait is how long the request
 * should be delayed to conform to the rate (0: it conforms), *next the
 * bucket's TAT once the request is taken (tat is not written: a caller
 * only checking drops *next).
 *
 * Returns 0 when it refuses: *wait is how long until the bucket would
 * admit one, *next = max(tat, now) (the TAT unchanged, as a refused
 * request costs nothing).
 *
 * next and wait must not be NULL.
 */
int ngx_http_secauth_gcra_take(uint64_t tat, uint64_t now, uint64_t interval,
    uint64_t tau, uint64_t *next, uint64_t *wait);

/*
 * The TAT once one request taken earlier is given back: tat moved back by
 * interval, never below 0.
 */
uint64_t ngx_http_secauth_gcra_give_back(uint64_t tat, uint64_t interval);

/*
 * How long until a bucket of TAT tat is full again at now, i.e. until
 * forgetting it changes nothing: tat - now, or 0 when tat <= now.
 */
uint64_t ngx_http_secauth_gcra_full_in(uint64_t tat, uint64_t now);


#endif /* _NGX_HTTP_SECAUTH_GCRA_H_INCLUDED_ */
