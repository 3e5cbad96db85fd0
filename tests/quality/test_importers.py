"""Reading sector files the way offices really send them."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from hue06.core.errors import InvalidInput
from hue06.quality import mapping as mp
from hue06.quality.importers import read_file
from hue06.quality.standardise import standardise
from hue06.synth.sector import to_cp1258, to_legacy

BHYT = (
    "BẢO HIỂM XÃ HỘI TỈNH THỪA THIÊN HUẾ\n"
    "DANH SÁCH NGƯỜI THAM GIA BẢO HIỂM Y TẾ\n"
    ",,,,,,\n"
    "STT,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Địa chỉ\n"
    "(1),(2),(3),(4),(5),(6),(7)\n"
    '1,4601234567,Nguyễn Văn An,05/03/1990,Nam,046090001234,"Tổ 3, Phường Vĩnh Ninh, Thành phố Huế"\n'
    "2,4601234568,TRẦN THỊ BÌNH,1985,Nữ,46185001234,Xã Phú Mậu\n"
    "STT,Mã số BHXH,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Địa chỉ\n"
    "3,4601234569,Le Hoa,12/13/1990,Nu,12345,\n"
    "\n"
    "Tổng cộng: 3 người,,,,,,\n"
)


def _std(data: bytes | str, name: str = "f.csv"):
    imported = read_file(data.encode("utf-8") if isinstance(data, str) else data, name)
    mapping = mp.check(imported, mp.recognised(imported))
    return imported, standardise(imported, mapping)


def test_title_block_numbering_row_repeated_header_and_footer_are_not_data():
    imported, table = _std(BHYT)
    assert imported.header_line == 4
    assert [c.guess for c in imported.columns] == [
        "seq",
        None,
        "full_name",
        "date_of_birth",
        "gender",
        "personal_id",
        "address",
    ]
    assert table.columns["uid"] == [1, 2, 3]
    assert table.columns["line"] == [6, 7, 9]
    reasons = {s.line: s.reason_en for s in imported.skipped}
    assert "numbering" in reasons[5] and "Repeated header" in reasons[8] and "Total" in reasons[11]


def test_rows_are_standardised():
    _, t = _std(BHYT)
    c = t.columns
    assert (c["family"][0], c["middle"][0], c["given"][0]) == ("Nguyễn", "Văn", "An")
    assert (c["family"][1], c["middle"][1], c["given"][1]) == ("Trần", "Thị", "Bình")  # upper case
    assert c["dob"][0] == date(1990, 3, 5)
    assert (c["dob"][1], c["dob_y"][1]) == (None, 1985)  # only the year
    assert c["dob"][2] == date(1990, 12, 13)  # written month/day: read back
    assert c["gender"] == ["male", "female", "female"]
    assert c["id_key"][1] == "046185001234"  # the lost leading zero is back
    assert c["id_key"][2] is None and "personal_id:format" in c["problems"][2]
    assert c["commune_2024"][0] == "19783"  # Phường Vĩnh Ninh (2024)
    assert c["commune_now"][1] == "19909"  # Phú Mậu → Phường Dương Nỗ today
    assert c["name_plain"][2] is True


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258", "tcvn3", "vni"])
def test_every_encoding_reads_the_same(encoding):
    if encoding == "cp1258":
        data = to_cp1258(BHYT)
    elif encoding in ("tcvn3", "vni"):
        data = to_legacy(BHYT, encoding).encode("latin-1")
    else:
        data = BHYT.encode(encoding)
    imported, t = _std(data)
    assert imported.encoding.startswith(encoding.split("-sig")[0].replace("utf-16", "utf-16"))
    assert t.columns["given"][:2] == ["An", "Bình"]
    assert t.columns["family"][1] == "Trần"


def test_nfd_and_the_other_tone_placement_standardise_alike():
    text = (
        "Họ và tên,Ngày sinh\n"
        + unicodedata.normalize("NFD", "Nguyễn Thị Thuỷ")
        + ",01/02/1990\nNguyễn Thị Thủy,01/02/1990\n"
    )
    _, t = _std(text)
    assert t.columns["given"][0] == t.columns["given"][1] == "Thủy"


def test_semicolon_and_tab_separated_files():
    for sep in (";", "\t"):
        _, t = _std(f"Họ tên{sep}Số định danh\nPhan Văn Khỏe{sep}046090001234\n")
        assert t.columns["id_key"] == ["046090001234"]


def _xlsx(build) -> bytes:
    wb = Workbook()
    ws = wb.active
    build(ws)
    bio = io.BytesIO()
    wb.save(bio)
    return bio.getvalue()


def test_xlsx_with_merged_headers_sub_columns_and_merged_data_cells():
    def build(ws):
        ws["B1"] = "DANH SÁCH HỘI VIÊN"
        ws.merge_cells("B1:G1")
        ws["B3"], ws["C3"], ws["D3"], ws["F3"], ws["G3"] = (
            "STT",
            "Họ và tên",
            "Giới tính",
            "Ngày sinh",
            "Xã/phường",
        )
        ws.merge_cells("D3:E3")
        for col in "BCFG":
            ws.merge_cells(f"{col}3:{col}4")
        ws["D4"], ws["E4"] = "Nam", "Nữ"
        ws.append([None, 1, "Hoàng Văn Nam", "x", None, date(1950, 5, 6), "Phường Thuận Hóa"])
        ws.append([None, 2, "Hoàng Thị Mai", None, "x", 20000, None])
        ws.merge_cells("G5:G6")

    imported, t = _std(_xlsx(build), "a.xlsx")
    guesses = {c.letter: c.guess for c in imported.columns}
    assert guesses["B"] == "seq" and guesses["D"] == "gender_male" and guesses["E"] == "gender_female"
    assert t.columns["gender"] == ["male", "female"]
    assert t.columns["dob"] == [date(1950, 5, 6), date(1954, 10, 3)]  # a date cell and an Excel serial
    assert t.columns["commune_now"] == ["19789", "19789"]  # the merged cell covers both rows


def test_dates_under_male_and_female_columns_give_the_gender_too():
    text = (
        'STT,Họ và tên,"Ngày, tháng, năm sinh",,Số CCCD\n,,Nam,Nữ,\n'
        "1,Lê Văn Tám,1960,,\n2,Lê Thị Chín,,03/04/1961,\n"
    )
    _, t = _std(text)
    assert t.columns["gender"] == ["male", "female"]
    assert (t.columns["dob_y"], t.columns["dob"][1]) == ([1960, 1961], date(1961, 4, 3))


def test_separate_name_columns_and_commune_codes():
    text = "Họ,Tên đệm,Tên,Năm sinh,Mã xã\nTôn Thất,,Thuyết,1955,19750\nNguyễn,Thị Thu,Hà,1980,19753\n"
    _, t = _std(text)
    assert t.columns["family"] == ["Tôn Thất", "Nguyễn"]
    assert t.columns["middle"] == ["", "Thị Thu"]
    assert t.columns["commune_2024"] == ["19750", "19753"]


def test_the_same_xlsx_continued_on_a_second_sheet():
    wb = Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Số CCCD"])
    ws.append(["Nguyễn Văn An", "046090001234"])
    ws2 = wb.create_sheet("Trang 2")
    ws2.append(["Họ và tên", "Số CCCD"])
    ws2.append(["Trần Văn Bé", "046090001235"])
    notes = wb.create_sheet("Ghi chú")
    notes.append(["Danh sách do xã lập"])
    bio = io.BytesIO()
    wb.save(bio)
    imported, t = _std(bio.getvalue(), "a.xlsx")
    assert imported.sheets == ["Sheet", "Trang 2"]
    assert t.columns["uid"] == [1, 2] and t.columns["given"] == ["An", "Bé"]


def test_xlsx_in_a_tcvn3_font():
    def build(ws):
        ws.append([to_legacy("Họ và tên", "tcvn3"), to_legacy("Ngày sinh", "tcvn3")])
        ws.append([to_legacy("Nguyễn Thị Thủy", "tcvn3"), "02/01/1970"])
        ws.append([to_legacy("Hoàng Văn Đức", "tcvn3"), "03/01/1970"])

    imported, t = _std(_xlsx(build), "a.xlsx")
    assert imported.encoding == "tcvn3"
    assert t.columns["given"] == ["Thủy", "Đức"]


# --------------------------------------------------------------------------- bad input


def test_an_empty_file():
    for data in (b"", b"   \r\n\r\n"):
        with pytest.raises(InvalidInput) as err:
            read_file(data, "empty.csv")
        assert err.value.code == "quality.empty_file"


def test_not_a_spreadsheet():
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    for data in (b"%PDF-1.7 ...", b"\x89PNG\r\n\x1a\n....", docx.getvalue(), b"PK\x03\x04garbage"):
        with pytest.raises(InvalidInput) as err:
            read_file(data, "x.xlsx")
        assert err.value.code == "quality.not_spreadsheet"
        assert "xlsx" in err.value.message_vi


def test_plain_prose_is_not_a_table():
    with pytest.raises(InvalidInput) as err:
        read_file("Kính gửi Sở Y tế\nĐề nghị xác minh danh sách đính kèm\n".encode(), "thu.csv")
    assert err.value.code in ("quality.not_spreadsheet", "quality.no_header")


def test_unknown_encoding():
    with pytest.raises(InvalidInput) as err:
        read_file(bytes(range(0, 32)) * 200, "x.csv")
    assert err.value.code in ("quality.unknown_encoding", "quality.not_spreadsheet")


def test_a_few_lines_in_another_encoding_are_reported_not_guessed():
    good = "Họ và tên,Số CCCD\n" + "".join(f"Nguyễn Văn An,0460900012{i:02d}\n" for i in range(30))
    data = good.encode("utf-8") + b"\xff\xfe\x00\x01garbage\x02\n" + "Lê Văn Bảy,046090001299\n".encode()
    _imported, t = _std(data)
    assert t.invalid_counts == {"encoding": 1}
    assert len(t) == 32 and t.columns["invalid"][30] == "encoding"


def test_header_only_file_has_no_rows():
    _imported, t = _std("Họ và tên,Ngày sinh,Số CCCD\n")
    assert len(t) == 0


def test_shifted_rows_are_invalid_not_misread():
    _, t = _std("Họ và tên,Ngày sinh\nNguyễn Văn An,01/01/1990\nNguyễn, Văn An,01/01/1990\n")
    assert t.columns["invalid"] == [None, "columns"]


def test_wrong_mapping_is_caught_before_matching():
    text = "Họ và tên,Ngày sinh,Số CCCD\n" + "".join(
        f"Nguyễn Văn An,0{i}/01/1990,04609000123{i}\n" for i in range(1, 9)
    )
    imported = read_file(text.encode(), "f.csv")
    wrong = mp.from_spec(imported, {"columns": {"full_name": "Ngày sinh", "personal_id": "C"}})
    with pytest.raises(InvalidInput) as err:
        mp.check(imported, wrong)
    assert err.value.code == "quality.mapping.wrong_column" and "Ngày sinh" in err.value.message_vi
    with pytest.raises(InvalidInput) as err:
        mp.check(imported, mp.from_spec(imported, {"columns": {"date_of_birth": "B"}}))
    assert err.value.code == "quality.mapping.missing_key"
    with pytest.raises(InvalidInput) as err:
        mp.from_spec(imported, {"columns": {"full_name": "Tên cha"}})
    assert err.value.code == "quality.mapping.unknown_column"


def test_a_mapping_file_names_the_header_line_and_columns(tmp_path):
    text = "Cột 1,Cột 2,Cột 3\nNguyễn Văn An,01/01/1990,046090001234\n"
    spec = tmp_path / "m.toml"
    spec.write_text(
        '[columns]\nfull_name = "A"\ndate_of_birth = 2\npersonal_id = "Cột 3"\n', encoding="utf-8"
    )
    imported = read_file(text.encode(), "f.csv", header_line=1)
    mapping = mp.check(imported, mp.from_spec(imported, mp.read_mapping_file(spec)))
    t = standardise(imported, mapping)
    assert (t.columns["given"], t.columns["id_key"]) == (["An"], ["046090001234"])


def test_headers_without_marks_or_in_capitals_are_recognised():
    imported = read_file(
        b"HO VA TEN,NGAY THANG NAM SINH,GIOI TINH,SO DINH DANH,NOI THUONG TRU,CMND\n"
        b"Nguyen Van An,01/01/1990,Nam,046090001234,Phuong Vinh Ninh,191234567\n",
        "f.csv",
    )
    assert [c.guess for c in imported.columns] == [
        "full_name",
        "date_of_birth",
        "gender",
        "personal_id",
        "address",
        "old_id",
    ]
