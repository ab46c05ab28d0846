import streamlit as st

from dashboard import identity
from dashboard.figures import learning_curves
from dashboard.runs_view import action_bar, compare_view, delete_confirmation, run_label, runs_columns, runs_table
from dashboard.state import registry
from dashboard.training_view import LOSS_NAMES

st.title("Runs")
reg = registry()
if reg is None:
    st.stop()
me = identity.current()
st.caption("Your runs are yours alone: others see only those you share, and cannot change them. "
           + ("As an operator you see and manage every run." if me.operator else ""))
runs = reg.list() if me.operator else reg.list(visible_to=me.owner)
if not runs:
    st.info("No runs yet: every run trained on the Train page (finished, stopped or diverged) is saved here.")
    identity.operator_sign_in()
    st.stop()

event = st.dataframe(runs_table(runs, me), hide_index=True, on_select="rerun", selection_mode="multi-row", key="runs",
                     width="stretch", column_config=runs_columns())
st.caption("Click column headers to sort; tick rows to compare them.")
chosen = [runs[i] for i in event.selection.rows]
action_bar(reg, chosen, me)
delete_confirmation(reg, me)
if chosen:
    kinds = {r.kind for r in chosen}
    loss_name = LOSS_NAMES[kinds.pop()] if len(kinds) == 1 else "each model's own"
    st.plotly_chart(learning_curves({run_label(r): r.history for r in chosen}, loss_name=loss_name),
                    width="stretch")
    compare_view(chosen)
identity.operator_sign_in()
