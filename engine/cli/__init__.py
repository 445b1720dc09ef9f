"""The `peie` command line: argument parsing, the choice of rendering, exit status."""

from .main import main, report_error

__all__ = ["main", "report_error"]
