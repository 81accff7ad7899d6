package Test::Nginx::Util;

# Minimal re-implementation of Test::Nginx::Util (openresty/test-nginx)
# for systems where the CPAN distribution is not installed.  It follows
# the semantics of the real module; see t/compat/README.md for the
# (few) known differences.

use strict;
use warnings;

our $VERSION = '0.29_compat';

use base 'Exporter';

use Carp qw(croak);
use Config ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use File::Temp qw(tempfile);
use IO::Socket::INET;
use IO::Socket::UNIX;
use List::Util qw(shuffle);
use POSIX qw(SIGQUIT SIGKILL WNOHANG);
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(sleep time);

sub gen_rand_port (;$$);
sub bail_out (@);
sub cleanup ();
sub timeout (@);
sub run_test ($);

# Testing modes of the real module which this implementation does not
# provide.  Refuse them loudly instead of silently testing less.
for my $mode (qw(USE_HUP USE_VALGRIND USE_STAP USE_RR
                 BENCHMARK USE_HTTP2 USE_HTTP3 NO_NGINX_MANAGER
                 IGNORE_MISSING_DIRECTIVES))
{
    my $env = "TEST_NGINX_$mode";
    if ($ENV{$env}) {
        die "$env is not supported by the compat Test::Nginx "
            . "(t/compat/lib)\n";
    }
}

our $Verbose = $ENV{TEST_NGINX_VERBOSE};
our $NoLongString;
our $RepeatEach = 1;
our $NoShuffle = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $CheckLeak = $ENV{TEST_NGINX_CHECK_LEAK} || 0;
our $LoadModules = $ENV{TEST_NGINX_LOAD_MODULES};
our $Timeout = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $EventType = $ENV{TEST_NGINX_EVENT_TYPE};
our $ReusePort = $ENV{TEST_NGINX_REUSE_PORT};
our $Randomize = $ENV{TEST_NGINX_RANDOMIZE};
our $ServerAddr = '127.0.0.1';
our $ServerName = 'localhost';

our $WorkerUser = $ENV{TEST_NGINX_WORKER_USER};
if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

our $NginxBinary = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers = 1;
our $WorkerConnections = 64;
our $LogLevel = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled = 'on';
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort
                           || 1984;
our $NoRootLocation = 0;
our $TestNginxSleep = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;

# Compat only (the real module has no such setting): seconds to wait
# before each block, after all blocks were parsed and filtered, to run a
# suite as slowly as a slow runner would and catch tests that depend on
# how long the runner takes between parsing and running a block.
our $SleepBetweenBlocks = $ENV{TEST_COMPAT_SLEEP_BETWEEN_BLOCKS} || 0;
if (!looks_like_number($SleepBetweenBlocks) || $SleepBetweenBlocks < 0) {
    die "Bad value in the env TEST_COMPAT_SLEEP_BETWEEN_BLOCKS: "
        . "$SleepBetweenBlocks\n";
}

our $ConfigPreamble = '';
our $FilterHttpConfig;
our @EnvToNginx;
our @CleanupHandlers;
our @BlockPreprocessors;
our $InFilters;

# Hooks installed by Test::Nginx::Socket.
our $RunTestHelper;
our $CheckErrorLog;

our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our ($PrevConfig, $PrevBlock);
our $ErrLogFilePos = 0;
our ($TcpServerPid, $ChildPid);

# Lines nginx printed on stderr when it was last started (must_die).
our @NginxStderr;

srand $$;

if ($Randomize) {
    $ServerPort = gen_rand_port(1000);
    if (!defined $ServerPort) {
        die "Cannot find an available listening port number.\n";
    }
    $ServerPortForClient = $ServerPort;
}

our $ServRoot;
if ($Randomize) {
    $ServRoot = File::Spec->rel2abs("t/servroot_$ServerPort");
} else {
    $ServRoot = File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT}
                                    || 't/servroot');
}
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir = File::Spec->catfile($ServRoot, 'html');
our $ConfDir = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile = File::Spec->catfile($LogDir, 'nginx.pid');
our $StderrFile = File::Spec->catfile($LogDir, 'nginx.stderr');

our @EXPORT = qw(
    env_to_nginx
    is_str
    check_accum_error_log
    is_running
    $NoLongString
    no_long_string
    $ServerAddr
    server_addr
    $ServerName
    server_name
    parse_time
    verbose
    sleep_time
    bail_out
    add_cleanup_handler
    access_log_data
    error_log_data
    setup_server_root
    write_config_file
    get_canon_version
    get_nginx_version
    trim
    show_all_chars
    parse_headers
    run_tests
    run_test
    get_pid_from_pidfile
    $ServerPortForClient
    $ServerPort
    $NginxVersion
    $PidFile
    $CheckLeak
    $ServRoot
    $ConfFile
    $RunTestHelper
    $CheckErrorLog
    $FilterHttpConfig
    $RepeatEach
    add_block_preprocessor
    timeout
    worker_connections
    workers
    master_on
    master_off
    config_preamble
    repeat_each
    master_process_enabled
    log_level
    no_shuffle
    no_root_location
    html_dir
    server_root
    server_port
    server_port_for_client
    no_nginx_manager
    use_hup
);

