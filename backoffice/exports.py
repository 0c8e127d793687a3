"""The one writer for every CSV we write (DESIGN: "Every CSV we write goes through one
writer that neutralises spreadsheet formulas"): staff open these files in a spreadsheet,
and a gift's reference or a donor's name can come from a web form."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_text(value: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula: a leading quote, as
    OWASP advises against CSV injection. A plain number ("-12.50") keeps its sign."""
    if value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


class SpreadsheetSafeWriter:
    """csv.writer, with every text cell passed through spreadsheet_text."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable):
        return self._writer.writerow(
            [spreadsheet_text(cell) if isinstance(cell, str) else cell for cell in row]
        )

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **options) -> SpreadsheetSafeWriter:
    return SpreadsheetSafeWriter(file, **options)
