"""Helpers for files staff open in a spreadsheet."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula (a donor's name comes
    from a web form): a leading quote, as OWASP advises against CSV injection. For text
    cells only; numbers keep their sign."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
