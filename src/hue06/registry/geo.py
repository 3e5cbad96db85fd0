"""Where each commune is, roughly: a centre and a box per 2024 commune, for digital addresses.

The 40 units of 1 Jul 2025 have published centroids and areas (below). A 2024 commune gets a box
inside the 2025 unit it became part of: one 2024 commune keeps the unit's centre; several are
spread around it on a sunflower spiral, each with a box of its share of the area. So a point is
in the right part of the province (city, lagoon, mountains) but the 2024 positions are
APPROXIMATE — good for a demo map and flood-evacuation exercises, not for surveying.

Source of the 2025 centroids and areas: `data/processed/34_provinces_3221_wards_with_location.csv`
of tranngocminhhieu/vietnamadminunits (MIT), compiled from danhmuchanhchinh.gso.gov.vn and
sapnhap.bando.com.vn (July 2025). Phường Vỹ Dạ's row was not read; its centre is estimated.
"""

from __future__ import annotations

import math
from functools import cache

from hue06.core import admin_units

# code (2025-07) -> (lat, lon, area km²)
UNIT_CENTROIDS_2025: dict[str, tuple[float, float, float]] = {
    "19753": (16.4785, 107.577, 10.38),  # Phường Phú Xuân
    "19774": (16.4047, 107.543, 90.14),  # Phường Kim Long
    "19777": (16.4745, 107.608, 14.0),  # Phường Vỹ Dạ (estimated)
    "19789": (16.4556, 107.584, 7.57),  # Phường Thuận Hóa
    "19804": (16.4612, 107.515, 19.43),  # Phường Hương An
    "19813": (16.4077, 107.583, 37.03),  # Phường Thủy Xuân
    "19815": (16.4316, 107.596, 16.71),  # Phường An Cựu
    "19819": (16.4904, 107.240, 592.48),  # Phường Phong Điền
    "19828": (16.6959, 107.410, 60.85),  # Phường Phong Phú
    "19831": (16.6442, 107.366, 87.17),  # Phường Phong Dinh
    "19858": (16.5343, 107.425, 187.02),  # Phường Phong Thái
    "19873": (16.6339, 107.506, 41.7),  # Phường Phong Quảng
    "19900": (16.5518, 107.641, 36.48),  # Phường Thuận An
    "19909": (16.5248, 107.598, 20.63),  # Phường Dương Nỗ
    "19930": (16.5042, 107.633, 28.83),  # Phường Mỹ Thượng
    "19960": (16.2807, 107.611, 344.63),  # Phường Phú Bài
    "19969": (16.4205, 107.635, 48.92),  # Phường Thanh Thủy
    "19975": (16.4186, 107.693, 33.93),  # Phường Hương Thủy
    "19996": (16.4064, 107.401, 83.28),  # Phường Hương Trà
    "20014": (16.5457, 107.580, 34.6),  # Phường Hóa Châu
    "20017": (16.4941, 107.509, 42.8),  # Phường Kim Trà
    "19867": (16.5697, 107.533, 45.93),  # Xã Quảng Điền
    "19885": (16.6304, 107.438, 82.62),  # Xã Đan Điền
    "19918": (16.4778, 107.688, 57.72),  # Xã Phú Hồ
    "19942": (16.4020, 107.771, 86.19),  # Xã Phú Vang
    "19945": (16.4549, 107.775, 57.95),  # Xã Phú Vinh
    "20035": (16.3492, 107.459, 266.5),  # Xã Bình Điền
    "20044": (16.2566, 107.198, 97.62),  # Xã A Lưới 2
    "20050": (16.2205, 107.411, 464.4),  # Xã A Lưới 5
    "20056": (16.3409, 107.149, 198.59),  # Xã A Lưới 1
    "20071": (16.2015, 107.245, 154.23),  # Xã A Lưới 3
    "20101": (16.1404, 107.351, 233.65),  # Xã A Lưới 4
    "20107": (16.2682, 107.886, 119.3),  # Xã Phú Lộc
    "20122": (16.3606, 107.867, 66.53),  # Xã Vinh Lộc
    "20131": (16.2920, 107.705, 95.62),  # Xã Hưng Lộc
    "20137": (16.2460, 108.014, 261.38),  # Xã Chân Mây - Lăng Cô
    "20140": (16.2740, 107.798, 177.58),  # Xã Lộc An
    "20161": (16.1513, 107.770, 256.02),  # Xã Khe Tre
    "20179": (16.0660, 107.717, 175.95),  # Xã Nam Đông
    "20182": (16.0997, 107.587, 215.85),  # Xã Long Quảng
}

KM_PER_DEG_LAT = 111.2
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


@cache
def _layout() -> dict[str, tuple[float, float, float, float]]:
    """code (2024) -> (centre lat, centre lon, half-height km, half-width km)."""
    latest = admin_units.load_province().latest_version
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for unit in admin_units.communes(latest):
        lat, lon, area = UNIT_CENTROIDS_2025[unit.code]
        members = sorted(admin_units.communes_within(unit.code, latest))
        n = len(members)
        radius = math.sqrt(area / math.pi)  # km, of a disc of the unit's area
        half = max(0.25, 0.55 * radius / math.sqrt(n))
        km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(lat))
        for i, code in enumerate(members):
            if n == 1:
                dy = dx = 0.0
            else:
                r = 0.65 * radius * math.sqrt((i + 0.5) / n)
                dy, dx = r * math.sin(i * _GOLDEN_ANGLE), r * math.cos(i * _GOLDEN_ANGLE)
            boxes[code] = (lat + dy / KM_PER_DEG_LAT, lon + dx / km_per_deg_lon, half, half)
    return boxes


def commune_center(code_2024: str) -> tuple[float, float]:
    lat, lon, _, _ = _layout()[code_2024]
    return lat, lon


def commune_bbox(code_2024: str) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of the box a commune's digital addresses lie in."""
    lat, lon, hh, hw = _layout()[code_2024]
    dlat = hh / KM_PER_DEG_LAT
    dlon = hw / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return (round(lat - dlat, 6), round(lon - dlon, 6), round(lat + dlat, 6), round(lon + dlon, 6))
