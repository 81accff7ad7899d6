# secauth_require and the claims in variables (docs/jwt.md "Claims in
# variables", "Authorization"): tokens minted by PyJWT; each rule of the
# anchor habits ("only admins", "group contains ops", "scope contains
# write") admits the tokens it should and refuses the others with 403
# (or error=401) and $secauth_error "forbidden"; arrays joined, nested
# claims by path, hostile shapes never admitted; nginx -t refuses rules
# that cannot work.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use Test::Nginx::Socket 'no_plan';

sub tok { JwtTest::auth(JwtTest::pyjwt('HS256', 'hs256', [@_])) }

our $HTTP = <<'CONF';
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_claim_has $is_admin role admin;
    # map compares strings ignoring case: a regex is exact
    map $secauth_claim_role $is_admin_map { ~^admin$ 1; default 0; }
    secauth_claim_has $in_ops groups ops;
    secauth_claim_has $can_write scope write;
    secauth_claim_var $realm_roles realm_access.roles;
    secauth_claim_var $roles_piped realm_access.roles sep=|;
    secauth_claim_var $first_group groups.0;
    secauth_claim_has $realm_admin realm_access.roles admin;
CONF

master_on();

JwtTest::at_block_start(sub {
    my $block = shift;

    $block->set_value('http_config', $::HTTP)
        unless defined $block->http_config;
    $block->set_value('user_files', ">>> p.txt\nsecret\n")
        unless defined $block->user_files;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: only admins (exact, case-sensitive; an array or a space-separated string holding it too)
--- config
    location /admin {
        secauth jwt;
        secauth_require $is_admin;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /admin") x 6]
--- more_headers eval
[main::tok(role => 'admin'), main::tok(role => 'user'), main::tok(),
 main::tok(role => ['user', 'admin']), main::tok(role => 'Admin'),
 main::tok(role => 'admin ')]
--- error_code eval
[200, 403, 403, 200, 403, 200]
--- response_headers eval
["X-Error:", ("X-Error: forbidden") x 2, "X-Error:", "X-Error: forbidden",
 "X-Error:"]
--- no_error_log
[error]



=== TEST 2: only admins with a map of the claim (a regex: map ignores case)
--- config
    location /admin {
        secauth jwt;
        secauth_require $is_admin_map;
        alias html/p.txt;
    }
--- request eval
[("GET /admin") x 4]
--- more_headers eval
[main::tok(role => 'admin'), main::tok(role => 'Admin'), main::tok(),
 main::tok(role => ['admin', 'x'])]
--- error_code eval
[200, 403, 403, 403]



=== TEST 3: group contains ops, scope contains write (no regex)
--- config
    location /ops {
        secauth jwt;
        secauth_require $in_ops;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
    location /write {
        secauth jwt;
        secauth_require $can_write;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /ops", "GET /ops", "GET /ops", "GET /ops", "GET /ops",
 "GET /write", "GET /write", "GET /write", "GET /write"]
--- more_headers eval
[main::tok(groups => ['dev', 'ops']), main::tok(groups => 'ops'),
 main::tok(groups => ['devops', 'operations']), main::tok(groups => ['dev,ops']),
 main::tok(groups => [['ops']]),
 main::tok(scope => 'read write'), main::tok(scope => 'write'),
 main::tok(scope => 'read writer'), main::tok(scope => ['read', 'write'])]
--- error_code eval
[200, 200, 403, 403, 403, 200, 200, 403, 200]



=== TEST 4: every value of every line must hold (AND), error=401
--- config
    location /both {
        secauth jwt;
        secauth_require $is_admin $in_ops;
        secauth_require $can_write error=401;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /both") x 4]
--- more_headers eval
[main::tok(role => 'admin', groups => ['ops'], scope => 'write'),
 main::tok(role => 'admin', groups => ['ops']),
 main::tok(role => 'admin', scope => 'write'),
 main::tok(groups => ['ops'], scope => 'write')]
--- error_code eval
[200, 401, 403, 403]
--- response_headers eval
["X-Error:", "X-Error: forbidden", "X-Error: forbidden", "X-Error: forbidden"]



=== TEST 5: arrays joined, nested claims by path, an index
--- config
    location /p {
        secauth jwt;
        add_header X-Groups $secauth_claim_groups always;
        add_header X-Realm $realm_roles always;
        add_header X-Piped $roles_piped always;
        add_header X-First $first_group always;
        add_header X-Realm-Admin $realm_admin always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[main::tok(groups => ['dev', 'ops', 7, JSON::PP::true],
           realm_access => { roles => ['admin', 'audit'] }),
 main::tok(groups => 'solo', realm_access => { roles => 'admin' })]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Groups: dev,ops,7,true\nX-Realm: admin,audit\nX-Piped: admin|audit\nX-First: dev\nX-Realm-Admin: 1",
 "X-Groups: solo\nX-Realm: admin\nX-Piped: admin\nX-First:\nX-Realm-Admin: 1"]



=== TEST 6: hostile shapes are never shown, and so never admitted
--- config
    location /p {
        secauth jwt;
        secauth_require $secauth_claim_groups;
        add_header X-Groups $secauth_claim_groups always;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 6]
--- more_headers eval
[main::tok(groups => ['a,b']), main::tok(groups => ["ev\nil"]),
 main::tok(groups => [{ x => 1 }]), main::tok(groups => [1.5]),
 main::tok(groups => [('x' x 90) x 50]),
 main::tok(groups => [('g') x 1000])]
--- error_code eval
[403, 403, 403, 403, 403, 200]
--- response_headers eval
["X-Groups:\nX-Error: forbidden", "X-Groups:\nX-Error: forbidden",
 "X-Groups:\nX-Error: forbidden", "X-Groups:\nX-Error: forbidden",
 "X-Groups:\nX-Error: forbidden",
 "X-Groups: " . join(',', ('g') x 1000) . "\nX-Error:"]



=== TEST 7: a server's rules are inherited; a location's own replace them
--- config
    secauth_require $is_admin;
    location /inherit {
        secauth jwt;
        alias html/p.txt;
    }
    location /own {
        secauth jwt;
        secauth_require $in_ops;
        alias html/p.txt;
    }
    location /public {
        alias html/p.txt;
    }
--- request eval
["GET /inherit", "GET /own", "GET /own", "GET /public"]
--- more_headers eval
[main::tok(groups => ['ops']), main::tok(groups => ['ops']),
 main::tok(role => 'admin'), ""]
--- error_code eval
[403, 200, 403, 200]



=== TEST 8: auth_request: a secauth_verify target with rules denies with 403
--- config
    location /app {
        auth_request /_verify;
        alias html/p.txt;
    }
    location = /_verify {
        internal;
        secauth_verify;
        secauth_require $is_admin;
    }
--- request eval
["GET /app", "GET /app", "GET /app"]
--- more_headers eval
[main::tok(role => 'admin'), main::tok(role => 'user'), ""]
--- error_code eval
[200, 403, 401]



=== TEST 9: the refusal is logged with the rule, the user and no token
--- config
    location /admin {
        secauth jwt;
        secauth_require $is_admin;
        alias html/p.txt;
    }
--- request
GET /admin
--- more_headers eval
main::tok(sub => 'mallory', role => 'user')
--- error_code: 403
--- error_log
"mallory" is refused by "secauth_require $is_admin"
--- no_error_log eval
qr/\[(?:info|notice|warn|error)\].*eyJ/



=== TEST 10: nginx -t: a constant is no rule
--- config
    location /a { secauth jwt; secauth_require 1; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_require": "1" has no variable/



=== TEST 11: nginx -t: error= takes 401 or 403
--- config
    location /a { secauth jwt; secauth_require $is_admin error=500; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "error=500" in "secauth_require"/



=== TEST 12: nginx -t: rules where no gate runs
--- config
    location /a { secauth_require $is_admin; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_require" needs a gate/



=== TEST 13: nginx -t: a claim path with an empty name, a bad sep=
--- http_config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_claim_var $bad realm..roles;
--- config
--- must_die
--- error_log eval
qr/\[emerg\].*invalid claim path "realm\.\.roles"/



=== TEST 14: nginx -t: a variable defined twice
--- http_config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_claim_var $x a;
    secauth_claim_has $x b c;
--- config
--- must_die
--- error_log eval
qr/\[emerg\].*the duplicate "x" variable/
