# secauth_password_change (docs/passwords.md): a logged-in user sets a
# new password with the current one (and a code when TOTP is on); the
# policy refuses weak ones with every reason; the password version moves
# on, so every session, access token and refresh token of the user is
# refused at once on a second node sharing the Redis; the browser gets a
# new session id. nginx -t refuses the handler without Redis users.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Cwd qw(abs_path);
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
use JwtTest ();
use MfaTest ();
use SecauthTest ();

my $JSON = JSON::PP->new->canonical;
my $tool = abs_path("$FindBin::Bin/../../scripts/secauth-user");
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "pwchange$$:";
my $owner = $$;
my $key = MfaTest::key_file();
my @cost = ('--t', 1, '--m', '8m');

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

sub tool {
    my ($stdin, @args) = @_;
    my ($in, $out, $err) = (undef, undef, gensym);
    my $pid = open3($in, $out, $err, $tool, @args);
    print {$in} $stdin if defined $stdin;
    close $in;
    my $o = do { local $/; <$out> } // '';
    my $e = do { local $/; <$err> } // '';
    waitpid $pid, 0;
    return ($? >> 8, $o, $e);
}

sub add_user {
    my ($user, $pass) = @_;
    my ($rc, undef, $err) = tool("$pass\n", '--redis',
                                 "redis://127.0.0.1:$rport", '--prefix',
                                 $prefix, @cost, 'add', $user);
    die "secauth-user add $user: $err" if $rc;
}

sub node {
    my (%opt) = @_;
    my $http = "    secauth_password_hash $LoginTest::CHEAP;\n"
        . "    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;\n"
        . "    secauth_secret_key $key;\n"
        . '    secauth_jwt_signing_key HS256 ' . JwtTest::key_path('hs256')
        . ";\n";
    my $server = <<"CONF";
        secauth_users redis;
        secauth_cookie sid secure=off;
        secauth_login_throttle $opt{throttle};
        secauth_password_policy blocklist=$LoginTest::DIR/blocklist;
        location = /login { secauth_login; }
        location = /account/password { secauth_password_change; }
        location = /token/refresh { secauth_refresh; }
        location /api/ {
            secauth jwt;
            alias html/;
        }
        location /page/ {
            secauth session;
            add_header X-User \$secauth_user always;
            alias html/;
        }
CONF
    my $n = NginxInstance->new(http => $http, server => $server,
                               files => { 'p.txt' => "secret\n" });
    my $deadline = time + 3;
    sleep 0.05 while time < $deadline
                     && ($n->get('/api/p.txt'))[0] != 401;
    return $n;
}

sub login_form {
    my ($n, $user, $pass) = @_;
    my ($s, $h) = $n->post('/login', 'application/x-www-form-urlencoded',
                           LoginTest::form(username => $user,
                                           password => $pass));
    my ($sid) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
    return $s == 303 ? $sid : undef;
}

sub login_tokens {
    my ($n, $user, $pass) = @_;
    my ($s, undef, $b) = $n->post('/login', 'application/json',
                                  LoginTest::json_body(username => $user,
                                                       password => $pass));
    return $s == 200 ? $JSON->decode($b) : undef;
}

