/* SPDX-License-Identifier: LGPL-2.1-or-later */
// A seal's picture: the token's picture from /api/seal-picture, or the
// labelled placeholder when the browser cannot show it (an OFD package:
// the server answers 415) or the seal is not on the token.

import { el } from './util.js';
import { t } from './i18n.js';

export function sealPicture(seal) {
	const img = el('img', { class: 'seal-pic', alt: t('seal.picture_alt', { name: seal.name || '' }) });
	const fallback = () => {
		img.src = 'ofd-placeholder.svg';
		img.alt = t(seal.picture === 'ofd' || !seal.picture ? 'seal.picture_ofd' : 'seal.picture_none',
			{ name: seal.name || '' });
		img.classList.add('placeholder');
	};
	if (seal.sha256 && seal.picture !== 'ofd' && seal.on_token !== false) {
		img.addEventListener('error', fallback, { once: true });
		img.src = `/api/seal-picture?sha256=${encodeURIComponent(seal.sha256)}`;
	} else {
		fallback();
	}
	return img;
}
