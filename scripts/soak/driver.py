"""Mixed traffic, Redis restarts, reloads and resource sampling for
scripts/soak.sh (which sets up nginx, Redis, users and keys; see
docs/testing.md, "Soak"). Standard library only (Debian's python3).

Every request is of one kind, and each kind has the set of statuses it may
get (ALLOWED): anything else, a timeout, or a connection lost outside a
reload window is counted as unexpected and fails the run. Prints the
counts, the workers' RSS and descriptors, and a verdict; exit 0 when all
is well, 1 otherwise.
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import re
import shlex
import statistics
import sys
import time
import urllib.parse

# kind: (allowed statuses, statuses that must be seen at least once)
ALLOWED = {
    # 503: the store is down (secauth_fail closed)
    'session_valid': ({200, 503}, {200}),
    'session_unknown': ({401, 503}, {401}),
    'session_garbage': ({401}, {401}),
    # secauth_jwt_revocation off: the JWT gate never needs the store
    'jwt_valid': ({200}, {200}),
    'jwt_expired': ({401}, {401}),
    'jwt_forged': ({401}, {401}),
    'jwt_garbage': ({401}, {401}),
    # 429: the failed-login throttle counts attempts as they start, so a
    # login that failed on the store (503) counts against alice too
    'login_ok': ({303, 429, 503}, {303}),
    'login_bad': ({401, 429, 503}, {401}),
    'login_json': ({200, 429, 503}, {200}),
    'refresh_fresh': ({200, 503}, {200}),
    'refresh_spent': ({400, 503}, {400}),
    'limited': ({200, 429, 503}, {200, 429}),
}

CHEAP = [('session_valid', 30), ('session_unknown', 12),
         ('session_garbage', 4), ('jwt_valid', 30), ('jwt_expired', 8),
         ('jwt_forged', 8), ('jwt_garbage', 8)]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def hs256(key, claims):
    head = b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = hmac.new(key, f'{head}.{body}'.encode(), hashlib.sha256).digest()
    return f'{head}.{body}.{b64url(sig)}'


class Stats:
    def __init__(self):
        self.counts = {k: {} for k in ALLOWED}
        self.unexpected = []
        self.reload_resets = 0
        self.timeouts = 0
        self.conn_errors = 0

    def add(self, kind, status):
        c = self.counts[kind]
        c[status] = c.get(status, 0) + 1
        if status not in ALLOWED[kind][0]:
            if len(self.unexpected) < 50:
                self.unexpected.append((time.time(), kind, status))
            return False
        return True


class Soak:
    def __init__(self, a):
        self.a = a
        self.stats = Stats()
        self.api_key = open(os.path.join(a.dir, 'api.key'), 'rb').read()
        self.t0 = time.time()
        self.end = self.t0 + a.minutes * 60
        self.warmup = min(30.0, a.minutes * 60 / 6)
        self.reloads = []          # times of nginx -s reload
        self.redis_downs = []      # (stop, start) times
        self.fresh = []            # refresh tokens not yet used
        self.spent = []            # refresh tokens used once
        self.cookies = []          # valid session cookies
        self.samples = {}          # worker pid -> [(t, rss, fds, other)]
        self.master = []           # (t, rss) of the master
        self.stopping = False
        now = int(time.time())
        self.jwt_valid = hs256(self.api_key, {
            'sub': 'soak', 'iat': now,
            'exp': now + int(a.minutes * 60) + 3600})
        self.jwt_expired = hs256(self.api_key, {
            'sub': 'soak', 'iat': now - 7200, 'exp': now - 3600})
        self.jwt_forged = hs256(os.urandom(32), {
            'sub': 'soak', 'iat': now, 'exp': now + 3600})

    # --- HTTP/1.1 over keep-alive connections ---

    def in_reload_window(self, t):
        return any(r - 0.5 <= t <= r + self.a.reload_window
                   for r in self.reloads)

    async def connect(self):
        return await asyncio.open_connection('127.0.0.1', self.a.port)

    async def exchange(self, conn, method, path, headers=(), body=b''):
        """Returns (status, headers dict, body, keep) or raises."""
        reader, writer = conn
        req = [f'{method} {path} HTTP/1.1', 'Host: localhost']
        req += list(headers)
        if body or method == 'POST':
            req.append(f'Content-Length: {len(body)}')
        writer.write(('\r\n'.join(req) + '\r\n\r\n').encode() + body)
        await writer.drain()
        head = await reader.readuntil(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        m = re.match(r'HTTP/1\.\d (\d{3})', lines[0])
        if not m:
            raise ConnectionError('bad status line')
        hdrs = {}
        for line in lines[1:]:
            if ':' in line:
                k, v = line.split(':', 1)
                hdrs.setdefault(k.strip().lower(), v.strip())
        data = b''
        if hdrs.get('transfer-encoding', '').lower() == 'chunked':
            while True:
                size = int((await reader.readline()).split(b';')[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        elif 'content-length' in hdrs:
            data = await reader.readexactly(int(hdrs['content-length']))
        keep = hdrs.get('connection', '').lower() != 'close'
        return int(m.group(1)), hdrs, data, keep

    async def request(self, lane, kind, method, path, headers=(), body=b''):
        """One request of KIND on the lane's connection; returns
        (status, headers, body) or None when it failed."""
        t = time.time()
        try:
            if lane.get('conn') is None:
                lane['conn'] = await asyncio.wait_for(self.connect(),
                                                      self.a.timeout)
            status, hdrs, data, keep = await asyncio.wait_for(
                self.exchange(lane['conn'], method, path, headers, body),
                self.a.timeout)
        except asyncio.TimeoutError:
            self.close(lane)
            self.stats.timeouts += 1
            if len(self.stats.unexpected) < 50:
                self.stats.unexpected.append((t, kind, 'timeout'))
            return None
        except (OSError, ConnectionError, asyncio.IncompleteReadError,
                ValueError) as e:
            self.close(lane)
            now = time.time()
            if self.in_reload_window(now) or self.in_reload_window(t):
                self.stats.reload_resets += 1
            else:
                self.stats.conn_errors += 1
                if len(self.stats.unexpected) < 50:
                    self.stats.unexpected.append(
                        (now, kind, f'connection: {type(e).__name__} {e}'))
            return None
        if not keep:
            self.close(lane)
        self.stats.add(kind, status)
        return status, hdrs, data

    def close(self, lane):
        conn = lane.get('conn')
        lane['conn'] = None
        if conn:
            conn[1].close()

    # --- the kinds ---

    async def one(self, lane, kind):
        form = ('Content-Type: application/x-www-form-urlencoded',)
        if kind == 'session_valid':
            sid = random.choice(self.cookies)
            await self.request(lane, kind, 'GET', '/s/',
                               (f'Cookie: sid={sid}',))
        elif kind == 'session_unknown':
            sid = b64url(os.urandom(32))
            await self.request(lane, kind, 'GET', '/s/',
                               (f'Cookie: sid={sid}',))
        elif kind == 'session_garbage':
            sid = random.choice(['x', '!!!', b64url(os.urandom(200)),
                                 b64url(os.urandom(31)) + '%00'])
            await self.request(lane, kind, 'GET', '/s/',
                               (f'Cookie: sid={sid}',))
        elif kind.startswith('jwt_'):
            if kind == 'jwt_garbage':
                tok = random.choice(['a.b.c', b64url(os.urandom(40)),
                                     self.jwt_valid[:-3] + 'AAA',
                                     'e30.e30.', '...'])
            else:
                tok = getattr(self, kind)
            await self.request(lane, kind, 'GET', '/api/',
                               (f'Authorization: Bearer {tok}',))
        elif kind == 'login_ok':
            r = await self.request(lane, kind, 'POST', '/login', form,
                                   self.login_body('alice'))
            if r and r[0] == 303:
                m = re.match(r'sid=([^;]+)', r[1].get('set-cookie', ''))
                if m and len(self.cookies) < 64:
                    self.cookies.append(m.group(1))
        elif kind == 'login_bad':
            user = random.choice(['bob', 'mallory'])
            await self.request(lane, kind, 'POST', '/login', form,
                               urllib.parse.urlencode({
                                   'username': user,
                                   'password': 'not the password'}).encode())
        elif kind == 'login_json':
            body = json.dumps({'username': 'alice',
                               'password': self.a.password}).encode()
            r = await self.request(lane, kind, 'POST', '/login',
                                   ('Content-Type: application/json',), body)
            if r and r[0] == 200:
                self.fresh.append(json.loads(r[2])['refresh_token'])
        elif kind == 'refresh_fresh':
            if not self.fresh:
                return
            tok = self.fresh.pop(0)
            r = await self.request(lane, kind, 'POST', '/token/refresh', form,
                                   f'refresh_token={tok}'.encode())
            # after a 503 the token may or may not be spent: dropped
            if r and r[0] == 200:
                self.spent.append(tok)
        elif kind == 'refresh_spent':
            if not self.spent:
                return
            tok = self.spent.pop(0)
            await self.request(lane, kind, 'POST', '/token/refresh', form,
                               f'refresh_token={tok}'.encode())
        elif kind == 'limited':
            await self.request(lane, kind, 'GET', '/limited/')

    def login_body(self, user):
        return urllib.parse.urlencode({'username': user,
                                       'password': self.a.password}).encode()

    async def closed_loop(self):
        lane = {}
        kinds = [k for k, _ in CHEAP]
        weights = [w for _, w in CHEAP]
        while time.time() < self.end:
            await self.one(lane, random.choices(kinds, weights)[0])
        self.close(lane)

    async def paced(self, kinds, rate):
        lane = {}
        gap = 1.0 / rate
        nxt = time.time()
        while time.time() < self.end:
            for kind in kinds:
                await self.one(lane, kind)
            nxt += gap
            await asyncio.sleep(max(0.0, nxt - time.time()))
        self.close(lane)

    # --- chaos ---

    async def run(self, *cmd):
        p = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        return await p.wait()

    async def redis_restarts(self):
        a = self.a
        while True:
            await asyncio.sleep(a.redis_restart)
            if time.time() >= self.end - 2:
                return
            stop = time.time()
            # persistence: SHUTDOWN SAVE writes the dump the restart loads
            await self.run('redis-cli', '-p', str(a.redis_port),
                           'shutdown', 'save')
            for _ in range(100):
                if await self.run('redis-cli', '-p', str(a.redis_port),
                                  'ping') != 0:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(a.redis_down)
            await self.run(*shlex.split(a.redis_cmd))
            start = time.time()
            self.redis_downs.append((stop, start))

    async def reloader(self):
        a = self.a
        while True:
            await asyncio.sleep(a.reload)
            if time.time() >= self.end - 2:
                return
            self.reloads.append(time.time())
            await self.run(a.nginx, '-p', a.dir + '/', '-c',
                           a.dir + '/nginx.conf', '-s', 'reload')

    # --- resources ---

    def client_inodes(self):
        """Inodes of the sockets connected to nginx's port (clients)."""
        ino = set()
        for f in ('/proc/net/tcp', '/proc/net/tcp6'):
            try:
                lines = open(f).read().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                p = line.split()
                lport = int(p[1].split(':')[1], 16)
                if lport == self.a.port and p[3] != '0A':
                    ino.add(p[9])
        return ino

    def workers(self):
        out = []
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                st = open(f'/proc/{pid}/stat').read()
                ppid = int(st.rsplit(')', 1)[1].split()[1])
                cmd = open(f'/proc/{pid}/cmdline').read()
            except OSError:
                continue
            if (ppid == self.a.master and 'worker process' in cmd
                    and 'shutting down' not in cmd):
                out.append(int(pid))
        return out

    @staticmethod
    def rss(pid):
        try:
            for line in open(f'/proc/{pid}/status'):
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        except OSError:
            pass
        return None

    def fds(self, pid, clients):
        total = other = 0
        try:
            names = os.listdir(f'/proc/{pid}/fd')
        except OSError:
            return None, None
        for n in names:
            try:
                link = os.readlink(f'/proc/{pid}/fd/{n}')
            except OSError:
                continue
            total += 1
            m = re.match(r'socket:\[(\d+)\]', link)
            if not (m and m.group(1) in clients):
                other += 1
        return total, other

    async def sampler(self):
        while time.time() < self.end:
            t = time.time()
            clients = self.client_inodes()
            for pid in self.workers():
                rss = self.rss(pid)
                total, other = self.fds(pid, clients)
                if rss is not None and total is not None:
                    self.samples.setdefault(pid, []).append(
                        (t, rss, total, other))
            rss = self.rss(self.a.master)
            if rss is not None:
                self.master.append((t, rss))
            await asyncio.sleep(self.a.sample)

    async def progress(self):
        while time.time() < self.end:
            await asyncio.sleep(30)
            n = sum(sum(c.values()) for c in self.stats.counts.values())
            print(f'soak: {time.time() - self.t0:5.0f}s {n} requests, '
                  f'{len(self.stats.unexpected)} unexpected, '
                  f'{len(self.reloads)} reloads, '
                  f'{len(self.redis_downs)} Redis restarts', flush=True)

    async def main(self):
        a = self.a
        lane = {}
        for _ in range(8):
            r = await self.request(lane, 'login_ok', 'POST', '/login',
                                   ('Content-Type: '
                                    'application/x-www-form-urlencoded',),
                                   self.login_body('alice'))
            m = r and re.match(r'sid=([^;]+)', r[1].get('set-cookie', ''))
            if m:
                self.cookies.append(m.group(1))
        self.close(lane)
        if not self.cookies:
            print('soak: the first logins failed', file=sys.stderr)
            return 2
        tasks = [self.closed_loop() for _ in range(a.connections)]
        tasks += [self.paced(['login_ok'], 2), self.paced(['login_bad'], 2),
                  self.paced(['login_json', 'refresh_fresh',
                              'refresh_spent'], 3),
                  self.paced(['limited'], 25),
                  self.redis_restarts(), self.reloader(), self.sampler(),
                  self.progress()]
        await asyncio.gather(*[asyncio.ensure_future(t) for t in tasks])
        return 0


