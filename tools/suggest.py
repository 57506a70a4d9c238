"""`mapping suggest`: a draft mapping inferred from a sample's field names and value shapes.

Every source field is scored against every canonical field by name (camelCase, snake_case and spaces normalised;
English, pinyin-style vendor and a few Chinese synonyms) and by what its values look like (emails, phones, dates,
tracking numbers, amounts, currency codes, short status labels); the best pairs win, each source path once.
The YAML is written line by line so that every guess carries a comment saying why, and it is compiled before it
is returned, so a draft always loads. It is a first draft for `mapping check` to confirm, not an answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from pydantic import BaseModel

from tools import _transforms as tf
from tools._yaml import load_yaml
from tools.carriers import canonical_carrier, detect_carrier
from tools.check import source_fields
from tools.errors import MappingError, SampleError
from tools.files import Payload
from tools.mapping import _unwrap, compile_mapping, load_mapping_text
from tools.schema import Item, Order, OrderStatus, Shipment, ShipmentItem, ShipmentStatus, TrackingEvent

__all__ = ["suggest_mapping"]

_MAX_RECORDS = 1000
"""Records analysed; a larger sample says nothing new about names and shapes and only costs time."""
_MAX_VALUES = 200
"""Values per field whose shapes are looked at."""
_MAX_LABELS = 100
"""Distinct short values kept per field (status labels, currency codes), however many records there are."""
_THRESHOLD = 0.5

# ---------------------------------------------------------------------------------------------------------
# Names

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[\u3400-\u9fff\uf900-\ufaff]+")


def _tokens(name: str) -> list[str]:
    """`receiverMobile`, `receiver_mobile` and `Receiver Mobile` all become ['receiver', 'mobile']."""
    return [t.casefold() for t in _WORD.findall(name)]


def _key(name: str) -> str:
    return "".join(_tokens(name))


@dataclass(frozen=True)
class _Rule:
    """How to recognise one canonical field: its value kind, synonyms with weights, and the entity it belongs to."""

    kind: str
    label: str
    names: dict[str, tuple[float, str]]
    """Normalised synonym -> (weight, spelling shown in comments)."""
    group: str | None
    strict: frozenset[str]
    """Synonyms too generic to count unless the path sits under the field's own entity (`customer.name`)."""


def _names(spec: str) -> dict[str, tuple[float, str]]:
    out: dict[str, tuple[float, str]] = {}
    for word in spec.split():
        name, _, weight = word.partition(":")
        out.setdefault(_key(name), (float(weight) if weight else 1.0, name))
    return out


def _rule(kind: str, label: str, names: str, group: str | None = None, strict: str = "") -> _Rule:
    return _Rule(kind, label, _names(names), group, frozenset(_key(s) for s in strict.split()))


_ORDER = {
    "id": _rule("id", "order number", "orderNo orderId order_sn orderSn orderNumber orderCode orderNum "
                "number:0.95 id:0.9 uid:0.85 orderUid tid:0.7 bizOrderId incrementId amazonOrderId name:0.35 "
                "订单号 订单编号 订单ID 订单号码"),
    "external_ref_id": _rule("id", "reference", "externalRefId refId ref:0.9 reference referenceId externalId "
                             "outerOrderId outOrderNo platformOrderId thirdOrderNo entityId:0.8 id:0.55 "
                             "外部单号 平台单号"),
    "status": _rule("status", "status", "status orderStatus state:0.9 tradeStatus orderState statusCode:0.8 "
                    "fulfillmentStatus:0.7 financialStatus:0.5 订单状态 状态:0.9"),
    "status_text": _rule("text", "status label", "statusText statusName statusDesc statusLabel orderStatusText "
                         "orderStatusName orderStatusDesc 状态描述 状态名称"),
    "created_at": _rule("datetime", "creation time", "createdAt createTime created:0.9 orderTime orderDate "
                        "dateCreated placedAt placed:0.9 addTime gmtCreate purchaseDate createDate processedAt:0.7 "
                        "time:0.6 date:0.5 下单时间 创建时间 订单时间"),
    "updated_at": _rule("datetime", "update time", "updatedAt updateTime modifiedAt modified:0.9 dateModified "
                        "gmtModified lastUpdateDate modifyTime lastModified 更新时间 修改时间"),
    "customer.name": _rule("person", "customer name", "name customerName buyerName buyerNick nickname:0.8 "
                           "nick:0.8 userName:0.8 memberName fullName:0.7 contactName:0.8 买家昵称 买家姓名 "
                           "客户姓名 客户名称 昵称:0.8", "customer", "name fullName"),
    "customer.email": _rule("email", "email", "email mail emailAddress customerEmail buyerEmail userEmail "
                            "邮箱 电子邮箱", "customer"),
    "customer.phone": _rule("phone", "phone", "phone mobile tel telephone phoneNumber mobilePhone cellphone "
                            "cell:0.8 customerPhone buyerPhone buyerMobile userMobile contactPhone 手机号 手机 "
                            "电话 联系电话 手机号码", "customer"),
    "shipping_address.name": _rule("person", "recipient name", "name receiverName consignee recipient "
                                   "recipientName consigneeName shipToName shippingName fullName:0.8 收货人 收件人 "
                                   "收货人姓名", "shipping", "name fullName"),
    "shipping_address.line1": _rule("text", "street address", "line1 address1 address:0.9 street streetAddress "
                                    "addressLine1 receiverAddress detailAddress fullAddress:0.8 "
                                    "shippingAddress:0.9 addressDetail 收货地址 详细地址 地址", "shipping"),
    "shipping_address.line2": _rule("text", "address line 2", "line2 address2 addressLine2 street2", "shipping"),
    "shipping_address.city": _rule("text", "city", "city town:0.8 receiverCity 城市 市:0.8", "shipping"),
    "shipping_address.region": _rule("text", "region", "region state:0.8 province provinceCode:0.8 "
                                     "stateCode:0.8 receiverProvince 省份 省:0.8", "shipping", "state"),
    "shipping_address.postal_code": _rule("text", "postal code", "postalCode zip zipCode postcode postCode "
                                          "receiverZip 邮编 邮政编码", "shipping"),
    "shipping_address.country": _rule("text", "country", "country countryCode countryId receiverCountry 国家",
                                      "shipping"),
    "shipping_address.phone": _rule("phone", "recipient phone", "phone mobile tel telephone phoneNumber "
                                    "receiverMobile receiverPhone consigneePhone recipientPhone shippingPhone "
                                    "收货人电话 收货人手机 收件人电话 收件人手机", "shipping",
                                    "phone mobile tel telephone phoneNumber"),
    "total": _rule("money", "order total", "total totalPrice payAmount realAmount orderAmount "
                   "totalAmount:0.95 grandTotal orderTotal paymentAmount paidAmount actualAmount actualPay "
                   "realPay payment:0.6 amount:0.7 实付金额 订单金额 实付 总金额 支付金额 金额:0.8"),
    "currency": _rule("currency", "currency", "currency currencyCode orderCurrencyCode currencyType 币种 货币"),
    "payment_method": _rule("text", "payment method", "paymentMethod paymentMethodTitle payType payWay "
                            "payMethod payChannel paymentType paymentGateway gateway:0.7 支付方式 付款方式"),
    "extra": _rule("extra", "extra", "extra extraInfo extInfo ext:0.8 metadata:0.9 notes:0.8 note:0.8 remark:0.8 "
                   "remarks:0.8 memo:0.8 buyerRemark:0.7 buyerMessage:0.6 备注 买家留言:0.7"),
}

_ITEM_SKU = ("sku skuCode skuNo skuSn itemSku goodsCode goodsSn goodsNo productCode productSku outerSkuId "
             "articleNumber outerId:0.7 barcode:0.6 商品编码 货号 SKU编码 商家编码 规格编码")
