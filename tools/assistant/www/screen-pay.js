/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Step 3: the identity check and the order (state, what it covers, price,
// what to do), then the invoices: listed, requested (a refused field is
// named under the field itself) and downloaded.

import { $, el, clear, day, facts } from './util.js';
import { t, tv, has } from './i18n.js';
import { get, post } from './api.js';
import * as refusal from './refusal.js';

let body;
let next;
let box;
let order = null;

function needLogin(ctx, err) {
	if (err.code !== 'login_required')
		return false;
	clear(body).append(el('p', { class: 'notice', text: t('pay.login_first') }));
	next.textContent = t('pay.back_bind');
	next.onclick = () => ctx.go('bind');
	return true;
}

function orderBlock(s, o) {
	const paid = o.state === 'paid';
	const idRow = s.identity_checked ? t('pay.identity_ok') : t('pay.identity_todo');
	return el('section', { class: 'card', 'aria-labelledby': 'pay-order-h' },
		el('h2', { id: 'pay-order-h', text: t('pay.order') }),
		facts([
			[t('pay.identity'), el('span', { class: s.identity_checked ? 'ok' : 'todo', text: idRow })],
			[t('pay.order_state'), el('span', { class: paid ? 'ok' : 'todo', text: tv('pay.state', o.state) })],
			[t('pay.order_id'), o.state === 'none' ? undefined : o.id],
			[t('pay.covers'), o.covers ? tv('pay.covers', o.covers) : undefined],
			[t('pay.price'), o.price_yuan ? t('pay.price_yuan', { price: o.price_yuan }) : undefined],
		]),
		el('p', { class: 'what-next', text: has(`pay.todo.${o.state}`) ? t(`pay.todo.${o.state}`) : o.text || '' }));
}

function invoiceRow(inv) {
	// The document exists once the CA has issued it; until then the row
	// says so (the guide: find it in the history later, then download).
	const link = inv.state === 'issued' ? el('a', {
		href: `/api/invoices/${encodeURIComponent(inv.id)}/document`, download: `${inv.id}.pdf`,
		text: t('inv.download'), 'aria-label': t('inv.download_named', { id: inv.id }),
	}) : el('span', { class: 'help', text: t('inv.not_yet') });
	return el('tr', {},
		el('td', { class: 'mono', text: inv.id }), el('td', { text: inv.title || '' }),
		el('td', { class: 'mono', text: inv.tax_number || '' }),
		el('td', { text: tv('inv.state', inv.state) }), el('td', { text: day(inv.issued_at) }), el('td', {}, link));
}

function field(id, key, attrs = {}) {
	const err = el('p', { class: 'field-error', id: `${id}-err`, hidden: true });
	const input = el('input', { id, name: key, type: 'text', autocomplete: 'off', 'aria-describedby': `${id}-help`, ...attrs });
	return {
		input, err,
		row: el('div', { class: 'field' },
			el('label', { for: id, text: t(`inv.${key}`) }),
			el('p', { class: 'help', id: `${id}-help`, text: t(`inv.${key}_help`) }), input, err),
	};
}

function invoicesBlock(list) {
	const sec = el('section', { class: 'card', 'aria-labelledby': 'inv-h' }, el('h2', { id: 'inv-h', text: t('inv.title') }));
	if (!list.length) {
		sec.append(el('p', { id: 'inv-none', text: t('inv.none') }));
	} else {
		sec.append(el('table', { class: 'invoices' },
			el('caption', { text: t('inv.caption') }),
			el('thead', {}, el('tr', {}, ['id', 'title_col', 'tax_col', 'state', 'issued', 'document'].map(
				(k) => el('th', { scope: 'col', text: t(`inv.col.${k}`) })))),
			el('tbody', {}, list.map(invoiceRow))));
	}
	if (order && order.id && order.state !== 'none') {
		const title = field('inv-title', 'title_field', { maxlength: 100 });
		const tax = field('inv-tax', 'tax_field', { maxlength: 20, spellcheck: 'false' });
		const formBox = refusal.box();
		const submit = el('button', { type: 'submit', class: 'secondary', text: t('inv.request') });
		const form = el('form', { class: 'inv-form', 'aria-labelledby': 'inv-form-h', novalidate: true },
			el('h3', { id: 'inv-form-h', text: t('inv.form', { order: order.id }) }), title.row, tax.row, formBox, submit);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			refusal.hide(formBox);
			for (const f of [title, tax]) {
				f.err.hidden = true;
				f.input.removeAttribute('aria-invalid');
				f.input.setAttribute('aria-describedby', `${f.input.id}-help`);
			}
			submit.disabled = true;
			try {
				await post('/api/invoices', { order: order.id, title: title.input.value.trim(), tax_number: tax.input.value.trim() });
				await loadInvoices();
				$('#inv-h').focus();
			} catch (err) {
				const f = err.field === 'title' ? title : err.field === 'tax_number' ? tax : null;
				if (f) {
					// The refused field says so itself, next to what was typed.
					f.err.textContent = `${err.message} ${t(`inv.fix.${err.field}`)}`;
					f.err.hidden = false;
					f.input.setAttribute('aria-invalid', 'true');
					f.input.setAttribute('aria-describedby', `${f.err.id} ${f.input.id}-help`);
					f.input.focus();
				} else {
					refusal.show(formBox, err);
				}
			} finally {
				submit.disabled = false;
			}
		});
		sec.append(form);
	}
	$('#inv-h', sec).setAttribute('tabindex', '-1');
	return sec;
}

async function loadInvoices() {
	const inv = await get('/api/invoices');
	const old = $('#pay-invoices');
	const sec = invoicesBlock(inv.invoices || []);
	sec.id = 'pay-invoices';
	if (old)
		old.replaceWith(sec);
	else
		body.append(sec);
}

async function load(ctx) {
	refusal.hide(box);
	clear(body);
	next.textContent = t('pay.next');
	next.onclick = () => ctx.go('seals');
	try {
		const [s, o] = await Promise.all([get('/api/status'), get('/api/order')]);
		order = o;
		const refresh = el('button', { type: 'button', class: 'secondary', id: 'pay-refresh', text: t('pay.refresh') });
		refresh.addEventListener('click', async () => {
			// The screen is built anew: the new button takes the focus the
			// old one had, or it would fall to the page's start.
			const had = document.activeElement === refresh;
			await load(ctx);
			const again = $('#pay-refresh');
			if (had && again)
				again.focus();
		});
		body.append(orderBlock(s, o), refresh);
		next.disabled = !(s.identity_checked && o.state === 'paid');
		await loadInvoices();
	} catch (err) {
		if (!needLogin(ctx, err))
			refusal.show(box, err);
	}
}

export default {
	init(ctx) {
		body = $('#pay-body');
		next = $('#pay-next');
		box = refusal.box();
		body.before(box);
		this.ctx = ctx;
	},
	enter(ctx) {
		return load(ctx);
	},
};
