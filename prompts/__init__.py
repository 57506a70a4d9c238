"""Jinja2 templates: the system prompt and the templated answers (shipped as package data)."""