_ITEM_NAME = ("name title goodsName productName itemName skuName goodsTitle productTitle itemTitle "
              "description:0.4 商品名称 商品名 品名 商品标题")
_ITEM_QTY = "quantity qty num goodsNum count:0.9 buyNum itemNum skuNum number:0.6 购买数量 数量 件数"
_ITEM = {
    "sku": _rule("text", "SKU", _ITEM_SKU, "item", "barcode outerId"),
    "name": _rule("text", "product name", _ITEM_NAME, "item", "name description"),
    "quantity": _rule("int", "quantity", _ITEM_QTY, "item", "number count"),
    "price": _rule("money", "price", "price unitPrice goodsPrice salePrice skuPrice itemPrice sellingPrice "
                   "priceAmount:0.8 subtotal:0.5 total:0.4 单价 价格 商品单价 售价", "item", "subtotal total"),
    "image_url": _rule("image", "image", "imageUrl image img imgUrl pic picUrl picture thumbnail thumb goodsImg "
                       "goodsImage productImage mainImage src:0.6 图片 商品图片", "item", "image img src"),
    "url": _rule("url", "product link", "url link productUrl detailUrl itemUrl goodsUrl permalink 链接 商品链接",
                 "item", "url link"),
    "product_id": _rule("id", "product id", "productId goodsId itemId spuId skuId:0.8 uid:0.7 numIid "
                        "variantId:0.6 商品ID", "item", "uid"),
}
_SHIPMENT_ITEM = {name: _ITEM[name] for name in ("sku", "name", "quantity")}
_SHIPMENT = {
    "carrier": _rule("carrier", "carrier", "carrier carrierName carrierCode courier courierName trackingCompany "
                     "expressCompany expressName logisticsCompany logisticsName shippingCompany shippingCarrier "
                     "deliveryCompany shippingProvider trackingProvider company:0.7 provider:0.7 title:0.5 "
                     "物流公司 快递公司 承运商", "shipment", "company provider title"),
    "tracking_number": _rule("tracking", "tracking number", "trackingNumber trackingNo trackingCode expressNo "
                             "expressNumber expressSn logisticsNo logisticsCode waybillNo waybillNumber waybill "
                             "mailNo shipNo shippingNo shipmentNo trackNumber trackNo number:0.6 code:0.5 "
                             "物流单号 运单号 快递单号 快递单号码 物流编号", "shipment", "number code"),
    "tracking_url": _rule("url", "tracking link", "trackingUrl trackingLink trackUrl logisticsUrl url:0.8 "
                          "link:0.7 物流链接", "shipment", "url link"),
    "status": _rule("shipment_status", "shipment status", "shipmentStatus trackingStatus deliveryStatus "
                    "logisticsStatus expressStatus shippingStatus status:0.9 state:0.8 物流状态", "shipment",
                    "status state"),
    "shipped_at": _rule("datetime", "ship time", "shippedAt shipDate shipTime shippedTime deliveryTime:0.8 "
                        "consignTime sendTime dispatchTime dispatchedAt dateShipped fulfilledAt createdAt:0.6 "
                        "发货时间", "shipment", "createdAt"),
    "estimated_delivery": _rule("datetime", "estimated delivery", "estimatedDelivery estimatedDeliveryAt eta "
                                "expectedDelivery expectedDeliveryDate estimatedArrival 预计送达 预计到达",
                                "shipment"),
    "delivered_at": _rule("datetime", "delivery time", "deliveredAt signTime signedAt receivedAt receiveTime "
                          "deliveredTime deliveryDate:0.6 签收时间 送达时间", "shipment"),
}
_EVENT = {
    "time": _rule("datetime", "event time", "time timestamp date:0.8 datetime eventTime acceptTime occurredAt "
                  "checkpointTime ftime:0.7 createdAt:0.6 时间", "event"),
    "status": _rule("shipment_status", "event status", "status tag:0.8 state:0.8 statusCode:0.6 opCode:0.5 状态",
                    "event"),
    "description": _rule("text", "description", "description message desc:0.9 context content:0.8 remark:0.6 "
                         "detail:0.7 details:0.7 acceptStation:0.8 描述 内容", "event"),
    "location": _rule("text", "location", "location city:0.7 place address:0.7 area:0.6 地点 位置", "event"),
}

_RULES: dict[str, dict[str, _Rule]] = {
    "order": _ORDER, "item": _ITEM, "shipment": _SHIPMENT, "event": _EVENT, "shipment_item": _SHIPMENT_ITEM,
}
_MODELS: dict[str, type[BaseModel]] = {
    "order": Order, "item": Item, "shipment": Shipment, "event": TrackingEvent, "shipment_item": ShipmentItem,
}
_SCOPE_GROUP = {"order": None, "item": "item", "shipment": "shipment", "event": "event", "shipment_item": "item"}

_ITEM_LISTS = _names("items lineItems goods goodsList products productList orderItems orderGoods itemList skus "
                     "skuList orderDetails orderLines subOrders details:0.6 lines:0.8 orders:0.5 entries:0.6 "
                     "goods product item lineItem sku orderItem goodsInfo productInfo 商品 商品列表 明细 订单明细")
_SHIPMENT_LISTS = _names("shipments fulfillments packages parcels logistics logisticsList deliveries trackings "
                         "tracking trackingInfo trackingInfos expressList expresses waybills shipment fulfillment "
                         "package parcel express logisticsInfo expressInfo tracks:0.7 物流 物流信息 包裹")
_EVENT_LISTS = _names("events trackingEvents checkpoints traces trace history logisticsTraces tracks:0.7 "
                      "details:0.6 nodes:0.6 轨迹 物流轨迹")
_LISTS: dict[str, dict[str, tuple[str, dict[str, tuple[float, str]]]]] = {
    "order": {"items": ("item", _ITEM_LISTS), "shipments": ("shipment", _SHIPMENT_LISTS)},
    "shipment": {"items": ("shipment_item", _names("items lineItems goods products")),
                 "events": ("event", _EVENT_LISTS)},
}
_ALL_LISTS = {**_ITEM_LISTS, **_SHIPMENT_LISTS, **_EVENT_LISTS}

# Words that say which entity a path belongs to, as a parent key (`billing.phone`) or a prefix (`receiverMobile`).
_HINTS = {
    "customer": {_key(w) for w in "customer buyer billing bill user member client contact purchaser 买家 客户 会员 "
                 "用户".split()},
    "shipping": {_key(w) for w in "shipping ship shipTo shippingAddress receiver receive consignee recipient "
                 "delivery address receiving 收货 收件 收货人 收件人".split()},
    "item": {_key(w) for w in "goods product item sku 商品".split()},
    "shipment": {_key(w) for w in "express logistics tracking track waybill courier carrier 物流 快递".split()},
}
_PEOPLE = ("customer", "shipping")
_FIRST_NAMES = {"firstname", "givenname", "fname", "first"}
_LAST_NAMES = {"lastname", "surname", "familyname", "lname", "last"}
_SHAPE_ONLY = {"email": 0.6, "currency": 0.55, "tracking": 0.55}
"""Kinds whose values are distinctive enough to place a field with an unrecognised name."""

# ---------------------------------------------------------------------------------------------------------
# Status labels: merchant words (en, zh, platform codes) to canonical values; keys are normalised by _label_key.


def _label_key(label: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(label).strip().casefold()).removeprefix("wc_")


def _labels(table: dict[str, str]) -> dict[str, str]:
    return {_label_key(word): status for status, words in table.items() for word in words.split()}


