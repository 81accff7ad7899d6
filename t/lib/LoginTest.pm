package LoginTest;

# Users and helpers for the login suites (t/login.t, t/login-config.t,
# t/e2e/*.t).
#
# At load time a private directory is filled with user files whose hashes
# are made by the tools an operator would use: the argon2 CLI (Debian
# argon2), mkpasswd (Debian whois: bcrypt, yescrypt, SHA-crypt) and
# `openssl passwd` (MD5 crypt, apr1). It is exported as
# $TEST_NGINX_LOGIN_DIR, so that configurations can say
# "secauth_users file=$TEST_NGINX_LOGIN_DIR/users;".
#
# Called from "--- ... eval" and "--- init" sections, which run in other
# packages: use the full names (LoginTest::form(...), $LoginTest::PW{...}).

use strict;
use warnings;

use Digest::SHA qw(sha1 sha256_hex);
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);
use Time::HiRes qw(time);

our @EXPORT_OK = qw(
    argon2id argon2i mkpasswd openssl_passwd form_urlencode form json_body
    write_users raw_request split_response strip_date
);

# the cheap parameters of the suites: the same as the configurations'
# "secauth_password_hash argon2id t=1 m=8m p=1" (no rehash on login)
our $CHEAP = 'argon2id t=1 m=8m p=1';

our %PW = (
    alice => 'correct horse battery staple',
    bob   => 'bcrypt: Tr0ub4dor&3 but longer',
    carol => 'yescrypt passphrase, 1 2 3',
    dave  => 'sha-512 crypt passphrase',
    erin  => 'argon2i passphrase',
    frank => 'bcrypt 2y passphrase',
    grace => 'Grace Hopper was here',
);

our $DIR = tempdir('secauth-login-XXXXXX', TMPDIR => 1, CLEANUP => 1);
$ENV{TEST_NGINX_LOGIN_DIR} = $DIR;

# the Redis key prefix of this run: users written by one run are never
# seen by another
our $PREFIX = "secauth-login-test-$$-" . time . ':';
$PREFIX =~ s/\./-/g;
$ENV{TEST_NGINX_LOGIN_PREFIX} = $PREFIX;

sub fail_loudly {
    my ($msg) = @_;
    warn "LoginTest: $msg\n";
    die "LoginTest: $msg\n";
}

sub have {
    my ($tool) = @_;
    return scalar grep { -x "$_/$tool" } split /:/, $ENV{PATH} // '';
}

# run(STDIN, CMD...): the command's output, chomped; dies on failure
sub run {
    my ($in, @cmd) = @_;

    have($cmd[0])
        or fail_loudly("$cmd[0] is needed"
                       . ($cmd[0] eq 'mkpasswd'
                          ? ' (Debian package whois)' : ''));

    my $tmp = "$DIR/stdin.$$";
    open my $fh, '>', $tmp or fail_loudly("$tmp: $!");
    print {$fh} $in // '';
    close $fh;

    my $cmd = join(' ', map { quotemeta } @cmd) . " < $tmp 2>&1";
    my $out = `$cmd`;
    my $status = $?;
    unlink $tmp;
    fail_loudly("@cmd: status $status: $out") if $status != 0;
    chomp $out;
    return $out;
}

sub salt {
    open my $fh, '<:raw', '/dev/urandom' or fail_loudly("urandom: $!");
    read($fh, my $bytes, 12) == 12 or fail_loudly('urandom: short read');
    close $fh;
    return unpack 'H*', $bytes;
}

