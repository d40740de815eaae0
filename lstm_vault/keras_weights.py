"""A Keras LSTM's weights in torch's layout: Keras and torch both compute one pre-activation per gate block.

Keras: ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`` with kernel (I, 4H), recurrent_kernel (H, 4H),
bias (4H,), split into i, f, c, o: the same order as torch's i, f, g, o (c is torch's candidate g). So
``weight_ih = kernel.T``, ``weight_hh = recurrent_kernel.T``, ``bias_ih = bias``, ``bias_hh = 0``.
The weights cannot tell the gates' ``recurrent_activation`` (sigmoid, or older Keras's hard_sigmoid): the
export snippet records it, or the user is asked. Files are read by ``lstm_vault.importers``; this module
checks arrays and converts them. NumPy only.
"""

from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np

from lstm_vault import modelfile, models
from lstm_vault.state_dicts import ModelImportError, summarize

KERAS_EXPORT_SNIPPET = """\
import numpy as np
kernel, recurrent_kernel, bias = layer.get_weights()  # layer: your keras.layers.LSTM, e.g. model.layers[0]
np.savez("lstm.npz", kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias,
         recurrent_activation=layer.recurrent_activation.__name__)"""


KERAS_MEMBERS = ("kernel", "recurrent_kernel", "bias", "recurrent_activation", "activation")
KERAS_DENSE = ("dense_kernel", "dense_bias")  # optional: a Dense read-out, kernel (H, O) and bias (O,)
RECURRENT_ACTIVATIONS = ("sigmoid", "hard_sigmoid")  # what a Keras user is asked when the file does not say


def keras_arrays(data: bytes, max_bytes: int | None = None) -> tuple[dict, str | None]:
    """The checked arrays of a Keras export's bytes and the recurrent_activation it records (None: not
    recorded).

    Everything but the recurrent_activation's answer is checked here: members, dtypes, shapes, ``activation``
    (tanh only), a recorded ``hard_sigmoid``.
    """
    if not data.startswith(b"PK"):
        raise ModelImportError("not an .npz archive: save the weights with np.savez (see the export snippet)")
    modelfile.zip_infos(data, max_bytes, "the Keras .npz file", ModelImportError)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (  # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
        ValueError,
        OSError,
        EOFError,
        RuntimeError,
        NotImplementedError,
        zipfile.BadZipFile,
        zlib.error,
    ) as error:
        raise ModelImportError(
            f"the .npz cannot be read without unpickling or is corrupt ({error})"
        ) from None
    unknown = sorted(set(arrays) - set(KERAS_MEMBERS) - set(KERAS_DENSE))
    if unknown or "kernel" not in arrays or "recurrent_kernel" not in arrays:
        raise ModelImportError(
            "a Keras LSTM export holds kernel, recurrent_kernel and bias (and optionally "
            f"recurrent_activation); this file holds {summarize(arrays)}"
        )
    recorded = {
        field: str(arrays[field].reshape(-1)[0]) if arrays[field].size else ""
        for field in ("recurrent_activation", "activation")
        if field in arrays
    }
    if recorded.get("activation", "tanh") != "tanh":
        raise ModelImportError(
            f"activation={recorded['activation']!r} is not supported: this app's LSTM uses activation='tanh'"
        )
    if "recurrent_activation" in recorded:
        _check_recurrent_activation(recorded["recurrent_activation"])
    kernel, recurrent = arrays["kernel"], arrays["recurrent_kernel"]
    if kernel.dtype.kind != "f" or recurrent.dtype.kind != "f" or recurrent.ndim != 2 or kernel.ndim != 2:
        raise ModelImportError(f"kernel and recurrent_kernel must be 2-D floats; found {summarize(arrays)}")
    H, I = recurrent.shape[0], kernel.shape[0]
    bias = arrays.get("bias", np.zeros(4 * H))
    if recurrent.shape != (H, 4 * H) or kernel.shape != (I, 4 * H) or bias.shape != (4 * H,):
        raise ModelImportError(
            f"shapes do not fit a Keras LSTM (kernel (I, 4H), recurrent_kernel (H, 4H), bias (4H,)): "
            f"found {summarize(arrays)}"
        )
    if bias.dtype.kind != "f":
        raise ModelImportError(f"bias must hold floats, found {bias.dtype}")
    if H > models.MAX_HIDDEN:
        raise ModelImportError(f"hidden size {H} is over this app's limit of {models.MAX_HIDDEN}")
    if "dense_kernel" in arrays:
        dense = arrays["dense_kernel"]
        if dense.ndim != 2 or dense.shape[0] != H or dense.dtype.kind != "f":
            raise ModelImportError(
                f"dense_kernel must be floats of shape (H, O) = ({H}, O), got {dense.shape}"
            )
        dense_bias = arrays.get("dense_bias", np.zeros(dense.shape[1]))
        if dense_bias.shape != (dense.shape[1],) or dense_bias.dtype.kind != "f":
            raise ModelImportError(
                f"dense_bias must be floats of shape ({dense.shape[1]},), got {dense_bias.shape}"
            )
    elif "dense_bias" in arrays:
        raise ModelImportError("the file holds dense_bias but no dense_kernel")
    return arrays, recorded.get("recurrent_activation")


