#!/usr/bin/env bash
# Style checks of nginx code style on the C sources, scripts and suites.
# Prints one line per finding and exits 1 when there is any.
set -uo pipefail

cd "$(dirname "$0")/.."

c_files=(ngx_http_secauth_module/*.[ch] ngx_http_secauth_module/core/*.[ch])
other=(config scripts/*.sh scripts/secauth-* .ci/run t/*.t t/compat/*.t
       t/compat/lib/Test/Nginx/*.pm)

fail=0

perl - "${c_files[@]}" -- "${other[@]}" <<'PERL' || fail=1
use strict;
use warnings;

my ($c, @c_files, @other) = (1);
for (@ARGV) {
    if ($_ eq '--') { $c = 0; next }
    next unless -f $_;
    if ($c) { push @c_files, $_ } else { push @other, $_ }
}

my $bad = 0;
sub bad { print "$_[0]:$_[1]: $_[2]\n"; $bad = 1 }

my $alloc = qr/\b(?:ngx_p?c?alloc|ngx_pnalloc|ngx_calloc|ngx_array_push
    |ngx_array_push_n|ngx_array_create|ngx_list_push|ngx_list_create
    |ngx_pool_cleanup_add|ngx_create_temp_buf|ngx_alloc_chain_link
    |ngx_slab_alloc(?:_locked)?|ngx_pstrdup|malloc|calloc|strdup)\s*\(/x;

for my $f (@c_files, @other) {
    open my $fh, '<', $f or die "$f: $!";
    my @lines = <$fh>;
    close $fh;
    my $is_c = grep { $_ eq $f } @c_files;

    for my $i (0 .. $#lines) {
        my $l = $lines[$i];
        my $n = $i + 1;
        chomp $l;
        bad($f, $n, 'tab') if $l =~ /\t/;
        bad($f, $n, 'trailing whitespace') if $l =~ /\s$/;
        next unless $is_c || $f eq 'config';
        bad($f, $n, 'line over 80 columns') if length $l > 80;
        next unless $is_c;
        bad($f, $n, '// comment') if $l =~ m{(^|[^:"\\])//} ;
        bad($f, $n, 'stdio in module code')
            if $l =~ /\b(?:printf|fprintf|puts)\s*\(/;

        # "x = alloc(...);" must be followed by "if (x == NULL"
        if ($l =~ /^\s*([\w>.\-\[\]*]+)\s*=\s*(?:\([^)]*\)\s*)?$alloc/) {
            my $name = $1;
            my $var = quotemeta $name;
            my $j = $i + 1;
            # the call may span lines: skip to the end of the statement
            $j++ while $j <= $#lines && $lines[$j - 1] !~ /;\s*$/;
            $j++ while $j <= $#lines && $lines[$j] =~ /^\s*$/;
            bad($f, $n, "allocation of $name without a NULL check")
                unless $j <= $#lines && $lines[$j] =~ /if \($var == NULL/;
        }
    }
}

for my $f (grep { /^t\/[^\/]+\.t$/ } @other) {
    open my $fh, '<', $f or die "$f: $!";
    my $text = do { local $/; <$fh> };
    bad($f, 0, 'not a Test::Nginx::Socket suite')
        unless $text =~ /^use Test::Nginx::Socket/m;
    while ($text =~ /^(=== .*\b(?:ONLY|LAST))\s*$/mg) {
        bad($f, 0, "ONLY/LAST left in \"$1\"");
    }
}

exit $bad;
PERL

# the layers of the sources (docs/design.md)
perl scripts/layers.pl || fail=1

for f in scripts/*.sh .ci/run; do
    [ -f "$f" ] || continue
    bash -n "$f" || { echo "$f: bash syntax error"; fail=1; }
done

exit $fail
