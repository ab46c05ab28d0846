import streamlit as st

from dashboard import identity
from dashboard.figures import learning_curves
from dashboard.runs_view import may_manage, runs_table
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

percent = st.column_config.NumberColumn(format="percent")
event = st.dataframe(runs_table(runs, me), hide_index=True, on_select="rerun", selection_mode="multi-row",
                     width="stretch",
                     column_config={**{c: percent for c in ("test acc", "test letters", "test digits", "valid acc")},
                                    "valid PSNR": st.column_config.NumberColumn(format="%.2f dB")})
st.caption("Click column headers to sort; tick rows to compare their curves.")
chosen = [runs[i] for i in event.selection.rows]
if not chosen:
    identity.operator_sign_in()
    st.stop()

kinds = {r.kind for r in chosen}
loss_name = LOSS_NAMES[kinds.pop()] if len(kinds) == 1 else "each model's own"
st.plotly_chart(learning_curves({f"{r.name} ({r.id[-6:]})": r.history for r in chosen}, loss_name=loss_name),
                width="stretch")

single = chosen[0] if len(chosen) == 1 else None
manage = all(may_manage(r, me) for r in chosen)
share = not all(r.published for r in chosen)
actions = [a for a, applies in (
    ("download", single is not None and single.model_path.exists()),
    ("ocr", single is not None and single.kind == "classifier"),
    ("copy", single is not None and single.owner != me.owner),
    ("share", manage), ("delete", manage)) if applies]
for action, col in zip(actions, st.columns(max(4, len(actions)))):
    if action == "download":
        col.download_button("Download the model", single.model_path.read_bytes(), file_name=f"{single.id}.npz",
                            width="stretch")
    elif action == "ocr" and col.button("Use for OCR", width="stretch"):
        st.session_state["ocr_model_path"] = str(single.model_path)
        st.switch_page("app_pages/ocr.py")
    elif action == "copy" and col.button("Copy to your runs", width="stretch",
                                         help="A private copy of this shared run, yours to keep"):
        reg.copy(single.id, me.owner)
        st.rerun()
    elif action == "share" and col.button("Share" if share else "Stop sharing", width="stretch",
                                          help="Shared runs are shown, read-only, to every visitor"):
        for run in chosen:
            reg.publish(run.id, share, by=None if me.operator else me.owner)
        st.rerun()
    elif action == "delete" and col.button(f"Delete {len(chosen)} run(s)", width="stretch"):
        st.session_state["confirm_delete"] = [r.id for r in chosen]
if st.session_state.get("confirm_delete"):
    ids = st.session_state["confirm_delete"]
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
identity.operator_sign_in()
