/* SPDX-License-Identifier: LGPL-2.1-or-later */
// The assistant's page: the CA guide's six steps as screens of one page
// (#token ... #done), the step indicator, the live U-KEY state and the
// server's event stream.

import { $, el, clear } from './util.js';
import { get, setCsrf } from './api.js';
import { setLocale, apply, t } from './i18n.js';
import * as refusal from './refusal.js';
import token from './screen-token.js';
import bind from './screen-bind.js';
import pay from './screen-pay.js';
import seals from './screen-seals.js';
import renew from './screen-renew.js';
import done from './screen-done.js';

const screens = { token, bind, pay, seals, renew, done };
const order = Object.keys(screens);

// What the screens share: the event bus, the last token state, navigation.
export const ctx = {
	bus: new EventTarget(),
	token: null,
	result: null,
	current: null,
	go(name) {
		if (location.hash === `#${name}`)
			show(name);
		else
			location.hash = `#${name}`;
	},
};

function indicator(name) {
	for (const a of document.querySelectorAll('#steps a')) {
		const i = order.indexOf(a.dataset.step);
		const here = a.dataset.step === name;
		a.classList.toggle('current', here);
		a.classList.toggle('past', i < order.indexOf(name));
		if (here)
			a.setAttribute('aria-current', 'step');
		else
			a.removeAttribute('aria-current');
	}
}

async function show(name) {
	if (!screens[name])
		name = 'token';
	if (ctx.current && screens[ctx.current].leave)
		screens[ctx.current].leave();
	ctx.current = name;
	for (const s of document.querySelectorAll('[data-screen]'))
		s.hidden = s.dataset.screen !== name;
	indicator(name);
	const sec = $(`#s-${name}`);
	document.title = `${t(`steps.${name}`)} — ${t('app.title')}`;
	// Focus moves to the new screen's heading: a screen reader reads it and
	// Tab continues inside the screen.
	$('h1', sec).focus();
	try {
		await screens[name].enter(ctx);
	} catch (err) {
		refusal.show($('#app-refusal'), err);
	}
}

function tokenLine(d) {
	const live = $('#token-live');
	live.className = `token-live state-${d.state}`;
	if (d.state === 'one')
		live.textContent = t('live.one', { serial: d.serial || '', label: d.label || '' });
	else
		live.textContent = t(`live.${d.state}`);
}

function listen() {
	const es = new EventSource('/api/events');
	for (const name of ['token', 'binding', 'renew', 'done', 'failed']) {
		es.addEventListener(name, (e) => {
			let d = {};
			try {
				d = JSON.parse(e.data);
			} catch (x) {
				return;
			}
			if (name === 'token') {
				ctx.token = d;
				tokenLine(d);
			}
			ctx.bus.dispatchEvent(new CustomEvent(name, { detail: d }));
		});
	}
	// The stream reconnects by itself; the line says so meanwhile (a new
	// token event on reconnection puts the key's state back).
	es.addEventListener('error', () => {
		const live = $('#token-live');
		if (!live.classList.contains('state-bye')) {
			live.className = 'token-live state-lost';
			live.textContent = t('live.lost');
			ctx.bus.dispatchEvent(new CustomEvent('lost'));
		}
	});
	// An assistant that stopped for want of use says so and how to come
	// back: the user left the page open and expects it to still work.
	es.addEventListener('bye', (e) => {
		es.close();
		let reason = '';
		try {
			reason = JSON.parse(e.data).reason || '';
		} catch (err) {
			reason = '';
		}
		const live = $('#token-live');
		live.className = 'token-live state-bye';
		live.textContent = t(reason === 'idle' ? 'live.bye_idle' : 'live.bye');
		ctx.bus.dispatchEvent(new CustomEvent('bye'));
	});
}

async function boot() {
	let session;
	try {
		session = await get('/api/session');
	} catch (err) {
		await setLocale(navigator.language && navigator.language.startsWith('zh') ? 'zh_CN' : 'en');
		apply();
		$('#loading').hidden = true;
		refusal.show($('#app-refusal'), err);
		return;
	}
	setCsrf(session.csrf);
	await setLocale(session.locale);
	apply();
	$('#loading').hidden = true;
	for (const s of Object.values(screens))
		s.init(ctx);
	listen();
	window.addEventListener('hashchange', () => show(location.hash.slice(1)));
	show(location.hash.slice(1) || 'token');
}

boot().catch((err) => {
	const box = $('#app-refusal');
	clear(box).append(el('p', { text: String(err) }));
	box.hidden = false;
});
