"""Vietnamese name-part frequencies for the synthetic province.

Weights are relative frequencies assembled for plausibility, not measured counts:
- family names follow the commonly cited national shares (Nguyễn ≈ 38 %, Trần ≈ 11 %, Lê ≈ 9.5 %,
  the top 14 ≈ 90 %), adjusted for central Vietnam (Võ and Huỳnh more common than in the north)
  and for Huế, where the royal clan's lines Tôn Thất (men; women of the line are "Tôn Nữ"), Nguyễn
  Phước and Nguyễn Khoa are locally common;
- middle names differ by gender and by generation (Văn/Thị dominate before the 1980s and fade
  after 2000);
- given names are a few hundred common names per gender with rank-based (Zipf-like) weights.
Ethnic-minority names of A Lưới and Nam Đông (Tà Ôi, Pa Kô, Cơ Tu, Vân Kiều) are a small
illustrative set. Every part is stored normalised (NFC, traditional tone placement) and with its
folded search key, so the generator never calls `fold` per person.
"""

from __future__ import annotations

from dataclasses import dataclass

from hue06.core.text import fold, normalize_text

# --------------------------------------------------------------------------- family names

FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 6.0), ("Phan", 4.5), ("Võ", 3.6),
    ("Hoàng", 3.2), ("Huỳnh", 2.5), ("Hồ", 2.2), ("Đặng", 2.0), ("Bùi", 2.0), ("Ngô", 1.6),
    ("Đỗ", 1.5), ("Vũ", 1.4),
    # the tail, about 11 %
    ("Dương", 0.8), ("Trương", 0.8), ("Đoàn", 0.6), ("Đinh", 0.5), ("Lương", 0.45), ("Mai", 0.4),
    ("Hà", 0.4), ("Cao", 0.4), ("Lâm", 0.35), ("Tôn Thất", 0.6), ("Nguyễn Phước", 0.25),
    ("Nguyễn Khoa", 0.12), ("Văn", 0.3), ("Thái", 0.3), ("Châu", 0.3), ("Lý", 0.3), ("Tô", 0.25),
    ("Trịnh", 0.25), ("Lưu", 0.2), ("Tạ", 0.2), ("Hứa", 0.15), ("Thân", 0.2), ("Ung", 0.15),
    ("Tôn", 0.15), ("Kiều", 0.12), ("Quách", 0.12), ("Từ", 0.12), ("Mạc", 0.1), ("Ông", 0.12),
    ("La", 0.1), ("Lại", 0.1), ("Phùng", 0.12), ("Hồng", 0.08), ("Khúc", 0.06), ("Thủy", 0.05),
    ("Đàm", 0.08), ("Chế", 0.06), ("Nghiêm", 0.08), ("Diệp", 0.06), ("Âu", 0.05), ("Cù", 0.06),
    ("Giáp", 0.05), ("Kha", 0.05), ("Bạch", 0.05), ("Mẫn", 0.04),
)
# Women of the Tôn Thất line carry "Tôn Nữ" as their family name.
FEMALE_FORM = {"Tôn Thất": "Tôn Nữ"}

MINORITY_FAMILY_NAMES: dict[str, tuple[tuple[str, float], ...]] = {
    "Tà Ôi": (("Hồ", 4), ("Kăn", 3), ("Quỳnh", 2), ("Nhâm", 1.5), ("Lê", 1.5), ("Căn", 1), ("Pi", 0.8), ("Kê", 0.6)),
    "Pa Kô": (("Hồ", 4), ("Pả", 2), ("Kăn", 1.5), ("Lê", 1), ("Rơ", 0.8), ("Nguyễn", 1)),
    "Cơ Tu": (("Alăng", 3), ("Bhling", 2), ("Zơrâm", 1.5), ("Arất", 1.5), ("Clâu", 1), ("Coor", 1),
              ("Hôih", 1), ("Bríu", 1), ("Pơloong", 0.8)),
    "Vân Kiều": (("Hồ", 4), ("Lê", 2), ("Côn", 1), ("Ka", 0.8), ("Pả", 0.8)),
}

# --------------------------------------------------------------------------- middle names

