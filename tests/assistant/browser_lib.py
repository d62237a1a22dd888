# SPDX-License-Identifier: LGPL-2.1-or-later
"""What tests/assistant/browser.py needs: TAP output, `ukey assistant`
started and read, the reference service's operator CLI, headless Chromium
through Selenium, and the accessibility checks on Chromium's own
accessibility tree (CDP Accessibility.getFullAXTree)."""

import json
import os
import re
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}", flush=True)
        if not cond and diag is not None:
            for line in str(diag).splitlines()[:40]:
                print(f"# {line}", flush=True)
        return bool(cond)

    def skip(self, desc, why):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {why}", flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed else 0


def bail(msg):
    print(f"Bail out! {msg}", flush=True)
    sys.exit(1)


class Assistant:
    """`ukey assistant --no-browser --port 0`: its launch URL from stdout."""

    def __init__(self, ukey, env, log, extra=()):
        self.log = open(log, 'ab')
        self.p = subprocess.Popen([ukey, 'assistant', '--no-browser', '--port', '0', *extra], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log)
        self.url = None
        line = self.p.stdout.readline().decode('utf-8', 'replace')
        m = re.search(r'(http://(127\.0\.0\.1|\[::1\]|localhost):(\d+))/\?s=([A-Za-z0-9_-]+)', line)
        if m:
            self.url = m.group(0)
            self.origin = m.group(1)
            self.port = int(m.group(3))
        self.first_line = line

    def alive(self):
        return self.p.poll() is None

    def wait(self, secs):
        try:
            return self.p.wait(secs)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.alive():
            self.p.terminate()
            if self.wait(15) is None:
                self.p.kill()
                self.p.wait()
        self.log.close()


def ca_cli(*args):
    """ca-service-cli against the running reference service (its JSON)."""
    cmd = [os.path.join(os.environ['CA_SERVICE_DIR'], 'ca-service-cli'), '--url', os.environ['CA_URL'],
           '--token-file', os.environ['CA_TOKEN_FILE'], '--cafile', os.environ['CA_TLS'], *args]
    r = subprocess.run(cmd, capture_output=True, timeout=60)
    out = r.stdout.decode('utf-8', 'replace')
    try:
        return r.returncode, json.loads(out) if out.strip() else None
    except ValueError:
        return r.returncode, out


def chrome():
    o = webdriver.ChromeOptions()
    o.binary_location = os.environ.get('UKEY_TEST_CHROMIUM', '/usr/bin/chromium')
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1100,1400',
              '--disable-background-networking', '--disable-component-update', '--no-first-run',
              '--disable-sync', '--lang=en-US'):
        o.add_argument(a)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    d = webdriver.Chrome(service=Service(os.environ.get('UKEY_TEST_CHROMEDRIVER', '/usr/bin/chromedriver')),
                         options=o)
    d.set_page_load_timeout(60)
    return d


class Page:
    """The browser on the assistant's page, with the waits the walk needs."""

    def __init__(self, driver, shots):
        self.d = driver
        self.shots = shots
        os.makedirs(shots, exist_ok=True)
        self.shot_names = []

    def wait(self, cond, secs=30, what='condition'):
        try:
            # The page re-renders as events come: an element found a moment
            # ago may be gone; look again.
            return WebDriverWait(self.d, secs, poll_frequency=0.2,
                                 ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: cond())
        except TimeoutException:
            return None
        except WebDriverException as e:
            raise RuntimeError(f'{what}: {e}') from e

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def q(self, css):
        found = self.d.find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else None

    def qa(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css):
        e = self.q(css)
        return e if e is not None and e.is_displayed() else None

    def text(self, css):
        e = self.q(css)
        return e.text if e is not None else ''

    def screen(self):
        return self.js("const s = document.querySelector('[data-screen]:not([hidden])');"
                       "return s ? s.dataset.screen : null;")

    def screen_text(self):
        return self.js("const s = document.querySelector('[data-screen]:not([hidden])');"
                       "return s ? s.innerText : '';") or ''

    def shot(self, name):
        path = os.path.join(self.shots, f'{len(self.shot_names) + 1:02d}-{name}.png')
        self.js('window.scrollTo(0, 0)')
        # The whole page, not only the window: the screenshot shows the screen.
        h = self.js('return Math.max(document.body.scrollHeight, 900)')
        self.d.set_window_size(1100, min(int(h) + 40, 4000))
        self.d.save_screenshot(path)
        self.d.set_window_size(1100, 1400)
        self.shot_names.append(os.path.basename(path))
        return path

    def console_errors(self):
        errs = []
        for e in self.d.get_log('browser'):
            # Refusals of API calls are answers the page shows; a CSP
            # violation or a script error is a bug.
            if e['level'] == 'SEVERE' and ('Content Security Policy' in e['message']
                                          or 'Uncaught' in e['message'] or 'SyntaxError' in e['message']):
                errs.append(e['message'])
        return errs

    def ax_problems(self):
        """Chromium's accessibility tree of the screen shown: unnamed
        controls, unnamed images, the document's language, the number of
        level-1 headings."""
        tree = self.d.execute_cdp_cmd('Accessibility.getFullAXTree', {})
        probs = []
        h1 = 0
        controls = 0
        for n in tree['nodes']:
            if n.get('ignored'):
                continue
            role = (n.get('role') or {}).get('value', '')
            name = ((n.get('name') or {}).get('value') or '').strip()
            props = {p['name']: p.get('value', {}).get('value') for p in n.get('properties', [])}
            if role in ('button', 'textbox', 'checkbox', 'radio', 'link', 'combobox', 'ComboBox',
                        'listbox', 'slider', 'spinbutton', 'switch', 'menuitem', 'tab'):
                controls += 1
                if not name:
                    probs.append(f'unnamed {role} (node {n.get("backendDOMNodeId")})')
            if role in ('image', 'img') and not name:
                probs.append(f'unnamed image (node {n.get("backendDOMNodeId")})')
            if role == 'heading' and props.get('level') == 1:
                h1 += 1
        if h1 != 1:
            probs.append(f'{h1} level-1 headings (want exactly 1)')
        lang = self.js('return document.documentElement.lang')
        if not lang:
            probs.append('no lang attribute on the document')
        return probs, controls, lang

    def has_visible_focus(self):
        """The focused element draws a focus indicator (an outline or a
        box shadow from :focus-visible)."""
        return self.js("""
            const e = document.activeElement;
            if (!e || e === document.body) return false;
            const s = getComputedStyle(e);
            return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';""")
