"""Facility data: files to validated unit records and columns, and local factors.

Reads rows, checks them against the JSON Schema derived from the rules' inputs and
reports every bad cell; imports no evaluator.
"""

from __future__ import annotations

from peie._exports import lazy_exports

_EXPORTS = {
    "ACCOUNTING_COLUMNS": ".kinds",
    "ASCII_WHITE_SPACE": ".columns",
    "COLUMNS": ".local_factors",
    "Columns": ".columns",
    "DEFAULT": ".local_factors",
    "DEFAULT_SOURCE": ".local_factors",
    "FEW_ROWS": ".columns",
    "FactorSource": ".local_factors",
    "IDENTITY_COLUMNS": ".kinds",
    "LocalFactors": ".local_factors",
    "Kind": ".kinds",
    "NON_NEGATIVE": ".kinds",
    "NO_LOCAL_FACTORS": ".local_factors",
    "PLAIN_NUMBER": ".columns",
    "Row": ".readers",
    "SUFFIXES": ".readers",
    "Table": ".readers",
    "UnitRecord": ".records",
    "all_valid": ".columns",
    "columns_from_table": ".columns",
    "field_kinds": ".kinds",
    "evaluate": ".conditions",
    "holds": ".conditions",
    "parse_factors": ".local_factors",
    "read_columns": ".columns",
    "read_table": ".readers",
    "record_schema": ".records",
    "schema": ".conditions",
    "table_from_records": ".readers",
    "unit_records": ".columns",
    "validate_columns": ".columns",
    "validate_table": ".records",
}
__all__ = [
    "ACCOUNTING_COLUMNS",
    "ASCII_WHITE_SPACE",
    "COLUMNS",
    "Columns",
    "DEFAULT",
    "DEFAULT_SOURCE",
    "FEW_ROWS",
    "FactorSource",
    "IDENTITY_COLUMNS",
    "LocalFactors",
    "Kind",
    "NON_NEGATIVE",
    "NO_LOCAL_FACTORS",
    "PLAIN_NUMBER",
    "Row",
    "SUFFIXES",
    "Table",
    "UnitRecord",
    "all_valid",
    "columns_from_table",
    "field_kinds",
    "evaluate",
    "holds",
    "parse_factors",
    "read_columns",
    "read_table",
    "record_schema",
    "schema",
    "table_from_records",
    "unit_records",
    "validate_columns",
    "validate_table",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
