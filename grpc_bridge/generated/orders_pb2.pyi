from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderMessage(_message.Message):
    __slots__ = ("id", "created_by", "status", "created_at", "equipment", "delivery_note")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        QUEUED: _ClassVar[OrderMessage.Status]
        PROCESSING: _ClassVar[OrderMessage.Status]
        COMPLETED: _ClassVar[OrderMessage.Status]
        FAILED: _ClassVar[OrderMessage.Status]
        CANCELLED: _ClassVar[OrderMessage.Status]
    QUEUED: OrderMessage.Status
    PROCESSING: OrderMessage.Status
    COMPLETED: OrderMessage.Status
    FAILED: OrderMessage.Status
    CANCELLED: OrderMessage.Status
    class Equipment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KEYBOARD: _ClassVar[OrderMessage.Equipment]
        MOUSE: _ClassVar[OrderMessage.Equipment]
        WEBCAM: _ClassVar[OrderMessage.Equipment]
        MONITOR: _ClassVar[OrderMessage.Equipment]
    KEYBOARD: OrderMessage.Equipment
    MOUSE: OrderMessage.Equipment
    WEBCAM: OrderMessage.Equipment
    MONITOR: OrderMessage.Equipment
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EQUIPMENT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_NOTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    created_by: str
    status: OrderMessage.Status
    created_at: str
    equipment: _containers.RepeatedScalarFieldContainer[OrderMessage.Equipment]
    delivery_note: str
    def __init__(self, id: _Optional[str] = ..., created_by: _Optional[str] = ..., status: _Optional[_Union[OrderMessage.Status, str]] = ..., created_at: _Optional[str] = ..., equipment: _Optional[_Iterable[_Union[OrderMessage.Equipment, str]]] = ..., delivery_note: _Optional[str] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OrderMessageList(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[OrderMessage]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[OrderMessage, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class OrderId(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ("status", "created_by", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: OrderMessage.Status
    created_by: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[_Union[OrderMessage.Status, str]] = ..., created_by: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("from_beginning", "all_records")
    FROM_BEGINNING_FIELD_NUMBER: _ClassVar[int]
    ALL_RECORDS_FIELD_NUMBER: _ClassVar[int]
    from_beginning: bool
    all_records: bool
    def __init__(self, from_beginning: _Optional[bool] = ..., all_records: _Optional[bool] = ...) -> None: ...

class RecordVerdict(_message.Message):
    __slots__ = ("kind", "reason", "hand_made")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ACCEPTED: _ClassVar[RecordVerdict.Kind]
        REFUSED: _ClassVar[RecordVerdict.Kind]
        INVALID: _ClassVar[RecordVerdict.Kind]
    ACCEPTED: RecordVerdict.Kind
    REFUSED: RecordVerdict.Kind
    INVALID: RecordVerdict.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HAND_MADE_FIELD_NUMBER: _ClassVar[int]
    kind: RecordVerdict.Kind
    reason: str
    hand_made: bool
    def __init__(self, kind: _Optional[_Union[RecordVerdict.Kind, str]] = ..., reason: _Optional[str] = ..., hand_made: _Optional[bool] = ...) -> None: ...

class OrderEvent(_message.Message):
    __slots__ = ("event_id", "type", "occurred_at", "source", "order", "partition", "offset", "verdict")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: str
    occurred_at: str
    source: str
    order: OrderMessage
    partition: int
    offset: int
    verdict: RecordVerdict
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[str] = ..., occurred_at: _Optional[str] = ..., source: _Optional[str] = ..., order: _Optional[_Union[OrderMessage, _Mapping]] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., verdict: _Optional[_Union[RecordVerdict, _Mapping]] = ...) -> None: ...
