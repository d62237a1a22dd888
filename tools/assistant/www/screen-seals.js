/* SPDX-License-Identifier: LGPL-2.1-or-later */
// Step 4: the seal-cleaning page of the guide. Each usable seal gets keep /
// drop and a type; every change asks the server (POST /api/seals/check,
// libukeyseal's rule checker: the page never re-implements the rules) and
// the broken rules are shown under the seals they concern, with Submit
// disabled until none is broken. Unusable seals cannot be touched.

import { $, el, clear, day, facts } from './util.js';
import { t } from './i18n.js';
import { get, post } from './api.js';
import * as refusal from './refusal.js';
import { sealPicture } from './seal-card.js';

let body;
let action;
let box;
let list = null;
let rows = [];
let summary;
let mode = 'submit';
let seq = 0;

function plan() {
	const decisions = [];
	for (const r of rows) {
		if (!r.seal.usable)
			continue;
		const act = r.keep.checked ? 'keep' : r.drop.checked ? 'drop' : null;
		if (!act)
			continue;
		const d = { id: r.seal.id, action: act };
		if (act === 'keep' && r.type.value !== '')
			d.type = Number(r.type.value);
		decisions.push(d);
	}
	return { decisions };
}

function sealRow(s, i, types) {
	const id = `seal-${i}`;
	// The rules a choice breaks are the controls' description too: read
	// out on the control that has the focus, not only on the fieldset.
	const errsId = `${id}-errs`;
	const keep = el('input', { type: 'radio', name: `${id}-act`, id: `${id}-keep`, value: 'keep', disabled: !s.usable, 'aria-describedby': errsId });
	const drop = el('input', { type: 'radio', name: `${id}-act`, id: `${id}-drop`, value: 'drop', disabled: !s.usable, 'aria-describedby': errsId });
	const type = el('select', { id: `${id}-type`, disabled: true, 'aria-describedby': errsId },
		el('option', { value: '', text: t('seals.choose_type') }),
		types.map((ty) => el('option', { value: String(ty.type), text: ty.name })));
	const errs = el('ul', { class: 'seal-errors', id: `${id}-errs` });
	const fs = el('fieldset', { class: `seal-plan${s.usable ? '' : ' unusable'}`, 'aria-describedby': `${id}-errs` },
		el('legend', { text: t('seals.legend', { name: s.name || t('seal.unnamed'), id: s.id }) }),
		el('div', { class: 'seal' }, sealPicture(s),
			facts([
				[t('seal.type'), s.type_name || String(s.type ?? '')],
				[t('seal.validity'), t('token.from_to', { from: day(s.valid_from), to: day(s.valid_to) })],
				[t('seal.state'), el('span', { class: s.usable ? 'ok' : 'todo', text: t(s.usable ? 'seals.usable' : 'seals.unusable') })],
			])),
		s.usable ? el('div', { class: 'choices', role: 'group', 'aria-label': t('seals.action_for', { name: s.name || '' }) },
			el('span', { class: 'choice' }, keep, el('label', { for: keep.id, text: t('seals.keep') })),
			el('span', { class: 'choice' }, drop, el('label', { for: drop.id, text: t('seals.drop') })),
			el('span', { class: 'choice' }, el('label', { for: type.id, text: t('seals.type') }), type))
			: el('p', { class: 'help', text: t('seals.unusable_help') }),
		errs);
	const r = { seal: s, keep, drop, type, errs, fs };
	const changed = () => {
		type.disabled = !keep.checked;
		if (keep.checked && type.value === '' && s.type !== undefined && s.type !== null)
			type.value = String(s.type);
		check();
	};
	for (const n of [keep, drop, type])
		n.addEventListener('change', changed);
	return r;
}

function concerns(r, b) {
	return (b.ids || []).includes(r.seal.id) || (b.seals || []).includes(r.seal.sha256);
}

