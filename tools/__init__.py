"""The order-data side: canonical schema, mappings, carriers, phones. Knows nothing of LLMs."""

from tools.errors import MappingError, OrderAssistantError, RecordError, SampleError
from tools.mapping import Mapper, compile_mapping, load_mapping
from tools.schema import Address, Customer, Item, Order, OrderStatus, Shipment, ShipmentStatus, TrackingEvent

__all__ = [
    "Address",
    "Customer",
    "Item",
    "Mapper",
    "MappingError",
    "Order",
    "OrderAssistantError",
    "OrderStatus",
    "RecordError",
    "SampleError",
    "Shipment",
    "ShipmentStatus",
    "TrackingEvent",
    "compile_mapping",
    "load_mapping",
]
