"""Editions on disk: what changed since the last one, the index page and feed, data exports.

Imports every layer below it (core, load, assess, check, render).
"""
