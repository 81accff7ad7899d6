package Test::Nginx::Socket;

# Minimal re-implementation of Test::Nginx::Socket (openresty/test-nginx)
# built on Test::Base, for systems where the CPAN distribution is not
# installed.  Test files must stay valid for the real module: this one
# only implements (a subset of) its documented semantics, and refuses
# loudly what it does not implement.  See t/compat/README.md.

use strict;
use warnings;

our $VERSION = '0.29_compat';

use Digest::MD5 ();
use Digest::SHA ();
use Encode ();
use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use HTTP::Response;
use IO::Select;
use IO::Socket::INET;
use List::Util qw(min max);
use Test::More ();
use Time::HiRes qw(sleep);

use Test::Nginx::Util;

sub parse_request ($$);
sub apply_edits ($$);
sub build_request_from_packets ($$$$$);
sub get_req_from_block ($);
sub run_test_helper ($$);
sub get_indexed_value ($$$$);
sub check_error_code ($$$$);
sub check_raw_response_headers ($$$$);
sub check_response_headers ($$$$$);
sub transform_response_body ($$$);
sub check_response_body ($$$$$);
sub value_contains ($$);
sub check_access_log ($$);
sub check_error_log ($$$$;$);
sub parse_response ($$$);
sub send_request ($$$$);
sub leak_worker_pid ($);
sub leak_rss ($);
sub leak_load ($$$);
sub leak_slope ($);
sub check_leak ($$);

# Inherit from Test::Base without Spiffy's source filter: "use
# Test::Nginx::Socket 'no_plan'" then goes through Test::Base::import,
# which handles the plan and exports Test::Base's functions (blocks,
# plan, ...) along with ours.
require Test::Base;
our @ISA = ('Test::Base');

{
    no warnings 'once';
    *plan = \&Test::More::plan;
}

our @EXPORT = qw(
    env_to_nginx is_str plan run_tests run_test
    repeat_each config_preamble worker_connections
    master_process_enabled
    no_long_string workers master_on master_off
    log_level no_shuffle no_root_location use_hup
    server_name
    server_addr server_root html_dir server_port server_port_for_client
    timeout no_nginx_manager check_accum_error_log
    add_block_preprocessor bail_out add_cleanup_handler
    add_response_body_check
);

$RunTestHelper = \&run_test_helper;
$CheckErrorLog = \&check_error_log;

our @ResponseBodyChecks;

sub set_http_config_filter ($) {
    $FilterHttpConfig = shift;
}

sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}

# Parses "METHOD [URL [VERSION]]\nBODY"; records the sizes of every
# part so that the request can be rewritten packet by packet.
sub parse_request ($$) {
    my ($name, $rrequest) = @_;

    open my $in, '<', $rrequest;
    my $first = <$in>;
    if (!$first) {
        bail_out("$name - Request line should be non-empty");
    }

    if ($first !~ /^(\s*)(\S+)( *)((\S+)( *))?((\S+)( *))?(\s*)$/) {
        bail_out("$name - Request line is not valid. Should be "
                 . "'meth [url [version]]' but got \"$first\".");
    }

    my %req = (
        skipped_before_method => length $1,
        method => $2,
        method_size => length $2,
        skipped_after_method => length $3,
        url => $5,
        url_size => defined $5 ? length $5 : 0,
        skipped_after_url => defined $6 ? length $6 : 0,
        http_ver => $8,
        http_ver_size => defined $8 ? length $8 : 0,
        skipped_after_http_ver => (defined $9 ? length $9 : 0)
                                  + length $10,
    );

    $req{url} //= '/';
    $req{http_ver} //= 'HTTP/1.1';

    my $content = do { local $/; <$in> };
    close $in;

    $req{content} = $content // '';
    $req{content_size} = length $req{content};

    return \%req;
}

