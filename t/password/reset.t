# secauth_password_reset and secauth_password_reset_confirm
# (docs/passwords.md, "Reset"): a request answers 202 and the same body
# whether the user exists or not, in the same time; a real user's link
# reaches the notify location, made of secauth_reset_url whatever Host
# says; Redis holds only the token's SHA-256, for the TTL; a confirmation
# applies the policy and the second factor, spends the token once (of two
# parallel ones, one wins), moves the password version on (the old
# sessions end) and sends the browser to the login page; a reused,
# superseded, expired or unknown token is 400 invalid_token; the 4th
# request of an hour from one address is limited.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Cwd qw(abs_path);
use Digest::SHA qw(sha256_hex);
use IO::Socket::INET;
use IPC::Open3 qw(open3);
use JSON::PP ();
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'TEST_NGINX_REDIS_PORT is not set (scripts/test.sh)'
        unless $ENV{TEST_NGINX_REDIS_PORT};
    plan skip_all => 'oathtool is not installed (scripts/setup.sh)'
        unless grep { -x "$_/oathtool" } split /:/, $ENV{PATH};
}

use LoginTest ();
use MfaTest ();
use SecauthTest ();

my $JSON = JSON::PP->new->canonical;
my $tool = abs_path("$FindBin::Bin/../../scripts/secauth-user");
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "pwreset$$:";
my $owner = $$;
my $key = MfaTest::key_file();
my $mail = "$LoginTest::DIR/reset-mail.log";
my $url = 'https://app.example/reset/confirm';

$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

sub redis { SecauthTest::redis(@_) }

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
                   redis('--scan', '--pattern', "$prefix*");
        redis('DEL', @keys) if @keys;
    }
}

sub add_user {
    my ($user, $pass) = @_;
    my ($in, $out, $err) = (undef, undef, gensym);
    my $pid = open3($in, $out, $err, $tool, '--redis',
                    "redis://127.0.0.1:$rport", '--prefix', $prefix,
                    '--t', 1, '--m', '8m', 'add', $user);
    print {$in} "$pass\n";
    close $in;
    my $e = do { local $/; <$err> } // '';
    waitpid $pid, 0;
    die "secauth-user add $user: $e" if $?;
}

# /_mail writes the links to a log (a mailer would read it from syslog);
# /_mailer proxies them to the application (here a location of the same
# server)
my $port = NginxInstance::free_port();
my $n = NginxInstance->new(port => $port, http => <<"HTTP", server => <<"SERVER",
    secauth_password_hash $LoginTest::CHEAP;
    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;
    secauth_secret_key $key;
    secauth_limit_zone \$binary_remote_addr zone=reset:1m rate=3r/h;
    log_format mail '\$secauth_reset_user \$secauth_reset_link';
    log_format mailbox '\$http_x_reset_user \$http_x_reset_link proxied';
HTTP
        secauth session;            # the whole server gated, as usual
        secauth_users redis;
        secauth_cookie sid secure=off;
        secauth_login_throttle off;
        secauth_login_url /login;
        secauth_reset_url $url;
        secauth_reset_notify /_mail;
        location = /login { secauth_login; }
        location = /reset { secauth_password_reset; }
        location = /reset-short { secauth_password_reset ttl=2s; }
        location = /reset3 {
            secauth_password_reset;
            secauth_limit zone=reset burst=2 nodelay;
        }
        location = /reset/confirm { secauth_password_reset_confirm; }
        location = /_mail {
            internal;
            log_subrequest on;
            access_log $mail mail;
            return 204;
        }
        location = /reset-proxied {
            secauth_password_reset;
            secauth_reset_notify /_mailer;
        }
        location = /_mailer {
            internal;
            proxy_pass http://127.0.0.1:$port/mailbox;
            proxy_set_header X-Reset-User \$secauth_reset_user;
            proxy_set_header X-Reset-Link \$secauth_reset_link;
        }
        location = /mailbox {
            secauth off;
            allow 127.0.0.1;
            deny all;
            access_log $mail mailbox;
            return 204;
        }
        location /page/ {
            secauth session;
            alias html/;
        }
SERVER
    files => { 'p.txt' => "in\n" });

{
    my $deadline = time + 3;
    sleep 0.05 while time < $deadline && (request('nobody'))[0] != 202;
}

