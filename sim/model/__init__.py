"""The model core: plan data, parameter declarations, equations, agents, schedule, outcomes.

Imports nothing from the other layers; takes resolved arrays, never a scenario file.
"""
