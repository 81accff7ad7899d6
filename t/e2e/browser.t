# A real browser on the login form: headless Chromium (Debian's chromium,
# driven by playwright-core from t/e2e/node_modules, see setup-browser.sh)
# runs t/e2e/browser.js against a private nginx (t/lib/NginxInstance):
#
#   - with the mouse: protected page -> form (screenshot in
#     t/e2e/artifacts/login-form.png) -> a wrong password (the error, no
#     cookie) -> the right one -> back on the page, the backend sees the
#     user, the cookie is HttpOnly (document.cookie cannot read it);
#   - with the keyboard alone: autofocus, Tab, typing, Enter;
#   - login CSRF: a form on another site posting to the login is refused;
#   - no console errors (nothing blocked by the form's CSP).
#
# The cookie is issued with secure=off: plain http on 127.0.0.1. The
# whole test must take less than 30 s.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use File::Temp ();
use JSON::PP ();
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

my ($started, $chromium);
my $dir = $FindBin::Bin;

# before LoginTest, which makes its hashes as it loads
BEGIN {
    $started = time;
    $chromium = '/usr/bin/chromium';
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'node is needed (run t/e2e/setup-browser.sh)'
        unless grep { -x "$_/node" } split /:/, $ENV{PATH} // '';
    plan skip_all => "$chromium is needed (run t/e2e/setup-browser.sh)"
        unless -x $chromium;
    plan skip_all => 'playwright-core is not installed in t/e2e/node_modules'
                     . ' (run t/e2e/setup-browser.sh)'
        unless -f "$FindBin::Bin/node_modules/playwright-core/package.json";
}

use LoginTest;

my $tmp = File::Temp->newdir('secauth-browser-XXXXXX', TMPDIR => 1);
my $backend = "$tmp/backend.sock";
my $users = LoginTest::write_users('browser-users',
    "alice:$LoginTest::HASH{alice}\n");

my $ngx = NginxInstance->new(
    http => <<"CONF",
    secauth_password_hash $LoginTest::CHEAP;
    server {
        listen unix:$backend;
        location / {
            return 200 "backend: user=\$http_x_user uri=\$request_uri\\n";
        }
    }
CONF
    server => <<"CONF",
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        secauth_login_url /login;
        location = /login { secauth_login; }
        location = / { return 200 "home\\n"; }
        location /app/ {
            secauth session;
            proxy_set_header X-User \$secauth_user;
            proxy_pass http://unix:$backend:/;
        }
        location = /evil.html {
            default_type text/html;
            alias html/evil.html;
        }
CONF
    files => { 'evil.html' => <<'HTML' });
<!doctype html>
<html><head><meta charset="utf-8"><title>Not the site</title></head>
<body>
<form method="post" action="http://127.0.0.1:PORT/login">
<input type="hidden" name="username" value="alice">
<input type="hidden" name="password" value="PASSWORD">
<button id="go" type="submit">Win a prize</button>
</form>
</body></html>
HTML

# the port and the password are known now: fill them in
{
    my $path = $ngx->dir . '/html/evil.html';
    open my $in, '<', $path or die "$path: $!";
    my $html = do { local $/; <$in> };
    close $in;
    my $port = $ngx->port;
    (my $pw = $LoginTest::PW{alice}) =~ s/&/&amp;/g;
    $html =~ s/PORT/$port/;
    $html =~ s/PASSWORD/$pw/;
    open my $out, '>', $path or die "$path: $!";
    print {$out} $html;
    close $out;
}

my $base = 'http://127.0.0.1:' . $ngx->port;
my $cross = 'http://localhost:' . $ngx->port;
my $artifacts = "$dir/artifacts";

# node, with a deadline
my $out = '';
{
    local $ENV{E2E_USER} = 'alice';
    local $ENV{E2E_PASSWORD} = $LoginTest::PW{alice};

    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec 'node', "$dir/browser.js", $base, $cross, $artifacts
            or POSIX::_exit(127);
    }
    local $SIG{ALRM} = sub { kill 'KILL', $pid; die "timeout\n" };
    alarm 60;
    my $ok = eval { local $/; $out = <$fh> // ''; 1 };
    alarm 0;
    close $fh;
    diag("browser.js did not finish in 60 s") unless $ok;
}