# request(USER [, PATH, TYPE]): (status, body, elapsed)
sub request {
    my ($user, $path, $type) = @_;
    $type //= 'json';
    my ($s, undef, $b, $t) = $type eq 'json'
        ? $n->post($path // '/reset', 'application/json',
                   LoginTest::json_body(username => $user))
        : $n->post($path // '/reset', 'application/x-www-form-urlencoded',
                   LoginTest::form(username => $user));
    return ($s, $b, $t);
}

# the links mailed so far: [user, link] each
sub mails {
    open my $fh, '<', $mail or return ();
    my @m = map { chomp; [split / /] } <$fh>;
    close $fh;
    return @m;
}

# the token of USER's latest link, after it arrived
sub token_of {
    my ($user) = @_;
    my $deadline = time + 3;
    while (time < $deadline) {
        my ($last) = grep { $_->[0] eq $user } reverse mails();
        return $1 if $last && $last->[1] =~ /[?&]token=([A-Za-z0-9_-]+)$/;
        sleep 0.02;
    }
    return '';
}

sub confirm {
    my (%f) = @_;
    my ($s, $h, $b) = $n->post('/reset/confirm', 'application/json',
                               LoginTest::json_body(%f));
    return ($s, eval { $JSON->decode($b) } // { raw => $b }, $h);
}

sub login_form {
    my ($user, $pass, @otp) = @_;
    my ($s, $h) = $n->post('/login', 'application/x-www-form-urlencoded',
                           LoginTest::form(username => $user,
                                           password => $pass, @otp));
    my ($sid) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
    return $s == 303 ? $sid : undef;
}

my $apw = 'the first passphrase of hers';
my $bpw = 'the first passphrase of his';
add_user('alice', $apw);
add_user('bob', $bpw);

# --- the request: the same answer for anybody ---

my ($s1, $b1) = request('alice');
my ($s2, $b2) = request('nobody');
is("$s1 $b1", "202 {}\n", 'a request for a user: 202 {}');
is("$s2 $b2", "$s1 $b1", 'for nobody: the same status and body');
my ($s3, $b3) = request('alice', undef, 'form');
my ($s4, $b4) = request('nobody', undef, 'form');
is($s3, 202, 'a form request: 202');
is($b4, $b3, 'the same page for nobody');
like($b3, qr/If the account exists, a link/, 'which says what may happen');
my ($s5, $b5) = request("bad\x01name");
is("$s5 $b5", "202 {}\n", 'an invalid user name: the same 202');

my $t1 = token_of('alice');
is(length $t1, 43, 'the notify location got a 43-character token');
my @m = mails();
is(scalar(grep { $_->[0] eq 'nobody' } @m), 0, 'nobody got no link');
like($m[0][1], qr{^\Q$url\E\?token=}, 'the link is secauth_reset_url\'s');

# what Redis holds: the token's hash, for an hour; never the token
my $tkey = "${prefix}once:" . sha256_hex("reset\n$t1");
my $t2 = token_of('alice');
my $tkey2 = "${prefix}once:" . sha256_hex("reset\n$t2");
is(redis('GET', $tkey2), '0:alice', 'the token\'s hash names its user');
my $ttl = redis('TTL', $tkey2);
ok($ttl > 3500 && $ttl <= 3600, "for an hour ($ttl s)");
my @all = grep { length } split /\n/, redis('--scan', '--pattern',
                                            "$prefix*");
ok(!(grep { index($_, $t2) >= 0 || index(redis('TYPE', $_) eq 'string'
                                   ? redis('GET', $_) : '', $t2) >= 0 }
     @all), 'no key or value holds the token itself');

# a spoofed Host, X-Forwarded-Host: the link stays the configured one
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $n->port) or die $!;
    my $body = '{"username":"bob"}';
    print {$sock} "POST /reset HTTP/1.1\r\nHost: evil.example\r\n"
        . "X-Forwarded-Host: evil.example\r\nConnection: close\r\n"
        . "Content-Type: application/json\r\nContent-Length: "
        . length($body) . "\r\n\r\n$body";
    my $res = do { local $/; <$sock> };
    like($res, qr{^HTTP/1\.1 202}, 'a request with a spoofed Host: 202');
    token_of('bob');
    my ($last) = grep { $_->[0] eq 'bob' } reverse mails();
    like($last->[1], qr{^\Q$url\E\?token=}, 'the link is not evil.example\'s');
}

