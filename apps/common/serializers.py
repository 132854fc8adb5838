"""Serializer speed-ups that change no output."""
import copy


class CachedFieldsMixin:
    """Build a ModelSerializer's fields once per class, then copy them per instance.

    ModelSerializer introspects the model on every instantiation; on the intake path that was a
    quarter of the response time. Copying the built fields keeps instances independent.
    """

    _fields_prototype: dict | None = None

    def get_fields(self):
        cls = type(self)
        if cls.__dict__.get("_fields_prototype") is None:
            cls._fields_prototype = super().get_fields()
        return copy.deepcopy(cls._fields_prototype)
