"""The model upload panel of the Train and Step through pages: this app's model files, torch state dicts and
Keras LSTM exports, in one ``st.file_uploader``.

``lstm_vault.importers.inspect_file`` tells the three apart by content (never by the file's name). A model
file becomes the session's model at once. A torch state dict (read with ``torch.load(weights_only=True)``
only) or a Keras export first shows what its weights say, in a form that asks what they cannot tell: which
recurrent module when there are several, an ``nn.RNN``'s tanh or relu, a Keras ``recurrent_activation`` the
file does not record. **Use this model** makes it the session's model.

Every decision is the library's or one of the plain functions here (:func:`read_upload`, :func:`confirm`,
:func:`source_text`: bytes and answers in, a model or a message out); the callbacks store their results
before the page runs, so every part of the page sees the new model. Nothing raises to the page: a refusal is
an ``st.error`` naming what was found, shown while the file is in the box, and the session's model stays.
torch is imported only when a torch file is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from lstm_vault import importers, modelfile
from lstm_vault.importers import Inspection, ModelImportError

UPLOAD_TYPES = ["npz", "pt", "pth"]
STEP_THROUGH = "pages/1_Step_through.py"
LABEL = "Upload a model: this app's .npz, a torch state dict (.pt, .pth) or a Keras LSTM's .npz"
HELP = (
    "A torch model: save its weights with `torch.save(model.state_dict(), 'model.pt')` (state dicts only: "
    "a pickled module is refused, because unpickling can run code). A Keras LSTM: the three-line export in "
    "the README's section *Your own model*."
)
NONLINEARITIES = ("tanh", "relu")
# the answers' widget keys and the panel's records, after the uploader's key
MODULE, NONLINEARITY, ACTIVATION = "_module", "_nonlinearity", "_activation"
PENDING, ERROR, DONE = "_pending", "_error", "_done"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>$~|#])")


@dataclass(frozen=True)
class Pending:
    """An upload waiting for the user to confirm what its weights say."""

    name: str  # the file's name, as uploaded
    found: Inspection  # kind "torch" or "keras"


def md(text: str) -> str:
    """``text`` shown as it is by Streamlit's Markdown (a file's or a module's name may hold ``_``, ``$``)."""
    return _MARKDOWN.sub(r"\\\1", text)


def read_upload(name: str, data: bytes) -> tuple[Inspection | None, str | None]:
    """(what the file holds, None), or (None, "<name>: why it is refused")."""
    try:
        return importers.inspect_file(data), None
    except (ModelImportError, modelfile.ModelFileError) as error:
        return None, f"{name}: {error}"
    except MemoryError:
        return None, f"{name}: not enough memory to read this file"
    except importers.UNREADABLE as error:  # odd bytes that a reader failed on without naming them
        return None, f"{name}: could not read this file ({type(error).__name__}: {error})"


def confirm(
    name: str,
    found: Inspection,
    module: str | None = None,
    nonlinearity: str | None = None,
    recurrent_activation: str | None = None,
) -> tuple[modelfile.SavedModel | None, str | None]:
    """(the model, None) with the user's answers, or (None, "<name>: why not"), e.g. relu, hard_sigmoid."""
    try:
        return found.build(module, nonlinearity, recurrent_activation), None
    except ModelImportError as error:
        return None, f"{name}: {error}"


def source_text(name: str, found: Inspection, saved: modelfile.SavedModel) -> str:
    """Where the model came from, after "Loaded": "uploaded lstm.pt (torch state dict, module rnn)"."""
    if found.kind == "torch":
        return f"uploaded {name} (torch state dict, module {saved.meta['source']['module']})"
    if found.kind == "keras":
        return f"uploaded {name} (Keras LSTM weights)"
    return f"uploaded {name}"


def model_line(saved: modelfile.SavedModel) -> str:
    """The model in a few words: "LSTM, input size 3, hidden size 5, 2 layers, read-out to 1 output"."""
    rnn = saved.rnn
    parts = [rnn.arch.upper(), f"input size {rnn.input_size}", f"hidden size {rnn.hidden_size}"]
    parts.append(f"{rnn.num_layers} layer{'s' if rnn.num_layers > 1 else ''}")
    if rnn.bidirectional:
        parts.append("bidirectional")
    O = saved.readout_weight.shape[0]
    parts.append(f"read-out to {O} output{'s' if O > 1 else ''}" if O else "no read-out")
    return ", ".join(parts)


# ------------------------------------------------------------------------------------------------
# callbacks: they run before the page, so the whole page sees their result


def _answers_reset(key: str) -> None:
    for suffix in (MODULE, NONLINEARITY, ACTIVATION):
        st.session_state.pop(key + suffix, None)


