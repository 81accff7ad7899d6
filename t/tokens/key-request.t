# secauth_jwt_key_request: the identity provider's JWK Set fetched through
# a subrequest to a proxy_pass location, as operators copy from NGINX
# Plus's auth_jwt_key_request. The "provider" is a second server of the
# same nginx serving JWK Set files that PyJWT made from the PEM keys of
# JwtTest, with an access log that counts the fetches; tokens are minted
# by PyJWT. Shown: the first token waits for the set, later ones do not
# fetch; rotation by kid (one fetch, the removed key's cached tokens
# refused), an unknown-kid storm costs no fetch, at most one per
# refresh=; Cache-Control max-age honoured; a set past its time used at
# once while its refresh hangs; a fetch that fails (404, not
# JSON, too big, no usable key) keeps the set in use; a provider that
# never answers: 503 after timeout=, while other locations answer at
# once; no set at all: 503, never admitted; mixed key types, a fetched
# secret refused, alg confusion refused; the client's headers never go to
# the provider; a server-wide gate and auth_request layouts.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
}

use JwtTest ();

my $IDP = NginxInstance::free_port();
my $WIDE = NginxInstance::free_port();

# a provider that takes connections and never answers
my $silent = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, ReuseAddr => 1)
    or die "listen: $!";
my $SILENT = $silent->sockport;

# a provider that answers its first fetch (max-age=1), then never again
my $stale = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1)
    or die "listen: $!";
my $STALE = $stale->sockport;

my $ngx = NginxInstance->new(
    http => <<"HTTP",
    log_format idp '\$uri auth="\$http_authorization" cookie="\$http_cookie"';

    server {
        listen 127.0.0.1:$IDP;
        access_log logs/idp.log idp;

        location /jwks/ { alias html/idp/; }
        location /short/ {
            alias html/idp/;
            add_header Cache-Control "public, max-age=1";
        }
    }

    # a gate over the whole server, the key location inside it
    server {
        listen 127.0.0.1:$WIDE;
        secauth jwt;
        secauth_jwt_key_request /_jwks;

        location = /_jwks {
            internal;
            proxy_pass http://127.0.0.1:$IDP/jwks/wide.json;
        }
        location = /p { alias html/p.txt; }
    }
HTTP
    server => <<"SERVER",
        add_header X-Error \$secauth_error always;
        add_header X-User \$secauth_user always;

        location = /_rot {
            internal;
            proxy_pass http://127.0.0.1:$IDP/jwks/rot.json;
        }
        location = /rot {
            secauth jwt;
            secauth_jwt_key_request /_rot refresh=2s;
            alias html/p.txt;
        }

        location = /_mixed {
            internal;
            proxy_pass http://127.0.0.1:$IDP/jwks/mixed.json;
        }
        location = /mixed {
            secauth jwt;
            secauth_jwt_key_request /_mixed;
            alias html/p.txt;
        }

        location = /_noalg {
            internal;
            proxy_pass http://127.0.0.1:$IDP/jwks/noalg.json;
        }
        location = /noalg {
            secauth jwt;
            secauth_jwt_key_request /_noalg;
            alias html/p.txt;
        }
        location = /noalg-es {
            secauth jwt;
            secauth_jwt_key_request /_noalg alg=ES256;
            alias html/p.txt;
        }

        location = /_flip {
            internal;
            proxy_pass http://127.0.0.1:$IDP/short/flip.json;
        }
        location = /flip {
            secauth jwt;
            secauth_jwt_key_request /_flip refresh=1s;
            alias html/p.txt;
        }

        location = /_silent {
            internal;
            proxy_pass http://127.0.0.1:$SILENT/;
            proxy_read_timeout 4s;
        }
        location = /silent {
            secauth jwt;
            secauth_jwt_key_request /_silent timeout=1s;
            alias html/p.txt;
        }

        location = /_stale {
            internal;
            proxy_pass http://127.0.0.1:$STALE/;
            proxy_read_timeout 6s;
        }
        location = /stale {
            secauth jwt;
            secauth_jwt_key_request /_stale refresh=1s timeout=1s;
            alias html/p.txt;
        }

        location = /_down {
            internal;
            proxy_pass http://127.0.0.1:1/;
        }
        location = /down {
            secauth jwt;
            secauth_fail open;
            secauth_jwt_key_request /_down refresh=30s;
            alias html/p.txt;
        }

        location = /v {
            auth_request /_verify;
            alias html/p.txt;
        }
        location = /_verify {
            internal;
            secauth_verify;
            secauth_jwt_key_request /_rot;
        }
SERVER
    files => { 'p.txt' => "secret\n" },
);

my $idp = $ngx->dir . '/html/idp';
mkdir $idp or die "mkdir $idp: $!";

