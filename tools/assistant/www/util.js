/* SPDX-License-Identifier: LGPL-2.1-or-later */
// DOM helpers: every node is built with createElement/textContent, never
// from HTML strings, so nothing the service or the token says can become
// markup (the seal names come from the CA and the token).

export function el(tag, attrs = {}, ...children) {
	const n = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'text')
			n.textContent = v;
		else if (k === 'class')
			n.className = v;
		else if (k.startsWith('on'))
			n.addEventListener(k.slice(2), v);
		else
			n.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false)
			continue;
		n.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return n;
}

export function $(sel, root = document) {
	return root.querySelector(sel);
}

export function clear(n) {
	while (n.firstChild)
		n.removeChild(n.firstChild);
	return n;
}

// The guide writes dates as 2023-04-20: the same here, in local time.
export function day(secs) {
	if (secs === null || secs === undefined || secs === 0)
		return '—';
	const d = new Date(secs * 1000);
	const p = (x) => String(x).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function dayTime(secs) {
	if (!secs)
		return '—';
	const d = new Date(secs * 1000);
	const p = (x) => String(x).padStart(2, '0');
	return `${day(secs)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// A definition list of [label, value] rows (value: string or node).
export function facts(rows) {
	const dl = el('dl', { class: 'facts' });
	for (const [k, v] of rows) {
		if (v === undefined)
			continue;
		dl.append(el('dt', { text: k }), el('dd', {}, v === null || v === '' ? '—' : v));
	}
	return dl;
}
