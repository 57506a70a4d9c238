"""Jinja2 templates of the eval reports (a package so the templates ship with it)."""
