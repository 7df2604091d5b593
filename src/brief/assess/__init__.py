"""Judging the records: the risk rubric, the regulatory mapping, recommendations, statistics.

Imports only brief.core and brief.load.
"""
