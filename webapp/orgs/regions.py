"""Scopes of organisations: the ten supply areas (grid operators) and the 47 prefectures (municipalities).

Supply areas are stored by code ("tokyo"); prefectures by their Japanese name
("神奈川県"), which is how facility records name them.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SUPPLY_AREAS = {
    "hokkaido": _l("Hokkaido area"),
    "tohoku": _l("Tohoku area"),
    "tokyo": _l("Tokyo area"),
    "chubu": _l("Chubu area"),
    "hokuriku": _l("Hokuriku area"),
    "kansai": _l("Kansai area"),
    "chugoku": _l("Chugoku area"),
    "shikoku": _l("Shikoku area"),
    "kyushu": _l("Kyushu area"),
    "okinawa": _l("Okinawa area"),
}

PREFECTURES = {
    "北海道": _l("Hokkaido"), "青森県": _l("Aomori"), "岩手県": _l("Iwate"), "宮城県": _l("Miyagi"),
    "秋田県": _l("Akita"), "山形県": _l("Yamagata"), "福島県": _l("Fukushima"), "茨城県": _l("Ibaraki"),
    "栃木県": _l("Tochigi"), "群馬県": _l("Gunma"), "埼玉県": _l("Saitama"), "千葉県": _l("Chiba"),
    "東京都": _l("Tokyo"), "神奈川県": _l("Kanagawa"), "新潟県": _l("Niigata"), "富山県": _l("Toyama"),
    "石川県": _l("Ishikawa"), "福井県": _l("Fukui"), "山梨県": _l("Yamanashi"), "長野県": _l("Nagano"),
    "岐阜県": _l("Gifu"), "静岡県": _l("Shizuoka"), "愛知県": _l("Aichi"), "三重県": _l("Mie"),
    "滋賀県": _l("Shiga"), "京都府": _l("Kyoto"), "大阪府": _l("Osaka"), "兵庫県": _l("Hyogo"),
    "奈良県": _l("Nara"), "和歌山県": _l("Wakayama"), "鳥取県": _l("Tottori"), "島根県": _l("Shimane"),
    "岡山県": _l("Okayama"), "広島県": _l("Hiroshima"), "山口県": _l("Yamaguchi"), "徳島県": _l("Tokushima"),
    "香川県": _l("Kagawa"), "愛媛県": _l("Ehime"), "高知県": _l("Kochi"), "福岡県": _l("Fukuoka"),
    "佐賀県": _l("Saga"), "長崎県": _l("Nagasaki"), "熊本県": _l("Kumamoto"), "大分県": _l("Oita"),
    "宮崎県": _l("Miyazaki"), "鹿児島県": _l("Kagoshima"), "沖縄県": _l("Okinawa"),
}

CATEGORY_LABELS = {
    "operator": _l("Portal operator"),
    "certified": _l("Certified operator"),
    "grid": _l("General transmission and distribution operator"),
    "scheme": _l("Scheme administrator"),
    "municipality": _l("Municipality or ministry"),
}
# Categories a system administrator onboards (the operator's own organisation exists from the start).
ONBOARDING_CATEGORIES = ("certified", "grid", "scheme", "municipality")


def area_label(category: str, area: str) -> str:
    if not area:
        return ""
    if category == "grid":
        return str(SUPPLY_AREAS.get(area, area))
    return str(PREFECTURES.get(area, area))


# The supply area each prefecture lies in (Shizuoka, split between Tokyo and Chubu, counts as Chubu).
_AREA_PREFECTURES = {
    "hokkaido": "北海道",
    "tohoku": "青森県 岩手県 宮城県 秋田県 山形県 福島県 新潟県",
    "tokyo": "茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県 山梨県",
    "chubu": "長野県 岐阜県 静岡県 愛知県 三重県",
    "hokuriku": "富山県 石川県 福井県",
    "kansai": "滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県",
    "chugoku": "鳥取県 島根県 岡山県 広島県 山口県",
    "shikoku": "徳島県 香川県 愛媛県 高知県",
    "kyushu": "福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県",
    "okinawa": "沖縄県",
}
PREFECTURE_AREA = {pref: area for area, prefs in _AREA_PREFECTURES.items() for pref in prefs.split()}