_ORDER_LABELS = _labels({
    "pending": "new unpaid awaiting_payment pending_payment to_be_paid wait_pay wait_buyer_pay waiting_payment "
               "checkout_draft draft incomplete 待付款 待支付 未付款 未支付 待确认",
    "processing": "paid confirmed in_progress fulfilling unfulfilled unshipped awaiting_shipment "
                  "awaiting_fulfillment to_be_shipped ready_to_ship wait_seller_send_goods authorized accepted "
                  "已付款 已支付 待发货 付款成功 已确认 处理中 备货中 已接单 待出库",
    "on_hold": "hold holded onhold payment_review manual_verification_required disputed 挂起 已挂起 暂停",
    "partially_shipped": "partial partially_fulfilled partiallyshipped 部分发货",
    "shipped": "fulfilled dispatched sent in_transit intransit wait_buyer_confirm_goods delivering 已发货 运输中 "
               "待收货 配送中 派送中 已出库",
    "delivered": "completed complete signed_for signed dealed received trade_finished finished 已签收 已送达 "
                 "已收货 交易成功 已完成 完成",
    "cancelled": "canceled voided void failed declined deal_closed trade_closed trade_closed_by_taobao expired trash "
                 "已取消 取消 交易关闭 已关闭 已作废",
    "refunded": "refund partially_refunded 已退款 退款成功",
    "returned": "return 已退货 退货",
})
_SHIPMENT_LABELS = _labels({
    "label_created": "label_printed label_purchased confirmed pending info_received inforeceived pre_transit "
                     "待揽收 已下单",
    "in_transit": "transit intransit carrier_picked_up picked_up shipped dispatched delayed 运输中 在途 已揽收 "
                  "揽收 已发出 转运中",
    "out_for_delivery": "outfordelivery delivering 派送中 派件中 正在派件",
    "delivery_attempted": "attempted_delivery attemptfail attempt_fail failed_attempt 派送失败 投递失败",
    "available_for_pickup": "ready_for_pickup availableforpickup 待取件 待自提",
    "delivered": "signed completed 已签收 签收 已送达 已妥投 妥投",
    "exception": "failure error expired 异常 问题件",
    "returned_to_sender": "returned return_to_sender 退回 已退回 退件",
})

# ---------------------------------------------------------------------------------------------------------
# Value shapes

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_PHONE_TEXT = re.compile(r"\+?[\d\s().\-/]{6,24}")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_IMAGE = re.compile(r"\.(jpe?g|png|gif|webp|avif|bmp|svg)(\?|$)|/images?/|img", re.IGNORECASE)
_UNIX_TEXT = re.compile(r"\d{9,13}")
_DATEISH = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|[A-Za-z]{3},? \d|\d{1,2} [A-Za-z]{3} \d{4}")
_MINOR_WORDS = {"cent", "cents", "fen", "minor", "pence"}
_CURRENCIES = set("USD EUR GBP CNY JPY CAD AUD HKD TWD SGD KRW INR CHF SEK NOK DKK NZD MXN BRL ZAR RUB TRY PLN THB "
                  "MYR IDR PHP VND AED SAR ILS CZK HUF".split())
# Regions tried for numbers without a country code, after the sample's own hints. Chinese numbering is tried
# last because its fixed-line plan accepts almost any 0-prefixed number; its mobiles are valid nowhere else.
_REGIONS = ("US", "GB", "CA", "AU", "DE", "FR", "IN", "JP", "SG", "HK", "TW", "CN")
_REGION_CURRENCY = {"US": "USD", "CN": "CNY", "GB": "GBP", "CA": "CAD", "AU": "AUD", "JP": "JPY", "IN": "INR",
                    "DE": "EUR", "FR": "EUR", "IT": "EUR", "ES": "EUR", "NL": "EUR", "IE": "EUR", "HK": "HKD",
                    "SG": "SGD", "TW": "TWD", "KR": "KRW", "NZ": "NZD", "CH": "CHF"}
_SYMBOLS = {"¥": "CNY", "￥": "CNY", "€": "EUR", "£": "GBP", "$": "USD"}
_EXTRA_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                  "%m/%d/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y年%m月%d日 %H:%M:%S",
                  "%Y年%m月%d日 %H:%M", "%Y年%m月%d日")
# Parsing a text twice with different zones tells naive times (they move) from ones carrying an offset.
_READ_UTC = tf.to_datetime(UTC)
_READ_ODD = tf.to_datetime(timezone(timedelta(hours=5, minutes=17)))
_EARLIEST, _LATEST = 946684800, 4102444800  # Unix seconds of 2000 and 2100: plausible order times


def _unix_tag(number: float) -> str | None:
    seconds = number / 1000 if number >= 1e11 else number
    if _EARLIEST <= seconds <= _LATEST:
        return "unix_ms" if number >= 1e11 else "unix_s"
    return None


def _date_tags(text: str) -> set[str]:
    if _UNIX_TEXT.fullmatch(text):
        unit = _unix_tag(float(text))
        return {"date", unit} if unit else set()
    if not _DATEISH.match(text):
        return set()
    try:
        one, two = _READ_UTC(text), _READ_ODD(text)
    except ValueError:
        formats = set()
        for fmt in _EXTRA_FORMATS:
            try:
                datetime.strptime(text, fmt)  # noqa: DTZ007 (only probing the format)
            except ValueError:
                continue
            formats.add(f"fmt:{fmt}")
        return {"date", "naive", *formats} if formats else set()
    if one is None or not 1970 <= one.year <= 2100:
        return set()
    if one != two:
        return {"date", "naive"}
    offset = one.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return {"date", f"offset:{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"}


def _phoneish(text: str) -> bool:
    return bool(_PHONE_TEXT.fullmatch(text)) and 7 <= sum(ch.isdigit() for ch in text) <= 15


def _tags(value: Any) -> set[str]:
    """What one value looks like: email, phone, date (and its style), money, int, url, currency, ..."""
    if isinstance(value, dict):
        return {"dict"}
    if isinstance(value, list):
        return {"list"}
    if isinstance(value, bool):
        return {"bool"}
    if isinstance(value, int | float):
        tags = {"money", "idlike"}
        whole = isinstance(value, int) or value.is_integer()
        if whole:
            tags.add("whole")
            if 0 <= value <= 100000:
                tags.add("int")
            if 0 <= value < 1000:
                tags.add("short")
        unit = _unix_tag(float(value))
        if unit:
            tags |= {"date", unit}
        elif whole and _phoneish(str(int(value))):
            tags.add("phone")
        return tags
    text = str(value).strip()
    if not text:
        return set()
    tags = {"text"}
    if _CJK.search(text):
        tags.add("cjk")
    if len(text) <= 40 and "@" not in text and "://" not in text:
        tags.add("short")
    if _EMAIL.fullmatch(text):
        tags.add("email")
    if _URL.fullmatch(text):
        tags.add("url")
        if _IMAGE.search(text):
            tags.add("image")
    if text[0] in "{[":
        try:
            json.loads(text)
            tags.add("json")
        except ValueError:
            pass
    tags |= _date_tags(text)
    if "date" not in tags and _phoneish(text):
        tags.add("phone")
    try:
        amount = tf.to_decimal(text)
    except ValueError:
        amount = None
    if amount is not None:
        tags.add("money")
        if amount == amount.to_integral_value():
            tags.add("whole")
            if 0 <= amount <= 100000:
                tags.add("int")
        if text[0] in _SYMBOLS:
            tags.add(f"symbol:{_SYMBOLS[text[0]]}")
    if re.fullmatch(r"[A-Z]{3}", text) or (len(text) == 3 and text.upper() in _CURRENCIES):
        tags.add("currency")
    if " " not in text and len(text) <= 64 and any(ch.isdigit() for ch in text):
        tags.add("idlike")
    compact = re.sub(r"[\s-]", "", text)
    if 8 <= len(compact) <= 40 and compact.isalnum() and sum(ch.isdigit() for ch in compact) >= 6:
        tags.add("trackingish")
        carrier = detect_carrier(compact)
        if carrier is not None:
            tags |= {"tracking", f"carrier:{carrier.name}"}
    if len(text) <= 40 and canonical_carrier(text) is not None:
        tags.add("carriername")
    return tags