# Sections this implementation understands.  Any other section in a
# test block is an error (see check_block_sections).
our %KnownSections = map { $_ => 1 } qw(
    ONLY LAST SKIP
    config http_config main_config post_main_config server_name
    user_files init log_level error_log_file must_die timeout
    request request_eval raw_request pipelined_requests more_headers
    raw_request_middle_delay shutdown abort ignore_response http09
    server_addr_for_client wait
    error_code error_code_like
    response_body response_body_eval response_body_like
    response_body_unlike response_body_filters charset
    response_headers response_headers_like
    raw_response_headers_like raw_response_headers_unlike
    error_log no_error_log grep_error_log grep_error_log_out
    access_log no_access_log
    tcp_listen tcp_reply tcp_query tcp_query_len tcp_reply_delay
    tcp_no_close tcp_shutdown tcp_shutdown_delay
    skip_nginx skip_nginx2 skip_eval skip_openssl todo_nginx todo
    no_check_leak
);

# Keys of a Test::Base::Block object which are not sections.
my %BlockInternals = map { $_ => 1 } qw(
    name description seq_num is_filtered blocks_object original_values
    _section_map _section_order
);

sub is_running ($) {
    my $pid = shift;

    return 0 unless $pid && kill 0, $pid;

    # A zombie is not running: a daemonized nginx may never be reaped.
    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in>;
        close $in;
        return 0 if defined $stat && $stat =~ /^\d+ \(.*\) Z/s;
    }

    return 1;
}

sub gen_rand_port (;$$) {
    my ($tries, $used_ports) = @_;

    $tries //= 1000;
    $used_ports //= {};

    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used_ports->{$port};

        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto => 'tcp',
            Timeout => 0.1,
        );

        if (defined $sock) {
            $sock->close;
            return $port;
        }
    }

    return undef;
}

sub no_long_string () {
    $NoLongString = 1;
}

my $HaveLongString = eval { require Test::LongString; 1 };

sub is_str (@) {
    my ($got, $expected, $desc) = @_;

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }

    if ($NoLongString || !$HaveLongString) {
        return Test::More::is($got, $expected, $desc);
    }

    return Test::LongString::is_string($got, $expected, $desc);
}

sub server_addr (@) {
    if (@_) {
        $ServerAddr = shift;
    } else {
        return $ServerAddr;
    }
}

sub server_name (@) {
    if (@_) {
        $ServerName = shift;
    } else {
        return $ServerName;
    }
}

sub timeout (@) {
    if (@_) {
        $Timeout = shift;
    } else {
        return $Timeout;
    }
}

sub no_shuffle () {
    $NoShuffle = 1;
}

sub no_nginx_manager () {
    croak "no_nginx_manager() is not supported by the compat Test::Nginx";
}

sub use_hup () {
    croak "use_hup() is not supported by the compat Test::Nginx";
}

sub env_to_nginx (@) {
    if (!@_) {
        croak "env_to_nginx: no arguments specified";
    }

    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            croak "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

sub sleep_time {
    return $TestNginxSleep;
}

sub verbose {
    return $Verbose;
}

sub server_port (@) {
    if (@_) {
        $ServerPort = shift;
    } else {
        return $ServerPort;
    }
}

sub server_port_for_client (@) {
    if (@_) {
        $ServerPortForClient = shift;
    } else {
        return $ServerPortForClient;
    }
}

sub repeat_each (@) {
    if (@_) {
        $RepeatEach = shift;
    }

    return $RepeatEach;
}

sub worker_connections (@) {
    if (@_) {
        $WorkerConnections = shift;
    } else {
        return $WorkerConnections;
    }
}

sub no_root_location () {
    $NoRootLocation = 1;
}

sub workers (@) {
    if (@_) {
        $Workers = shift;
    } else {
        return $Workers;
    }
}

sub log_level (@) {
    if (@_) {
        $LogLevel = shift;
    } else {
        return $LogLevel;
    }
}

sub check_accum_error_log () {
    $CheckAccumErrLog = 1;
}

sub master_on () {
    $MasterProcessEnabled = 'on';
}

sub master_off () {
    $MasterProcessEnabled = 'off';
}

sub master_process_enabled (@) {
    if (@_) {
        $MasterProcessEnabled = shift() ? 'on' : 'off';
    } else {
        return $MasterProcessEnabled;
    }
}

sub config_preamble ($) {
    $ConfigPreamble = shift;
}

sub add_block_preprocessor (&) {
    unshift @BlockPreprocessors, shift;
}

sub add_cleanup_handler ($) {
    unshift @CleanupHandlers, shift;
}

sub html_dir () {
    return $HtmlDir;
}

sub server_root () {
    return $ServRoot;
}

sub parse_time ($) {
    my $tm = shift;

    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm = $tm / 1000;
        } else {
            $tm =~ s/([^_a-zA-Z])s$/$1/;
        }
    }

    return $tm;
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(@_);
}

