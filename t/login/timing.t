# No timing oracle (docs/login.md "Timing", ASVS 6.3.8): a failed login
# of a user whose stored hash is weaker than secauth_password_hash
# (bcrypt of cost 5 from htpasswd -B or mkpasswd, Argon2id of small
# parameters) takes as long as one of an unknown user, which costs the
# configured Argon2id work. Medians over rounds, interleaved, so that the
# noise of a shared machine hits all kinds alike.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;

my $users = LoginTest::write_users('timing-users', join '',
    'bcrypt5:' . LoginTest::mkpasswd('bcrypt five pass phrase', 'bcrypt', 5)
        . "\n",
    'small:' . LoginTest::argon2id('small argon pass phrase', 1, 13, 1)
        . "\n",
    'strong:' . LoginTest::argon2id('strong argon pass phrase', 3, 15, 1)
        . "\n");

my $ngx = NginxInstance->new(
    http => "    secauth_password_hash argon2id t=3 m=32m p=1;\n",
    server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login { secauth_login; secauth_login_throttle off; }
CONF

# (status, seconds)
sub login {
    my ($user, $pw) = @_;
    my $t0 = time;
    my ($s) = $ngx->post('/login', 'application/x-www-form-urlencoded',
                         LoginTest::form(username => $user, password => $pw));
    return ($s, time - $t0);
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# warm up: the worker's first dummy runs
login('nobody', 'warm up password') for 1 .. 3;

my @kinds = qw(nobody bcrypt5 small strong);
my %t;
for my $round (1 .. 11) {
    for my $u (@kinds) {
        my ($s, $dt) = login($u, "wrong password $round");
        is($s, 401, "round $round: $u, a wrong password: 401")
            unless $s == 401;
        push @{ $t{$u} }, $dt;
    }
}

my %m = map { $_ => median(@{ $t{$_} }) } @kinds;
diag sprintf 'median of 11 failed logins: %s',
     join ', ', map { sprintf '%s %.1f ms', $_, $m{$_} * 1000 } @kinds;

my $ref = $m{nobody};
cmp_ok($ref, '>', 0.02, 'an unknown user costs the configured work');
# A weak hash left unpadded answers in a few ms: off by nearly all of
# $ref. The pad aims at a moving average of the dummy's past runs while
# an unknown user pays the present one, which a loaded host moves by 15%
# of $ref and more: a quarter of $ref tells the two apart.
for my $u (qw(bcrypt5 small strong)) {
    my $margin = ngx_max(0.015, 0.25 * $ref);
    cmp_ok(abs($m{$u} - $ref), '<', $margin,
           sprintf('%s: within %.0f ms of an unknown user', $u,
                   $margin * 1000));
}

# successes are not held: the weak hash logs in at its own speed
my ($s) = login('bcrypt5', 'bcrypt five pass phrase');
is($s, 303, 'the right password still logs in');

sub ngx_max { $_[0] > $_[1] ? $_[0] : $_[1] }

done_testing();
