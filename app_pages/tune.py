from dataclasses import replace

import streamlit as st

from dashboard.training_view import dataset_select, datasets_offered
from dashboard.tune_view import KINDS, STARTS, describe_base, my_search, range_inputs, show_search, start_search
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
with shown:
    show_search(search)
