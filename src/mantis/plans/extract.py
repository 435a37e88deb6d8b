"""The inline extraction contract of a step: kept apart from the plan models so step types can use it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal["int", "str", "bool", "float", "decimal", "date", "datetime", "url", "list[str]"]
NUMERIC_TYPES = frozenset({"int", "float", "decimal"})


class ExtractField(BaseModel):
    """One column of an inline extraction schema."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="Column name in the CSV / key in the JSON output row.")
    type: FieldType = Field(
        "str",
        description="int / str / bool / float / decimal (an exact amount, with the currency the page shows: "
        "`19.99 USD`) / date (`2026-12-03`) / datetime (ISO 8601) / url (absolute http or https) / "
        "list[str]. Values are coerced to it; one that does not fit is empty (`$19.99` is no int).",
    )
    required: bool = Field(True, description="Rows missing a required field are not viable.")


class ExtractSpec(BaseModel):
    """The inline extraction contract of an `extract_data` (or `claude`) step."""

    model_config = ConfigDict(extra="forbid")

    schema_name: str = Field(
        "rows", min_length=1, description="Logged at runtime; the name of the CSV written beside the rows."
    )
    entity_name: str = Field("item", description="What one row is, as the extractor is told.")
    fields: list[ExtractField] = Field(min_length=1)
    max_items: int | None = Field(
        None, ge=1, description="Cap on rows returned. Omit for single-row extraction."
    )

    @model_validator(mode="after")
    def _unique_names(self) -> ExtractSpec:
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate field names: {', '.join(dupes)}")
        return self
