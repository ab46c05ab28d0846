"""The Tune page's pieces: the search form's ranges, the server's searches by visitor, the live table,
Optuna's figures and the best trial's actions."""
from __future__ import annotations

import threading
import time
from dataclasses import asdict

import pandas as pd
import streamlit as st

from dashboard.autoencoder_settings import OPTIMIZER_NAMES, AutoencoderSettings
from dashboard.autoencoder_settings import PRESETS as AUTOENCODER_PRESETS
from dashboard.data import sample_count
from dashboard.jobs import executor, visitor, visitor_alive
from dashboard.state import limits, registry
from dashboard.train_settings import ARCHS, LEARNING_RATES, PRESETS, TrainSettings
from mlcore.data.paths import data_dir
from mlcore.tuning.search import RUNNING, Search, Trial
from mlcore.tuning.space import BATCH_SIZES, PARAMETERS, SHAPE, Range, apply
from mlcore.tuning.study import Budget, StudySpec, open_storage, open_study, storage_url

IMPORTANCE_TRIALS = 5   # finished trials before the parameters' importances are drawn
KEEP_ENDED = 3600.0   # seconds an ended search stays on the server for its visitor to look at
SEARCHED_FIRST = ("lr", "batch")   # ticked when the page opens
KINDS = {"classifier": "Classifier", "autoencoder": "Autoencoder"}
STARTS = {"classifier": PRESETS, "autoencoder": AUTOENCODER_PRESETS}   # what a study may start from
SETTINGS = {"classifier": TrainSettings, "autoencoder": AutoencoderSettings}
PAGES = {"classifier": "app_pages/train.py", "autoencoder": "app_pages/autoencoder.py"}
VALUE_FORMATS = {"classifier": "percent", "autoencoder": "%.2f dB"}
STATE_NAMES = {"running": "running", "complete": "finished", "pruned": "pruned", "fail": "failed"}


@st.cache_resource
def _searches() -> dict[str, Search]:
    """Each visitor's latest search, shared by the server's sessions (a reload finds it again)."""
    return {}


@st.cache_resource
def _storage(url: str):
    return open_storage(url)


def my_search() -> Search | None:
    """This visitor's latest search, followed from this session."""
    _forget_ended()
    search = _searches().get(visitor())
    if search is not None and st.session_state.get("tune_followed") is not search:
        search.follow(visitor_alive())
        st.session_state["tune_followed"] = search
    return search


def range_inputs(name: str, key: str, disabled: bool) -> dict | None:
    """A checkbox to search `name`, and its range's widgets; the Range's arguments (checked when the
    search starts), or None when not searched."""
    p = PARAMETERS[name]
    on = st.checkbox(p.label.capitalize(), name in SEARCHED_FIRST, key=f"{key}_on", disabled=disabled,
                     help=p.help or None)
    if p.kind == "choice":
        chosen = st.multiselect(p.label, p.bounds, default=list(p.default), key=f"{key}_choices",
                                disabled=disabled or not on, label_visibility="collapsed")
        return {"name": name, "choices": tuple(chosen)} if on else None
    if p.kind in ("float", "batch"):
        steps = LEARNING_RATES if p.kind == "float" else list(BATCH_SIZES)
        low, high = st.select_slider(p.label, steps, value=p.default, key=f"{key}_range", disabled=disabled or not on,
                                     format_func=lambda v: f"{v:g}", label_visibility="collapsed")
        return {"name": name, "low": low, "high": high} if on else None
    cols = st.columns(2)
    low = cols[0].number_input("from", *p.bounds, value=p.default[0], key=f"{key}_low", disabled=disabled or not on)
    high = cols[1].number_input("to", *p.bounds, value=p.default[1], key=f"{key}_high", disabled=disabled or not on)
    return {"name": name, "low": low, "high": high} if on else None