# writes the provider's file NAME: a JWK Set of the keys given
sub publish {
    my ($name, @keys) = @_;
    JwtTest::jwks("pub-$name", \@keys);
    rename JwtTest::key_path("pub-$name"), "$idp/$name" or die "rename: $!";
}

sub publish_raw {
    my ($name, $text) = @_;
    open my $fh, '>', "$idp/$name.tmp" or die;
    print $fh $text;
    close $fh;
    rename "$idp/$name.tmp", "$idp/$name" or die;
}

sub fetches {
    my ($file) = @_;
    open my $fh, '<', $ngx->dir . '/logs/idp.log' or return 0;
    return scalar grep { m{^/(?:jwks|short)/\Q$file\E } } <$fh>;
}

sub bearer {
    my ($alg, $key, $kid, %claims) = @_;
    my $t = JwtTest::pyjwt($alg, $key, [sub => "u-$kid", %claims],
                           { kid => $kid });
    return (Authorization => "Bearer $t");
}

# GET PATH: status, $secauth_error and the seconds until the whole answer
# (headers and its Content-Length of body) has come, which may be before
# the connection closes: the one whose request made a fetch stays open
# until the fetch ends
sub answered {
    my ($path, @headers) = @_;
    my $start = time;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ngx->port) or die;
    my $req = "GET $path HTTP/1.1\r\nHost: localhost\r\n";
    while (my ($k, $v) = splice @headers, 0, 2) { $req .= "$k: $v\r\n" }
    print $sock "$req\r\n";
    my $data = '';
    while (sysread($sock, my $buf, 4096)) {
        $data .= $buf;
        next unless $data =~ /\r\n\r\n/;
        my ($len) = $data =~ /^Content-Length: (\d+)/mi;
        last if defined $len && length($data) - index($data, "\r\n\r\n") - 4 >= $len;
    }
    my $elapsed = time - $start;
    my ($status) = $data =~ m{^HTTP/1\.1 (\d+)};
    my ($error) = $data =~ /^X-Error: ([^\r]*)/mi;
    return ($status // 0, $error // '', $elapsed, $sock);
}

