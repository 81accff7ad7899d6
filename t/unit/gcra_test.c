
/*
 * Copyright (C) ngx_http_secauth_module authors
 */


/*
 * Unit tests of core/ngx_http_secauth_gcra.c, linked alone: the GCRA
 * arithmetic of the shm rate limits (the Redis backend runs the same
 * rules in Lua), on the edges: a first request, a burst used up and
 * refilled, a clock gone backwards, huge intervals and sums that would
 * overflow.
 *
 * Output is TAP; the exit code is 0 when every test passed.
 */


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "ngx_http_secauth_gcra.h"


#define US  1000000ULL            /* times here are microseconds */


static int  tests_run;
static int  tests_failed;


static int
ok(int cond, const char *fmt, ...)
{
    va_list  args;

    tests_run++;

    if (!cond) {
        tests_failed++;
    }

    printf("%sok %d - ", cond ? "" : "not ", tests_run);

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);

    return cond;
}


/* one take, with its three results checked at once */

static int
take(uint64_t tat, uint64_t now, uint64_t interval, uint64_t tau,
    int admit, uint64_t next, uint64_t wait, const char *name)
{
    int       rc;
    uint64_t  n, w;

    n = 0xdeadbeef;
    w = 0xdeadbeef;

    rc = ngx_http_secauth_gcra_take(tat, now, interval, tau, &n, &w);

    if (!ok(rc == admit && n == next && w == wait, "%s", name)) {
        printf("#   got rc %d next %llu wait %llu, expected %d %llu %llu\n",
               rc, (unsigned long long) n, (unsigned long long) w, admit,
               (unsigned long long) next, (unsigned long long) wait);
        return 0;
    }

    return 1;
}


static void
test_first(void)
{
    /* 10r/s: interval 100 ms */

    take(0, 5 * US, US / 10, 0, 1, 5 * US + US / 10, 0,
         "first request: admitted, no wait, TAT = now + interval");

    take(0, 0, US / 10, 0, 1, US / 10, 0,
         "first request at time 0: admitted");

    take(0, 5 * US, US / 10, 3 * US / 10, 1, 5 * US + US / 10, 0,
         "first request with a burst: no wait either");

    take(2 * US, 5 * US, US / 10, 0, 1, 5 * US + US / 10, 0,
         "a TAT long past counts as now: a full bucket");

    take(5 * US, 5 * US, US / 10, 0, 1, 5 * US + US / 10, 0,
         "TAT exactly now: admitted without a wait");
}


static void
test_rate(void)
{
    int       i, admitted;
    uint64_t  tat, now, next, wait;

    /* no burst: the second request within the interval is refused */

    take(5 * US + US / 10, 5 * US, US / 10, 0, 0, 5 * US + US / 10, US / 10,
         "burst 0: a second request at once is refused, wait = interval");

    take(5 * US + US / 10, 5 * US + US / 20, US / 10, 0, 0,
         5 * US + US / 10, US / 20,
         "burst 0: half an interval later, wait the other half");

    take(5 * US + US / 10, 5 * US + US / 10, US / 10, 0, 1,
         5 * US + 2 * (US / 10), 0,
         "burst 0: one interval later, admitted again");

    /* burst 3 at 1r/s: 1 + 3 at once, then one a second */

    tat = 0;
    now = 100 * US;
    admitted = 0;

    for (i = 0; i < 6; i++) {
        if (ngx_http_secauth_gcra_take(tat, now, US, 3 * US, &next, &wait)) {
            ok(wait == (uint64_t) i * US,
               "burst 3: request %d waits %d s to conform", i + 1, i);
            tat = next;
            admitted++;

        } else {
            ok(wait == US && next == tat,
               "burst 3: request %d refused for 1 s, TAT unchanged",
               i + 1);
        }
    }

    ok(admitted == 4, "burst 3: 4 of 6 requests at once admitted");
    ok(tat == now + 4 * US, "burst 3: TAT 4 intervals ahead");

    take(tat, now + US, US, 3 * US, 1, now + 5 * US, 3 * US,
         "burst 3: one interval later, one more (waiting 3 s)");

    take(tat, now + US / 2, US, 3 * US, 0, tat, US / 2,
         "burst 3: half an interval later, still refused");

    take(now + 4 * US, now + 4 * US, US, 3 * US, 1, now + 5 * US, 0,
         "burst 3: drained bucket full again at its TAT");
}