# --- the report ---

def regress(points):
    """Slope of y over x (per unit of x), or 0."""
    if len(points) < 3:
        return 0.0
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    d = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / d if d else 0.0


def report(s, errlog):
    a = s.a
    st = s.stats
    bad = []
    print()
    print(f'{"KIND":16} {"REQUESTS":>9}  STATUSES (allowed: see '
          'scripts/soak/driver.py)')
    total = 0
    for kind, counts in st.counts.items():
        n = sum(counts.values())
        total += n
        parts = ' '.join(f'{k}:{v}' for k, v in sorted(counts.items()))
        allowed, required = ALLOWED[kind]
        odd = sum(v for k, v in counts.items() if k not in allowed)
        missing = sorted(required - set(counts))
        flag = ''
        if odd:
            flag += f'  UNEXPECTED {odd}'
        if missing:
            flag += f'  never saw {missing}'
            bad.append(f'{kind}: never answered {missing}')
        print(f'{kind:16} {n:9}  {parts}{flag}')
    elapsed = min(time.time(), s.end) - s.t0
    odd = sum(sum(v for k, v in c.items() if k not in ALLOWED[kind][0])
              for kind, c in st.counts.items())
    print(f'total {total} requests in {elapsed:.0f} s '
          f'({total / elapsed:.0f}/s); {len(s.redis_downs)} Redis restarts '
          f'(down {statistics.fmean([b - a_ for a_, b in s.redis_downs]):.1f}'
          f' s each), {len(s.reloads)} reloads'
          if s.redis_downs else
          f'total {total} requests in {elapsed:.0f} s')
    print(f'unexpected statuses: {odd}; timeouts (> {a.timeout:g} s): '
          f'{st.timeouts}; connections lost outside a reload window: '
          f'{st.conn_errors}; inside one (allowed): {st.reload_resets}')
    for t, kind, what in st.unexpected[:20]:
        print(f'  at {t - s.t0:6.1f}s {kind}: {what}')
    if odd:
        bad.append(f'{odd} unexpected statuses')
    if st.timeouts:
        bad.append(f'{st.timeouts} timeouts (a loaded machine, or a hang)')
    if st.conn_errors:
        bad.append(f'{st.conn_errors} connections lost outside reloads')

    # the error log
    text = open(errlog, errors='replace').read()
    signals = re.findall(r'exited on signal \d+.*', text)
    alerts = re.findall(r'\[alert\].*', text)
    crits = re.findall(r'\[crit\].*', text)
    exits = re.findall(r'worker process \d+ exited with code (\d+)', text)
    nonzero = [c for c in exits if c != '0']
    print(f'error log: worker crashes (exited on signal): {len(signals)}; '
          f'[alert]: {len(alerts)}; [crit]: {len(crits)}; worker exits '
          f'{len(exits)} ({len(nonzero)} with a non-zero code)')
    for line in (signals + alerts + crits)[:10]:
        print('  ' + line[:200])
    if signals or alerts or nonzero:
        bad.append('worker crashes or alerts in the error log')

    # resources: like with like
    flat = resources(s, bad)
    print()
    if bad:
        print('soak: FAIL: ' + '; '.join(bad))
        return 1
    print('soak: PASS' + ('' if flat else ' (resources not judged)'))
    return 0


