#!/usr/bin/perl
# scripts/secauth-user: the users file and Redis stores, the name and
# password rules (docs/security.md, Passwords: 12 to 128 code points, never
# truncated), hashes that libargon2 verifies, and hashes that nginx with
# the module accepts at login, both ways (the argon2 command's into the
# file by hand, and secauth-user's).

use strict;
use warnings;

use Cwd qw(abs_path);
use Fcntl qw(:mode);
use File::Basename qw(dirname);
use File::Temp ();
use IO::Socket::INET;
use IPC::Open3 qw(open3);
use MIME::Base64 qw(encode_base64);
use POSIX qw(WNOHANG);
use Symbol qw(gensym);
use Test::More;
use Time::HiRes qw(sleep);

my $repo = abs_path(dirname(__FILE__) . '/../..');
my $tool = "$repo/scripts/secauth-user";
# strength 0: these blocks are about the stores and the lengths, with
# passwords made to be counted, not to be strong; the policy's own block
# is at the end (and t/unit/policy_test.c)
my @cost = ('--t', 1, '--m', '8m', '--strength', 0);
my $tmp = File::Temp->newdir('secauth-user-XXXXXX', TMPDIR => 1);
my $dir = $tmp->dirname;

# ---- helpers ----

# run(STDIN, ARGS...): (exit status, stdout, stderr)
sub run {
    my ($stdin, @args) = @_;
    my ($in, $out, $err) = (undef, undef, gensym);
    my $pid = open3($in, $out, $err, $tool, @args);
    binmode $_ for $in, $out, $err;
    local $SIG{PIPE} = 'IGNORE';
    print {$in} $stdin if defined $stdin;
    close $in;
    my $o = do { local $/; <$out> } // '';
    my $e = do { local $/; <$err> } // '';
    waitpid $pid, 0;
    return ($? >> 8, $o, $e);
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($path, $text) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print {$fh} $text;
    close $fh or die "$path: $!";
}

# the hash of NAME in a users file
sub hash_of {
    my ($path, $name) = @_;
    my ($h) = slurp($path) =~ /^\Q$name\E:(\S+)$/m;
    return $h;
}

my $PY_VERIFY = <<'PY';
import ctypes, sys
lib = ctypes.CDLL('libargon2.so.1')
f = lib.argon2id_verify
f.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
pw = sys.stdin.buffer.read()
sys.exit(0 if f(sys.argv[1].encode(), pw, len(pw)) == 0 else 1)
PY

# true when HASH is PASSWORD's: Crypt::Argon2 (libcrypt-argon2-perl)
# when installed, else libargon2 itself through python3's ctypes
my $have_crypt_argon2 = eval { require Crypt::Argon2; 1 };

sub verifies {
    my ($hash, $pw) = @_;
    return Crypt::Argon2::argon2id_verify($hash, $pw) ? 1 : 0
        if $have_crypt_argon2;

    my $pid = open3(my $in, my $out, undef, '/usr/bin/python3', '-I',
                    '-c', $PY_VERIFY, $hash);
    binmode $in;
    print {$in} $pw;
    close $in;
    waitpid $pid, 0;
    return $? == 0 ? 1 : 0;
}

# a hash made by the Debian argon2 command, as an administrator would
sub cli_hash {
    my ($pw) = @_;
    open my $fh, '<:raw', '/dev/urandom' or die $!;
    read $fh, my $salt, 16;
    my $pid = open3(my $in, my $out, undef, 'argon2',
                    encode_base64($salt, ''), '-id', '-t', 1, '-k', 8192,
                    '-p', 1, '-l', 32, '-e');
    print {$in} $pw;
    close $in;
    my $hash = <$out>;
    waitpid $pid, 0;
    chomp $hash;
    return $hash;
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1)
        or die "free_port: $!";
    return $s->sockport;
}

my $pw12 = 'abcdefghijk1';                              # 12
my $pw11 = 'abcdefghij1';                               # 11
my $pw128 = "\xc3\xa9" x 128;                           # 128 x U+00E9
my $pw129 = "\xc3\xa9" x 129;
my $pw128_ascii = 'x' x 128;                            # 128 bytes

diag('hashes verified with ', $have_crypt_argon2 ? 'Crypt::Argon2'
                                                 : 'python3 ctypes');

# ---- the module's rules, through the script's own functions ----

{
    package SecauthUser;
    do $tool or die "cannot load $tool: ", $@ || $!;
}

