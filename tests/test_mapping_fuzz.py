"""No input crashes the mapper: it returns orders or a clear RecordError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.errors import RecordError
from tools.mapping import load_mapping
from tools.presets import preset_names

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)

# Payloads shaped like orders, so the mapper's paths find values of every odd type.
KEYS = ["id", "name", "status", "total", "total_price", "currency", "email", "phone", "created_at", "items",
        "line_items", "fulfillments", "shipments", "customer", "shipping_address", "tracking_number", "goods",
        "uid", "totalAmount", "time", "meta_data", "date_created_gmt", "financial_status", "订单号", "extra"]
order_like = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=12)

MAPPERS = {name: load_mapping(name) for name in preset_names()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.one_of(json_values, order_like, st.lists(order_like, max_size=3)))
def test_no_payload_crashes_any_preset(payload):
    for mapper in MAPPERS.values():
        try:
            records = mapper.records(payload)
        except RecordError:
            continue
        mapped = mapper.map_records(records, notes=True)
        assert len(mapped.orders) + len(mapped.errors) >= (0 if mapper.grouped else len(records))
        for error in mapped.errors:
            assert isinstance(error, RecordError) and str(error)
        for order in mapped.orders:
            order.model_dump_json()
