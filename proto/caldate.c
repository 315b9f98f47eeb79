/*
 * caldate.c -- see caldate.h.  Parsing is by fixed positions, never
 * sscanf/strtol: those skip spaces, take signs and stop early, each of
 * which would let a malformed date through.
 */
#include "caldate.h"

/* Value of the n ASCII digits at s, or -1 if any byte is not a digit. */
static int
caldate_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Gregorian: every fourth year, except centuries not divisible by 400. */
static bool
caldate_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
caldate_month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	return m == 2 && caldate_is_leap(y) ? 29 : days[m - 1];
}

bool
caldate_parse(const char *s, size_t len, int *y, int *m, int *d)
{
	int yy, mm, dd;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	yy = caldate_digits(s, 4);
	mm = caldate_digits(s + 5, 2);
	dd = caldate_digits(s + 8, 2);
	if (yy < CB_CALDATE_MIN_YEAR || yy > CB_CALDATE_MAX_YEAR)
		return false;		/* also the -1 of a non-digit */
	if (mm < 1 || mm > 12)
		return false;
	if (dd < 1 || dd > caldate_month_days(yy, mm))
		return false;
	*y = yy;
	*m = mm;
	*d = dd;
	return true;
}

bool
caldate_parse_time(const char *s, size_t len, int *h, int *min)
{
	int hh, mi;

	if (len != 5 || s[2] != ':')
		return false;
	hh = caldate_digits(s, 2);
	mi = caldate_digits(s + 3, 2);
	if (hh < 0 || hh > 23 || mi < 0 || mi > 59)
		return false;
	*h = hh;
	*min = mi;
	return true;
}

/*
 * Howard Hinnant's days_from_civil
 * (http://howardhinnant.github.io/date_algorithms.html): count years from
 * March, so the leap day is the last day of its year, then split the
 * year into 400-year eras of 146097 days each.  719468 is the day number
 * of 1970-01-01 counted from 0000-03-01.
 */
int32_t
caldate_days(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return (int32_t)era * 146097 + doe - 719468;
}
