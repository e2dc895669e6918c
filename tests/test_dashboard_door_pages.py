"""The dashboard's side of the door (issue 16): checking a guest in from the order page, door
lists, pairing links bound to a list, the device list and the live door per list."""

from __future__ import annotations

import uuid
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.checkin import door_lists, manual
from api.checkin.sync_service import from_millis
from api.db import (
    AuditEntry,
    DoorList,
    Event,
    Order,
    OrderLine,
    Organizer,
    OrganizerMember,
    PassStatus,
    Scan,
    ScannerDevice,
    TicketTier,
    utcnow,
)
from api.passes import services as pass_services
from api.passes.tokens import pass_key_text
from api.settings import Settings
from tests import factories, pages
from tests.forms import csrf_token
from tests.test_dashboard import sign_in, two_organizers

Client = AsyncTestClient[Litestar]


async def test_an_owner_checks_a_guest_in_from_the_order_page_once(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    order = await db.scalar(select(Order).where(Order.buyer_email == "ana@x.io"))
    assert order is not None
    tier_id = await db.scalar(select(OrderLine.tier_id).where(OrderLine.order_id == order.id))
    assert tier_id is not None
    first, refunded = await pass_services.issue_passes(
        db, order=order, tier_id=tier_id, count=2, secret_key=settings.secret_key
    )
    await pass_services.set_status(db, passes=[refunded], status=PassStatus.void, reason="refunded")
    public_id = order.public_id
    organizer_id = await db.scalar(select(Event.organizer_id).where(Event.id == order.event_id))
    first_id, refunded_id = pass_key_text(first.pass_key), pass_key_text(refunded.pass_key)
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")

    page = await client.get(f"/admin/orders/{public_id}")
    # A void pass has no button: the door would turn it away.
    assert pages.values(page.text, "#passes form[data-check-in]", "data-check-in") == [first_id]
    checked = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(page.text), "pass": first_id},
    )
    assert checked.status_code == 200
    said = pages.one(checked.text, "#checked-in")
    assert (said["data-pass"], said["data-code"], said["data-recorded"]) == (
        first_id, "admit", "yes",
    )  # fmt: skip
    assert pages.shown(said) == f"{first_id}: Checked in — Admit"

    again = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(checked.text), "pass": first_id},
    )
    said = pages.one(again.text, "#checked-in")
    assert (said["data-code"], said["data-recorded"]) == ("already_scanned", "no")
    assert pages.shown(said).startswith(f"{first_id}: Already scanned ")
    assert pages.shown(said).endswith(" at Dashboard")

    forged = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(again.text), "pass": refunded_id},
    )
    said = pages.one(forged.text, "#checked-in")
    assert (said["data-code"], pages.shown(said)) == (
        "void", f"{refunded_id}: Refunded — do not admit",
    )  # fmt: skip
    unknown = await client.post(
        f"/admin/orders/{public_id}/check-in",
        data={"_csrf_token": csrf_token(again.text), "pass": "NOPE"},
    )
    assert unknown.status_code == 404
    actions = await db.scalars(
        select(AuditEntry.action).where(AuditEntry.organizer_id == organizer_id)
    )
    assert list(actions).count("checkin.dashboard") == 1


async def _staff_member(db: AsyncSession, email: str, role: str) -> None:
    org = await db.scalar(select(Organizer).where(Organizer.name == "Reef Bar"))
    assert org is not None
    db.add(OrganizerMember(organizer_id=org.id, email=email, role=role))
    await db.commit()


async def _low_tide(db: AsyncSession) -> Event:
    event = await db.scalar(select(Event).where(Event.name == "Low Tide"))
    assert event is not None
    return event


