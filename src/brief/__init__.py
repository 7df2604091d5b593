"""brief: curated AI-incident data and evaluation results into cited, risk-rated policy briefs."""

__version__ = "0.1.0"

__all__ = ["__version__"]