def resources(s, bad):
    a = s.a
    t_warm = s.t0 + s.warmup
    gens = []
    for pid, smp in s.samples.items():
        born = smp[0][0]
        life = [x for x in smp if x[0] >= t_warm]
        if len(life) < 3:
            continue
        gens.append((born, pid, smp, life))
    gens.sort()
    if not gens:
        print('resources: too few samples')
        return False
    print()
    print(f'workers sampled every {a.sample:g} s, after a {s.warmup:.0f} s '
          'warm-up (RSS kB; fds without client connections)')
    print(f'{"PID":>8} {"BORN":>6} {"SAMPLES":>7} {"RSS_FIRST":>9} '
          f'{"RSS_LAST":>8} {"RSS_MAX":>7} {"KB/MIN":>7} {"GROWTH":>7} '
          f'{"FDS_MIN":>7} '
          f'{"FDS_MAX":>7} {"FDS_ALL":>7}')
    growths = []
    for born, pid, smp, life in gens:
        # a worker's own warm-up: the first 15 s of its life are not judged
        judged = [x for x in life if x[0] - born >= 15]
        k = regress([((x[0] - judged[0][0]) / 60, x[1]) for x in judged])
        grow = judged[-1][1] - judged[0][1] if len(judged) >= 3 else None
        if grow is not None:
            growths.append(grow)
        print(f'{pid:8} {born - s.t0:6.0f} {len(life):7} {life[0][1]:9} '
              f'{life[-1][1]:8} {max(x[1] for x in life):7} {k:7.0f} '
              f'{"-" if grow is None else grow:>7} '
              f'{min(x[3] for x in life):7} {max(x[3] for x in life):7} '
              f'{max(x[2] for x in life):7}')

    # the first and the last window after the warm-up
    span = s.end - t_warm
    win = min(60.0, span / 3)
    first = [x for g in gens for x in g[3] if x[0] <= t_warm + win]
    last = [x for g in gens for x in g[3] if x[0] >= s.end - win]
    ok = True
    if first and last:
        # the highest: a worker's RSS steps up once both hashing threads
        # have hashed, so a median compares mixes of warm and cold ones
        d0 = statistics.median(x[1] for x in first)
        d1 = statistics.median(x[1] for x in last)
        r0 = max(x[1] for x in first)
        r1 = max(x[1] for x in last)
        f0 = max(x[3] for x in first)
        f1 = max(x[3] for x in last)
        slack = max(a.rss_slack, r0 * 0.05)
        rss_flat = r1 <= r0 + slack
        fds_flat = f1 <= f0 + a.fd_slack
        print(f'workers, first {win:.0f} s after warm-up vs last {win:.0f} s:'
              f' RSS max {r0:.0f} -> {r1:.0f} kB '
              f'({r1 - r0:+.0f}, slack {slack:.0f}): '
              f'{"flat" if rss_flat else "NOT FLAT"} (median {d0:.0f} -> '
              f'{d1:.0f}); fds max {f0} -> {f1} (slack {a.fd_slack}): '
              f'{"flat" if fds_flat else "NOT FLAT"}')
        if not rss_flat:
            bad.append('worker RSS grew')
        if not fds_flat:
            bad.append('worker descriptors grew')
        ok = rss_flat and fds_flat
    if growths:
        med = statistics.median(growths)
        life_flat = med <= a.rss_slack
        print(f'within a worker\'s life (from 15 s of age to its last sample):'
              f' median RSS growth {med:+.0f} kB over {len(growths)} workers '
              f'(slack {a.rss_slack:g}): '
              f'{"flat" if life_flat else "NOT FLAT"}')
        if not life_flat:
            bad.append('worker RSS grows within a worker\'s life')
        ok = ok and life_flat
    # the master's baseline: after its first reload (the first new cycle
    # takes its allocator's peak)
    base = s.reloads[0] + 5 if s.reloads else t_warm
    m = [x for x in s.master if x[0] >= base]
    if len(m) >= 2 and len(s.reloads) >= 2:
        m_flat = m[-1][1] <= m[0][1] + a.rss_slack
        print(f'master RSS {m[0][1]} kB after the first reload -> '
              f'{m[-1][1]} kB after {len(s.reloads)}: '
              f'{"flat" if m_flat else "NOT FLAT"}')
        if not m_flat:
            bad.append('master RSS grew')
        ok = ok and m_flat
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--dir', required=True)
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--redis-port', type=int, required=True)
    p.add_argument('--redis-cmd', required=True)
    p.add_argument('--master', type=int, required=True)
    p.add_argument('--nginx', default='nginx')
    p.add_argument('--password', required=True)
    p.add_argument('--minutes', type=float, default=10)
    p.add_argument('--redis-restart', type=float, default=30)
    p.add_argument('--redis-down', type=float, default=1)
    p.add_argument('--reload', type=float, default=45)
    p.add_argument('--reload-window', type=float, default=10)
    p.add_argument('--connections', type=int, default=8)
    p.add_argument('--timeout', type=float, default=10)
    p.add_argument('--sample', type=float, default=2)
    p.add_argument('--rss-slack', type=float, default=4096)
    p.add_argument('--fd-slack', type=int, default=2)
    a = p.parse_args()
    s = Soak(a)
    rc = asyncio.run(s.main())
    if rc:
        return rc
    return report(s, os.path.join(a.dir, 'error.log'))


if __name__ == '__main__':
    sys.exit(main())
