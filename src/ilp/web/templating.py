"""Pages show times in the person's time zone (issue 24): the one place is this template
backend. It renders every template of a request (pages, htmx fragments) with the person's
zone active (`django.utils.timezone.override`), default UTC. Only the rendering: the views
and services before it run in UTC, so a business day ("today", expiry) is a UTC day
whoever asks, and a mail (rendered without a request) shows UTC."""

import functools
import zoneinfo

from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates, reraise
from django.template.backends.django import Template as _Template
from django.utils import timezone


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def person_zone(request) -> zoneinfo.ZoneInfo | None:
    """The zone of the person logged in to this request, or None (UTC)."""
    user = getattr(request, "user", None)
    name = getattr(user, "time_zone", "") if user is not None else ""
    if not name:
        return None
    try:
        return _zone(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone tzdata dropped since
        return None


class Template(_Template):
    def render(self, context=None, request=None):
        zone = person_zone(request)
        if zone is None:
            return super().render(context, request)
        with timezone.override(zone):
            return super().render(context, request)


class PersonTimeZoneTemplates(DjangoTemplates):
    """Django's templates, each rendered in the requesting person's time zone."""

    def from_string(self, template_code):
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name):
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)