# a notify location that proxies: the link arrives, the answer is at once
{
    my $t0 = time;
    my ($ps, $pb) = request('bob', '/reset-proxied');
    my $took = time - $t0;
    is("$ps $pb", "202 {}\n", 'a request with a proxied notify: 202 {}');
    ok($took < 1, sprintf('answered and closed in %.1f ms', $took * 1000));
    my $deadline = time + 3;
    my $last;
    while (time < $deadline) {
        ($last) = grep { $_->[0] eq 'bob' } reverse mails();
        last if $last->[2] eq 'proxied';
        sleep 0.02;
    }
    is($last->[2], 'proxied',
       'the mailer behind proxy_pass got it (the gated server\'s gate '
       . 'lets the notify subrequest through)');
    like($last->[1], qr{^\Q$url\E\?token=[A-Za-z0-9_-]{43}$},
         'the user and the link in its headers');

}

# unknown and known users take the same time (not judged under valgrind,
# which runs a worker's threads one at a time); the requests are made in
# any case: the confirmations below use alice's older tokens
{
    my (@k, @u);
    for (1 .. 30) {
        push @k, (request('alice'))[2];
        push @u, (request('nobody'))[2];
    }
    my $med = sub { my @s = sort { $a <=> $b } @_; $s[@s / 2] };
    my ($mk, $mu) = ($med->(@k), $med->(@u));
    my $diff = abs($mk - $mu);
    SKIP: {
        skip 'timing under valgrind', 1 if $ENV{SECAUTH_VALGRIND};
        ok($diff <= 0.1 * ($mk > $mu ? $mk : $mu) || $diff < 0.00015,
           sprintf('a request for a user and for nobody take the same '
                   . 'time (medians %.2f and %.2f ms)', $mk * 1000,
                   $mu * 1000));
    }
}

# bad requests
my ($s) = $n->post('/reset', 'text/plain', 'username=alice');
is($s, 415, 'another content type: 415');
($s) = $n->post('/reset', 'application/json', '{"username":');
is($s, 400, 'broken JSON: 400');

# --- the confirmation ---

my $sid_old = login_form('alice', $apw);
ok($sid_old, 'alice holds a session');
my $ta = token_of('alice');

my ($gs, $gh, $gb) = $n->get("/reset/confirm?token=$ta");
like("$gs $gb", qr/^200 .*name="token" value="\Q$ta\E"/s,
     'GET with the link: the form, with the token');
($gs, $gh, $gb) = $n->get('/reset/confirm?token=%22%3E%3Cscript%3E');
unlike($gb, qr/<script/, 'a token that is no token is left out');

my ($cs, $doc) = confirm(token => $t1, new_password => 'a brand new one, hers');
is("$cs $doc->{error}", '400 invalid_token',
   'an older token of the same user: invalid_token (one live token)');
