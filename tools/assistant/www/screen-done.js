/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Step 6: the guide's last step: check the new validity of the certificate
// and of each seal.

import { $, el, clear, day, facts } from './util.js';
import { t } from './i18n.js';
import { get, post } from './api.js';
import * as refusal from './refusal.js';

let body;
let quit;
let box;

async function load(ctx) {
	refusal.hide(box);
	clear(body);
	let r = ctx.result;
	if (!r) {
		const st = await get('/api/renew');
		r = st.result && st.result.done ? st.result : null;
	}
	if (!r) {
		body.append(el('p', { class: 'notice', text: t('done.nothing') }));
		return;
	}
	const cert = r.cert || { not_after: r.not_after };
	body.append(el('div', { class: 'notice state-ok' }, el('p', { class: 'big', text: t(r.resumed ? 'done.ok_resumed' : 'done.ok') })),
		el('section', { class: 'card', 'aria-labelledby': 'done-cert-h' },
			el('h2', { id: 'done-cert-h', text: t('done.cert') }),
			facts([
				[t('done.valid_to'), el('span', { class: 'new-date', id: 'done-cert-to', text: day(cert.not_after) })],
				[t('token.days'), cert.days_left !== undefined ? t('token.days_left', { days: cert.days_left }) : undefined],
				[t('token.medium'), r.medium],
			])));
	const seals = r.seals || [];
	if (seals.length) {
		body.append(el('section', { class: 'card', 'aria-labelledby': 'done-seals-h' },
			el('h2', { id: 'done-seals-h', text: t('done.seals') }),
			facts(seals.map((s) => [s.name || t('seal.unnamed'),
				el('span', { class: 'new-date', text: t('done.seal_to', { to: day(s.valid_to) }) })]))));
	}
	body.append(el('p', { class: 'help', text: t('done.check') }));
}

export default {
	init(ctx) {
		body = $('#done-body');
		quit = $('#done-quit');
		box = refusal.box();
		body.before(box);
		quit.addEventListener('click', async () => {
			try {
				await post('/api/quit', {});
				clear(body).append(el('p', { class: 'notice big', text: t('done.closed') }));
				quit.disabled = true;
			} catch (err) {
				refusal.show(box, err);
			}
		});
		void ctx;
	},
	enter(ctx) {
		return load(ctx).catch((err) => refusal.show(box, err));
	},
};