def start_search(name: str, base, ranges: list[dict], budget: Budget, pruner: str) -> str | None:
    """Open the study and start its search on the workers; what went wrong, or None (ValueError for
    settings that are not valid). `base`: the Train or Autoencoder page's settings every trial starts from."""
    space = tuple(Range(**r) for r in ranges)
    lim, reg = limits(), registry()
    if lim is None or reg is None:
        return "the server cannot train now (see above)"
    if budget.trials > lim.runs_per_owner:
        return f"at most {lim.runs_per_owner} trials: each is a run you keep, and you may keep {lim.runs_per_owner}"
    spec = StudySpec(name, base.recipe(), space, budget.epochs, base.dataset, pruner=pruner, seed=base.seed)
    samples = sample_count(base.dataset) or 0
    lim.check_training(apply(spec.base, _largest(space), budget.epochs), samples)
    ex = executor()
    if ex is None:
        return "the server cannot train now (see above)"
    with _starting():   # one search per visitor, even from two tabs at once
        mine = _searches().get(visitor())
        if mine is not None and mine.state == RUNNING:
            return "you have a search running already: stop it first"
        study = open_study(spec, _storage(storage_url()), owner=visitor(), fail_stale=True)
        search = Search(ex, spec, study, budget, owner=visitor(), registry=reg, alive=visitor_alive(),
                        data_dir=str(data_dir()), check=lambda r: lim.check_training(r, samples))
        _forget_ended()
        _searches()[visitor()] = search
    st.session_state["tune_followed"] = search
    search.start()
    return None


@st.cache_resource
def _starting() -> threading.Lock:
    return threading.Lock()


def _largest(space: tuple) -> dict:
    """The values of the space's biggest network, to refuse a search with trials over the limits."""
    return {r.name: (max(r.choices) if r.choices else r.high) for r in space
            if r.name in ("batch", "layers", "width", "code")}


def _forget_ended() -> None:
    searches, now = _searches(), time.monotonic()
    for owner, search in list(searches.items()):
        if search.ended is not None and now - search.ended > KEEP_ENDED:
            searches.pop(owner, None)   # another session may have just done so


def trials_table(search: Search) -> pd.DataFrame:
    rows = []
    for t in search.trials:
        row = {"trial": t.number, "state": STATE_NAMES[t.state], search.spec.objective: t.value,
               "epochs": t.epochs, **_shown_values(t), "note": t.reason}
        rows.append(row)
    return pd.DataFrame(rows)


def _shown_values(trial: Trial) -> dict:
    values = {k: v for k, v in trial.values.items() if k not in SHAPE}
    if any(k in trial.values for k in SHAPE):
        values["hidden"] = ",".join(map(str, trial.recipe.hidden))
    return values