# ---------------------------------------------------------------------------------------------------------
# Profiling a sample: leaves (scalar paths) and collections (lists of objects), per level.


@dataclass
class _Leaf:
    keys: tuple[str, ...]
    path: str
    label: str
    values: list[Any] = field(default_factory=list)
    tags: Counter[str] = field(default_factory=Counter)
    rows: set[int] = field(default_factory=set)
    """Which elements have a value here."""
    labels: dict[str, Any] = field(default_factory=dict)
    """Distinct scalar values, by their case-folded text, in the order first seen."""
    note: str = ""
    regions: tuple[str, ...] = _REGIONS
    """Regions to try for phone numbers without a country code, the sample's own hints first."""
    phone: tuple[str | None, str] | None = None

    def add(self, row: int, value: Any) -> None:
        self.rows.add(row)
        if len(self.values) < _MAX_VALUES:
            self.values.append(value)
        if isinstance(value, str | int) and not isinstance(value, bool) and len(self.labels) < _MAX_LABELS:
            text = str(value).strip()
            if len(text) <= 60:
                self.labels.setdefault(text.casefold(), value.strip() if isinstance(value, str) else value)

    def frac(self, tag: str) -> float:
        return self.tags[tag] / len(self.values) if self.values else 0.0

    def tagged(self, prefix: str) -> Counter[str]:
        return Counter({t[len(prefix):]: n for t, n in self.tags.items() if t.startswith(prefix)})


@dataclass
class _Coll:
    keys: tuple[str, ...]
    path: str
    label: str
    json: bool
    elements: list[dict[str, Any]] = field(default_factory=list)
    node: _Node | None = None


@dataclass
class _Node:
    leaves: dict[str, _Leaf] = field(default_factory=dict)
    colls: dict[str, _Coll] = field(default_factory=dict)


_PLAIN_KEY = re.compile(r"[^.\[\]\"']+")


def _path(keys: Iterable[str]) -> str:
    out = ""
    for key in keys:
        if _PLAIN_KEY.fullmatch(key) and key == key.strip() and key not in ("$", "@rows"):
            out += f".{key}" if out else key
        else:
            out += f'["{key}"]' if '"' not in key else f"['{key}']"
    return out


def _profile(elements: list[dict[str, Any]], label: str) -> _Node:
    node = _Node()
    for row, element in enumerate(elements):
        _walk(element, (), node, label, row, 0)
    for leaf in node.leaves.values():
        for value in leaf.values:
            leaf.tags.update(_tags(value))
    for coll in node.colls.values():
        coll.node = _profile(coll.elements, coll.label)
    return node


def _walk(obj: dict[str, Any], keys: tuple[str, ...], node: _Node, label: str, row: int, depth: int) -> None:
    for raw_key, value in obj.items():
        key = str(raw_key)
        ks = (*keys, key)
        if "'" in key and '"' in key:
            continue  # no path syntax can name it
        if isinstance(value, dict):
            if value and _match(_tokens(key), _ALL_LISTS)[0] >= 0.8:
                _coll(node, ks, label + ".".join(ks) + ".", False).elements.append(value)
            else:
                _leaf(node, ks, label).add(row, value)  # an object may be `extra` as a whole
                if depth < 6:
                    _walk(value, ks, node, label, row, depth + 1)
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            elements = [v for v in value if isinstance(v, dict)]
            _coll(node, ks, label + ".".join(ks) + "[].", False).elements.extend(elements)
        else:
            leaf = _leaf(node, ks, label)
            if value is None or value == "" or value == []:
                continue
            leaf.add(row, value)
            if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
                _json_coll(node, ks, key, value, label)


def _json_coll(node: _Node, keys: tuple[str, ...], key: str, text: str, label: str) -> None:
    """Lists of objects sent as JSON text (`goods: "[{...}]"`) are collections read with `transform: json`."""
    try:
        decoded = json.loads(text)
    except ValueError:
        return
    if isinstance(decoded, list):
        elements = [v for v in decoded if isinstance(v, dict)]
    elif isinstance(decoded, dict) and _match(_tokens(key), _ALL_LISTS)[0] >= 0.8:
        elements = [decoded]
    else:
        return
    if elements:
        _coll(node, keys, label + ".".join(keys) + "[].", True).elements.extend(elements)


def _leaf(node: _Node, keys: tuple[str, ...], label: str) -> _Leaf:
    path = _path(keys)
    if path not in node.leaves:
        node.leaves[path] = _Leaf(keys, path, label + ".".join(keys))
    return node.leaves[path]


def _coll(node: _Node, keys: tuple[str, ...], label: str, is_json: bool) -> _Coll:
    path = _path(keys)
    if path not in node.colls:
        node.colls[path] = _Coll(keys, path, label, is_json)
    node.colls[path].json |= is_json
    return node.colls[path]


# ---------------------------------------------------------------------------------------------------------
# Scoring


def _match(tokens: list[str], names: dict[str, tuple[float, str]],
           skip: frozenset[str] = frozenset()) -> tuple[float, str]:
    """How well a name (as tokens) matches a synonym table: exact, by suffix, or by containing a synonym."""
    joined = "".join(tokens)
    if joined in names and joined not in skip:
        weight, shown = names[joined]
        return weight, f"matches '{shown}'"  # a listed name says exactly how much it is worth
    best = (0.0, "")
    for key, (weight, shown) in names.items():
        if key in skip:
            continue
        if len(key) >= 3 and any("".join(tokens[i:]) == key for i in range(1, len(tokens))):
            score, how = weight * 0.8, f"ends with '{shown}'"
        elif _CJK.search(key) and len(key) >= 2 and key in joined:
            score, how = weight * 0.75, f"contains '{shown}'"
        elif len(tokens) > 1 and len(key) >= 4 and key in tokens:
            score, how = weight * 0.5, f"contains '{shown}'"
        else:
            continue
        if score > best[0]:
            best = (score, how)
    return best


def _group_of(name: str) -> str | None:
    tokens = _tokens(name)
    for size in range(len(tokens), 0, -1):
        prefix = "".join(tokens[:size])
        for group, words in _HINTS.items():
            if prefix in words:
                return group
    return None


@dataclass(frozen=True)
class _Hint:
    """The entity a path is about (customer, shipping, item, shipment), and how it shows."""

    group: str | None = None
    where: str = ""
    near: bool = True
    """From the direct parent or the name itself, not from further up."""


def _hint(keys: tuple[str, ...]) -> _Hint:
    """The entity a path is about, from its nearest parent key, else from a prefix of its own name."""
    parents = keys[:-1]
    for depth, key in enumerate(reversed(parents)):
        group = _group_of(key)
        if group:
            return _Hint(group, f"under '{key}'", depth == 0)
    tokens = _tokens(keys[-1])
    for size in range(len(tokens) - 1, 0, -1):
        prefix = "".join(tokens[:size])
        for group, words in _HINTS.items():
            if prefix in words:
                return _Hint(group, f"'{prefix}' prefix")
    if _CJK.search(keys[-1]):
        for group, words in _HINTS.items():
            for word in words:
                if _CJK.search(word) and keys[-1].startswith(word) and keys[-1] != word:
                    return _Hint(group, f"'{word}' prefix")
    return _Hint()


def _adjust(rule: _Rule, hint: _Hint, scope_group: str | None) -> tuple[float, str]:
    """A bonus when the path sits under the field's own entity, a penalty under another one's, and why not."""
    if rule.group in _PEOPLE and hint.group in _PEOPLE:
        if hint.group == rule.group:
            return (0.2 if hint.near else 0.1), ""
        return -1.0, f"it is {hint.where} ({hint.group})"
    if rule.group is None and hint.group is not None and scope_group is None:
        # `customer_id` is not the order id, `logisticsStatus` not the order status.
        return -0.5, f"it is {hint.where} ({hint.group})"
    if rule.group is not None and hint.group == rule.group:
        return 0.1, ""
    return 0.0, ""


