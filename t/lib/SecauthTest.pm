package SecauthTest;

# Helpers shared by the suites: session ids and records written straight
# into Redis in the documented format (docs/sessions.md), through
# redis-cli, so that the tests depend on nothing but the format.

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(encode_base64url);
use Exporter 'import';

our @EXPORT = qw(new_sid sid_key redis redis_put_session);

my $port = $ENV{TEST_NGINX_REDIS_PORT}
    or die "TEST_NGINX_REDIS_PORT is not set (run scripts/test.sh)\n";

sub new_sid {
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!";
    read($fh, my $bytes, 32) == 32 or die "urandom: short read";
    close $fh;
    return encode_base64url($bytes);
}

sub sid_key {
    my ($sid, $prefix) = @_;
    return ($prefix // 'secauth:') . 'session:' . sha256_hex($sid);
}

# redis(ARGS...) runs one command and returns its output, chomped
sub redis {
    open my $fh, '-|', 'redis-cli', '-p', $port, @_
        or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    chomp $out;
    return $out;
}

# redis_put_session(SID, USER, CREATED_AGO, LAST_SEEN_AGO, TTL)
sub redis_put_session {
    my ($sid, $user, $created_ago, $seen_ago, $ttl, $prefix) = @_;
    my $now = time;
    my $record = sprintf '{"user":"%s","created":%d,"last_seen":%d,'
                         . '"level":1,"pwv":0,"ip":"127.0.0.1"}',
                         $user, $now - $created_ago, $now - $seen_ago;
    return redis('SET', sid_key($sid, $prefix), $record, 'EX', $ttl || 600);
}

1;
