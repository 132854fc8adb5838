"""apps.common.serializers.CachedFieldsMixin changes no output: the serializers that use it answer
exactly what DRF's own field building answers, and no two instances share a bound field."""
from __future__ import annotations

import pytest
from rest_framework import serializers

from apps.dossiers.api.serializers import DossierSerializer, IntakeSerializer
from apps.dossiers.models import Dossier

pytestmark = pytest.mark.django_db


def plain(cls):
    """The same serializer class without the mixin's cache: DRF builds and deep-copies every field."""
    bases = tuple(b for b in cls.__mro__[1:] if b.__name__ != "CachedFieldsMixin" and issubclass(b, serializers.Field))
    return type(f"Plain{cls.__name__}", (cls,), {"get_fields": bases[0].get_fields, "fields": bases[0].fields})


def test_a_dossier_reads_the_same_as_without_the_cache(demo, register):
    dossier = Dossier.objects.get(pk=register().json()["id"])
    context = {"actors_for": lambda d: frozenset()}
    cached = DossierSerializer(dossier, context=context).data
    assert cached == plain(DossierSerializer)(dossier, context=context).data
    assert cached["code"] == dossier.code and cached["procedure"] == dossier.procedure.code


def test_instances_do_not_share_fields():
    first, second = IntakeSerializer(), IntakeSerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other and field.parent is first and other.parent is second, name
        assert (field.field_name, field.source) == (name, other.source)
    # A nested serializer's own fields belong to that instance too.
    assert first.fields["applicant"].fields["name"].parent is first.fields["applicant"]
    assert first.fields["applicant"].fields["name"] is not second.fields["applicant"].fields["name"]


@pytest.mark.parametrize("body", [
    {"agency": "A", "procedure": "P", "applicant": {"name": "", "id_number": "1"}, "form_data": "x"},
    {"agency": "A" * 41, "procedure": "P", "applicant": {"name": "Bé", "id_number": "001190012345",
                                                          "email": "bad"}},
    {"agency": "A", "procedure": "P", "applicant": {"name": "Bé", "id_number": "001190012345"}, "note": "ok"},
])
def test_intake_validation_is_the_same_as_without_the_cache(body):
    cached, reference = IntakeSerializer(data=body), plain(IntakeSerializer)(data=body)
    assert cached.is_valid() == reference.is_valid()
    assert cached.errors == reference.errors
    if not cached.errors:
        assert cached.validated_data == reference.validated_data


@pytest.mark.parametrize("cls", [DossierSerializer, IntakeSerializer])
def test_fields_kept_bound_are_what_binding_gives(cls):
    """A field the mixin keeps bound and copies with a new parent holds exactly what DRF's bind()
    gives a fresh copy: same attributes, same values, this instance as parent."""
    serializer = cls()
    for name, field in serializer.fields.items():
        reference = cls().get_fields()[name]
        reference.bind(field_name=name, parent=serializer)
        assert type(field) is type(reference), name
        assert field.parent is serializer and field.field_name == name
        skip = ("parent", "_kwargs", "_args", "_creation_counter")  # the parent checked above; build order
        mine = {k: v for k, v in vars(field).items() if k not in skip}
        theirs = {k: v for k, v in vars(reference).items() if k not in skip}
        assert mine.keys() == theirs.keys(), name
        for key in mine:
            if key in ("fields", "validators", "_validators", "child", "child_relation"):
                continue  # bound children and validator lists: compared by the output tests above
            assert mine[key] == theirs[key] or repr(mine[key]) == repr(theirs[key]), (name, key)
