"""Every way a user's roles or agency memberships change revokes that user's tokens.

Roles are groups: adding or removing them from either side (`user.groups`, `group.user_set`, the
admin's forms), clearing them, deleting or renaming a group. Scope is AgencyMembership: saving or
deleting one (the admin's inline, services, an agency's deletion cascading). Bulk queryset writes
are covered in models.py; password and active/staff/superuser changes in User.save.
Each revocation runs after the change it answers, in the same transaction when there is one.
Not seen (as by every Django signal): raw SQL, and writes to the auto-created `User.groups.through`
model's own manager; use the m2m API or the services.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from .models import AgencyMembership, User, revoke_tokens_of

UserGroups = User.groups.through


@receiver(m2m_changed, sender=UserGroups, dispatch_uid="accounts.revoke.groups_changed")
def _groups_changed(sender, instance, action: str, reverse: bool, pk_set: set | None, **kwargs: Any) -> None:
    if action == "pre_clear" and reverse:  # group.user_set.clear(): who is in it, before it empties
        instance._members_before_clear = list(instance.user_set.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove") and pk_set:
        revoke_tokens_of(pk_set if reverse else [instance.pk])
    elif action == "post_clear":
        revoke_tokens_of(instance.__dict__.pop("_members_before_clear", ()) if reverse else [instance.pk])


@receiver(pre_delete, sender=Group, dispatch_uid="accounts.revoke.group_deleting")
def _group_deleting(sender, instance: Group, **kwargs: Any) -> None:
    # Django sends no signal for the member rows a deletion cascades to (an auto-created through model).
    instance._members_before_delete = list(instance.user_set.values_list("pk", flat=True))


@receiver(post_delete, sender=Group, dispatch_uid="accounts.revoke.group_deleted")
def _group_deleted(sender, instance: Group, **kwargs: Any) -> None:
    revoke_tokens_of(instance.__dict__.pop("_members_before_delete", ()))


@receiver(pre_save, sender=Group, dispatch_uid="accounts.revoke.group_renaming")
def _group_renaming(sender, instance: Group, raw: bool = False, **kwargs: Any) -> None:
    if instance.pk is not None and not raw:
        instance._name_before = Group.objects.filter(pk=instance.pk).values_list("name", flat=True).first()


@receiver(post_save, sender=Group, dispatch_uid="accounts.revoke.group_renamed")
def _group_renamed(sender, instance: Group, created: bool, **kwargs: Any) -> None:
    """Roles are group names: renaming a group changes every member's roles."""
    before = instance.__dict__.pop("_name_before", None)
    if not created and before is not None and before != instance.name:
        revoke_tokens_of(instance.user_set.values_list("pk", flat=True))


@receiver(pre_save, sender=AgencyMembership, dispatch_uid="accounts.revoke.membership_saving")
def _membership_saving(sender, instance: AgencyMembership, raw: bool = False, **kwargs: Any) -> None:
    if instance.pk is not None and not raw:  # the user it belonged to, should it be handed over
        instance._user_before = AgencyMembership.objects.filter(pk=instance.pk).values_list(
            "user_id", flat=True).first()


@receiver(post_save, sender=AgencyMembership, dispatch_uid="accounts.revoke.membership_saved")
def _membership_saved(sender, instance: AgencyMembership, **kwargs: Any) -> None:
    revoke_tokens_of([instance.user_id, instance.__dict__.pop("_user_before", None)])


@receiver(post_delete, sender=AgencyMembership, dispatch_uid="accounts.revoke.membership_deleted")
def _membership_deleted(sender, instance: AgencyMembership, **kwargs: Any) -> None:
    revoke_tokens_of([instance.user_id])