def _shape(kind: str, leaf: _Leaf) -> tuple[float, str]:
    """A bonus (or penalty) for how well the values fit a kind of field, with the reason in words."""
    if not leaf.values:
        return 0.0, "no values in the sample"
    f = leaf.frac
    if kind == "extra":
        if f("dict") >= 0.8:
            return 0.2, "values are objects"
        return (0.2, "values are JSON text") if f("json") >= 0.8 else (0.0, "")
    if f("dict") + f("list") > 0:
        return -1.0, "values are objects or lists"
    if kind == "email":
        return (0.4, "values are email addresses") if f("email") >= 0.8 else (-0.8, "values are not emails")
    if kind == "phone":
        if f("phone") < 0.8:
            return -0.8, "values do not look like phone numbers"
        return 0.3, _phones(leaf)[1]
    if kind == "datetime":
        if f("date") < 0.8:
            return -0.8, "values are not dates the mapper reads"
        return 0.3, _date_style(leaf)
    if kind == "money":
        if f("money") < 0.9 or f("date") >= 0.5:
            return -0.8, "values are not amounts"
        return 0.2, "values are amounts"
    if kind == "int":
        return (0.2, "values are whole numbers") if f("int") >= 0.9 else (-0.8, "values are not whole numbers")
    if kind == "currency":
        if f("currency") < 0.8:
            return -0.8, "values are not currency codes"
        return 0.4, "values are currency codes (" + ", ".join(_distinct(leaf)[:3]) + ")"
    if kind == "tracking":
        carriers = leaf.tagged("carrier:")
        if f("tracking") >= 0.5:
            return 0.4, "values are " + "/".join(sorted(carriers)) + " tracking numbers"
        if f("trackingish") >= 0.8:
            return 0.1, "values look like tracking numbers"
        return -0.5, "values do not look like tracking numbers"
    if kind in ("url", "image"):
        if kind == "image" and f("image") >= 0.5:
            return 0.3, "values are image links"
        return (0.2, "values are links") if f("url") >= 0.8 else (-0.6, "values are not links")
    if kind in ("status", "shipment_status"):
        if f("short") >= 0.9:
            return 0.1, f"{len(_distinct(leaf))} distinct label(s) in the sample"
        return -0.5, "values are too long for status labels"
    if kind == "id":
        if f("email") >= 0.5 or f("date") >= 0.5:
            return -0.6, "values are not ids"
        return (0.1, "") if f("idlike") >= 0.9 else (0.0, "")
    if kind == "carrier" and f("carriername") >= 0.5:
        return 0.3, "values are carrier names"
    if f("email") >= 0.5 or (kind == "person" and (f("phone") >= 0.5 or f("url") >= 0.5 or f("date") >= 0.5)):
        return -0.6, "values do not fit"
    return 0.0, ""


def _distinct(leaf: _Leaf) -> list[str]:
    return [str(value) for value in leaf.labels.values()]


def _date_style(leaf: _Leaf) -> str:
    f = leaf.frac
    if f("unix_s") >= 0.8:
        return "values are Unix seconds"
    if f("unix_ms") >= 0.8:
        return "values are Unix milliseconds"
    fmt = _date_format(leaf)
    if fmt:
        return f"values need the format {fmt!r}"
    if f("naive") >= 0.5:
        example = next((str(v) for v in leaf.values if isinstance(v, str)), "")
        return f"values are naive times like {example!r} (read in defaults.timezone)"
    offsets = leaf.tagged("offset:")
    if offsets:
        return "values are ISO 8601 with " + "/".join(o.replace("+00:00", "Z") for o in sorted(offsets))
    return "values are dates"


def _date_format(leaf: _Leaf) -> str | None:
    """A strptime format when the default parser does not read the values (day/month order first)."""
    formats = leaf.tagged("fmt:")
    if not formats:
        return None
    best = max(formats.values())
    return next(fmt for fmt in _EXTRA_FORMATS if formats.get(fmt) == best)


def _phones(leaf: _Leaf) -> tuple[str | None, str]:
    """The region the phone numbers belong to, and a description for the comment."""
    if leaf.phone is not None:
        return leaf.phone
    international: Counter[str] = Counter()
    valid: Counter[str] = Counter()
    mobile: Counter[str] = Counter()
    local = 0
    for value in leaf.values[:50]:
        text = str(value).strip()
        if text.startswith("00"):
            text = "+" + text[2:]
        try:
            if text.startswith("+"):
                code = phonenumbers.parse(text, None).country_code or 0
                international[phonenumbers.region_code_for_country_code(code)] += 1
                continue
            local += 1
            for region in leaf.regions:
                number = phonenumbers.parse(text, region)
                if phonenumbers.is_valid_number(number):
                    valid[region] += 1
                    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
                        mobile[region] += 1
                    break
        except phonenumbers.NumberParseException:
            continue
    international.pop("ZZ", None)  # an unknown country code
    combined = international + valid
    if not combined:
        leaf.phone = (None, "values look like phone numbers")
        return leaf.phone
    order = {region: i for i, region in enumerate(leaf.regions)}
    region = max(combined, key=lambda r: (combined[r], -order.get(r, 99)))
    if not local:
        leaf.phone = (region, f"values are international numbers ({region})")
    elif mobile[region] * 2 > local:
        code = phonenumbers.country_code_for_region(region)
        leaf.phone = (region, f"values look like {region} mobiles" + (f" without +{code}" if not international else ""))
    else:
        leaf.phone = (region, f"values look like {region} phone numbers")
    return leaf.phone


@dataclass(frozen=True)
class _Fit:
    score: float
    name_score: float
    reason: str
    why_not: str = ""
    """What held a well-named path back (its values, or the entity it sits under)."""


def _score(leaf: _Leaf, rule: _Rule, scope_group: str | None) -> _Fit | None:
    """How well `leaf` fits `rule`'s field, or None when its name says nothing about it."""
    if rule.kind == "person" and _key(leaf.keys[-1]) in _FIRST_NAMES | _LAST_NAMES:
        return None  # half a name; pairs are joined in _assign
    hint = _hint(leaf.keys)
    own = rule.group is not None and rule.group in (hint.group, scope_group)
    name_score, how = _match(_tokens(leaf.keys[-1]), rule.names, frozenset() if own else rule.strict)
    shape, shape_why = _shape(rule.kind, leaf)
    if name_score <= 0:
        crossed = rule.group in _PEOPLE and hint.group in _PEOPLE and hint.group != rule.group
        if rule.kind in _SHAPE_ONLY and shape >= 0.3 and not crossed:
            return _Fit(_SHAPE_ONLY[rule.kind], 0.0, f"{shape_why} (the name is not one I know)")
        return None
    adjust, adjust_why = _adjust(rule, hint, scope_group)
    reason = f"name {how} ({rule.label} synonym)"
    if hint.where and adjust > 0 and rule.group in _PEOPLE:
        reason += f", {hint.where}"
    if shape_why:
        reason += f"; {shape_why}"
    return _Fit(name_score + adjust + shape, name_score, reason, adjust_why if adjust < 0 else shape_why)


# ---------------------------------------------------------------------------------------------------------
# Planning: which source path feeds which canonical field.


@dataclass
class _Pick:
    rule: _Rule
    leaves: tuple[_Leaf, ...]
    reason: str
    fallbacks: list[_Leaf] = field(default_factory=list)
    """Paths read where the first is missing (a sample mixing two shapes of record)."""
    path: str | None = None
    """A replacement path (a `_gmt` twin), else the leaf's own."""
    transform: Any = None


@dataclass
class _List:
    each: Any
    reason: str
    scope: _Scope
    flat: bool
    where: dict[str, Any] | None = None
    unique_by: str | None = None