# Applies a list of [length, replacement] edits, in order, to the
# concatenation of the packets while keeping the packet boundaries: a
# replaced region spanning several packets is split at the same offsets,
# the last piece taking the rest of the replacement.
sub apply_edits ($$) {
    my ($packets, $edits) = @_;

    my @in = map { $_ // '' } @$packets;
    my @out = ('') x @in;
    my ($idx, $pos) = (0, 0);

    for my $edit (@$edits) {
        my ($len, $repl) = @$edit;

        my @pieces;
        push @pieces, [$idx, 0] if $len == 0;

        while ($len > 0) {
            while ($idx < $#in && $pos >= length $in[$idx]) {
                $idx++;
                $pos = 0;
            }

            my $n = min($len, length($in[$idx]) - $pos);
            last if $n <= 0;

            push @pieces, [$idx, $n];
            $pos += $n;
            $len -= $n;
        }

        for my $k (0 .. $#pieces) {
            my ($i, $n) = @{ $pieces[$k] };
            $out[$i] .= $k == $#pieces ? $repl : substr($repl, 0, $n, '');
        }
    }

    while ($idx < @in) {
        $out[$idx] .= substr($in[$idx], $pos);
        $idx++;
        $pos = 0;
    }

    return \@out;
}

# Adds the request line defaults, Host, Connection, more_headers and
# Content-Length to a request given as a list of packets.
sub build_request_from_packets ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn_header, $packets) = @_;

    my $raw = join '', map { $_ // '' } @$packets;
    my $req = parse_request($name, \$raw);

    my $len_header = '';
    if (!$is_chunked && $req->{content} ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $req->{content} =~ s/^\s+|\s+$//gs;
        $len_header = 'Content-Length: ' . length($req->{content})
                      . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/gs;

    my $headers = '';
    if ($more_headers !~ /(?:^|\n)Host:/msi) {
        $headers .= "Host: $ServerName\r\n";
    }
    if ($more_headers !~ /(?:^|\n)Connection/msi) {
        $headers .= "Connection: $conn_header\r\n";
    }
    $headers .= "$more_headers$len_header\r\n";

    return apply_edits($packets, [
        [$req->{skipped_before_method}, ''],
        [$req->{method_size}, "$req->{method} "],
        [$req->{skipped_after_method}, ''],
        [$req->{url_size}, "$req->{url} "],
        [$req->{skipped_after_url}, ''],
        [$req->{http_ver_size}, "$req->{http_ver}\r\n"],
        [$req->{skipped_after_http_ver}, ''],
        [0, $headers],
        [$req->{content_size}, $req->{content}],
    ]);
}

sub parse_more_headers ($) {
    my ($in) = @_;

    my ($out, $is_chunked) = ('');
    for my $header (split /\n+/, $in) {
        next if $header =~ /^\s*\#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val //= '';
        if (lc($key) eq 'transfer-encoding' && $val eq 'chunked') {
            $is_chunked = 1;
        }
        $out .= "$key: $val\r\n";
    }

    return ($out, $is_chunked);
}

sub more_headers_for ($$$) {
    my ($name, $more_headers, $i) = @_;

    if (ref $more_headers eq 'ARRAY') {
        my $hdr = $more_headers->[$i];
        if (!defined $hdr) {
            bail_out("$name - --- more_headers lacks data for the "
                     . "${i}th request");
        }
        return parse_more_headers($hdr);
    }

    return parse_more_headers($more_headers);
}

# Returns a list of requests, each a list of packets ({value => ...,
# delay_before => ...}).
sub get_req_from_block ($) {
    my ($block) = @_;

    my $name = $block->name;
    my @req_list;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        if (ref $raw && ref $raw eq 'ARRAY') {
            push @req_list, [map { { value => $_ } } @$raw];
        } else {
            push @req_list, [{ value => $raw }];
        }
        return \@req_list;
    }

    my $request;
    if (defined $block->request_eval) {
        Test::More::diag("$name - request_eval DEPRECATED. Use request "
                         . "eval instead.");
        $request = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $request = $block->request;
        if (defined $request && !ref $request) {
            1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
        }
    }

    my $more_headers = $block->more_headers // '';

    if ($block->pipelined_requests) {
        my $reqs = $block->pipelined_requests;
        if (!ref $reqs || ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }

        my $prq = '';
        for my $i (0 .. $#$reqs) {
            my $conn_type = $i == $#$reqs ? 'close' : 'keep-alive';
            my ($hdr, $is_chunked)
                = more_headers_for($name, $more_headers, $i);
            my $r = build_request_from_packets($name, $hdr, $is_chunked,
                                               $conn_type, [$reqs->[$i]]);
            $prq .= $r->[0];
        }
        push @req_list, [{ value => $prq }];
        return \@req_list;
    }

    if (!defined $request) {
        bail_out("$name - request empty");
    }

    if (!ref $request) {
        my ($hdr, $is_chunked) = more_headers_for($name, $more_headers, 0);
        my $r = build_request_from_packets($name, $hdr, $is_chunked,
                                           'close', [$request]);
        push @req_list, [{ value => $r->[0] }];
        return \@req_list;
    }

    if (ref $request ne 'ARRAY') {
        bail_out("$name - invalid ---request : MUST be string or array "
                 . "of requests");
    }

    my $i = 0;
    for my $one_req (@$request) {
        my ($hdr, $is_chunked) = more_headers_for($name, $more_headers, $i);

        if (!ref $one_req) {
            my $r = build_request_from_packets($name, $hdr, $is_chunked,
                                               'close', [$one_req]);
            push @req_list, [{ value => $r->[0] }];

        } elsif (ref $one_req eq 'ARRAY') {
            my @packets;
            for my $packet (@$one_req) {
                if (!ref $packet) {
                    push @packets, { value => $packet };
                } elsif (ref $packet eq 'HASH') {
                    push @packets, { %$packet };
                } else {
                    bail_out("$name - Invalid syntax. $packet should be "
                             . "a string or hash with value.");
                }
            }

            my $r = build_request_from_packets($name, $hdr, $is_chunked,
                'close', [map { $_->{value} } @packets]);
            for my $k (0 .. $#packets) {
                $packets[$k]{value} = $r->[$k];
            }
            push @req_list, \@packets;

        } else {
            bail_out("$name - Invalid syntax. $one_req should be a string "
                     . "or an array of packets.");
        }

        $i++;
    }

    return \@req_list;
}

sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;

    my $name = $block->name;

    if (ref $filter && ref $filter eq 'CODE') {
        return $filter->($content);
    }

    if (ref $filter) {
        bail_out("$name - the --- response_body_filters section only "
                 . "supports subroutine reference values and string "
                 . "values");
    }

    my %builtin = (
        md5_hex => \&Digest::MD5::md5_hex,
        sha1_hex => \&Digest::SHA::sha1_hex,
        uc => sub { uc $_[0] },
        lc => sub { lc $_[0] },
        ucfirst => sub { ucfirst $_[0] },
        lcfirst => sub { lcfirst $_[0] },
        length => sub { length $_[0] },
    );

    if (!$builtin{$filter}) {
        bail_out("$name - unknown filter, \"$filter\", specified in the "
                 . "--- response_body_filters section");
    }

    return $builtin{$filter}->($content);
}

sub run_test_helper ($$) {
    my ($block, $repeated_req_idx) = @_;

    my $name = $block->name;

    my $r_req_list = get_req_from_block($block);
    if (!@$r_req_list) {
        bail_out("$name - request empty");
    }

    my $timeout = parse_time($block->timeout) // timeout();

    # the "check leak" mode: the block's (first) request many times, the
    # worker's RSS sampled meanwhile; then the block runs as usual, but
    # as a TODO: as with the real module (which does not check the
    # answers in this mode at all), what the load left behind (a rate
    # limit spent, a lock) must not fail the block, its memory does
    my $tb = Test::More->builder;
    if ($CheckLeak) {
        check_leak($block, $r_req_list->[0])
            unless defined $block->no_check_leak;
        $tb->todo_start('the "check leak" testing mode');
    }

    my ($res, $n, $need_array);
    my $req_idx = 0;

    for my $one_req (@$r_req_list) {
        my ($raw_resp, $head_req) = send_request($one_req,
            $block->raw_request_middle_delay, $timeout, $block);

        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$r_req_list > 1;
        }

        while (1) {
            $raw_resp //= '';

            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = HTTP::Response->new(200, 'OK', [], $raw_resp);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left)
                        = parse_response($name, $raw_resp, $head_req);
                }
            }

            if (!$n) {
                if ($left) {
                    $left =~ s/([\0-\037\200-\377])/
                               sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after "
                         . "last chunk in response: \"$left\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $req_idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $req_idx,
                                           $need_array);
                check_response_headers($block, $res, $raw_headers,
                                       $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $req_idx,
                                    $repeated_req_idx, $need_array);
            }

            if ($n || $req_idx < @$r_req_list - 1) {
                sleep $block->wait if $block->wait;

                check_error_log($block, $res, $repeated_req_idx,
                                $need_array);

                if (!defined $block->ignore_response) {
                    check_access_log($block, $repeated_req_idx);
                }
            }

            $req_idx++;

            last unless $n;
        }
    }

    sleep $block->wait if $block->wait;

    check_error_log($block, $res, $repeated_req_idx, $need_array);

    if (!defined $block->ignore_response) {
        check_access_log($block, $repeated_req_idx);
    }

    $tb->todo_end if $CheckLeak;
}