# argon2id(PASSWORD, T, M_LOG2_KIB, P): "$argon2id$v=19$m=..."
sub argon2id {
    my ($pw, $t, $mlog, $p) = @_;
    return run($pw, 'argon2', salt(), '-id', '-t', $t // 1,
               '-m', $mlog // 13, '-p', $p // 1, '-e');
}

sub argon2i {
    my ($pw, $t, $mlog, $p) = @_;
    return run($pw, 'argon2', salt(), '-i', '-t', $t // 1,
               '-m', $mlog // 13, '-p', $p // 1, '-e');
}

# mkpasswd(PASSWORD, METHOD [, ROUNDS]): bcrypt, yescrypt, sha512crypt...
sub mkpasswd {
    my ($pw, $method, $rounds) = @_;
    return run($pw, 'mkpasswd', '--stdin', '-m', $method,
               defined $rounds ? ('-R', $rounds) : ());
}

# openssl_passwd(PASSWORD, '-1' | '-apr1' | '-5' | '-6')
sub openssl_passwd {
    my ($pw, $kind) = @_;
    return run($pw, 'openssl', 'passwd', $kind, '-stdin');
}

sub ldap_sha  { '{SHA}' . encode_base64(sha1($_[0]), '') }

sub ldap_ssha {
    my $salt = pack 'H*', salt();
    return '{SSHA}' . encode_base64(sha1($_[0] . $salt) . $salt, '');
}

# write_users(NAME, TEXT): $DIR/NAME
sub write_users {
    my ($name, $text) = @_;
    open my $fh, '>', "$DIR/$name" or fail_loudly("$DIR/$name: $!");
    print {$fh} $text;
    close $fh or fail_loudly("$DIR/$name: $!");
    return "$DIR/$name";
}

# the users of the suites, one of each accepted kind; grace is written
# with upper case and found folded
our %HASH = (
    alice => argon2id($PW{alice}),
    bob   => mkpasswd($PW{bob}, 'bcrypt', 10),
    carol => mkpasswd($PW{carol}, 'yescrypt'),
    dave  => mkpasswd($PW{dave}, 'sha512crypt'),
    erin  => argon2i($PW{erin}),
    grace => argon2id($PW{grace}),
);
($HASH{frank} = mkpasswd($PW{frank}, 'bcrypt', 10)) =~ s/^\$2b\$/\$2y\$/;

$HASH{bob} =~ /^\$2b\$10\$/ or fail_loudly("not bcrypt: $HASH{bob}");
$HASH{carol} =~ /^\$y\$/ or fail_loudly("not yescrypt: $HASH{carol}");
$HASH{dave} =~ /^\$6\$/ or fail_loudly("not sha512crypt: $HASH{dave}");

write_users('users', join '',
    "# the login suites' users\n",
    "\n",
    map({ ($_ eq 'grace' ? 'Grace' : $_) . ":$HASH{$_}\n" }
        sort keys %HASH),
);

# --- session ids ---

sub new_sid {
    open my $fh, '<:raw', '/dev/urandom' or fail_loudly("urandom: $!");
    read($fh, my $bytes, 32) == 32 or fail_loudly('urandom: short read');
    close $fh;
    (my $sid = encode_base64($bytes, '')) =~ tr{+/=}{-_}d;
    return $sid;
}

# ids the blocks of t/login.t write into Redis in their "--- init" (eval
# sections are evaluated before any block runs: the ids must exist now)
our $FIX = new_sid();
our $OUT1 = new_sid();
our $OUT2 = new_sid();
our @EVERY = map { new_sid() } 1 .. 4;

# redis_session(REDIS_SUB, SID, USER): a live session record in the
# documented format (docs/sessions.md), indexed under the user like the
# store does, so that "log out everywhere" finds it
sub redis_session {
    my ($redis, $sid, $user) = @_;
    my $now = time;
    my $hex = sha256_hex($sid);
    $redis->('SET', "${PREFIX}session:$hex",
             sprintf('{"user":"%s","created":%d,"last_seen":%d,"level":1}',
                     $user, $now - 60, $now - 10),
             'EX', 600);
    $redis->('SADD', "${PREFIX}user_sessions:$user", $hex);
    $redis->('EXPIRE', "${PREFIX}user_sessions:$user", 600);
}

# --- open redirects (docs/security.md "Web", ASVS 3.7.2) ---

# next values (as the server must see them after form decoding) that must
# all fall back to "/"
our @REDIRECT_BAD = (
    '//evil.example',
    '/\\evil.example',
    '/%2f%2fevil.example',
    '/%2F%2Fevil.example',
    '/%5cevil.example',
    '/%5Cevil.example',
    '/%252f%252fevil.example',
    'https:evil.example',
    'https://evil.example/',
    'http://evil.example/',
    'javascript:alert(1)',
    "/\t/evil.example",
    '/%09/evil.example',
    "/\r\nSet-Cookie: x=y",
    '/%0d%0aSet-Cookie:x=y',
    '%2F%2Fevil',
    '%2fevil.example',
    '///evil.example',
    '\\/evil.example',
    ' /evil.example',
    'evil.example',
    '',
);

# the same ideas sent raw in a query string (GET /login?next=...)
our @REDIRECT_BAD_RAW = (
    '//evil.example',
    '/\\evil.example',
    '/%2f%2fevil.example',
    '/%5cevil.example',
    '/%252f%252fevil.example',
    'https:evil.example',
    'http://evil.example/',
    'javascript:alert(1)',
    '/%09/evil.example',
    '/%0d%0aSet-Cookie:x=y',
    '%2F%2Fevil',
    '///evil.example',
);

# same-origin paths that are kept as they are
our @REDIRECT_GOOD = (
    '/x?y=1',
    '/',
    '/deep/path/file.html?a=1&b=%2F#frag',
    '/@evil.example',
    '/%41bc',
);

# --- request bodies ---

# characters above 0x7f are sent as UTF-8
sub form_urlencode {
    my ($s) = @_;
    utf8::upgrade($s);
    utf8::encode($s);
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

# form(NAME => VALUE, ...): a x-www-form-urlencoded body, in that order
sub form {
    my @pairs = @_;
    my @out;
    while (my ($k, $v) = splice @pairs, 0, 2) {
        push @out, form_urlencode($k) . '=' . form_urlencode($v);
    }
    return join '&', @out;
}

sub json_body {
    my (%fields) = @_;
    require JSON::PP;
    return JSON::PP->new->canonical->ascii->encode(\%fields);
}

# --- raw HTTP, for comparing whole responses ---

# raw_request(PORT, TEXT [, TIMEOUT]): sends TEXT as it is, returns the
# whole answer (the connection is closed by the server) and the seconds
# it took
sub raw_request {
    my ($port, $text, $timeout) = @_;

    my $start = time;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 5)
        or fail_loudly("connect to 127.0.0.1:$port: $!");
    $sock->autoflush(1);
    print {$sock} $text;

    my $sel = IO::Select->new($sock);
    my $deadline = time + ($timeout // 10);
    my $data = '';
    while ((my $left = $deadline - time) > 0) {
        last unless $sel->can_read($left);
        my $n = sysread $sock, $data, 65536, length $data;
        last unless $n;
    }
    close $sock;

    return wantarray ? ($data, time - $start) : $data;
}

# post(PORT, PATH, CONTENT_TYPE, BODY, EXTRA_HEADER_LINES...)
sub post_text {
    my ($path, $type, $body, @extra) = @_;
    return join '', "POST $path HTTP/1.1\r\n", "Host: localhost\r\n",
        "Connection: close\r\n",
        (defined $type ? "Content-Type: $type\r\n" : ''),
        'Content-Length: ' . length($body) . "\r\n",
        map({ "$_\r\n" } @extra), "\r\n", $body;
}

sub post {
    my ($port, @args) = @_;
    return raw_request($port, post_text(@args));
}

# (status, raw head, body)
sub split_response {
    my ($raw) = @_;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3})};
    return ($status // 0, $head // '', $body);
}

# the answer without its Date header (the only line allowed to differ)
sub strip_date {
    my ($raw) = @_;
    $raw =~ s/\r\nDate: [^\r\n]*//i;
    return $raw;
}

1;
