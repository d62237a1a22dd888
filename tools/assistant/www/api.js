/* SPDX-License-Identifier: LGPL-2.1-or-later */
// The assistant's JSON API (docs/assistant.md). POSTs carry the session's
// CSRF token and a JSON body; the browser adds Origin and the cookie.

let csrf = '';

export function setCsrf(token) {
	csrf = token;
}

export class ApiError extends Error {
	constructor(status, body) {
		const e = (body && body.error) || {};
		super(e.message || `HTTP ${status}`);
		this.status = status;
		this.code = e.code || (status === 0 ? 'offline' : 'error');
		this.field = e.field;
		this.serviceCode = e.service_code;
		this.triesLeft = e.tries_left;
		this.seals = e.seals || [];
		this.body = e;
	}
}

export async function api(path, { method = 'GET', body } = {}) {
	const opt = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
	if (method !== 'GET') {
		opt.headers['Content-Type'] = 'application/json';
		opt.headers['X-CSRF-Token'] = csrf;
		opt.body = JSON.stringify(body || {});
	}
	let r;
	try {
		r = await fetch(path, opt);
	} catch (e) {
		throw new ApiError(0, null);
	}
	let j = null;
	try {
		j = await r.json();
	} catch (e) {
		j = null;
	}
	if (!r.ok)
		throw new ApiError(r.status, j);
	return j;
}

export const get = (p) => api(p);
export const post = (p, body) => api(p, { method: 'POST', body });