# The RSS of the process that serves: the pid file's (master_process
# off, the default), or its first worker's.
sub leak_worker_pid ($) {
    my ($name) = @_;

    my $pid = get_pid_from_pidfile($name);
    return undef unless defined $pid && $pid =~ /^\d+$/;

    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // '';
        close $fh;
        my ($child, $ppid) = $line =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
        next unless $ppid == $pid;
        open my $cmd, '<', "/proc/$child/cmdline" or next;
        my $c = <$cmd> // '';
        close $cmd;
        return $child if $c =~ /worker process/;
    }

    return $pid;
}

sub leak_rss ($) {
    my ($pid) = @_;

    open my $fh, '<', "/proc/$pid/status" or return undef;
    while (<$fh>) {
        return $1 if /^VmRSS:\s+(\d+)/;
    }
    return undef;
}

# A child sending the request again and again, one connection each (the
# request says "Connection: close"), until the deadline; prints how many
# were answered.
sub leak_load ($$$) {
    my ($raw, $deadline, $out) = @_;

    local $SIG{PIPE} = 'IGNORE';
    my $n = 0;
    while (Time::HiRes::time() < $deadline) {
        my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                         PeerPort => $ServerPortForClient,
                                         Proto => 'tcp', Timeout => 1)
            or next;
        syswrite $sock, $raw;
        my $sel = IO::Select->new($sock);
        my $got = 0;
        while ($sel->can_read(1)) {
            my $r = sysread $sock, my $buf, 65536;
            last unless $r;
            $got += $r;
        }
        close $sock;
        $n++ if $got;
    }
    print {$out} "$n\n";
    close $out;
}

# slope (per second) of the least-squares line through [t, kB] points
sub leak_slope ($) {
    my ($pts) = @_;

    return 0 if @$pts < 3;
    my ($sx, $sy) = (0, 0);
    $sx += $_->[0], $sy += $_->[1] for @$pts;
    my ($mx, $my) = ($sx / @$pts, $sy / @$pts);
    my ($num, $den) = (0, 0);
    for (@$pts) {
        $num += ($_->[0] - $mx) * ($_->[1] - $my);
        $den += ($_->[0] - $mx) ** 2;
    }
    return $den ? $num / $den : 0;
}

