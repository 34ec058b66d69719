"""``sim.ema.ema_model()``: kept as a public entry point; the adapter is :mod:`sim.analysis.ema`."""

from sim.analysis.ema import ReplicateFunction, ema_model

__all__ = ["ReplicateFunction", "ema_model"]
