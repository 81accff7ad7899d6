# Offboarding (docs/admin.md): secauth_admin lists and ends a user's
# sessions and refresh-token families, on the shared-memory store and on
# Redis, and scripts/secauth-user uses it (--admin) for the users file;
# with Redis users, the tool's passwd moves the password version on and
# ends every family, delete ends them too. After each, the gate refuses
# the user's cookie, access token and refresh token at once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Cwd qw(abs_path);
use File::Copy qw(copy);
use HTTP::Request::Common qw(POST);
use IPC::Open3 qw(open3);
use JSON::PP ();
use LWP::UserAgent;
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
}

use LoginTest ();
use JwtTest ();

my $JSON = JSON::PP->new->canonical;
my $tool = abs_path("$FindBin::Bin/../../scripts/secauth-user");
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "offboard$$:";
my $owner = $$;
my $pw = $LoginTest::PW{alice};
my @cost = ('--t', 1, '--m', '8m');

sub redis { JwtTest::redis(@_) }

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
                   redis('--scan', '--pattern', "$prefix*");
        redis('DEL', @keys) if @keys;
    }
}

# a users file of our own, which the tool may change
my $users = "$LoginTest::DIR/offboard.users";
copy("$LoginTest::DIR/users", $users) or die "copy users: $!";