sub kill_process ($$) {
    my ($pid, $name) = @_;

    return unless defined $pid;

    kill SIGQUIT, $pid;

    my $deadline = time + timeout();
    while (time < $deadline) {
        waitpid $pid, WNOHANG;
        return unless is_running($pid);
        sleep 0.01;
    }

    warn "$name - timeout when waiting for the process $pid to exit; "
         . "killing it with force\n";

    kill SIGKILL, $pid;

    $deadline = time + 1;
    while (time < $deadline) {
        waitpid $pid, WNOHANG;
        return unless is_running($pid);
        sleep 0.01;
    }

    warn "$name - WARNING: process $pid survived SIGKILL\n";
}

sub cleanup () {
    for my $hdl (@CleanupHandlers) {
        $hdl->();
    }

    if (defined $TcpServerPid) {
        kill_process($TcpServerPid, 'cleanup');
        undef $TcpServerPid;
    }
}

sub read_log_lines ($) {
    my ($file) = @_;

    open my $in, '<', $file or return [];

    if (!$CheckAccumErrLog && $ErrLogFilePos > 0) {
        seek $in, $ErrLogFilePos, 0;
    }

    my @lines = <$in>;

    if (!$CheckAccumErrLog) {
        $ErrLogFilePos = tell $in;
    }

    close $in;

    return \@lines;
}

sub error_log_data () {
    # leave time for logging in the log phase (after the response)
    sleep $TestNginxSleep * 3;

    return read_log_lines($ErrLogFile);
}

sub access_log_data () {
    sleep $TestNginxSleep * 3;

    open my $in, '<', $AccLogFile or die "open $AccLogFile failed: $!";
    my @lines = <$in>;
    close $in;

    return \@lines;
}

