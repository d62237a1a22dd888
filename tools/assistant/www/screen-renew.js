/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Step 5: what to renew (only what the paid order covers), the PIN once
// (unless this session already logged in), then the eight steps of the
// journaled renewal live from the server's renew events, "do not remove
// your U-KEY" while it runs, and "resume" when a renewal was interrupted.

import { $, el, clear } from './util.js';
import { t, tv, has } from './i18n.js';
import { get, post } from './api.js';
import * as refusal from './refusal.js';
import { PinPanel } from './pin.js';

const STEPS = 8;
let body;
let action;
let box;
let pin;
let mode = 'start';
let what = 'cert';
let steps = [];
let live;
let warn;
let choices;

function setMode(m) {
	mode = m;
	action.disabled = m === 'running' || m === 'none';
	action.textContent = t(`renew.action.${m}`);
}

function progress() {
	steps = [];
	const ol = el('ol', { class: 'progress', 'aria-label': t('renew.progress') });
	for (let i = 1; i <= STEPS; i++) {
		const state = el('span', { class: 'step-state', text: t('renew.st.waiting') });
		const label = el('span', { class: 'step-label', text: t(`renew.step.${i}`) });
		const li = el('li', { class: 'waiting', 'data-step': i }, label, state);
		steps[i] = { li, label, state };
		ol.append(li);
	}
	live = el('p', { class: 'live', role: 'status', 'aria-live': 'polite' });
	warn = el('div', { class: 'warning big', role: 'alert', hidden: true }, el('p', { text: t('renew.dont_remove') }));
	return el('section', { class: 'card', 'aria-labelledby': 'renew-prog-h' },
		el('h2', { id: 'renew-prog-h', tabindex: '-1', text: t('renew.progress') }), warn, ol, live);
}

function onStep(ev) {
	const s = steps[ev.step];
	if (!s)
		return;
	const st = ev.state === 'start' ? 'running' : ev.state;
	s.li.className = st;
	// The page's own label (one style with the rest of the page); the
	// server's only for a step the page has no words for.
	if (ev.label && !has(`renew.step.${ev.step}`))
		s.label.textContent = ev.label;
	s.state.textContent = tv('renew.st', st);
	live.textContent = t('renew.live', { step: ev.step, of: STEPS, label: s.label.textContent, state: tv('renew.st', st) });
	if (ev.detail && st === 'retry')
		s.state.textContent += ` — ${ev.detail}`;
}

function running(on) {
	if (warn)
		warn.hidden = !on;
	if (choices)
		choices.hidden = on;
	// Once it runs, the progress says everything: no stale "interrupted".
	const pending = body.querySelector('.state-pending');
	if (pending && on)
		pending.hidden = true;
	setMode(on ? 'running' : mode === 'running' ? 'start' : mode);
}

function chooser(order) {
	const opts = order.covers === 'cert+seals' ? ['cert+seals', 'cert'] : ['cert'];
	what = opts[0];
	const fs = el('fieldset', { class: 'what' }, el('legend', { text: t('renew.what') }));
	for (const o of opts) {
		const id = `renew-${o.replace('+', '-')}`;
		const r = el('input', { type: 'radio', name: 'renew-what', id, value: o, checked: o === what });
		r.addEventListener('change', () => {
			what = o;
		});
		fs.append(el('p', { class: 'choice' }, r, el('label', { for: id, text: t(`renew.mode.${o}`) })));
	}
	return fs;
}