# TEST_NGINX_CHECK_LEAK=1 (docs/testing.md): TEST_COMPAT_CHECK_LEAK_SECONDS
# of load (3) from 2 clients, the RSS sampled every 20 ms as by the real
# module ("LeakTest: ..." lines); the first half is the warm-up, and the
# block fails when the line fitted through the second half grows by more
# than TEST_COMPAT_CHECK_LEAK_KB (64) over it. The real module only
# prints the slope.
sub check_leak ($$) {
    my ($block, $req) = @_;

    my $name = $block->name;
    my $raw = join '', map { $_->{value} } @$req;
    my $secs = $ENV{TEST_COMPAT_CHECK_LEAK_SECONDS} || 3;
    my $limit = $ENV{TEST_COMPAT_CHECK_LEAK_KB} // 64;

    my $pid = leak_worker_pid($name);
    if (!defined $pid || !defined leak_rss($pid)) {
        Test::More::fail("$name - check leak: no nginx process to sample");
        return;
    }

    my $t0 = Time::HiRes::time();
    my (@kids, @pipes);
    for (1 .. 2) {
        pipe my $r, my $w or bail_out("$name - pipe() failed: $!");
        my $kid = fork;
        bail_out("$name - fork() failed: $!") unless defined $kid;
        if ($kid == 0) {
            close $r;
            leak_load($raw, $t0 + $secs, $w);
            POSIX::_exit(0);
        }
        close $w;
        push @kids, $kid;
        push @pipes, $r;
    }

    my @rss;
    my $gone;
    while ((my $t = Time::HiRes::time() - $t0) < $secs) {
        sleep 0.02;
        my $kb = leak_rss($pid);
        if (!defined $kb) {
            $gone = 1;
            last;
        }
        push @rss, [$t, $kb];
    }

    my $requests = 0;
    for my $r (@pipes) {
        $requests += <$r> // 0;
        close $r;
    }
    waitpid $_, 0 for @kids;

    if ($gone) {
        Test::More::fail("$name - check leak: the nginx process $pid is "
                         . "gone");
        return;
    }

    my @judged = grep { $_->[0] >= $secs / 2 } @rss;
    my $k = leak_slope(\@judged);
    my $span = @judged ? $judged[-1][0] - $judged[0][0] : 0;
    my $growth = $k * $span;

    # big buffers (a 3 MB header) make the RSS swing, and a line fitted
    # through swings can rise: the end must be higher than the start of
    # the second half too, each the median of 10 samples
    my $med = sub {
        my @v = sort { $a <=> $b } map { $_->[1] } @_;
        return @v ? $v[$#v / 2] : 0;
    };
    my $n = min(10, int(@judged / 2));
    my $rise = $n ? $med->(@judged[-$n .. -1]) - $med->(@judged[0 .. $n - 1])
                  : 0;
    my $line = sprintf 'LeakTest: %s: %d requests in %gs, RSS %d -> %d '
        . '-> %d kB (start, half, end), k=%.1f kB/s in the second half, '
        . '%+.0f kB over it (medians %+.0f)', $name, $requests, $secs,
        $rss[0][1], @judged ? $judged[0][1] : 0, $rss[-1][1], $k, $growth,
        $rise;
    Test::More::diag($line);

    if ($requests == 0) {
        Test::More::fail("$name - check leak: no request was answered");

    } elsif ($growth > $limit && $rise > $limit) {
        Test::More::fail("$name - check leak: the RSS keeps growing "
                         . sprintf('(%+.0f kB > %d kB in %.1fs, %.0f B per '
                                   . 'request)', $growth, $limit, $span,
                                   $growth * 1024 * 2 / $requests));
    }
}

# Picks the value for request $req_idx out of a section which must be
# an array when the block sends several requests.
sub get_indexed_value ($$$$) {
    my ($name, $value, $req_idx, $need_array) = @_;

    if ($need_array) {
        if (ref $value && ref $value eq 'ARRAY') {
            return $value->[$req_idx];
        }

        bail_out("$name - You asked for many requests, the expected "
                 . "results should be arrays as well.");
    }

    if (ref $value && ref $value eq 'ARRAY') {
        if ($req_idx != 0) {
            bail_out("$name - SHOULD NOT HAPPEN: idx != 0 and don't need "
                     . "array.");
        }
        return $value->[0];
    }

    return $value;
}

sub check_error_code ($$$$) {
    my ($block, $res, $req_idx, $need_array) = @_;

    my $name = $block->name;
    my $code = ($res && $res->code) || '';

    if (defined $block->error_code_like) {
        my $val = get_indexed_value($name, $block->error_code_like,
                                    $req_idx, $need_array);
        Test::More::like($code, qr/$val/sm, "$name - status code ok");

    } elsif (defined $block->error_code) {
        Test::More::is($code, get_indexed_value($name, $block->error_code,
                                                $req_idx, $need_array),
                       "$name - status code ok");

    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}

sub check_raw_response_headers ($$$$) {
    my ($block, $raw_headers, $req_idx, $need_array) = @_;

    my $name = $block->name;

    if (defined $block->raw_response_headers_like) {
        my $expected = get_indexed_value($name,
            $block->raw_response_headers_like, $req_idx, $need_array);
        Test::More::like($raw_headers, qr/$expected/s,
                         "$name - raw resp headers like");
    }

    if (defined $block->raw_response_headers_unlike) {
        my $expected = get_indexed_value($name,
            $block->raw_response_headers_unlike, $req_idx, $need_array);
        Test::More::unlike($raw_headers, qr/$expected/s,
                           "$name - raw resp headers unlike");
    }
}

sub check_response_headers ($$$$$) {
    my ($block, $res, $raw_headers, $req_idx, $need_array) = @_;

    my $name = $block->name;

    if (defined $block->response_headers) {
        my $headers = parse_headers(get_indexed_value($name,
            $block->response_headers, $req_idx, $need_array));

        for my $key (sort keys %$headers) {
            my $val = $headers->{$key};

            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                    "$name - header $key not present in the raw headers");
                next;
            }

            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

            my $actual = $res ? $res->header($key) : undef;
            Test::More::is($actual // '', $val, "$name - header $key ok");
        }

    } elsif (defined $block->response_headers_like) {
        my $headers = parse_headers(get_indexed_value($name,
            $block->response_headers_like, $req_idx, $need_array));

        for my $key (sort keys %$headers) {
            my $val = $headers->{$key} // '';
            my $actual = $res ? $res->header($key) : undef;
            Test::More::like($actual // '', qr/^$val$/,
                             "$name - header $key like ok");
        }
    }
}

sub transform_response_body ($$$) {
    my ($block, $res, $req_idx) = @_;

    return unless defined $res;

    my $content = $res->content;
    return unless defined $content;

    my $filters = $block->response_body_filters;
    return unless defined $filters;

    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    if (ref $filters->[0] eq 'ARRAY') {
        if (grep { ref $_ ne 'ARRAY' } @$filters) {
            bail_out("$name - the --- response_body_filters "
                     . "two-dimensional array only be like [[uc], [lc]] "
                     . "not [[uc], lc]");
        }

        $filters = $filters->[$req_idx];
        if (!defined $filters) {
            bail_out("$name - the ---response_body_filters "
                     . "two-dimensional array unmatch the specified "
                     . "request($req_idx)");
        }
    }

    for my $filter (@$filters) {
        $content = run_filter_helper($block, $filter, $content);
    }

    $res->content($content);
}

sub clean_content ($) {
    my ($res) = @_;

    my $content = $res ? $res->content : undef;
    if (defined $content) {
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
        $content =~ s/^Connection: TE, close\r\n//gms;
    }

    return $content;
}

sub check_response_body ($$$$$) {
    my ($block, $res, $req_idx, $repeated_req_idx, $need_array) = @_;

    my $name = $block->name;

    if (defined $block->response_body
        || defined $block->response_body_eval)
    {
        my $content = clean_content($res);

        my $expected;
        if ($block->response_body_eval) {
            Test::More::diag("$name - response_body_eval is DEPRECATED. "
                             . "Use response_body eval instead.");
            $expected = eval get_indexed_value($name,
                $block->response_body_eval, $req_idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body,
                                          $req_idx, $need_array);
        }

        if ($block->charset) {
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }

        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }

        my $desc = "$name - response_body - response is expected "
                   . "(repeated req $repeated_req_idx, req $req_idx)";

        if (ref $expected) {
            Test::More::like($content, $expected,
                "$name - response_body - like (repeated req "
                . "$repeated_req_idx, req $req_idx)");
        } else {
            is_str($content, $expected, $desc);
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my ($patterns, $type, $cmp);
        if (defined $block->response_body_like) {
            ($patterns, $type, $cmp) = ($block->response_body_like, 'like',
                                        \&Test::More::like);
        } else {
            ($patterns, $type, $cmp) = ($block->response_body_unlike,
                                        'unlike', \&Test::More::unlike);
        }

        my $content = clean_content($res);
        my $pat = get_indexed_value($name, $patterns, $req_idx,
                                    $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

        my $summary = trim($content) // '';

        $cmp->($content, qr/$pat/s,
               "$name - response_body_$type - response is expected "
               . "($summary)");
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx,
                 $repeated_req_idx, 0);
    }
}

sub value_contains ($$) {
    my ($val, $pat) = @_;

    if (!ref $val || ref $val eq 'Regexp') {
        return $val =~ /\Q$pat\E/;
    }

    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if value_contains($v, $pat);
        }
    }

    return undef;
}