sub setup_server_root () {
    if (-d $ServRoot) {
        # Only remove what we create ourselves: never wipe user data
        # when TEST_NGINX_SERVROOT is mis-used.
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $dir;
        make_path($dir) or bail_out("Failed to do mkdir $dir\n");
    }

    my $index_file = "$HtmlDir/index.html";
    open my $out, '>', $index_file
        or bail_out("Can't open $index_file for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}

sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;

    my $name = $block->name;
    my $files = $block->user_files;

    return unless $files;

    if (!ref $files) {
        my $raw = $files;
        open my $in, '<', \$raw;

        $files = [];
        my ($fname, $body, $date);
        while (<$in>) {
            if (/>>> (\S+)(?:\s+(.+))?/) {
                if ($fname) {
                    push @$files, [$fname, $body, $date];
                }
                $fname = $1;
                $date = $2;
                undef $body;
            } else {
                $body .= $_;
            }
        }

        if ($fname) {
            push @$files, [$fname, $body, $date];
        }

    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: " . ref($files)
                 . ", only scalar or ARRAY are accepted");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;

        $body //= '';

        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";

        if ($path =~ m{(.*)/}) {
            my $dir = $1;
            if (!-d $dir) {
                make_path($dir)
                    or bail_out("$name - Cannot create directory $dir");
            }
        }

        $body = expand_env_in_text($body, $name, $rand_ports);

        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;

        if ($date) {
            my $cmd = "TZ=GMT touch -t '$date' $HtmlDir/$fname";
            system($cmd) == 0
                or bail_out("Failed to run shell command: $cmd\n");
        }
    }
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;

    my $name = $block->name;
    my $http_config = $block->http_config;
    my $main_config = $block->main_config;
    my $post_main_config = $block->post_main_config;
    my $err_log_file = $block->error_log_file || $ErrLogFile;
    my $server_name = $block->server_name // $ServerName;

    $http_config = expand_env_in_text($http_config, $name, $rand_ports);

    $config //= '';
    $http_config //= '';
    $main_config //= '';
    $post_main_config //= '';

    if ($FilterHttpConfig) {
        $http_config = $FilterHttpConfig->($http_config);
    }

    # As in the real module: appended to the main_config section.
    if ($LoadModules) {
        my @modules = map { "load_module $_;" } grep { $_ }
                      split /\s+/, $LoadModules;
        if (@modules) {
            $main_config .= join ' ', @modules;
        }
    }

    $main_config = expand_env_in_text($main_config, $name, $rand_ports);
    $post_main_config = expand_env_in_text($post_main_config, $name,
                                           $rand_ports);

    my $env = '';
    for my $v (@EnvToNginx) {
        my $quoted = $v =~ /\s/ ? "'$v'" : $v;
        $env .= "env $quoted;\n";
    }

    my $listen_opts = $ReusePort ? ' reuseport' : '';

    my $root_location = '';
    if (!$NoRootLocation) {
        $root_location = <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_
    }

    my $use_event = $EventType ? "    use $EventType;\n" : '';

    my $user = '';
    if (defined $WorkerUser) {
        $user = "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $user = "user root;\n";
    }

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");

    print $out <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $LogLevel;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
env DYLD_INSERT_LIBRARIES;
env DYLD_FORCE_FLAT_NAMESPACE;
${env}#env LUA_PATH;
#env LUA_CPATH;

$main_config

http {
    access_log $AccLogFile;
    #access_log off;

    default_type text/plain;
    keepalive_timeout  68;

$http_config

    server {
        listen          $ServerPort$listen_opts;
        server_name     '$server_name';

        client_max_body_size 30M;
        #client_body_buffer_size 4k;


        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

#timer_resolution 100ms;

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
$use_event}
env ASAN_OPTIONS;
env MOCKNOEAGAIN_VERBOSE;
env MOCKNOEAGAIN;
$user
_EOC_

    close $out;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_canon_version_for_OpenSSL (@) {
    if (defined $_[3]) {
        return sprintf "%d.%03d%03d%03d", $_[0], $_[1], $_[2],
                       ord($_[3]) - ord('a');
    }

    return get_canon_version(@_);
}

sub find_nginx_binary () {
    my $found = can_run($NginxBinary);

    # Debian keeps nginx in /usr/sbin, which is not always in PATH.
    if (!$found && !$ENV{TEST_NGINX_BINARY}) {
        $found = can_run('/usr/sbin/nginx');
    }

    return $found;
}

sub get_nginx_version () {
    my $bin = find_nginx_binary();
    if (!$bin) {
        bail_out("Cannot find the nginx executable \"$NginxBinary\" "
                 . "(set TEST_NGINX_BINARY or PATH)");
    }
    $NginxBinary = $bin;

    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        $out //= '';
        bail_out("Failed to get the version of the Nginx in PATH: $out");
    }

    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)([a-z])?}s) {
        $OpenSSLVersion = get_canon_version_for_OpenSSL($1, $2, $3, $4);
    }

    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }

    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub get_pid_from_pidfile ($) {
    my ($name) = @_;

    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile "
                    . "for reading: $!");
    my $pid = do { local $/; <$in> };
    close $in;
    chomp $pid if defined $pid;

    return $pid;
}

sub trim ($) {
    my $s = shift;

    return undef if !defined $s;

    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;

    return $s;
}

sub show_all_chars ($) {
    my $s = shift;

    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;

    return $s;
}

sub parse_headers ($) {
    my $s = shift;

    my %headers;
    open my $in, '<', \$s;
    while (<$in>) {
        s/^\s+|\s+$//g;
        my $neg = s/^!\s*//;
        if ($neg) {
            $headers{$_} = undef;
        } else {
            my ($key, $val) = split /\s*:\s*/, $_, 2;
            $headers{$key} = $val;
        }
    }
    close $in;

    return \%headers;
}

sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;

    return undef if !defined $text;

    my $used_ports = {
        $ServerPort => 1,
        map { $_ => 1 } values %$rand_ports,
    };

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $value;

        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            if (!defined $rand_ports->{$var}) {
                my $port = gen_rand_port(1000, $used_ports);
                if (!defined $port) {
                    bail_out("$name - Cannot find an available listening "
                             . "port number for $var.\n");
                }
                $rand_ports->{$var} = $port;
                $used_ports->{$port} = 1;
            }
            $value = $rand_ports->{$var};

        } else {
            if (!defined $ENV{$var}) {
                bail_out("$name - No environment $var defined.\n");
            }
            $value = $ENV{$var};
        }

        $value;
    }ge;

    return $text;
}

