# SPDX-License-Identifier: LGPL-2.1-or-later
"""The screens of the assistant, one method each, for browser.py."""

import json
import os
import re
import subprocess
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

FETCH = """const cb = arguments[arguments.length - 1];
fetch(arguments[0], { credentials: 'same-origin', cache: 'no-store' })
  .then(async (r) => { const b = new Uint8Array(await r.arrayBuffer());
    cb({ status: r.status, type: r.headers.get('content-type'),
         text: new TextDecoder().decode(b.slice(0, 4096)) }); })
  .catch((e) => cb({ status: 0, text: String(e) }));"""


def day(secs):
    return time.strftime('%Y-%m-%d', time.localtime(secs))


class Walk:
    def __init__(self, t, pg, dicts, env, ca_cli):
        self.t, self.pg, self.d = t, pg, pg.d
        self.dicts = dicts
        self.env = env
        self.ca = ca_cli
        self.M = env['M']
        self.pin = env['PIN']
        self.service_seals = json.loads(open(env['SEALS_JSON'], encoding='utf-8').read())['seals']
        self.L = dicts['en']
        self.old_not_after = None

    # --- helpers
    def fetch(self, path):
        r = self.d.execute_async_script(FETCH, path)
        try:
            r['json'] = json.loads(r['text'])
        except (ValueError, TypeError):
            r['json'] = None
        return r

    def check_screen(self, name, what):
        """The accessibility tree of the screen shown, then its screenshot."""
        probs, controls, lang = self.pg.ax_problems()
        self.t.ok(not probs, f'{what}: accessibility tree: {controls} controls all named, images named, '
                  f'lang={lang}, one h1', '\n'.join(probs))
        self.pg.shot(name)

    def wait(self, cond, secs=30, what=''):
        return self.pg.wait(cond, secs, what)

    def refusal_text(self, scope):
        return self.pg.js(f"""const r = [...document.querySelectorAll('{scope} .refusal')]
            .filter((e) => !e.hidden); return r.map((e) => e.innerText).join('\\n');""") or ''

    def tab_to(self, css, limit=40):
        """Tab (only) until the focus is on CSS; every stop shows a focus
        ring. Returns (reached, stops without a visible focus)."""
        bad = []
        for _ in range(limit):
            ActionChains(self.d).send_keys(Keys.TAB).perform()
            tag = self.pg.js("const e = document.activeElement; return e ? e.tagName + '#' + e.id : ''")
            if not self.pg.has_visible_focus():
                bad.append(tag)
            if self.pg.js('return document.activeElement && document.activeElement.matches(arguments[0])', css):
                return True, bad
        return False, bad

    def start_on_token(self):
        self.d.execute_script('document.querySelector("#s-token h1").focus()')

    def act(self, css):
        self.click(css)

    def click(self, css):
        e = self.pg.q(css)
        e.click()
        return e

    def click_text(self, scope, text):
        for b in self.pg.qa(f'{scope} button'):
            if b.is_displayed() and b.text.strip() == text:
                b.click()
                return True
        return False

    # --- 1: the U-KEY
    def token(self, a, loc, again=False):
        t, pg = self.t, self.pg
        self.L = L = self.dicts[loc]
        self.d.get(a.url)
        ok = self.wait(lambda: pg.screen() == 'token' and pg.visible('#token-body .facts'), 60, 'token')
        t.ok(ok, f'{loc}: the launch URL opens the U-KEY screen with the key\'s facts', pg.screen_text())
        t.ok(self.d.current_url.split('#')[0] == a.origin + '/',
             f'{loc}: the launch URL redirected to / (the secret left the address bar)', self.d.current_url)
        lang = pg.js('return document.documentElement.lang')
        t.ok(lang == ('zh-CN' if loc == 'zh' else 'en') and pg.text('#s-token h1') == L['token.title'],
             f'{loc}: the page is in {"Chinese" if loc == "zh" else "English"} (lang={lang}, '
             f'h1 {pg.text("#s-token h1")!r})')
        txt = pg.screen_text()
        tok = self.fetch('/api/token')['json'] or {}
        k = (tok.get('token') or {})
        sign = next((c for c in k.get('certs', []) if c.get('sign')), None) or {}
        if not again:
            self.old_not_after = sign.get('not_after')
        want = [self.M, L['token.holder'], L['token.issuer'], L['token.trust_number'], L['token.days']]
        if sign.get('holder'):
            want.append(sign['holder'])
        if sign.get('not_after'):
            want.append(day(sign['not_after']))
        missing = [w for w in want if w not in txt]
        t.ok(not missing, f'{loc}: medium number, holder, issuer, trust number, validity and days left shown',
             f'missing: {missing}\n{txt}')
        if again:
            self.check_screen(f'token-{loc}', f'{loc}: U-KEY screen')
            return
        imgs = pg.js("""return [...document.querySelectorAll('#token-body img.seal-pic')].map((i) =>
            ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0, ph: i.classList.contains('placeholder') }));""")
        self.wait(lambda: all(i['ok'] for i in pg.js("""return [...document.querySelectorAll(
            '#token-body img.seal-pic')].map((i) => ({ ok: i.complete && i.naturalWidth > 0 }));""")), 15)
        imgs = pg.js("""return [...document.querySelectorAll('#token-body img.seal-pic')].map((i) =>
            ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0, ph: i.classList.contains('placeholder') }));""")
        n = len(k.get('seals', []))
        t.ok(n > 0 and len(imgs) == n and all(i['alt'] and i['ok'] for i in imgs)
             and any(not i['ph'] for i in imgs),
             f'{loc}: each of the {n} seals on the U-KEY is shown with its picture (decoded, with alt text)',
             json.dumps(imgs, ensure_ascii=False))
        self.ofd_placeholder('#token-body', k.get('seals', []), loc)
        self.check_screen('token', f'{loc}: U-KEY screen')

    def ofd_placeholder(self, scope, seals, loc):
        """A seal whose picture is an OFD package (the service's 财务专用章,
        UKEY_CA_OFD_SEALS=1): the labelled placeholder, named as one."""
        ofd = [s for s in seals if s.get('picture') == 'ofd']
        if not ofd:
            self.t.ok(False, f'{loc}: the service made a seal with an OFD picture (UKEY_CA_OFD_SEALS=1)',
                      json.dumps(seals, ensure_ascii=False)[:800])
            return
        want = self.L['seal.picture_ofd'].format_map({'name': ofd[0].get('name', '')})
        self.wait(lambda: len(self.pg.qa(f'{scope} img.seal-pic.placeholder')) >= len(ofd), 15)
        ph = self.pg.js("""return [...document.querySelectorAll(arguments[0] + ' img.seal-pic.placeholder')]
            .map((i) => ({ alt: i.alt, ok: i.complete && i.naturalWidth > 0, src: i.getAttribute('src') }));""", scope)
        self.t.ok(len(ph) == len(ofd) and all(p['alt'] == want and p['ok'] for p in ph),
                  f'{loc}: the seal with an OFD picture ({ofd[0].get("name")}) is the labelled placeholder, '
                  f'alt {want!r}', json.dumps(ph, ensure_ascii=False))

    def ofd_seals(self, where):
        ofd = [dict(s, picture='ofd') for s in self.service_seals if s['name'] == '财务专用章']
        self.ofd_placeholder('#seals-body', ofd, where)

    def token_live(self):
        """SKF: a second key inserted, then the first removed and put back:
        the screen follows the token events without a reload."""
        t, pg, L = self.t, self.pg, self.L
        a_dev, b_dev = self.env['FIRST_DEVICE'], self.env['SECOND_DEVICE']
        os.rename(b_dev + '.out', b_dev)
        ok = self.wait(lambda: pg.visible('#token-body .state-several') and
                       pg.text('#token-live') == L['live.several'], 30)
        t.ok(ok, 'a second U-KEY inserted: "remove the other U-KEY" appears by itself (screen and live line)',
             pg.text('#token-live') + '\n' + pg.screen_text())
        t.ok(pg.q('#token-next').get_attribute('disabled') is not None, '... and Next is disabled meanwhile')
        self.check_screen('token-two-keys', 'two U-KEYs')
        os.rename(b_dev, b_dev + '.out')
        ok = self.wait(lambda: pg.visible('#token-body .facts'), 30)
        t.ok(ok, 'the other U-KEY removed: the key\'s facts come back by themselves')
        os.rename(a_dev, a_dev + '.out')
        ok = self.wait(lambda: pg.visible('#token-body .state-none') and
                       pg.text('#token-live') == L['live.none'], 30)
        t.ok(ok, 'the U-KEY removed: "insert your U-KEY" appears by itself', pg.screen_text())
        self.check_screen('token-none', 'no U-KEY')
        os.rename(a_dev + '.out', a_dev)
        ok = self.wait(lambda: pg.visible('#token-body .facts') and self.M in pg.screen_text(), 30)
        t.ok(ok, 'the U-KEY put back: its facts are shown again')

    # --- 2: bind, keyboard only (Tab and Enter, typing the PIN)
    def keyboard_bind(self):
        t, pg, L = self.t, self.pg, self.L
        self.start_on_token()
        ok, bad = self.tab_to('#token-next')
        t.ok(ok and not bad, 'keyboard: Tab from the heading reaches "Next" with a visible focus at each stop',
             f'reached={ok} no ring on: {bad}')
        ActionChains(self.d).send_keys(Keys.ENTER).perform()
        ok = self.wait(lambda: pg.screen() == 'bind' and pg.visible('#s-bind input[type=password]'), 20)
        t.ok(ok, 'keyboard: Enter on "Next" opens the bind screen, asking for the PIN first')
        ok, bad = self.tab_to('#s-bind input[type=password]')
        t.ok(ok and not bad, 'keyboard: Tab reaches the PIN field', f'{ok} {bad}')
        pw = pg.q('#s-bind input[type=password]')
        t.ok(pw.get_attribute('autocomplete') == 'off', 'the PIN field is a password field with autocomplete=off')
        ActionChains(self.d).send_keys('000000' if self.pin != '000000' else '111111', Keys.ENTER).perform()
        ok = self.wait(lambda: self.refusal_text('#s-bind'), 30)
        txt = self.refusal_text('#s-bind')
        head = L['next.wrong_pin'].split('{')[0].strip()
        t.ok(ok and head in txt, 'a wrong PIN is refused in words, with what to do next', txt)
        msg = pg.text('#s-bind .refusal-msg')
        cjk = any('\u4e00' <= c <= '\u9fff' for c in msg)
        t.ok(cjk == (L is self.dicts['zh']), f'... the server\'s words in the page\'s language ({msg!r})')
        t.ok(pw.get_attribute('value') == '', '... and the PIN field was cleared when the PIN was sent')
        self.check_screen('bind-wrong-pin', 'wrong PIN')
        tok = (self.fetch('/api/token')['json'] or {}).get('token') or {}
        left = (tok.get('pin') or {}).get('tries_left')
        if left is not None:
            t.ok(pg.text('#s-bind .tries') == L['pin.tries'].format_map({'left': left, 'max': tok['pin']['tries_max']}),
                 f'the tries left are shown under the PIN field ({pg.text("#s-bind .tries")})')
            self.final_try(left)
        else:
            t.skip('the final try: a clear warning, and nothing tried until the user confirms',
                   'this token does not count PIN tries (SoftHSM): the SKF run checks it')
        ActionChains(self.d).send_keys(self.pin, Keys.ENTER).perform()
        ok = self.wait(lambda: pg.visible('#bind-body .code'), 60)
        t.ok(ok, 'keyboard: the right PIN and Enter: the binding code is shown', self.refusal_text('#s-bind'))

    BURN = """const [left, cb] = [arguments[0], arguments[arguments.length - 1]];
        (async () => { const s = await (await fetch('/api/session')).json(); let n = left, r = null;
          while (n > 1) { r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json',
            'X-CSRF-Token': s.csrf }, body: JSON.stringify({ pin: '0000000' }) });
            const j = await r.json(); if (!j.error || j.error.tries_left === undefined) break; n = j.error.tries_left; }
          cb(n); })().catch((e) => cb(String(e)));"""

    def final_try(self, left):
        """The PIN down to its last try (wrong PINs sent to the API from the
        page's origin): the bind screen warns, and refuses to try until the
        box is ticked; keyboard only."""
        t, pg, L = self.t, self.pg, self.L
        n = self.d.execute_async_script(self.BURN, left)
        self.d.get(self.d.current_url.split('#')[0] + '#token')
        self.wait(lambda: pg.screen() == 'token' and pg.visible('#token-body .facts'), 30)
        self.click('#token-next')
        ok = self.wait(lambda: pg.visible('#s-bind .pin-panel .warning'), 30)
        t.ok(n == 1 and ok and L['pin.final_warning'] in pg.text('#s-bind .pin-panel .warning'),
             f'one try left ({n}): the PIN field is shown with a clear last-try warning', pg.screen_text())
        ok, _ = self.tab_to('#s-bind input[type=password]')
        ActionChains(self.d).send_keys(self.pin, Keys.ENTER).perform()
        ok = self.wait(lambda: self.refusal_text('#s-bind'), 30)
        txt = self.refusal_text('#s-bind')
        tok = (self.fetch('/api/token')['json'] or {}).get('token') or {}
        t.ok(ok and L['next.final_try'] in txt and (tok.get('pin') or {}).get('tries_left') == 1,
             'the last try not confirmed: refused in words, and nothing was tried (still one left)', txt)
        self.check_screen('bind-final-try', 'last PIN try')
        ok, bad = self.tab_to('#s-bind .pin-panel .warning input[type=checkbox]')
        ActionChains(self.d).send_keys(Keys.SPACE).perform()
        t.ok(ok and pg.q('#s-bind .pin-panel .warning input[type=checkbox]').is_selected(),
             'keyboard: Tab and Space tick "use my last try"')
        self.tab_to('#s-bind input[type=password]')

    def bind_confirmed(self):
        t, pg, L = self.t, self.pg, self.L
        codes = [e.text.strip() for e in pg.qa('#bind-body .code')]
        t.ok(len(codes) == 2 and codes[1] == self.M[-4:] and len(codes[0]) >= 4,
             f'the binding code and the medium number\'s last four digits are shown big ({codes})')
        qr = pg.js("""const i = document.querySelector('#bind-body img.qr');
            return i ? { alt: i.alt, ok: i.complete && i.naturalWidth > 0 } : null;""")
        t.ok(qr is None or (qr['alt'] and qr['ok']), f'the QR code (when the server made one) is a named picture: {qr}')
        self.check_screen('bind-code', 'binding code')
        rc, _ = self.ca('confirm-binding', codes[0], self.M[-4:])
        t.ok(rc == 0, 'the operator confirms the binding (the phone\'s side)')
        ok = self.wait(lambda: pg.visible('#bind-body .bind-state.state-bound'), 30)
        t.ok(ok, 'the page shows the binding confirmed by itself (no click, no reload)', pg.screen_text())
        ok, bad = self.tab_to('#bind-action')
        t.ok(ok and not bad and pg.text('#bind-action') == L['bind.next'],
             'keyboard: Tab goes on to "Next: identity and payment"', f'{ok} {bad} {pg.text("#bind-action")}')
        self.check_screen('bind-bound', 'bound')
        ActionChains(self.d).send_keys(Keys.ENTER).perform()
        t.ok(self.wait(lambda: pg.screen() == 'pay' and pg.visible('#pay-body .facts'), 30),
             'keyboard: Enter opens the identity and payment screen')

    # --- 3: identity check, payment, invoices
    def pay(self):
        t, pg, L = self.t, self.pg, self.L
        txt = pg.screen_text()
        # browser-lib.sh makes the order with --price 30000 (fen).
        price = L['pay.price_yuan'].replace('{price}', '300.00')
        t.ok(L['pay.identity_todo'] in txt and L['pay.state.unpaid'] in txt and L['pay.covers.cert+seals'] in txt
             and price in txt,
             f'the order: identity not checked yet, unpaid, covering the certificate and the seals, with its price '
             f'({price})',
             txt)
        t.ok(pg.q('#pay-next').get_attribute('disabled') is not None, '... and Next is disabled until it is paid')
        self.check_screen('pay-unpaid', 'unpaid order')
        oid = self.env['OID']
        rc1, _ = self.ca('check-identity', self.M)
        rc2, _ = self.ca('pay', oid, 'wechat')
        t.ok(rc1 == 0 and rc2 == 0, 'the CA checks the identity and the order is paid (operator)')
        self.click_text('#s-pay', L['pay.refresh'])
        ok = self.wait(lambda: L['pay.state.paid'] in pg.screen_text() and
                       pg.q('#pay-next').get_attribute('disabled') is None, 30)
        t.ok(ok, '"Check again": paid, identity checked, Next enabled', pg.screen_text())

    def invoices(self):
        t, pg = self.t, self.pg
        pg.q('#inv-title').send_keys('测试单位有限公司')
        pg.q('#inv-tax').send_keys('BAD-123')
        self.click('.inv-form button[type=submit]')
        ok = self.wait(lambda: pg.visible('#inv-tax-err'), 30)
        err = pg.text('#inv-tax-err')
        t.ok(ok and err and pg.q('#inv-tax').get_attribute('aria-invalid') == 'true'
             and not pg.visible('#inv-title-err'),
             'a bad tax number: the refusal is shown in words under the tax number field, which is marked invalid',
             f'{err!r}\n{pg.screen_text()}')
        t.ok(pg.js('return document.activeElement.id') == 'inv-tax', '... and the focus is put on that field')
        self.check_screen('invoice-refused', 'invoice refused')
        pg.q('#inv-tax').clear()
        pg.q('#inv-tax').send_keys('91440101MA5C123456')
        self.click('.inv-form button[type=submit]')
        ok = self.wait(lambda: pg.q('table.invoices tbody tr'), 30)
        t.ok(ok and '91440101MA5C123456' in pg.text('table.invoices') and not pg.q('table.invoices a[download]'),
             'a right tax number: the invoice is listed, requested (no document yet)', pg.screen_text())
        inv_id = pg.text('table.invoices tbody tr td')
        rc, _ = self.ca('issue-invoice', inv_id)
        t.ok(rc == 0, f'the CA issues invoice {inv_id} (operator)')
        self.click_text('#s-pay', self.L['pay.refresh'])
        self.wait(lambda: pg.q('table.invoices a[download]'), 30)
        link = pg.q('table.invoices a[download]')
        r = self.fetch(link.get_attribute('href')) if link else {'status': 0, 'text': ''}
        t.ok(r['status'] == 200 and r['text'].startswith('%PDF') and 'pdf' in (r.get('type') or ''),
             'its download link gives the PDF', f"{r['status']} {r.get('type')} {r['text'][:40]!r}")
        self.check_screen('invoices', 'invoice issued')
        self.click('#pay-next')
        t.ok(self.wait(lambda: pg.screen() == 'seals' and pg.qa('fieldset.seal-plan'), 30),
             'Next opens the seals screen with the seals to clean')

    # --- 4: seals
    def fs(self, sid):
        for f in self.pg.qa('fieldset.seal-plan'):
            if f'({sid})' in f.find_element('css selector', 'legend').text or \
                    f'（{sid}）' in f.find_element('css selector', 'legend').text:
                return f
        return None

    def choose(self, sid, action):
        f = self.fs(sid)
        f.find_element('css selector', f'input[value={action}]').click()

    def seals_screen(self):
        t, pg, L = self.t, self.pg, self.L
        usable = [s for s in self.service_seals if s['status'] == 'usable']
        bad = [s for s in self.service_seals if s['status'] != 'usable']
        dup = [s for s in usable if s['name'] == '业务章']
        one = [s for s in usable if s['name'] != '业务章']
        t.ok(len(pg.qa('fieldset.seal-plan')) == len(self.service_seals) and len(dup) == 2 and one and bad,
             f'every seal of the service is listed ({len(self.service_seals)}: a duplicate pair, another, an unusable one)')
        ub = self.fs(bad[0]['id'])
        t.ok(ub is not None and not ub.find_elements('css selector', 'input, select')
             and 'unusable' in ub.get_attribute('class'), 'the unusable seal offers nothing to choose')
        t.ok(pg.q('#seals-action').get_attribute('disabled') is not None, 'Submit is disabled before any choice')
        self.ofd_seals('seals')
        self.choose(dup[0]['id'], 'keep')
        self.choose(dup[1]['id'], 'keep')
        self.choose(one[0]['id'], 'keep')
        ok = self.wait(lambda: self.fs(dup[1]['id']).find_elements(
            'css selector', '[data-rule=rule_identical_kept_twice]'), 30)
        msgs = [e.text for e in self.fs(dup[1]['id']).find_elements('css selector', '.seal-errors li')]
        t.ok(ok and all(msgs), 'both identical seals kept: the broken rule is named in words under the seals '
             'it concerns', '\n'.join(msgs) + '\n' + pg.screen_text())
        t.ok(pg.q('#seals-action').get_attribute('disabled') is not None, '... and Submit is disabled')
        self.check_screen('seals-broken', 'a seal rule broken')
        self.choose(dup[1]['id'], 'drop')
        ok = self.wait(lambda: pg.q('#seals-action').get_attribute('disabled') is None and
                       pg.visible('.summary.ok'), 30)
        t.ok(ok and not pg.qa('.seal-errors li'), 'one of them dropped: no rule broken, Submit enabled',
             pg.screen_text())
        self.check_screen('seals-valid', 'a valid seal plan')
        self.click('#seals-action')
        ok = self.wait(lambda: L['seals.cleaned'] in pg.screen_text(), 60)
        t.ok(ok, 'Submit: the service cleans the seals', pg.screen_text())
        r = self.fetch('/api/seals')
        t.ok(r['json'] and r['json'].get('abnormal') is False, 'the service says the seals are in order now',
             r['text'][:300])
        self.click('#seals-action')
        t.ok(self.wait(lambda: pg.screen() == 'renew' and pg.visible('#renew-body .progress'), 30),
             '"Next: renew" opens the renew screen')

    # --- 5: renew
    def renew_ready(self):
        t, pg, L = self.t, self.pg, self.L
        both = pg.q('#renew-cert-seals')
        t.ok(both is not None and both.is_selected() and pg.q('#renew-cert') is not None,
             'the order covers the seals: "certificate and seals" offered and chosen, "certificate only" offered')
        t.ok(L['renew.pin_done'] in pg.screen_text() and not pg.visible('#s-renew input[type=password]'),
             'the PIN was typed once already: the renew screen does not ask again')
        self.check_screen('renew-ready', 'ready to renew')

    def renew_failed(self):
        t, pg, L = self.t, self.pg, self.L
        self.ca('misbehave', 'fail-500')
        self.click('#renew-action')
        warn = self.wait(lambda: pg.visible('#renew-body .warning'), 20)
        t.ok(warn and L['renew.dont_remove'] in pg.text('#renew-body .warning'),
             '"do not remove your U-KEY" is shown while the renewal runs')
        ok = self.wait(lambda: self.refusal_text('#s-renew'), 180)
        txt = self.refusal_text('#s-renew')
        t.ok(ok and len(txt) > 20, 'the service failing: the renewal stops and the page says why in words', txt)
        ok = self.wait(lambda: pg.text('#renew-action') == L['renew.action.resume'] and
                       pg.q('#renew-action').get_attribute('disabled') is None, 30)
        t.ok(ok, 'the page offers "resume the renewal"', pg.text('#renew-action'))
        self.check_screen('renew-failed', 'renewal failed, resume offered')
        self.ca('misbehave', 'none')

    def renew_killed(self, a):
        t, pg, L = self.t, self.pg, self.L
        self.act('#renew-action')
        rc = a.wait(180)
        t.ok(rc == -9, f'resumed, the assistant is killed at the failpoint after step 3 (exit {rc})')
        ok = self.wait(lambda: pg.text('#token-live') == L['live.lost'], 30)
        t.ok(ok, 'the page says the connection to the assistant was lost', pg.text('#token-live'))
        ok = self.wait(lambda: L['next.offline_renew'] in self.refusal_text('#s-renew'), 30)
        t.ok(ok, '... and how to go on: start it again and resume (the journal keeps the renewal)',
             self.refusal_text('#s-renew'))
        self.pg.shot('renew-killed')

    def renew_resume_with_pin(self):
        t, pg, L = self.t, self.pg, self.L
        self.click('#steps a[data-step=pay]')
        ok = self.wait(lambda: pg.screen() == 'pay' and L['pay.login_first'] in pg.screen_text(), 30)
        t.ok(ok and pg.text('#pay-next') == L['pay.back_bind'],
             'a new session: the payment screen says to enter the PIN first (the API\'s login_required), '
             'its button leads back to step 2', pg.screen_text())
        self.check_screen('pay-login-first', 'PIN needed first')
        self.click('#steps a[data-step=renew]')
        ok = self.wait(lambda: pg.screen() == 'renew' and L['renew.pending'] in pg.screen_text() and
                       pg.visible('#s-renew input[type=password]') and
                       pg.text('#renew-action') == L['renew.action.resume'], 30)
        t.ok(ok,
             'a new assistant: the renew screen says a renewal was interrupted, asks for the PIN, offers "resume"',
             pg.screen_text())
        self.check_screen('renew-resume', 'interrupted renewal, resume offered')
        pw = pg.q('#s-renew input[type=password]')
        pw.send_keys(self.pin)
        self.watch_progress()
        self.click('#renew-action')
        t.ok(pw.get_attribute('value') == '', 'the PIN field is cleared as soon as the PIN is sent')
        self.progress_then_done()

    def renew_resume_same_page(self):
        self.watch_progress()
        self.act('#renew-action')
        self.progress_then_done()

    WATCH = """window.ukeySteps = new Set();
        new MutationObserver(() => { for (const l of document.querySelectorAll('#renew-body .progress li'))
            window.ukeySteps.add(l.className + ':' + l.dataset.step); })
          .observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });"""

    def watch_progress(self):
        """Every state the steps take, seen by the page itself: a renewal
        resumed near its end can finish between two looks of the test."""
        self.pg.js(self.WATCH)

    def progress_then_done(self):
        t, pg, L = self.t, self.pg, self.L
        seen = set()

        def look():
            seen.update(pg.js('return window.ukeySteps ? [...window.ukeySteps] : []') or [])
            if pg.screen() == 'done':
                return True
            for li in pg.js("return [...document.querySelectorAll('#renew-body .progress li')]"
                            ".map((l) => l.className + ':' + l.dataset.step)"):
                seen.add(li)
            return False
        ok = self.wait(look, 240)
        states = {s.split(':')[0] for s in seen}
        t.ok(ok, 'the renewal finishes and the done screen opens by itself', self.refusal_text('#s-renew'))
        t.ok(states & {'done', 'skipped', 'running'}, f'the eight steps showed live progress ({sorted(seen)})')

    # --- 6: done
    def done(self):
        self.done_facts()
        self.click('#steps a[data-step=renew]')
        self.renew_finished()

    def done_facts(self):
        t, pg = self.t, self.pg
        ok = self.wait(lambda: pg.visible('#done-cert-to'), 30)
        shown = pg.text('#done-cert-to')
        tok = self.fetch('/api/token')['json'] or {}
        certs = (tok.get('token') or {}).get('certs', [])
        sign = next((c for c in certs if c.get('sign')), {})
        t.ok(ok and sign and shown == day(sign['not_after']) and sign['not_after'] > (self.old_not_after or 0),
             f'the done screen shows the new certificate\'s validity ({shown}, later than '
             f'{day(self.old_not_after or 0)})', pg.screen_text())
        seals = pg.qa('section[aria-labelledby=done-seals-h] dd')
        t.ok(seals and all(re.search(r'\d{4}-\d\d-\d\d', s.text) for s in seals),
             f'... and each renewed seal with its new validity ({len(seals)})', pg.screen_text())
        self.check_screen('done', 'done')

    def renew_finished(self):
        t, pg, L = self.t, self.pg, self.L
        ok = self.wait(lambda: pg.screen() == 'renew' and len(pg.qa('#renew-body .progress li.done, '
                                                                   '#renew-body .progress li.skipped')) == 8, 30)
        t.ok(ok and L['renew.finished'] in pg.screen_text(),
             'back on step 5: the eight steps as they went (done, or skipped as done before the interruption)',
             pg.screen_text())
        self.check_screen('renew-finished', 'renewal finished')

    def other_locale(self, a, loc):
        if a is None:
            return
        self.token(a, loc, again=True)
        a.stop()

    # --- a hostile page on another loopback port, in the same browser
    def hostile(self, a, w):
        from browser_hostile import hostile
        hostile(self, a, w)

    def pin_dialog(self, start, loc):
        """The module configured with its PIN dialog (pin_prompt = pinentry,
        the tests' scripted pinentry): the bind screen offers "use the PIN
        dialog", and the session logs in through it without the page ever
        holding the PIN."""
        t, pg = self.t, self.pg
        with open(self.env['UKEY_PKCS11_CONF'], 'a', encoding='utf-8') as f:
            f.write(f"\n[module]\npin_prompt = pinentry\npinentry = {self.env['PINENTRY']}\n")
        a = start(loc)
        if a is None:
            return
        self.L = L = self.dicts[loc]
        self.d.get(a.url)
        self.wait(lambda: pg.screen() == 'token' and pg.visible('#token-body .facts'), 60)
        self.click('#steps a[data-step=bind]')
        btn = self.wait(lambda: self.visible_button('#s-bind', L['pin.use_dialog']), 30)
        t.ok(btn, 'the module has a PIN dialog: the bind screen offers "use the PIN dialog"', pg.screen_text())
        self.check_screen('bind-pin-dialog', 'PIN dialog offered')
        if btn:
            btn.click()
        ok = self.wait(lambda: pg.visible('#bind-body .bind-state.state-bound'), 60)
        log = ''
        if os.path.exists(self.env['UKEY_TEST_PINENTRY_LOG']):
            log = open(self.env['UKEY_TEST_PINENTRY_LOG'], encoding='utf-8').read()
        t.ok(ok and 'GETPIN' in log, 'the PIN typed into the desktop\'s dialog logs the session in '
             '(the page never held it): the binding is shown', pg.screen_text() + '\n' + log[-500:])
        a.stop()

    def visible_button(self, scope, text):
        for b in self.pg.qa(f'{scope} button'):
            if b.is_displayed() and b.text.strip() == text:
                return b
        return None

    def quit(self, a):
        t, pg = self.t, self.pg
        self.d.get(a.origin + '/#done')
        self.wait(lambda: pg.screen() == 'done', 30)
        self.click('#done-quit')
        rc = a.wait(30)
        t.ok(rc == 0, f'"Close the assistant" stops the server (exit {rc})')