my ($json_line) = grep { /^\{/ } reverse split /\n/, $out;
my $r = eval { JSON::PP->new->decode($json_line // '') };
ok($r && !$r->{error}, 'browser.js ran') or diag("browser.js: $out");
$r //= {};
diag(sprintf 'chromium: launch %s ms, all flows %s ms',
     $r->{launchMs} // '?', $r->{totalMs} // '?');

my $m = $r->{mouse} // {};
my $k = $r->{keyboard} // {};
my $x = $r->{crossSite} // {};
my $COOKIE = { valueLength => 43, valueShape => JSON::PP::true,
               path => '/', httpOnly => JSON::PP::true,
               secure => JSON::PP::false, sameSite => 'Lax' };

sub cookie_ok {
    my ($c, $what) = @_;
    my %got = %{ $c // {} };
    delete $got{expires};
    is_deeply(\%got, $COOKIE, "$what: the session cookie (43 chars, "
              . 'Path=/, HttpOnly, SameSite=Lax, not Secure)')
        or diag(JSON::PP->new->canonical->encode($c));
    cmp_ok(($c // {})->{expires} // 0, '>', time + 3600,
           "$what: the cookie lives (Max-Age)");
}

# --- with the mouse ---

is($m->{formStatus}, 200, 'mouse: the protected page leads to the form');
like($m->{formUrl} // '', qr{^\Q$base\E/login\?next=},
     'mouse: the form is the login URL with next');
is($m->{title}, 'Sign in', 'mouse: the form\'s title');
ok($m->{formVisible}, 'mouse: the form, its fields and button are visible');
is($m->{next}, '/app/page?a=1',
   'mouse: the form carries the page the browser asked for');

my $png = $m->{screenshot} // "$artifacts/login-form.png";
ok(-s $png && -s $png > 2000, "mouse: screenshot of the form ($png)");
if (open my $fh, '<:raw', $png) {
    read $fh, my $magic, 8;
    is($magic, "\x89PNG\r\n\x1a\n", 'mouse: the screenshot is a PNG');
}

is($m->{badStatus}, 401, 'mouse: a wrong password: 401');
is($m->{badAlert}, 'Invalid user name or password.',
   'mouse: a wrong password: the message');
is($m->{badNext}, $m->{next}, 'mouse: next survives a failed attempt');
is($m->{badCookie}, undef, 'mouse: a wrong password: no cookie');

is($m->{loginStatus}, 200, 'mouse: login, then a page');
is($m->{afterLoginUrl}, "$base/app/page?a=1",
   'mouse: login lands on the page the browser asked for');
cookie_ok($m->{cookie}, 'mouse');

is($m->{page}{status}, 200, 'mouse: the protected page with the cookie');
is($m->{page}{text}, 'backend: user=alice uri=/page?a=1',
   'mouse: the backend sees the user');
is($m->{page}{documentCookie}, '',
   'mouse: scripts cannot read the session cookie (HttpOnly)');
# statuses (the failed attempt's 401, the favicon's 404) are reported as
# console errors: expected; anything else (a CSP violation) is not
is_deeply([grep { !/^Failed to load resource: the server responded with/ }
           @{ $m->{consoleErrors} // [] }], [],
          'mouse: no other console errors (nothing blocked by the CSP)');

# --- with the keyboard alone ---

like($k->{formUrl} // '', qr{^\Q$base\E/login\?next=},
     'keyboard: the form');
is($k->{autofocus}, 'username', 'keyboard: the user name has the focus');
is($k->{tabsToUsername}, 0, 'keyboard: no Tab needed to start typing');
is($k->{focusAfterTab}, 'password', 'keyboard: Tab goes to the password');
is($k->{focusAfterSecondTab}, 'BUTTON', 'keyboard: then to the button');
is($k->{loginStatus}, 200, 'keyboard: Enter logs in');
is($k->{afterLoginUrl}, "$base/app/page?a=1",
   'keyboard: login lands on the page the browser asked for');
cookie_ok($k->{cookie}, 'keyboard');
is($k->{page}{status}, 200, 'keyboard: the protected page');
is($k->{page}{text}, 'backend: user=alice uri=/page?a=1',
   'keyboard: the backend sees the user');

# --- login CSRF ---

like($x->{evilUrl} // '', qr{^\Q$cross\E/evil\.html$},
     'cross-site: the other site\'s page');
is($x->{status}, 403, 'cross-site: its form post to the login is refused');
is($x->{cookie}, undef, 'cross-site: no session cookie');

like($ngx->error_log, qr/cross-site POST refused/,
     'cross-site: logged');
unlike($ngx->error_log, qr/\[(?:alert|crit|emerg)\]/,
       'no alert in the error log');

my $elapsed = time - $started;
diag(sprintf 'browser.t took %.1f s', $elapsed);
cmp_ok($elapsed, '<', 30, 'the browser test takes less than 30 s');

done_testing();
