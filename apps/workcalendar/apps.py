from django.apps import AppConfig


class WorkCalendarConfig(AppConfig):
    name = "apps.workcalendar"
    label = "workcalendar"
    verbose_name = "Working-time calendar"