sub check {
    my ($path, $auth, $status, $error, $name) = @_;
    my ($st, $h, $body, $elapsed) = $ngx->get($path, @$auth);
    is($st, $status, "$name: $status");
    is($h->{'x-error'} // '', $error, "$name: \$secauth_error \"$error\"");
    return ($st, $h, $body, $elapsed);
}

my $RSA  = ['rsa.pub', 'RSA', { kid => 'k1', alg => 'RS256' }];
my $RSA2 = ['rsa2.pub', 'RSA', { kid => 'k2', alg => 'RS256' }];

publish('rot.json', $RSA);
publish('wide.json', $RSA);

# --- first token: waits for the set; later ones fetch nothing ------------

my $k1 = [bearer('RS256', 'rsa.key', 'k1')];
my $k2 = [bearer('RS256', 'rsa2.key', 'k2')];

is(fetches('rot.json'), 0, 'nothing fetched before the first token');
my (undef, $h) = check('/rot', $k1, 200, '', 'first token of k1');
is($h->{'x-user'}, 'u-k1', 'first token: $secauth_user');
is(fetches('rot.json'), 1, 'the first token fetched the set once');
check('/rot', $k1, 200, '', 'k1 again') for 1 .. 3;
check('/rot', [], 401, 'no_credentials', 'no token: no fetch');
check('/rot', [bearer('RS256', 'rsa2.key', 'k1')], 401, 'bad_signature',
      'k1 claimed, signed by another key');
is(fetches('rot.json'), 1, 'no more fetches while the set is fresh');

my $line = do {
    open my $fh, '<', $ngx->dir . '/logs/idp.log' or die;
    (grep { m{^/jwks/rot.json } } <$fh>)[0];
};
like($line, qr/auth="-" cookie="-"/,
     "the client's Authorization and Cookie never go to the provider");

# --- rotation by kid ------------------------------------------------------

# the storm's tokens minted first: the storm must fit in refresh=
my @storm = map { [bearer('RS256', 'rsa.key', "storm-$_-" . int(rand 1e9))] }
            1 .. 40;

publish('rot.json', $RSA2);
sleep 2.2;                                  # refresh=2s since the fetch

check('/rot', $k2, 200, '', 'a token of the new key k2: fetched, admitted');
is(fetches('rot.json'), 2, 'the new kid cost one fetch');
check('/rot', $k1, 401, 'unknown_kid',
      'the removed key k1: its cached token refused');

my $storm = 0;
for my $t (@storm) {
    my ($st, $hh) = $ngx->get('/rot', @$t);
    $storm++ if $st == 401 && ($hh->{'x-error'} // '') eq 'unknown_kid';
}
is($storm, 40, 'an unknown-kid storm: 40 tokens, all 401 unknown_kid');
is(fetches('rot.json'), 2, '... and no fetch within refresh=');

sleep 2.2;
check('/rot', [bearer('RS256', 'rsa.key', 'storm-late')], 401,
      'unknown_kid', 'an unknown kid after refresh=');
is(fetches('rot.json'), 3, '... one fetch, no more');
check('/rot', [bearer('RS256', 'rsa.key', 'storm-later')], 401,
      'unknown_kid', 'another one right after');
is(fetches('rot.json'), 3, '... no fetch');

# --- auth_request to secauth_verify: the fetch from a subrequest ---------

check('/v', $k2, 200, '', 'auth_request: the token of k2 admitted');
check('/v', $k1, 401, 'unknown_kid', 'auth_request: k1 refused');

# --- the key location inside a server-wide gate --------------------------

{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $WIDE) or die;
    my $t = (bearer('RS256', 'rsa.key', 'k1'))[1];
    print $sock "GET /p HTTP/1.0\r\nHost: x\r\nAuthorization: $t\r\n\r\n";
    my $res = do { local $/; <$sock> };
    like($res, qr{^HTTP/1\.1 200 .*secret}s,
         'a server-wide gate: its own key request is let through, 200');
}

# --- mixed key types; what a fetched set may not hold ---------------------

publish('mixed.json',
        ['rsa.pub', 'RSA', { kid => 'r1', alg => 'RS256' }],
        ['rsa.pub', 'RSA', { kid => 'p1', alg => 'PS256' }],
        ['ec256.pub', 'EC', { kid => 'e1', alg => 'ES256' }],
        ['ec384.pub', 'EC', { kid => 'e3', alg => 'ES384' }],
        ['ed.pub', 'OKP', { kid => 'd1', alg => 'EdDSA' }],
        ['hs256', 'oct', { kid => 'h1', alg => 'HS256' }]);

for my $k (['RS256', 'rsa.key', 'r1'], ['PS256', 'rsa.key', 'p1'],
           ['ES256', 'ec256.key', 'e1'], ['ES384', 'ec384.key', 'e3'],
           ['EdDSA', 'ed.key', 'd1'])
{
    my (undef, $hh) = check('/mixed', [bearer(@$k)], 200, '',
                            "mixed set: $k->[0] by kid $k->[2]");
    is($hh->{'x-user'}, "u-$k->[2]", "mixed set: $k->[0] user");
}

like($ngx->error_log,
     qr/\[warn\].*"secauth_jwt_key_request": key 5 \(kid "h1"\) .*skipped/,
     'a secret (oct key) in a fetched set is skipped with a warning');
check('/mixed', [bearer('HS256', 'hs256', 'h1')], 401, 'bad_alg',
      'an HS256 token of the skipped secret');

# alg confusion: the RSA public key as an HMAC secret, with its kid
my $confused = JwtTest::token('HS256', 'rsa.pub', ['kid' => 'r1'], []);
check('/mixed', ["Authorization" => "Bearer $confused"], 401, 'bad_alg',
      'HS256 signed with the published RSA key');
my $cross = JwtTest::pyjwt('ES256', 'ec256.key', [sub => 'x'],
                           { kid => 'r1' });
check('/mixed', ["Authorization" => "Bearer $cross"], 401, 'unknown_kid',
      'ES256 with the kid of the RSA key');
my $none = JwtTest::b64u('{"alg":"none","kid":"r1"}') . '.'
           . JwtTest::b64u('{"sub":"x","exp":' . (time + 600) . '}') . '.';
check('/mixed', ["Authorization" => "Bearer $none"], 401, 'malformed',
      'alg "none" (and no signature)');
is(fetches('mixed.json'), 1,
   'the bad-algorithm and unknown-kid tokens: no fetch within refresh=');

# --- a key without alg: needs alg= ---------------------------------------

publish('noalg.json', ['ec256.pub', 'EC', { kid => 'e1' }]);
my $es = [bearer('ES256', 'ec256.key', 'e1')];
check('/noalg', $es, 503, 'keys_unavailable',
      'a set whose only key has no alg: no key, 503');
like($ngx->error_log, qr/"secauth_jwt_key_request": key 0 \(kid "e1"\)/,
     '... the key is named in the log');
like($ngx->error_log,
     qr/key request "\/_noalg" failed: has no key this module can verify/,
     '... and the failed fetch');
check('/noalg-es', $es, 200, '', 'the same set with alg=ES256: admitted');

# --- Cache-Control max-age, and fetches that fail -------------------------

publish('flip.json', $RSA);
check('/flip', $k1, 200, '', 'flip: first set');
is(fetches('flip.json'), 1, 'flip: one fetch');
check('/flip', $k1, 200, '', 'flip: within max-age=1');
is(fetches('flip.json'), 1, 'flip: no fetch within max-age');

sleep 1.2;
check('/flip', $k1, 200, '', 'past max-age: answered from the old set');
sleep 0.2;
is(fetches('flip.json'), 2, '... while the set was fetched again');

for my $bad (['missing', undef, qr/the answer is not 200/],
             ['not JSON', 'nope', qr/the answer is not JSON/],
             ['no keys', '{"keys": []}', qr/has no key this module can/],
             ['too big', '{"keys": [], "pad": "' . ('x' x 20000) . '"}',
              qr/too big subrequest response/])
{
    my ($what, $text, $why) = @$bad;
    if (defined $text) {
        publish_raw('flip.json', $text);
    } else {
        unlink "$idp/flip.json";
    }

    sleep 1.2;
    my $mark = $ngx->log_mark;
    check('/flip', $k1, 200, '', "a fetch that fails ($what): 200");
    sleep 0.2;
    my $log = $ngx->error_log_since($mark);
    like($log, $why, "$what: the reason is logged");
    like($log, qr/key request "\/_flip" failed: .*the keys fetched \d+ s ago are kept/,
         "$what: the set in use is kept");
    check('/flip', $k1, 200, '', "$what: still admitted");
    check('/flip', $k2, 401, 'unknown_kid', "$what: k2 still unknown");
}

# --- a provider that never answers ----------------------------------------

my $pid = fork // die;
if (!$pid) {
    # while the fetch hangs: another location, from another client
    sleep 0.3;
    my ($st, undef, $t) = answered('/rot', @$k2);
    exit(($st == 200 && $t < 0.5) ? 0 : 1);
}
my ($sst, $serr, $waited, $keep) = answered('/silent', @$k1);
waitpid $pid, 0;
is($? >> 8, 0, 'while a fetch hangs, another location answers at once');
is($sst, 503, 'no set, the provider silent: 503 after timeout=');
is($serr, 'keys_unavailable', '... keys_unavailable');
cmp_ok($waited, '>=', 0.9, "... after about 1 s (${\ sprintf '%.2f', $waited})");
cmp_ok($waited, '<', 2.5, '... not the proxy timeout');
undef $keep;
like($ngx->error_log, qr/key request "\/_silent" timed out after 1000 ms/,
     '... logged');

# --- a set past its time, the provider silent: nobody waits --------------

JwtTest::jwks('stale.json', [$RSA]);
my $set = JwtTest::slurp('stale.json');
my $provider = fork // die;
if (!$provider) {
    my $first = $stale->accept;
    sysread $first, my $req, 4096;
    print $first "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        . "Cache-Control: max-age=1\r\nContent-Length: " . length($set)
        . "\r\nConnection: close\r\n\r\n$set";
    close $first;
    my @held;
    while (my $c = $stale->accept) { push @held, $c }   # never answered
    exit 0;
}

my ($s1, $e1) = answered('/stale', @$k1);
is($s1, 200, 'stale: the first fetch answered, admitted');
sleep 1.3;                                  # past max-age=1 and refresh=1s
my ($s2, $e2, $t2) = answered('/stale', @$k1);
is($s2, 200, 'stale: past max-age, the provider silent: admitted');
cmp_ok($t2, '<', 0.5, "... from the old set at once (${\ sprintf '%.3f', $t2} s)");
my ($s3, $e3, $t3) = answered('/stale', @$k1);
is($s3, 200, 'stale: again while the refresh hangs');
cmp_ok($t3, '<', 0.5, '... at once');
my ($s4, $e4, $t4) = answered('/stale', @$k2);
is("$s4 $e4", '401 unknown_kid',
   'stale: an unknown kid while a refresh is in flight waits for it');
cmp_ok($t4, '>=', 0.9, '... at most timeout= (1 s)');
cmp_ok($t4, '<', 2.5, '... and no more');
kill 'KILL', $provider;
waitpid $provider, 0;

# --- no set at all, fail open or not: never admitted ----------------------

check('/down', $k1, 503, 'keys_unavailable',
      'the provider down, secauth_fail open: 503 all the same');
my ($dst, undef, undef, $dt) = check('/down', $k1, 503, 'keys_unavailable',
                                     'again within refresh=');
cmp_ok($dt, '<', 0.5, '... at once, no fetch');
like($ngx->error_log,
     qr/key request "\/_down" failed: the answer is not 200; no key/,
     'the failed first fetch is logged');

print STDERR $ngx->error_log if $ENV{SHOW_LOG};
unlike($ngx->error_log, qr/\[(?:alert|crit|emerg)\]|worker process .* exited/,
       'no alert, no crash');

close $silent;
done_testing();