@dataclass
class _Scope:
    model: str
    node: _Node
    picks: dict[str, _Pick] = field(default_factory=dict)
    lists: dict[str, _List] = field(default_factory=dict)

    def all_picks(self) -> Iterable[_Pick]:
        yield from self.picks.values()
        for plan in self.lists.values():
            yield from plan.scope.all_picks()


Target = tuple[_Scope, str, _Rule]


def _plan(model: str, node: _Node) -> _Scope:
    scope = _Scope(model, node)
    targets: list[Target] = [(scope, name, rule) for name, rule in _RULES[model].items()]
    chosen = _assign_lists(model, node)
    for list_field, (submodel, _) in _LISTS.get(model, {}).items():
        if list_field in chosen:
            coll, reason = chosen[list_field]
            assert coll.node is not None
            each: Any = {"path": coll.path, "transform": "json"} if coll.json else coll.path
            scope.lists[list_field] = _List(each, reason, _plan(submodel, coll.node), flat=False)
        elif model == "order":
            # No list of these in the record: the record's own fields may describe one item or one shipment.
            child = _Scope(submodel, node)
            scope.lists[list_field] = _List("$", "", child, flat=True)
            targets += [(child, name, rule) for name, rule in _RULES[submodel].items()]
    _assign(node, targets, _SCOPE_GROUP[model])
    return scope


def _assign_lists(model: str, node: _Node) -> dict[str, tuple[_Coll, str]]:
    options = []
    for coll in node.colls.values():
        assert coll.node is not None
        for list_field, (submodel, names) in _LISTS.get(model, {}).items():
            name_score, how = _match(_tokens(coll.keys[-1]), names)
            fields = [n for n, rule in _RULES[submodel].items() if _best(coll.node, rule, submodel) >= 0.8]
            if name_score < 0.5 and len(fields) < 3:
                continue
            reason = f"name {how} ({list_field} synonym)" if name_score else "no list name I know"
            if fields:
                reason += f"; elements have {', '.join(fields[:4])}"
            if coll.json:
                reason += "; the list is JSON text"
            options.append((-(name_score + 0.2 * min(len(fields), 4)), coll.path, list_field, coll, reason))
    options.sort(key=lambda o: (o[0], o[1], o[2]))
    chosen: dict[str, tuple[_Coll, str]] = {}
    taken: set[str] = set()
    for _, path, list_field, coll, reason in options:
        if list_field not in chosen and path not in taken:
            chosen[list_field] = (coll, reason)
            taken.add(path)
    return chosen


def _best(node: _Node, rule: _Rule, model: str) -> float:
    scores = [fit.score for leaf in node.leaves.values() if (fit := _score(leaf, rule, _SCOPE_GROUP[model]))]
    return max(scores, default=0.0)


def _assign(node: _Node, targets: list[Target], scope_group: str | None) -> None:
    """Greedy: the best-scoring (field, path) pair first, each field and each path once; then paths that fill
    a chosen path's gaps (records that lack it) become its fallbacks."""
    options: list[tuple[float, int, int, Target, tuple[_Leaf, ...], str]] = []
    leaves = list(node.leaves.values())
    for t_index, target in enumerate(targets):
        scope, name, rule = target
        for l_index, leaf in enumerate(leaves):
            fit = _score(leaf, rule, scope_group)
            if fit is None:
                continue
            if fit.score >= _THRESHOLD:
                options.append((-fit.score, t_index, l_index, target, (leaf,), fit.reason))
            elif fit.name_score >= 0.8 and fit.why_not and not leaf.note:
                leaf.note = f"the name suggests {_field_name(scope, name)}, but {fit.why_not}"
        if rule.kind == "person":
            for first, last in _name_pairs(leaves):
                hint = _hint(first.keys)
                adjust, _ = _adjust(rule, hint, scope_group)
                if hint.group is None and scope_group is None and rule.group == "shipping":
                    adjust = -0.2  # a bare first/last name pair is the buyer's, not obviously the recipient's
                score = 0.95 + adjust
                if score >= _THRESHOLD:
                    why = "first and last name" + (f" {hint.where}" if hint.where else "") + ", joined"
                    options.append((-score, t_index, -1, target, (first, last), why))
    options.sort(key=lambda o: o[:3])
    used: set[str] = set()
    for _, _, _, (scope, name, rule), picked, reason in options:
        if name in scope.picks or any(leaf.path in used for leaf in picked):
            continue
        scope.picks[name] = _Pick(rule, picked, reason)
        used.update(leaf.path for leaf in picked)
    for _, _, _, (scope, name, _rule), picked, reason in options:
        pick = scope.picks.get(name)
        leaf = picked[0]
        if pick is None or len(picked) > 1 or leaf.path in used or len(pick.leaves) > 1 or len(pick.fallbacks) >= 2:
            continue
        covered = set().union(*(lf.rows for lf in (*pick.leaves, *pick.fallbacks)))
        if leaf.rows - covered and _transform(pick.rule, leaf)[0] == _transform(pick.rule, pick.leaves[0])[0]:
            pick.fallbacks.append(leaf)
            pick.reason += f"; else '{leaf.path}' ({reason.partition('; ')[0]})"
            used.add(leaf.path)
    for leaf in leaves:
        if leaf.path in used:
            leaf.note = ""
        elif not leaf.note and leaf.frac("json") >= 0.8:
            leaf.note = "values are JSON text: only `extra` or a list's `each` can decode it (transform: json)"


def _field_name(scope: _Scope, name: str) -> str:
    prefix = {"item": "items.", "shipment": "shipments.", "event": "events.", "shipment_item": "items."}
    return prefix.get(scope.model, "") + name


def _name_pairs(leaves: list[_Leaf]) -> list[tuple[_Leaf, _Leaf]]:
    by_parent: dict[tuple[str, ...], dict[str, _Leaf]] = {}
    for leaf in leaves:
        by_parent.setdefault(leaf.keys[:-1], {})[_key(leaf.keys[-1])] = leaf
    pairs = []
    for names in by_parent.values():
        first = next((names[k] for k in _FIRST_NAMES if k in names), None)
        last = next((names[k] for k in _LAST_NAMES if k in names), None)
        if first is not None and last is not None and first.values:
            pairs.append((first, last))
    return pairs


def _finish_order(scope: _Scope) -> str | None:
    """Tidy the order scope after assignment; returns the group_by path for one-row-per-item exports."""
    shipments = scope.lists.get("shipments")
    if shipments is not None and shipments.flat:
        number = shipments.scope.picks.get("tracking_number")
        if number is None:
            del scope.lists["shipments"]
        else:
            path = number.leaves[0].path
            shipments.where = {path: {"present": True}}
            shipments.reason = "the record's own tracking fields make one shipment when it has a number"
    group_by = None
    items = scope.lists.get("items")
    if items is not None and items.flat:
        if not items.scope.picks:
            del scope.lists["items"]
        else:
            order_id = scope.picks.get("id")
            ids = [str(v) for v in order_id.leaves[0].values] if order_id else []
            if order_id and len(set(ids)) < len(ids):
                group_by = order_id.leaves[0].path
                items.each = "@rows"
                items.reason = "one row per item: rows sharing an order number form one order"
                items.unique_by = next((f for f in ("product_id", "sku") if f in items.scope.picks), None)
            else:
                items.reason = "one item per record, from the record's own product fields"
    if "customer.email" not in scope.picks and "customer.phone" not in scope.picks:
        recipient = scope.picks.get("shipping_address.phone")
        if recipient is not None:
            # Not "each path once": without a buyer contact, the recipient's phone is how the shopper is found.
            scope.picks["customer.phone"] = _Pick(
                _ORDER["customer.phone"], recipient.leaves,
                "no buyer email or phone in the sample; the recipient's phone is the closest contact"
                + "; " + _phones(recipient.leaves[0])[1], list(recipient.fallbacks))
    _gmt_twins(scope, {leaf.path for pick in scope.all_picks() for leaf in (*pick.leaves, *pick.fallbacks)})
    return group_by


