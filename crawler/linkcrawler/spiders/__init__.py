"""Spiders of the link crawler (one: ``site``)."""
