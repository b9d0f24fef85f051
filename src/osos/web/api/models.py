"""The request and response shapes of the API (its OpenAPI schema)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, Field


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Invalid parameters"},
    401: {"model": Problem, "description": "Missing, unknown or revoked token"},
    404: {"model": Problem, "description": "No such service point, or not visible to you"},
    429: {"model": Problem, "description": "Rate limit: retry after the Retry-After seconds"},
}


class Resolution(IntEnum):
    QUARTER = 15
    HOUR = 60


class WindowOut(BaseModel):
    valid_from: str | None = Field(description="Local time; null: since the beginning")
    valid_to: str | None = Field(description="Local time; null: open-ended")


class PortfolioEntry(BaseModel):
    service_point: str
    eic: str | None
    title: str | None
    windows: list[WindowOut]


class ReadoutOut(BaseModel):
    read_at: str
    meter_serial: str
    obis: str
    value: str
    unit: str | None


class IntervalOut(BaseModel):
    start: str = Field(description="Local start of the interval")
    end: str
    withdrawal_kwh: str | None = Field(description="Çekiş after the multiplier, 3 decimals")
    supply_kwh: str | None = Field(description="Veriş after the multiplier, 3 decimals")
    source: Literal["actual", "estimated", "edited", "missing"]


class LoadProfileOut(BaseModel):
    service_point: str
    resolution_minutes: int
    intervals: list[IntervalOut]


class DataRequestIn(BaseModel):
    service_point: str = Field(min_length=1, max_length=32)
    start: str = Field(description="Local date or time, ISO 8601")
    end: str = Field(description="Local date or time, ISO 8601")
    minutes: int = Field(60, ge=15, le=1440, multiple_of=15)
    format: Literal["xlsx", "csv"] = "xlsx"


class DataRequestOut(BaseModel):
    id: int
    service_point: str
    reason: str
    fee: str
    currency: str
    status: str
    start: str | None
    end: str | None
    minutes: int
    format: str
    justification: str | None
    requester: str
    created_at: str | None
    file_name: str | None
    invoice_no: str | None = None