static void
test_clock_backwards(void)
{
    /* the last request was taken at 100 s; now reads 90 s */

    take(100 * US + US / 10, 90 * US, US / 10, 0, 0, 100 * US + US / 10,
         10 * US + US / 10,
         "clock 10 s back, burst 0: refused until the TAT");

    take(100 * US + US / 10, 90 * US, US / 10, 20 * US, 1,
         100 * US + 2 * (US / 10), 10 * US + US / 10,
         "clock 10 s back, burst of 20 s: admitted, delayed to the TAT");

    take(100 * US, 0, US, 0, 0, 100 * US, 100 * US,
         "clock back to 0: refused, no underflow");

    take(UINT64_MAX, 0, US, 0, 0, UINT64_MAX, UINT64_MAX,
         "TAT at the maximum, now 0: refused for the whole range");
}


static void
test_huge(void)
{
    uint64_t  big;

    /* 1r/h is 3.6e9 us; burst 100000 of it is 3.6e14 us */

    big = 3600 * US;

    take(0, 1, big, 100000 * big, 1, 1 + big, 0,
         "1r/h: first request, TAT an hour ahead");

    take(1 + 100000 * big, 1, big, 100000 * big, 1, 1 + 100001 * big,
         100000 * big, "1r/h, burst 100000: the last of the burst");

    take(1 + 100001 * big, 1, big, 100000 * big, 0, 1 + 100001 * big, big,
         "1r/h, burst 100000: one more is refused for an hour");

    take(10, 20, UINT64_MAX, 0, 1, UINT64_MAX, 0,
         "interval UINT64_MAX: TAT saturates, no wrap to the past");

    take(UINT64_MAX - 5, UINT64_MAX - 5, 10, 0, 1, UINT64_MAX, 0,
         "TAT + interval past UINT64_MAX: saturates");

    take(UINT64_MAX, UINT64_MAX, 10, 0, 1, UINT64_MAX, 0,
         "now and TAT at UINT64_MAX: admitted, TAT stays at the maximum");

    take(UINT64_MAX, 0, 1, UINT64_MAX, 1, UINT64_MAX, UINT64_MAX,
         "tau UINT64_MAX never refuses, even a maximal wait");

    take(UINT64_MAX - 1, 0, 1, UINT64_MAX - 2, 0, UINT64_MAX - 1, 1,
         "tau just short of the lead: refused for the difference");

    take(50, 40, 0, 0, 0, 50, 10,
         "interval 0, TAT ahead, tau 0: refused");

    take(40, 40, 0, 0, 1, 40, 0,
         "interval 0: admitted, TAT unchanged");
}


static void
test_give_back(void)
{
    ok(ngx_http_secauth_gcra_give_back(5 * US, US) == 4 * US,
       "give back: TAT one interval back");

    ok(ngx_http_secauth_gcra_give_back(US, US) == 0,
       "give back: exactly one interval: 0");

    ok(ngx_http_secauth_gcra_give_back(US / 2, US) == 0,
       "give back: less than an interval: 0, no underflow");

    ok(ngx_http_secauth_gcra_give_back(0, UINT64_MAX) == 0,
       "give back: 0 stays 0");

    ok(ngx_http_secauth_gcra_give_back(UINT64_MAX, 0) == UINT64_MAX,
       "give back: interval 0 changes nothing");

    ok(ngx_http_secauth_gcra_full_in(7 * US, 5 * US) == 2 * US,
       "full_in: TAT - now");

    ok(ngx_http_secauth_gcra_full_in(5 * US, 5 * US) == 0,
       "full_in: TAT now: 0");

    ok(ngx_http_secauth_gcra_full_in(5 * US, 7 * US) == 0,
       "full_in: TAT past: 0, no underflow");

    ok(ngx_http_secauth_gcra_full_in(UINT64_MAX, 0) == UINT64_MAX,
       "full_in: the whole range");
}


/* a take given back leaves the bucket as it was */

static void
test_round_trip(void)
{
    uint64_t  next, wait, tat;

    tat = 10 * US;

    (void) ngx_http_secauth_gcra_take(tat, 9 * US, US, 5 * US, &next, &wait);

    ok(ngx_http_secauth_gcra_give_back(next, US) == tat,
       "take then give back: the TAT as before");
}


int
main(void)
{
    test_first();
    test_rate();
    test_clock_backwards();
    test_huge();
    test_give_back();
    test_round_trip();

    printf("1..%d\n", tests_run);
    printf("# gcra_test: %d tests, %d failed\n", tests_run, tests_failed);

    return tests_failed ? 1 : 0;
}
