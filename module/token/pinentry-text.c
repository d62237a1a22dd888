/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the PIN dialog says, for a login and for the steps of a PIN change.
 * Pure functions of the token's description and the locale, so every
 * wording (exact counts, flags only, last try, length rule, Chinese) is
 * unit-tested without a device. Both languages are hard-coded until the
 * module gets gettext. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "token/pinentry.h"

bool ukey_pin_dialog_locale_zh(void)
{
	/* POSIX precedence for LC_MESSAGES; an empty variable counts as unset. */
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strncmp(v, "zh", 2) == 0;
	}
	return false;
}

/* Appends formatted text; a description that does not fit is cut, never
 * overrun (the parts that matter most come first). */
static void add(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	if (used + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

/* A device string without the blank padding some backends leave in. */
static void trimmed(const char *in, char *out, size_t size)
{
	size_t n = strnlen(in, size - 1);
	while (n > 0 && in[n - 1] == ' ')
		n--;
	memcpy(out, in, n);
	out[n] = '\0';
}

struct tries {
	long left, max;              /* -1 when unknown */
	bool count_low, final_try, locked;
};

static struct tries tries_for(const struct ukey_dev_info *info, CK_USER_TYPE user)
{
	bool so = user == CKU_SO;
	struct tries t = {
		.left = so ? info->so_retries_left : info->user_retries_left,
		.max = so ? info->so_retries_max : info->user_retries_max,
		.count_low = info->token_flags & (so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW),
		.final_try = info->token_flags & (so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY),
		.locked = info->token_flags & (so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED),
	};
	if (t.left == 0)
		t.locked = true;
	if (t.left == 1)
		t.final_try = true;
	if (t.left > 1 && t.max > 0 && t.left < t.max)
		t.count_low = true;
	return t;
}

static void describe_en(const char *label, const char *serial, bool so, const struct tries *t, char *d,
			size_t n)
{
	add(d, n, "Please enter the %s PIN of the U-KEY \"%s\".\n", so ? "administrator (SO)" : "user",
	    *label ? label : "(no label)");
	if (*serial)
		add(d, n, "Medium number: %s\n", serial);
	if (t->left > 0 && t->max > 0)
		add(d, n, "Tries left: %ld of %ld.\n", t->left, t->max);
	else if (t->left > 0)
		add(d, n, "Tries left: %ld.\n", t->left);
	if (t->final_try)
		add(d, n, "This is the LAST try: a wrong PIN will lock the U-KEY.\n");
	else if (t->count_low)
		add(d, n, "A wrong PIN was entered before: %s.\n",
		    t->left > 0 ? "mind the tries left" : "only a few tries are left");
}

static void describe_zh(const char *label, const char *serial, bool so, const struct tries *t, char *d,
			size_t n)
{
	add(d, n, "请输入 U-KEY“%s”的%s。\n", *label ? label : "（无标签）", so ? "管理员 PIN" : "用户 PIN");
	if (*serial)
		add(d, n, "介质编号：%s\n", serial);
	if (t->left > 0 && t->max > 0)
		add(d, n, "剩余尝试次数：%ld 次（共 %ld 次）。\n", t->left, t->max);
	else if (t->left > 0)
		add(d, n, "剩余尝试次数：%ld 次。\n", t->left);
	if (t->final_try)
		add(d, n, "这是最后一次尝试：PIN 输入错误将锁死 U-KEY。\n");
	else if (t->count_low)
		add(d, n, "之前输入过错误的 PIN：%s。\n", t->left > 0 ? "请注意剩余次数" : "剩余尝试次数已不多");
}

/* Title, prompt and buttons; the description is the caller's. */
static void frame(struct ukey_pin_dialog *out, bool so, bool change, bool zh)
{
	memset(out, 0, sizeof(*out));
	if (zh) {
		snprintf(out->title, sizeof(out->title), "%s", change ? "修改 U-KEY PIN" : "U-KEY PIN 验证");
		snprintf(out->prompt, sizeof(out->prompt), "%s", so ? "管理员 PIN：" : "PIN：");
		snprintf(out->ok, sizeof(out->ok), "确定");
		snprintf(out->cancel, sizeof(out->cancel), "取消");
	} else {
		/* English buttons: the program's own (possibly translated) ones. */
		snprintf(out->title, sizeof(out->title), "%s", change ? "Change the U-KEY PIN" : "U-KEY PIN");
		snprintf(out->prompt, sizeof(out->prompt), "%s", so ? "SO PIN:" : "PIN:");
	}
}

/* No trailing line break: the dialog adds its own spacing. */
static void chomp(char *desc)
{
	size_t len = strlen(desc);
	if (len > 0 && desc[len - 1] == '\n')
		desc[len - 1] = '\0';
}

CK_RV ukey_pin_dialog_build(const struct ukey_dev_info *info, CK_USER_TYPE user, bool zh,
			    struct ukey_pin_dialog *out)
{
	char label[sizeof(info->label)];
	char serial[sizeof(info->serial)];
	bool so = user == CKU_SO;
	struct tries t = tries_for(info, user);

	if (t.locked)
		return CKR_PIN_LOCKED;
	frame(out, so, false, zh);
	trimmed(info->label, label, sizeof(label));
	trimmed(info->serial, serial, sizeof(serial));
	if (zh)
		describe_zh(label, serial, so, &t, out->desc, sizeof(out->desc));
	else
		describe_en(label, serial, so, &t, out->desc, sizeof(out->desc));
	chomp(out->desc);
	return CKR_OK;
}

/* The token's length rule for a new PIN, as a sentence ("" when it tells
 * neither bound). */
static void length_rule(const struct ukey_dev_info *info, bool zh, char *d, size_t n)
{
	unsigned long min = info->min_pin_len, max = info->max_pin_len;
	if (min && max)
		add(d, n, zh ? "PIN 长度须为 %lu 到 %lu 个字符。\n" : "The PIN must be %lu to %lu characters long.\n", min,
		    max);
	else if (min)
		add(d, n, zh ? "PIN 长度至少为 %lu 个字符。\n" : "The PIN must be at least %lu characters long.\n", min);
	else if (max)
		add(d, n, zh ? "PIN 长度至多为 %lu 个字符。\n" : "The PIN must be at most %lu characters long.\n", max);
}

static void retype_error(enum ukey_pin_retype why, bool zh, char *e, size_t n)
{
	static const char length_zh[] = "新 PIN 的长度不符合要求，请重新输入。";
	static const char length_en[] = "The new PIN does not have an allowed length; type another.";
	static const char differ_zh[] = "两次输入的新 PIN 不一致，请重新输入。";
	static const char differ_en[] = "The two new PINs differ; type the new PIN again.";
	if (why == UKEY_PIN_RETYPE_LENGTH)
		add(e, n, "%s", zh ? length_zh : length_en);
	else if (why == UKEY_PIN_RETYPE_MISMATCH)
		add(e, n, "%s", zh ? differ_zh : differ_en);
}

CK_RV ukey_pin_dialog_build_change(const struct ukey_dev_info *info, CK_USER_TYPE user, enum ukey_pin_step step,
				   enum ukey_pin_retype why, bool zh, struct ukey_pin_dialog *out)
{
	char label[sizeof(info->label)];
	char serial[sizeof(info->serial)];
	bool so = user == CKU_SO;
	struct tries t = tries_for(info, user);
	const char *who_zh = so ? "管理员 PIN" : "用户 PIN";
	const char *who_en = so ? "administrator (SO)" : "user";
	char *d = out->desc;
	size_t n = sizeof(out->desc);

	if (step == UKEY_PIN_STEP_OLD && t.locked)
		return CKR_PIN_LOCKED;
	frame(out, so, true, zh);
	trimmed(info->label, label, sizeof(label));
	trimmed(info->serial, serial, sizeof(serial));
	if (!*label)
		snprintf(label, sizeof(label), "%s", zh ? "（无标签）" : "(no label)");
	if (step == UKEY_PIN_STEP_OLD) {
		/* A wrong current PIN costs a try, as at a login: say how many. */
		if (zh) {
			add(d, n, "修改%s：先验证当前的%s。\n", who_zh, who_zh);
			describe_zh(label, serial, so, &t, d, n);
		} else {
			add(d, n, "Changing the %s PIN: the current one first.\n", who_en);
			describe_en(label, serial, so, &t, d, n);
		}
	} else if (step == UKEY_PIN_STEP_NEW) {
		if (zh)
			add(d, n, "请输入 U-KEY“%s”的新%s。\n", label, who_zh);
		else
			add(d, n, "Enter the new %s PIN of the U-KEY \"%s\".\n", who_en, label);
		if (*serial)
			add(d, n, zh ? "介质编号：%s\n" : "Medium number: %s\n", serial);
		length_rule(info, zh, d, n);
	} else {
		if (zh)
			add(d, n, "请再次输入新%s以确认。\n", who_zh);
		else
			add(d, n, "Enter the new %s PIN again to confirm it.\n", who_en);
		if (*serial)
			add(d, n, zh ? "介质编号：%s\n" : "Medium number: %s\n", serial);
	}
	chomp(d);
	retype_error(why, zh, out->error, sizeof(out->error));
	return CKR_OK;
}
