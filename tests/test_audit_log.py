"""The owner's audit page shows everything done to the organizer's money and data.

Refunds, resends and the orders export used to be audited with no organizer, so the owner's
audit page never showed them; uploads through the operator API were not audited at all. Every
entry now goes through `api.audit.record`, which requires the organizer.
"""

from __future__ import annotations

import ast
import base64
import dataclasses
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Order, OrganizerMember
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_checkout import buy
from tests.test_dashboard import sign_in

Client = AsyncTestClient[Litestar]
OWNER = "owner@reef.example"
OPERATOR = {"authorization": "Basic " + base64.b64encode(b"op:pw-long-enough").decode()}
API = Path(__file__).resolve().parents[1] / "api"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, admin_username="op", admin_password="pw-long-enough")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


async def owner_sees(client: Client, organizer_id: object) -> list[str]:
    page = await client.get(f"/admin/organizers/{organizer_id}/audit")
    assert page.status_code == 200
    rows = BeautifulSoup(page.text, "html.parser").select("#audit tr[data-action]")
    return [str(row["data-action"]) for row in rows]


async def test_refunds_resends_exports_and_uploads_are_on_the_owners_audit_page(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    organizer = await factories.organizer(db, name="Reef Bar")
    db.add(OrganizerMember(organizer_id=organizer.id, email=OWNER, role="owner"))
    event = await factories.event(db, org=organizer, name="Low Tide")
    tier = await factories.tier(db, event=event, name="Floor", capacity=10)
    await db.commit()
    organizer_id, event_id = organizer.id, event.id
    status, _, _ = await buy(client, event, {f"qty-{tier.id}": "2", "email": "ana@example.com"})
    assert status == 303
    public_id = await db.scalar(select(Order.public_id))
    await sign_in(client, db, settings, OWNER)

    order_page = await client.get(f"/admin/orders/{public_id}")
    csrf = csrf_token(order_page.text)
    resent = await client.post(
        f"/admin/orders/{public_id}/resend", data={"_csrf_token": csrf}, follow_redirects=False
    )
    assert resent.status_code == 303
    refunded = await client.post(
        f"/admin/orders/{public_id}/refund", data={"_csrf_token": csrf, "reason": "cancelled"}
    )
    assert pages.text(refunded.text, "#note") == "Free passes voided."
    assert (await client.get("/admin/orders.csv")).status_code == 200
    for path in (f"organizers/{organizer_id}/logo", f"events/{event_id}/image"):
        uploaded = await client.put(
            f"/api/v1/admin/{path}", files={"data": ("a.png", png(), "image/png")},
            headers=OPERATOR,
        )  # fmt: skip
        assert uploaded.status_code == 200, uploaded.text

    assert await owner_sees(client, organizer_id) == [
        "event.image_uploaded",
        "logo.uploaded",
        "export.orders",
        "refund.requested",
        "tickets.resent",
    ]


def _writes_audit_entry(node: ast.AST) -> bool:
    """A call that makes an AuditEntry: `AuditEntry(...)`, `db.AuditEntry(...)`,
    `insert(AuditEntry)`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name == "AuditEntry":
        return True
    return name == "insert" and any(
        isinstance(arg, ast.Name) and arg.id == "AuditEntry" for arg in node.args
    )


class _Writers(ast.NodeVisitor):
    """Where (module:function) each audit-entry-making call is."""

    def __init__(self, where: str) -> None:
        self.where, self.scope, self.found = where, "<module>", list[str]()

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.scope = self.scope, node.name
        self.generic_visit(node)
        self.scope = outer

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Call(self, node: ast.Call) -> None:
        if _writes_audit_entry(node):
            self.found.append(f"{self.where}:{self.scope}")
        self.generic_visit(node)


def test_audit_entries_are_written_only_by_api_audit() -> None:
    writers: list[str] = []
    for path in sorted(API.rglob("*.py")):
        visitor = _Writers(str(path.relative_to(API.parent)))
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        writers += visitor.found
    assert writers == ["api/audit.py:_add"], (
        "write audit entries with api.audit.record(db, organizer_id=…, …) "
        "(or record_platform for the few that concern no organizer)"
    )
