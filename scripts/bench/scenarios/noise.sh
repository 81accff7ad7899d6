# shellcheck shell=bash disable=SC2034
# A/A control: a second plain nginx without the module, configured exactly
# like the baseline. Its ratio should be 1.00; its spread over the rounds
# is the noise floor of this machine, to read the other ratios against.

desc='A/A control: plain nginx again (noise floor), ratio should be 1.00'
module=no

server_conf='
        location /bench/ {
        }'
