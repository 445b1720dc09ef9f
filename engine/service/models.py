"""What the service takes and answers, as types: the OpenAPI document is made from them.

Requests are pydantic models, validated before any work. Answers are described as
TypedDicts: the documents themselves are built by peie.report's JSON builders, the same
as the command line's `--format json`, and the tests hold every answer to these
descriptions (additional properties are refused in both directions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, NotRequired

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic import with_config as _with_config
from typing_extensions import TypedDict  # pydantic's TypedDict before Python 3.12

FORBID = ConfigDict(extra="forbid")
closed = _with_config(FORBID)

# ---- requests --------------------------------------------------------------------------

# A cell as a data file holds it: a number (kept exact, never passed through float), text,
# a yes/no, or empty. The data layer reads it as it reads a JSON data file.
Cell = str | StrictInt | Decimal | StrictBool | None
Year = Annotated[StrictInt, Field(ge=1, le=9999, description="the allocation year")]


class RuleFile(BaseModel):
    """A rule file given as text; `name` is what diagnostics and provenance call it."""

    model_config = FORBID
    name: str = Field(min_length=1, max_length=200, examples=["cement.rule"])
    text: str


def _distinct(rules: list[RuleFile]) -> list[RuleFile]:
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError("each rule file needs a name of its own")
    return rules


RuleFiles = Annotated[list[RuleFile], AfterValidator(_distinct)]


class CheckRequest(BaseModel):
    model_config = FORBID
    rules: RuleFiles = Field(min_length=1, description="rule files, checked together")


class LocalFactor(BaseModel):
    model_config = FORBID
    province: str
    sector: str
    factor: Decimal | str = Field(description="a number; text is read as a data file's cell")


class UnitsRequest(BaseModel):
    """Units as the records of a data file, and the local adjustment factors."""

    model_config = FORBID
    units: list[dict[str, Cell]] = Field(
        description="one record per unit, its fields as in a data file (docs/cli.md)")
    local_factors: list[LocalFactor] | None = Field(
        default=None, description="province, sector, factor (default: 1 everywhere)")


class Draft(BaseModel):
    model_config = FORBID
    rules: RuleFiles | None = Field(
        default=None, description="rule files to use instead of the service's rules (a "
                                  "draft to try), checked together")


class AllocateRequest(UnitsRequest, Draft):
    year: Year


class ExplainRequest(AllocateRequest):
    unit_id: str = Field(description="the unit whose computation is shown")


class PositionRequest(AllocateRequest):
    pass


class IssueRequest(UnitsRequest):
    """An issuing run: always under the service's own rules, never a draft."""

    year: Year
    supersede_reason: str | None = Field(
        default=None, min_length=1,
        description="replace what this year and stage recorded before, for this reason "
                    "(the command line's --supersede --reason TEXT)")


class DiffRequest(BaseModel):
    model_config = FORBID
    old: RuleFile
    new: RuleFile


class ImpactRequest(UnitsRequest):
    old: RuleFile
    new: RuleFile
    exact: bool = Field(default=False,
                        description="evaluate the attribution steps exactly, not on the "
                                    "batch path")
    top: int = Field(default=10, ge=0, le=1000, description="largest gains and losses")


class LedgerQuery(BaseModel):
    model_config = FORBID
    year: int | None = Field(default=None, ge=1, le=9999)
    facility: str | None = Field(default=None, description="one facility's issuances")
    superseded: bool = Field(default=False, description="include superseded runs")


class RunsQuery(BaseModel):
    model_config = FORBID
    year: int | None = Field(default=None, ge=1, le=9999)


# ---- answers ---------------------------------------------------------------------------


@closed
class RuleStamp(TypedDict):
    version: str
    sha256: str


@closed
class RuleVersion(TypedDict):
    path: str
    sector: str
    version: str
    status: str
    effective: list[int]
    sha256: str


@closed
class UnitAmount(TypedDict):
    unit_id: str
    facility_id: str
    sector: str
    allocation: str  # exact decimal text


@closed
class FacilityAmount(TypedDict):
    facility_id: str
    allocation: int
    sectors: NotRequired[dict[str, int]]  # a facility that spans sectors


@closed
class AllocationDocument(TypedDict):
    year: int
    rules: dict[str, RuleStamp]
    data_sha256: str
    local_factors_sha256: NotRequired[str]
    units: list[UnitAmount]
    facilities: list[FacilityAmount]
    totals: dict[str, int]


@closed
class ExplanationNode(TypedDict):
    name: str
    value: str
    unit: NotRequired[str]
    label: NotRequired[str]
    formula: NotRequired[str]
    rule: NotRequired[str]
    source: NotRequired[str]
    data: NotRequired[str]
    note: NotRequired[str]
    children: NotRequired[list[ExplanationNode]]


@closed
class ExplainedRule(TypedDict):
    version: str
    sha256: str
    path: str


@closed
class ExplanationDocument(TypedDict):
    year: int
    unit_id: str
    facility_id: str
    sector: str
    rules: ExplainedRule
    data_sha256: str
    local_factors_sha256: NotRequired[str]
    tree: ExplanationNode