def study_figures(study, objective: str) -> dict:
    """Optuna's own Plotly figures of the study, by name, their axes named for this page (`objective`:
    what a trial's value is); a figure that needs more trials is left out."""
    import optuna.visualization as vis

    makers = {"History": (vis.plot_optimization_history, "trial"),
              "Trials' curves": (vis.plot_intermediate_values, "epoch"),
              "Parallel coordinates": (vis.plot_parallel_coordinate, None),
              "Importances": (vis.plot_param_importances, None), "Slices": (vis.plot_slice, None)}
    import optuna

    if sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) < IMPORTANCE_TRIALS:
        del makers["Importances"]   # with fewer, Optuna's estimate is no more than noise
    figures = {}
    for name, (make, x_title) in makers.items():
        try:
            fig = make(study)
        except (ValueError, RuntimeError):   # e.g. importances need two finished trials that differ
            continue
        fig.update_layout(title=None, margin=dict(l=10, r=10, t=30, b=10), height=380)
        if x_title:   # trials and epochs are whole numbers: no tick at 1.5
            fig.update_xaxes(title=x_title, tickformat="d", dtick=max(1, _x_span(fig) // 10))
            fig.update_yaxes(title=objective if name == "History" else "validation score at that epoch")
        for trace in fig.data:
            if trace.type == "parcoords":
                trace.dimensions[0].label = objective
        figures[name] = fig
    return figures


def _x_span(fig) -> int:
    xs = [x for trace in fig.data for x in (getattr(trace, "x", None) or ())]
    return int(max(xs) - min(xs)) if xs else 1


def describe_base(base) -> str:
    """What every trial of a study starting from these settings trains, in one line."""
    if isinstance(base, AutoencoderSettings):
        return (f"{base.width}-{base.bottleneck}-{base.width}, {OPTIMIZER_NAMES[base.optimizer]} at lr {base.lr:g}, "
                f"batch {base.batch}" + (", augmented" if base.augment else ""))
    return (ARCHS[base.arch] + (f", hidden {base.hidden}, {base.activation}" if base.arch == "mlp" else "")
            + f", {base.optimizer} at lr {base.lr:g}, batch {base.batch}" + (", augmented" if base.augment else ""))


def value_text(spec, value: float) -> str:
    return f"{value:.1%}" if spec.kind == "classifier" else f"{value:.2f} dB"


def open_trial(trial: Trial, spec: StudySpec) -> None:
    """Open the trial's training page (Train, or Autoencoder) with its settings in the form."""
    kind = spec.kind
    settings = SETTINGS[kind].of(trial.recipe, spec.dataset)
    if kind == "classifier":   # the Train page reads its settings from the link when it loads
        st.session_state.pop("train_settings_loaded", None)
        st.switch_page(PAGES[kind], query_params=settings.to_query())
    for field, value in asdict(settings).items():
        st.session_state[f"ae_{field}"] = value
    st.switch_page(PAGES[kind])


def use_for_ocr(run_id: str) -> None:
    run = registry().get(run_id) if registry() else None
    if run is None:
        st.error("That run is no longer in the registry (removed to stay within your quota?).")
        return
    st.session_state["ocr_model_path"] = str(run.model_path)
    st.switch_page("app_pages/ocr.py")


def show_search(search: Search) -> None:
    """The visitor's search: followed live while it runs, else how it ended, its best trial and results."""
    if search.state == RUNNING:
        _live(search)
        return
    if search.message:
        st.info(f"The search ended: {search.message}.")
    best = search.best()
    if best is None:
        st.warning("No trial finished, so there is no best one.")
    else:
        _best_trial(search, best)
    _results(search)


@st.fragment(run_every=1.0)
def _live(search: Search) -> None:
    if search.state != RUNNING:
        st.rerun()
    ended = sum(t.state != RUNNING for t in search.trials)
    st.progress(ended / search.budget.trials, text=f"{search.spec.name}: {ended} of {search.budget.trials} "
                f"trials ended, up to {search.parallel} at a time")
    st.button("Stop the search", on_click=search.stop,
              help="No more trials; the running ones stop and are saved as stopped runs")
    _results(search)


def _best_trial(search: Search, best: Trial) -> None:
    spec = search.spec
    cols = st.columns([2, 1, 1])
    cols[0].metric(f"Best: trial {best.number}", value_text(spec, best.value), help=spec.objective_label)
    cols[0].caption(best.name.split(": ", 1)[-1])
    page = "Train" if spec.kind == "classifier" else "Autoencoder"
    if cols[1].button(f"Open in {page}", width="stretch", help=f"The {page} page with this trial's settings"):
        open_trial(best, spec)
    if best.run_id and spec.kind == "classifier" and cols[2].button(
            "Use for OCR", width="stretch", help="Read photographed pages with this trial's network"):
        use_for_ocr(best.run_id)


def _results(search: Search) -> None:
    """The table of trials, and Optuna's figures of the study."""
    spec = search.spec
    st.dataframe(trials_table(search), hide_index=True, width="stretch",
                 column_config={spec.objective: st.column_config.NumberColumn(spec.objective_label,
                                                                              format=VALUE_FORMATS[spec.kind]),
                                "lr": st.column_config.NumberColumn(format="%.3g")})
    # Rebuilt when a trial ends (importances cost a model fit), not at every epoch of every viewer's page.
    stamp = (id(search), sum(t.state != RUNNING for t in search.trials))
    cached = st.session_state.get("tune_figures")
    if cached is None or cached[0] != stamp:
        cached = st.session_state["tune_figures"] = (stamp, study_figures(search.study, spec.objective_label))
    figures = cached[1]
    if figures:
        for tab, (name, fig) in zip(st.tabs(list(figures)), figures.items()):
            tab.plotly_chart(fig, width="stretch", key=f"tune_fig_{name}")
