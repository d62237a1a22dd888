# SPDX-License-Identifier: LGPL-2.1-or-later
"""A hostile page: served by `python3 -m http.server` on another loopback
port (the same site as the assistant for cookies: SameSite does not look
at ports), loaded in the same browser that holds the assistant's cookie.
It reads the session (CSRF token), logs the session out and stops the
server with fetch(), then with a plain HTML form POST. Each must be
refused, and the assistant must be unchanged: still running, still logged
in."""

import os
import socket
import subprocess
import sys
import time

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hostile</title></head>
<body><h1>A page from elsewhere</h1><pre id="out"></pre>
<script src="hostile.js"></script></body></html>
"""

# Every attempt writes one line into #out; "done" last.
SCRIPT = """const target = new URLSearchParams(location.search).get('t');
const out = document.getElementById('out');
const say = (s) => { out.textContent += s + '\\n'; };
(async () => {
  try {
    const r = await fetch(target + '/api/session', { credentials: 'include' });
    say('session: read ' + (await r.text()));
  } catch (e) { say('session: blocked'); }
  try {
    await fetch(target + '/api/logout', { method: 'POST', mode: 'no-cors', credentials: 'include',
      headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    say('logout: sent blind');
  } catch (e) { say('logout: blocked'); }
  try {
    const r = await fetch(target + '/api/quit', { method: 'POST', credentials: 'include',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'guessed' }, body: '{}' });
    say('quit: answered ' + r.status);
  } catch (e) { say('quit: blocked'); }
  say('done');
})();
"""

FORM = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hostile form</title></head>
<body><form id="f" method="post" enctype="text/plain">
<input type="hidden" name='{"x":"' value='"}'></form>
<script src="hostile-form.js"></script></body></html>
"""
FORM_SCRIPT = """const f = document.getElementById('f');
f.action = new URLSearchParams(location.search).get('t') + '/api/quit';
f.submit();
"""


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def hostile(walk, a, w):
    t, pg, d = walk.t, walk.pg, walk.d
    root = os.path.join(w, 'hostile')
    os.makedirs(root, exist_ok=True)
    for name, text in (('index.html', PAGE), ('hostile.js', SCRIPT), ('form.html', FORM),
                       ('hostile-form.js', FORM_SCRIPT)):
        with open(os.path.join(root, name), 'w', encoding='utf-8') as f:
            f.write(text)
    port = free_port()
    srv = subprocess.Popen([sys.executable, '-m', 'http.server', str(port), '--bind', '127.0.0.1'], cwd=root,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                socket.create_connection(('127.0.0.1', port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        before = walk.fetch('/api/login')['json'] or {}
        d.get(f'http://127.0.0.1:{port}/index.html?t={a.origin}')
        pg.wait(lambda: 'done' in pg.text('#out'), 30)
        out = pg.text('#out')
        t.ok('session: blocked' in out, 'hostile page: fetch() cannot read the session (no CORS): '
             'the CSRF token stays secret', out)
        t.ok('quit: blocked' in out, 'hostile page: a JSON POST with a guessed CSRF token is stopped '
             '(its preflight is refused)', out)
        pg.shot('hostile-page')
        d.get(f'http://127.0.0.1:{port}/form.html?t={a.origin}')
        pg.wait(lambda: d.current_url.startswith(a.origin), 30)
        body = pg.js('return document.body ? document.body.innerText : ""') or ''
        t.ok('"error"' in body and ('origin' in body or 'content_type' in body),
             'hostile page: a plain form POST to /api/quit is refused (its Origin is not the assistant\'s)',
             body[:300])
        time.sleep(1)
        t.ok(a.alive(), 'the assistant is still running after the hostile page')
        d.get(a.origin + '/#done')
        pg.wait(lambda: pg.screen() == 'done', 30)
        after = walk.fetch('/api/login')['json'] or {}
        t.ok(before.get('logged_in') is True and after.get('logged_in') is True,
             'its session is unchanged: still logged in (the blind logout was refused)', f'{before} {after}')
    finally:
        srv.terminate()
        srv.wait(10)