sub can_run {
    my ($cmd) = @_;

    if ($cmd =~ m{[/\\]}) {
        return -f $cmd && -x $cmd ? $cmd : undef;
    }

    for my $dir ((split /\Q$Config::Config{path_sep}\E/, $ENV{PATH} // ''),
                 '.')
    {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x $abs;
    }

    return undef;
}

# Guards against a stale pid file naming a recycled pid.
sub is_nginx ($) {
    my ($pid) = @_;

    open my $in, '<', "/proc/$pid/cmdline" or return 1;    # no procfs
    my $cmdline = do { local $/; <$in> } // '';
    close $in;

    return $cmdline =~ /nginx/;
}

sub stop_nginx ($) {
    my ($name) = @_;

    return unless -f $PidFile;

    my $pid = get_pid_from_pidfile($name);

    if (defined $pid && $pid =~ /^\d+$/ && is_running($pid)
        && is_nginx($pid))
    {
        kill_process($pid, $name);
    }

    unlink $PidFile;
}

# Runs the nginx command line once; returns its wait status.  stdout
# goes to /dev/null as in the real module; stderr is kept in
# logs/nginx.stderr so that failures can be diagnosed.
sub exec_nginx () {
    my $pid = fork;
    if (!defined $pid) {
        bail_out("fork() failed: $!");
    }

    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $StderrFile;
        # -e as in the real module: start-up messages (nginx -t's
        # warnings, a must_die block's [emerg]) go to the error log
        exec($NginxBinary, '-e', $ErrLogFile, '-p', "$ServRoot/",
             '-c', $ConfFile)
            or print STDERR "cannot exec $NginxBinary: $!\n";
        POSIX::_exit(127);
    }

    waitpid $pid, 0;
    my $status = $?;

    @NginxStderr = ();
    if (open my $in, '<', $StderrFile) {
        @NginxStderr = <$in>;
        close $in;
    }

    return $status;
}

sub nginx_command () {
    return "$NginxBinary -e $ErrLogFile -p $ServRoot/ -c $ConfFile";
}

# Starts nginx; reports a failed test (with nginx's stderr) and returns
# false when it cannot be started.
sub start_nginx ($) {
    my ($name) = @_;

    my $status;
    my $deadline = time + 3;

    while (1) {
        $status = exec_nginx();
        last if $status == 0;

        # the port may still be held by a previous server: retry a bit
        last unless grep { /Address already in use/ } @NginxStderr;
        last if time > $deadline;
        sleep 0.1;
    }

    if ($status != 0) {
        my $cmd = nginx_command();
        my $err = join '', @NginxStderr;
        $err =~ s/^/    /mg;
        Test::More::fail("$name - Cannot start nginx using command "
                         . "\"$cmd\" (status code $status)");
        Test::More::diag("nginx stderr:\n$err");
        return 0;
    }

    sleep $TestNginxSleep;

    return 1;
}

