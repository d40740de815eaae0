"""Baseline for bench_slider.py: the cheapest page with one slider, so latency ratios have a floor."""

import streamlit as st

value = st.slider("timestep", min_value=0, max_value=200, value=0)
st.write(f"value: {value}")