is_deeply([SecauthUser::normalize_name('Alice.B_c-d@E+f')],
          ['alice.b_c-d@e+f'], 'names: ASCII letters folded, charset ok');
is_deeply([SecauthUser::normalize_name("J\xc3\x89r\xc3\xb4me")],
          ["j\xc3\x89r\xc3\xb4me"], 'names: bytes >= 0x80 kept as they are');
is((SecauthUser::normalize_name('a' x 64))[0], 'a' x 64, 'names: 64 bytes');

for my $bad (['a b', 'space'], ['a:b', '":"'], ["a\0b", 'NUL'],
             ['a' x 65, '64 bytes'], ['', 'empty'], ["a\nb", '0x0a'],
             ['a/b', '"/"'], ["a\tb", '0x09'])
{
    my ($n, $why) = SecauthUser::normalize_name($bad->[0]);
    ok(!defined $n && $why =~ /\Q$bad->[1]\E/,
       "names: refused, $bad->[1]");
}

is(SecauthUser::password_problem($pw12), undef, 'password: 12 accepted');
is(SecauthUser::password_problem($pw128), undef,
   'password: 128 code points (256 bytes) accepted');
like(SecauthUser::password_problem($pw11), qr/too short \(11/,
     'password: 11 refused');
like(SecauthUser::password_problem($pw129), qr/too long \(129/,
     'password: 129 refused');
like(SecauthUser::password_problem("abcdefghijk\0l"), qr/NUL/,
     'password: NUL refused');
like(SecauthUser::password_problem("abcdefghijk\rl"), qr/CR or LF/,
     'password: CR refused');
like(SecauthUser::password_problem("abcdefghijk\xffl"), qr/UTF-8/,
     'password: invalid UTF-8 refused');

# ---- usage ----

{
    my ($rc, $out, $err) = run(undef, '--help');
    is($rc, 0, 'usage: --help');
    like($out, qr/^Usage: secauth-user/, 'usage: text on stdout');

    for my $args ([], ['--file', "$dir/x", 'frob'],
                  ['--file', "$dir/x", 'add'],
                  ['--file', "$dir/x", 'list', 'extra'],
                  ['add', 'bob'],
                  ['--file', "$dir/x", '--redis', 'redis://1.2.3.4:1',
                   'list'],
                  ['--file', "$dir/x", '--bogus', 'list'],
                  ['--file', "$dir/x", '--t', 0, 'add', 'bob'],
                  ['--file', "$dir/x", '--m', '512k', 'add', 'bob'],
                  ['--redis', 'redis://localhost:6379', 'list'],
                  ['--redis', 'redis://127.0.0.1:6379', '--prefix', 'a b',
                   'list'])
    {
        my ($rc, undef, $err) = run(undef, @$args);
        is($rc, 2, "usage: exit 2 for [@$args]")
            or diag($err);
    }
}

# ---- the users file ----

my $users = "$dir/users";
my $bob_hash = cli_hash('bob password 1');
my $head = "# secauth users\n\n  # indented comment\n";
spew($users, "${head}bob:$bob_hash\n# tail comment\n");
chmod 0604, $users;

{
    my ($rc, $out, $err) = run("$pw12\n", '--file', $users, @cost,
                               'add', 'Alice');
    is($rc, 0, 'file: add') or diag($err);
    like($err, qr/nginx -s reload/, 'file: reminds to reload nginx');
    unlike($err . $out, qr/\Q$pw12\E/, 'file: password not printed');

    my $text = slurp($users);
    like($text, qr/^\Q$head\Ebob:\Q$bob_hash\E\n# tail comment\nalice:/,
         'file: comments and other users kept, new line appended');
    ok(verifies(hash_of($users, 'alice'), $pw12),
       'file: the hash written verifies with libargon2');
    ok(!verifies(hash_of($users, 'alice'), 'abcdefghijk2'),
       'file: and not with another password');
    like(hash_of($users, 'alice'), qr/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/,
         'file: Argon2id with the given cost');
    is(S_IMODE((stat $users)[2]), 0604, 'file: its mode is kept');
    is_deeply([glob "$dir/.users.*"], [], 'file: no temporary file left');

    my $before = slurp($users);
    ($rc, $out, $err) = run("$pw12\n", '--file', $users, @cost,
                            'add', 'ALICE');
    is($rc, 1, 'file: duplicate add refused (names fold case)');
    like($err, qr/already exists/, 'file: says why');
    is(slurp($users), $before, 'file: unchanged');

    for my $name ('a b', 'a:b', 'a' x 65, "caf\x7f") {
        ($rc, $out, $err) = run("$pw12\n", '--file', $users, @cost,
                                'add', $name);
        is($rc, 1, 'file: bad name refused: ' . length($name) . ' bytes');
        like($err, qr/user name/, 'file: with a clear message');
    }
    is(slurp($users), $before, 'file: unchanged by refused names');

    ($rc, $out, $err) = run("$pw11\n", '--file', $users, @cost,
                            'add', 'carol');
    is($rc, 1, 'file: 11 characters refused');
    like($err, qr/too short/, 'file: too short');
    ($rc, $out, $err) = run("$pw129\n", '--file', $users, @cost,
                            'add', 'carol');
    is($rc, 1, 'file: 129 characters refused');
    like($err, qr/too long/, 'file: too long');
    ($rc, $out, $err) = run("abcdefghijkl\r\n", '--file', $users, @cost,
                            'add', 'carol');
    is($rc, 1, 'file: CR refused');
    ($rc, $out, $err) = run('', '--file', $users, @cost, 'add', 'carol');
    is($rc, 1, 'file: no password refused');
    is(slurp($users), $before, 'file: unchanged by refused passwords');

    ($rc, $out, $err) = run("$pw128\nsecond line\n", '--file', $users,
                            @cost, 'add', 'carol');
    is($rc, 0, 'file: 128 code points (256 bytes) accepted') or diag($err);
    ok(verifies(hash_of($users, 'carol'), $pw128),
       'file: the whole 128 code points are hashed');
    ok(!verifies(hash_of($users, 'carol'), "\xc3\xa9" x 127),
       'file: not truncated');

    ($rc, $out, $err) = run($pw128_ascii, '--file', $users, @cost,
                            'add', 'dave');
    is($rc, 0, 'file: 128 ASCII characters accepted') or diag($err);
    ok(verifies(hash_of($users, 'dave'), $pw128_ascii),
       'file: and verify');

    ($rc, $out, $err) = run(undef, '--file', $users, 'list');
    is($rc, 0, 'file: list');
    is($out, "alice\nbob\ncarol\ndave\n", 'file: list, sorted');

    my $old = hash_of($users, 'bob');
    ($rc, $out, $err) = run("new secret phrase\n", '--file', $users,
                            @cost, 'passwd', 'Bob');
    is($rc, 0, 'file: passwd') or diag($err);
    isnt(hash_of($users, 'bob'), $old, 'file: passwd changed the hash');
    ok(verifies(hash_of($users, 'bob'), 'new secret phrase'),
       'file: the new password verifies');
    like(slurp($users), qr/^\Q$head\Ebob:\S+\n# tail comment\n/,
         'file: passwd edits the line in place');

    ($rc, $out, $err) = run("new secret phrase\n", '--file', $users,
                            @cost, 'passwd', 'nobody');
    is($rc, 1, 'file: passwd of a missing user refused');
    like($err, qr/no user nobody/, 'file: says why');

    ($rc, $out, $err) = run(undef, '--file', $users, 'delete', 'dave');
    is($rc, 0, 'file: delete');
    ($rc, $out, $err) = run(undef, '--file', $users, 'delete', 'dave');
    is($rc, 1, 'file: delete of a missing user refused');
    ($rc, $out) = run(undef, '--file', $users, 'list');
    is($out, "alice\nbob\ncarol\n", 'file: deleted');
    like(slurp($users), qr/^\Q$head\Ebob:\S+\n# tail comment\nalice:\S+\n/,
         'file: comments kept after delete');
    is(S_IMODE((stat $users)[2]), 0604, 'file: mode still kept');
}

# CRLF lines, a symbolic link, a new file
{
    my $crlf = "$dir/crlf";
    spew($crlf, "# dos\r\nerin:" . cli_hash('erin password 1') . "\r\n"
                . "frank:x\r\n");
    my ($rc, $out, $err) = run("new phrase number 2\n", '--file', $crlf,
                               @cost, 'passwd', 'erin');
    is($rc, 0, 'file: passwd in a CRLF file');
    like(slurp($crlf), qr/^# dos\r\nerin:\S+\r\nfrank:x\r\n\z/,
         'file: line endings kept');

    symlink 'crlf', "$dir/link" or die $!;
    ($rc, $out, $err) = run(undef, '--file', "$dir/link", 'delete',
                            'frank');
    is($rc, 0, 'file: delete through a symbolic link');
    ok(-l "$dir/link", 'file: the link stays a link');
    unlike(slurp($crlf), qr/frank/, 'file: its target was edited');

    my $new = "$dir/new-users";
    my $umask = umask 077;
    ($rc, $out, $err) = run("$pw12\n", '--file', $new, @cost, 'add',
                            'gina');
    umask $umask;
    is($rc, 0, 'file: add creates a new file');
    is(S_IMODE((stat $new)[2]), 0640, 'file: a new file is 0640');
    like(slurp($new), qr/^gina:\$argon2id\$[^\n]+\n\z/,
         'file: with one line');

    ($rc, $out, $err) = run(undef, '--file', "$dir/none", 'list');
    is($rc, 1, 'file: list of a missing file fails');
}

# on a terminal: asked twice, without echo (a pty driven by python3,
# which answers each prompt once it is shown)
my $PY_TTY = <<'PY';
import os, pty, select, sys, time
answers = sys.stdin.buffer.read().split(b'\n')[:2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def read_until(what):
    global out
    deadline = time.time() + 10
    while what is None or what not in out:
        left = deadline - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
for prompt, answer in zip((b'New password', b'Retype'), answers):
    read_until(prompt)
    os.write(fd, answer + b'\n')
read_until(None)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.WEXITSTATUS(status))
PY

SKIP: {
    skip 'no /usr/bin/python3', 6 unless -x '/usr/bin/python3';

    my $tty = "$dir/tty-users";
    my $drive = sub {
        my ($answers, @args) = @_;
        my $pid = open3(my $in, my $out, undef, '/usr/bin/python3', '-I',
                        '-c', $PY_TTY, $tool, @args);
        binmode $_ for $in, $out;
        print {$in} $answers;
        close $in;
        my $o = do { local $/; <$out> } // '';
        waitpid $pid, 0;
        return ($? >> 8, $o);
    };

    my ($rc, $out) = $drive->("$pw128\n$pw128\n", '--file', $tty, @cost,
                              'add', 'tina');
    is($rc, 0, 'tty: add, password typed twice') or diag($out);
    like($out, qr/New password for tina: .*Retype the new password: /s,
         'tty: both prompts shown');
    unlike($out, qr/\xc3\xa9/, 'tty: the password is not echoed');
    ok(verifies(hash_of($tty, 'tina') // '', $pw128),
       'tty: the typed password verifies');

    ($rc, $out) = $drive->("$pw12\nabcdefghijk2\n", '--file', $tty,
                           @cost, 'passwd', 'tina');
    is($rc, 1, 'tty: two different passwords refused');
    like($out, qr/differ/, 'tty: says why');
}

# concurrent runs: the lock keeps every change
{
    my $conc = "$dir/concurrent";
    spew($conc, "# many\n");
    my @pids;
    for my $i (1 .. 6) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my ($rc) = run("password number $i\n", '--file', $conc, @cost,
                           'add', "user$i");
            POSIX::_exit($rc);
        }
        push @pids, $pid;
    }
    my $failed = 0;
    for (@pids) {
        waitpid $_, 0;
        $failed++ if $?;
    }
    is($failed, 0, 'file: 6 concurrent adds succeed');
    my ($rc, $out) = run(undef, '--file', $conc, 'list');
    is($out, join('', map { "user$_\n" } 1 .. 6),
       'file: none of them is lost');
    like(slurp($conc), qr/^# many\n/, 'file: comment kept');
}

# ---- nginx accepts the hashes, both ways ----

SKIP: {
    my @mods = grep { length } split /\s+/,
               $ENV{TEST_NGINX_LOAD_MODULES} // '';
    @mods = ("$repo/build/ngx_http_secauth_module.so") unless @mods;
    skip "no module at @mods: run scripts/build.sh", 6 unless -f $mods[0];

    require lib;
    lib->import("$repo/t/lib");
    require NginxInstance;

    my $login = "$dir/login-users";
    spew($login, "# by hand, with the argon2 command\n"
                 . 'hand:' . cli_hash('hand made password') . "\n");
    my ($rc, $out, $err) = run("$pw12\n", '--file', $login, @cost, 'add',
                               'tool');
    is($rc, 0, 'nginx: secauth-user adds a user') or diag($err);
    ($rc, $out, $err) = run("$pw128\n", '--file', $login, @cost, 'add',
                            'long');
    is($rc, 0, 'nginx: and one with 128 code points') or diag($err);

    my $ngx = NginxInstance->new(
        http => "secauth_users file=$login;\n"
                . "secauth_password_hash argon2id t=1 m=8m p=1;\n"
                . "secauth_cookie sid secure=off;\n",
        server => 'location = /login { secauth_login; }',
    );

    my $post = sub {
        my ($user, $pw) = @_;
        my $esc = sub {
            (my $s = shift) =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X',
                                                             ord $1/ge;
            return $s;
        };
        my $body = 'username=' . $esc->($user) . '&password='
                   . $esc->($pw);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ngx->port,
                                      Timeout => 5)
            or die "connect: $!";
        print {$s} "POST /login HTTP/1.1\r\nHost: localhost\r\n"
                   . "Connection: close\r\n"
                   . "Content-Type: application/x-www-form-urlencoded\r\n"
                   . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 10;
        my $resp = do { local $/; <$s> } // '';
        alarm 0;
        my ($status) = $resp =~ m{^HTTP/1\.[01] (\d{3})};
        return $status // 0;
    };

    is($post->('hand', 'hand made password'), 303,
       "nginx: the argon2 command's hash logs in (303)");
    is($post->('Tool', $pw12), 303, "nginx: secauth-user's hash logs in");
    is($post->('long', $pw128), 303,
       'nginx: 128 code points (libargon2 path) log in');
    is($post->('tool', 'abcdefghijk2'), 401, 'nginx: wrong password 401');
}

# ---- Redis ----

SKIP: {
    skip 'no redis-server', 1 unless -x '/usr/bin/redis-server';

    my $port = free_port();
    my $sock = "$dir/redis.sock";
    my $redis = fork // die "fork: $!";
    if (!$redis) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec('redis-server', '--bind', '127.0.0.1', '--port', $port,
             '--save', '', '--appendonly', 'no', '--dir', $dir,
             '--unixsocket', $sock, '--unixsocketperm', 700)
            or POSIX::_exit(127);
    }
    my $cli = sub {
        my $pid = open3(my $in, my $out, undef, 'redis-cli', '-p', $port,
                        @_);
        close $in;
        my $o = do { local $/; <$out> } // '';
        waitpid $pid, 0;
        chomp $o;
        return $o;
    };
    for (1 .. 100) {
        last if $cli->('ping') eq 'PONG';
        sleep 0.05;
    }
    is($cli->('ping'), 'PONG', 'redis: private redis-server up');

    my $url = "redis://127.0.0.1:$port";
    my ($rc, $out, $err) = run("$pw12\n", '--redis', $url, @cost, 'add',
                               'Alice');
    is($rc, 0, 'redis: add') or diag($err);
    my $h = $cli->('HGET', 'secauth:user:alice', 'password');
    like($h, qr/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/,
         'redis: HGET secauth:user:alice password is the hash');
    ok(verifies($h, $pw12), 'redis: and it verifies');

    ($rc, $out, $err) = run("$pw12\n", '--redis', $url, @cost, 'add',
                            'alice');
    is($rc, 1, 'redis: duplicate add refused');
    like($err, qr/already exists/, 'redis: says why');
    is($cli->('HGET', 'secauth:user:alice', 'password'), $h,
       'redis: unchanged');

    ($rc, $out, $err) = run("$pw11\n", '--redis', $url, @cost, 'add',
                            'bob');
    is($rc, 1, 'redis: short password refused');
    is($cli->('EXISTS', 'secauth:user:bob'), '0', 'redis: nothing stored');

    # sessions of alice, as the module stores them
    $cli->('SADD', 'secauth:user_sessions:alice', 'aa', 'bb');
    $cli->('SET', 'secauth:session:aa', '{}');
    $cli->('SET', 'secauth:session:bb', '{}');
    $cli->('SET', 'secauth:session:cc', '{}');
    $cli->('SADD', 'secauth:user_families:alice', 'f1');
    $cli->('HSET', 'secauth:family:f1', 'user', 'alice');
    $cli->('HSET', 'secauth:family:f2', 'user', 'carol');

    ($rc, $out, $err) = run("another password\n", '--redis', $url, @cost,
                            'passwd', 'alice');
    is($rc, 0, 'redis: passwd') or diag($err);
    my $h2 = $cli->('HGET', 'secauth:user:alice', 'password');
    isnt($h2, $h, 'redis: new hash');
    ok(verifies($h2, 'another password'), 'redis: new password verifies');
    like($err, qr/3 sessions and token families ended/,
         "redis: passwd ends the user's sessions and token families");
    is($cli->('EXISTS', 'secauth:session:aa', 'secauth:session:bb',
              'secauth:user_sessions:alice', 'secauth:family:f1',
              'secauth:user_families:alice'), '0',
       'redis: their keys are gone');
    is($cli->('EXISTS', 'secauth:family:f2'), '1',
       "redis: others' families stay");
    is($cli->('HGET', 'secauth:user:alice', 'pwv'), '1',
       'redis: passwd moves the password version on');
    is($cli->('EXISTS', 'secauth:session:cc'), '1',
       "redis: others' sessions stay");

    ($rc, $out, $err) = run("another password\n", '--redis', $url, @cost,
                            'passwd', 'nobody');
    is($rc, 1, 'redis: passwd of a missing user refused');
    is($cli->('EXISTS', 'secauth:user:nobody'), '0',
       'redis: and not created');

    # other keys that look like users are not listed
    $cli->('HSET', 'secauth:user:Upper', 'password', 'x');
    $cli->('HSET', "secauth:user:bad\nname", 'password', 'x');
    $cli->('HSET', 'secauth:user_sessions:zed', 'x', 'y');
    ($rc, $out, $err) = run("$pw12\n", '--redis', $url, @cost, 'add',
                            "j\xc3\xa9r\xc3\xb4me");
    is($rc, 0, 'redis: add a non-ASCII name') or diag($err);
    ($rc, $out, $err) = run(undef, '--redis', $url, 'list');
    is($rc, 0, 'redis: list');
    is($out, "alice\nj\xc3\xa9r\xc3\xb4me\n",
       'redis: list shows the users, sorted');
    like($err, qr/2 keys .* ignored/, 'redis: and counts odd keys');

    # a prefix, a database, ACL credentials in the URL
    $cli->('ACL', 'SETUSER', 'admin', 'on', '>p@ss:w0rd', '~*', '+@all');
    my $auth = "redis://admin:p%40ss%3Aw0rd\@127.0.0.1:$port/2";
    ($rc, $out, $err) = run("$pw12\n", '--redis', $auth, '--prefix',
                            'app1:', @cost, 'add', 'bob');
    is($rc, 0, 'redis: add with user, password, db and prefix')
        or diag($err);
    unlike($err, qr/p\@ss/, 'redis: the Redis password is not printed');
    my $hb = $cli->('-n', 2, 'HGET', 'app1:user:bob', 'password');
    ok(verifies($hb, $pw12), 'redis: app1:user:bob in db 2 verifies');
    is($cli->('EXISTS', 'secauth:user:bob'), '0',
       'redis: not under the default prefix');
    ($rc, $out) = run(undef, '--redis', $auth, '--prefix', 'app1:',
                      'list');
    is($out, "bob\n", 'redis: list with the prefix');

    ($rc, $out, $err) = run(undef, '--redis',
                            "redis://admin:wrong\@127.0.0.1:$port/2",
                            'list');
    is($rc, 1, 'redis: a wrong Redis password fails');

    ($rc, $out, $err) = run(undef, '--redis', "unix:$sock?db=2",
                            '--prefix', 'app1:', 'delete', 'bob');
    is($rc, 0, 'redis: delete over the unix socket') or diag($err);
    is($cli->('-n', 2, 'EXISTS', 'app1:user:bob'), '0',
       'redis: the key is gone');
    ($rc, $out, $err) = run(undef, '--redis', "unix:$sock?db=2",
                            '--prefix', 'app1:', 'delete', 'bob');
    is($rc, 1, 'redis: delete of a missing user refused');

    ($rc, $out, $err) = run(undef, '--redis', $url, 'delete', 'alice');
    is($rc, 0, 'redis: delete');
    ($rc, $out) = run(undef, '--redis', $url, 'list');
    is($out, "j\xc3\xa9r\xc3\xb4me\n", 'redis: alice is gone');

    $cli->('SET', 'secauth:user:str', 'x');
    ($rc, $out, $err) = run("$pw12\n", '--redis', $url, @cost, 'passwd',
                            'str');
    is($rc, 1, 'redis: a Redis error is an error');
    like($err, qr/WRONGTYPE/, 'redis: with its message');

    kill 'TERM', $redis;
    waitpid $redis, 0;

    ($rc, $out, $err) = run(undef, '--redis', $url, 'list');
    is($rc, 1, 'redis: no server, exit 1');
    like($err, qr/redis: .*(?:connect|refused)/i, 'redis: says why');
}

