"""Webhooks' error codes (part of the API contract: never change one)."""

from enum import StrEnum


class WebhookError(StrEnum):
    URL_NOT_ALLOWED = "webhook_url_not_allowed"
    INVALID_EVENTS = "invalid_events"
    TOO_MANY_ENDPOINTS = "too_many_webhooks"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    DELIVERY_NOT_FOUND = "delivery_not_found"
