"""The package's version, as installed (``0.0.0+source`` when run from a source tree).

Kept in the configuration layer so that the layers that record it (the batch manifest, the
report, the workbook) import it from below, not from the package root.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clustersim")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"
