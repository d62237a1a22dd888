/* SPDX-License-Identifier: LGPL-2.1-or-later */
// The page's own words: i18n/en.json or i18n/zh_CN.json after the locale
// the server reports (GET /api/session). The server's messages (refusals,
// step labels, order texts) come already translated.

let dict = {};
let fallback = {};
export let locale = 'en';

async function load(name) {
	const r = await fetch(`i18n/${name}.json`, { credentials: 'same-origin', cache: 'no-store' });
	if (!r.ok)
		throw new Error(`i18n/${name}.json: ${r.status}`);
	return r.json();
}

export async function setLocale(name) {
	fallback = await load('en');
	locale = name === 'zh_CN' ? 'zh_CN' : 'en';
	dict = locale === 'en' ? fallback : await load(locale).catch(() => fallback);
	document.documentElement.lang = locale === 'zh_CN' ? 'zh-CN' : 'en';
}

export function has(key) {
	return key in dict || key in fallback;
}

export function t(key, params = {}) {
	let s = key in dict ? dict[key] : key in fallback ? fallback[key] : key;
	for (const [k, v] of Object.entries(params))
		s = s.split(`{${k}}`).join(String(v));
	return s;
}

// A word for a state the server names: the page's translation when it has
// one, else the server's own word (a state added later still shows).
export function tv(prefix, value) {
	const key = `${prefix}.${value}`;
	return has(key) ? t(key) : String(value ?? '');
}

// data-i18n: text; data-i18n-label: aria-label; data-i18n-alt: alt.
export function apply(root = document) {
	for (const n of root.querySelectorAll('[data-i18n]'))
		n.textContent = t(n.dataset.i18n);
	for (const n of root.querySelectorAll('[data-i18n-label]'))
		n.setAttribute('aria-label', t(n.dataset.i18nLabel));
	for (const n of root.querySelectorAll('[data-i18n-alt]'))
		n.setAttribute('alt', t(n.dataset.i18nAlt));
	document.title = t('app.title');
}
