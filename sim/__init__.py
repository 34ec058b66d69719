"""clustersim: agent-based Monte Carlo of Shanxi's agricultural processing clusters."""

from sim.config.version import __version__

__all__ = ["__version__", "run_replicate"]


def run_replicate(*args, **kwargs):
    """Run one replicate; see :func:`sim.run.replicate.run_replicate`."""
    from sim.run.replicate import run_replicate as _run
    return _run(*args, **kwargs)
