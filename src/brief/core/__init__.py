"""Foundation shared by every layer: errors, dates, audiences, atomic writes, caches, paths.

Nothing here imports from brief's other packages.
"""
