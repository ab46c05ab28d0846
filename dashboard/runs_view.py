"""The Runs page's table: one row per run, with whose it is."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.identity import Visitor
from mlcore.registry import Run


def whose(run: Run, me: Visitor) -> str:
    if run.owner == me.owner:
        return "yours, shared" if run.published else "yours"
    if not me.operator:
        return "shared"
    who = run.owner.split(":", 1)[-1][:10] or "command line"
    return f"{who}, shared" if run.published else who


def may_manage(run: Run, me: Visitor) -> bool:
    """Whether `me` may publish, unpublish or delete the run: its owner, or an operator."""
    return me.operator or run.owner == me.owner


def runs_table(runs: list[Run], me: Visitor) -> pd.DataFrame:
    return pd.DataFrame([{
        "date": dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M"),
        "name": r.name, "study": f"{r.settings['study']} #{r.settings['trial']}" if "study" in r.settings else "",
        "whose": whose(r, me), "status": r.status, "dataset": r.settings.get("dataset", ""),
        "model": r.settings.get("arch", r.kind),
        "hidden": ",".join(map(str, r.settings.get("hidden", []))) if r.settings.get("arch", "mlp") == "mlp" else "",
        "activation": r.settings.get("activation", "") if r.settings.get("arch") == "mlp" else "",
        "optimizer": r.settings.get("optimizer", ""), "lr": r.settings.get("lr"),
        "batch": r.settings.get("train", {}).get("batch_size"), "epochs": len(r.history.get("epoch", [])),
        "augment": r.settings.get("augmentation") is not None,
        "elastic": (r.settings.get("augmentation") or {}).get("elastic"),
        "test acc": r.metrics.get("test_all"), "test letters": r.metrics.get("test_letters"),
        "test digits": r.metrics.get("test_digits"), "valid acc": r.metrics.get("valid_all"),
        "valid PSNR": r.metrics.get("valid_psnr"),
        "seconds": round(r.seconds, 1), "id": r.id,
    } for r in runs])
