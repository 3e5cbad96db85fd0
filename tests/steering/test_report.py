"""The generated report: Decree 30 layout in Word, the same content in PDF, figures from the data."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn

from hue06.core.errors import InvalidInput
from hue06.steering.checks import check_report
from hue06.steering.report import (
    Figure,
    ReportData,
    ReportMeta,
    StaticFigures,
    build_report,
    parse_period,
    render_docx,
    render_pdf,
    vn_long_date,
)


@pytest.fixture(scope="module")
def document(parsed):  # type: ignore[no-untyped-def]
    data = ReportData.from_parsed(parsed, check_report(parsed))
    meta = ReportMeta(issued_on=date(2024, 7, 10), number="108", signer_name="Nguyễn Thanh Bình")
    figures = StaticFigures(
        [
            Figure(
                "Hồ sơ định danh điện tử đã thu nhận",
                935095,
                "Công an tỉnh",
                date(2024, 6, 30),
                unit_vi="hồ sơ",
            )
        ]
    )
    return build_report(data, meta, parse_period("2024-H1"), figures)


@pytest.fixture(scope="module")
def docx_file(document):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(render_docx(document)))


@pytest.fixture(scope="module")
def pdf_text(document) -> str:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render_pdf(document)))
    assert len(reader.pages) > 20
    return "\n".join(page.extract_text() for page in reader.pages)


def _text(cell) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(p.text for p in cell.paragraphs)


def test_figures_are_computed_from_the_rows(document):
    f = document.figures
    assert (
        f["tasks_total"],
        f["tasks_completed"],
        f["tasks_recurring"],
        f["tasks_in_progress"],
        f["tasks_behind"],
    ) == (102, 22, 11, 65, 4)
    assert (f["dossiers_total"], f["dossiers_online"], f["dossiers_on_time"], f["dossiers_overdue"]) == (
        183525,
        172277,
        167272,
        6589,
    )
    assert str(f["dossiers_online_rate"]) == "93.87"
    assert (f["models_total"], f["models_deployed"], f["models_not_started"]) == (46, 39, 7)
    assert (f["hanoi_deployed"], f["hanoi_studying"], f["r175_completed"]) == (15, 2, 2)
    assert f["tasks_overdue"] == 29  # open tasks whose last day was before 10/07/2024


def test_page_setup_and_fonts(docx_file):
    first = docx_file.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert (round(first.top_margin.mm), round(first.bottom_margin.mm)) == (20, 20)
    assert (round(first.left_margin.mm), round(first.right_margin.mm)) == (30, 15)
    assert first.different_first_page_header_footer  # no page number on page 1
    assert "PAGE" in first.header._element.xml
    normal = docx_file.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size.pt == 14
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "Times New Roman"
    appendix_sections = docx_file.sections[1:]
    assert len(appendix_sections) == 7
    assert all(s.page_width > s.page_height for s in appendix_sections)  # landscape
    assert round(appendix_sections[0].page_width.mm) == 297


def test_header_block(docx_file):
    header = docx_file.tables[0]
    left, right = (_text(c) for c in header.rows[0].cells)
    assert left.split("\n")[:2] == [
        "UBND TỈNH THỪA THIÊN HUẾ",
        "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ VÀ THỰC HIỆN ĐỀ ÁN 06",
    ]
    assert right.split("\n") == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    national = header.rows[0].cells[1].paragraphs
    assert national[0].runs[0].bold and national[1].runs[0].bold and national[1].runs[0].underline
    number, place = header.rows[1].cells
    assert _text(number) == "Số: 108/BC-BCĐ"
    assert _text(place) == "Thừa Thiên Huế, ngày 10 tháng 7 năm 2024"
    assert place.paragraphs[0].runs[0].italic


def test_title_sections_and_signature(docx_file):
    paragraphs = [p for p in docx_file.paragraphs if p.text.strip()]
    texts = [p.text for p in paragraphs]
    i = texts.index("BÁO CÁO")
    assert paragraphs[i].runs[0].bold
    assert texts[i + 1].startswith("Kết quả 06 tháng đầu năm 2024 triển khai thực hiện Đề án")
    headings = [t for t in texts if t.split(".")[0] in {"I", "II", "III", "IV"}]
    assert headings == [
        "I. KHÁI QUÁT TÌNH HÌNH",
        "II. KẾT QUẢ CÁC MẶT CÔNG TÁC",
        "III. NHẬN XÉT, ĐÁNH GIÁ VÀ KIẾN NGHỊ, ĐỀ XUẤT",
        "IV. NHIỆM VỤ TRỌNG TÂM 06 THÁNG CUỐI NĂM 2024",
    ]
    body = "\n".join(texts)
    assert "Đối chiếu với Phụ lục I (đếm từng dòng trên hue06): 102 nhiệm vụ" in body
    assert "+ Tổng số nhiệm vụ hoàn thành: 22 nhiệm vụ." in body
    assert "+ Tổng số nhiệm vụ thực hiện thường xuyên: 11 nhiệm vụ." in body
    assert "đã tiếp nhận, giải quyết 172.277 hồ sơ trực tuyến/183.525 tổng số hồ sơ, đạt tỷ lệ 93,87%" in body
    assert "Đã triển khai 39/46 mô hình" in body
    assert (
        "Hồ sơ định danh điện tử đã thu nhận: 935.095 hồ sơ (Nguồn: Công an tỉnh; số liệu đến ngày 30/06/2024)"
        in body
    )
    assert (
        "(Nguồn: Dữ liệu theo dõi Đề án 06 trên hue06, nhập từ Báo cáo số 108/BC-BCĐ ngày 10/07/2024" in body
    )
    assert "Tổng số nhiệm vụ: phần nội dung báo cáo (dòng 15) ghi 92, đếm trong Phụ lục I là 102" in body
    signature = docx_file.tables[1]
    recipients, signer = (_text(c) for c in signature.rows[0].cells)
    assert recipients.startswith("Nơi nhận:\n- Bộ Công an;")
    assert signature.rows[0].cells[0].paragraphs[0].runs[0].italic
    assert signer.split("\n")[0] == "KT. TRƯỞNG BAN" and signer.endswith("Nguyễn Thanh Bình")


def test_every_appendix_is_a_table(docx_file):
    tables = docx_file.tables[2:]
    assert len(tables) == 7
    appendix_i, appendix_ii, appendix_iii, appendix_iv, appendix_v, appendix_vi, appendix_vii = tables
    assert [c.text for c in appendix_i.rows[0].cells] == [
        "STT",
        "Nội dung, nhiệm vụ",
        "Văn bản chỉ đạo",
        "Đơn vị thực hiện",
        "Thời gian hoàn thành",
        "Kết quả",
        "Tình trạng",
    ]
    # header + 12 group rows + 102 tasks + 5 sub-rows
    assert len(appendix_i.rows) == 1 + 12 + 102 + 5
    assert len(appendix_ii.rows) == 1 + 25 + 1
    total = [c.text for c in appendix_ii.rows[-1].cells]
    assert total[1:7] == ["Tổng cộng", "183.525", "172.277", "94%", "167.272", "6.589"]
    assert [c.text for c in appendix_ii.rows[2].cells][:7] == [
        "2",
        "Cấp lại, đổi thẻ căn cước công dân",
        "15.816",
        "12.699",
        "80%",
        "12.699",
        "0",
    ]
    assert len(appendix_iii.rows) == 1 + 2 + 28
    assert len(appendix_iv.rows) == 1 + 5 + 46
    assert len(appendix_v.rows) == 1 + 17 and len(appendix_vi.rows) == 1 + 3
    assert len(appendix_vii.rows) == 1 + 22
    assert appendix_i.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats on each page
    titles = [p.text for p in docx_file.paragraphs if p.text.startswith("Phụ lục ")]
    assert titles == [f"Phụ lục {c}" for c in ("I", "II", "III", "IV", "V", "VI", "VII")]


def test_pdf_says_the_same(pdf_text):
    # pypdf puts stray spaces inside justified lines; compare without any
    flat = "".join(pdf_text.split())
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 108/BC-BCĐ",
        "Thừa Thiên Huế, ngày 10 tháng 7 năm 2024",
        "BÁO CÁO",
        "I. KHÁI QUÁT TÌNH HÌNH",
        "IV. NHIỆM VỤ TRỌNG TÂM 06 THÁNG CUỐI NĂM 2024",
        "Nơi nhận:",
        "Nguyễn Thanh Bình",
        "172.277 hồ sơ trực tuyến/183.525 tổng số hồ sơ",
        "Phụ lục VII",
        "ĐỐI CHIẾU SỐ LIỆU",
        "Cấp lại, đổi thẻ căn cước công dân",
        "935.095",
    ):
        assert "".join(expected.split()) in flat, expected


def test_periods_and_dates():
    p = parse_period("2024-H1")
    assert (p.start, p.end, p.label_vi) == (date(2024, 1, 1), date(2024, 6, 30), "06 tháng đầu năm 2024")
    assert parse_period("2024-H1").following().code == "2024-H2"
    assert parse_period("2024-H2").following().code == "2025-H1"
    assert parse_period("2024-Q4").following().code == "2025-Q1"
    assert parse_period("2024-q3").end == date(2024, 9, 30)
    with pytest.raises(InvalidInput):
        parse_period("2024-H3")
    assert vn_long_date(date(2026, 3, 5)) == "ngày 05 tháng 3 năm 2026"
    assert vn_long_date(date(2024, 2, 14)) == "ngày 14 tháng 02 năm 2024"
    assert vn_long_date(date(2024, 11, 20)) == "ngày 20 tháng 11 năm 2024"


def test_no_provider_says_so(parsed):
    data = ReportData.from_parsed(parsed, [])
    doc = build_report(data, ReportMeta(issued_on=date(2024, 7, 10)), parse_period("2024-H1"))
    texts = [b.text for b in doc.body]
    assert "Chưa có số liệu từ các phân hệ khác tại thời điểm lập báo cáo." in texts
    assert "Các số liệu tổng hợp khớp với số liệu chi tiết của từng phụ lục." in texts
    assert [a.code for a in doc.appendices] == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
    ]  # no reconciliation appendix
    assert doc.meta.reference == ".../BC-BCĐ"


def test_the_reference_period_gives_back_its_own_figures_with_their_source(document, docx_file):
    """Issue 6 item 6: 92 tasks — 22 completed, 11 recurring, 59 in progress, 0 not completed — attributed
    to Report 108, followed by the recount of Appendix I that disagrees with it."""
    f = document.figures
    assert (
        f["stated_tasks_total"],
        f["stated_tasks_completed"],
        f["stated_tasks_recurring"],
        f["stated_tasks_in_progress"],
        f["stated_tasks_behind"],
    ) == (92, 22, 11, 59, 0)
    body = "\n".join(p.text for p in docx_file.paragraphs)
    assert "Theo Báo cáo số 108/BC-BCĐ ngày 10/07/2024" in body
    assert "triển khai thực hiện 92 nhiệm vụ" in body
    assert (
        "đã hoàn thành 22 nhiệm vụ; thực hiện thường xuyên 11 nhiệm vụ; đang triển khai 59 nhiệm vụ; chưa hoàn thành 0 nhiệm vụ"
        in body
    )
    assert "Đối chiếu với Phụ lục I" in body
