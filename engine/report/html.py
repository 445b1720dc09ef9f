"""HTML reports for people: `--format html` of allocate, position, trueup and the impact
of `diff --data`. One self-contained page (styles and SVG charts inline, no script, no
network), in the run's language, with the key figures, the breakdowns by sector, province
and category as charts and tables, the largest facilities, and the provenance.

The page is a string.Template filled with HTML this module builds; every value from a
result (ids, names, paths) is escaped where it enters, so a hostile id stays text, and
the page's content security policy lets no script run and nothing load even if one did
not. The
template system is the standard library's: a page of fixed layout needs no more than
placeholders, and Jinja2 would be a dependency for it.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from html import escape
from typing import IO, TYPE_CHECKING, NamedTuple

from peie.api import AllocationRun, PositionReport, TrueUpRun
from peie.data.provinces import PROVINCES
from peie.dsl.i18n import _, language, localized, ngettext
from peie.dsl.model import EnumType, Rule
from peie.provenance import Provenance, RuleRef, program_version

from . import breakdown as bd
from . import charts
from .breakdown import Breakdown, Part, key_label, shown
from .charts import Bar

if TYPE_CHECKING:  # the impact module brings numpy
    from peie.impact import Impact

TOP = 10  # facilities in each list of the largest

PAGE = string.Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$style</style>
</head>
<body>
<header><h1>$title</h1><p class="lead">$lead</p></header>
<main>
<section class="figures">$figures</section>
$sections
</main>
<footer>$footer</footer>
</body>
</html>
""")

STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", system-ui, sans-serif; margin: 0; color: #1f2933; background: #f4f5f7; }
header { background: #1f3a5f; color: #fff; padding: 20px 32px; }
h1 { margin: 0 0 6px; font-size: 24px; }
.lead { margin: 0; opacity: 0.85; }
main { padding: 8px 32px 24px; max-width: 1100px; }
section { background: #fff; border-radius: 6px; padding: 12px 20px 16px; margin: 16px 0;
  box-shadow: 0 1px 2px rgba(0,0,0,0.08); }
h2 { font-size: 18px; margin: 4px 0 12px; color: #1f3a5f; }
.figures { display: flex; flex-wrap: wrap; gap: 12px; background: none; box-shadow: none;
  padding: 0; }
.figure { background: #fff; border-radius: 6px; padding: 12px 18px; min-width: 160px;
  box-shadow: 0 1px 2px rgba(0,0,0,0.08); }
.figure .value { font-size: 22px; font-weight: 600; }
.figure .name { font-size: 13px; color: #52606d; }
table { border-collapse: collapse; font-size: 13px; margin-top: 8px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e7eb; text-align: left; }
th { background: #f0f2f5; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid #9aa5b1; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 12px; }
svg.chart text { fill: #1f2933; }
svg.chart text.value { fill: #52606d; }
svg.chart .axis { stroke: #7b8794; stroke-width: 1; }
.note { color: #52606d; font-size: 13px; }
footer { padding: 0 32px 24px; color: #52606d; font-size: 12px; }
code { font-size: 12px; word-break: break-all; }
"""

DIMENSION = {"sector": _("By sector"), "province": _("By province"),
             "category": _("By category")}
COLUMN = {"sector": _("sector"), "province": _("province"), "category": _("category"),
          "facility": _("facility"), "facilities": _("facilities"), "units": _("units"),
          "allocation": _("allocation tCO2"), "emissions": _("verified emissions tCO2"),
          "balance": _("surplus(+)/shortfall(-) tCO2"), "short": _("facilities short"),
          "old": _("old tCO2"), "new": _("new tCO2"), "change": _("change tCO2"),
          "preallocation": _("pre-allocation tCO2"), "final": _("final allocation tCO2"),
          "trueup": _("true-up tCO2"), "percent": _("change %")}


class Names:
    """How a group's key reads on the page, in the run's language: a province by its
    name (GB/T 2260: 江苏, or Jiangsu); in Chinese a sector and a category by their labels
    in the rule files (水泥, 超超临界 1000MW 机组), in English by their codes."""

    def __init__(self, rules: Iterable[Rule]):
        self.chinese = language() == "zh"
        self.labels: dict[str, dict[str, str]] = {"sector": {}, "category": {}}
        for rule in rules:
            self.labels["sector"][rule.sector] = rule.sector_label
            category = rule.inputs.get("category")
            if category is not None and isinstance(category.type, EnumType):
                self.labels["category"].update(
                    (m.code, m.label) for m in rule.enums[category.type.enum].members)

    def __call__(self, dimension: str, key: str) -> str:
        if key in (bd.MIXED, bd.NONE):
            return key_label(key)
        if dimension == "province":
            province = _PROVINCES.get(key)
            return key if province is None else province.short if self.chinese \
                else province.english
        return self.labels[dimension].get(key, key) if self.chinese else key


_PROVINCES = {p.name: p for p in PROVINCES}


class Figure(NamedTuple):
    name: str
    value: str


# ---- pieces of a page --------------------------------------------------------------


def _t(message: object) -> str:
    """A catalogue message in the run's language, escaped."""
    return escape(localized(message))


def _section(title: object, *content: str) -> str:
    return f"<section><h2>{_t(title)}</h2>{''.join(content)}</section>"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool],
           total: bool = False) -> str:
    """A table of texts (escaped here); with `total`, the last row is a total."""
    def cells(row: Sequence[str], tag: str) -> str:
        return "".join(f'<{tag}{" class=n" if n else ""}>{escape(c)}</{tag}>'
                       for c, n in zip(row, numeric, strict=True))

    body = [f'<tr{" class=total" if total and i == len(rows) - 1 else ""}>{cells(r, "td")}</tr>'
            for i, r in enumerate(rows)]
    return f"<table><thead><tr>{cells(header, 'th')}</tr></thead><tbody>{''.join(body)}" \
           "</tbody></table>"


def _figures(figures: Sequence[Figure]) -> str:
    return "".join(f'<div class="figure"><div class="value">{escape(f.value)}</div>'
                   f'<div class="name">{_t(f.name)}</div></div>' for f in figures)


def _breakdown(b: Breakdown, names: Names, charted: str, signed: bool = False) -> str:
    """A breakdown's chart (of the measure `charted`) and its table."""
    title = localized(DIMENSION[b.dimension])
    labels = [names(b.dimension, g.key) for g in b.groups]
    chart = charts.bars(f"{title}: {localized(COLUMN[charted])}",
                        [Bar(label, float(g.amounts[charted]), shown(g.amounts[charted], signed))
                         for label, g in zip(labels, b.groups, strict=True)], signed)
    header, rows = bd.breakdown_rows(b)
    cells = [(label, f"{r[1]:,}", f"{r[2]:,}",
              *(shown(v, signed and m in bd.SIGNED)
                for m, v in zip(b.measures, r[3:], strict=True)))
             for label, r in zip([*labels, bd.total_label()], rows, strict=True)]
    return _section(DIMENSION[b.dimension], chart,
                    _table([localized(COLUMN[h]) for h in header], cells,
                           [False, *([True] * (len(header) - 1))], total=True))


def _largest(title: object, parts: Sequence[Part], names: Names, measure: str,
             columns: Sequence[str], top: int = TOP) -> str:
    """The parts with the largest gains and losses of `measure`: a chart and a table
    (none with `top` 0)."""
    if not top:
        return ""
    gains = sorted((p for p in parts if p.amounts[measure] > 0),
                   key=lambda p: (-p.amounts[measure], p.facility_id))[:top]
    losses = sorted((p for p in parts if p.amounts[measure] < 0),
                    key=lambda p: (p.amounts[measure], p.facility_id))[:top]
    chosen = gains + losses
    if not chosen:
        nothing = _("No facility changes.")
        return _section(title, f'<p class="note">{_t(nothing)}</p>')
    chart = charts.bars(localized(title), [
        Bar(_part_label(p, names), float(p.amounts[measure]), shown(p.amounts[measure], True))
        for p in chosen], signed_colours=True)
    rows = [(p.facility_id, names("sector", p.keys["sector"]),
             names("province", p.keys["province"]),
             *(shown(p.amounts[c], c == measure) for c in columns)) for p in chosen]
    header = [localized(COLUMN[c]) for c in ("facility", "sector", "province", *columns)]
    note = localized(ngettext("Up to {count} facility each way; every facility is in the "
                              "CSV and XLSX formats.", "Up to {count} facilities each way; "
                              "every facility is in the CSV and XLSX formats.", top))
    return _section(title, chart, _table(header, rows, [False] * 3 + [True] * len(columns)),
                    f'<p class="note">{escape(note)}</p>')


def _part_label(part: Part, names: Names) -> str:
    return f"{part.facility_id} ({names('sector', part.keys['sector'])})"


def _histogram(title: object, parts: Sequence[Part], measure: str,
               note: Callable[[int, int], object]) -> str:
    """The distribution of `measure` over the parts; `note` says how many are below zero
    and how many not, from those two counts."""
    values = [float(p.amounts[measure]) for p in parts]
    histogram_bins = charts.bins(values)
    if not histogram_bins:
        return ""
    ends = (shown(round(histogram_bins[0][0]), True), shown(round(histogram_bins[-1][1]), True))
    below = sum(1 for v in values if v < 0)
    return _section(title, charts.histogram(localized(title), histogram_bins, ends,
                                            localized(COLUMN["facilities"])),
                    f'<p class="note">{_t(note(below, len(values) - below))}</p>')


def _provenance(rules: Mapping[str, RuleRef], data_path: str, data_sha256: str,
                local_factors_sha256: str | None) -> str:
    """The rule versions and the files a report comes from, with their hashes."""
    rows = [(localized(_("rules {sector}", sector=name)),
             f"{rule.version} ({rule.status})" if rule.status else rule.version,
             rule.path, rule.sha256) for name, rule in rules.items()]
    rows.append((localized(_("data")), "", data_path, data_sha256))
    if local_factors_sha256:
        rows.append((localized(_("local adjustment factors")), "", "", local_factors_sha256))
    header = [localized(_("item")), localized(_("version")), localized(_("file")), "sha256"]
    note = _("Every figure can be reproduced from these rule versions and files; the hashes "
             "identify them.")
    return _section(_("Provenance"), _table(header, rows, [False] * 4),
                    f'<p class="note">{_t(note)}</p>')


def _of_run(provenance: Provenance, data_path: str, names: Names) -> str:
    return _provenance({names("sector", s): r for s, r in sorted(provenance.rules.items())},
                       data_path, provenance.data_sha256, provenance.local_factors_sha256)


def _page(title: str, lead: str, figures: Sequence[Figure], sections: Sequence[str],
          handle: IO[str]) -> None:
    footer = localized(_("Made by peie {version}. Amounts in tonnes of CO2 (tCO2).",
                         version=program_version()))
    handle.write(PAGE.substitute(
        lang="zh-CN" if language() == "zh" else "en", title=escape(title), lead=escape(lead),
        style=STYLE, figures=_figures(figures), sections="\n".join(s for s in sections if s),
        footer=escape(footer)))


def _count(value: int) -> str:
    return f"{value:,}"


# ---- the documents -----------------------------------------------------------------


def allocation_html(result: AllocationRun, handle: IO[str]) -> None:
    names = Names(result.rules.values())
    parts = bd.allocation_parts(result)
    groups = bd.breakdowns(parts, bd.ALLOCATION)
    total = groups[0].total
    largest = sorted(parts, key=lambda p: (-p.amounts["allocation"], p.facility_id))[:TOP]
    top = _section(_("Largest allocations"), charts.bars(
        localized(_("Largest allocations")),
        [Bar(_part_label(p, names), float(p.amounts["allocation"]),
             shown(p.amounts["allocation"]))
         for p in largest]))
    _page(localized(_("Free allocation {year}", year=result.year)),
          localized(_("Free allowances (配额) allocated to each facility, by the rules in "
                      "force in {year}.", year=result.year)),
          [Figure(COLUMN["allocation"], shown(total.amounts["allocation"])),
           Figure(COLUMN["facilities"], _count(total.facilities)),
           Figure(COLUMN["units"], _count(total.units))],
          [*(_breakdown(b, names, "allocation") for b in groups), top,
           _of_run(result.provenance, result.data_path, names)], handle)


def position_html(report: PositionReport, handle: IO[str]) -> None:
    names = Names(report.result.rules.values())
    parts = bd.position_parts(report)
    groups = bd.breakdowns(parts, bd.POSITION)
    total = groups[0].total
    _page(localized(_("Position {year}", year=report.result.year)),
          localized(_("Final allocation against the compliance obligation (清缴): surplus "
                      "(+) or shortfall (-) of each facility.")),
          [Figure(COLUMN["allocation"], shown(total.amounts["allocation"])),
           Figure(COLUMN["emissions"], shown(total.amounts["emissions"])),
           Figure(COLUMN["balance"], shown(total.amounts["balance"], True)),
           Figure(COLUMN["short"], f"{total.amounts['short']:,} / {total.facilities:,}")],
          [_histogram(_("Surplus and shortfall across facilities"), parts, "balance",
                      lambda short, rest: ngettext(
                          "{count} facility short, {more} in surplus or even.",
                          "{count} facilities short, {more} in surplus or even.", short,
                          more=rest)),
           *(_breakdown(b, names, "balance", signed=True) for b in groups),
           _largest(_("Largest surpluses and shortfalls"), parts, names, "balance",
                    ("allocation", "emissions", "balance")),
           _of_run(report.provenance, report.result.data_path, names)], handle)


def trueup_html(run: TrueUpRun, handle: IO[str]) -> None:
    names = Names(run.final.rules.values())
    parts = bd.trueup_parts(run)
    groups = bd.breakdowns(parts, bd.TRUEUP)
    total = groups[0].total
    entrants = len({t.facility_id for t in run.items if t.new_entrant})
    _page(localized(_("Final allocation and true-up {year}", year=run.final.year)),
          localized(_("Final allocation on verified output less the pre-allocation issued: "
                      "topped up (+) or taken back (-) (多退少补).")),
          [Figure(COLUMN["final"], shown(total.amounts["final"])),
           Figure(COLUMN["preallocation"], shown(total.amounts["preallocation"])),
           Figure(COLUMN["trueup"], shown(total.amounts["trueup"], True)),
           Figure(_("new entrants"), _count(entrants))],
          [_histogram(_("True-up across facilities"), parts, "trueup",
                      lambda back, rest: ngettext(
                          "{count} facility has allowances taken back, {more} topped up or "
                          "even.", "{count} facilities have allowances taken back, {more} "
                          "topped up or even.", back, more=rest)),
           *(_breakdown(b, names, "trueup", signed=True) for b in groups),
           _largest(_("Largest top-ups and take-backs"), parts, names, "trueup",
                    ("preallocation", "final", "trueup")),
           _of_run(run.provenance, run.final.data_path, names)], handle)


def impact_html(result: Impact, handle: IO[str], top: int = TOP) -> None:
    names = Names([result.old_rule, result.new_rule])
    parts = bd.impact_parts(result)
    groups = bd.breakdowns(parts, bd.IMPACT)
    totals = result.totals()
    old, new = result.old_rule, result.new_rule
    # Each step in whole tonnes, and the rounding what is left of the whole-tonne change:
    # so the table a person adds up adds up (the JSON has the exact parts).
    whole = [round(t) for t in result.step_totals()]
    whole.append(int(totals["change"]) - sum(whole))
    titles = [s.title for s in result.steps] + [localized(_("rounding to whole tonnes"))]
    steps = [Bar(title, float(t), shown(t, True)) for title, t in zip(titles, whole, strict=True)]
    waterfall = charts.waterfall(
        localized(_("Where the change comes from")),
        Bar(localized(_("old {version}", version=old.version)), float(totals["old"]),
            shown(totals["old"])), steps,
        Bar(localized(_("new {version}", version=new.version)), float(totals["new"]),
            shown(totals["new"])))
    rows = [(s.label, s.text) for s in steps]
    rows.append((localized(COLUMN["change"]), shown(totals["change"], True)))
    still = [e.title for e in result.without_effect]
    effect = [_table([localized(_("edit")), localized(COLUMN["change"])], rows, [False, True],
                     total=True)]
    if still:
        label = _("Edits with no effect on this data:")
        effect.append(f'<p class="note">{_t(label)} {escape("; ".join(still))}</p>')
    sector = names("sector", old.sector)
    rules = {localized(_("{sector} old", sector=sector)): old,
             localized(_("{sector} new", sector=sector)): new}
    provenance = _provenance({name: RuleRef(r.version, r.sha256, r.path, r.status)
                              for name, r in rules.items()}, result.data_path,
                             result.data_sha256, result.local_factors_sha256)
    change = Decimal(totals["change"])
    percent = f"{change / Decimal(totals['old']) * 100:+.2f} %" if totals["old"] else ""
    _page(localized(_("Impact of {sector} {old} → {new}", sector=sector, old=old.version,
                      new=new.version)),
          localized(_("Both versions on {data}: what each edit of the rules does to the "
                      "allocation (sequential substitution, in the order of the diff).",
                      data=result.data_path)),
          [Figure(COLUMN["old"], shown(totals["old"])),
           Figure(COLUMN["new"], shown(totals["new"])),
           Figure(COLUMN["change"], f"{shown(totals['change'], True)} {percent}".strip()),
           Figure(COLUMN["facilities"], _count(len(result.facilities)))],
          [_section(_("Where the change comes from"), waterfall, *effect),
           *(_breakdown(b, names, "change", signed=True) for b in groups),
           _largest(_("Largest gains and losses"), parts, names, "change",
                    ("old", "new", "change"), top),
           provenance], handle)
