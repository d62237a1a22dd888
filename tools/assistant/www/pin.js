/* SPDX-License-Identifier: LGPL-2.1-or-later */
// The PIN, typed once: a password field (never stored, cleared as soon as
// it is sent), or the desktop's PIN dialog when the module has one. The
// server makes one C_Login per request and never retries a wrong PIN.

import { el } from './util.js';
import { t } from './i18n.js';
import { get, post } from './api.js';
import * as refusal from './refusal.js';

let uid = 0;

export class PinPanel {
	constructor(purposeKey) {
		const id = `pin-${++uid}`;
		this.input = el('input', {
			type: 'password', id, name: 'pin', autocomplete: 'off', spellcheck: 'false',
			autocapitalize: 'off', 'aria-describedby': `${id}-tries ${id}-help`,
		});
		this.tries = el('p', { id: `${id}-tries`, class: 'tries', 'aria-live': 'polite' });
		this.finalBox = el('input', { type: 'checkbox', id: `${id}-final` });
		this.finalWarn = el('div', { class: 'warning alarm', hidden: true },
			el('p', { text: t('pin.final_warning') }),
			el('p', { class: 'check' }, this.finalBox, el('label', { for: `${id}-final`, text: t('pin.final_accept') })));
		this.dialogBtn = el('button', { type: 'button', class: 'secondary', hidden: true, text: t('pin.use_dialog') });
		this.dialogBtn.addEventListener('click', () => this.onDialog && this.onDialog());
		this.refusal = refusal.box();
		// Hidden until refresh() knows whether a login is needed: a field
		// shown before that may ask for a PIN the session already has.
		this.root = el('div', { class: 'pin-panel', hidden: true },
			el('p', { id: `${id}-help`, class: 'help', text: t(purposeKey) }),
			el('label', { for: id, class: 'big-label', text: t('pin.label') }),
			this.input, this.tries, this.finalWarn, this.dialogBtn, this.refusal);
		this.loggedIn = false;
	}

	// Shows the tries and the dialog choice; returns whether a login is needed.
	async refresh() {
		const [login, tok] = await Promise.all([get('/api/login'), get('/api/token').catch(() => null)]);
		this.loggedIn = !!login.logged_in;
		this.dialogBtn.hidden = !login.dialog_available;
		const pin = tok && tok.token ? tok.token.pin : null;
		this.setPin(pin);
		this.root.hidden = this.loggedIn;
		return !this.loggedIn;
	}

	setPin(pin) {
		this.final = !!pin && pin.state === 'final_try';
		this.finalWarn.hidden = !this.final;
		if (pin && pin.tries_left !== null && pin.tries_left !== undefined)
			this.tries.textContent = t('pin.tries', { left: pin.tries_left, max: pin.tries_max ?? '?' });
		else
			this.tries.textContent = pin && pin.text ? pin.text : '';
	}

	// Logs in with the field's PIN (dialog: the module's PIN dialog).
	// Resolves true when logged in; shows the refusal and resolves false.
	async login(dialog = false) {
		refusal.hide(this.refusal);
		if (this.loggedIn)
			return true;
		const body = { accept_final_try: this.final && this.finalBox.checked };
		if (dialog) {
			body.dialog = true;
		} else {
			body.pin = this.input.value;
			this.input.value = '';
			if (!body.pin) {
				this.refusal.hidden = false;
				this.refusal.textContent = t('pin.empty');
				this.input.focus();
				return false;
			}
		}
		try {
			const r = await post('/api/login', body);
			body.pin = undefined;
			this.loggedIn = !!r.logged_in;
			this.root.hidden = this.loggedIn;
			return this.loggedIn;
		} catch (err) {
			body.pin = undefined;
			if (err.code === 'wrong_pin' && err.triesLeft !== undefined)
				this.setPin({ state: err.triesLeft === 1 ? 'final_try' : 'ok', tries_left: err.triesLeft,
					tries_max: err.body.tries_max });
			if (err.code === 'final_try')
				this.setPin({ state: 'final_try', tries_left: 1, tries_max: err.body.tries_max });
			refusal.show(this.refusal, err);
			if (!dialog)
				this.input.focus();
			return false;
		}
	}
}