sub node {
    my (%opt) = @_;
    my $http = "    secauth_password_hash $LoginTest::CHEAP;\n"
        . '    secauth_jwt_signing_key HS256 ' . JwtTest::key_path('hs256')
        . ";\n";
    $http .= "    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;\n"
        if $opt{redis};
    $opt{rlogin} = $opt{redis}
        ? "        location = /rlogin { secauth_users redis; secauth_login; }\n"
        : '';
    my $server = <<"CONF";
        secauth_users file=$users;
        secauth_cookie sid secure=off;
        location = /login { secauth_login; }
$opt{rlogin}        location = /token/refresh { secauth_refresh; }
        location = /_admin {
            allow 127.0.0.1;
            deny all;
            secauth_admin;
        }
        location = /_closed {
            deny all;
            secauth_admin;
        }
        location /api/ {
            secauth jwt;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
        location /page/ {
            secauth session;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
CONF
    my $n = NginxInstance->new(http => $http, server => $server,
                               files => { 'p.txt' => "secret\n" });
    my $deadline = time + 3;
    sleep 0.05 while $opt{redis} && time < $deadline
                     && ($n->get('/api/p.txt'))[0] != 401;
    return $n;
}

my $ua = LWP::UserAgent->new(timeout => 10, max_redirect => 0);

# a session cookie and a token pair of USER at LOGIN
sub login_both {
    my ($n, $user, $pass, $where) = @_;
    my $url = 'http://127.0.0.1:' . $n->port . ($where // '/login');
    my $form = $ua->request(POST($url,
                                 [username => $user, password => $pass]));
    my ($sid) = ($form->header('Set-Cookie') // '') =~ /sid=([^;]+)/;
    my $res = $ua->request(POST($url,
        'Content-Type' => 'application/json',
        Content => LoginTest::json_body(username => $user,
                                        password => $pass)));
    my $pair = eval { $JSON->decode($res->decoded_content) } // {};
    return ($sid // '', $pair);
}

# what the gate says to each of them: "page api refresh"
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

sub admin_get {
    my ($n, $query, @h) = @_;
    my ($s, $h, $b) = $n->get("/_admin$query", @h);
    return ($s, eval { $JSON->decode($b) } // { raw => $b });
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

# --- the admin location and the tool, on both stores ---

for my $store ('shm', 'redis') {
    my $n = node(redis => $store eq 'redis');
    my $t = "$store:";
    my $admin = 'http://127.0.0.1:' . $n->port . '/_admin';

    my ($sid, $pair) = login_both($n, 'alice', $pw);
    my ($sid2) = login_both($n, 'alice', $pw);
    ok(length $sid && $pair->{access_token}, "$t alice logged in twice");
    is(gate($n, $sid, $pair), '200 200 ok', "$t the gate admits her");

    # the refresh above rotated the pair: take the new one
    (undef, $pair) = login_both($n, 'alice', $pw);

    my ($s, $doc) = admin_get($n, '?user=Alice');
    is($s, 200, "$t GET ?user= answers 200");
    is($doc->{user}, 'alice', "$t the name is normalised as at the login");
    is(scalar @{ $doc->{sessions} // [] }, 3,
       "$t three sessions are listed");
    is($doc->{families}, 3, "$t and three token families");
    like(join(',', sort keys %{ $doc->{sessions}[0] // {} }),
         qr/^created,ip,last_seen$/, "$t each with created, last_seen, ip");
    is($doc->{sessions}[0]{ip}, '127.0.0.1', "$t the client address");

    my ($rc, $out, $err) = tool(undef, '--admin', "$admin?x=1",
                                'sessions', 'alice');
    is($rc, 0, "$t secauth-user sessions") or diag($err);
    is(scalar(() = $out =~ /^\d{4}-\d\d-\d\dT\S+Z \S+ 127\.0\.0\.1$/mg), 3,
       "$t prints the three sessions");
    like($out, qr/^families 3$/m, "$t and the families");

    my $mark = $n->log_mark;
    ($rc, $out, $err) = tool(undef, '--admin', $admin, 'end', 'alice');
    is($rc, 0, "$t secauth-user end") or diag($err);
    like($err, qr/alice: 6 sessions and token families ended/,
         "$t reports what it ended");
    like($n->error_log_since($mark),
         qr/\[notice\].*admin: every session and token of "alice" ended/,
         "$t a notice in the error log");
    is(gate($n, $sid, $pair), '401 401 invalid_grant',
       "$t then cookie, access token and refresh token are refused");
    my ($ps) = $n->get('/page/p.txt', Cookie => "sid=$sid2");
    is($ps, 401, "$t her other session too");

    ($s, $doc) = admin_get($n, '?user=alice');
    is("$s " . scalar(@{ $doc->{sessions} }) . " $doc->{families}",
       '200 0 0', "$t nothing is left");

    # passwd in the users file, through the tool, with --admin
    ($sid, $pair) = login_both($n, 'alice', $pw);
    ($rc, $out, $err) = tool("$pw\n", '--file', $users, @cost, '--admin',
                             $admin, 'passwd', 'alice');
    is($rc, 0, "$t secauth-user --file --admin passwd") or diag($err);
    like($err, qr/2 sessions and token families ended/,
         "$t ends the sessions and tokens too");
    is(gate($n, $sid, $pair), '401 401 invalid_grant',
       "$t which the gate refuses at once");

    # bad requests
    ($s, $doc) = admin_get($n, '');
    is("$s $doc->{error}", '400 invalid_user', "$t no user: 400");
    ($s, $doc) = admin_get($n, '?user=a%0Ab');
    is("$s $doc->{error}", '400 invalid_user', "$t a control character: 400");
    ($s, $doc) = admin_get($n, '?user=' . ('x' x 300));
    is("$s $doc->{error}", '400 invalid_user', "$t too long: 400");
    ($s, $doc) = admin_get($n, '?user=nobody');
    is("$s " . scalar(@{ $doc->{sessions} }), '200 0',
       "$t an unknown user has nothing");
    ($s) = $n->post('/_admin', 'text/plain', 'user=alice');
    is($s, 415, "$t POST text/plain: 415");
    ($s) = $n->post('/_admin', 'application/json', '{"user":1}');
    is($s, 400, "$t POST JSON without a string user: 400");
    ($s) = $n->post('/_admin', 'application/json', '[');
    is($s, 400, "$t POST broken JSON: 400");
    ($s) = $n->post('/_admin', 'application/x-www-form-urlencoded',
                    'user=alice', Origin => 'https://evil.example');
    is($s, 403, "$t a cross-site POST: 403");
    ($s) = $n->post('/_admin', 'application/x-www-form-urlencoded',
                    'user=' . ('x' x 5000));
    is($s, 413, "$t a body over 4k: 413");
    ($s) = $n->collect($n->start_request('PUT', '/_admin', ''));
    is($s, 405, "$t PUT: 405");
    ($s) = $n->get('/_closed?user=alice');
    is($s, 403, "$t allow/deny guard it");
    ($s, my $h, my $b) = $n->post('/_admin', 'application/json',
                                  '{"user":"alice"}');
    is("$s $b", qq{200 {"user":"alice","ended":0}\n},
       "$t a JSON POST for a user with nothing: ended 0");

    ($rc, $out, $err) = tool(undef, '--admin',
                             'http://127.0.0.1:' . $n->port . '/_closed',
                             'end', 'alice');
    is($rc, 1, "$t the tool fails on a refused admin request");
    like($err, qr/403/, "$t and says why");
}

copy("$LoginTest::DIR/users", $users) or die "copy users: $!";

# --- Redis users: the tool's passwd and delete end everything ---

{
    my $n = node(redis => 1);
    my $url = "redis://127.0.0.1:$rport";
    my $bob = 'an offboarding passphrase';

    my ($rc, $out, $err) = tool("$bob\n", '--redis', $url, '--prefix',
                                $prefix, @cost, 'add', 'bob');
    is($rc, 0, 'redis users: add bob') or diag($err);

    my ($sid, $pair) = login_both($n, 'bob', $bob, '/rlogin');
    is(gate($n, $sid, $pair), '200 200 ok', 'redis users: bob is in');
    (undef, $pair) = login_both($n, 'bob', $bob, '/rlogin');

    ($rc, $out, $err) = tool("$bob 2\n", '--redis', $url, '--prefix',
                             $prefix, @cost, 'passwd', 'bob');
    is($rc, 0, 'redis users: passwd') or diag($err);
    like($err, qr/4 sessions and token families ended/,
         'redis users: ends his sessions and families');
    is(redis('HGET', "${prefix}user:bob", 'pwv'), '1',
       'redis users: and moves the password version on');
    is(redis('EXISTS', "${prefix}user_families:bob"), '0',
       'redis users: the family index is gone');
    is(gate($n, $sid, $pair), '401 401 invalid_grant',
       'redis users: cookie, access and refresh token refused at once');

    ($sid, $pair) = login_both($n, 'bob', "$bob 2", '/rlogin');
    is(gate($n, $sid, $pair), '200 200 ok',
       'redis users: the new password logs in');
    (undef, $pair) = login_both($n, 'bob', "$bob 2", '/rlogin');

    ($rc, $out, $err) = tool(undef, '--redis', $url, '--prefix', $prefix,
                             'delete', 'bob');
    is($rc, 0, 'redis users: delete') or diag($err);
    is(redis('EXISTS', "${prefix}user:bob", "${prefix}user_sessions:bob",
             "${prefix}user_families:bob"), '0',
       'redis users: his record and indexes are gone');
    is(gate($n, $sid, $pair), '401 401 invalid_grant',
       'redis users: and everything he held is refused');
}

done_testing();
