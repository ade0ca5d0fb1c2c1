"""English dates the way the shop's Indonesian pages and its shoppers write
them ("23 November 2026, 19:28"), instead of Django's US defaults
("Nov. 23, 2026, 7:28 p.m." and "11/23/2026"). Everything else falls back to
Django's English formats."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
