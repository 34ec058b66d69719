"""Least-cost lever mix reaching a probability of meeting a target.

Candidates scale the scenario's levers (one multiplier per lever, all keys and years
together, clipped to each lever's declared bounds). Every candidate runs the same replicate
seeds (common random numbers), so differences between candidates are not sampling noise.
Cost is the model's fiscal cost outcome ``fiscal_cost_yi`` (亿元 over 2021-2025), built from
the declared cost model (``sim.model.params``: capital and interest subsidies paid on the
investment that actually happens, per-mu subsidies on contracted land, grants, service,
cold storage, brand funds, training, farmland). The search is a Latin hypercube over the
multipliers, then greedy cuts of each lever on the cheapest feasible point; the cheapest
feasible candidate is then re-run on fresh seeds; if it falls short there, the fresh seeds
are added to every candidate's estimate and the new cheapest is checked (up to three
rounds), so the answer is one that reaches the probability on seeds it was not chosen on.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.stats import wilson_interval
from sim.config.factors import scaled_levers
from sim.config.scenario import derive
from sim.model.rng import DEFAULT_SEED
from sim.run.evaluators import Evaluator
from sim.run.store import atomic_parquet, atomic_write_bytes

SEARCH_LEVERS = ("capital_subsidy_rate", "interest_subsidy_pp", "brand_fund_yi_yuan",
                 "cold_chain_new_capacity_wan_t", "producer_subsidy_yuan_per_mu",
                 "coop_grant_yi_yuan", "training_places_wan", "land_service_coverage")


def apply(base: dict, multipliers: dict[str, float]) -> dict:
    """The base scenario with each named lever scaled (and clipped to its bounds).

    The optimiser's levers are multipliers (``sim.config.factors``, mode ``"multiplier"``).
    """
    return derive(base, scaled_levers(base, multipliers), source="optimize")


def evaluate(cands: list[dict], base: dict, target: str, seeds: list[int],
             evaluator: Evaluator) -> pd.DataFrame:
    """P(met) and mean fiscal cost of each candidate, on the same seeds."""
    tasks, owner = [], []
    for ci, c in enumerate(cands):
        scn = apply(base, c)
        for j, s in enumerate(seeds):
            tasks.append((len(tasks), s, scn))
            owner.append((ci, j))
    met = np.zeros((len(cands), len(seeds)))
    cost = np.zeros((len(cands), len(seeds)))
    for r in evaluator.run_all(tasks, base, desc=f"{len(cands)} candidates"):
        ci, j = owner[r["index"]]
        met[ci, j] = r["met"][target]
        cost[ci, j] = r["outcomes"]["fiscal_cost_yi"]
    df = pd.DataFrame([{f"m.{x}": c.get(x, 1.0) for x in SEARCH_LEVERS} for c in cands])
    df["k"], df["n"], df["cost_sum"] = met.sum(axis=1), len(seeds), cost.sum(axis=1)
    return _stats(df)


def _stats(df: pd.DataFrame) -> pd.DataFrame:
    """P(met) with its Wilson interval and mean cost from the counts."""
    lo, hi = wilson_interval(df["k"].to_numpy(float), df["n"].to_numpy(float))
    df["p_met"], df["p_lo"], df["p_hi"] = df["k"] / df["n"], lo, hi
    df["cost_yi"] = df["cost_sum"] / df["n"]
    return df


def frontier(df: pd.DataFrame) -> pd.DataFrame:
    """Candidates no other candidate beats on both cost and P(met)."""
    d = df.sort_values(["cost_yi", "p_met"], ascending=[True, False])
    best, keep = -1.0, []
    for i, r in d.iterrows():
        if r["p_met"] > best:
            keep.append(i)
            best = r["p_met"]
    return d.loc[keep]


def search(base: dict, target: str, probability: float, *, evaluator: Evaluator, folder: Path,
           candidates: int = 24, replicates: int = 40, seed: int = DEFAULT_SEED,
           max_multiplier: float = 3.0, validate_replicates: int = 100,
           max_rounds: int = 3) -> dict:
    """Find the cheapest candidate with P(met) >= probability; validate on fresh seeds."""
    from scipy.stats import qmc

    from sim.model.rng import replicate_seeds
    seeds = replicate_seeds(seed, replicates)
    u = qmc.LatinHypercube(d=len(SEARCH_LEVERS), seed=np.random.default_rng(seed)).random(
        candidates)
    cands = [dict.fromkeys(SEARCH_LEVERS, 1.0), dict.fromkeys(SEARCH_LEVERS, 0.0)]
    cands += [dict(zip(SEARCH_LEVERS, row * max_multiplier, strict=True)) for row in u]
    table = evaluate(cands, base, target, seeds, evaluator)
    table.insert(0, "stage", ["plan", "none"] + ["lhs"] * candidates)
    ok = table[table["p_met"] >= probability]
    chosen, best_row, validation, checks = None, None, None, []
    if len(ok):
        table = _greedy_cuts(table, ok, base, target, probability, seeds, evaluator)
        # Picking the cheapest of many noisy estimates favours lucky candidates (the
        # winner's curse), so the answer must also reach the probability on fresh seeds.
        # When it does not, those seeds join the search seeds for every candidate, the
        # estimates are updated and the new cheapest feasible candidate is checked.
        for rnd in range(max_rounds if validate_replicates else 0):
            feasible = table[table["p_met"] >= probability].sort_values("cost_yi")
            if feasible.empty:
                break
            row = feasible.iloc[0]
            cand = {x: float(row[f"m.{x}"]) for x in SEARCH_LEVERS}
            fresh = replicate_seeds(seed + 1 + rnd, validate_replicates)
            v = evaluate([cand], base, target, fresh, evaluator).iloc[0]
            check = {"round": rnd, "replicates": validate_replicates,
                     "p_met": float(v["p_met"]), "p_lo": float(v["p_lo"]),
                     "p_hi": float(v["p_hi"]), "cost_yi": float(v["cost_yi"]),
                     "search_p_met": float(row["p_met"]), "search_n": int(row["n"])}
            checks.append(check)
            if v["p_met"] >= probability:
                chosen, best_row, validation = cand, row, check
                break
            more = evaluate([{x: float(r[f"m.{x}"]) for x in SEARCH_LEVERS}
                             for _, r in table.iterrows()], base, target, fresh, evaluator)
            for col in ("k", "n", "cost_sum"):
                table[col] = table[col].to_numpy() + more[col].to_numpy()
            table = _stats(table)
        if not validate_replicates:
            row = table[table["p_met"] >= probability].sort_values("cost_yi").iloc[0]
            chosen, best_row = {x: float(row[f"m.{x}"]) for x in SEARCH_LEVERS}, row
    plan_row = table.iloc[0]
    result = {
        "target": target, "probability": probability, "candidates": int(len(table)),
        "replicates": replicates, "root_seed": seed,
        "households_per_agent": evaluator.households_per_agent,
        "plan": {"p_met": float(plan_row["p_met"]), "cost_yi": float(plan_row["cost_yi"])},
        "chosen": None if chosen is None else {
            "multipliers": chosen,
            "levers": {x: apply(base, chosen)["levers"][x] for x in SEARCH_LEVERS},
            "p_met": float(best_row["p_met"]), "p_lo": float(best_row["p_lo"]),
            "p_hi": float(best_row["p_hi"]), "cost_yi": float(best_row["cost_yi"])},
        "validation": validation, "checks": checks,
        "best_p_met": float(table["p_met"].max()),
    }
    folder.mkdir(parents=True, exist_ok=True)
    atomic_parquet(table, folder / "candidates.parquet")
    atomic_write_bytes(folder / "result.json",
                       json.dumps(result, indent=1, ensure_ascii=False).encode())
    return {"result": result, "table": table}


def _greedy_cuts(table: pd.DataFrame, ok: pd.DataFrame, base: dict, target: str,
                 probability: float, seeds: list[int], evaluator: Evaluator) -> pd.DataFrame:
    """Lower each lever of the cheapest feasible candidate in turn; all trials join the table."""
    best = ok.sort_values("cost_yi").iloc[0]
    current = {x: float(best[f"m.{x}"]) for x in SEARCH_LEVERS}
    current_cost = float(best["cost_yi"])
    # Greedy cuts: try lowering each lever in turn; keep the cheapest that still holds.
    for factor in (0.5, 0.8):
        trial = [{**current, x: current[x] * factor} for x in SEARCH_LEVERS
                 if current[x] > 0]
        if not trial:
            break
        t = evaluate(trial, base, target, seeds, evaluator)
        t.insert(0, "stage", f"cut x{factor}")
        table = pd.concat([table, t], ignore_index=True)
        feas = t[t["p_met"] >= probability].sort_values("cost_yi")
        if len(feas) and feas.iloc[0]["cost_yi"] < current_cost:
            current = {x: float(feas.iloc[0][f"m.{x}"]) for x in SEARCH_LEVERS}
            current_cost = float(feas.iloc[0]["cost_yi"])
    return table
