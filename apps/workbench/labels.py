"""The workbench's labels are the project's (apps/common/labels.py, issue 16): one place, both languages."""
from apps.common.labels import (
    action_label,
    channel_label,
    dossier_status_label,
    event_status_label,
    status_label,
    timeliness_label,
)

__all__ = ["action_label", "channel_label", "dossier_status_label", "event_status_label", "status_label",
           "timeliness_label"]