def _gmt_twins(scope: _Scope, used: set[str]) -> None:
    for pick in scope.picks.values():
        _gmt_twin(pick, scope.node, used)
    for plan in scope.lists.values():
        _gmt_twins(plan.scope, used)


def _gmt_twin(pick: _Pick, node: _Node, used: set[str]) -> None:
    """WooCommerce-style `date_created` is site-local without an offset; its `date_created_gmt` twin is UTC."""
    leaf = pick.leaves[0]
    if pick.rule.kind != "datetime" or len(pick.leaves) != 1 or pick.fallbacks or leaf.frac("naive") < 0.8:
        return
    twin = node.leaves.get(_path((*leaf.keys[:-1], leaf.keys[-1] + "_gmt")))
    if twin is None or twin.path in used or twin.frac("naive") < 0.8:
        return
    pick.path = twin.path
    pick.transform = {"datetime": {"timezone": "UTC"}}
    pick.reason += f"; its twin '{twin.keys[-1]}' is the same time in UTC, read instead"


# ---------------------------------------------------------------------------------------------------------
# Records and defaults


_ENVELOPES = ("orders", "order", "data", "list", "items", "records", "rows", "results", "result", "content",
              "body", "response", "payload", "page")


def _orderish(obj: dict[str, Any]) -> bool:
    hits = 0
    for key in obj:
        tokens = _tokens(str(key))
        if any(_match(tokens, _ORDER[name].names)[0] >= 0.7 for name in ("id", "status", "created_at", "total")):
            hits += 1
        elif _match(tokens, _ITEM_LISTS)[0] >= 0.8 and isinstance(obj[key], list | dict):
            hits += 1
    return hits >= 2


def _locate(payload: Payload, source: str) -> tuple[list[Any], str | None]:
    """The order records of a sample, and the `records` path when they sit inside an envelope."""
    data = payload.data
    if payload.kind != "json" or isinstance(data, list):
        records = data if isinstance(data, list) else [data]
        return records, None
    if not isinstance(data, dict):
        raise SampleError(f"{source}: the sample is a single value, not order records")
    if _orderish(data):
        return [data], None
    queue: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while queue:
        value, keys = queue.pop(0)
        if isinstance(value, list):
            objects = [v for v in value if isinstance(v, dict)]
            if objects and any(_orderish(v) for v in objects[:5]):
                return objects, _path(keys)
        elif isinstance(value, dict) and len(keys) < 4:
            if keys and _orderish(value):
                return [value], _path(keys)
            ordered = sorted(value, key=lambda k: _ENVELOPES.index(k) if k in _ENVELOPES else len(_ENVELOPES))
            queue += [(value[k], (*keys, str(k))) for k in ordered if isinstance(value[k], list | dict)]
    return _unwrap(data), None


def _defaults(scope: _Scope, root: _Node) -> list[str]:
    """The `defaults:` lines: timezone, currency and region, each with why."""
    leaves = list(_all_leaves(root))
    cjk = any(leaf.tags["cjk"] or _CJK.search(leaf.label) for leaf in leaves)
    region, region_why = None, ""
    for name in ("customer.phone", "shipping_address.phone"):
        pick = scope.picks.get(name)
        if pick is not None and region is None:
            region, described = _phones(pick.leaves[0])
            region_why = described.replace("values", "phones", 1)
    if region is None:
        country = scope.picks.get("shipping_address.country")
        codes = _distinct(country.leaves[0]) if country else []
        if len(codes) == 1 and re.fullmatch(r"[A-Za-z]{2}", codes[0]):
            region, region_why = codes[0].upper(), "every shipping country in the sample"
    dates = [p.leaves[0] for p in scope.all_picks() if p.rule.kind == "datetime"]
    offsets: Counter[str] = sum((leaf.tagged("offset:") for leaf in dates), Counter())
    naive = any(leaf.tags["naive"] for leaf in dates)
    symbols: Counter[str] = sum((leaf.tagged("symbol:") for leaf in leaves), Counter())
    east8 = bool(offsets) and offsets.most_common(1)[0][0] == "+08:00"
    cn = cjk or east8 or region == "CN"
    if east8:
        zone, zone_why = "Asia/Shanghai", "dates carry +08:00"
    elif cn:
        zone, zone_why = "Asia/Shanghai", "Chinese content (text or CN phones)" + (" and naive times" if naive else "")
    elif naive:
        zone, zone_why = "UTC", "TODO: the sample's times have no offset; set the merchant's IANA zone"
    elif offsets:
        zone, zone_why = "UTC", "dates carry their own offset"
    else:
        zone, zone_why = "UTC", "no naive times in the sample"
    lines = ["defaults:", _line("  ", f"timezone: {zone}", zone_why)]

    currency_pick = scope.picks.get("currency")
    codes = sorted({c.upper() for c in _distinct(currency_pick.leaves[0])}) if currency_pick else []
    if currency_pick and len(codes) == 1:
        lines.append(_line("  ", f"currency: {codes[0]}", "every order in the sample is in " + codes[0]))
    elif currency_pick:
        lines.append("  # currency: the sample has several currencies; orders carry their own")
    elif symbols:
        code = symbols.most_common(1)[0][0]
        lines.append(_line("  ", f"currency: {code}", "amounts are written with its symbol"))
    elif cn:
        lines.append(_line("  ", "currency: CNY", "no currency field; Chinese content suggests CNY"))
    elif region in _REGION_CURRENCY:
        lines.append(_line("  ", f"currency: {_REGION_CURRENCY[region]}",
                           f"no currency field; guessed from the phone region {region}, check it"))
    else:
        lines.append("  # currency: USD   # TODO: no currency in the sample; set the merchant's (check needs one)")
    if region:
        lines.append(_line("  ", f"region: {region}", region_why))
    return lines


def _hint_regions(root: _Node) -> None:
    """Let every phone field try the regions the sample itself points at first: the country codes of its
    international numbers and its two-letter country fields."""
    counts: Counter[str] = Counter()
    country = _ORDER["shipping_address.country"].names
    leaves = list(_all_leaves(root))
    for leaf in leaves:
        if leaf.frac("phone") >= 0.5:
            for value in leaf.values[:50]:
                text = str(value).strip()
                if text.startswith("+"):
                    try:
                        code = phonenumbers.parse(text, None).country_code or 0
                    except phonenumbers.NumberParseException:
                        continue
                    counts[phonenumbers.region_code_for_country_code(code)] += 1
        elif _match(_tokens(leaf.keys[-1]), country)[0] >= 0.8:
            counts.update(v.upper() for v in map(str, leaf.values[:50]) if re.fullmatch(r"[A-Za-z]{2}", v))
    counts.pop("ZZ", None)
    regions = tuple(r for r, _ in counts.most_common()) + tuple(r for r in _REGIONS if r not in counts)
    for leaf in leaves:
        leaf.regions = regions


def _all_leaves(node: _Node) -> Iterable[_Leaf]:
    yield from node.leaves.values()
    for coll in node.colls.values():
        if coll.node is not None:
            yield from _all_leaves(coll.node)