sub run_must_die ($$) {
    my ($block, $must_die) = @_;

    my $name = $block->name;

    $ErrLogFilePos = 0;

    for my $i (0 .. $RepeatEach - 1) {
        my $status = exec_nginx();
        my $exit_code = $status >> 8;
        my $coredump = $status & 128;

        if ($status == -1) {
            Test::More::fail("$name - failed to execute the nginx "
                             . "command line");
        } elsif ($coredump) {
            Test::More::fail("$name - nginx core dumped");
        } elsif (looks_like_number($must_die)) {
            Test::More::is($must_die, $exit_code,
                           "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        $CheckErrorLog->($block, undef, $i, 0, [@NginxStderr]);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; "
                 . "killing it (req $i)\n";
            for (1 .. 15) {
                last if -f $PidFile;
                sleep $TestNginxSleep;
            }
            stop_nginx($name);
        }
    }
}

sub version_matches ($$$) {
    my ($version, $op, $wanted) = @_;

    return 0 unless defined $version;

    return $op eq '<'  ? $version <  $wanted
         : $op eq '<=' ? $version <= $wanted
         : $op eq '>'  ? $version >  $wanted
         :               $version >= $wanted;
}

my $VersionRe = qr/([<>]=?) \s* (\d+)\.(\d+)\.(\d+)/x;

# Evaluates the skip_* sections; returns ($tests_to_skip, $reason) when
# the block must be skipped.
sub skip_info ($) {
    my ($block) = @_;

    my $name = $block->name;

    if (defined(my $spec = $block->skip_eval)) {
        if ($spec =~ /^ \s* (\d+) \s* : \s* (.*)/xs) {
            my ($n, $code) = ($1, $2);
            my $skip = eval $code;
            if ($@) {
                bail_out("$name - skip_eval - failed to eval the Perl "
                         . "code \"$code\": $@");
            }
            return ($n, 'skip_eval') if $skip;
        }
    }

    if (defined(my $spec = $block->skip_nginx)) {
        if ($spec !~ /^ \s* (\d+) \s* : \s* $VersionRe
                      (?: \s* : \s* (.*) )? \s* $/x)
        {
            bail_out("$name - Invalid --- skip_nginx spec: $spec");
        }
        my ($n, $op, $reason) = ($1, $2, $6);
        my $ver = get_canon_version($3, $4, $5);
        $reason ||= "nginx version $op $3.$4.$5";
        if ((!defined $NginxVersion && $op =~ /^</)
            || version_matches($NginxVersion, $op, $ver))
        {
            return ($n, $reason);
        }

    } elsif (defined($spec = $block->skip_nginx2)) {
        if ($spec !~ /^ \s* (\d+) \s* : \s* $VersionRe \s* (or|and) \s*
                      $VersionRe (?: \s* : \s* (.*) )? \s* $/x)
        {
            bail_out("$name - Invalid --- skip_nginx2 spec: $spec");
        }
        my ($n, $opa, $opx, $opb, $reason) = ($1, $2, $6, $7, $11);
        my $vera = get_canon_version($3, $4, $5);
        my $verb = get_canon_version($8, $9, $10);
        my $match_a = version_matches($NginxVersion, $opa, $vera);
        my $match_b = version_matches($NginxVersion, $opb, $verb);
        if (!defined $NginxVersion
            || ($opx eq 'or' && ($match_a || $match_b))
            || ($opx eq 'and' && $match_a && $match_b))
        {
            return ($n, $reason || 'various reasons');
        }
    }

    if (defined(my $spec = $block->skip_openssl)) {
        if ($spec !~ /^ \s* (\d+) \s* : \s* ([<>]=?) \s*
                      (\d+)\.(\d+)\.(\d+)([a-z])? (?: \s* : \s* (.*) )?
                      \s* $/x)
        {
            bail_out("$name - Invalid --- skip_openssl spec: $spec");
        }
        my ($n, $op, $reason) = ($1, $2, $7);
        my $ver = get_canon_version_for_OpenSSL($3, $4, $5, $6);
        if (!$reason) {
            $reason = defined $OpenSSLVersion
                      ? "OpenSSL version $op $3.$4.$5" . ($6 // '')
                      : 'Not built with OpenSSL';
        }
        if (!defined $OpenSSLVersion
            || version_matches($OpenSSLVersion, $op, $ver))
        {
            return ($n, $reason);
        }
    }

    return;
}

# Returns ($tests_to_skip, $reason) when the block is a TODO.
sub todo_info ($) {
    my ($block) = @_;

    my $name = $block->name;
    my ($should_todo, $n, $reason);

    if (defined(my $spec = $block->todo_nginx)) {
        if ($spec !~ /^ \s* $VersionRe (?: \s* : \s* (.*) )? \s* $/x) {
            bail_out("$name - Invalid --- todo_nginx spec: $spec");
        }
        my ($op, $ver) = ($1, get_canon_version($2, $3, $4));
        $reason = $5;
        if ((!defined $NginxVersion && $op =~ /^</)
            || version_matches($NginxVersion, $op, $ver))
        {
            $should_todo = 1;
        }
    }

    if (defined(my $spec = $block->todo)) {
        if ($spec !~ /^ \s* (\d+) \s* : \s* (.*)/xs) {
            bail_out("$name - Invalid --- todo spec: $spec");
        }
        ($should_todo, $n, $reason) = (1, $1, $2);
    }

    return unless $should_todo;
    return ($n, $reason || 'various reasons');
}

sub start_tcp_server ($) {
    my ($block) = @_;

    my $name = $block->name;
    my $target = $block->tcp_listen;
    my $reply = $block->tcp_reply;

    if (!defined $reply && !defined $block->tcp_shutdown) {
        bail_out("$name - no --- tcp_reply specified but --- tcp_listen "
                 . "is specified");
    }

    my $req_len = $block->tcp_query_len;
    my $query_file;
    if (defined $block->tcp_query || defined $req_len) {
        $req_len //= length $block->tcp_query;
        (my $fh, $query_file) = tempfile('tcp-query-XXXXXX', TMPDIR => 1);
        close $fh;
    }

    my ($sock, $err);
    my $deadline = time + 3;
    while (1) {
        if ($target =~ /^\d+$/) {
            $sock = IO::Socket::INET->new(
                LocalHost => '127.0.0.1',
                LocalPort => $target,
                Proto => 'tcp',
                Reuse => 1,
                Listen => 5,
                Timeout => timeout(),
            );
        } elsif ($target =~ m{\S+\.sock$}) {
            if (-e $target) {
                unlink $target or die "cannot remove $target: $!";
            }
            $sock = IO::Socket::UNIX->new(
                Local => $target,
                Type => SOCK_STREAM,
                Listen => 5,
                Timeout => timeout(),
            );
        } else {
            bail_out("$name - bad tcp_listen target: $target");
        }

        last if $sock;

        $err = $!;
        last if $err !~ /address already in use/i || time > $deadline;
        sleep 0.1;
    }

    if (!$sock) {
        bail_out("$name - failed to create the tcp listening socket: $err");
    }

    my $pid = fork;
    if (!defined $pid) {
        bail_out("$name - fork() failed: $!");
    }

    if ($pid == 0) {
        run_tcp_server_child($block, $sock, $reply, $req_len, $query_file);
        POSIX::_exit(0);
    }

    $TcpServerPid = $pid;

    return ($sock, $query_file);
}

sub run_tcp_server_child ($$$$$) {
    my ($block, $sock, $reply, $req_len, $query_file) = @_;

    my $name = $block->name;

    local $SIG{PIPE} = 'IGNORE';

    my $client;
    until ($client = $sock->accept) {
        warn "WARNING: $name - TCP server: failed to accept: $!\n";
        sleep $TestNginxSleep;
    }

    my ($no_read, $no_write);
    if (defined(my $how = $block->tcp_shutdown)) {
        if (my $delay = $block->tcp_shutdown_delay) {
            sleep $delay;
        }
        $client->shutdown($how);
        if ($how == 0 || $how == 2) {
            $no_read = 1;
        } else {
            $no_write = 1;
        }
    }

    my $buf = '';
    unless ($no_read) {
        while (1) {
            my $data;
            my $ret = $client->recv($data, 4096);
            if (!defined $ret) {
                warn "$name - TCP server failed to receive: $!\n";
                last;
            }

            $buf .= $data;

            if ($query_file) {
                open my $out, '>', $query_file
                    or die "cannot open $query_file for writing: $!\n";
                print $out $buf;
                close $out;
            }

            last if !$req_len || length($buf) >= $req_len;
            last if $data eq '';    # the peer closed the connection
        }
    }

    if (my $delay = parse_time($block->tcp_reply_delay)) {
        sleep $delay;
    }

    if (!$no_write && defined $reply) {
        if (ref $reply && ref $reply eq 'CODE') {
            $reply = $reply->($buf);
        }

        my @chunks;
        if (ref $reply) {
            if (ref $reply ne 'ARRAY') {
                warn "$name - bad --- tcp_reply value\n";
                POSIX::_exit(1);
            }
            @chunks = @$reply;
        } else {
            @chunks = ($reply);
        }

        for my $chunk (@chunks) {
            if (!defined $client->send($chunk)) {
                warn "WARNING: tcp server failed to send reply: $!\n";
            }
        }
    }

    if (defined $block->tcp_no_close) {
        sleep 1 while 1;
    }

    $client->close;
    $sock->close;
}

sub run_tcp_server_tests ($$$) {
    my ($block, $tcp_socket, $query_file) = @_;

    return unless defined $tcp_socket;

    my $name = $block->name;

    my $buf = '';
    if ($query_file && open my $in, '<', $query_file) {
        $buf = do { local $/; <$in> } // '';
        close $in;
    }

    if (defined $block->tcp_query) {
        is_str($buf, $block->tcp_query, "$name - tcp_query ok");
    }

    if (defined $block->tcp_query_len) {
        Test::More::is(length($buf), $block->tcp_query_len,
                       "$name - TCP query length ok");
    }
}

sub stop_tcp_server ($$$) {
    my ($name, $tcp_socket, $query_file) = @_;

    if (defined $TcpServerPid) {
        kill_process($TcpServerPid, $name);
        undef $TcpServerPid;
    }

    $tcp_socket->close if $tcp_socket;
    unlink $query_file if $query_file;
}

# Runs the preprocessors of a block.  Returns the names of the sections
# they read, so that custom sections consumed by a preprocessor are not
# reported as unknown.
sub run_block_preprocessors ($) {
    my ($block) = @_;

    return {} unless @BlockPreprocessors;

    my (%read, %orig);

    # A preprocessor may run the block's filters itself (after
    # Test::Base::filters_delay); the filters read every section, which
    # does not make them custom sections.
    local $InFilters = 0;

    {
        no strict 'refs';
        no warnings 'redefine';
        for my $sec (grep { !$BlockInternals{$_} } keys %$block) {
            my $glob = "Test::Base::Block::$sec";
            next unless defined &$glob;
            my $orig = \&$glob;
            $orig{$sec} = $orig;
            *$glob = sub { $read{$sec} = 1 unless $InFilters; goto &$orig };
        }

        my $run_filters = \&Test::Base::Block::run_filters;
        $orig{run_filters} = $run_filters;
        *Test::Base::Block::run_filters = sub {
            local $InFilters = 1;
            $run_filters->(@_);
        };
    }

    my $ok = eval {
        for my $hdl (@BlockPreprocessors) {
            $hdl->($block);
        }
        1;
    };
    my $err = $@;

    {
        no strict 'refs';
        no warnings 'redefine';
        for my $sec (keys %orig) {
            *{"Test::Base::Block::$sec"} = $orig{$sec};
        }
    }

    die $err unless $ok;

    return \%read;
}

sub check_block_sections ($$) {
    my ($block, $consumed) = @_;

    my @bad = sort grep {
        !$BlockInternals{$_} && !$KnownSections{$_} && !$consumed->{$_}
    } keys %$block;

    return unless @bad;

    my $list = join ', ', map { "--- $_" } @bad;
    die "$0: block \"" . $block->name . "\": unknown or unsupported "
        . "section(s): $list (not supported by the compat Test::Nginx "
        . "in t/compat/lib)\n";
}

sub run_tests () {
    $NginxVersion = get_nginx_version();

    if (!defined $ENV{TEST_NGINX_SERVER_PORT}) {
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }

    my @blocks = Test::Base::blocks();

    # Without preprocessors every block can be checked up front, before
    # anything runs.
    if (!@BlockPreprocessors) {
        check_block_sections($_, {}) for @blocks;
    }

    for my $block ($NoShuffle ? @blocks : shuffle @blocks) {
        sleep $SleepBetweenBlocks if $SleepBetweenBlocks;

        my $consumed = run_block_preprocessors($block);
        check_block_sections($block, $consumed);

        $block->set_value('name', $0 . ' ' . $block->name);
        run_test($block);

        $PrevBlock = $block;
    }

    cleanup();
}

sub run_test ($) {
    my $block = shift;

    return if defined $block->SKIP;

    my $name = $block->name;
    my $rand_ports = {};

    my $config = expand_env_in_text($block->config, $name, $rand_ports);

    local $LogLevel = $LogLevel;
    if ($block->log_level) {
        $LogLevel = $block->log_level;
    }

    my ($should_restart, $should_reconfig) = (1, 1);

    if (!defined $config) {
        if (!defined $PrevConfig) {
            bail_out("$name - No '--- config' section specified and "
                     . "could not get previous one.");
        }
        # reuse the nginx server of the previous block
        ($should_restart, $should_reconfig) = (0, 0);

    } else {
        $should_reconfig = !defined $PrevConfig || $config ne $PrevConfig;
        $should_restart = $should_reconfig || $ForceRestartOnTest;
    }

    my ($tests_to_skip, $skip_reason) = skip_info($block);
    my $should_skip = defined $tests_to_skip;
    my ($todo_count, $todo_reason) = todo_info($block);
    my $should_todo = defined $todo_reason;

    if (!$should_skip && $should_restart) {
        $PrevConfig = $config if $should_reconfig;

        stop_nginx($name);
        setup_server_root();
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);

        if (defined(my $must_die = $block->must_die)) {
            run_must_die($block, $must_die);
            return;
        }

        return unless start_nginx($name);
    }

    if ($block->init) {
        eval $block->init;
        if ($@) {
            bail_out("$name - init failed: $@");
        }
    }

    $ErrLogFilePos = 0;

    for my $i (1 .. $RepeatEach) {
        my ($tcp_socket, $query_file);
        if (defined $block->tcp_listen && !$should_skip) {
            ($tcp_socket, $query_file) = start_tcp_server($block);
        }

        if ($i > 1) {
            write_user_files($block, $rand_ports);
        }

        if ($should_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
            }

        } elsif ($should_todo) {
            TODO: {
                Test::More::todo_skip("$name - $todo_reason",
                                      $todo_count // 1);
            }

        } else {
            $RunTestHelper->($block, $i - 1);
            run_tcp_server_tests($block, $tcp_socket, $query_file);
        }

        if (defined $tcp_socket) {
            stop_tcp_server($name, $tcp_socket, $query_file);
        }
    }

    if (my $total_errlog = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (-s $ErrLogFile) {
            open my $out, '>>', $total_errlog
                or bail_out("Failed to append test case title to "
                            . "$total_errlog: $!\n");
            print $out "\n=== $0 $name\n";
            if (open my $in, '<', $ErrLogFile) {
                print $out $_ while <$in>;
                close $in;
            }
            close $out;
        }
    }
}

END {
    local $?;

    cleanup();

    if (!$ENV{TEST_NGINX_NO_CLEAN} && defined $PidFile && -f $PidFile) {
        stop_nginx('END');
    }

    if ($Randomize && defined $ServRoot && -d $ServRoot
        && $ServRoot =~ m{/t/servroot_\d+$})
    {
        remove_tree($ServRoot);
    }
}

1;