sub fmt_str ($) {
    my $str = shift;

    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;

    return $str;
}

# A section of patterns: lines of literal substrings, or (eval) one
# regex or an array of strings and regexes.
sub pattern_list ($) {
    my ($pats) = @_;

    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }

    return [$pats] if ref $pats eq 'Regexp';

    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;

    return ref $pat ? $line =~ /$pat/ : $line =~ /\Q$pat\E/;
}

# Checks that every pattern matches some line of the log.
sub check_log_has ($$$$) {
    my ($name, $pats, $lines, $what) = @_;

    $pats = pattern_list($pats);

    for my $line (@$lines) {
        for my $pat (@$pats) {
            next if !defined $pat;
            if (line_matches($line, $pat)) {
                Test::More::pass("$name - pattern \"$pat\" matches a "
                                 . "line in $what");
                undef $pat;
            }
        }
    }

    for my $pat (@$pats) {
        next if !defined $pat;
        Test::More::fail("$name - pattern \"$pat\" should match a line "
                         . "in $what");
    }
}

# Checks that no pattern matches any line of the log.
sub check_log_lacks ($$$$) {
    my ($name, $pats, $lines, $what) = @_;

    $pats = pattern_list($pats);

    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@$pats) {
            next if !defined $pat;
            next unless line_matches($line, $pat);

            $found{$pat} = 1;

            my $ln = fmt_str($line);
            my $p = fmt_str($pat);
            my $last = min($i + 10, $#$lines);
            my $more = join '', @$lines[$i + 1 .. $last];
            Test::More::fail("$name - pattern \"$p\" should not match any "
                             . "line in $what but matches line \"$ln\"\n"
                             . $more);
        }
    }

    for my $pat (@$pats) {
        next if !defined $pat || $found{$pat};
        my $p = fmt_str($pat);
        Test::More::pass("$name - pattern \"$p\" does not match a line in "
                         . $what);
    }
}

