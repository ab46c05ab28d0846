"""Streamlit-side helpers: cached loaders, figures, widgets and session state."""
