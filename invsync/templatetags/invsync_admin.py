"""Template filters for the admin's Polish: a counted model name (invsync.grammar)."""

from django import template

from invsync.grammar import counted

register = template.Library()


@register.filter
def counted_as(count, opts) -> str:
    """{{ cl.result_count|counted_as:cl.opts }} -> "5 integracji"."""
    return counted(opts, count)
