# SPDX-License-Identifier: LGPL-2.1-or-later
"""Keyboard only: what the keyboard walk needs (keys sent to the focused
element, and each focus stop checked), then KeyWalk: browser_walk's screens
(its U-KEY and bind screens already by keyboard, here with every stop
checked; the rest overridden) driven with Tab, Shift+Tab, Enter, Space and
the arrow keys alone: no click, no element.click(), no focus() from a script. The keys go
to the element that has the focus (ActionChains without a target: a target
would be clicked first)."""

import time

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from browser_walk import Walk

RING = """const s = getComputedStyle(arguments[0]);
return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');"""

SHOWN = """const e = arguments[0], r = e.getBoundingClientRect(), s = getComputedStyle(e);
return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight
  && r.left < innerWidth && s.visibility !== 'hidden' && s.display !== 'none';"""

WHO = """const e = document.activeElement;
if (!e || e === document.body) return 'body';
const f = e.closest('fieldset'), l = f && f.querySelector('legend');
return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.type ? '[' + e.type + ']' : '')
  + (l ? ' in ' + JSON.stringify(l.textContent) : '');"""


class Keyboard:
    """Keys to the focused element; every stop it reaches checked: shown in
    the window, named in Chromium's accessibility tree, and drawn with a
    focus indicator (its outline or shadow differs once the focus left)."""

    def __init__(self, pg):
        self.pg, self.d = pg, pg.d
        self.bad = []

    def press(self, *keys):
        ActionChains(self.d).send_keys(*keys).perform()

    def back(self):
        """Shift+Tab (send_keys would press and release Shift alone first)."""
        ActionChains(self.d).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()

    def active(self):
        return self.d.switch_to.active_element

    def who(self):
        return self.pg.js(WHO)

    def ax(self):
        """The focused element's accessible name and description."""
        r = self.d.execute_cdp_cmd('Runtime.evaluate', {'expression': 'document.activeElement'})
        oid = (r.get('result') or {}).get('objectId')
        if not oid:
            return '', ''
        nodes = self.d.execute_cdp_cmd('Accessibility.getPartialAXTree',
                                       {'objectId': oid, 'fetchRelatives': False}).get('nodes') or [{}]
        n = nodes[0]
        return (((n.get('name') or {}).get('value') or '').strip(),
                ((n.get('description') or {}).get('value') or '').strip())

    def focused(self, css):
        return self.pg.js('return !!document.activeElement && document.activeElement.matches(arguments[0])', css)

    def heading_focused(self, screen):
        return self.focused(f'#s-{screen} h1')

    def _stop(self, prev):
        """Checks the stop just reached; prev: (element, ring, who) of the
        one before, whose ring is compared now the focus has left it."""
        e = self.active()
        who = self.who()
        if prev is not None:
            try:
                if self.pg.js(RING, prev[0]) == prev[1]:
                    self.bad.append(f'{prev[2]}: no focus indicator (outline/shadow as when not focused: {prev[1]})')
            except StaleElementReferenceException:
                pass
        if who == 'body':
            self.bad.append('the focus fell to the document body')
            return None
        if not self.pg.js(SHOWN, e):
            self.bad.append(f'{who}: focused but not shown in the window')
        name, _ = self.ax()
        if not name:
            self.bad.append(f'{who}: no accessible name')
        return (e, self.pg.js(RING, e), who)

    def tab_to(self, css, back=False, limit=60):
        """Tab (Shift+Tab with back) until the focus is on CSS. Every stop is
        checked; the target's indicator too (away by one stop and back)."""
        prev = None
        for _ in range(limit):
            self.back() if back else self.press(Keys.TAB)
            prev = self._stop(prev)
            if prev is not None and self.focused(css):
                target = prev
                self.press(Keys.TAB) if back else self.back()
                self._stop(target)
                self.back() if back else self.press(Keys.TAB)
                return self.focused(css)
        self.bad.append(f'not reached; the focus is on {self.who()}')
        return False

    def take_bad(self):
        b, self.bad = self.bad, []
        return b

    def erase(self, n):
        self.press(*([Keys.BACKSPACE] * n))


