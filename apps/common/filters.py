"""Filters that refuse what they do not understand, instead of silently ignoring it."""
import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .fields import FIRST_DAY, LAST_DAY
from .numbers import bounded_int

TRUE_VALUES = ("true", "1")
BOOLEAN_CHOICES = [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")]


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    """`true`/`false` (or 1/0); anything else is a 400, not "no filter"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        kwargs.setdefault("coerce", lambda value: value in TRUE_VALUES)
        super().__init__(*args, **kwargs)


class BoundedDateFilter(django_filters.DateFilter):
    """A local date within the calendar's years: year 1 or 9999 would overflow once turned into an
    instant in our zone (a 500), and no record lies outside them anyway."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra["validators"] = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class _BoundedIntegerField(forms.Field):
    def __init__(self, *, low: int, high: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.low, self.high = low, high

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = bounded_int(value, low=self.low, high=self.high)
        if number is None:
            raise forms.ValidationError(
                _("A whole number from %(low)d to %(high)d.") % {"low": self.low, "high": self.high}, code="invalid"
            )
        return number


@extend_schema_field(OpenApiTypes.INT)
class BoundedIntegerFilter(django_filters.Filter):
    """A whole number from `low` to `high`, read by apps.common.numbers.bounded_int: no sign, no
    blanks, no fraction, no other scripts' digits, never 4,301 digits handed to int()."""

    field_class = _BoundedIntegerField

    def __init__(self, *args, low: int, high: int, **kwargs) -> None:
        super().__init__(*args, low=low, high=high, **kwargs)