MIDDLE_MALE_OLD: tuple[tuple[str, float], ...] = (
    ("Văn", 52), ("Đức", 5), ("Hữu", 6), ("Quang", 4), ("Công", 4), ("Đình", 5), ("Minh", 3),
    ("Ngọc", 3), ("Xuân", 3), ("Thanh", 3), ("Viết", 2), ("Trọng", 2), ("Quốc", 2), ("Tấn", 2),
    ("Như", 1), ("Phước", 1.5), ("Bá", 1), ("Duy", 1),
)
MIDDLE_MALE_YOUNG: tuple[tuple[str, float], ...] = (
    ("Văn", 15), ("Minh", 12), ("Đức", 8), ("Gia", 7), ("Quang", 6), ("Hoàng", 6), ("Anh", 5),
    ("Bảo", 6), ("Nhật", 5), ("Hữu", 4), ("Thành", 3), ("Quốc", 4), ("Thanh", 3), ("Tuấn", 3),
    ("Đăng", 3), ("Trọng", 2), ("Công", 2), ("Đình", 2), ("Phúc", 2), ("Khánh", 2), ("Hải", 2),
    ("Ngọc", 2), ("Xuân", 2), ("Duy", 3),
)
MIDDLE_FEMALE_OLD: tuple[tuple[str, float], ...] = (
    ("Thị", 74), ("Ngọc", 4), ("Thu", 3), ("Thanh", 3), ("Kim", 3), ("Hồng", 2), ("Thị Thu", 2),
    ("Thị Ngọc", 2), ("Xuân", 2), ("Minh", 1), ("Diệu", 1), ("Bích", 1), ("Mỹ", 1), ("Thị Kim", 1),
)
MIDDLE_FEMALE_YOUNG: tuple[tuple[str, float], ...] = (
    ("Thị", 22), ("Ngọc", 9), ("Thu", 5), ("Thanh", 4), ("Minh", 5), ("Bảo", 6), ("Khánh", 5),
    ("Phương", 4), ("Thùy", 4), ("Hồng", 3), ("Kim", 3), ("Mai", 3), ("Diệu", 3), ("Như", 3),
    ("Hoài", 2), ("Quỳnh", 3), ("Gia", 3), ("Tường", 1.5), ("Uyên", 1), ("An", 2), ("Thị Ngọc", 2),
    ("Yến", 1), ("Hà", 2), ("Linh", 1),
)

# --------------------------------------------------------------------------- given names (by rank)

GIVEN_MALE: tuple[str, ...] = (
    "Anh", "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Nam", "Long", "Sơn", "Thắng", "Hoàng", "Huy",
    "Phúc", "Quang", "Khoa", "Trung", "Thành", "Tùng", "Vinh", "Đức", "Bảo", "Hiếu", "Phong", "Tài",
    "Tâm", "Toàn", "Việt", "Lâm", "Khánh", "Kiên", "Hưng", "Hòa", "Lộc", "Lợi", "Tiến", "Thịnh",
    "Tú", "Cường", "Bình", "Hiển", "Hậu", "Nhân", "Nghĩa", "Quân", "Quý", "Sang", "Thái", "Thiện",
    "Thông", "Thuận", "Trí", "Trọng", "Vũ", "Duy", "Đạt", "Đông", "Định", "Hào", "Hiệp", "Hoàn",
    "Huân", "Khải", "Khang", "Mạnh", "Nhật", "Phát", "Phước", "Phương", "Quyết", "Tấn", "Thanh",
    "Thế", "Thọ", "Tín", "Toản", "Trường", "Tường", "Vĩnh", "Xuân", "Ân", "Bách", "Châu", "Chiến",
    "Công", "Danh", "Dương", "Giang", "Hà", "Hạnh", "Hữu", "Kỳ", "Lành", "Luân", "Lương", "Ngọc",
    "Nguyên", "Quốc", "Sĩ", "Sinh", "Tân", "Thiên", "Triều", "Tuệ", "Uy", "Vỹ", "Vượng", "An",
    "Bằng", "Cảnh", "Chánh", "Chung", "Dân", "Diệu", "Đăng", "Điền", "Đoàn", "Hạ", "Hân", "Hiền",
    "Hiệu", "Hồng", "Khiêm", "Khôi", "Kiệt", "Lai", "Lãm", "Lập", "Linh", "Lực", "Mẫn", "Mậu",
    "Nhã", "Ninh", "Pháp", "Phi", "Phú", "Quảng", "Quyền", "Sáng", "Tạo", "Thạch", "Thân", "Thiệu",
    "Thịnh", "Thống", "Thụy", "Tịnh", "Trác", "Trí", "Trinh", "Tuyên", "Văn", "Viên", "Vương",
    "Xuyên", "Ý", "Bửu", "Cẩn", "Diệm", "Hoè", "Kha", "Lĩnh", "Nhượng", "Thục", "Tôn", "Ưng",
    "Phụng", "Đài", "Sỹ", "Hoan", "Kính", "Tưởng", "Cừ", "Lãng", "Trực", "Tích",
)
GIVEN_FEMALE: tuple[str, ...] = (
    "Anh", "Hương", "Lan", "Linh", "Hà", "Hoa", "Hằng", "Huyền", "Mai", "Ngọc", "Nhung", "Phương",
    "Thảo", "Trang", "Thủy", "Thúy", "Thu", "Vân", "Yến", "Nga", "Ly", "My", "Nhi", "Oanh",
    "Quyên", "Quỳnh", "Tâm", "Thanh", "Thư", "Trâm", "Uyên", "Vy", "Xuân", "Bích", "Châu", "Cúc",
    "Dung", "Diệp", "Diệu", "Giang", "Hạnh", "Hiền", "Hồng", "Hòa", "Hậu", "Khánh", "Kiều", "Liên",
    "Liễu", "Loan", "Mơ", "Mỹ", "Nguyệt", "Nhàn", "Như", "Nụ", "Phượng", "Sen", "Sương", "Tuyết",
    "Thắm", "Thơ", "Thương", "Tiên", "Trinh", "Tú", "Vi", "Ánh", "Ân", "Bình", "Duyên", "Đào",
    "Hải", "Hoài", "Huệ", "Lài", "Lệ", "Luyến", "Minh", "Na", "Ngân", "Nhạn", "Phúc", "Quế", "Thi",
    "Thoa", "Thùy", "Tình", "Trà", "Vui", "An", "Bảo", "Chi", "Dạ", "Diễm", "Đoan", "Gấm", "Hân",
    "Hoàn", "Hường", "Khuê", "Kim", "Lam", "Lụa", "Lý", "Mận", "Mến", "Ngà", "Ngoan", "Nhiên",
    "Nương", "Phấn", "Quý", "Sa", "Son", "Tài", "Thái", "Thanh", "Thiện", "Thịnh", "Thục", "Tuyền",
    "Tư", "Vinh", "Xoan", "Yên", "Ái", "Bông", "Cẩm", "Châm", "Diệm", "Điệp", "Hiên", "Hợp", "Huế",
    "Khiết", "Lành", "Lộc", "Lựu", "Miên", "Nữ", "Phụng", "Tâm", "Thùy", "Trúc", "Vỹ", "Xuyến",
    "Ý", "Hảo", "Nguyên", "Phước", "Sinh", "Thảo", "Thuận", "Tịnh", "Vĩnh", "Hiếu", "Kha", "Mẫn",
)
MINORITY_GIVEN_MALE: tuple[str, ...] = (
    "Blao", "Pả", "Kiêng", "Ka", "Cu", "Bốc", "Pác", "Thức", "Dứt", "Ting", "Hơn", "Bloong", "Zen",
    "Ân", "Nhưn", "Quyết", "Cơ", "Kêr", "Pơ", "Vai", "Tuất", "A Ngơ", "Ría", "Lóc",
)
MINORITY_GIVEN_FEMALE: tuple[str, ...] = (
    "Ngân", "Pi", "Tơ", "Blúp", "Hương", "Nhanh", "Bơ", "Chây", "Thoan", "Bh'nước", "Xay", "Bốp",
    "Nhuyên", "Crang", "Bhơ", "Thắm", "Hiền", "Xoa", "Rơ", "Phi",
)
MINORITY_GIVEN_MALE = tuple(n for n in MINORITY_GIVEN_MALE if " " not in n)
MINORITY_GIVEN_FEMALE = tuple(n for n in MINORITY_GIVEN_FEMALE if "'" not in n)


