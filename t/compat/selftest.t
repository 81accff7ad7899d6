# Self-test of the compat Test::Nginx (t/compat/lib): runs the sample
# suites in t/compat/samples against plain nginx and checks that the
# passing ones pass and that each deliberately wrong one fails, for the
# intended reason only.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use File::Spec ();
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

my $dir = dirname(abs_path(__FILE__));
my $lib = "$dir/lib";
my $samples = "$dir/samples";
my $servroot = "$dir/servroot-selftest";

# Every sample run gets its own nginx port (base + 2 * n), TCP backend
# port (the next one) and server root, so that they can run in parallel.
my $base_port = $ENV{TEST_COMPAT_SELFTEST_PORT} || 19900;

sub find_nginx {
    return $ENV{TEST_NGINX_BINARY} if $ENV{TEST_NGINX_BINARY};

    for my $d (File::Spec->path, '/usr/sbin') {
        my $bin = File::Spec->catfile($d, 'nginx');
        return $bin if -f $bin && -x $bin;
    }

    return undef;
}

my $nginx = find_nginx();
plan skip_all => 'nginx not found' unless $nginx;
plan skip_all => 'HTTP::Response (libwww-perl) not installed'
    unless eval { require HTTP::Response; 1 };
plan skip_all => 'Test::Base (libtest-base-perl) not installed'
    unless eval { require Test::Base; 1 };

# Starts a sample with the compat library, its output going to a file;
# returns the description of the run.
sub start_sample {
    my ($n, $sample, $extra_env) = @_;

    my $run = {
        sample => $sample,
        root => "$servroot/$n",
        out => "$servroot/$n.out",
    };

    my $pid = fork;
    die "fork failed: $!" unless defined $pid;

    if ($pid == 0) {
        delete @ENV{grep { /^TEST_NGINX_/ } keys %ENV};
        %ENV = (
            %ENV,
            TEST_NGINX_BINARY => $nginx,
            TEST_NGINX_PORT => $base_port + 2 * $n,
            TEST_NGINX_SELFTEST_TCP_PORT => $base_port + 2 * $n + 1,
            TEST_NGINX_SERVROOT => $run->{root},
            %$extra_env,
        );
        open STDOUT, '>', $run->{out} or die "$run->{out}: $!";
        open STDERR, '>&', \*STDOUT or die $!;
        exec($^X, "-I$lib", "$samples/$sample") or die "exec: $!";
    }

    $run->{pid} = $pid;

    return $run;
}

sub nginx_left_running {
    my ($root) = @_;

    open my $in, '<', "$root/logs/nginx.pid" or return 0;
    chomp(my $pid = <$in> // '');
    close $in;

    return 0 unless $pid =~ /^\d+$/ && kill 0, $pid;

    # a zombie nobody reaped yet does not count
    open $in, '<', "/proc/$pid/stat" or return 1;
    my $stat = <$in> // '';
    close $in;

    return $stat !~ /^\d+ \(.*\) Z/s;
}

# Waits for a sample run; kills it when it hangs past the deadline.
sub wait_sample {
    my ($run, $deadline) = @_;

    while (time < $deadline) {
        return $? >> 8 if waitpid($run->{pid}, WNOHANG) == $run->{pid};
        sleep 0.05;
    }

    kill 'KILL', $run->{pid};
    waitpid $run->{pid}, 0;
    diag("$run->{sample}: killed after hanging");

    return -1;
}

# [sample, expected "not ok" count, output patterns, extra env]
my @cases = (
    ['pass-basic.tn', 0,
     [qr/^1\.\.53$/m,
      qr/^ok \d+ # skip .*skipped block - skip_eval$/m]],
    ['pass-repeat.tn', 0, [qr/^1\.\.11$/m]],
    ['pass-misc.tn', 0, [qr/^ok \d+ - server_port\(\)$/m]],
    ['load-module.tn', 0, [qr/^ok 2 /m]],

    ['fail-status.tn', 1,
     [qr/^not ok 1 - .*wrong status - status code ok$/m,
      qr/got: '403'/]],
    ['fail-body.tn', 1,
     [qr/^not ok 2 - .*wrong body - response_body - response is expected/m]],
    ['fail-header.tn', 1,
     [qr/^not ok 2 - .*wrong header value - header X-Foo ok$/m]],
    ['fail-header-present.tn', 1,
     [qr/^not ok 2 - .*header X-Foo not present in the raw headers$/m]],
    ['fail-error-log.tn', 1,
     [qr/^not ok 2 - .*pattern "this line is never logged" should match a /m]],
    ['fail-no-error-log.tn', 1,
     [qr/^not ok 2 - .*pattern "\[error\]" should not match any line /m]],
    ['fail-unknown-section.tn', 0,
     [qr/unknown or unsupported section\(s\): --- foo_bar/]],
    ['fail-bad-config.tn', 1,
     [qr/^not ok 1 - .*Cannot start nginx/m,
      qr/unknown directive "no_such_directive"/]],
    ['fail-must-die.tn', 1,
     [qr/^not ok 1 - .*die as expected$/m]],
    ['fail-timeout.tn', 3,
     [qr/^not ok 1 - ERROR: client socket timed out/m]],
    ['fail-tcp-query.tn', 1,
     [qr/^not ok 3 - .*wrong tcp_query - tcp_query ok$/m]],
    ['fail-array.tn', 1,
     [qr/^ok 1 - .* status code ok$/m,
      qr/^not ok 2 - .* status code ok$/m]],
    ['fail-missing-env.tn', 0,
     [qr/^Bail out!.*No environment TEST_NGINX_SELFTEST_UNDEFINED/m]],
    ['load-module.tn', 1,
     [qr/^not ok 1 - .*Cannot start nginx/m,
      qr{"/nonexistent/ngx_selftest_module\.so"}],
     {TEST_NGINX_LOAD_MODULES => '/nonexistent/ngx_selftest_module.so'}],
);


remove_tree($servroot);
mkdir $servroot or die "mkdir $servroot: $!";

my $n = 0;
my @runs = map {
    my ($sample, $nfail, $patterns, $env) = @$_;
    my $run = start_sample($n++, $sample, $env || {});
    @$run{qw(nfail patterns env)} = ($nfail, $patterns, $env);
    $run;
} @cases;

my $deadline = time + 120;

for my $run (@runs) {
    my $rc = wait_sample($run, $deadline);

    open my $in, '<', $run->{out} or die "$run->{out}: $!";
    my $output = do { local $/; <$in> } // '';
    close $in;

    my ($sample, $env) = @$run{qw(sample env)};
    my $what = $sample . ($env ? ' (' . join(' ', %$env) . ')' : '');

    my $ok = 1;
    if ($sample =~ /^fail-/ || $env) {
        $ok = isnt($rc, 0, "$what fails") && $ok;
    } else {
        $ok = is($rc, 0, "$what passes") && $ok;
    }

    my @not_ok = $output =~ /^not ok /mg;
    $ok = is(scalar @not_ok, $run->{nfail},
             "$what: $run->{nfail} failed subtest(s)") && $ok;

    for my $pat (@{ $run->{patterns} }) {
        $ok = like($output, $pat, "$what: output matches $pat") && $ok;
    }

    $ok = ok(!nginx_left_running($run->{root}),
             "$what: nginx stopped at exit") && $ok;

    diag($output) unless $ok;
}

remove_tree($servroot) unless $ENV{TEST_NGINX_NO_CLEAN};

done_testing();
