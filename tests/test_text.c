/*
 * test_text.c -- the UTF-8 and control-character checks on names people
 * type (daemon/text.c).
 */
#include <string.h>

#include "tap.h"
#include "text.h"

static bool
clean(const char *s)
{
	return text_is_clean(s, strlen(s));
}

static void
test_accepts_text(void)
{
	CHECK(clean("alice"));
	CHECK(clean("Zoë"));				/* 2-byte */
	CHECK(clean("日本語"));				/* 3-byte */
	CHECK(clean("\xf0\x9f\x92\xb0 cash"));		/* 4-byte emoji */
	CHECK(clean("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	CHECK(clean("\xc2\xa0"));			/* U+00A0, not C1 */
	CHECK(clean(""));
}

static void
test_refuses_controls(void)
{
	CHECK(!clean("a\nb"));
	CHECK(!clean("a\tb"));
	CHECK(!clean("\x1b[31m"));
	CHECK(!clean("del\x7f"));
	CHECK(!clean("\xc2\x85"));			/* U+0085 NEL, C1 */
	CHECK(!clean("\xc2\x9f"));			/* U+009F, C1 */
	CHECK(!text_is_clean("a\0b", 3));		/* NUL inside */
}

static void
test_lines_allow_only_newline_and_tab(void)
{
	CHECK(text_is_clean_lines("a\nb\tc", 5));
	CHECK(!text_is_clean_lines("a\rb", 3));
	CHECK(!text_is_clean_lines("\x1b[31m", 5));
	CHECK(!text_is_clean_lines("del\x7f", 4));
	CHECK(!text_is_clean_lines("\xc2\x85", 2));
	CHECK(!text_is_clean_lines("\xff\n", 2));
}

static void
test_refuses_bad_utf8(void)
{
	CHECK(!clean("\xff"));
	CHECK(!clean("\xc0\xaf"));			/* overlong '/' */
	CHECK(!clean("\xe0\x80\xaf"));			/* overlong */
	CHECK(!clean("\xf0\x80\x80\xaf"));		/* overlong */
	CHECK(!clean("\xed\xa0\x80"));			/* surrogate D800 */
	CHECK(!clean("\xf4\x90\x80\x80"));		/* above U+10FFFF */
	CHECK(!clean("\xf5\x80\x80\x80"));
	CHECK(!clean("\xc3"));				/* truncated */
	CHECK(!clean("\xe6\x97"));			/* truncated */
	CHECK(!clean("\x80"));				/* lone continuation */
	CHECK(!clean("\xc3\x28"));			/* bad continuation */
	/* The length given is what counts: a valid prefix is not enough. */
	CHECK(!text_is_clean("\xe6\x97\xa5", 2));
	CHECK(text_is_clean("\xe6\x97\xa5", 3));
}

static void
test_fold(void)
{
	char out[16];

	text_fold_ascii("AliCE-9_Zz", 10, out);
	CHECK(memcmp(out, "alice-9_zz", 10) == 0);
	/* Non-ASCII bytes pass through untouched. */
	text_fold_ascii("\xc3\x89T\xc3\xa9", 5, out);
	CHECK(memcmp(out, "\xc3\x89t\xc3\xa9", 5) == 0);
}

int
main(void)
{
	tap_run("accepts UTF-8 text", test_accepts_text);
	tap_run("refuses control characters", test_refuses_controls);
	tap_run("lines allow only newline and tab",
	    test_lines_allow_only_newline_and_tab);
	tap_run("refuses malformed UTF-8", test_refuses_bad_utf8);
	tap_run("folds ASCII case only", test_fold);
	return tap_done();
}
