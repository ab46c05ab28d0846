"""The Runs page: the table of runs with whose each is, the side-by-side comparison of the ticked ones,
and the buttons acting on them."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

import pandas as pd
import streamlit as st

from dashboard.identity import Visitor
from mlcore.registry import Registry, Run

ACCURACIES = ("test acc", "test letters", "test digits", "valid acc")
SCORES = (*ACCURACIES, "valid PSNR")


def whose(run: Run, me: Visitor) -> str:
    if run.owner == me.owner:
        return "yours, shared" if run.published else "yours"
    if not me.operator:
        return "shared"
    who = run.owner.split(":", 1)[-1][:10] or "command line"
    return f"{who}, shared" if run.published else who


def run_label(run: Run) -> str:
    """A run's name with the end of its id: two runs may share a name."""
    return f"{run.name} ({run.id[-6:]})"


def may_manage(run: Run, me: Visitor) -> bool:
    """Whether `me` may publish, unpublish or delete the run: its owner, or an operator."""
    return me.operator or run.owner == me.owner


def runs_table(runs: list[Run], me: Visitor) -> pd.DataFrame:
    """One row per run: its name and scores first (what runs are compared by), then how it was trained.
    A score no run has (PSNR among classifiers, accuracy among autoencoders) is left out."""
    table = pd.DataFrame([{
        "name": r.name, "test acc": r.metrics.get("test_all"), "test letters": r.metrics.get("test_letters"),
        "test digits": r.metrics.get("test_digits"), "valid acc": r.metrics.get("valid_all"),
        "valid PSNR": r.metrics.get("valid_psnr"),
        "whose": whose(r, me), "status": r.status, "dataset": r.settings.get("dataset", ""),
        "model": r.settings.get("arch", r.kind),
        "hidden": ",".join(map(str, r.settings.get("hidden", []))) if r.settings.get("arch", "mlp") == "mlp" else "",
        "activation": r.settings.get("activation", "") if r.settings.get("arch") == "mlp" else "",
        "optimizer": r.settings.get("optimizer", ""), "lr": r.settings.get("lr"),
        "batch": r.settings.get("train", {}).get("batch_size"), "epochs": len(r.history.get("epoch", [])),
        "augment": r.settings.get("augmentation") is not None,
        "elastic": (r.settings.get("augmentation") or {}).get("elastic"),
        "study": f"{r.settings['study']} #{r.settings['trial']}" if "study" in r.settings else "",
        "date": dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M"),
        "seconds": round(r.seconds, 1), "id": r.id,
    } for r in runs])
    return table.drop(columns=[c for c in SCORES if table[c].isna().all()])


def runs_columns() -> dict:
    """How the table shows its columns: the name kept in view while scrolling sideways, scores as
    percentages, learning rates exactly as set (0.00175, not 0.0018)."""
    percent = st.column_config.NumberColumn(format="percent")
    return {"name": st.column_config.TextColumn(pinned=True), **{c: percent for c in ACCURACIES},
            "valid PSNR": st.column_config.NumberColumn(format="%.2f dB"),
            "lr": st.column_config.NumberColumn(format="%g")}


def _flat(settings: dict, prefix: str = "") -> dict[str, object]:
    """Nested settings as one level, e.g. {"train": {"epochs": 3}} -> {"train.epochs": 3}."""
    flat = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _metric(key: str, value) -> str:
    if value is None:
        return ""
    return f"{value:.2f} dB" if "psnr" in key else f"{value:.2%}"


