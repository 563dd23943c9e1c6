"""The one French formatter (atlas/fmt.py) and the one number parser (atlas/numbers.py)."""
from __future__ import annotations

import math

import pytest

from atlas import fmt
from atlas.catalog import CATALOG
from atlas.numbers import parse_number

NN = "\u202f"


@pytest.mark.parametrize("x, d, out", [
    (1234.56, 1, f"1{NN}234,6"), (0, 0, "0"), (1234567, 0, f"1{NN}234{NN}567"), (0.05, 1, "0,1"),
    (-3.25, 2, "\u22123,25"), (-0.04, 1, "0,0"), (999.96, 1, f"1{NN}000,0"),
])
def test_number(x, d, out):
    assert fmt.number(x, d) == out


@pytest.mark.parametrize("x", [None, float("nan"), float("inf"), "abc"])
def test_missing_is_never_zero_nor_dash(x):
    assert fmt.number(x, 1) == "donnée indisponible"


def test_values_follow_the_catalogue():
    assert fmt.value(4.5811, CATALOG["apl_mg"]) == "4,58"
    assert fmt.value(4.5811, CATALOG["apl_mg"], unit=True) == "4,58\u00a0consult./hab. std/an"
    assert fmt.value(12.34, CATALOG["sans_mt_17"], unit=True) == f"12,3{NN}%"
    assert fmt.value(12.34, CATALOG["density_mg_liberal"], unit=True) == "12,3\u00a0/ 10 000 hab."
    assert fmt.value(74413, CATALOG["population"], unit=True) == f"74{NN}413\u00a0hab."
    assert fmt.value(3, CATALOG["sans_mt_17"], secret=True) == "secret statistique"
    assert fmt.entry({"value": None, "secret": False}, CATALOG["apl_mg"]) == "donnée indisponible"
    assert fmt.entry({"value": 1.0, "secret": True}, CATALOG["apl_mg"]) == "secret statistique"


def test_plural_french_rules():
    assert fmt.plural(0, "commune") == "0\u00a0commune"
    assert fmt.plural(1, "professionnel") == "1\u00a0professionnel"
    assert fmt.plural(2, "professionnel") == "2\u00a0professionnels"
    assert fmt.plural(1500, "habitant") == f"1{NN}500\u00a0habitants"
    assert fmt.plural(2, "hôpital") == "2\u00a0hôpitaux"


def test_signed_and_change():
    assert fmt.signed(1.23, 1) == "+1,2"
    assert fmt.signed(-0.5, 1) == "\u22120,5"
    assert fmt.signed(0.0, 1) == "0,0"
    assert fmt.change(2.4, 2.9, CATALOG["apl_mg"]) == "+0,50"


def test_threshold_text_comes_from_the_catalogue():
    t = fmt.threshold_text(CATALOG["apl_mg"])
    assert t.endswith("APL < 2,5") and "DREES" in t


def test_csv_number_for_french_spreadsheets():
    assert fmt.csv_number(1234.5) == "1234,5"
    assert fmt.csv_number(12) == "12"
    assert fmt.csv_number(None) == ""
    assert fmt.csv_number(1 / 3) == "0,333333"


@pytest.mark.parametrize("text, out", [
    ("1234", 1234.0), ("1234,5", 1234.5), ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5), (f"1{NN}234,5", 1234.5),
    ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("\u22123,2", -3.2), ("+4", 4.0), ("1.234.567", 1234567.0),
    (",5", 0.5), (7, 7.0),
])
def test_parse_number(text, out):
    assert parse_number(text) == out


@pytest.mark.parametrize("text", ["abc", "1,2,3", "nan", "1..2", "12,34,56.7", "inf", True])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_number_empty():
    assert parse_number("") is None and parse_number(None) is None and parse_number(" ", empty=0.0) == 0.0


def test_format_then_parse_round_trip():
    for x in (0.0, 1.5, 1234.56, 987654.3, -12.75):
        assert math.isclose(parse_number(fmt.number(x, 2)), round(x, 2))


def test_counts_take_the_singular_for_zero_and_one():
    msp, cds = CATALOG["count_msp"], CATALOG["count_cds"]
    assert fmt.value(1, msp, unit="long") == f"1{fmt.NBSP}maison de santé"
    assert fmt.value(0, cds, unit="long") == f"0{fmt.NBSP}centre de santé"
    assert fmt.value(0, cds, unit=True) == f"0{fmt.NBSP}centre"
    assert fmt.value(2, cds, unit="long") == f"2{fmt.NBSP}centres de santé"
    assert fmt.value(1, msp, unit=True) == f"1{fmt.NBSP}MSP"                       # an acronym stays
    assert fmt.value(1, CATALOG["density_mg_liberal"], unit="long").endswith("pour 10 000 habitants")
