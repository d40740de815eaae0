"""The app's pages, declared once, and the sidebar that links them.

Streamlit finds the pages by itself: ``app.py`` is the home page and every file in ``pages/`` is a page
whose address is its name without the number (``pages/1_Step_through.py`` -> ``/Step_through``). Its
own sidebar would label them by file name ("app" for home), so ``.streamlit/config.toml`` hides it
(``client.showSidebarNavigation = false``) and every page calls :func:`sidebar` first thing, which
draws :data:`PAGES` as ``st.page_link`` s with their real names. Public API only, and the same on a
fresh server whichever address the first visitor opens (a browser test checks that).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st


@dataclass(frozen=True)
class Page:
    """One page of the app."""

    path: str  # the script, relative to the repository root
    label: str  # its name in the sidebar and on the home page
    icon: str  # a Material icon
    blurb: str = ""  # what it is for, on the home page's card
    example: dict = field(default_factory=dict)  # link parameters of the home page's example view


HOME = Page("app.py", "Home", ":material/home:")
PAGES = (
    Page(
        "pages/1_Step_through.py",
        "Step through",
        ":material/search:",
        "Feed a sequence to an LSTM and move through time: the drawn cell shows one unit's numbers at each "
        "step, plain sentences say what every gate did, and a timeline shows all units at once. Set the gate "
        "biases by hand and watch cause and effect.",
        # a spike written by an open input gate, then held by the forget gate alone (h cut out: hh = 0)
        {"preset": "impulse", "H": "4", "bf": "4", "bi": "4", "scale": "3", "hh": "0", "unit": "1", "t": "6"},
    ),
    Page(
        "pages/2_Vanishing_gradients.py",
        "Vanishing gradients",
        ":material/trending_down:",
        "Follow the gradient backwards through time in a plain RNN and an LSTM: see how fast it fades, and "
        "how forget gates held near 1 let the LSTM carry it.",
    ),
    Page(
        "pages/3_Train.py",
        "Train",
        ":material/model_training:",
        "Train an LSTM, a GRU and a plain RNN side by side on a memory task, then open the trained model in "
        "the other pages.",
    ),
    Page(
        "pages/4_Reading_the_memory.py",
        "Reading the memory",
        ":material/menu_book:",
        "Colour a text by one unit of a trained model and find the units that track something: an open "
        "bracket, the position in a line. See how often each gate is shut or open, and let the model write.",
    ),
    Page(
        "pages/5_Architectures_compared.py",
        "LSTM, GRU and RNN compared",
        ":material/compare_arrows:",
        "The same input through an LSTM, a GRU, a plain RNN, a stacked and a bidirectional LSTM: step "
        "through them together, count their parameters and see whose gradient fades fastest.",
    ),
    Page(
        "pages/6_Spotting_anomalies.py",
        "Spotting anomalies",
        ":material/crisis_alert:",
        "A trained LSTM forecasts a real series one step ahead; where it misses by much more than usual, "
        "it raises a flag. Move the threshold, plant spikes, level shifts and dropouts: which does it catch?",
    ),
)


#: less empty space above every page's title, so a 1366x768 laptop sees more of the page at once
COMPACT_TOP = "<style>[data-testid='stMainBlockContainer'] {padding-top: 2.5rem;}</style>"


def sidebar() -> None:
    """The app's navigation at the top of the sidebar: Home and every page, by name (and the compact top
    padding every page shares)."""
    st.html(COMPACT_TOP)
    with st.sidebar:
        for page in (HOME, *PAGES):
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.divider()