# ---------------------------------------------------------------------------------------------------------
# Writing YAML


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-./]*")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and yaml.safe_load(text) == text and load_yaml(text) == text:
        return text
    if text.isprintable():
        return "'" + text.replace("'", "''") + "'"  # single quotes escape nothing else: '["Order No."]'
    return json.dumps(text, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _line(pad: str, text: str, comment: str = "") -> str:
    comment = " ".join(comment.split())
    return f"{pad}{text}   # {comment}" if comment else f"{pad}{text}"


def _transform(rule: _Rule, leaf: _Leaf) -> tuple[Any, str]:
    """The transform a field needs for these values, and a note for its comment."""
    if rule.kind == "datetime":
        if leaf.frac("unix_s") >= 0.8:
            return {"datetime": {"unit": "s"}}, ""
        if leaf.frac("unix_ms") >= 0.8:
            return {"datetime": {"unit": "ms"}}, ""
        fmt = _date_format(leaf)
        if fmt:
            return {"datetime": fmt}, "day/month order is a guess" if fmt.startswith(("%d/%m", "%m/%d")) else ""
    elif rule.kind == "money":
        if _MINOR_WORDS & set(_tokens(leaf.keys[-1])):
            return "minor_units", "the name says minor units (cents/fen)"
        if leaf.values and all(isinstance(v, int) and not isinstance(v, bool) for v in leaf.values):
            return None, "whole numbers: if they are cents/fen, add transform: minor_units"
    elif rule.kind == "extra" and leaf.frac("json") >= 0.8:
        return "json", ""
    return None, ""


def _spec(pick: _Pick) -> tuple[Any, str]:
    """The mapping value for a pick, and notes to add to its comment."""
    if len(pick.leaves) > 1:
        return {"join": [leaf.path for leaf in pick.leaves]}, ""
    transform, note = _transform(pick.rule, pick.leaves[0])
    path: Any = pick.path or pick.leaves[0].path
    if pick.transform is not None:
        transform = pick.transform
    if pick.fallbacks:
        path = [path, *(leaf.path for leaf in pick.fallbacks)]
    return (path if transform is None else {"path": path, "transform": transform}), note


def _render_pick(name: str, pick: _Pick, pad: str, out: list[str]) -> None:
    spec, note = _spec(pick)
    reason = pick.reason + (f"; {note}" if note else "")
    if pick.rule.kind not in ("status", "shipment_status"):
        out.append(_line(pad, f"{name}: {_flow(spec)}", reason))
        return
    enum: type[OrderStatus] | type[ShipmentStatus]
    enum, table = (OrderStatus, _ORDER_LABELS) if pick.rule.kind == "status" else (ShipmentStatus, _SHIPMENT_LABELS)
    canonical = {member.value for member in enum}
    known: list[tuple[Any, str]] = []
    as_is: list[str] = []
    unknown: list[Any] = []
    labels: dict[str, Any] = {}
    for leaf in (*pick.leaves, *pick.fallbacks):
        for folded, value in leaf.labels.items():
            labels.setdefault(folded, value)
    for label in labels.values():
        if re.sub(r"[\s\-]+", "_", str(label).casefold()) in canonical:
            as_is.append(str(label))
        elif _label_key(label) in table:
            known.append((label, table[_label_key(label)]))
        else:
            unknown.append(label)
    out.append(_line(pad, f"{name}:", reason))
    out.append(f"{pad}  path: {_flow(spec)}")
    if known:
        out.append(f"{pad}  map:")
        out += [_line(f"{pad}    ", f"{_scalar(label)}: {status}", "known label") for label, status in known[:50]]
    elif unknown:
        out.append(f"{pad}  map: {{}}")
    choices = ", ".join(m.value for m in enum if m.value != "unknown")
    for label in unknown[:50]:
        out.append(f"{pad}    # {_scalar(label)}: TODO   # a label I do not know; one of {choices}")
    if as_is:
        out.append(f"{pad}  # already canonical: {', '.join(as_is[:20])}")


def _render_scope(scope: _Scope, pad: str, out: list[str]) -> None:
    model = _MODELS[scope.model]
    for name, info in model.model_fields.items():
        if name in scope.lists:
            _render_list(name, scope.lists[name], pad, out)
        elif name in scope.picks:
            _render_pick(name, scope.picks[name], pad, out)
        elif name in ("customer", "shipping_address"):
            names = _sub_fields(info.annotation)
            inner = [(f, scope.picks[f"{name}.{f}"]) for f in names if f"{name}.{f}" in scope.picks]
            if inner:
                out.append(f"{pad}{name}:")
                for field_name, pick in inner:
                    _render_pick(field_name, pick, pad + "  ", out)


def _sub_fields(annotation: Any) -> list[str]:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return list(candidate.model_fields)
    return []


def _render_list(name: str, plan: _List, pad: str, out: list[str]) -> None:
    if not any(True for _ in plan.scope.all_picks()):
        return
    out.append(_line(pad, f"{name}:", plan.reason))
    out.append(f"{pad}  each: {_flow(plan.each)}")
    if plan.where:
        out.append(f"{pad}  where: {_flow(plan.where)}")
    if plan.unique_by:
        out.append(_line(f"{pad}  ", f"unique_by: {plan.unique_by}", "a repeated row for the same product replaces"
                                                                        " the earlier one"))
    out.append(f"{pad}  fields:")
    _render_scope(plan.scope, pad + "    ", out)


def _examples(value: Any, prefix: str, out: dict[str, Any]) -> None:
    """The first value of each leaf, keyed as `source_fields` names leaves."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _examples(inner, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        for inner in value:
            _examples(inner, f"{prefix}[]", out)
    elif prefix and (prefix not in out or out[prefix] in (None, "", [])):
        out[prefix] = value


def _unplaced(records: list[Any], used: frozenset[str], root: _Node) -> list[str]:
    seen: set[str] = set()
    examples: dict[str, Any] = {}
    for record in records:
        seen |= source_fields(record)
        _examples(record, "", examples)
    notes = {leaf.label: leaf.note for leaf in _all_leaves(root) if leaf.note}
    lines = []
    for label in sorted(seen):
        parts = [label[:i] for i, ch in enumerate(label) if ch in ".["]
        if label in used or any(p in used for p in parts):
            continue
        example = examples.get(label)
        shown = json.dumps(example, ensure_ascii=False)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        note = notes.get(label, "")
        lines.append(f"#   {label}   e.g. {shown}" + (f"   ({note})" if note else ""))
    return lines


def suggest_mapping(payload: Payload, source: str) -> str:
    """A draft mapping (YAML text with a comment on every guess) for the orders in `payload`, read from `source`.

    SampleError when the sample holds no order records. The draft always loads and compiles.
    """
    records, records_path = _locate(payload, source)
    records = records[:_MAX_RECORDS]
    if not records:
        raise SampleError(f"{source}: no order records to learn from")
    if not all(isinstance(r, dict) for r in records):
        raise SampleError(f"{source}: the order records are not objects")
    root = _profile(records, "")
    _hint_regions(root)
    scope = _plan("order", root)
    group_by = _finish_order(scope)

    stem = re.sub(r"[^a-z0-9]+", "-", Path(source).stem.casefold()).strip("-") or "draft"
    out = [
        f"# Draft mapping for {Path(source).name}, suggested by `order-assistant mapping suggest` from "
        f"{len(records)} record(s).",
        "# Each guess says why in a comment: review them, then run",
        f"#   order-assistant mapping check THIS.yaml {source}",
        f"name: {_scalar(stem)}",
        f"description: {_scalar(f'Draft inferred from {Path(source).name}; review before use.')}",
        *_defaults(scope, root),
    ]
    if records_path is not None:
        out.append(_line("", f"records: {_scalar(records_path)}", f"the orders are under '{records_path}'"))
    if group_by is not None:
        out.append(_line("", f"group_by: {_scalar(group_by)}",
                         "rows repeat order numbers (one row per item); they become one order"))
    body: list[str] = []
    _render_scope(scope, "  ", body)
    if body:
        out += ["order:", *body]
    else:
        out.append("order: {}   # TODO: no field name or value in the sample was recognised")
    text = "\n".join(out) + "\n"
    try:
        mapper = compile_mapping(load_mapping_text(text, "draft"), source="draft")
    except MappingError as exc:  # a bug here, not a mistake of the user's: say so plainly
        raise MappingError(f"{source}: the suggested mapping does not compile ({exc}); please report this") from None
    unplaced = _unplaced(records, mapper.used_fields, root)
    if unplaced:
        text += "# Source fields not placed (map them by hand if they matter):\n" + "\n".join(unplaced) + "\n"
    else:
        text += "# Every source field is used.\n"
    return text
