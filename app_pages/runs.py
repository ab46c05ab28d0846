import datetime as dt

import pandas as pd
import streamlit as st

from dashboard.figures import learning_curves
from dashboard.state import registry
from dashboard.training_view import LOSS_NAMES

st.title("Runs")
reg = registry()
if reg is None:
    st.stop()
runs = reg.list()
if not runs:
    st.info("No runs yet: every run trained on the Train page (finished, stopped or diverged) is saved here.")
    st.stop()

table = pd.DataFrame([{
    "date": dt.datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M"),
    "name": r.name, "status": r.status, "dataset": r.settings.get("dataset", ""),
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
percent = st.column_config.NumberColumn(format="percent")
event = st.dataframe(table, hide_index=True, on_select="rerun", selection_mode="multi-row", width="stretch",
                     column_config={**{c: percent for c in ("test acc", "test letters", "test digits", "valid acc")},
                                    "valid PSNR": st.column_config.NumberColumn(format="%.2f dB")})
st.caption("Click column headers to sort; tick rows to compare their curves.")
chosen = [runs[i] for i in event.selection.rows]
if not chosen:
    st.stop()

kinds = {r.kind for r in chosen}
loss_name = LOSS_NAMES[kinds.pop()] if len(kinds) == 1 else "each model's own"
st.plotly_chart(learning_curves({f"{r.name} ({r.id[-6:]})": r.history for r in chosen}, loss_name=loss_name),
                width="stretch")

if len(chosen) == 1:
    run = chosen[0]
    cols = st.columns(3)
    if run.model_path.exists():
        cols[0].download_button("Download the model", run.model_path.read_bytes(), file_name=f"{run.id}.npz",
                                width="stretch")
    if run.kind == "classifier" and cols[1].button("Use for OCR", width="stretch"):
        st.session_state["ocr_model_path"] = str(run.model_path)
        st.switch_page("app_pages/ocr.py")
else:
    cols = st.columns(3)
if cols[2].button(f"Delete {len(chosen)} run(s)", type="secondary", width="stretch"):
    st.session_state["confirm_delete"] = [r.id for r in chosen]
if st.session_state.get("confirm_delete"):
    ids = st.session_state["confirm_delete"]
    st.warning(f"Delete {len(ids)} run(s) and their model files for good?")
    yes, no = st.columns(2)
    if yes.button("Yes, delete", type="primary"):
        for run_id in ids:
            reg.delete(run_id)
        del st.session_state["confirm_delete"]
        st.rerun()
    if no.button("Cancel"):
        del st.session_state["confirm_delete"]
        st.rerun()
