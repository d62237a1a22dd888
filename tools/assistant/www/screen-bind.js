/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Step 2: the binding code and the medium number's last four digits, big
// enough to type on a phone, the QR code, and the state following the
// server's binding events (a poll as well, in case the stream drops).

import { $, el, clear, dayTime } from './util.js';
import { t } from './i18n.js';
import { get, post } from './api.js';
import * as refusal from './refusal.js';
import { PinPanel } from './pin.js';

let body;
let action;
let box;
let pin;
let stateLine;
let mode = 'code';
let poll = null;

function setMode(m) {
	mode = m;
	action.textContent = t(m === 'next' ? 'bind.next' : pin && !pin.loggedIn ? 'bind.login_code' : 'bind.get_code');
}

function stopPoll() {
	if (poll)
		clearInterval(poll);
	poll = null;
}

// The service says "confirmed" where the guide says bound: one state here.
const bound = (st) => st === 'bound' || st === 'confirmed';

function showState(st, at) {
	if (bound(st))
		st = 'bound';
	if (!stateLine)
		return;
	stateLine.className = `bind-state state-${st}`;
	stateLine.textContent = st === 'bound' && at ? t('bind.state.bound_at', { at: dayTime(at) }) : t(`bind.state.${st}`);
	if (st === 'bound') {
		stopPoll();
		setMode('next');
	} else if (st === 'expired') {
		stopPoll();
		setMode('code');
		action.textContent = t('bind.new_code');
	}
}

function showBound() {
	clear(body);
	stateLine = el('p', { class: 'bind-state', role: 'status', 'aria-live': 'polite' });
	body.append(el('div', { class: 'notice state-ok' }, stateLine));
	showState('bound');
}

function showCode(b) {
	clear(body);
	stateLine = el('p', { class: 'bind-state', role: 'status', 'aria-live': 'polite', tabindex: '-1' });
	const codes = el('div', { class: 'codes' },
		el('div', { class: 'code-box' },
			el('p', { class: 'code-label', id: 'bind-code-l', text: t('bind.code') }),
			el('p', { class: 'code', 'aria-labelledby': 'bind-code-l', text: b.code })),
		el('div', { class: 'code-box' },
			el('p', { class: 'code-label', id: 'bind-last4-l', text: t('bind.last4') }),
			el('p', { class: 'code', 'aria-labelledby': 'bind-last4-l', text: b.medium_last4 })));
	const steps = el('ol', { class: 'howto' },
		el('li', { text: t('bind.howto1') }), el('li', { text: t('bind.howto2') }), el('li', { text: t('bind.howto3') }));
	const row = el('div', { class: 'bind-row' }, codes);
	if (b.qr_svg) {
		// The server's SVG as an image (not as markup): a picture cannot run
		// anything, and the CSP allows data: images.
		row.append(el('img', {
			class: 'qr', alt: t('bind.qr_alt', { code: b.code }),
			src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(b.qr_svg)}`,
		}));
	}
	body.append(row, steps, stateLine);
	if (b.expires)
		body.append(el('p', { class: 'help', text: t('bind.expires', { at: dayTime(b.expires) }) }));
	showState('pending');
	stopPoll();
	poll = setInterval(async () => {
		try {
			const s = await get('/api/binding');
			if (s.state !== 'pending')
				showState(s.state, s.confirmed_at);
		} catch (err) {
			stopPoll();
			refusal.show(box, err);
		}
	}, 4000);
}

async function status() {
	const s = await get('/api/status');
	if (bound(s.binding))
		showBound();
	else if (mode !== 'pending')
		body.append(el('p', { class: 'help', text: s.next || '' }));
}

async function onAction(ctx) {
	refusal.hide(box);
	if (mode === 'next') {
		ctx.go('pay');
		return;
	}
	action.disabled = true;
	try {
		if (!pin.loggedIn && !(await pin.login()))
			return;
		setMode('code');
		clear(body);
		const s = await get('/api/status');
		if (bound(s.binding)) {
			showBound();
			action.focus();
			return;
		}
		mode = 'pending';
		showCode(await post('/api/binding', {}));
		action.textContent = t('bind.new_code');
		// Tab goes on from the state line to the button that becomes "Next".
		stateLine.focus();
	} catch (err) {
		refusal.show(box, err);
	} finally {
		action.disabled = false;
	}
}

export default {
	init(ctx) {
		body = $('#bind-body');
		action = $('#bind-action');
		box = refusal.box();
		pin = new PinPanel('pin.purpose_bind');
		pin.onDialog = async () => {
			if (await pin.login(true))
				onAction(ctx);
		};
		body.before(pin.root, box);
		action.addEventListener('click', () => onAction(ctx));
		pin.input.addEventListener('keydown', (e) => {
			if (e.key === 'Enter')
				onAction(ctx);
		});
		ctx.bus.addEventListener('binding', (e) => {
			if (mode === 'pending' || mode === 'code')
				showState(e.detail.state, e.detail.confirmed_at);
		});
	},
	async enter() {
		refusal.hide(box);
		if (mode === 'pending' || mode === 'next')
			return;
		clear(body);
		await pin.refresh();
		setMode('code');
		if (pin.loggedIn)
			await status().catch((err) => refusal.show(box, err));
	},
	leave() {},
};