sub check_access_log ($$) {
    my ($block, $repeated_req_idx) = @_;

    my $name = $block->name;
    my $lines;

    if (defined $block->access_log) {
        $lines //= access_log_data();
        check_log_has($name, $block->access_log, $lines,
                      "access.log (req $repeated_req_idx)");
    }

    if (defined $block->no_access_log) {
        $lines //= access_log_data();
        check_log_lacks($name, $block->no_access_log, $lines,
                        "access.log (req $repeated_req_idx)");
    }
}

# $extra: further lines to search (nginx's stderr for must_die blocks).
sub check_error_log ($$$$;$) {
    my ($block, $res, $repeated_req_idx, $need_array, $extra) = @_;

    my $name = $block->name;
    my ($lines, $log_lines);
    my $get_lines = sub {
        $log_lines //= error_log_data();
        $lines //= [@$log_lines, @{ $extra || [] }];
    };

    my %warn_level = map { $_ => 1 } qw(alert crit emerg);

    my $grep_pats = $block->grep_error_log;
    my $grep_pat = ref $grep_pats && ref $grep_pats eq 'ARRAY'
                   ? $grep_pats->[$repeated_req_idx] : $grep_pats;

    if (!defined $grep_pats && defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but "
                 . "--- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        if (!defined $expected) {
            bail_out("$name - No --- grep_error_log_out defined but "
                     . "--- grep_error_log is defined");
        }

        if (ref $expected && ref $expected eq 'ARRAY') {
            $expected = $expected->[$repeated_req_idx];
        }

        my $matched_lines = '';
        for my $line (@{ $get_lines->() }) {
            if (ref $grep_pat && $line =~ /$grep_pat/
                || $line =~ /\Q$grep_pat\E/)
            {
                my $matched = $&;
                $matched_lines .= "$matched\n" if $matched !~ /\n/;
            }
        }

        is_str($matched_lines, $expected,
               "$name - grep_error_log_out (req $repeated_req_idx)");
    }

    for my $section (qw(error_log no_error_log)) {
        my $pats = $block->$section;
        next unless defined $pats;

        for my $level (keys %warn_level) {
            if (value_contains($pats, "[$level")) {
                delete $warn_level{$level};
            }
        }

        my $what = "error.log (req $repeated_req_idx)";
        if ($section eq 'error_log') {
            check_log_has($name, $pats, $get_lines->(), $what);
        } else {
            check_log_lacks($name, $pats, $get_lines->(), $what);
        }
    }

    # the error log only: nginx's stderr repeats its start-up lines
    $get_lines->();
    for my $line (@$log_lines) {
        for my $level (sort keys %warn_level) {
            if ($line =~ /\[$level\]/) {
                warn "WARNING: $name - " . fmt_str($line) . "\n";
            }
        }

        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp(my $ln = $line);
            Test::More::fail("$name - $ln\n");
        }
    }
}

