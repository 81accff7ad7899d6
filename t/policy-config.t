# secauth_password_policy (docs/passwords.md): nginx -t accepts the
# defaults, every parameter, inheritance and a blocklist file, and
# refuses min over max, strength outside 0-4, max over 128 (the longest
# password a login takes), a missing or unreadable blocklist, unknown and
# repeated parameters, with an [emerg] that says which.

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::Nginx::Socket 'no_plan';

my $dir = tempdir('secauth-policy-XXXXXX', TMPDIR => 1, CLEANUP => 1);
$ENV{TEST_NGINX_POLICY_DIR} = $dir;

sub write_file {
    my ($name, $text) = @_;
    open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!";
    print {$fh} $text;
    close $fh or die "$dir/$name: $!";
}

write_file('common', "password\nTr0ub4dor&3\r\ncorrect horse battery staple\n");
write_file('empty', '');
write_file('latin1', "password\nStra\xdfe\nqwerty\n");
mkdir "$dir/adir" or die "$dir/adir: $!";

# An [emerg] for an unknown directive also names it: make sure that every
# expected failure comes from the module's own check.
add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->must_die && !defined $block->no_error_log) {
        $block->set_value('no_error_log', "unknown directive\n");
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: control: no directive, the default policy
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]
[warn]



=== TEST 2: the bare directive: the defaults
--- config
    secauth_password_policy;
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]



=== TEST 3: every parameter, http level, overridden in a location
--- http_config
    secauth_password_policy min=15 max=64 strength=4
                            blocklist=$TEST_NGINX_POLICY_DIR/common;
--- config
    location = /t {
        secauth_password_policy min=8 strength=0;
        return 200 "ok\n";
    }
    location = /u { return 200 "u\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]
[warn]



=== TEST 4: one blocklist file in many places, and an empty one
--- http_config
    secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/common;
--- config
    secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/common;
    location = /t {
        secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/common;
        return 200 "ok\n";
    }
    location = /e {
        secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/empty;
        return 200 "e\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]



=== TEST 5: min=1 and max=128 exactly, strength 0: accepted, min warned
--- config
    location = /t {
        secauth_password_policy min=1 max=128 strength=0;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr{\[warn\].*"secauth_password_policy": min=1 is under 8}



=== TEST 6: lines of the blocklist that are not UTF-8 are skipped, warned
--- config
    secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/latin1;
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr{\[warn\].*secauth: 1 lines of the password blocklist ".*/latin1" are not UTF-8, skipped}



=== TEST 7: min over max is refused
--- config
    secauth_password_policy min=20 max=16;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_policy": min=20 is over max=16 in .*nginx\.conf:\d+}



=== TEST 8: min over the default max is refused too
--- config
    secauth_password_policy min=200;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_policy": min=200 is over max=128}



=== TEST 9: strength=5 is refused
--- config
    secauth_password_policy strength=5;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_policy": strength=5: zxcvbn scores are 0 to 4}



=== TEST 10: a negative strength is no number
--- config
    secauth_password_policy strength=-1;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid or repeated parameter "strength=-1"}



=== TEST 11: max over 128 is refused: a login would refuse the password
--- config
    secauth_password_policy max=1024;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_policy": max=1024 is over 128, the longest password a login accepts}



=== TEST 12: min=0 is refused
--- config
    secauth_password_policy min=0;
--- must_die
--- error_log eval
qr{\[emerg\].*min=0: a password has at least 1 character}



=== TEST 13: a missing blocklist is refused
--- config
    secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/missing;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth: cannot open the password blocklist ".*/missing".*No such file}



=== TEST 14: a directory is no blocklist
--- config
    secauth_password_policy blocklist=$TEST_NGINX_POLICY_DIR/adir;
--- must_die
--- error_log eval
qr{\[emerg\].*the password blocklist ".*/adir" is not a file}



=== TEST 15: an unknown parameter is refused
--- config
    secauth_password_policy min=12 upper=1;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_policy": invalid or repeated parameter "upper=1"}



=== TEST 16: a repeated parameter is refused
--- config
    secauth_password_policy min=12 min=14;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid or repeated parameter "min=14"}



=== TEST 17: not a number
--- config
    secauth_password_policy max=lots;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid or repeated parameter "max=lots"}



=== TEST 18: an empty blocklist= is refused
--- config
    secauth_password_policy blocklist=;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid or repeated parameter "blocklist="}



=== TEST 19: the directive twice in one context is a duplicate
--- config
    secauth_password_policy min=12;
    secauth_password_policy min=14;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_policy" directive is duplicate}
