"""Column units and descriptions of the results tables, from the model's declarations."""

from __future__ import annotations

import json

SEED_NOTE = ("the replicate's seed, a decimal integer in [0, 2**63) stored as text "
             "(docs/results-schema.md says why)")


def replicate_fields() -> dict[str, dict[str, str]]:
    """Unit and description of every column the replicate table can have.

    From the declarations: ``sim.model.params`` (sampled uncertainties, ``in.*``),
    ``sim.model.outcomes.METRICS`` (``out.*``) and ``TARGETS`` (``met.*``).
    """
    from sim.model.outcomes import METRICS, TARGETS
    from sim.model.params import UNCERTAINTIES
    f = {"replicate": {"unit": "", "description": "replicate index i: its seed is child i of "
                       "SeedSequence(root_seed).spawn (manifest.json)"},
         "seed": {"unit": "", "description": SEED_NOTE}}
    for p in UNCERTAINTIES:
        desc = f"sampled uncertainty: {p.description}".rstrip(": ")
        if p.per:
            for k in p.keys:
                f[f"in.{p.name}.{k}"] = {"unit": p.unit, "description": f"{desc} ({p.per} {k})"}
        else:
            f[f"in.{p.name}"] = {"unit": p.unit, "description": desc}
    for m in METRICS:
        f[f"out.{m.name}"] = {"unit": m.unit, "description": "2025 value: " + m.label_en
                              + (f" ({m.description})" if m.description else "")}
    for t in TARGETS:
        f[f"met.{t.name}"] = {"unit": "", "description":
                              f"target met: 2025 {t.metric} >= {t.threshold:g} {t.unit} "
                              f"({t.label_en}; plan {t.section})"}
    return f


def trajectory_fields() -> dict[str, dict[str, str]]:
    """Unit and description of the trajectory table's columns (value: unit per metric)."""
    from sim.model.outcomes import METRICS
    return {"replicate": {"unit": "", "description": "replicate index (replicates.parquet)"},
            "year": {"unit": "year", "description": "calendar year; 2020 is the start state"},
            "metric": {"unit": "", "description": "metric name; its unit is in "
                       "units_by_metric of the value column and docs/results-schema.md"},
            "value": {"unit": "per metric (see units_by_metric)",
                      "description": "the metric's value at the end of the year",
                      "units_by_metric": json.dumps({m.name: m.unit for m in METRICS},
                                                    ensure_ascii=False)}}


FAILURE_FIELDS = {
    "replicate": {"unit": "", "description": "replicate index"},
    "seed": {"unit": "", "description": SEED_NOTE},
    "error": {"unit": "", "description": "exception type and message"},
    "traceback": {"unit": "", "description": "the worker's traceback"}}


def units_metadata(fields: dict[str, dict[str, str]], columns) -> dict[str, str]:
    """File-level key-value metadata naming every column's unit and description.

    For readers that do not see Arrow field metadata (duckdb's ``parquet_kv_metadata``).
    """
    cols = [c for c in columns if c in fields]
    return {"clustersim.units": json.dumps({c: fields[c]["unit"] for c in cols},
                                           ensure_ascii=False),
            "clustersim.descriptions": json.dumps({c: fields[c]["description"] for c in cols},
                                                  ensure_ascii=False),
            "clustersim.schema": "docs/results-schema.md"}

