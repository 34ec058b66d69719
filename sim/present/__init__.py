"""Presentation: figures, the HTML report, text tables and the generated parameter page."""