async def test_a_pairing_link_binds_its_phones_to_a_list_and_the_device_list_shows_them(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event = await _low_tide(db)
    other = await db.scalar(select(Event).where(Event.name == "Secret Gig"))
    assert other is not None
    vip = await factories.tier(db, event=event, name="VIP", capacity=10)
    deck = await door_lists.save_list(
        db, event=event, fields=door_lists.ListFields("VIP deck", [vip.id]), actor="t"
    )
    elsewhere = await door_lists.save_list(
        db, event=other, fields=door_lists.ListFields("Theirs", None), actor="t"
    )
    await manual.dashboard_device(db, event=event)  # made by an order page check-in
    event_id, deck_id, elsewhere_id = event.id, deck.id, elsewhere.id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")
    devices = f"/admin/events/{event_id}/devices"

    page = await client.get(devices)
    choices = pages.parse(page.text).select("#pairing-list option")
    assert [(str(o["value"]), pages.shown(o)) for o in choices] == [
        ("", "All passes"), (str(deck_id), "VIP deck"),
    ]  # fmt: skip
    assert pages.texts(page.text, "#pairing-access label") == [
        "Scan only", "Scan and search (this phone can look up guests by name)",
    ]  # fmt: skip
    assert pages.parse(page.text).select("#devices") == []  # the Dashboard is no phone
    made = await client.post(
        f"{devices}/pairing",
        data={"_csrf_token": csrf_token(page.text), "door": "Deck stairs",
              "door_list": str(deck_id), "access": "search"},
    )  # fmt: skip
    assert made.status_code == 200
    await client.post(
        f"{devices}/pairing", data={"_csrf_token": csrf_token(page.text), "door": "Main"}
    )
    refused = await client.post(
        f"{devices}/pairing",
        data={"_csrf_token": csrf_token(page.text), "door_list": str(elsewhere_id)},
    )
    assert refused.status_code == 400
    assert "not one of this event's" in pages.main_text(refused.text)
    odd = await client.post(
        f"{devices}/pairing", data={"_csrf_token": csrf_token(page.text), "door_list": "x"}
    )
    assert odd.status_code == 400

    code = str(pages.one(made.text, "#pairing-link")["href"]).split("#pair=")[1]
    paired = await client.post("/api/v1/scanner/pair", json={"code": code})
    assert paired.status_code == 201
    phone = await db.get(ScannerDevice, uuid.UUID(paired.json()["device_id"]))
    assert phone is not None
    phone.last_sync_at = utcnow() - timedelta(minutes=3, seconds=5)
    phone.pending_count = 4
    phone.app_version = "16.2.0"
    await db.commit()

    listed = await client.get(devices)
    links = pages.parse(listed.text).select("#pairing-links tr[data-pairing]")
    assert [(row["data-list"], row["data-search"]) for row in links] == [
        ("All passes", "false"), ("VIP deck", "true"),
    ]  # fmt: skip
    assert [pages.shown(row.find_all("td")[5]) for row in links] == [
        "Scan only", "Scan and search",
    ]  # fmt: skip
    # (door, list, paired, last sync, pending, version, search, action)
    [row] = pages.rows(listed.text, "#devices tbody tr")
    assert row[:2] == ["Deck stairs", "VIP deck"]
    assert row[3:7] == ["3 min ago", "4", "16.2.0", "Scan and search"]
    assert row[7] == "Remove from the door"
    dashboard = await db.scalar(
        select(ScannerDevice.id).where(ScannerDevice.event_id == event_id, ScannerDevice.dashboard)
    )
    forged = await client.post(
        f"{devices}/{dashboard}/revoke", data={"_csrf_token": csrf_token(listed.text)}
    )
    assert forged.status_code == 404


async def test_an_organizer_makes_and_changes_a_door_list_in_the_events_time(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event = await _low_tide(db)
    event.timezone = "Pacific/Honolulu"
    vip = await factories.tier(db, event=event, name="VIP", capacity=10)
    other_tier = await db.scalar(
        select(TicketTier.id).join(Event).where(Event.name == "Secret Gig")
    )
    event_id, vip_id = event.id, vip.id
    await db.commit()
    await _staff_member(db, "lead@reef.example", "door_lead")
    await sign_in(client, db, settings, "lead@reef.example")  # door leads run the door
    where = f"/admin/events/{event_id}/door-lists/"
    devices = await client.get(f"/admin/events/{event_id}/devices")
    assert f"/admin/events/{event_id}/door-lists" in pages.values(devices.text, "main a", "href")

    page = await client.get(where)
    assert pages.rows(page.text, "#door-lists tbody tr") == [
        ["All passes", "Every tier", "any time", "any time", "no", "0", ""]
    ]
    assert pages.texts(page.text, "#door-list-tiers label")[2:] == ["Floor", "VIP"]
    made = await client.post(
        where,
        data={"_csrf_token": csrf_token(page.text), "name": " VIP  deck ", "admits": "chosen",
              "tier": str(vip_id), "opens_at": "2031-05-01T19:00", "reentry": "yes"},
        follow_redirects=True,
    )  # fmt: skip
    [_, row] = pages.rows(made.text, "#door-lists tbody tr")
    assert row[:6] == ["VIP deck", "VIP", "Thursday, May 1, 2031 · 7:00 PM HST", "any time",
                       "yes", "0"]  # fmt: skip
    deck = await db.scalar(select(DoorList).where(DoorList.event_id == event_id))
    assert deck is not None
    assert deck.opens_at is not None
    assert deck.opens_at.isoformat() == "2031-05-02T05:00:00+00:00"
    [record] = await door_lists.records(db, event_id=event_id)
    assert (record["name"], record["tiers"], record["reentry"]) == ("VIP deck", ["VIP"], True)

    edit = await client.get(f"{where}{deck.id}")
    form = pages.one(edit.text, "#door-list-form")
    assert pages.one(form, "[name=opens_at]")["value"] == "2031-05-01T19:00"
    assert [str(box["value"]) for box in form.select("[name=tier][checked]")] == [str(vip_id)]
    refused = await client.post(
        f"{where}{deck.id}",
        data={"_csrf_token": csrf_token(edit.text), "name": "VIP deck", "admits": "chosen"},
    )
    assert refused.status_code == 400
    assert pages.texts(refused.text, "#errors li") == ["Choose at least one tier this door admits."]
    backwards = await client.post(
        where,
        data={"_csrf_token": csrf_token(edit.text), "name": "Late", "admits": "every",
              "opens_at": "2031-05-01T23:00", "closes_at": "2031-05-01T19:00"},
    )  # fmt: skip
    assert pages.texts(backwards.text, "#errors li") == ["The door must close after it opens."]
    theirs = await client.post(
        where,
        data={"_csrf_token": csrf_token(edit.text), "name": "Sneaky", "admits": "chosen",
              "tier": str(other_tier)},
    )  # fmt: skip
    assert theirs.status_code == 400
    garbled = await client.post(
        where,
        data={"_csrf_token": csrf_token(edit.text), "name": "Odd", "tier": "x",
              "opens_at": "tomorrow"},
    )  # fmt: skip
    assert garbled.status_code == 400
    assert len(pages.texts(garbled.text, "#errors li")) == 2
    changed = await client.post(
        f"{where}{deck.id}",
        data={"_csrf_token": csrf_token(edit.text), "name": "Deck", "admits": "every"},
        follow_redirects=True,
    )
    assert [r[:2] for r in pages.rows(changed.text, "#door-lists tbody tr")] == [
        ["All passes", "Every tier"], ["Deck", "Every tier"],
    ]  # fmt: skip
    db.expire_all()
    [later] = await door_lists.records(db, event_id=event_id, after=record["seq"])
    assert (later["name"], later["tiers"]) == ("Deck", None)
    assert (await client.get(f"{where}{uuid.uuid4()}")).status_code == 404


async def test_renaming_a_tier_resends_the_door_lists_that_name_it(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event = await _low_tide(db)
    vip = await factories.tier(db, event=event, name="VIP", capacity=10)
    await door_lists.save_list(
        db, event=event, fields=door_lists.ListFields("VIP deck", [vip.id]), actor="t"
    )
    event_id, vip_id = event.id, vip.id
    await db.commit()
    [before] = await door_lists.records(db, event_id=event_id)
    await sign_in(client, db, settings, "staff@reef.example")
    edit = f"/admin/events/{event_id}/tiers/{vip_id}"
    page = await client.get(edit)
    saved = await client.post(
        edit,
        data={"_csrf_token": csrf_token(page.text), "name": "Deck VIP", "price": "25.00",
              "currency": "USD", "capacity": "10", "max_per_order": "6"},
    )  # fmt: skip
    assert saved.status_code in (200, 303), saved.text
    db.expire_all()
    [after] = await door_lists.records(db, event_id=event_id, after=before["seq"])
    assert (after["name"], after["tiers"]) == ("VIP deck", ["Deck VIP"])


async def test_the_live_door_counts_inside_now_and_conflicts_per_door_list(
    client: Client, db: AsyncSession, settings: Settings
) -> None:
    await two_organizers(db)
    event = await _low_tide(db)
    order = await db.scalar(select(Order).where(Order.event_id == event.id))
    floor = await db.scalar(select(TicketTier).where(TicketTier.event_id == event.id))
    assert order is not None
    assert floor is not None
    vip = await factories.tier(db, event=event, name="VIP", capacity=10)
    deck = await door_lists.save_list(
        db, event=event, fields=door_lists.ListFields("VIP deck", [vip.id]), actor="t"
    )
    [ga] = await pass_services.issue_passes(
        db, order=order, tier_id=floor.id, count=1, secret_key=settings.secret_key
    )
    [guest] = await pass_services.issue_passes(
        db, order=order, tier_id=vip.id, count=1, secret_key=settings.secret_key
    )
    phones = {}
    for name in ("Gate A", "Deck 1", "Deck 2"):
        phones[name] = ScannerDevice(
            event_id=event.id, name=name, token_hash=name.encode().ljust(32),
            door_list_id=None if name == "Gate A" else deck.id,
        )  # fmt: skip
        db.add(phones[name])
    await db.flush()
    t0 = 1_900_000_000_000
    # GA and the VIP in at Gate A; the VIP onto the deck at both deck phones, offline.
    for seq, (door, item) in enumerate(
        (("Gate A", ga), ("Gate A", guest), ("Deck 1", guest), ("Deck 2", guest)), start=1
    ):
        extra = {} if door == "Gate A" else {"list": str(deck.id)}
        db.add(
            Scan(
                event_id=event.id, device_id=phones[door].id, seq=seq, pass_key=item.pass_key,
                verdict="admit", admitted=True, door=door, vector={}, extra=extra,
                scanned_at=from_millis(t0 + seq * 60_000),
            )
        )  # fmt: skip
    await manual.dashboard_device(db, event=event)
    event_id = event.id
    await db.commit()
    await sign_in(client, db, settings, "staff@reef.example")

    page = await client.get(f"/admin/events/{event_id}/door")
    # (list, tier, inside now)
    assert pages.rows(page.text, "#inside tbody tr") == [
        ["All passes", "every tier", "2"], ["", "Floor", "1"], ["", "VIP", "1"],
        ["VIP deck", "every tier", "1"], ["", "VIP", "1"],
    ]  # fmt: skip
    figures = (await client.get(f"/admin/events/{event_id}/door.json")).json()
    assert [(item["name"], item["inside"]) for item in figures["lists"]] == [
        ("All passes", 2), ("VIP deck", 1),
    ]  # fmt: skip
    assert [d["name"] for d in figures["devices"]] == ["Deck 1", "Deck 2", "Gate A"]
    doors = {door: n for door, n, *_ in pages.rows(page.text, "#doors tbody tr")}
    assert doors == {"Deck 1": "1", "Deck 2": "0", "Gate A": "2"}

    conflicts = await client.get(f"/admin/events/{event_id}/conflicts")
    [row] = pages.parse(conflicts.text).select("#conflicts tr[data-kind]")
    assert (row["data-list"], row["data-first-door"]) == ("VIP deck", "Deck 1")
    assert pages.shown(row.find_all("td")[-1]) == "VIP deck"
