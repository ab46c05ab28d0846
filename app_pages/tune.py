from dataclasses import replace

import streamlit as st

from dashboard.training_view import dataset_select, datasets_offered
from dashboard.tune_view import (
    KINDS,
    STARTS,
    VALUE_FORMATS,
    describe_base,
    my_search,
    open_trial,
    range_inputs,
    start_search,
    study_figures,
    trials_table,
    use_for_ocr,
    value_text,
)
from mlcore.tuning.search import RUNNING
from mlcore.tuning.space import SEARCHABLE
from mlcore.tuning.study import OBJECTIVES, PRUNERS, Budget

st.title("Tune hyperparameters")
st.caption("Optuna picks each trial's settings from what earlier trials scored (its TPE sampler); each trial "
           "trains on the workers like a Train page run, and is saved on the Runs page. A pruner stops trials "
           "whose validation accuracy falls behind the others' at the same epoch.")

sizes_by_name = datasets_offered()
search = my_search()
busy = search is not None and search.state == RUNNING
shown = st.container()   # the search, live or ended, above the form that starts another

# ------------------------------------------------------------------ the study
form = st.expander("The study: what to search, from where, for how long", expanded=not busy,
                   icon=":material/tune:")
left, right = form.columns(2)
with left:
    st.text_input("Study name", "my study", key="tune_name", disabled=busy, max_chars=60,
                  help="Start again with the same name and settings to add trials to a study")
    dataset_select(sizes_by_name, "tune_dataset", busy)
    kind = st.radio("Model", list(KINDS), format_func=KINDS.get, key="tune_kind", horizontal=True, disabled=busy)
    presets = STARTS[kind]
    start_from = st.selectbox("Start from", list(presets), key=f"tune_base_{kind}", disabled=busy,
                              help="What every trial trains, but for the hyperparameters searched")
    base = replace(presets[start_from], dataset=st.session_state["tune_dataset"])
    st.caption(describe_base(base))
    cols = st.columns(3)
    trials = cols[0].number_input("Trials", 0, 500, 12, key="tune_trials", disabled=busy)
    epochs = cols[1].number_input("Epochs per trial", 0, 200, 10, key="tune_epochs", disabled=busy)
    minutes = cols[2].number_input("Wall time (min)", 0, 24 * 60, 0, key="tune_minutes", disabled=busy,
                                   help="Stop the search after this long; 0: no limit")
    pruner = st.radio("Pruner", PRUNERS, key="tune_pruner", horizontal=True, disabled=busy,
                      help="median: stop a trial whose score is below the median of earlier trials at the same "
                           "epoch; halving: successive halving (keep the best third at each rung); none")
    st.caption(f"Objective: the **{OBJECTIVES[kind][1]}** of each trial's network, maximised.")
with right:
    st.markdown("**Hyperparameters to search**")
    model = "autoencoder" if kind == "autoencoder" else base.arch
    ranges = [r for r in (range_inputs(name, f"tune_{model}_{name}", busy) for name in SEARCHABLE[model]) if r]

if form.button("Start the search", type="primary", disabled=busy):
    try:
        problem = start_search(st.session_state["tune_name"], base, ranges,
                               Budget(int(trials), int(epochs), float(minutes)), pruner)
    except ValueError as exc:
        problem = str(exc)
    if problem:
        form.error(f"Not started: {problem}.")
    else:
        st.rerun()

if search is None:
    shown.info("Tick the hyperparameters to search, set their ranges and the budget, and press **Start the search**.")
    st.stop()


# ------------------------------------------------------------------ the search, live and after
@st.fragment(run_every=1.0)
def live() -> None:
    if search.state != RUNNING:
        st.rerun()
    ended = sum(t.state != RUNNING for t in search.trials)
    st.progress(ended / search.budget.trials, text=f"{search.spec.name}: {ended} of {search.budget.trials} "
                f"trials ended, up to {search.parallel} at a time")
    st.button("Stop the search", on_click=search.stop,
              help="No more trials; the running ones stop and are saved as stopped runs")
    results()


def results() -> None:
    table = trials_table(search)
    objective = search.spec.objective
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={objective: st.column_config.NumberColumn(search.spec.objective_label,
                                                                         format=VALUE_FORMATS[search.spec.kind]),
                                "lr": st.column_config.NumberColumn(format="%.3g")})
    # Rebuilt when a trial ends (importances cost a model fit), not at every epoch of every viewer's page.
    stamp = (id(search), sum(t.state != RUNNING for t in search.trials))
    cached = st.session_state.get("tune_figures")
    if cached is None or cached[0] != stamp:
        cached = st.session_state["tune_figures"] = (stamp, study_figures(search.study, search.spec.objective_label))
    if cached[1]:
        for tab, (name, fig) in zip(st.tabs(list(cached[1])), cached[1].items()):
            tab.plotly_chart(fig, width="stretch", key=f"tune_fig_{name}")


with shown:
    if search.state == RUNNING:
        live()
        st.stop()
    if search.message:
        st.info(f"The search ended: {search.message}.")
    best = search.best()
    if best is None:
        st.warning("No trial finished, so there is no best one.")
        results()
        st.stop()
    cols = st.columns([2, 1, 1])
    cols[0].metric(f"Best: trial {best.number}", value_text(search.spec, best.value), help=search.spec.objective_label)
    cols[0].caption(best.name.split(": ", 1)[-1])
    page = "Train" if search.spec.kind == "classifier" else "Autoencoder"
    if cols[1].button(f"Open in {page}", width="stretch", help=f"The {page} page with this trial's settings"):
        open_trial(best, search.spec)
    if best.run_id and search.spec.kind == "classifier" and cols[2].button(
            "Use for OCR", width="stretch", help="Read photographed pages with this trial's network"):
        use_for_ocr(best.run_id)
    results()
