"""Domain errors and the field-errors base; no HTTP or gRPC type: each transport maps them once, in its own table."""


class InvalidInput(Exception):
    """Input refused field by field; `errors` maps each field to its messages. The domain raises it as InvalidOrder,
    the rooms' own input checks (the page's endpoints, the worker's controls) as it is."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        summary = (f"{field}: {' '.join(messages).rstrip('.')}" for field, messages in errors.items())
        super().__init__("; ".join(summary))


class OrderError(Exception):
    """Base of every error the order domain raises on purpose."""


class OrderNotFound(OrderError):
    def __init__(self, order_id: object):
        super().__init__(f"no order with id {order_id}")
        self.order_id = order_id


class InvalidOrder(OrderError, InvalidInput):
    """The input breaks a rule of the order domain; `errors` maps each field to its messages."""


class InvalidTransition(OrderError):
    def __init__(self, order_id: object, current: str, wanted: str):
        super().__init__(f"order {order_id} is {current} and cannot become {wanted}")
        self.order_id, self.current, self.wanted = order_id, current, wanted
