#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs. Idempotent: installs
# nothing when everything is already there.
#
#   scripts/setup.sh         everything: build, demo, tests, benchmarks,
#                            lint and the browser of t/e2e (scripts/test.sh)
#   scripts/setup.sh demo    only what scripts/demo.sh needs: build the
#                            module and run nginx, Redis and the demo
#                            backend (no test tools, no browser)
#   scripts/setup.sh asan    what scripts/build.sh --asan needs besides the
#                            build: the libraries of a full nginx build,
#                            the sanitizer runtimes, and Debian's source
#                            packages for `apt-get source nginx` (a deb-src
#                            twin of debian.sources, see below)
#   scripts/setup.sh valgrind the same for scripts/build.sh --valgrind,
#                            with valgrind instead of the sanitizers
#   scripts/setup.sh package what scripts/package.sh needs besides the
#                            build: debhelper and its tools
set -euo pipefail

what=${1:-all}

case "$what" in
    all|demo|asan|valgrind|package) ;;
    *) echo "usage: $0 [demo | asan | valgrind | package]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi

packages=(
    # build
    build-essential nginx nginx-dev libssl-dev libhiredis-dev
    libargon2-dev libjansson-dev libcrypt-dev pkg-config
    libqrencode-dev    # the QR code of TOTP enrolment
    libzxcvbn-dev      # the password policy's strength estimate
    libunistring-dev   # NFKC and case folding of passwords
    # run the demo: Redis, the backend, the user's hash, a demo token
    redis-server redis-tools python3 python3-jwt argon2
    libcryptx-perl     # scripts/secauth-mfa: the demo user with TOTP
)

if [ "$what" = all ]; then
    packages+=(
        # test
        perl libtest-base-perl libwww-perl
        libhttp-cookies-perl libjson-pp-perl libio-socket-ip-perl
        libcrypt-jwt-perl libcrypt-argon2-perl openssl
        curl procps whois
        apache2-utils      # htpasswd -B: legacy bcrypt files (t/login/legacy.t)
        iproute2 bc
        oathtool           # TOTP codes from an independent implementation
        zbar-tools         # zbarimg: the enrolment QR code decodes back
        libmagickcore-6.q16-6-extra   # its SVG coder: zbarimg reads the
                                      # page's SVG (t/mfa/qr.t)
        qrencode           # scripts/secauth-mfa prints the QR code
        # bench and lint
        wrk
        # bench only: the peers of scripts/bench.sh --peers, loaded by
        # their own bench configs (load_module). Installing them enables
        # their snippets in /etc/nginx/modules-enabled, which only the
        # system's /etc/nginx/nginx.conf reads: the tests write configs
        # of their own. lua-nginx-redis (resty.redis) depends on
        # nginx-extras, which enables Debian's other modules there too.
        libnginx-mod-http-js libnginx-mod-http-lua lua-nginx-redis
        lua-cjson
        # the fuzz targets of t/fuzz (scripts/fuzz.sh): clang's libFuzzer
        clang libfuzzer-14-dev
    )
fi

if [ "$what" = all ] || [ "$what" = package ]; then
    packages+=(
        # scripts/package.sh: the .deb, built as Debian's libnginx-mod-*
        # are (dh with dh-sequence-nginx, from nginx-dev)
        debhelper dpkg-dev fakeroot
    )
fi

if [ "$what" = asan ]; then
    packages+=(
        # nginx itself from source (pcre for rewrite and --with-pcre-jit,
        # zlib for gzip), apt-get source's tools, gcc 12's ASan and UBSan
        # runtimes (gcc-12 pulls them in; named so that a missing one is
        # installed rather than failing at link time)
        libpcre2-dev zlib1g-dev dpkg-dev libasan8 libubsan1
    )
fi

if [ "$what" = valgrind ]; then
    # the same nginx from source, and memcheck
    packages+=(libpcre2-dev zlib1g-dev dpkg-dev valgrind)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null

    # The Debian nginx package starts a system nginx on port 80; the
    # project never needs it, and it must not hold ports the tests use.
    if command -v systemctl >/dev/null 2>&1; then
        $sudo systemctl disable --now nginx redis-server >/dev/null 2>&1 \
            || true
    fi
fi

# Debian's source packages, for scripts/build.sh --asan: the deb-src twin
# of every enabled `Types: deb` stanza of debian.sources (same URIs,
# Suites, Components, Signed-By), in a file of its own. Written and
# followed by apt-get update only when it changes or when apt has no
# source index for nginx yet; a stanza that already lists deb-src gets
# no twin (apt would warn about a duplicate).
if [ "$what" = asan ] || [ "$what" = valgrind ]; then
    sources=/etc/apt/sources.list.d/debian.sources
    twin=/etc/apt/sources.list.d/secauth-deb-src.sources
    [ -f "$sources" ] || { echo "setup: no $sources" >&2; exit 1; }

    want=$(perl -e '
        local $/ = "";                          # one stanza per record
        my @out;
        while (my $st = <STDIN>) {
            $st =~ s/^#.*\n//mg;                # comments
            my %f;
            my $name;
            for my $line (split /\n/, $st) {
                if ($line =~ /^([\w-]+):\s*(.*)$/) {
                    $name = lc $1;
                    $f{$name} = $2;
                } elsif ($line =~ /^\s/ && defined $name) {
                    $f{$name} .= "\n$line";      # continuation (a key)
                }
            }
            my @types = split " ", $f{types} // "";
            next unless grep { $_ eq "deb" } @types;
            next if grep { $_ eq "deb-src" } @types;
            next if lc($f{enabled} // "yes") eq "no";
            my $s = "Types: deb-src\n";
            for (qw(URIs Suites Components Signed-By)) {
                $s .= "$_: $f{lc $_}\n" if defined $f{lc $_};
            }
            push @out, $s;
        }
        print "# Written by scripts/setup.sh asan (ngx_http_secauth_module):\n"
            . "# the deb-src twin of debian.sources, for apt-get source.\n\n"
            . join "\n", @out if @out;
    ' < "$sources")

    changed=
    if [ -z "$want" ]; then
        [ ! -f "$twin" ] || { $sudo rm -f "$twin"; changed=1; }
    elif [ "$(cat "$twin" 2>/dev/null)" != "$want" ]; then
        echo "setup: writing $twin"
        printf '%s\n' "$want" | $sudo tee "$twin.tmp" >/dev/null
        $sudo mv -f "$twin.tmp" "$twin"
        changed=1
    fi

    if [ -n "$changed" ] \
            || [ -z "$(apt-cache showsrc nginx 2>/dev/null)" ]; then
        echo "setup: apt-get update (source indexes)"
        $sudo apt-get update -qq
    fi
fi

# Headless Chromium and playwright-core for t/e2e/browser.t: tests only
if [ "$what" = all ]; then
    "$(dirname "$0")/../t/e2e/setup-browser.sh"
fi
