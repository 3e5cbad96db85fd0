"""The dossier lifecycle on both databases: catalogue, citizen flow, payments, officers, the desk."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hue06.core import audit
from hue06.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from hue06.services import service
from hue06.services.models import Blob, Dossier, DossierSnapshot, Payment
from tests.services.conftest import LLTP, PNG_1PX, fill_lltp, pay, pdf_bytes, submitted_lltp

REPORT = "/work/shared/reference/bao-cao-108-BC-BCD-2024-de-an-06-thua-thien-hue.txt"


# --------------------------------------------------------------------------- catalogue


def test_catalogue_holds_the_25_essential_services_named_as_in_appendix_ii(session, catalogue):
    procs = service.list_procedures(session)
    assert [p.essential_no for p in procs if p.essential_no] == list(range(1, 26))
    names = {p.essential_no: p.name for p in procs}
    assert names[22] == "Cấp phiếu lý lịch tư pháp"
    assert names[8].startswith("Thu tiền nộp phạt xử lý vi phạm hành chính")
    report = Path(REPORT)
    if not report.exists():
        pytest.skip("reference report not present")
    text = report.read_text(encoding="utf-8")
    appendix = text[text.index("Phụ lục II") : text.index("Phụ lục III")]
    for no, name in names.items():
        assert f"\n{no}\t{name}\t" in appendix, (no, name)


def test_seeding_twice_adds_nothing_and_keeps_an_administrators_edit(session, catalogue, officer):
    admin = officer("quantri_dv", agency="", role="admin")
    proc = service.get_procedure(session, LLTP)
    service.update_procedure(session, admin, LLTP, {"time_limit": 7, "time_unit": "calendar"}, proc.version)
    assert service.ensure_catalogue(session) == 0
    proc = service.get_procedure(session, LLTP)
    assert (proc.time_limit, proc.time_unit, proc.version) == (7, "calendar", 2)
    assert audit.entries_for(session, "procedure", LLTP)[0].action == "procedure.updated"


def test_only_an_administrator_edits_and_a_stale_edit_is_a_409(session, catalogue, officer):
    clerk = officer("canbo_stp")
    admin = officer("quantri_dv", agency="", role="admin")
    with pytest.raises(Forbidden):
        service.update_procedure(session, clerk, LLTP, {"fee": 1}, 1)
    service.update_procedure(session, admin, LLTP, {"fee": 10}, 1)
    with pytest.raises(Conflict):
        service.update_procedure(session, admin, LLTP, {"fee": 20}, 1)
    with pytest.raises(InvalidInput):
        service.update_procedure(
            session, admin, LLTP, {"form_schema": {"fields": [{"name": "x", "bind": "secret"}]}}, 2
        )


# --------------------------------------------------------------------------- citizen flow


def test_e_form_is_filled_from_the_register_and_cannot_be_retyped(session, citizen):
    d = service.start_dossier(session, citizen.actor, LLTP)
    assert d.register_data["ho_ten"] == "Trần Thị Hoài Thương"
    assert d.register_data["so_dinh_danh"] == citizen.resident.personal_id
    assert d.register_data["noi_sinh"] == "Huế"
    assert (
        service.save_answers(
            session,
            citizen.actor,
            d.id,
            {"ho_ten": "Người Khác", "muc_dich": "Xin việc", "xac_nhan_cam_dam_nhiem": "no"},
            "muc_dich",
        )
        == {}
    )
    assert d.register_data["ho_ten"] == "Trần Thị Hoài Thương"
    assert "ho_ten" not in d.form_data
    assert d.prefilled_fields >= 8


def test_a_level_1_account_cannot_start_a_level_2_procedure(session, new_citizen, catalogue):
    low = new_citizen(level=1)
    with pytest.raises(Forbidden) as exc:
        service.start_dossier(session, low.actor, LLTP)
    assert exc.value.code == "services.level"
    assert service.start_dossier(session, low.actor, "DVC06-05").status == "draft"  # tạm vắng needs level 1


def test_a_citizen_cannot_open_another_citizens_dossier(session, citizen, new_citizen):
    d = service.start_dossier(session, citizen.actor, LLTP)
    other = new_citizen(full_name="Lê Văn Tám")
    for call in (
        lambda: service.get_dossier(session, other.actor, d.id),
        lambda: service.save_answers(session, other.actor, d.id, {"muc_dich": "x"}, "muc_dich"),
        lambda: service.attach_upload(session, other.actor, d.id, "cu_tru", "a.pdf", pdf_bytes()),
    ):
        with pytest.raises(NotFound):
            call()


def test_lltp_both_forms_in_one_dossier_paid_once_with_a_due_date(session, citizen, gateway):
    d = submitted_lltp(session, citizen.actor, gateway)
    assert d.status == "submitted" and d.paid and d.fee == 400_000
    assert d.code.startswith("STP-")
    assert d.due_date == service.calendar().due_date(d.submitted_at.astimezone(service.VN_TZ), 10, "working")
    assert d.form_data["loai_phieu"] == ["1", "2"]
    payments = service.payments_of(session, d)
    assert [(p.state, p.amount) for p in payments] == [("captured", 400_000)]


def test_due_date_skips_tet_and_weekends(session, citizen, gateway, monkeypatch):
    # Submitted on Friday 2 Feb 2024: Tết 2024 (8-14 Feb) and the weekends are not counted.
    # The submission time is read where the payment's capture submits the dossier.
    monkeypatch.setattr(service.payments, "utcnow", lambda: datetime(2024, 2, 2, 2, 0, tzinfo=UTC))
    d = submitted_lltp(session, citizen.actor, gateway)
    assert d.submitted_on == date(2024, 2, 2)
    assert d.due_date == date(2024, 2, 23)


def test_missing_answers_and_components_block_payment_and_submission(
    session, new_citizen, catalogue, gateway
):
    c = new_citizen()
    d = service.start_dossier(session, c.actor, "DVC06-03")  # thường trú: proof of accommodation required
    with pytest.raises(InvalidInput) as exc:
        service.begin_payment(session, c.actor, d.id, gateway)
    assert exc.value.code == "services.incomplete"
    problems = {p.field for p in service.problems(session, d)}
    assert {"dia_chi_moi", "c-cho_o_hop_phap"} <= problems


def test_a_fee_dossier_cannot_be_submitted_without_payment(session, citizen):
    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    with pytest.raises(Conflict) as exc:
        service.submit_dossier(session, citizen.actor, d.id)
    assert exc.value.code == "services.fee_due"
    assert d.status == "draft" and d.code is None


def test_a_free_dossier_is_submitted_directly(session, new_citizen, catalogue):
    c = new_citizen(level=1)
    d = service.start_dossier(session, c.actor, "DVC06-05")
    assert (
        service.save_answers(
            session,
            c.actor,
            d.id,
            {"noi_den": "Đà Nẵng", "tu_ngay": "2024-07-01", "den_ngay": "2024-07-20"},
            "vang",
        )
        == {}
    )
    service.submit_dossier(session, c.actor, d.id)
    assert d.status == "submitted" and not d.paid and d.fee == 0


def test_wallet_document_is_reused_without_a_copy(session, citizen, gateway):
    doc = service.wallet_upload(
        session, citizen.actor, "Xác nhận cư trú 2010-2020", "cu-tru.pdf", pdf_bytes()
    )
    d = service.start_dossier(session, citizen.actor, LLTP)
    f = service.attach_from_wallet(session, citizen.actor, d.id, "cu_tru", doc.id)
    assert f.sha256 == doc.sha256 and f.source == "wallet"
    assert session.scalar(select(Blob.sha256).where(Blob.sha256 == doc.sha256)) is not None
    fill_lltp(session, citizen.actor, d.id)
    assert pay(session, citizen.actor, d.id, gateway).outcome == "captured"
    assert d.reused_documents == 1


def test_wallet_of_someone_else_cannot_be_picked(session, citizen, new_citizen):
    other = new_citizen(full_name="Lê Văn Tám")
    foreign = service.wallet_upload(session, other.actor, "Giấy tờ của người khác", "x.png", PNG_1PX)
    d = service.start_dossier(session, citizen.actor, LLTP)
    with pytest.raises(NotFound):
        service.attach_from_wallet(session, citizen.actor, d.id, "cu_tru", foreign.id)


# --------------------------------------------------------------------------- payments


def test_starting_payment_twice_gives_the_same_intent(session, citizen, gateway):
    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    a = service.begin_payment(session, citizen.actor, d.id, gateway)
    b = service.begin_payment(session, citizen.actor, d.id, gateway)
    assert a.id == b.id and session.scalar(select(Payment.id).where(Payment.id != a.id)) is None


def test_a_replayed_callback_changes_nothing(session, citizen, gateway):
    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    intent = service.begin_payment(session, citizen.actor, d.id, gateway)
    body, sig = gateway.make_callback(intent.ref, intent.amount)
    assert service.handle_payment_callback(session, gateway, body, sig).outcome == "captured"
    session.commit()
    version, code = d.version, d.code
    assert service.handle_payment_callback(session, gateway, body, sig).outcome == "duplicate"
    # the gateway retries the same capture under a new event id: still nothing doubled
    body2, sig2 = gateway.make_callback(intent.ref, intent.amount)
    assert service.handle_payment_callback(session, gateway, body2, sig2).outcome == "duplicate"
    session.commit()
    session.refresh(d)
    assert (d.version, d.code) == (version, code)
    assert len(service.snapshots(session, d)) == 1
    assert session.scalar(select(Payment.state).where(Payment.id == intent.id)) == "captured"


def test_a_forged_callback_is_refused_and_audited(session, citizen, gateway):
    from hue06.services.payments import SimulatorGateway

    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    intent = service.begin_payment(session, citizen.actor, d.id, gateway)
    body, _ = gateway.make_callback(intent.ref, intent.amount)
    for signature in ("", "00" * 32, SimulatorGateway("another key").sign(body)):
        with pytest.raises(InvalidInput) as exc:
            service.handle_payment_callback(session, gateway, body, signature)
        assert exc.value.code == "payment.signature"
    tampered = body.replace(str(intent.amount).encode(), b"1")
    with pytest.raises(InvalidInput):
        service.handle_payment_callback(session, gateway, tampered, gateway.sign(body))
    assert d.status == "awaiting_payment" and not d.paid
    assert service.handle_payment_callback(session, gateway, body, gateway.sign(body)).outcome == "captured"


def test_money_for_a_wrong_amount_or_a_cancelled_intent_is_refunded(session, citizen, gateway):
    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    first = service.begin_payment(session, citizen.actor, d.id, gateway)
    body, sig = gateway.make_callback(first.ref, 1_000)
    assert service.handle_payment_callback(session, gateway, body, sig).outcome == "refunded"
    assert d.status == "awaiting_payment" and not d.paid
    # the citizen changes an answer: the pending intent is cancelled; money arriving for it goes back
    second = service.begin_payment(session, citizen.actor, d.id, gateway)
    service.save_answers(session, citizen.actor, d.id, {"loai_phieu": ["1"], "so_ban": "1"}, "loai_phieu")
    assert session.get(Payment, second.id).state == "cancelled" and d.status == "draft"
    body, sig = gateway.make_callback(second.ref, second.amount)
    assert service.handle_payment_callback(session, gateway, body, sig).outcome == "refunded"
    assert d.status == "draft" and not d.paid
    third = service.begin_payment(session, citizen.actor, d.id, gateway)
    assert third.amount == 200_000
    body, sig = gateway.make_callback(third.ref, third.amount)
    assert service.handle_payment_callback(session, gateway, body, sig).outcome == "captured"
    states = sorted(p.state for p in service.payments_of(session, d))
    assert states == ["captured", "refunded", "refunded"]
    assert d.status == "submitted"


def test_a_declined_payment_leaves_the_dossier_unsubmitted_and_payable_again(session, citizen, gateway):
    d = service.start_dossier(session, citizen.actor, LLTP)
    fill_lltp(session, citizen.actor, d.id)
    intent = service.begin_payment(session, citizen.actor, d.id, gateway)
    body, sig = gateway.make_callback(intent.ref, intent.amount, status="failed")
    assert service.handle_payment_callback(session, gateway, body, sig).outcome == "failed"
    assert d.code is None
    again = service.begin_payment(session, citizen.actor, d.id, gateway)
    assert again.id != intent.id


def test_paying_an_already_paid_dossier_is_refused(session, citizen, gateway):
    d = submitted_lltp(session, citizen.actor, gateway)
    with pytest.raises(Conflict):
        service.begin_payment(session, citizen.actor, d.id, gateway)


# --------------------------------------------------------------------------- officers


def test_officer_flow_with_supplement_stops_and_restarts_the_clock(
    session, citizen, gateway, officer, signer
):
    stp = officer()
    d = submitted_lltp(session, citizen.actor, gateway)
    first_due = d.due_date
    d = service.receive_dossier(session, stp, d.id, d.version)
    d = service.request_supplement(session, stp, d.id, d.version, "Bổ sung xác nhận nơi cư trú 2010-2015")
    assert d.status == "supplement_requested" and d.due_date is None
    service.attach_upload(session, citizen.actor, d.id, "cu_tru", "xac-nhan.pdf", pdf_bytes())
    d = service.answer_supplement(session, citizen.actor, d.id, "Đã bổ sung")
    assert d.status == "received" and d.due_date is not None and d.due_date >= first_due
    kinds = [s.kind for s in service.snapshots(session, d)]
    assert kinds == ["submission", "supplement"]
    d = service.approve_dossier(session, stp, d.id, d.version, "Không có án tích")
    docs = service.issue_result(session, stp, d.id, d.version, signer)
    assert [x.title for x in docs] == [
        "Phiếu lý lịch tư pháp — Phiếu số 1",
        "Phiếu lý lịch tư pháp — Phiếu số 2",
    ]
    assert service.wallet_documents(session, citizen.actor) == []  # not yet returned
    d = service.return_result(session, stp, d.id, d.version)
    assert d.status == "returned" and d.finished_on is not None and d.result_electronic
    wallet = service.wallet_documents(session, citizen.actor)
    assert {w.id for w in wallet} == {x.id for x in docs}
    assert all(service.verify_document(session, signer, w) for w in wallet)
    actions = [e.action for e in service.history(session, d)]
    assert actions == [
        "created",
        "payment_started",
        "submitted",
        "received",
        "supplement_requested",
        "supplemented",
        "approved",
        "result_issued",
        "returned",
    ]
    logged = [e.action for e in audit.entries_for(session, "dossier", d.code, limit=50)]
    for action in (
        "dossier.submitted",
        "dossier.received",
        "dossier.supplement_requested",
        "dossier.approved",
        "dossier.result_issued",
        "dossier.returned",
    ):
        assert action in logged


def test_two_officers_cannot_overwrite_each_other(session, session_factory, citizen, gateway, officer):
    stp_a, stp_b = officer("stp_a"), officer("stp_b")
    d = submitted_lltp(session, citizen.actor, gateway)
    seen = d.version
    service.receive_dossier(session, stp_a, d.id, seen)
    session.commit()
    with pytest.raises(Conflict) as exc:
        service.refuse_dossier(session, stp_b, d.id, seen, "Hồ sơ không hợp lệ")
    assert exc.value.status_code == 409 and "người khác" in exc.value.message_vi


def test_concurrent_writes_from_two_sessions_lose_cleanly(
    session_factory, session, citizen, gateway, officer
):
    stp_a, stp_b = officer("stp_a"), officer("stp_b")
    d = submitted_lltp(session, citizen.actor, gateway)
    service.receive_dossier(session, stp_a, d.id, d.version)
    session.commit()
    version = d.version
    s1, s2 = session_factory(), session_factory()
    try:
        service.approve_dossier(s1, stp_a, d.id, version, "ok")
        s1.commit()
        with pytest.raises(Conflict):
            service.refuse_dossier(s2, stp_b, d.id, version, "Không đủ điều kiện")
        s2.rollback()
    finally:
        s1.close()
        s2.close()
    session.refresh(d)
    assert d.status == "approved"


def test_the_officer_reopens_exactly_what_was_submitted(session, citizen, gateway, officer):
    d = service.start_dossier(session, citizen.actor, LLTP)
    service.attach_upload(session, citizen.actor, d.id, "cu_tru", "cu-tru.pdf", pdf_bytes())
    fill_lltp(session, citizen.actor, d.id)
    pay(session, citizen.actor, d.id, gateway)
    session.commit()
    snap = service.snapshots(session, d)[0]
    content = service.snapshot_content(snap)
    assert content["form_data"]["loai_phieu"] == ["1", "2"]
    assert content["register_data"]["ho_ten"] == "Trần Thị Hoài Thương"
    stp = officer()
    _file, data = service.get_dossier_file(session, stp, d.id, content["files"][0]["id"])
    assert hashlib.sha256(data).hexdigest() == content["files"][0]["sha256"]
    session.execute(
        update(DossierSnapshot)
        .where(DossierSnapshot.id == snap.id)
        .values(content=snap.content.replace('"fee":400000', '"fee":1'))
    )
    session.expire_all()
    with pytest.raises(Conflict):
        service.snapshot_content(session.get(DossierSnapshot, snap.id))


def test_a_tampered_file_is_not_served(session, citizen, gateway, officer):
    d = service.start_dossier(session, citizen.actor, LLTP)
    f = service.attach_upload(session, citizen.actor, d.id, "cu_tru", "cu-tru.pdf", pdf_bytes())
    session.execute(
        update(Blob).where(Blob.sha256 == f.sha256).values(data=pdf_bytes(body=b"BT (sua) Tj ET"))
    )
    session.expire_all()
    with pytest.raises(NotFound):
        service.get_dossier_file(session, citizen.actor, d.id, f.id)


def test_inbox_by_agency_and_jurisdiction(session, new_citizen, catalogue, gateway, officer):
    c_tay_loc = new_citizen(commune_code="19750")
    c_other = new_citizen(full_name="Hồ Văn Bình", commune_code="19753")
    for c in (c_tay_loc, c_other):
        d = service.start_dossier(session, c.actor, "DVC06-05")
        service.save_answers(
            session,
            c.actor,
            d.id,
            {"noi_den": "Huế", "tu_ngay": "2024-07-01", "den_ngay": "2024-07-09"},
            "vang",
        )
        service.submit_dossier(session, c.actor, d.id)
    submitted_lltp(session, c_tay_loc.actor, gateway)
    commune_police = officer("ca_tayloc", agency="CAX", role="commune", unit="19750")
    justice = officer()
    box = service.inbox(session, commune_police)
    assert box.total == 1 and box.rows[0][0].agency_code == "CAX" and box.rows[0][0].commune_code == "19750"
    assert service.inbox(session, justice).total == 1
    other_dossier = service.inbox(session, officer("ca_all", agency="CAX")).rows
    with pytest.raises(NotFound):
        service.get_dossier(
            session, commune_police, next(d.id for d, _ in other_dossier if d.commune_code == "19753")
        )


def test_officers_cannot_see_citizens_drafts(session, citizen, officer):
    d = service.start_dossier(session, citizen.actor, LLTP)
    with pytest.raises(NotFound):
        service.view_for_officer(session, officer(), d.id)


def test_refusal_needs_a_reason_and_finishes_the_dossier(session, citizen, gateway, officer):
    stp = officer()
    d = submitted_lltp(session, citizen.actor, gateway)
    with pytest.raises(InvalidInput):
        service.refuse_dossier(session, stp, d.id, d.version, "")
    d = service.refuse_dossier(session, stp, d.id, d.version, "Người yêu cầu không thuộc thẩm quyền của Sở")
    assert d.status == "refused" and d.finished_on is not None


# --------------------------------------------------------------------------- one-stop desk


def _qr(r) -> str:  # type: ignore[no-untyped-def]
    return f"{r.personal_id}||{r.full_name}|{r.date_of_birth:%d%m%Y}|{'Nữ' if r.gender == 'female' else 'Nam'}|12 Lê Lợi, Huế|01012022"


def test_desk_opens_the_same_prefilled_form_from_the_card_qr(session, citizen, officer):
    desk = officer("motcua_stp")
    d = service.desk_start(session, desk, _qr(citizen.resident), LLTP)
    assert d.channel == "desk" and d.register_data["ho_ten"] == "Trần Thị Hoài Thương"
    fill_lltp(session, desk, d.id)
    service.attach_upload(session, desk, d.id, "cu_tru", "scan.pdf", pdf_bytes())
    d = service.desk_take_cash(session, desk, d.id)
    assert d.status == "received" and d.paid and d.digitised
    assert service.payments_of(session, d)[0].gateway == "cash"


def test_desk_refuses_a_card_that_does_not_match_the_register(session, citizen, officer):
    desk = officer("motcua_stp")
    wrong_name = _qr(citizen.resident).replace("Thương", "Thường")
    with pytest.raises(InvalidInput) as exc:
        service.desk_start(session, desk, wrong_name, LLTP)
    assert exc.value.code == "services.desk_mismatch"
    with pytest.raises(InvalidInput):
        service.desk_start(session, desk, "not a qr", LLTP)
    assert session.scalar(select(Dossier.id)) is None
