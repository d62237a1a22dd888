#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The renewal assistant's page driven in headless Chromium (Selenium and
chromedriver), the whole CA guide by clicking, against the reference CA
service and a virtual U-KEY prepared by browser-lib.sh: the U-KEY screen
(and, with a second key, the keys coming and going live), a keyboard-only
walk through the first screens (with WALK=keys, through every screen:
browser_keys.py), binding confirmed by the operator while the
page waits, identity check and payment, an invoice refused for its tax
number then issued and downloaded, seals cleaned by clicking (a broken rule
disables Submit), a renewal with seals failed by the service and resumed,
killed at a failpoint and resumed from a new assistant with the PIN typed
into the renew screen, the done screen's new dates; both locales; the
accessibility tree of each screen; a screenshot of each screen; a hostile
page on another loopback port refused. TAP on stdout."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_lib import Assistant, Page, Tap, bail, ca_cli, chrome  # noqa: E402
from browser_walk import Walk  # noqa: E402
from browser_keys import KeyWalk  # noqa: E402


def locale_env(loc, failpoint=None):
    e = dict(os.environ)
    for k in ('LC_ALL', 'LC_MESSAGES', 'LANGUAGE', 'LANG', 'UKEY_PIN_FILE', 'UKEY_FAILPOINT'):
        e.pop(k, None)
    if loc == 'zh':
        # LANGUAGE picks the messages (the server's and so the page's);
        # LC_ALL=C.UTF-8 makes gettext honour it where no zh_CN locale is
        # installed (as the other tests do).
        e.update(LANG='zh_CN.UTF-8', LANGUAGE='zh_CN', LC_ALL='C.UTF-8')
    else:
        e.update(LANG='C')
    if failpoint:
        e['UKEY_FAILPOINT'] = failpoint
    return e


def idle_exit(t, pg, start, dicts, loc):
    """A page left without use: the assistant stops (the U-KEY is not left
    logged in unattended) and the page says why and how to come back."""
    a = start(loc, extra=('--idle', '3'))
    if a is None:
        return
    pg.d.get(a.url)
    want = dicts[loc]['live.bye_idle']
    try:
        pg.wait(lambda: (lambda e: e is not None and 'state-bye' in (e.get_attribute('class') or ''))(
            pg.q('#token-live')), 30,
                'the page showing the assistant stopped')
        got = pg.text('#token-live')
    except Exception as e:  # noqa: BLE001 - a wait that ends is the failure reported
        got = f'(no bye shown: {e})'
    t.ok(got == want, f'a page left without use: the assistant stops after --idle and the page says why ({loc})',
         f'got {got!r}, want {want!r}')
    t.ok(a.wait(15) is not None, 'the idle assistant has exited')
    pg.shot('idle-stopped')


def main():
    env = os.environ
    w = env['W']
    www = env['UKEY_ASSISTANT_WWW']
    dicts = {loc: json.load(open(os.path.join(www, 'i18n', f), encoding='utf-8'))
             for loc, f in (('en', 'en.json'), ('zh', 'zh_CN.json'))}
    first = env.get('FIRST_LOCALE', 'en')
    second = 'zh' if first == 'en' else 'en'
    failpoints = env.get('FAILPOINTS') == '1'
    t = Tap()
    try:
        d = chrome()
    except Exception as e:  # noqa: BLE001 - any failure to start is a bail out
        bail(f'chromium/chromedriver did not start: {e}')
    d.set_script_timeout(60)
    pg = Page(d, env['SHOTS'])
    running = []

    def start(loc, failpoint=None, extra=()):
        a = Assistant(env['UKEY'], locale_env(loc, failpoint), os.path.join(w, 'assistant.log'), extra)
        running.append(a)
        if not a.url:
            t.ok(False, f'ukey assistant ({loc}) prints its launch URL', a.first_line + open(
                os.path.join(w, 'assistant.log'), encoding='utf-8', errors='replace').read()[-2000:])
            return None
        return a

    try:
        # The first assistant: the walk up to the renewal (killed at a
        # failpoint when the build has them).
        a = start(first, 'journal-3-after' if failpoints else None)
        if a is None:
            bail('ukey assistant did not start')
        t.ok(a.url.startswith('http://127.0.0.1:') or a.url.startswith('http://[::1]:'),
             f'ukey assistant --no-browser --port 0 prints a loopback launch URL with the secret ({first})')
        # WALK=keys: the whole guide by keyboard alone (browser_keys.py).
        walk = (KeyWalk if env.get('WALK') == 'keys' else Walk)(t, pg, dicts, env, ca_cli)
        walk.token(a, first)
        if env.get('SECOND_DEVICE'):
            walk.token_live()
        else:
            t.skip('the U-KEY screen follows keys inserted and removed live',
                   'SoftHSM tokens make no insertion events here (the SKF run checks it)')
        walk.keyboard_bind()
        walk.bind_confirmed()
        walk.pay()
        walk.invoices()
        walk.seals_screen()
        walk.renew_ready()
        walk.renew_failed()
        if failpoints:
            walk.renew_killed(a)
            b = start(second)
            if b is None:
                bail('the second ukey assistant did not start')
            walk.token(b, second, again=True)
            walk.renew_resume_with_pin()
        else:
            t.skip('a renewal killed at a failpoint is resumed by a new assistant',
                   'not a --enable-failpoints build')
            walk.renew_resume_same_page()
            b = a
        walk.done()
        walk.hostile(b, w)
        walk.quit(b)
        if not failpoints:
            # The second locale on a new assistant (one at a time: each
            # holds the U-KEY's session).
            walk.other_locale(start(second), second)
        walk.pin_dialog(start, first)
        idle_exit(t, pg, start, dicts, first)
        errs = pg.console_errors()
        t.ok(not errs, 'no script error and no Content-Security-Policy violation in the browser console',
             '\n'.join(errs))
    except Exception as e:  # noqa: BLE001 - reported as a failure, the rest is cleanup
        import traceback
        t.ok(False, f'the walk ran to its end (stopped on screen {pg.screen()!r})', traceback.format_exc())
        try:
            pg.shot('stopped-here')
        except Exception:  # noqa: BLE001
            pass
    finally:
        for a in running:
            a.stop()
        try:
            d.quit()
        except Exception:  # noqa: BLE001
            pass
    # The sanitizer pass: every assistant's stderr is in assistant.log.
    log = open(os.path.join(w, 'assistant.log'), encoding='utf-8', errors='replace').read()
    bad = [line for line in log.splitlines() if 'Sanitizer' in line or 'runtime error:' in line]
    t.ok(not bad and len(running) > 0, f'no sanitizer report from the {len(running)} assistants (their stderr)',
         '\n'.join(bad[:20]))
    with open(os.path.join(env['SHOTS'], 'index.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(pg.shot_names) + '\n')
    return t.done()


if __name__ == '__main__':
    sys.exit(main())
