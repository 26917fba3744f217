"""Smoke test of examples/module_gallery.py and tools/render_module_figures.py: every
model gets its three pictures, the shared parts show up as shared, and the committed
figures in docs/figures/ are what the script makes."""
import importlib.util
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "viz"))
from _dotparse import label_text, parse  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gallery = _load("examples/module_gallery.py", "module_gallery_example")
render = _load("tools/render_module_figures.py", "render_module_figures")


def _shared_titles(graph):
    """Title of each drawn call marked shared, with how many calls it has."""
    found = {}
    for attrs in list(graph.nodes.values()) + list(graph.subgraphs.values()):
        lines = label_text(attrs)
        if lines[-1].startswith("shared: call"):
            found.setdefault(lines[0], set()).add(lines[-1])
    return found


def test_gallery_draws_three_pictures_per_model(capsys):
    graphs, texts = gallery.figures()
    assert sorted(texts) == ["gan_summary.txt", "siamese_summary.txt",
                             "tied_autoencoder_summary.txt"]
    for model in ("siamese", "tied_autoencoder", "gan"):
        assert f"{model}_module_graph" in graphs and f"{model}_call_graph" in graphs
    siamese = parse(graphs["siamese_call_graph"].source)
    assert _shared_titles(siamese) == {
        "tower": {"shared: call 1 of 2", "shared: call 2 of 2"},
        "tower.layers[0]": {"shared: call 1 of 2", "shared: call 2 of 2"},
        "tower.layers[1]": {"shared: call 1 of 2", "shared: call 2 of 2"}}
    gan = parse(graphs["gan_call_graph"].source)
    assert set(_shared_titles(gan)) == {"discriminator", "discriminator.net"}
    # the tied decoder reaches the encoder's weights: one instance, two paths
    tied = parse(graphs["tied_autoencoder_module_graph"].source)
    assert sorted(a["label"] for _, a in tied.incoming("encoder")) == ["encoder",
                                                                       "tied_to"]
    lines = texts["siamese_summary.txt"].splitlines()
    tower = next(line.split() for line in lines if line.startswith("tower "))
    assert tower[:5] == ["tower", "MLP", "(16,", "8)", "2"]       # called twice
    gallery.main([])
    assert "Summary: GANStep 'gan_step'" in capsys.readouterr().out


def test_tied_decoder_uses_the_encoders_weights_transposed():
    model = gallery.TiedAutoEncoder(size=4, hidden=3, code=2)
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    out = model(x).numpy()
    w0, w1 = (layer.w.numpy() for layer in model.encoder.layers)
    b_hidden, b_out = (b.numpy() for b in model.decoder.biases)
    code = model.encoder(x).numpy()
    expected = np.maximum(code @ w1.T + b_hidden, 0) @ w0.T + b_out
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert len(model.trainable_variables) == 4 + 2        # encoder w, b x2 + 2 biases


def test_committed_figures_are_current():
    assert render.main(["--check"]) == 0
    figures = ROOT / "docs" / "figures"
    for stem in ("siamese", "tied_autoencoder", "gan"):
        for kind in ("module_graph", "call_graph"):
            assert (figures / f"{stem}_{kind}.png").read_bytes()[:4] == b"\x89PNG"
            assert b"<svg" in (figures / f"{stem}_{kind}.svg").read_bytes()
