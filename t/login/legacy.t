# Legacy hashes (docs/login.md "Passwords"): a user file written by
# Apache's `htpasswd -B` (bcrypt of cost 5 by default, $2y$) loads with
# one warning naming its weak users, its passwords verify, and each login
# says the hash should be set again; the same hashes in Redis are
# rehashed to Argon2id on login and written back. Private nginx instances
# (t/lib/NginxInstance) so that the whole error log, startup included, is
# ours to read.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
    plan skip_all => 'htpasswd is needed (Debian apache2-utils, '
                     . 'scripts/setup.sh)'
        unless grep { -x "$_/htpasswd" } split /:/, $ENV{PATH} // '';
}

use LoginTest;
use SecauthTest ();

my %PW = (
    hugo  => 'htpasswd default cost, long enough',
    ines  => 'htpasswd cost four, long enough',
    jonas => 'htpasswd cost twelve, long enough',
);

# the file as an operator makes it: htpasswd -c -B, then -B again
my $file = "$LoginTest::DIR/htpasswd";
for my $u (qw(hugo ines jonas)) {
    my @cost = $u eq 'ines' ? ('-C', 4) : $u eq 'jonas' ? ('-C', 12) : ();
    my $cmd = join ' ', map { quotemeta }
        'htpasswd', ($u eq 'hugo' ? '-c' : ()), '-B', @cost, '-b',
        $file, $u, $PW{$u};
    my $out = `$cmd 2>&1`;
    $? == 0 or BAIL_OUT("htpasswd -B $u: $? $out");
}
open my $fh, '<', $file or BAIL_OUT("$file: $!");
my @lines = <$fh>;
close $fh;
like($lines[0], qr/^hugo:\$2y\$05\$/, 'htpasswd -B: bcrypt ($2y$) of cost 5');
like($lines[1], qr/^ines:\$2y\$04\$/, 'htpasswd -B -C 4: cost 4');
like($lines[2], qr/^jonas:\$2y\$12\$/, 'htpasswd -B -C 12: cost 12');

my $CHEAP = "    secauth_password_hash $LoginTest::CHEAP;\n";

sub login {
    my ($ngx, $user, $pw) = @_;
    my ($s, $h) = $ngx->post('/login', 'application/x-www-form-urlencoded',
                             LoginTest::form(username => $user,
                                             password => $pw));
    return $s;
}

subtest 'an htpasswd -B file loads, with one warning naming the weak users'
=> sub {
    my $ngx = NginxInstance->new(http => $CHEAP, server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$file;
        location = /login { secauth_login; secauth_login_throttle off; }
CONF
    my $log = $ngx->error_log;
    my @warn = grep { /bcrypt of a cost below 10/ } split /\n/, $log;
    is(scalar @warn, 1, 'one warning for the file') or diag $log;
    like($warn[0] // '',
         qr/\[warn\].*secauth_users: "\Q$file\E": bcrypt of a cost below 10 \(accepted for migration only\) for 2 user\(s\): "hugo" \(line 1\), "ines" \(line 2\); set these passwords again/,
         '... naming hugo and ines with their lines');
    unlike($warn[0] // '', qr/jonas/, '... not jonas (cost 12)');
    unlike($log, qr/\Q$PW{hugo}\E|\$2y\$/, 'no password or hash in the log');

    is(login($ngx, 'hugo', $PW{hugo}), 303, 'hugo (cost 5) logs in');
    is(login($ngx, 'ines', $PW{ines}), 303, 'ines (cost 4) logs in');
    is(login($ngx, 'jonas', $PW{jonas}), 303, 'jonas (cost 12) logs in');
    is(login($ngx, 'hugo', $PW{ines}), 401, "hugo with ines' password: 401");
    is(login($ngx, 'hugo', "$PW{hugo}x"), 401, 'hugo, one char more: 401');
    like($ngx->error_log,
         qr/the password hash of "hugo" in "\Q$file\E" is weaker than secauth_password_hash/,
         'the login says the hash should be set again (file: not written)');
};

subtest 'bcrypt of an invalid cost is still refused' => sub {
    (my $bad = $lines[0]) =~ s/\$05\$/\$03\$/;
    my $f = LoginTest::write_users('htpasswd-cost3', $bad);
    my $ngx = eval {
        NginxInstance->new(http => $CHEAP, server => <<"CONF");
        secauth_users file=$f;
        location = /login { secauth_login; }
CONF
    };
    ok(!$ngx, 'cost 3: nginx does not start');
    like($@, qr/\[emerg\].*"\Q$f\E" line 1: the hash is bcrypt with an invalid cost/,
         '... and says why, naming the line');
};

SKIP: {
    skip 'TEST_NGINX_REDIS_PORT is not set (scripts/test.sh)', 1
        unless $ENV{TEST_NGINX_REDIS_PORT};

    subtest 'redis: an htpasswd -B hash logs in and is rehashed to Argon2id'
    => sub {
        my $prefix = "legacy$$:";
        my ($hash) = $lines[0] =~ /^hugo:(\S+)/;
        SecauthTest::redis('HSET', "${prefix}user:hugo", 'password', $hash);
        my $ngx = NginxInstance->new(
            http => $CHEAP . "    secauth_redis redis://127.0.0.1:"
                    . "$ENV{TEST_NGINX_REDIS_PORT} prefix=$prefix;\n",
            server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users redis;
        location = /login { secauth_login; secauth_login_throttle off; }
CONF
        is(login($ngx, 'hugo', 'wrong password here'), 401,
           'a wrong password: 401');
        (my $now = SecauthTest::redis('HGET', "${prefix}user:hugo",
                                      'password')) =~ s/\n\z//;
        is($now, $hash, '... and the hash stays as it was');

        is(login($ngx, 'hugo', $PW{hugo}), 303, 'the right one: 303');
        my $new;
        for (1 .. 50) {
            ($new = SecauthTest::redis('HGET', "${prefix}user:hugo",
                                       'password')) =~ s/\n\z//;
            last if $new ne $hash;
            select undef, undef, undef, 0.05;
        }
        like($new, qr/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/,
             '... and Redis now holds an Argon2id hash');
        like($ngx->error_log, qr/password hash of "hugo" upgraded/,
             '... logged');
        is(login($ngx, 'hugo', $PW{hugo}), 303, 'the new hash verifies');
        SecauthTest::redis('DEL', "${prefix}user:hugo");
    };
}

done_testing();
