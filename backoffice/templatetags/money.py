from django import template

from backoffice.money import format_money

register = template.Library()


@register.simple_tag
def money(minor, currency):
    """{% money gift.amount gift.currency %} -> '$1,234.50' in the reader's language."""
    if minor is None or not currency:
        return "-"
    return format_money(minor, currency)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