sub parse_response ($$$) {
    my ($name, $raw_resp, $head_req) = @_;

    my $left;

    my $raw_headers = '';
    if ($raw_resp =~ /(.*?\r\n)\r\n/s) {
        $raw_headers = $1;
    }

    my $res = HTTP::Response->parse($raw_resp);

    my $code = $res->code;
    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if ($code && $code !~ /^\d+$/) {
        undef $code;
        $res->code(undef);
    }

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    if (defined $enc && $enc eq 'chunked') {
        my $raw = $res->content // '';
        my $decoded = '';

        while (1) {
            if ($raw =~ /\G 0 [\ \t]* \r\n \r\n /gcsx) {
                if ($raw =~ /\G (.+) /gcsx) {
                    $left = $1;
                }
                last;
            }

            if ($raw =~ m{\G [\ \t]* ([A-Fa-f0-9]+) [\ \t]* \r\n}gcsx) {
                my $size = hex $1;

                if (length($raw) - pos($raw) < $size) {
                    Test::More::fail("$name - invalid chunked data "
                        . "received (not enought octets for the data "
                        . "section)");
                    return;
                }

                $decoded .= substr $raw, pos($raw), $size;
                pos($raw) += $size;

                if ($raw !~ /\G\r\n/gcs) {
                    Test::More::fail("$name - invalid chunked data "
                                     . "received (expected CRLF).");
                    return;
                }

            } elsif ($raw =~ /\G.+/gcs) {
                Test::More::fail("$name - invalid chunked body received: "
                                 . $&);
                return;

            } else {
                Test::More::fail("$name - no last chunk found - $raw");
                return;
            }
        }

        $res->content($decoded);

    } elsif (defined $len && $len ne '' && $len >= 0) {
        my $raw = $res->content // '';
        if (length $raw < $len) {
            if (!$head_req) {
                warn "WARNING: $name - response body truncated: $len "
                     . "expected, but got " . length($raw) . "\n";
            }
        } elsif (length $raw > $len) {
            $left = substr $raw, $len;
            $res->content(substr $raw, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

sub connect_to_server ($$$) {
    my ($block, $addr, $timeout) = @_;

    my $name = $block->name;
    my $port = $ServerPortForClient;
    my $budget = max($timeout, 3);
    my $waited = 0;
    my $err;

    for my $tries (1 .. 50) {
        my $sock = IO::Socket::INET->new(
            PeerAddr => $addr,
            PeerPort => $port,
            Proto => 'tcp',
            Timeout => $timeout,
        );
        return $sock if $sock;

        $err = $!;

        my $wait = (sleep_time() + sleep_time() * $tries) * $tries / 2;
        $wait = 1 if $wait > 1;
        last if $waited + $wait > $budget;

        if ($wait >= 0.6) {
            warn "$name - Can't connect to $addr:$port: $err\n"
                 . "\tRetry connecting after $wait sec\n";
        }

        sleep $wait;
        $waited += $wait;
    }

    Test::More::fail("$name - Can't connect to $addr:$port: $err "
                     . "(aborted)\n");

    return undef;
}

# Sends one request (a list of packets) and reads the response until
# the server closes the connection.  Returns ($response, $is_head).
sub send_request ($$$$) {
    my ($req, $middle_delay, $timeout, $block) = @_;

    my $name = $block->name;
    my @bits = @$req;

    my $head_req = (join '', map { $_->{value} } @bits) =~ /^\s*HEAD\s+/
                   ? 1 : 0;

    my $addr = $block->server_addr_for_client // $ServerAddr;

    my $sock = connect_to_server($block, $addr, $timeout);
    return (undef, $head_req) unless $sock;

    $sock->blocking(0);

    local $SIG{PIPE} = 'IGNORE';

    my $resp = '';
    my $wbuf = (shift @bits)->{value} // '';
    my $woff = 0;
    my ($reading, $writing) = (1, 1);
    my $sel = IO::Select->new($sock);

    IO: while ($reading || $writing) {
        my ($readable, $writable) = IO::Select->select(
            $reading ? $sel : undef, $writing ? $sel : undef, undef,
            $timeout);

        if (!$readable && !$writable) {
            next IO if $! == EINTR;

            if (!defined $block->abort) {
                Test::More::fail("ERROR: client socket timed out - "
                                 . "$name\n");
            } else {
                sleep 0.005;
            }
            last IO;
        }

        while ($writable && @$writable) {
            my $rest = length($wbuf) - $woff;

            if ($rest > 0) {
                my $bytes = syswrite $sock, $wbuf, $rest, $woff;
                if (!defined $bytes) {
                    last if $! == EAGAIN || $! == EWOULDBLOCK;
                    warn "write failed: $!\n";
                    $resp = "write failed: $!" if $resp eq '';
                    last IO;
                }
                $woff += $bytes;
                next;
            }

            my $next = shift @bits;
            if (!defined $next) {
                $writing = 0;

                my $shutdown = $block->shutdown;
                if (defined $shutdown) {
                    $shutdown = 1 if $shutdown =~ /^$/s;
                    shutdown $sock, $shutdown;
                }
                last;
            }

            $wbuf = $next->{value} // '';
            $woff = 0;

            my $wait = $next->{delay_before} // $middle_delay;
            sleep $wait if $wait;
        }

        while ($readable && @$readable) {
            my $bytes = sysread $sock, my $buf, 4096;

            if (!defined $bytes) {
                last if $! == EAGAIN || $! == EWOULDBLOCK;
                warn "WARNING: $name - HTTP response read failure: $!\n";
                last IO;
            }

            last IO if $bytes == 0;    # connection closed

            $resp .= $buf;
        }
    }

    close $sock;

    return ($resp, $head_req);
}

1;