async function check() {
	const my = ++seq;
	action.disabled = true;
	try {
		const res = await post('/api/seals/check', { plan: plan() });
		if (my !== seq)
			return;
		const broken = res.broken || [];
		for (const r of rows) {
			clear(r.errs);
			const mine = broken.filter((b) => concerns(r, b));
			for (const b of mine)
				r.errs.append(el('li', { 'data-rule': b.rule, text: b.message }));
			r.fs.classList.toggle('broken', mine.length > 0);
		}
		clear(summary);
		if (res.ok && !broken.length) {
			summary.className = 'summary ok';
			summary.textContent = t('seals.plan_ok');
			action.disabled = false;
		} else {
			summary.className = 'summary broken';
			summary.append(el('p', { text: t('seals.plan_broken', { n: broken.length }) }),
				el('ul', {}, broken.filter((b) => !rows.some((r) => concerns(r, b)))
					.map((b) => el('li', { 'data-rule': b.rule, text: b.message }))));
		}
	} catch (err) {
		if (my === seq)
			refusal.show(box, err);
	}
}

function fill(p) {
	for (const r of rows) {
		const d = p.decisions.find((x) => x.id === r.seal.id);
		if (!d || !r.seal.usable)
			continue;
		r.keep.checked = d.action === 'keep';
		r.drop.checked = d.action === 'drop';
		r.type.disabled = d.action !== 'keep';
		r.type.value = d.type !== undefined ? String(d.type) : '';
	}
	check();
}

function done(ctx, text) {
	mode = 'next';
	action.disabled = false;
	action.textContent = t('seals.next');
	// A status line put in empty, then filled: the filling is announced.
	const line = el('p', { class: 'big', role: 'status', 'aria-live': 'polite' });
	clear(body).append(el('div', { class: 'notice state-ok' }, line));
	setTimeout(() => {
		line.textContent = text;
	}, 50);
	void ctx;
}

async function load(ctx) {
	refusal.hide(box);
	clear(body);
	mode = 'submit';
	action.textContent = t('seals.submit');
	action.disabled = true;
	try {
		list = await get('/api/seals');
	} catch (err) {
		if (err.code === 'login_required') {
			body.append(el('p', { class: 'notice', text: t('pay.login_first') }));
			mode = 'bind';
			action.textContent = t('pay.back_bind');
			action.disabled = false;
			return;
		}
		throw err;
	}
	if (!list.abnormal) {
		done(ctx, t((list.seals || []).length ? 'seals.in_order' : 'seals.none'));
		return;
	}
	const rules = el('ul', { class: 'rules' }, [1, 2, 3, 4].map((n) => el('li', { text: t(`seals.rule${n}`) })));
	summary = el('div', { class: 'summary', role: 'status', 'aria-live': 'polite' });
	rows = list.seals.map((s, i) => sealRow(s, i, list.types || []));
	body.append(el('section', { class: 'card', 'aria-labelledby': 'seal-rules-h' },
		el('h2', { id: 'seal-rules-h', text: t('seals.rules') }), rules));
	if (list.auto_plan) {
		const sug = el('button', { type: 'button', class: 'secondary', text: t('seals.suggest') });
		sug.addEventListener('click', () => fill(list.auto_plan));
		body.append(sug);
	}
	body.append(...rows.map((r) => r.fs), summary);
	await check();
}

async function onAction(ctx) {
	if (mode === 'next')
		return ctx.go('renew');
	if (mode === 'bind')
		return ctx.go('bind');
	refusal.hide(box);
	action.disabled = true;
	try {
		await post('/api/seals/clean', { plan: plan() });
		done(ctx, t('seals.cleaned'));
		action.focus();
	} catch (err) {
		refusal.show(box, err);
		action.disabled = false;
	}
}

export default {
	init(ctx) {
		body = $('#seals-body');
		action = $('#seals-action');
		box = refusal.box();
		body.before(box);
		action.addEventListener('click', () => onAction(ctx));
	},
	enter(ctx) {
		return load(ctx);
	},
};
