"""Every rendering of a result: JSON, CSV, XLSX, Parquet and tables for people.
Nothing here prints; the command line chooses where the text goes.
"""

from __future__ import annotations

from peie._exports import lazy_exports

_EXPORTS = {
    "aligned": ".common",
    "allocation_csv": ".common",
    "allocation_json": ".common",
    "allocation_table": ".common",
    "allocation_xlsx": ".common",
    "atomic_write": ".common",
    "batch_json": ".batch",
    "batch_table": ".batch",
    "check_output_path": ".common",
    "csv_text": ".common",
    "diff_json": ".diff",
    "diff_markdown": ".diff",
    "diff_text": ".diff",
    "emit": ".common",
    "facilities_table": ".batch",
    "impact_csv": ".diff",
    "impact_json": ".diff",
    "impact_text": ".diff",
    "json_text": ".common",
    "problems_csv": ".common",
    "provenance": ".common",
    "provenance_lines": ".common",
    "provenance_of": ".common",
    "provenance_rows": ".common",
    "text_table": ".common",
    "write_batch": ".batch",
    "write_xlsx": ".common",
}
__all__ = [
    "aligned",
    "allocation_csv",
    "allocation_json",
    "allocation_table",
    "allocation_xlsx",
    "atomic_write",
    "batch_json",
    "batch_table",
    "check_output_path",
    "csv_text",
    "diff_json",
    "diff_markdown",
    "diff_text",
    "emit",
    "facilities_table",
    "impact_csv",
    "impact_json",
    "impact_text",
    "json_text",
    "problems_csv",
    "provenance",
    "provenance_lines",
    "provenance_of",
    "provenance_rows",
    "text_table",
    "write_batch",
    "write_xlsx",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
