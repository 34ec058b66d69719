"""Analyses of runs.

Statistics, Monte Carlo summaries, sweeps, sensitivity, PRIM, the optimiser, history
checks and the EMA adapter.
"""
