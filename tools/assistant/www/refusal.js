/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Every refusal is shown in words: the server's translated message, then
// what to do next (the page's own advice, by error code).

import { el, clear } from './util.js';
import { t, has } from './i18n.js';

export function advice(err) {
	if (err.serviceCode && has(`next.svc.${err.serviceCode}`))
		return t(`next.svc.${err.serviceCode}`);
	if (has(`next.${err.code}`))
		return t(`next.${err.code}`, { tries: err.triesLeft ?? '?' });
	return t('next.error');
}

// show(box, err): box is a role=alert container in the screen.
export function show(box, err) {
	clear(box);
	const msg = err.code === 'offline' ? t('err.offline') : err.message;
	box.append(el('p', { class: 'refusal-msg', text: msg }), el('p', { class: 'refusal-next', text: advice(err) }));
	box.hidden = false;
	box.dataset.code = err.code;
}

export function hide(box) {
	clear(box);
	box.hidden = true;
	delete box.dataset.code;
}

// An empty refusal box for a screen (role=alert: read at once when filled).
export function box() {
	return el('div', { class: 'refusal', role: 'alert', hidden: true });
}
