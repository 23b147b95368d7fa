"""Order events from the storefront (``POST /v1/storefront/orders``): what turns "asked" into "bought".

One row per (storefront, order id). Each status is recorded once with its time; sending the same status again
is a duplicate and changes nothing (idempotent), a later status moves the order on (placed -> paid ->
cancelled/refunded). An order id already used by another customer is a conflict.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from gateway.errors import ProtocolError

TIME_OF = {"placed": "placed_at", "paid": "paid_at", "cancelled": "cancelled_at", "refunded": "cancelled_at"}


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_id: StrictStr = Field(min_length=1, max_length=100)
    customer_id: StrictStr = Field(min_length=1, max_length=200)
    status: Literal["placed", "paid", "cancelled", "refunded"] = "placed"
    amount: Decimal = Field(Decimal(0), ge=0, le=Decimal("100000000"))
    currency: StrictStr = Field("CNY", min_length=3, max_length=3)
    at: StrictStr | None = None           # ISO 8601 with an offset; default: when the gateway received it
    shop_id: StrictStr = "default"

    @field_validator("amount", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("amount must be a number or a numeric string, in yuan")
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("amount must be a number or a numeric string, in yuan") from None
        if amount.as_tuple().exponent < -2:
            raise ValueError("amount has at most two decimals (fen)")
        return amount

    def time(self, default: float) -> float:
        if self.at is None:
            return default
        try:
            parsed = datetime.fromisoformat(self.at)
        except ValueError:
            raise ProtocolError(400, "invalid_request", "at must be an ISO 8601 time with an offset") from None
        if parsed.tzinfo is None:
            raise ProtocolError(400, "invalid_request", "at needs a UTC offset")
        return parsed.timestamp()


def merge(existing: dict[str, Any] | None, order: OrderIn, storefront_id: str, at: float,
          now: float) -> dict[str, Any] | None:
    """The row to store, or None when this status was already recorded (a duplicate)."""
    column = TIME_OF[order.status]
    if existing is not None:
        if existing["customer_id"] != order.customer_id:
            raise ProtocolError(409, "conflict", "this order id belongs to another customer")
        if existing[column] is not None:
            return None
    row = dict(existing) if existing else {
        "id": f"{storefront_id}:{order.order_id}", "storefront_id": storefront_id, "shop_id": order.shop_id,
        "order_id": order.order_id, "customer_id": order.customer_id, "placed_at": at, "paid_at": None,
        "cancelled_at": None}
    row[column] = at
    row.update(status=_status(row, order.status), amount_cents=int(order.amount * 100) or row.get("amount_cents", 0),
               currency=order.currency, updated_at=now)
    return row


def _status(row: dict[str, Any], new: str) -> str:
    """Cancelled or refunded is final; otherwise paid once paid."""
    if new in ("cancelled", "refunded"):
        return new
    if row.get("status") in ("cancelled", "refunded"):
        return row["status"]
    return "paid" if row["paid_at"] is not None else "placed"