async function load(ctx) {
	refusal.hide(box);
	clear(body);
	choices = null;
	const st = await get('/api/renew');
	const needPin = await pin.refresh();
	body.append(progress());
	if (st.running) {
		for (const ev of st.events || [])
			onStep(ev);
		running(true);
		return;
	}
	if (st.result && st.result.done) {
		// Back on step 5 after the renewal: its steps as they went.
		for (const ev of st.events || [])
			onStep(ev);
		body.prepend(el('div', { class: 'notice state-ok' }, el('p', { class: 'big', text: t('renew.finished') })));
		setMode('finished');
		return;
	}
	if (st.pending) {
		body.prepend(el('div', { class: 'notice state-pending' },
			el('p', { class: 'big', text: t('renew.pending') }), el('p', { text: t('renew.pending_help') })));
		setMode('resume');
	} else {
		let order;
		try {
			order = await get('/api/order');
		} catch (err) {
			if (err.code !== 'login_required')
				throw err;
			order = null;
		}
		if (order && order.state !== 'paid') {
			body.prepend(el('div', { class: 'notice' }, el('p', { class: 'big', text: tv('pay.state', order.state) }),
				el('p', { text: has(`pay.todo.${order.state}`) ? t(`pay.todo.${order.state}`) : order.text || '' })));
			setMode('none');
			return;
		}
		if (order) {
			choices = chooser(order);
			body.prepend(choices);
		}
		setMode('start');
	}
	if (!needPin)
		body.prepend(el('p', { class: 'help', text: t('renew.pin_done') }));
	void ctx;
}

async function start(ctx) {
	if (mode === 'finished')
		return ctx.go('done');
	refusal.hide(box);
	action.disabled = true;
	try {
		if (!pin.loggedIn) {
			if (!(await pin.login()))
				return;
			if (!choices && mode === 'start')
				return load(ctx);
		}
		const body = { mode: what, accept_final_try: false };
		await post('/api/renew', body);
		const had = document.activeElement === action || document.activeElement === pin.input;
		running(true);
		live.textContent = t('renew.started');
		// The button is disabled while it runs and the choices hidden: the
		// focus goes to the progress it started, not to the page's start.
		if (had)
			$('#renew-prog-h').focus();
	} catch (err) {
		refusal.show(box, err);
	} finally {
		if (mode !== 'running')
			action.disabled = mode === 'none';
	}
}

export default {
	init(ctx) {
		body = $('#renew-body');
		action = $('#renew-action');
		box = refusal.box();
		pin = new PinPanel('pin.purpose_renew');
		pin.onDialog = () => start(ctx);
		pin.input.addEventListener('keydown', (e) => {
			if (e.key === 'Enter')
				start(ctx);
		});
		$('#s-renew .actions').before(pin.root, box);
		action.addEventListener('click', () => start(ctx));
		ctx.bus.addEventListener('renew', (e) => {
			if (ctx.current === 'renew' && steps.length)
				onStep(e.detail);
		});
		ctx.bus.addEventListener('done', (e) => {
			ctx.result = e.detail;
			running(false);
			ctx.go('done');
		});
		ctx.bus.addEventListener('failed', (e) => {
			running(false);
			const d = e.detail;
			if (d.step && steps[d.step])
				onStep({ step: d.step, state: 'failed' });
			refusal.show(box, { code: d.interrupted ? 'interrupted' : d.code || 'error', message: d.message,
				serviceCode: d.interrupted ? undefined : d.service_code });
			setMode(d.interrupted ? 'resume' : 'start');
			// Stopped: what to do next is the button, enabled again; the
			// refusal above it is read out (role=alert).
			if (ctx.current === 'renew' && (document.activeElement === document.body ||
				$('#s-renew').contains(document.activeElement)))
				action.focus();
			// The journal decides: a renewal it holds is resumed, whatever
			// the event said.
			get('/api/renew').then((st) => {
				if (st.pending && !st.running) {
					setMode('resume');
					// A resumed renewal keeps what the journal chose.
					if (choices)
						choices.hidden = true;
					const next = box.querySelector('.refusal-next');
					if (next)
						next.textContent = t('next.interrupted');
				}
			}).catch(() => {});
		});
		// The server gone mid-renewal (killed, crashed, the computer
		// asleep): the journal keeps the renewal; say how to go on.
		ctx.bus.addEventListener('lost', () => {
			if (mode === 'running')
				refusal.show(box, { code: 'offline_renew', message: t('err.offline') });
		});
		ctx.bus.addEventListener('token', (e) => {
			if (mode === 'running' && e.detail.what === 'removed' && warn)
				warn.classList.add('alarm');
		});
	},
	enter(ctx) {
		if (mode === 'running')
			return;
		return load(ctx);
	},
};
