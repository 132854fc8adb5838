"""Roles are Django groups with these names (DESIGN.md section 1, actors)."""
from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    CLERK = "clerk"
    SPECIALIST = "specialist"
    LEADER = "leader"
    STATISTICIAN = "statistician"
    SUPERVISOR = "supervisor"  # province-wide statistics and oversight
    ADMINISTRATOR = "administrator"


STAFF_ROLES = frozenset({Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.STATISTICIAN, Role.SUPERVISOR})

#: Roles that read agency data within their scope: queues, dossiers, ratings, statistics, staff lists.
STAFF_READERS = (Role.CLERK, Role.SPECIALIST, Role.LEADER, Role.STATISTICIAN, Role.SUPERVISOR, Role.ADMINISTRATOR)
