"""Carrier detection from tracking numbers (check digits included) and tracking links."""

from __future__ import annotations

import pytest

from tools.carriers import canonical_carrier, complete_shipment, detect_carrier, tracking_url


def test_a_valid_ups_number_is_detected_and_a_wrong_check_digit_is_not():
    carrier = detect_carrier("1Z999AA10123456784")
    assert carrier is not None and carrier.name == "UPS"
    assert detect_carrier("1Z999AA10123456785") is None


def test_a_number_that_fits_several_carriers_is_not_guessed():
    # Valid for both a FedEx and a USPS format in the tracking_number_data set.
    assert detect_carrier("92624500881285708133") is None
    shipment = {"tracking_number": "92624500881285708133"}
    complete_shipment(shipment)
    assert "carrier" not in shipment and shipment.get("tracking_url") is None


def test_sf_express_numbers_outside_the_data_set():
    carrier = detect_carrier("SF1234567890123")
    assert carrier is not None and carrier.name == "SF Express"


@pytest.mark.parametrize(("given", "name"), [("ups", "UPS"), ("United States Postal Service", "USPS"),
                                               ("dhl-us", "DHL Express"), ("顺丰", "SF Express"),
                                               ("canada_post", "Canada Post")])
def test_carrier_names_codes_and_plugin_slugs(given, name):
    known = canonical_carrier(given)
    assert known is not None and known.name == name


def test_a_carrier_name_alone_gets_its_link_and_an_unknown_one_none():
    assert tracking_url("FedEx", "123456789012") == "https://www.fedex.com/fedextrack/?trknbr=123456789012"
    assert tracking_url("Acme Couriers", "X1") is None
    shipment = {"carrier": "usps", "tracking_number": "9400"}
    complete_shipment(shipment)
    assert shipment == {"carrier": "USPS", "tracking_number": "9400",
                        "tracking_url": "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400"}


def test_a_merchant_link_is_kept():
    shipment = {"tracking_number": "1Z999AA10123456784", "tracking_url": "https://shop.example.com/t/1"}
    complete_shipment(shipment)
    assert shipment["tracking_url"] == "https://shop.example.com/t/1"