def _check_recurrent_activation(name: str) -> None:
    if name != "sigmoid":
        extra = " (a piecewise-linear gate, not the sigmoid)" if name == "hard_sigmoid" else ""
        raise ModelImportError(
            f"recurrent_activation={name!r}{extra} is not supported: this app's LSTM uses "
            "recurrent_activation='sigmoid'"
        )


def keras_facts(arrays: dict, recorded: str | None) -> list[tuple[str, str]]:
    """(what, value) rows for the confirm form, from the shapes of :func:`keras_arrays`'s checked arrays."""
    I, H = arrays["kernel"].shape[0], arrays["recurrent_kernel"].shape[0]
    dense = arrays.get("dense_kernel")
    return [
        ("Architecture", f"Keras LSTM: kernel {(I, 4 * H)} = (I, 4H), 4 blocks (i, f, c, o)"),
        ("Input size", f"{I} number{'s' if I != 1 else ''} per step (rows of kernel)"),
        ("Hidden size", str(H)),
        ("Layers", "1"),
        ("Bidirectional", "no"),
        ("Bias", "yes" if "bias" in arrays else "no (use_bias=False): converted with zero biases"),
        (
            "Read-out",
            f"Dense from {H} to {dense.shape[1]}" if dense is not None else "none (no dense_kernel)",
        ),
        (
            "recurrent_activation",
            f"{recorded} (recorded in the file)" if recorded else "not recorded: the weights cannot tell",
        ),
    ]


def keras_model(arrays: dict, recorded: str | None, recurrent_activation: str | None):
    """(NumPy LSTM, read-out weight (O, H), read-out bias (O,), source metadata) from the checked arrays of
    :func:`keras_arrays`, once the recurrent_activation is known: ``recorded`` (the file's) or the user's
    answer ``recurrent_activation``; ModelImportError when neither says, when they differ, or for
    hard_sigmoid."""
    if recorded is not None and recurrent_activation is not None and recorded != recurrent_activation:
        raise ModelImportError(
            f"the file records recurrent_activation={recorded!r}, not {recurrent_activation!r} as given"
        )
    activation = recorded or recurrent_activation
    if activation is None:
        raise ModelImportError(
            "the file does not record the LSTM's recurrent_activation and its weights cannot tell: say which "
            f"({' or '.join(RECURRENT_ACTIVATIONS)}; the export snippet records it)"
        )
    _check_recurrent_activation(activation)
    kernel, recurrent = arrays["kernel"], arrays["recurrent_kernel"]
    H, I = recurrent.shape[0], kernel.shape[0]
    bias = arrays.get("bias", np.zeros(4 * H))
    rnn = models.LSTM(I, H)
    try:
        rnn.load_params(
            {
                "weight_ih_l0": kernel.T.astype(np.float64),
                "weight_hh_l0": recurrent.T.astype(np.float64),
                "bias_ih_l0": bias.astype(np.float64),
                "bias_hh_l0": np.zeros(4 * H),
            }
        )
    except ValueError as error:
        raise ModelImportError(str(error)) from None
    weight, out_bias = np.zeros((0, H)), np.zeros(0)
    if "dense_kernel" in arrays:
        weight = np.asarray(arrays["dense_kernel"], dtype=np.float64).T
        out_bias = np.asarray(arrays.get("dense_bias", np.zeros(len(weight))), dtype=np.float64)
    source = {
        "format": "keras npz",
        "recurrent_activation": "sigmoid",
        "readout": "dense" if len(weight) else None,
    }
    return rnn, weight, out_bias, source