@dataclass(frozen=True)
class Parts:
    """Name parts with weights and their folded keys, indexed alike."""

    names: tuple[str, ...]
    keys: tuple[str, ...]
    weights: tuple[float, ...]

    @property
    def probabilities(self) -> list[float]:
        total = sum(self.weights)
        return [w / total for w in self.weights]


def _parts(pairs: tuple[tuple[str, float], ...]) -> Parts:
    merged: dict[str, float] = {}
    for name, weight in pairs:
        if weight > 0:
            clean = normalize_text(name)
            merged[clean] = merged.get(clean, 0.0) + weight
    names = tuple(merged)
    return Parts(names, tuple(fold(n) for n in names), tuple(merged[n] for n in names))


def _ranked(names: tuple[str, ...], exponent: float = 0.9, offset: float = 4.0) -> Parts:
    """Rank-based weights: the first names of the list are the most common."""
    seen: dict[str, float] = {}
    for rank, name in enumerate(names):
        clean = normalize_text(name)
        if clean not in seen:
            seen[clean] = 1.0 / (rank + offset) ** exponent
    names_t = tuple(seen)
    return Parts(names_t, tuple(fold(n) for n in names_t), tuple(seen[n] for n in names_t))


FAMILY = _parts(FAMILY_NAMES)
MIDDLE = {
    ("male", "old"): _parts(MIDDLE_MALE_OLD),
    ("male", "young"): _parts(MIDDLE_MALE_YOUNG),
    ("female", "old"): _parts(MIDDLE_FEMALE_OLD),
    ("female", "young"): _parts(MIDDLE_FEMALE_YOUNG),
}
GIVEN = {"male": _ranked(GIVEN_MALE), "female": _ranked(GIVEN_FEMALE)}
MINORITY_FAMILY = {eth: _parts(pairs) for eth, pairs in MINORITY_FAMILY_NAMES.items()}
MINORITY_GIVEN = {"male": _ranked(MINORITY_GIVEN_MALE, 0.5), "female": _ranked(MINORITY_GIVEN_FEMALE, 0.5)}
