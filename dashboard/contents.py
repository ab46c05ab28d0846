"""A long page's table of contents: a list of links at its top to its anchored section headers."""
from __future__ import annotations

import streamlit as st


def contents(sections: dict[str, str]) -> None:
    """Links to every section (anchor -> title), numbered, in a bordered box."""
    with st.container(border=True):
        st.markdown("**On this page**\n\n" + "\n".join(f"{i}. [{title}](#{anchor})"
                                                        for i, (anchor, title) in enumerate(sections.items(), 1)))


def section(sections: dict[str, str], anchor: str) -> None:
    """The header of one section, its anchor the one the contents link to."""
    st.header(sections[anchor], anchor=anchor, divider="gray")
