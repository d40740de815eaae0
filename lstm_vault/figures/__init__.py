"""Pure plotly figure builders: data in, ``plotly.graph_objects.Figure`` out.

No builder shows, saves or reads widgets; pages only place the figures they return
(``st.plotly_chart(fig)``) and tests read the numbers back from ``fig.to_plotly_json()``.
No WebGL traces (``scattergl``, ``heatmapgl``): the app must draw without a GPU.

Modules: :mod:`.style` (colours and layout shared by every figure), :mod:`.cell` (the cell
step-through), :mod:`.gradients` (vanishing gradients), :mod:`.training` (loss curves,
predictions).
"""
