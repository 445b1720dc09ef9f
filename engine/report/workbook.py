"""XLSX workbooks people can hand on: each sheet a header row (bold, frozen), columns as
wide as their contents, numbers formatted by what they hold (whole tonnes `#,##0`,
decimals with their places), and text cells always text: an id such as `=1+1` or `007`
is written as the string it is, never as a formula or a number.

The reports' workbooks: the allocation's (peie.report.allocation), and here those of
the position, the true-up and the impact, each with its breakdowns and a provenance sheet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, BinaryIO

from peie.api import PositionReport, TrueUpRun
from peie.dsl.i18n import _, localized
from peie.provenance import Provenance

from . import breakdown as bd
from . import provenance as prov
from .labels import heading

if TYPE_CHECKING:  # the impact module brings numpy
    from peie.impact import Impact

Sheet = tuple[Sequence[str], Sequence[Sequence[Any]]]  # a header and its rows

MAX_PLACES = 6  # decimals shown at most (the exact value is in the cell)
MAX_WIDTH = 60


def number_format(values: Sequence[Any]) -> str:
    """A column's format: text `@`, whole numbers `#,##0`, decimals with the most places
    its values have (up to MAX_PLACES)."""
    numbers = [v for v in values if v is not None]
    if not numbers or any(isinstance(v, str | bool) for v in numbers):
        return "@"
    places = 0
    for value in numbers:
        if isinstance(value, float):
            places = max(places, 3)
        elif isinstance(value, Decimal):
            exponent = value.normalize().as_tuple().exponent
            places = max(places, -exponent if isinstance(exponent, int) else 0)
    places = min(places, MAX_PLACES)
    return "#,##0" + ("." + "0" * places if places else "")


def _width(value: Any) -> int:
    text = value if isinstance(value, str) else f"{value:,}" if value is not None else ""
    # A CJK character takes two columns.
    return len(text) + sum(1 for c in text if ord(c) > 0x2E80)


def _cell(sheet: Any, value: Any, fmt: str, font: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    made = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        made.data_type = "s"  # not a formula, whatever it starts with
    made.number_format = fmt
    if font is not None:
        made.font = font
    return made


def write_xlsx(handle: BinaryIO, sheets: Mapping[str, Sheet]) -> None:
    """A workbook of one sheet per entry (a header row, then the rows): the sheets' titles
    and the columns' headings in the run's language."""
    from openpyxl import Workbook  # only the xlsx output pays for the import
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(localized(title))
        columns = [[row[i] for row in rows] for i in range(len(header))]
        formats = [number_format(c) for c in columns]
        for index, (name, column) in enumerate(zip(header, columns, strict=True), 1):
            width = max([_width(heading(name)), *map(_width, column)])
            sheet.column_dimensions[get_column_letter(index)].width = min(width + 2,
                                                                         MAX_WIDTH)
        sheet.freeze_panes = "A2"

        sheet.append([_cell(sheet, heading(name), "@", bold) for name in header])
        for row in rows:
            sheet.append([_cell(sheet, v, f) for v, f in zip(row, formats, strict=True)])
    book.save(handle)


# ---- the reports' sheets -----------------------------------------------------------


def breakdown_sheets(parts: Sequence[bd.Part], measures: tuple[str, ...]) -> dict[str, Sheet]:
    """A sheet per breakdown: `by sector`, `by province`, `by category`."""
    return {_BY[b.dimension]: bd.breakdown_rows(b) for b in bd.breakdowns(parts, measures)}


_BY = {"sector": _("by sector"), "province": _("by province"), "category": _("by category")}


def _book(handle: BinaryIO, facilities: Sheet, parts: Sequence[bd.Part],
          measures: tuple[str, ...], provenance: Provenance) -> None:
    """A report's workbook: its facilities, its breakdowns, its provenance."""
    write_xlsx(handle, {"facilities": facilities, **breakdown_sheets(parts, measures),
                        "provenance": (("item", "value"), prov.rows(provenance))})


def position_xlsx(report: PositionReport, handle: BinaryIO) -> None:
    _book(handle, (("facility_id", "sector", "allocation", "emissions", "balance",
                    "emissions_computed"),
                   [(f.facility_id, f.sector, f.allocation, f.emissions, f.balance,
                     "true" if f.computed else "false") for f in report.facilities]),
          bd.position_parts(report), bd.POSITION, report.provenance)


def trueup_xlsx(run: TrueUpRun, handle: BinaryIO) -> None:
    _book(handle, (("facility_id", "sector", "preallocation", "final", "trueup", "new_entrant"),
                   [(t.facility_id, t.sector, t.preallocation, t.final, t.trueup,
                     "true" if t.new_entrant else "false") for t in run.items]),
          bd.trueup_parts(run), bd.TRUEUP, run.provenance)


def impact_xlsx(result: Impact, handle: BinaryIO) -> None:
    steps = [s.title for s in result.steps]
    old, new = result.old_rule, result.new_rule
    provenance = [("sector", old.sector)]
    for name, rule in (("old", old), ("new", new)):
        provenance += [(f"{name} version", rule.version), (f"{name} path", rule.path),
                       (f"{name} sha256", rule.sha256)]
    provenance += [("data", result.data_path), ("data sha256", result.data_sha256)]
    if result.local_factors_sha256:
        provenance.append(("local factors sha256", result.local_factors_sha256))
    write_xlsx(handle, {
        "facilities": (("facility_id", "sector", "units", "old", "new", "change", "percent",
                        *steps, "rounding"),
                       [(f.facility_id, f.sector, f.units, f.old, f.new, f.change,
                         None if f.percent is None else round(f.percent, 4), *f.parts,
                         f.rounding) for f in result.facilities]),
        "steps": (("step", "total"),
                  [*zip(steps, result.step_totals(), strict=True),
                   ("rounding to whole tonnes", result.rounding_total())]),
        **breakdown_sheets(bd.impact_parts(result), bd.IMPACT),
        "provenance": (("item", "value"), provenance),
    })

