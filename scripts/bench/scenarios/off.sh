# shellcheck shell=bash disable=SC2034
# The module is loaded and its access handler registered (another location
# enables the gate), but the measured location says "secauth off": the
# price of the module where it is not used.

desc='module loaded, gate active elsewhere, secauth off on the URL'
min_ratio=0.97

server_conf='
        location /bench/ {
            secauth off;
        }

        location /gated/ {
            secauth any;
        }'
