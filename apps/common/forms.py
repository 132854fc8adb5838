"""Django forms (the server-rendered pages) with the API's text rules (apps.common.fields)."""
from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .fields import ControlCharacterValidator


class TextRulesFormMixin:
    """Every text field of the form refuses control characters and non-characters; TAB, LF and CR
    only where the widget is a textarea (multi-line text)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(ControlCharacterValidator(multiline=isinstance(field.widget, forms.Textarea)))


class LoginForm(TextRulesFormMixin, AuthenticationForm):
    """The dashboard's sign-in form."""
