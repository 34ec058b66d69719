"""Constants shared by the test modules (import them: ``from tests._shared import REPO``).

Fixtures live in ``tests/conftest.py``; plain values live here, because pytest does not
make conftest importable as a module.
"""
from pathlib import Path

#: The repository root, wherever the test module that asks for it sits under tests/.
REPO = Path(__file__).resolve().parent.parent

#: The regression pin's folder (make.py and fingerprint.json).
FINGERPRINT = REPO / "tests" / "fingerprint"

# Households per agent. The model's rules are scale-free, so tests run at coarse scales to
# stay fast; a module imports the scale its tolerances were chosen at (``... as HPA``).
#: Batches, tables, figures, calibration: the household scale does not matter there.
HPA = 8000
#: Firms, training, common random numbers, assimilation, kill-and-resume.
HPA_MEDIUM = 4000
#: Model rules on households, cooperatives, platforms and raw material.
HPA_FINE = 2000
#: The COVID-19 year, whose 2020 shortfall is measured on household income.
HPA_FINEST = 1000
