"""What names and labels mean to `mapping suggest`: tokenised field names, synonym rules per canonical field,
list names, entity hints and status-label tables, and how a name is matched against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from tools.schema import Item, Order, Shipment, ShipmentItem, TrackingEvent

# ---------------------------------------------------------------------------------------------------------
# Names

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[\u3400-\u9fff\uf900-\ufaff]+")


def _tokens(name: str) -> list[str]:
    """`receiverMobile`, `receiver_mobile` and `Receiver Mobile` all become ['receiver', 'mobile']."""
    return [t.casefold() for t in _WORD.findall(name)]


_FIRST = "[0]"
"""A key step meaning the first element of a list: `shipping_addresses[0].zip`."""


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
                             "outerOrderId outOrderNo platformOrderId thirdOrderNo sellerOrderId:0.9 entityId:0.8 "
                             "id:0.55 外部单号 平台单号"),
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
    "shipping_address.line1": _rule("street", "street address", "line1 address1 address:0.9 street streetAddress "
                                    "addressLine1 receiverAddress detailAddress fullAddress:0.8 "
                                    "shippingAddress:0.9 addressDetail 收货地址 详细地址 地址", "shipping"),
    "shipping_address.line2": _rule("text", "address line 2", "line2 address2 addressLine2 street2", "shipping"),
    "shipping_address.city": _rule("text", "city", "city town:0.8 locality:0.9 receiverCity 城市 市:0.8", "shipping"),
    "shipping_address.region": _rule("text", "region", "region state:0.8 province provinceCode:0.8 "
                                     "stateCode:0.8 administrativeDistrictLevel1:0.9 receiverProvince 省份 省:0.8",
                                     "shipping", "state"),
    "shipping_address.postal_code": _rule("text", "postal code", "postalCode zip zipCode postcode postCode "
                                          "receiverZip 邮编 邮政编码", "shipping"),
    "shipping_address.country": _rule("text", "country", "country countryCode countryId receiverCountry 国家",
                                      "shipping"),
    "shipping_address.phone": _rule("phone", "recipient phone", "phone mobile tel telephone phoneNumber "
                                    "receiverMobile receiverPhone consigneePhone recipientPhone shippingPhone "
                                    "收货人电话 收货人手机 收件人电话 收件人手机", "shipping",
                                    "phone mobile tel telephone phoneNumber"),
    "total": _rule("money", "order total", "total totalPrice payAmount realAmount orderAmount "
                   "totalAmount:0.95 grandTotal baseGrandTotal:0.9 orderTotal totalIncTax totalInclTax "
                   "totalInclVat totalWithTax totalPaid:0.95 amountPaid:0.9 totalExTax:0.75 totalExclTax:0.75 "
                   "paymentAmount paidAmount actualAmount actualPay "
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
_ITEM_QTY = ("quantity qty qtyOrdered quantityOrdered orderedQty orderedQuantity num goodsNum count:0.9 buyNum itemNum "
             "skuNum number:0.6 购买数量 数量 件数")
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
    "product_id": _rule("id", "product id", "productId goodsId itemId:0.9 spuId skuId:0.8 uid:0.7 numIid "
                        "variantId:0.6 asin catalogObjectId:0.9 商品ID", "item", "uid"),
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
    # The buyer's connection: `geoip_country` is where the IP address is, not where the parcel goes.
    "device": {_key(w) for w in "ip geoip geo device browser userAgent".split()},
}
_PEOPLE = ("customer", "shipping")
_FIRST_NAMES = {"firstname", "givenname", "fname", "first"}
_LAST_NAMES = {"lastname", "surname", "familyname", "lname", "last"}


# ---------------------------------------------------------------------------------------------------------
# Status labels: merchant words (en, zh, platform codes) to canonical values; keys are normalised by _label_key.


def _label_key(label: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(label).strip().casefold()).removeprefix("wc_")


def _labels(table: dict[str, str]) -> dict[str, str]:
    return {_label_key(word): status for status, words in table.items() for word in words.split()}


_ORDER_LABELS = _labels({
    "pending": "new unpaid awaiting_payment pending_payment to_be_paid wait_pay wait_buyer_pay waiting_payment "
               "checkout_draft draft incomplete 待付款 待支付 未付款 未支付 待确认",
    # Square keeps an order OPEN from checkout until it is completed or canceled: placed, not yet finished.
    "processing": "paid confirmed in_progress fulfilling unfulfilled unshipped awaiting_shipment "
                  "awaiting_fulfillment to_be_shipped ready_to_ship wait_seller_send_goods authorized accepted open "
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
    # Shopify's fulfillment_status `restocked`: the items came back to stock.
    "returned": "return restocked 已退货 退货",
})
_SHIPMENT_LABELS = _labels({
    # Square's fulfillment states before the package leaves: PROPOSED, RESERVED (accepted), PREPARED (packed).
    "label_created": "label_printed label_purchased confirmed pending info_received inforeceived pre_transit "
                     "proposed reserved prepared packed 待揽收 已下单",
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
# Matching names against the tables


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
    parents = tuple(key for key in keys[:-1] if key != _FIRST)
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
