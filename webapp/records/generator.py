"""Deterministic synthetic facility records for demos and benchmarks (`portal records generate N`).

Record number i is the same on every machine and every run: its generator is seeded with
(seed, i). Names and addresses are invented; no real operator or person appears.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Iterator

from webapp.orgs.regions import PREFECTURE_AREA

ID_PREFIX = "SYN"
DEFAULT_SEED = 2026
INDIVIDUAL = "個人"  # the operator name of a facility run by a private person
PURCHASE_YEARS = 20  # 10 kW or more

_PREFECTURES = sorted(PREFECTURE_AREA)
_TOWNS = ("みどり", "さくら", "あおば", "ひかり", "かぜの", "みなと", "やまと", "ひばり", "しらかば", "なぎさ")
_TOWN_KINDS = ("市", "町", "村")
_FAMILY = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田")
_GIVEN = ("太郎", "花子", "一郎", "美咲", "健太", "陽子", "翔", "由美", "大輔", "直美")
_COMPANY_WORDS = ("グリーン", "サン", "エコ", "ひだまり", "未来", "あおぞら", "清流", "大地", "風車", "森林")
_COMPANY_FORMS = ("合同会社{}エナジー", "株式会社{}電力", "{}発電合同会社", "株式会社{}ソーラー")
_PANELS = {
    "架空パネル工業": ("KP-250", "KP-320", "KP-410"),
    "仮想太陽電池": ("VS-M60", "VS-M72"),
    "模擬ソーラー製作所": ("MS-HALF-400", "MS-BIFACIAL-450"),
}
_SOURCE_WEIGHTS = (("solar", 85), ("wind", 5), ("hydro", 4), ("biomass", 4), ("geothermal", 2))
# Solar purchase prices (yen/kWh, 10 kW or more) by certification year: the FIT schedule's shape.
_SOLAR_PRICE = {2012: 40.0, 2013: 36.0, 2014: 32.0, 2015: 29.0, 2016: 24.0, 2017: 21.0, 2018: 18.0,
                2019: 14.0, 2020: 13.0, 2021: 12.0, 2022: 11.0, 2023: 10.0, 2024: 10.0, 2025: 10.0}
_OTHER_PRICE = {"wind": 22.0, "hydro": 27.0, "biomass": 24.0, "geothermal": 40.0}


def facility_id(index: int) -> str:
    return f"{ID_PREFIX}{index:09d}"


def _address(rng: random.Random, prefecture: str) -> str:
    town = rng.choice(_TOWNS) + rng.choice(_TOWN_KINDS)
    return f"{prefecture}{town}{rng.randint(1, 9)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}"


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def record(index: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    rng = random.Random(seed * 1_000_003 + index)
    prefecture = rng.choice(_PREFECTURES)
    source = rng.choices([s for s, _ in _SOURCE_WEIGHTS], [w for _, w in _SOURCE_WEIGHTS])[0]
    person = f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)}"
    individual = source == "solar" and rng.random() < 0.3
    # A person running a rooftop plant is named only as its representative (a personal field, which
    # the least-privilege defaults hide), as the public lists of certified facilities do.
    operator = INDIVIDUAL if individual else rng.choice(_COMPANY_FORMS).format(rng.choice(_COMPANY_WORDS))
    certified = date(2012, 7, 1) + timedelta(days=rng.randint(0, 365 * 13))
    started = certified + timedelta(days=rng.randint(60, 900)) if rng.random() < 0.9 else None
    capacity = round(rng.uniform(10, 49.9), 1) if individual else round(rng.uniform(10, 2000), 1)
    maker = rng.choice(sorted(_PANELS)) if source == "solar" else ""
    town = rng.choice(_TOWNS)
    return {
        "facility_id": facility_id(index),
        "operator_name": operator,
        "representative_name": person,
        "operator_address": _address(rng, rng.choice(_PREFECTURES)),
        "certified_on": certified,
        "operation_started_on": started,
        "purchase_price": _SOLAR_PRICE.get(certified.year, 10.0) if source == "solar" else _OTHER_PRICE[source],
        "purchase_end": _years_later(started, PURCHASE_YEARS) if started else None,
        "energy_source": source,
        "capacity_kw": capacity,
        "prefecture": prefecture,
        "location_address": _address(rng, prefecture),
        "plant_name": f"{town}第{rng.randint(1, 12)}発電所",
        "supply_area": PREFECTURE_AREA[prefecture],
        "panel_maker": maker,
        "panel_model": rng.choice(_PANELS[maker]) if maker else "",
    }


def records(start: int, count: int, seed: int = DEFAULT_SEED) -> Iterator[dict[str, Any]]:
    for index in range(start, start + count):
        yield record(index, seed)
