#!/usr/bin/perl
# The layering of the C sources (docs/design.md), checked: every call from
# one file to a function defined in another goes down the layers, or stays
# in its layer without a cycle; only the engine and the store backends
# include the shm engine's header or hiredis; core/ includes no nginx
# header. Run by scripts/lint.sh; prints one line per finding, exits 1
# when there is any.
#
#   perl scripts/layers.pl          check
#   perl scripts/layers.pl --graph  print the file -> file calls, by layer

use strict;
use warnings;

my $dir = 'ngx_http_secauth_module';

# file name (without ngx_http_secauth_ and .c) => layer; first match wins
my @layers = (
    [ qr{^core/}                                       => 0, 'core'     ],
    [ qr{^(shm|shm_\w+|redis|redis_\w+)$}              => 1, 'engine'   ],
    [ qr{^(store|store_\w+|family_shm)$}               => 2, 'store'    ],
    [ qr{^(request|wait|body)$}                        => 3, 'request'  ],
    [ qr{^(session|jwt|jwt_\w+|token|password|policy_conf|users
          |limit|limit_\w+|throttle
          |mfa|mfa_key|mfa_state|require)$}x           => 4, 'feature'  ],
    [ qr{^(gate|login|login_\w+|logout|refresh|verify
          |admin|mfa_login|mfa_enrol|mfa_enrol_\w+|jwks
          |password_\w+)$}x                          => 5, 'handler'  ],
    [ qr{^(module|variables|conf|conf_\w+)$}           => 6, 'module'   ],
);

# one concern per file, each short enough to read whole
my $max_lines = 850;

my $graph = @ARGV && $ARGV[0] eq '--graph';

my (%def, %src, %layer, %name);
my $bad = 0;

sub bad { print "$_[0]: $_[1]\n"; $bad = 1 }

for my $f (glob("$dir/*.c"), glob("$dir/core/*.c"),
           glob("$dir/*.h"), glob("$dir/core/*.h"))
{
    (my $n = $f) =~ s{^\Q$dir\E/}{};
    $n =~ s{ngx_http_secauth_}{};
    $n =~ s{\.[ch]$}{};

    my ($l) = map { $_->[1] } grep { $n =~ $_->[0] } @layers;
    if (!defined $l) {
        bad($f, 'in no layer: add it to scripts/layers.pl and '
                . 'docs/design.md');
        next;
    }

    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $s = <$fh>;
    close $fh;

    for my $inc ($s =~ /^#include\s+[<"]([^>"]+)[>"]/mg) {
        if ($l == 0 && $inc =~ /^(ngx_[a-z_]+\.h)$/
            && $inc !~ /^ngx_http_secauth_/)
        {
            bad($f, "core/ includes the nginx header $inc");
        }
        if ($inc =~ m{^hiredis/} && $l > 2) {
            bad($f, "includes $inc: only the Redis connection and backend"
                    . " may");
        }
        if ($inc eq "ngx_http_secauth_redis.h" && $l > 2) {
            bad($f, "includes $inc (hiredis): only the Redis connection"
                    . " and backend may");
        }
        if ($inc eq 'ngx_http_secauth_shm.h' && $l > 2) {
            bad($f, "includes $inc: only the shm engine and backend may");
        }
        if ($inc =~ /^ngx_http_secauth_(\w+)\.h$/ && $1 ne 'module') {
            my $h = $1;
            my ($hl) = map { $_->[1] } grep { $h =~ $_->[0] } @layers;
            if (defined $hl && $hl > $l) {
                bad($f, "includes $inc, a header of layer $hl");
            }
        }
        if ($inc eq 'ngx_http_secauth_module.h' && $l < 3) {
            bad($f, "includes $inc: below the request layer, include"
                    . " what you use");
        }
        if ($l == 0 && $inc =~ /^ngx_http_secauth_(\w+)\.h$/
            && !-f "$dir/core/$inc")
        {
            bad($f, "core/ includes $inc, a header outside core/");
        }
    }

    my $lines = () = $s =~ /\n/g;
    if ($lines > $max_lines) {
        bad($f, "$lines lines: split it by concern (at most $max_lines)");
    }

    next unless $f =~ /\.c$/;

    $s =~ s{/\*.*?\*/}{}gs;
    $src{$f} = $s;
    $layer{$f} = $l;
    $name{$f} = $n;

    while ($s =~ /^(ngx_http_secauth_\w+)\(/mg) {
        $def{$1} = $f;
    }
}

my %calls;

for my $f (keys %src) {
    while ($src{$f} =~ /\b(ngx_http_secauth_\w+)\s*\(/g) {
        my $to = $def{$1};
        next unless defined $to && $to ne $f;
        $calls{$f}{$to}{$1} = 1;
    }
}

for my $f (sort keys %calls) {
    for my $to (sort keys %{ $calls{$f} }) {
        my @fn = map { s/^ngx_http_secauth_//r } sort keys %{ $calls{$f}{$to} };
        if ($graph) {
            printf "%d %-22s -> %d %-22s %s\n", $layer{$f}, $name{$f},
                   $layer{$to}, $name{$to}, join(',', @fn);
        }
        if ($layer{$to} > $layer{$f}) {
            bad($f, "calls up into $name{$to} (layer $layer{$to}): "
                    . join(', ', @fn));
        }
    }
}

# cycles among files of one layer
my (%state, @stack);

sub visit {
    my ($f) = @_;
    $state{$f} = 1;
    push @stack, $f;
    for my $to (sort keys %{ $calls{$f} || {} }) {
        next unless $layer{$to} == $layer{$f};
        if (($state{$to} // 0) == 1) {
            my @i = grep { $stack[$_] eq $to } 0 .. $#stack;
            my @cycle = (@stack[$i[0] .. $#stack], $to);
            bad($f, 'call cycle: ' . join(' -> ', map { $name{$_} } @cycle));
        } elsif (!$state{$to}) {
            visit($to);
        }
    }
    pop @stack;
    $state{$f} = 2;
}

visit($_) for grep { !$state{$_} } sort keys %src;

exit $bad;