# ---- the password policy (docs/passwords.md) ----

{
    my $pusers = "$dir/policy-users";
    spew($pusers, '');
    my $bl = "$dir/blocklist";
    spew($bl, "Correct Horse Battery Staple\nzebra crossing lantern\n");
    my @c = ('--t', 1, '--m', '8m');

    my ($rc, $out, $err) = run("password1234\n", '--file', $pusers, @c,
                               'add', 'pat');
    is($rc, 1, 'policy: a weak password refused');
    like($err, qr/refuses this password \(too_weak\): The password is too easy to guess/,
         'policy: with its code and sentence');
    unlike($err, qr/password1234/, 'policy: the password is not printed');

    ($rc, $out, $err) = run("pat-the-great-gatsby\n", '--file', $pusers,
                            @c, 'add', 'Pat');
    is($rc, 1, 'policy: the user name in the password refused');
    like($err, qr/\(contains_username\)/, 'policy: contains_username');

    ($rc, $out, $err) = run("correct horse BATTERY staple\n", '--file',
                            $pusers, @c, '--blocklist', $bl, 'add', 'pat');
    is($rc, 1, 'policy: a blocklisted password refused, any case');
    like($err, qr/\(blocklisted\)/, 'policy: blocklisted');

    ($rc, $out, $err) = run("password\n", '--file', $pusers, @c,
                            '--min', 8, 'add', 'pat');
    like($err, qr/\(too_weak\)/, 'policy: --min 8 lets 8 through the length');

    ($rc, $out, $err) = run("pat password 12\n", '--file', $pusers, @c,
                            '--max', 12, 'add', 'pat');
    is($rc, 1, 'policy: --max 12 refuses 15');
    like($err, qr/too_long/, 'policy: too_long');

    ($rc, $out, $err) = run("pat password 12\n", '--file', $pusers, @c,
                            '--max', 12, '--force', 'add', 'pat');
    is($rc, 1, 'policy: --force never lets a too long password through');

    is(slurp($pusers), '', 'policy: nothing written by refusals');

    ($rc, $out, $err) = run("password1234\n", '--file', $pusers, @c,
                            '--force', 'add', 'pat');
    is($rc, 0, 'policy: --force sets a weak password') or diag($err);
    like($err, qr/\(too_weak\).*; set anyway \(--force\)/,
         'policy: and says what it overrode');
    ok(verifies(hash_of($pusers, 'pat'), 'password1234'),
       'policy: the forced password verifies');

    # NFKC: typed with the fi ligature and full-width letters, hashed as
    # the module compares it (t/login-nfkc.t logs in with it)
    my $typed = "\xef\xac\x81nance \xef\xbd\x86ile caf\xc3\xa9 yak";
    ($rc, $out, $err) = run("$typed\n", '--file', $pusers, @c, 'add',
                            'quinn');
    is($rc, 0, 'policy: a non-ASCII password accepted') or diag($err);
    ok(verifies(hash_of($pusers, 'quinn'), "finance file caf\xc3\xa9 yak"),
       'policy: its NFKC form is what is hashed');
    ok(!verifies(hash_of($pusers, 'quinn'), $typed),
       'policy: not the bytes as typed');

    for my $bad (['--strength', 5], ['--min', 20, '--max', 10],
                 ['--max', 129], ['--min', 0],
                 ['--blocklist', "$dir/no-such-list"])
    {
        ($rc, $out, $err) = run("password1234\n", '--file', $pusers, @c,
                                @$bad, 'add', 'rita');
        is($rc, 2, "policy: usage error for [@$bad]") or diag($err);
    }

    local $ENV{SECAUTH_POLICY} = "$dir/no-such-tool";
    ($rc, $out, $err) = run("a strong enough passphrase\n", '--file',
                            $pusers, @c, 'add', 'rita');
    is($rc, 1, 'policy: no policy tool, no password set');
    like($err, qr/cannot run/, 'policy: says why');
}

done_testing();
