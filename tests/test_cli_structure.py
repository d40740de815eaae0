"""The CLI's train takes --layers and --bidirectional, and the model file it writes has that structure."""

import json

from test_cli import TINY, cli

from lstm_vault import modelfile


def test_train_with_layers_and_bidirectional(tmp_path):
    out = tmp_path / "model.npz"
    proc = cli(*TINY, "--arch", "rnn", "--layers", "3", "--bidirectional", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["num_layers"] == 3 and result["bidirectional"] is True
    saved = modelfile.load(out)
    assert (saved.arch, saved.rnn.num_layers, saved.rnn.bidirectional) == ("rnn", 3, True)
    assert saved.readout_weight.shape[1] == 2 * 4  # both directions' h, concatenated
    proc = cli(*TINY, "--layers", "9")
    assert proc.returncode == 2 and "num_layers must be an integer in [1, 8]" in proc.stderr
    assert "Traceback" not in proc.stderr