def _setting(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"  # exactly as set: 0.00175
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def compare_table(runs: list[Run]) -> tuple[pd.DataFrame, pd.Series]:
    """The runs side by side, one column each: their metrics, then every setting; and, per row,
    whether the runs differ in it. (The worker a run trained on is where, not how: left out.)"""
    columns = {run_label(r): {
        **{f"metric: {k.replace('_', ' ')}": _metric(k, v) for k, v in r.metrics.items()},
        "epochs run": str(len(r.history.get("epoch", []))), "seconds": f"{r.seconds:.1f}", "status": r.status,
        **{k: _setting(v) for k, v in _flat(r.settings).items() if k != "worker"},
    } for r in runs}
    table = pd.DataFrame(columns).fillna("")
    metrics = table.index.str.startswith("metric: ")
    table = pd.concat([table[metrics].sort_index(), table[~metrics]])
    return table, table.nunique(axis=1) > 1


DIFFERS = "background-color: #fff1b8"


def compare_view(runs: list[Run]) -> None:
    """The ticked runs' metrics and settings side by side, the rows where they differ highlighted
    and, unless asked for all, the settings they share left out."""
    table, differs = compare_table(runs)
    if len(runs) > 1:
        st.subheader(f"The {len(runs)} ticked runs side by side")
        if st.toggle("Only the settings that differ", value=True, key="runs_only_differ"):
            keep = differs | table.index.str.startswith("metric: ")
            table, differs = table[keep], differs[keep]
        st.caption(f"Highlighted: the {int(differs.sum())} rows where the runs differ.")
    else:
        st.subheader("The ticked run's metrics and settings")
    st.dataframe(table.style.apply(lambda row: [DIFFERS if differs[row.name] else ""] * len(row), axis=1),
                 width="stretch", height=min(600, 35 * (len(table) + 1) + 3))


def _zip_of(runs: list[Run]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for run in runs:
            archive.write(run.model_path, f"{run.id}.npz")
    return buffer.getvalue()


def _download(where, chosen: list[Run]) -> None:
    """One model as its .npz file, several as a zip of them: made only when clicked."""
    files = [r for r in chosen if r.model_path.exists()]
    one = len(files) == 1
    where.download_button("Download the model" if one else f"Download {len(files)} models" if files else "Download",
                          files[0].model_path.read_bytes if one else lambda: _zip_of(files),
                          file_name=f"{files[0].id}.npz" if one else "models.zip", disabled=not files,
                          on_click="ignore",
                          help="The trained network (.npz), for `python -m mlcore` or your own numpy code")


def action_bar(reg: Registry, chosen: list[Run], me: Visitor) -> None:
    """The buttons acting on the ticked runs. Download and OCR are always shown (disabled, with the reason,
    when they cannot act); copying only for others' runs; sharing and deleting only for runs `me` manages."""
    classifier = chosen[0] if len(chosen) == 1 and chosen[0].kind == "classifier" else None
    others = [r for r in chosen if r.owner != me.owner]
    manage = bool(chosen) and all(may_manage(r, me) for r in chosen)
    bar = st.container(horizontal=True)  # one row, wrapping on narrow screens
    _download(bar, chosen)
    if bar.button("Use for OCR", disabled=classifier is None):
        st.session_state["ocr_model_path"] = str(classifier.model_path)
        st.switch_page("app_pages/ocr.py")
    if others and bar.button("Copy to your runs" if len(others) == 1 else f"Copy {len(others)} to your runs",
                         help="A private copy of each shared run, yours to keep"):
        for run in others:
            reg.copy(run.id, me.owner)
        st.rerun()
    share = not all(r.published for r in chosen)
    if manage and bar.button("Share" if share else "Stop sharing",
                         help="Shared runs are shown, read-only, to every visitor"):
        for run in chosen:
            reg.publish(run.id, share, by=None if me.operator else me.owner)
        st.rerun()
    if manage and bar.button(f"Delete {len(chosen)} run(s)"):
        st.session_state["confirm_delete"] = [r.id for r in chosen]
    if not chosen:
        st.caption("Tick runs in the table to compare them side by side, download, share or delete them.")
    elif classifier is None:
        st.caption("Use for OCR reads pages with one classifier: tick exactly one classifier run.")


def delete_confirmation(reg: Registry, me: Visitor) -> None:
    """The question a Delete button asks before the runs are gone for good."""
    ids = st.session_state.get("confirm_delete")
    if not ids:
        return
    st.warning(f"Delete {len(ids)} run(s) and their model files for good?")
    yes, no = st.columns(2)
    if yes.button("Yes, delete", type="primary"):
        for run_id in ids:
            reg.delete(run_id, by=None if me.operator else me.owner)
        del st.session_state["confirm_delete"]
        st.rerun()
    if no.button("Cancel"):
        del st.session_state["confirm_delete"]
        st.rerun()
