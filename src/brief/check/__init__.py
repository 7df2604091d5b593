"""`brief validate`: every check on a loaded project (records, evidence, numbers, links, reading level).

Imports brief.core, brief.load and brief.assess (the rubric and regulatory tables check themselves).
"""
