"""Streamlit helpers shared by the pages (a package, so Streamlit does not list these modules as pages)."""
