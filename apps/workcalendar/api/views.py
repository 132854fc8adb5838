from datetime import date, timedelta

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import working_calendar

YearSerializer = inline_serializer(
    name="CalendarYear",
    fields={
        "year": serializers.IntegerField(),
        "timezone": serializers.CharField(),
        "office_hours": serializers.ListField(child=serializers.CharField()),
        "working_days": serializers.IntegerField(),
        "days_off": serializers.ListField(child=serializers.DateField(), help_text="Weekdays that are not worked"),
        "working_weekend_days": serializers.ListField(child=serializers.DateField()),
    },
)


@extend_schema(tags=["calendar"], summary="Working and non-working days of a year", responses=YearSerializer)
class CalendarYearView(APIView):
    permission_classes = [AllowAny]

    def get(self, request, year: int):
        if not 2000 <= year <= 2100:
            raise ValidationError({"year": ["Year must be between 2000 and 2100."]})
        calendar = working_calendar()
        days_off, working_weekend = [], []
        day = date(year, 1, 1)
        while day.year == year:
            working = calendar.is_working_day(day)
            if day.weekday() < 5 and not working:
                days_off.append(day)
            elif day.weekday() >= 5 and working:
                working_weekend.append(day)
            day += timedelta(days=1)
        hours = calendar.office_hours
        return Response(
            {
                "year": year,
                "timezone": hours.timezone,
                "office_hours": [f"{s:%H:%M}-{e:%H:%M}" for s, e in hours.periods],
                "working_days": calendar.working_days_between(date(year, 1, 1), date(year + 1, 1, 1)),
                "days_off": days_off,
                "working_weekend_days": working_weekend,
            }
        )