@closed
class SectorAmounts(TypedDict):
    allocation: int
    emissions: str
    obligation: int
    balance: int


@closed
class FacilityPosition(TypedDict):
    facility_id: str
    allocation: int
    emissions: str
    obligation: int
    balance: int
    emissions_computed: bool
    sectors: NotRequired[dict[str, SectorAmounts]]  # a facility spanning sectors


@closed
class SectorPosition(TypedDict):
    sector: str
    facilities: int
    short: int
    short_share: str
    allocation: int
    emissions: str
    obligation: int
    shortfall: int
    surplus: int
    gap_percent: str


@closed
class PositionDocument(TypedDict):
    year: int
    rules: dict[str, RuleStamp]
    data_sha256: str
    local_factors_sha256: NotRequired[str]
    facilities: list[FacilityPosition]
    sectors: list[SectorPosition]


@closed
class Change(TypedDict):
    section: str
    name: str
    action: Literal["added", "removed", "changed"]
    item: str | None
    old: str | None
    new: str | None
    note: str | None
    old_line: int | None
    new_line: int | None


@closed
class Edit(TypedDict):
    section: str
    name: str
    title: str
    changes: list[Change]


@closed
class DiffDocument(TypedDict):
    old: RuleVersion
    new: RuleVersion
    edits: list[Edit]


@closed
class DataStamp(TypedDict):
    path: str
    sha256: str


@closed
class ImpactStep(TypedDict):
    title: str
    edits: list[str]
    total: str


@closed
class FacilityImpact(TypedDict):
    facility_id: str
    sector: str
    units: int
    old: int
    new: int
    change: int
    percent: str | None
    parts: list[str]
    rounding: str


@closed
class ImpactTotals(TypedDict):
    old: int
    new: int
    change: int


@closed
class ImpactDocument(TypedDict):
    old: RuleVersion
    new: RuleVersion
    data: DataStamp
    local_factors_sha256: str | None
    method: str
    units_of_other_sectors: int
    totals: ImpactTotals
    steps: list[ImpactStep]
    rounding_total: str
    edits_without_effect: list[str]
    largest_gains: list[str]
    largest_losses: list[str]
    facilities: list[FacilityImpact]


@closed
class Preallocated(TypedDict):
    facility_id: str
    preallocation: int


@closed
class PreallocationDocument(TypedDict):
    year: int
    rules: dict[str, RuleStamp]
    data_sha256: str
    local_factors_sha256: NotRequired[str]
    stage: Literal["preallocation"]
    base_year: dict[str, int]
    facilities: list[Preallocated]
    totals: dict[str, int]
    ledger: str


@closed
class Settled(TypedDict):
    facility_id: str
    preallocation: int
    final: int
    trueup: int


@closed
class TrueUpDocument(TypedDict):
    year: int
    rules: dict[str, RuleStamp]
    data_sha256: str
    local_factors_sha256: NotRequired[str]
    stage: Literal["trueup"]
    facilities: list[Settled]
    new_entrants: list[str]
    totals_final: dict[str, int]
    totals_preallocation: dict[str, int]
    totals_trueup: dict[str, int]
    ledger: str


@closed
class LedgerEntry(TypedDict):
    run_id: int
    year: int
    stage: Literal["preallocation", "trueup"]
    facility_id: str
    sector: str
    amount: int
    final: int | None
    preallocation: int | None
    rules: dict[str, RuleStamp]
    data_sha256: str
    local_factors_sha256: str | None
    recorded_at: str
    superseded: bool
    supersede_reason: str | None


@closed
class LedgerRun(TypedDict):
    id: int
    year: int
    stage: Literal["preallocation", "trueup"]
    recorded_at: str
    command: str
    rules: dict[str, RuleStamp]
    data_sha256: str
    local_factors_sha256: str | None
    superseded_by: int | None
    supersede_reason: str | None


@closed
class Diagnostic(TypedDict):
    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    message: str
    text: str  # as a terminal shows it: the place, the line, a caret under the place


@closed
class CheckAnswer(TypedDict):
    ok: bool
    message: NotRequired[str]  # when not ok: how many errors
    rules: list[RuleVersion]
    diagnostics: list[Diagnostic]


# ---- errors ----------------------------------------------------------------------------


@closed
class DataProblem(TypedDict):
    file: str
    row: int | None
    unit_id: str | None
    field: str | None
    message: str


@closed
class RequestProblem(TypedDict):
    location: list[str | int]
    message: str


@closed
class RulesRefused(TypedDict):
    error: Literal["rules"]
    message: str
    diagnostics: list[Diagnostic]


@closed
class DataRefused(TypedDict):
    error: Literal["data"]
    message: str
    problems: list[DataProblem]


@closed
class RequestRefused(TypedDict):
    error: Literal["request"]
    message: str
    problems: list[RequestProblem]


@closed
class Refused(TypedDict):
    """Any other answer that is not the document asked for: a command that cannot be
    carried out as asked, a limit, the token."""

    error: Literal["usage", "limit", "busy", "timeout", "token", "http", "internal"]
    message: str


Unprocessable = Annotated[RulesRefused | DataRefused | RequestRefused | Refused,
                          Field(discriminator="error")]
