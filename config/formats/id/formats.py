"""Indonesian dates with the month written out ("23 November 2026, 19.28"),
like the English pages; the rest falls back to Django's Indonesian formats."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H.i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H.i"
TIME_FORMAT = "H.i"