class KeyWalk(Walk):
    """The guide from the identity check on, by keyboard only."""

    def __init__(self, *a):
        super().__init__(*a)
        self.k = Keyboard(self.pg)

    def reach(self, css, what, back=False):
        ok = self.k.tab_to(css, back)
        bad = self.k.take_bad()
        self.t.ok(ok and not bad, f'keyboard: {"Shift+Tab" if back else "Tab"} reaches {what}; every stop shown, '
                  'named, with a visible focus indicator', f'reached={ok} at {self.k.who()}\n' + '\n'.join(bad))
        return ok

    def tab_to(self, css, limit=40):
        ok = self.k.tab_to(css, limit=limit)
        return ok, self.k.take_bad()

    def start_on_token(self):
        self.at_heading('token')

    def at_heading(self, screen):
        ok = self.wait(lambda: self.k.heading_focused(screen), 10)
        self.t.ok(ok, f'keyboard: the {screen} screen opens with the focus on its heading', self.k.who())

    def enter(self):
        self.k.press(Keys.ENTER)

    # --- 3: identity check, payment, invoices
    def pay(self):
        t, pg, L = self.t, self.pg, self.L
        self.at_heading('pay')
        txt = pg.screen_text()
        t.ok(L['pay.identity_todo'] in txt and L['pay.state.unpaid'] in txt,
             'the order: identity not checked yet, unpaid', txt)
        self.check_screen('pay-unpaid', 'unpaid order')
        rc1, _ = self.ca('check-identity', self.M)
        rc2, _ = self.ca('pay', self.env['OID'], 'wechat')
        t.ok(rc1 == 0 and rc2 == 0, 'the CA checks the identity and the order is paid (operator)')
        self.reach('#pay-body > button.secondary', '"Check again"')
        self.enter()
        ok = self.wait(lambda: L['pay.state.paid'] in pg.screen_text() and
                       pg.q('#pay-next').get_attribute('disabled') is None, 30)
        t.ok(ok, 'keyboard: Enter on "Check again": paid, identity checked, Next enabled', pg.screen_text())
        ok = self.wait(lambda: self.k.focused('#pay-body > button.secondary'), 10)
        t.ok(ok, '... the screen is rebuilt and the focus stays on "Check again"', self.k.who())

    def invoices(self):
        t, pg, k = self.t, self.pg, self.k
        self.reach('#inv-title', 'the invoice title field')
        k.press('测试单位有限公司')
        self.reach('#inv-tax', 'the tax number field')
        k.press('BAD-123')
        self.reach('.inv-form button[type=submit]', '"Request the invoice"')
        self.enter()
        ok = self.wait(lambda: pg.visible('#inv-tax-err'), 30)
        _, desc = k.ax()
        err = pg.text('#inv-tax-err')
        t.ok(ok and k.focused('#inv-tax') and err and err in desc,
             'keyboard: a bad tax number: the focus is put on the field, whose description reads the refusal',
             f'{k.who()} {desc!r} {err!r}')
        k.erase(len('BAD-123'))
        k.press('91440101MA5C123456')
        self.reach('.inv-form button[type=submit]', '"Request the invoice"')
        self.enter()
        ok = self.wait(lambda: pg.q('table.invoices tbody tr'), 30)
        t.ok(ok and '91440101MA5C123456' in pg.text('table.invoices'),
             'keyboard: the invoice requested with Enter is listed', pg.screen_text())
        t.ok(self.wait(lambda: k.focused('#inv-h'), 10), '... and the focus is on the invoices\' heading', k.who())
        rc, _ = self.ca('issue-invoice', pg.text('table.invoices tbody tr td'))
        t.ok(rc == 0, 'the CA issues the invoice (operator)')
        self.reach('#pay-body > button.secondary', '"Check again"', back=True)
        self.enter()
        self.wait(lambda: pg.q('table.invoices a[download]'), 30)
        self.reach('table.invoices a[download]', 'the invoice\'s download link')
        name, _ = k.ax()
        href = pg.js('return document.activeElement.getAttribute("href")')
        r = self.fetch(href) if href else {'status': 0, 'text': ''}
        t.ok(r['status'] == 200 and r['text'].startswith('%PDF') and 'Download invoice' in name,
             f'... named {name!r}, it gives the PDF', f"{r['status']} {r['text'][:40]!r}")
        self.reach('#pay-next', '"Next: seals"')
        self.enter()
        t.ok(self.wait(lambda: pg.screen() == 'seals' and pg.qa('fieldset.seal-plan'), 30),
             'keyboard: Enter opens the seals screen')

    # --- 4: seals
    def seal_of_focus(self):
        return self.pg.js("""const f = document.activeElement.closest('fieldset.seal-plan');
            return f ? f.querySelector('legend').textContent : null;""")

    def submit_disabled(self):
        return self.pg.q('#seals-action').get_attribute('disabled') is not None

    def settle(self):
        """Waits for the rule check the last change asked for."""
        self.wait(lambda: self.pg.q('.summary.ok, .summary.broken'), 20)
        time.sleep(0.6)

    def seals_screen(self):
        t, pg, k, L = self.t, self.pg, self.k, self.L
        self.at_heading('seals')
        dup = [s['id'] for s in self.service_seals if s['status'] == 'usable' and s['name'] == '业务章']
        t.ok(self.submit_disabled(), 'Submit is disabled before any choice')
        self.ofd_seals('seals')
        seen_dup = 0
        arrowed = broke = False
        stops = []
        prev = None
        for _ in range(40):
            k.press(Keys.TAB)
            prev = k._stop(prev)
            stops.append(prev)
            if k.focused('#seals-action'):
                break
            legend = self.seal_of_focus() or ''
            if k.focused('input[type=radio]'):
                k.press(Keys.SPACE)
                self.settle()
                if any(f'({i})' in legend or f'（{i}）' in legend for i in dup):
                    seen_dup += 1
                if seen_dup == 2 and not broke:
                    broke = True
                    _, desc = k.ax()
                    msgs = [e.text for e in pg.qa('.seal-errors li[data-rule=rule_identical_kept_twice]')]
                    live = pg.text('.summary[role=status]')
                    t.ok(msgs and all(m in desc for m in set(msgs)) and live and self.submit_disabled(),
                         'keyboard: both identical seals kept with Space: the broken rule is in the focused '
                         'radio\'s description and announced by the status line; Submit disabled',
                         f'desc={desc!r}\nrule={msgs}\nstatus={live!r}')
                    self.check_screen('keys-seals-broken', 'a seal rule broken by keyboard')
                    k.press(Keys.ARROW_DOWN)
                    self.settle()
                    prev = k._stop(prev)
                    t.ok(k.focused('input[type=radio][value=drop]:checked') and
                         not pg.qa('.seal-errors li[data-rule=rule_identical_kept_twice]'),
                         'keyboard: the arrow key moves to "Do not keep" and checks it: that rule is kept',
                         k.who())
            elif k.focused('select') and not arrowed:
                arrowed = True
                was = pg.js('return document.activeElement.value')
                k.press(Keys.ARROW_DOWN)
                self.settle()
                moved = pg.js('return document.activeElement.value')
                k.press(Keys.ARROW_UP)
                self.settle()
                back = pg.js('return document.activeElement.value')
                t.ok(moved != was and back == was, f'keyboard: the arrow keys change the seal type '
                     f'({was} -> {moved} -> {back})')
        k.back()
        k._stop(prev)
        k.press(Keys.TAB)
        bad = k.take_bad()
        t.ok(k.focused('#seals-action') and broke and arrowed and not bad,
             f'keyboard: Tab through every seal\'s choices to Submit ({len(stops)} stops, all shown, named, '
             'with a visible focus indicator)',
             '\n'.join(bad) + '\n' + k.who())
        ok = self.wait(lambda: not self.submit_disabled() and pg.visible('.summary.ok'), 30)
        t.ok(ok, 'every seal decided, no rule broken: Submit is enabled', pg.screen_text())
        self.enter()
        ok = self.wait(lambda: L['seals.cleaned'] in pg.screen_text(), 60)
        t.ok(ok and k.focused('#seals-action') and pg.text('#seals-action') == L['seals.next'],
             'keyboard: Enter on Submit cleans the seals; the focus stays on the button, now "Next: renew"',
             f'{k.who()}\n{pg.screen_text()}')
        t.ok(L['seals.cleaned'] in pg.js("""return [...document.querySelectorAll('#s-seals [role=status]')]
            .map((e) => e.textContent).join(' ')"""), '... and "your seals are cleaned" is in a status line')
        self.enter()
        t.ok(self.wait(lambda: pg.screen() == 'renew' and pg.visible('#renew-body .progress'), 30),
             'keyboard: Enter opens the renew screen')

    # --- 5: renew
    def renew_ready(self):
        t, pg, k = self.t, self.pg, self.k
        self.at_heading('renew')
        super().renew_ready()
        self.reach('#renew-cert-seals', 'the checked choice "certificate and seals"')
        k.press(Keys.ARROW_DOWN)
        t.ok(self.wait(lambda: k.focused('#renew-cert:checked'), 5), 'keyboard: the arrow key chooses '
             '"the certificate only"', k.who())
        k.press(Keys.ARROW_UP)
        t.ok(self.wait(lambda: k.focused('#renew-cert-seals:checked'), 5), '... and back to '
             '"certificate and seals"', k.who())
        self.reach('#renew-action', '"Renew"')

    def renew_failed(self):
        t, pg, k, L = self.t, self.pg, self.k, self.L
        self.ca('misbehave', 'fail-500')
        self.enter()
        warn = self.wait(lambda: pg.visible('#renew-body .warning'), 20)
        t.ok(warn, 'keyboard: Enter on "Renew" starts it ("do not remove your U-KEY" shown)')
        ok = self.wait(lambda: self.refusal_text('#s-renew'), 180)
        ok = self.wait(lambda: pg.text('#renew-action') == L['renew.action.resume'] and
                       k.focused('#renew-action:enabled'), 30)
        t.ok(ok, 'the renewal failed: the focus is on "Resume the renewal" (not lost to the page)', k.who())
        self.check_screen('keys-renew-failed', 'renewal failed (keyboard)')
        self.ca('misbehave', 'none')

    def act(self, css):
        """The click walk's click on CSS: here Enter, on CSS having the focus."""
        self.t.ok(self.k.focused(css), f'keyboard: {css} has the focus, Enter on it', self.k.who())
        self.enter()

    def renew_resume_with_pin(self):
        t, pg, k, L = self.t, self.pg, self.k, self.L
        self.at_heading('token')
        self.reach('#steps a[data-step=renew]', 'step 5 in the step list', back=True)
        self.enter()
        # The screen loads the journal's state after it opens: wait for all of it.
        ok = self.wait(lambda: pg.screen() == 'renew' and pg.visible('#s-renew input[type=password]') and
                       pg.text('#renew-action') == L['renew.action.resume'], 30)
        t.ok(ok,
             'keyboard: a new assistant: the renew screen asks for the PIN and offers "resume"', pg.screen_text())
        self.at_heading('renew')
        self.reach('#s-renew input[type=password]', 'the PIN field')
        k.press(self.pin)
        self.watch_progress()
        k.press(Keys.ENTER)
        self.progress_then_done()

    def done(self):
        self.at_heading('done')
        self.done_facts()
        k = self.k
        self.reach('#steps a[data-step=renew]', 'step 5 in the step list', back=True)
        self.enter()
        self.renew_finished()
        self.t.ok(k.focused('#s-renew h1'), 'keyboard: back on step 5, the focus is on its heading', k.who())

    def quit(self, a):
        t, pg = self.t, self.pg
        self.d.get(a.origin + '/#done')
        self.wait(lambda: pg.screen() == 'done' and pg.q('#done-body .notice'), 30)
        self.at_heading('done')
        self.reach('#done-quit', '"Close the assistant"')
        self.enter()
        rc = a.wait(30)
        t.ok(rc == 0, f'keyboard: Enter on "Close the assistant" stops the server (exit {rc})')