($cs, $doc) = confirm(token => 'x' x 43, new_password => 'whatever it is 1');
is("$cs $doc->{error}", '400 invalid_token', 'an unknown token');
($cs, $doc) = confirm(token => 'short', new_password => 'whatever it is 1');
is("$cs $doc->{error}", '400 invalid_token', 'a malformed token');
($cs, $doc) = confirm(token => $ta);
is("$cs $doc->{error}", '400 invalid_request', 'no new password');
($cs, $doc) = confirm(token => $ta, new_password => 'password123456');
is("$cs $doc->{error}", '400 weak_password', 'a weak one: weak_password');
ok(grep({ $_ eq 'too_weak' } @{ $doc->{reasons} // [] }), '  too_weak');

my $anew = 'a brand new passphrase, hers';
my $mark = $n->log_mark;
($cs, my $ch) = $n->post('/reset/confirm',
                                'application/x-www-form-urlencoded',
                                LoginTest::form(token => $ta,
                                                new_password => $anew));
like("$cs " . ($ch->{location} // ''), qr{^303 (http://[^/]+)?/login$},
     'the token still works after the refusals: 303 to the login page');
is(redis('HGET', "${prefix}user:alice", 'pwv'), '1',
   'the password version moved on');
like($n->error_log_since($mark), qr/password of "alice" reset: version 1/,
     'a notice in the error log');
($s) = $n->get('/page/p.txt', Cookie => "sid=$sid_old");
is($s, 401, 'her old session is refused');
ok(!login_form('alice', $apw), 'the old password logs in no more');
ok(login_form('alice', $anew), 'the new one does');

($cs, $doc) = confirm(token => $ta, new_password => "$anew 2");
is("$cs $doc->{error}", '400 invalid_token', 'the token again: refused');

# a token made before a change is dead after it
{
    request('bob');
    my $tb = token_of('bob');
    my $sid = login_form('bob', $bpw);
    my ($s1) = confirm(token => $tb, new_password => 'his second passphrase');
    is($s1, 200, 'bob\'s token resets his password (JSON: 200)');
    ok(login_form('alice', $anew), 'not alice\'s');
}

# two confirmations at once: one wins
{
    request('bob');
    my $tb = token_of('bob');
    my @req = map {
        $n->start_request('POST', '/reset/confirm',
                          LoginTest::json_body(token => $tb,
                                               new_password =>
                                               "his parallel passphrase $_"),
                          'Content-Type' => 'application/json')
    } 1 .. 2;
    my @st = sort map { ($n->collect($_))[0] } @req;
    is("@st", '200 400', 'two parallel confirmations: one 200, one 400');
    is(redis('HGET', "${prefix}user:bob", 'pwv'), '2', 'one write');
}

# expiry
{
    request('bob', '/reset-short');
    my $tb = token_of('bob');
    my $k = "${prefix}once:" . sha256_hex("reset\n$tb");
    my $ttl = redis('PTTL', $k);
    ok($ttl > 0 && $ttl <= 2000, "ttl=2s: the token lives 2 s ($ttl ms)");
    sleep 2.2;
    my ($es, $ed) = confirm(token => $tb, new_password => 'too late for it');
    is("$es $ed->{error}", '400 invalid_token', 'after it: invalid_token');
}

# --- a reset never bypasses the second factor ---

{
    my $b32 = MfaTest::new_secret();
    MfaTest::enrol($key, $prefix, 'alice', $b32, 3, 'abcde-fghij');
    request('alice');
    my $tk = token_of('alice');
    my ($ms, $md) = confirm(token => $tk, new_password => 'her mfa passphrase');
    is("$ms $md->{error}", '401 mfa_required', 'TOTP on: a code is needed');
    ($ms, $md) = confirm(token => $tk, new_password => 'her mfa passphrase',
                         otp => '123456');
    is("$ms $md->{error}", '401 invalid_code', 'a wrong one is refused');
    ($ms, $md) = confirm(token => $tk, new_password => 'her mfa passphrase',
                         otp => 'abcde-fghij');
    is("$ms " . $JSON->encode($md), '200 {}', 'a backup code: reset');
}

# --- the 4th request of an hour is limited ---

{
    my @st = map { (request('nobody', '/reset3'))[0] } 1 .. 4;
    is("@st", '202 202 202 429', '3 requests an hour, the 4th: 429');
    my ($gs) = $n->get('/reset3');
    is($gs, 200, 'the form (GET) is not counted');
}

# --- nginx -t ---

for my $case (
    [ 'secauth_users file=' . "$LoginTest::DIR/users;"
      . "\n secauth_reset_url $url; secauth_reset_notify /m;",
      'secauth_password_reset', qr/needs writable user records/ ],
    [ 'secauth_users redis;', 'secauth_password_reset',
      qr/needs "secauth_reset_url" and "secauth_reset_notify"/ ],
    [ "secauth_users redis; secauth_reset_url $url;"
      . ' secauth_reset_notify /m;', 'secauth_password_reset ttl=2d',
      qr/a reset token lives from 1s to 24h/ ],
    [ 'secauth_users redis;', 'secauth_password_reset_confirm',
      qr/needs "secauth_redis"/, 'noredis' ],
)
{
    my ($server, $dir, $re, $noredis) = @$case;
    my $tmp = File::Temp->newdir;
    my ($module) = NginxInstance::modules();
    my $redis = $noredis ? ''
                : "secauth_redis redis://127.0.0.1:$rport;";
    open my $fh, '>', "$tmp/nginx.conf" or die $!;
    print {$fh} <<"CONF";
load_module $module;
error_log $tmp/error.log;
pid $tmp/nginx.pid;
events {}
http {
    $redis
    server {
        listen 127.0.0.1:1;
        $server
        location = /r { $dir; }
    }
}
CONF
    close $fh;
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my $out = `$nginx -t -p $tmp -c $tmp/nginx.conf 2>&1`;
    like($out, $re, "nginx -t: $dir with $server: refused");
}

done_testing();
