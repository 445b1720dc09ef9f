"""Rule text shared by tests (on the path through pytest's `pythonpath`)."""

# The declarations every small test rule starts with: sector `test`, in force 2017-2018.
HEAD = """sector test "测试"
version "v1"
status draft
effective 2017 to 2018
published 2017-01-01
source "tests"
preallocation 50 % of base year 2015
rounding facility half_up to 1 tCO2
"""
