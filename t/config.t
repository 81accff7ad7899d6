# nginx -t refuses bad configurations with a clear [emerg].

use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: unknown mode of secauth
--- config
    location / {
        secauth basic;
    }
--- must_die
--- error_log
invalid value "basic"



=== TEST 2: secauth takes exactly one argument
--- config
    location / {
        secauth session jwt;
    }
--- must_die
--- error_log
invalid number of arguments in "secauth" directive



=== TEST 3: secauth is refused outside http/server/location
--- post_main_config
    secauth any;
--- config
--- must_die
--- error_log
"secauth" directive is not allowed here



=== TEST 4: a realm that would need escaping is refused
--- config
    location / {
        secauth any;
        secauth_realm 'a"b';
    }
--- must_die
--- error_log
invalid character in "secauth_realm"



=== TEST 5: duplicate secauth_realm
--- config
    location / {
        secauth_realm a;
        secauth_realm b;
    }
--- must_die
--- error_log
"secauth_realm" directive is duplicate



=== TEST 6: empty login URL
--- config
    location / {
        secauth_login_url "";
    }
--- must_die
--- error_log
"secauth_login_url" directive must not be empty



=== TEST 7: duplicate secauth
--- config
    location / {
        secauth any;
        secauth off;
    }
--- must_die
--- error_log
"secauth" directive is duplicate
