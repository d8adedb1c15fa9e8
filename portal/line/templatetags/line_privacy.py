"""``{% load line_privacy %}{{ count|privacy_count }}``: resident counts, 「50人未満」 below 50."""

from django import template

from portal.line.selectors import privacy_count as _privacy_count

register = template.Library()


@register.filter
def privacy_count(value: int | None) -> str:
    return _privacy_count(value)
