"""Carriers: detect the carrier from a tracking number (check digits included) and build tracking links.

Detection uses the data set of jkeen/tracking_number_data through the `tracking-numbers` package. A number
that is valid for more than one carrier is not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tracking_numbers

__all__ = ["Carrier", "carrier_aliases", "canonical_carrier", "complete_shipment", "detect_carrier", "tracking_url"]


@dataclass(frozen=True, slots=True)
class Carrier:
    """A carrier's display name and the template of its tracking page (`%s` is the number)."""

    name: str
    url_template: str | None


# Display name and tracking page per carrier, keyed by a lower-case alias (names, codes, plugin slugs).
_CARRIERS: dict[str, Carrier] = {}


def _add(name: str, template: str | None, *aliases: str) -> None:
    carrier = Carrier(name, template)
    for alias in (name, *aliases):
        _CARRIERS[_key(alias)] = carrier


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", " ", name.strip().casefold())


_add("UPS", "https://www.ups.com/track?tracknum=%s", "united parcel service", "ups ground")
_add("USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=%s", "united states postal service", "us mail")
_add("FedEx", "https://www.fedex.com/fedextrack/?trknbr=%s", "federal express", "fedex ground", "fedex express")
_add("DHL Express", "https://www.dhl.com/en/express/tracking.html?AWB=%s", "dhl", "dhl us", "dhl express air")
_add("DHL eCommerce", "https://webtrack.dhlecs.com/orders?trackingNumber=%s", "dhl ecommerce", "dhl global mail")
_add("Amazon Logistics", "https://track.amazon.com/tracking/%s", "amazon", "amazon shipping")
_add("OnTrac", "https://www.ontrac.com/tracking/?number=%s")
_add("LaserShip", "https://www.lasership.com/track/%s")
_add("Canada Post", "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=%s", "canadapost")
_add("Purolator", "https://www.purolator.com/en/shipping/tracker?pin=%s")
_add("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/%s", "royalmail")
_add("Australia Post", "https://auspost.com.au/mypost/track/#/details/%s", "auspost")
_add("DPD", "https://tracking.dpd.de/status/en_US/parcel/%s", "dpd uk", "dpd de")
_add("GLS", "https://gls-group.com/GROUP/en/parcel-tracking?match=%s")
_add("Yodel", "https://www.yodel.co.uk/tracking/%s")
_add("PostNL", "https://postnl.nl/tracktrace/?B=%s")
_add("Deutsche Post", "https://www.deutschepost.de/de/s/sendungsverfolgung.html?piececode=%s", "dhl paket")
_add("La Poste", "https://www.laposte.fr/outils/suivre-vos-envois?code=%s", "colissimo")
_add("YunExpress", "https://www.yuntrack.com/parcelTracking?id=%s", "yun express")
_add("SF Express", "https://www.sf-express.com/chn/en/waybill/waybill-detail/%s", "sf", "shunfeng", "顺丰", "顺丰速运")
_add("China Post", "https://yjcx.ems.com.cn/qps/yjcx?mailNum=%s", "中国邮政", "ems", "china ems", "邮政")
_add("YTO Express", "https://www.yto.net.cn/?waybillNo=%s", "yto", "圆通", "圆通速递")
_add("ZTO Express", "https://www.zto.com/?num=%s", "zto", "中通", "中通快递")
_add("STO Express", "https://www.sto.cn/?waybillNo=%s", "sto", "申通", "申通快递")
_add("Yunda Express", "https://www.yundaex.com/?waybillNo=%s", "yunda", "韵达", "韵达快递")
_add("JD Logistics", "https://www.jdl.com/orderSearch/?waybillCodes=%s", "jd", "jdl", "京东", "京东物流")

# Codes used by the tracking_numbers data set, to our display names.
_DATASET = {"ups": "UPS", "usps": "USPS", "fedex": "FedEx", "dhl": "DHL Express", "amazon": "Amazon Logistics",
            "ontrac": "OnTrac", "lasership": "LaserShip", "canada_post": "Canada Post", "purolator": "Purolator",
            "dpd": "DPD", "yodel": "Yodel", "landmark": "Landmark Global", "cdl": "CDL"}

_SF = re.compile(r"SF\d{12,13}")
_S10 = re.compile(r"[A-Z]{2}\d{9}[A-Z]{2}")


def carrier_aliases() -> list[str]:
    """Every known carrier name, code and slug, lower-cased (for finding carrier names in text)."""
    return list(_CARRIERS)


def canonical_carrier(name: str | None) -> Carrier | None:
    """The known carrier a merchant's name, code or slug refers to, or None."""
    if not name:
        return None
    return _known(name)


@lru_cache(maxsize=4096)
def _known(name: str) -> Carrier | None:
    # A merchant writes its few carriers' names on every shipment: each spelling is normalised once.
    return _CARRIERS.get(_key(name))


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The tracking page for `number` at `carrier`, when the carrier's URL template is known."""
    known = canonical_carrier(carrier)
    if known is None or known.url_template is None or not number:
        return None
    return known.url_template.replace("%s", number)


@lru_cache(maxsize=16384)
def detect_carrier(number: str) -> Carrier | None:
    """The carrier whose format and check digit `number` fits, or None when none or several carriers fit."""
    compact = re.sub(r"\s+", "", number).upper()
    if _SF.fullmatch(compact):
        return _CARRIERS[_key("SF Express")]
    found: dict[str, Carrier] = {}
    for definition in tracking_numbers.DEFINITIONS:
        match = definition.test(compact)
        if match is None or not match.valid:
            continue
        code = match.courier.code
        if code == "s10":
            # S10 (UPU) numbers name the posting country, not one carrier; link by the universal post format.
            continue
        name = _DATASET.get(code, match.courier.name)
        known = canonical_carrier(name)
        template = known.url_template if known else definition.tracking_url_template
        found.setdefault(name, Carrier(name, template))
    if len(found) != 1:
        return None
    return next(iter(found.values()))


def complete_shipment(shipment: dict[str, Any]) -> None:
    """Fill in a shipment's carrier name and tracking link from what it has, in place.

    A known carrier name is given its display form; a number without a carrier gets the carrier detected
    from it; a missing link comes from the carrier's URL template.
    """
    number = shipment.get("tracking_number")
    carrier = shipment.get("carrier")
    known = None
    if carrier:
        known = canonical_carrier(carrier)
        if known is not None:
            shipment["carrier"] = known.name
    elif number and not shipment.get("tracking_url"):
        known = detect_carrier(number)
        if known is not None:
            shipment["carrier"] = known.name
    if number and not shipment.get("tracking_url") and known is not None and known.url_template:
        shipment["tracking_url"] = known.url_template.replace("%s", number)