def _use(key: str, on_model: Callable, name: str, found: Inspection, saved) -> None:
    source = source_text(name, found, saved)
    try:
        on_model(source, saved)
    except (ValueError, TypeError, KeyError, OSError, MemoryError) as failure:  # the page's own use of it
        st.session_state[key + ERROR] = (
            f"{name}: could not load this file ({type(failure).__name__}: {failure})"
        )
        return
    st.session_state[key + PENDING] = None
    st.session_state[key + DONE] = f"Loaded {source}: {model_line(saved)}."


def _on_upload(key: str, on_model: Callable) -> None:
    s = st.session_state
    s[key + PENDING] = s[key + ERROR] = s[key + DONE] = None
    _answers_reset(key)
    upload = s.get(key)
    if upload is None:
        return
    found, s[key + ERROR] = read_upload(upload.name, upload.getvalue())
    if found is None:
        return
    if found.kind == "model":
        _use(key, on_model, upload.name, found, found.saved)
    else:
        s[key + PENDING] = Pending(upload.name, found)


def _on_confirm(key: str, on_model: Callable) -> None:
    s = st.session_state
    pending: Pending | None = s.get(key + PENDING)
    if pending is None:
        return
    answers = (s.get(key + MODULE), s.get(key + NONLINEARITY), s.get(key + ACTIVATION))
    saved, s[key + ERROR] = confirm(pending.name, pending.found, *answers)
    if saved is not None:
        _use(key, on_model, pending.name, pending.found, saved)


# ------------------------------------------------------------------------------------------------
# layout


def _confirm_form(key: str, pending: Pending, on_model: Callable) -> None:
    found = pending.found
    with st.form(key + "_form"):
        st.markdown(f"**{md(pending.name)}**: what its weights say")
        if found.kind == "torch":
            if found.state.note:
                st.caption(md(found.state.note))
            for problem in found.problems:
                st.warning(md(f"Cannot be converted: {problem}"))
            for candidate in found.convertible:
                st.table([[what, md(value)] for what, value in found.facts(candidate)], hide_header=True)
                st.caption(md(candidate.note))
            if len(found.convertible) > 1:
                names = [c.name for c in found.convertible]
                st.radio("Which recurrent module?", names, key=key + MODULE)
            if found.asks_nonlinearity:
                st.radio(
                    "The nn.RNN's nonlinearity (its weights cannot tell; relu is not supported here)",
                    NONLINEARITIES, index=None, key=key + NONLINEARITY, horizontal=True,
                )  # fmt: skip
            st.caption(
                "batch_first changes no weight, so it does not matter here: the pages read one sequence at "
                "a time."
            )
        else:
            st.table([[what, md(value)] for what, value in found.facts()], hide_header=True)
            if found.asks_recurrent_activation:
                st.radio(
                    "The gates' recurrent_activation (its weights cannot tell; hard_sigmoid, the default of "
                    "older Keras versions, is not supported here)",
                    importers.RECURRENT_ACTIVATIONS, index=None, key=key + ACTIVATION, horizontal=True,
                )  # fmt: skip
        st.form_submit_button(
            "Use this model", type="primary", on_click=_on_confirm, args=(key, on_model),
            icon=":material/check:",
        )  # fmt: skip


def panel(key: str, on_model: Callable, say_done: bool = True, link: bool = False) -> None:
    """The uploader where the caller is, its confirm form and its messages.

    key: the uploader's session key (the panel's records and answers are kept under keys that start with
    it); on_model(source, saved): makes ``saved`` the session's model (ValueError, TypeError, KeyError,
    OSError or MemoryError from it are shown as the file's error); say_done: show "Loaded ..." (a page that
    says it itself passes False); link: after a load, a link to Step through.
    """
    upload = st.file_uploader(
        LABEL, type=UPLOAD_TYPES, key=key, on_change=_on_upload, args=(key, on_model), help=HELP,
        max_upload_size=modelfile.MAX_FILE_BYTES // 2**20,
    )  # fmt: skip
    s = st.session_state
    if upload is None:  # an emptied box forgets the file (a state dict can be large) and its messages
        s[key + PENDING] = s[key + ERROR] = s[key + DONE] = None
        return
    if s.get(key + ERROR):
        st.error(md(s[key + ERROR]))
    if s.get(key + PENDING) is not None:
        _confirm_form(key, s[key + PENDING], on_model)
    if s.get(key + DONE):
        if say_done:
            st.success(md(s[key + DONE]))
        if link:
            st.page_link(STEP_THROUGH, label="Step through it", icon=":material/search:")