# what the gate says: "page api refresh"
sub gate {
    my ($n, $sid, $pair) = @_;
    my ($ps) = $n->get('/page/p.txt', Cookie => "sid=$sid");
    my ($as) = $n->get('/api/p.txt',
                       Authorization => "Bearer $pair->{access_token}");
    my ($rs, undef, $rb) = $n->post('/token/refresh',
        'application/x-www-form-urlencoded',
        LoginTest::form(refresh_token => $pair->{refresh_token}));
    my $re = (eval { $JSON->decode($rb) } // {})->{error} // 'ok';
    return "$ps $as $re";
}

# change(NODE, SID, FIELDS...): (status, decoded JSON or raw, headers)
sub change {
    my ($n, $sid, %f) = @_;
    my ($s, $h, $b) = $n->post('/account/password', 'application/json',
                               LoginTest::json_body(%f),
                               Cookie => "sid=$sid");
    return ($s, eval { $JSON->decode($b) } // { raw => $b }, $h);
}

open my $bl, '>', "$LoginTest::DIR/blocklist" or die $!;
print {$bl} "Correct Horse Battery Staple\n";
close $bl;

my $old = 'an old passphrase of hers';
my $new = 'a fresh new passphrase, hers';
add_user('alice', $old);

my $a = node(throttle => 'off');
my $b = node(throttle => 'off');

# --- old sessions and tokens end on the other node at once ---

my $sid_a = login_form($a, 'alice', $old);
my $sid_b = login_form($b, 'alice', $old);
my $pair = login_tokens($b, 'alice', $old);
ok($sid_a && $sid_b && $pair, 'alice holds a session on each node and a '
                              . 'token pair');
is(gate($b, $sid_b, $pair), '200 200 ok', 'the gate of node b admits them');
$pair = login_tokens($b, 'alice', $old);

my ($s, $h, $doc) = $a->get('/account/password', Cookie => "sid=$sid_a",
                            Accept => 'text/html');
is($s, 200, 'GET with a session: the form');
like($doc, qr/autocomplete="current-password".*autocomplete="new-password"/s,
     'with the fields a password manager fills');
like($h->{'content-security-policy'} // '', qr/default-src 'none'/,
     'under the strict CSP');
($s) = $a->get('/account/password');
is($s, 401, 'GET without a session: 401');
($s) = $a->post('/account/password', 'application/json',
                LoginTest::json_body(password => $old,
                                     new_password => $new));
is($s, 401, 'POST without a session: 401');

# bad input
($s, $doc) = change($a, $sid_a, password => 'not the password',
                    new_password => $new);
is("$s $doc->{error}", '401 invalid_credentials',
   'a wrong current password: 401 invalid_credentials');
($s, $doc) = change($a, $sid_a, password => $old);
is("$s $doc->{error}", '400 invalid_request', 'no new password: 400');
($s, $doc) = change($a, $sid_a, new_password => $new);
is("$s $doc->{error}", '400 invalid_request', 'no current password: 400');
($s) = $a->post('/account/password', 'text/plain', 'x',
                Cookie => "sid=$sid_a");
is($s, 415, 'another content type: 415');
($s) = $a->post('/account/password', 'application/json', '[1',
                Cookie => "sid=$sid_a");
is($s, 400, 'broken JSON: 400');

my %weak = (
    'short1234Ab'                   => 'too_short',
    'password123456'                => 'too_weak',
    'correct horse battery staple'  => 'blocklisted',
    'alice-is-a-strong-passw0rd!x'  => 'contains_username',
    ('x' x 129)                     => 'too_long',
);
for my $w (sort keys %weak) {
    my $mark = $a->log_mark;
    ($s, $doc) = change($a, $sid_a, password => $old, new_password => $w);
    is("$s $doc->{error}", '400 weak_password',
       "\"" . substr($w, 0, 20) . "\": 400 weak_password");
    ok((grep { $_ eq $weak{$w} } @{ $doc->{reasons} // [] }),
       "  with the reason $weak{$w}")
        or diag($JSON->encode($doc));
    like($a->error_log_since($mark), qr/new password fails the policy/,
         '  and a line in the error log');
}
# an emoji is one code point: 11 of them are too short, 12 are enough
($s, $doc) = change($a, $sid_a, password => $old,
                    new_password => "\x{1F600}" x 11);
is("$s @{ $doc->{reasons} // [] }", '400 too_short', '11 emoji: too short');

# a form refusal says why in words
($s, $h, $doc) = $a->post('/account/password',
                          'application/x-www-form-urlencoded',
                          LoginTest::form(password => $old,
                                          new_password => 'password123456'),
                          Cookie => "sid=$sid_a");
like("$s $doc", qr/^400 .*role="alert">The password is too easy/s,
     'the form gets the reasons in words');

is(redis('HGET', "${prefix}user:alice", 'pwv') // '', '',
   'nothing was written: the version is still 0');

# the change
my $mark = $a->log_mark;
($s, $doc, $h) = change($a, $sid_a, password => $old, new_password => $new);
is("$s " . $JSON->encode($doc), '200 {}', 'the change: 200 {}');
my ($sid_new) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
ok($sid_new && $sid_new ne $sid_a, 'with a new session id');
is(redis('HGET', "${prefix}user:alice", 'pwv'), '1',
   'the password version moved on');
like(redis('HGET', "${prefix}user:alice", 'password'),
     qr/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/, 'an Argon2id hash');
like($a->error_log_since($mark),
     qr/\[notice\].*password of "alice" changed: version 1/,
     'a notice in the error log');
unlike($a->error_log_since($mark), qr/\Q$new\E|\Q$old\E/,
       'no password in the error log');

is(gate($b, $sid_b, $pair), '401 401 invalid_grant',
   'node b refuses her other session, access and refresh token at once');
($s) = $a->get('/page/p.txt', Cookie => "sid=$sid_a");
is($s, 401, 'the session that made the change is gone too');
($s, $h) = $b->get('/page/p.txt', Cookie => "sid=$sid_new");
is("$s " . ($h->{'x-user'} // ''), '200 alice',
   'the new session works on node b');
ok(!login_form($b, 'alice', $old), 'the old password logs in no more');
ok(login_form($b, 'alice', $new), 'the new one does');

# the argon2 CLI agrees with the stored hash
SKIP: {
    skip 'no argon2 CLI', 1 unless grep { -x "$_/argon2" } split /:/,
                                   $ENV{PATH};
    my $hash = redis('HGET', "${prefix}user:alice", 'password');
    my ($salt) = $hash =~ /\$([^\$]+)\$[^\$]+$/;
    require MIME::Base64;
    my $raw = MIME::Base64::decode_base64($salt . '=' x (-length($salt) % 4));
    # the CLI takes the salt as an argument: a NUL byte would end it
    skip 'the random salt has a NUL byte, which the argon2 CLI cannot take',
        1 if $raw =~ /\0/;
    my $pid = open3(my $in, my $out, undef, 'argon2', $raw, '-id', '-t', 1,
                    '-k', 8192, '-p', 1, '-e');
    print {$in} $new;
    close $in;
    my $e = <$out> // '';
    waitpid $pid, 0;
    chomp $e;
    is($e, $hash, 'the argon2 CLI makes the same hash of the new password');
}

# a form: 303 to next
($s, $h) = $a->post('/account/password',
                          'application/x-www-form-urlencoded',
                          LoginTest::form(password => $new,
                                          new_password => "$new 2",
                                          next => '/page/p.txt'),
                          Cookie => "sid=$sid_new");
like("$s " . ($h->{location} // ''), qr{^303 (http://[^/]+)?/page/p\.txt$},
   'a form change: 303 to next');
($sid_new) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
$new = "$new 2";

# two changes at once: one wins, the other is refused
{
    my @sids = map { login_form($a, 'alice', $new) } 1 .. 2;
    my @req = map {
        $a->start_request('POST', '/account/password',
                          LoginTest::json_body(password => $new,
                                               new_password => "$new $_"),
                          'Content-Type' => 'application/json',
                          Cookie => "sid=$sids[$_ - 1]")
    } 1 .. 2;
    my @st = sort map { ($a->collect($_))[0] } @req;
    is("@st", '200 409', 'two parallel changes: one 200, one 409');
    is(redis('HGET', "${prefix}user:alice", 'pwv'), '3',
       'the version moved on once more');
    my ($won) = grep { login_form($a, 'alice', "$new $_") } 1 .. 2;
    ok($won, 'the winner\'s password logs in');
    $new = "$new $won";
}

# --- with TOTP on: a code is needed too ---

my $b32 = MfaTest::new_secret();
MfaTest::enrol($key, $prefix, 'alice', $b32, 7, 'abcde-fghij',
               'klmno-pqrst');
my $sid;
MfaTest::wait_step_start();
# the login asks for the code now: log in with it for a session
{
    my ($ls, $lh) = $a->post('/login', 'application/x-www-form-urlencoded',
        LoginTest::form(username => 'alice', password => $new,
                        otp => MfaTest::totp($b32, time)));
    ($sid) = ($lh->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
}
ok($sid, 'alice with TOTP logged in');
($s, $doc) = change($a, $sid, password => $new, new_password => "$new m");
is("$s $doc->{error}", '401 mfa_required', 'without a code: mfa_required');
($s, $doc) = change($a, $sid, password => $new, new_password => "$new m",
                    otp => '000000');
is("$s $doc->{error}", '401 invalid_code', 'a wrong code: invalid_code');
is(redis('HGET', "${prefix}user:alice", 'pwv'), '3', 'nothing written');
($s, $doc) = change($a, $sid, password => $new, new_password => "$new m",
                    otp => 'abcde-fghij');
is("$s " . $JSON->encode($doc), '200 {}', 'a backup code: changed');
is(redis('HGET', "${prefix}user:alice", 'pwv'), '4', 'version 4');

# --- the throttle counts wrong current passwords ---

{
    my $t = node(throttle => 'free=3 lock=1m max_lock=1m forget=1h');
    my ($ls, $lh) = $t->post('/login', 'application/x-www-form-urlencoded',
        LoginTest::form(username => 'alice', password => "$new m",
                        otp => 'klmno-pqrst'));
    my ($tsid) = ($lh->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
    my @st = map { (change($t, $tsid, password => "wrong $_",
                           new_password => 'whatever it is 1'))[0] } 1 .. 4;
    is("@st", '401 401 401 429', 'wrong current passwords lock the change');
}

# --- nginx -t: a users file cannot be written ---

{
    my $dir = File::Temp->newdir;
    my ($module) = NginxInstance::modules();
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print {$fh} <<"CONF";
load_module $module;
error_log $dir/error.log;
pid $dir/nginx.pid;
events {}
http {
    server {
        listen 127.0.0.1:1;
        secauth_users file=$LoginTest::DIR/users;
        location = /pw { secauth_password_change; }
    }
}
CONF
    close $fh;
    my $nginx = $ENV{TEST_NGINX_BINARY} // 'nginx';
    my $out = `$nginx -t -p $dir -c $dir/nginx.conf 2>&1`;
    isnt($?, 0, 'nginx -t refuses secauth_password_change with a file');
    like($out, qr/"secauth_password_change" needs writable user records/,
         'and says why');
}

done_testing();
