/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Step 1: the U-KEY as the token shows it (no PIN needed): medium number,
// certificate holder, issuer, trust number, validity, seals; "insert your
// U-KEY" / "remove the other U-KEY" follow the token events live.

import { $, el, clear, day, facts } from './util.js';
import { t, tv } from './i18n.js';
import { get } from './api.js';
import * as refusal from './refusal.js';
import { sealPicture } from './seal-card.js';

let body;
let next;
let box;
let shownState = null;

function daysLeft(n) {
	if (n === null || n === undefined)
		return '';
	return n < 0 ? t('token.expired_ago', { days: -n }) : t('token.days_left', { days: n });
}

function certBlock(c) {
	const urgent = c.days_left !== null && c.days_left < 30;
	return el('section', { class: 'card', 'aria-labelledby': 'tok-cert-h' },
		el('h2', { id: 'tok-cert-h', text: t('token.cert') }),
		facts([
			[t('token.holder'), c.holder],
			[t('token.issuer'), c.issuer],
			[t('token.trust_number'), c.trust_number],
			[t('token.validity'), t('token.from_to', { from: day(c.not_before), to: day(c.not_after) })],
			[t('token.days'), el('span', { class: urgent ? 'urgent' : '', text: daysLeft(c.days_left) })],
		]));
}

function sealsBlock(seals) {
	const list = el('ul', { class: 'seal-list' });
	for (const s of seals) {
		list.append(el('li', { class: 'seal' }, sealPicture(s),
			el('div', {},
				el('h3', { text: s.name || t('seal.unnamed') }),
				facts([
					[t('seal.type'), s.type_name || (s.type !== null && s.type !== undefined ? t('seal.type_n', { n: s.type }) : '—')],
					[t('seal.validity'), t('token.from_to', { from: day(s.valid_from), to: day(s.valid_to) })],
					[t('seal.state'), tv('seal.status', s.status)],
				]))));
	}
	return el('section', { class: 'card', 'aria-labelledby': 'tok-seals-h' },
		el('h2', { id: 'tok-seals-h', text: t('token.seals', { n: seals.length }) }),
		seals.length ? list : el('p', { text: t('token.no_seals') }));
}

function render(d) {
	clear(body);
	shownState = d.state;
	next.disabled = d.state !== 'one';
	if (d.state !== 'one') {
		const what = el('div', { class: `notice state-${d.state}` },
			el('p', { class: 'big', text: t(`token.state.${d.state}`) }),
			el('p', { text: t(`token.what.${d.state}`) }));
		if (d.state === 'several')
			what.append(el('ul', {}, (d.tokens || []).map((k) => el('li', { text: `${k.label} (${k.serial})` }))));
		body.append(what);
		return;
	}
	const k = d.token;
	const sign = (k.certs || []).find((c) => c.sign) || (k.certs || [])[0];
	body.append(el('section', { class: 'card', 'aria-labelledby': 'tok-key-h' },
		el('h2', { id: 'tok-key-h', text: t('token.key') }),
		facts([
			[t('token.medium'), el('span', { class: 'mono', text: k.serial })],
			[t('token.label'), k.label],
			[t('token.pin'), k.pin ? k.pin.text : ''],
		])));
	if (sign)
		body.append(certBlock(sign));
	body.append(sealsBlock(k.seals || []));
}

async function load() {
	refusal.hide(box);
	try {
		render(await get('/api/token'));
	} catch (err) {
		next.disabled = true;
		refusal.show(box, err);
	}
}

export default {
	init(ctx) {
		body = $('#token-body');
		next = $('#token-next');
		box = refusal.box();
		body.before(box);
		next.addEventListener('click', () => ctx.go('bind'));
		// A key inserted or removed: the screen follows by itself.
		ctx.bus.addEventListener('token', (e) => {
			if (ctx.current === 'token' && (e.detail.what !== 'present' || e.detail.state !== shownState))
				load();
		});
	},
	enter() {
		return load();
	},
};
