"""The provincial-level divisions a unit may be in, and every official spelling of each.

Source: GB/T 2260《中华人民共和国行政区划代码》(Codes for the administrative divisions of
the People's Republic of China; the provincial-level codes are unchanged since Chongqing's
50 in 1997), for the two-digit code, the six-digit code (the two digits and 0000) and the
Chinese names; pinyin as Chinese place names are written in Roman letters, with the
customary spelling Shaanxi for 陕西 that keeps it apart from 山西 Shanxi. 新疆生产建设兵团
(the Xinjiang Production and Construction Corps), which the national market counts as a
provincial-level administration, has no code of its own in GB/T 2260 (its cities are
under Xinjiang's 65); 66 (660000) is the code national information systems give it.

A spelling is compared after NFKC normalisation, in any case, with white space and
underscores ignored: `江苏` = `江苏省` = `32` = `320000` = `jiangsu` = `Jiangsu`. Records and
reports carry the canonical name, lowercase with underscores (`inner_mongolia`).
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from peie.dsl.errors import did_you_mean
from peie.dsl.i18n import _


class Province(NamedTuple):
    code: str  # GB/T 2260, two digits
    short: str  # 简称 as a name (江苏)
    full: str  # 全称 (江苏省)
    pinyin: str
    english: str
    name: str  # canonical: what records and reports show

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, self.code, self.code + "0000", self.short, self.full,
                self.pinyin, self.english)


PROVINCES = (
    Province("11", "北京", "北京市", "Beijing", "Beijing", "beijing"),
    Province("12", "天津", "天津市", "Tianjin", "Tianjin", "tianjin"),
    Province("13", "河北", "河北省", "Hebei", "Hebei", "hebei"),
    Province("14", "山西", "山西省", "Shanxi", "Shanxi", "shanxi"),
    Province("15", "内蒙古", "内蒙古自治区", "Neimenggu", "Inner Mongolia", "inner_mongolia"),
    Province("21", "辽宁", "辽宁省", "Liaoning", "Liaoning", "liaoning"),
    Province("22", "吉林", "吉林省", "Jilin", "Jilin", "jilin"),
    Province("23", "黑龙江", "黑龙江省", "Heilongjiang", "Heilongjiang", "heilongjiang"),
    Province("31", "上海", "上海市", "Shanghai", "Shanghai", "shanghai"),
    Province("32", "江苏", "江苏省", "Jiangsu", "Jiangsu", "jiangsu"),
    Province("33", "浙江", "浙江省", "Zhejiang", "Zhejiang", "zhejiang"),
    Province("34", "安徽", "安徽省", "Anhui", "Anhui", "anhui"),
    Province("35", "福建", "福建省", "Fujian", "Fujian", "fujian"),
    Province("36", "江西", "江西省", "Jiangxi", "Jiangxi", "jiangxi"),
    Province("37", "山东", "山东省", "Shandong", "Shandong", "shandong"),
    Province("41", "河南", "河南省", "Henan", "Henan", "henan"),
    Province("42", "湖北", "湖北省", "Hubei", "Hubei", "hubei"),
    Province("43", "湖南", "湖南省", "Hunan", "Hunan", "hunan"),
    Province("44", "广东", "广东省", "Guangdong", "Guangdong", "guangdong"),
    Province("45", "广西", "广西壮族自治区", "Guangxi", "Guangxi", "guangxi"),
    Province("46", "海南", "海南省", "Hainan", "Hainan", "hainan"),
    Province("50", "重庆", "重庆市", "Chongqing", "Chongqing", "chongqing"),
    Province("51", "四川", "四川省", "Sichuan", "Sichuan", "sichuan"),
    Province("52", "贵州", "贵州省", "Guizhou", "Guizhou", "guizhou"),
    Province("53", "云南", "云南省", "Yunnan", "Yunnan", "yunnan"),
    Province("54", "西藏", "西藏自治区", "Xizang", "Tibet", "xizang"),
    Province("61", "陕西", "陕西省", "Shaanxi", "Shaanxi", "shaanxi"),
    Province("62", "甘肃", "甘肃省", "Gansu", "Gansu", "gansu"),
    Province("63", "青海", "青海省", "Qinghai", "Qinghai", "qinghai"),
    Province("64", "宁夏", "宁夏回族自治区", "Ningxia", "Ningxia", "ningxia"),
    Province("65", "新疆", "新疆维吾尔自治区", "Xinjiang", "Xinjiang", "xinjiang"),
    Province("66", "兵团", "新疆生产建设兵团", "Xinjiang Bingtuan",
             "Xinjiang Production and Construction Corps", "xinjiang_bingtuan"),
)
NAMES = frozenset(p.name for p in PROVINCES)


def normal(text: str) -> str:
    """A province's spelling as it is compared."""
    return "".join(unicodedata.normalize("NFKC", text).replace("_", " ").split()).casefold()


SPELLINGS = {normal(s): p.name for p in PROVINCES for s in p.spellings}


def province_of(text: str) -> str | None:
    """The canonical name of the province `text` spells, or None."""
    return SPELLINGS.get(normal(text))


def unknown_province(text: str) -> str:
    """The problem with a province no spelling matches, with the nearest spelling."""
    near = did_you_mean(text, [s for p in PROVINCES for s in p.spellings])
    return _("'{text}' is not a province of the national market: write a province's name or "
             "GB/T 2260 code, such as 江苏, Jiangsu or 32{hint}", text=text, hint=near)
