// Peer scenario peer-njs-hs256 of scripts/bench.sh: an HS256 bearer token
// verified in njs (Debian's libnginx-mod-http-js), what a deployment
// without the module would write: split, base64url, HMAC-SHA256 with njs's
// crypto module, a constant-time compare, alg and exp checks.
// js_set $jwt_ok peer.ok: "1" for a valid token, "0" otherwise.
import key from 'peer-key.js';   // written by the scenario's setup
import crypto from 'crypto';

const secret = Buffer.from(key, 'base64');

function equal(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    let d = 0;
    for (let i = 0; i < a.length; i++) {
        d |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return d === 0;
}

function b64url(s) {
    return Buffer.from(s, 'base64url').toString();
}

function ok(r) {
    const auth = r.headersIn.Authorization;
    if (!auth || auth.slice(0, 7) !== 'Bearer ') {
        return '0';
    }
    const parts = auth.slice(7).split('.');
    if (parts.length !== 3) {
        return '0';
    }
    const sig = crypto.createHmac('sha256', secret)
        .update(parts[0] + '.' + parts[1]).digest('base64url');
    if (!equal(sig, parts[2])) {
        return '0';
    }
    try {
        const header = JSON.parse(b64url(parts[0]));
        const claims = JSON.parse(b64url(parts[1]));
        const now = Date.now() / 1000;
        if (header.alg !== 'HS256' || typeof claims.exp !== 'number'
            || claims.exp <= now
            || (typeof claims.nbf === 'number' && claims.nbf > now)) {
            return '0';
        }
    } catch (e) {
        return '0';
    }
    return '1';
}

export default { ok };
