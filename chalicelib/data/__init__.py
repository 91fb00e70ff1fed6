"""Reference data files (postal codes, countries) read by chalicelib.domain.geography."""
