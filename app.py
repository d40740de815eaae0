"""Placeholder home page until the real app lands; the browser tests only need it to run."""

import streamlit as st

st.title("lstm_vault")
