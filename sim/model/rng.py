"""Named random streams.

Each random decision draws from its own stream, seeded from the replicate seed and a stable
hash of the stream's name (as in Starsim). Changing a lever therefore does not re-randomise
unrelated draws, and comparisons between scenarios use common random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

DEFAULT_SEED = 20210820  # the plan's date (2021-08-20): the root seed of every default run


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for the named stream of a replicate."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [int(seed) & 0xFFFFFFFFFFFFFFFF, zlib.crc32(name.encode("utf-8"))])))


def replicate_seeds(root_seed: int, n: int, start: int = 0) -> list[int]:
    """Seeds for replicates ``start .. start+n-1`` derived with ``SeedSequence(root).spawn``.

    Replicate i always gets the same seed whatever ``n`` is, so a batch can grow or resume.
    """
    children = np.random.SeedSequence(int(root_seed)).spawn(start + n)[start:]
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
