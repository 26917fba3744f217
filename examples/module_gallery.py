"""Three models drawn three ways: module graph, call graph and summary.

* a Siamese network: one tower called on both inputs (a layer shared by calls),
* a tied auto-encoder: the decoder reuses the encoder's weights transposed
  (variables shared by modules),
* the GAN of examples/gan.py: the discriminator judges real and generated
  samples in one step (called twice), the generator feeds it.

``mtf.viz.module_graph`` shows what each model *holds* (attributes, shared
instances); ``mtf.viz.call_graph`` what one call *does* (which call feeds
which, shared modules in one colour); ``mtf.viz.summary`` tabulates both.

    python examples/module_gallery.py [--out DIR]      # prints the summaries, writes figures
"""
import argparse
import importlib.util
import pathlib

import numpy as np

import minitf as mtf

_GAN_PATH = pathlib.Path(__file__).resolve().parent / "gan.py"


def _load_gan():
    """examples/gan.py as a module (its Generator and Discriminator)."""
    spec = importlib.util.spec_from_file_location("gan_example", _GAN_PATH)
    gan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gan)
    return gan


gan = _load_gan()


class Siamese(mtf.Module):
    """Embeds two inputs with one tower and scores how alike they are."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.tower = mtf.layers.MLP([16, 8], name="tower")
            self.head = mtf.layers.Linear(1, name="head")

    @mtf.Module.with_name_scope
    def __call__(self, left, right):
        distance = mtf.abs(self.tower(left) - self.tower(right))
        return self.head(distance)


class TiedDecoder(mtf.Module):
    """Runs an encoder MLP backwards with its weights transposed; owns only biases."""

    def __init__(self, encoder, output_size, name=None):
        super().__init__(name=name)
        self.tied_to = encoder
        self.output_size = output_size

    @mtf.Module.with_name_scope
    def __call__(self, code):
        layers = self.tied_to.layers
        if not hasattr(self, "biases"):
            sizes = [layer.input_size for layer in layers]
            self.biases = [mtf.Variable(np.zeros(n, code.dtype), name=f"b_{i}")
                           for i, n in enumerate(reversed(sizes))]
        x = code
        for i, (layer, b) in enumerate(zip(reversed(layers), self.biases)):
            x = mtf.matmul(x, mtf.transpose(layer.w)) + b
            if i < len(layers) - 1:
                x = mtf.nn.relu(x)
        return x


class TiedAutoEncoder(mtf.Module):
    """x -> encoder -> code -> decoder (the encoder's weights, transposed) -> x."""

    def __init__(self, size=8, hidden=6, code=3, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.encoder = mtf.layers.MLP([hidden, code], name="encoder")
            self.decoder = TiedDecoder(self.encoder, size, name="decoder")

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return self.decoder(self.encoder(x))


class GANStep(mtf.Module):
    """The forward half of a GAN step: the discriminator's logits on real and fake."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.generator = gan.Generator()
        self.discriminator = gan.Discriminator()

    def __call__(self, real, noise):
        fake = self.generator(noise)
        return self.discriminator(real), self.discriminator(fake)


def models():
    """``{name: (model, example inputs, call_graph options, module_graph options)}``."""
    rng = np.random.default_rng(0)
    batch = 16
    return {
        "siamese": (Siamese(), (rng.normal(size=(batch, 10)).astype(np.float32),
                                rng.normal(size=(batch, 10)).astype(np.float32)),
                    {"max_depth": None}, {}),
        "tied_autoencoder": (TiedAutoEncoder(),
                             (rng.normal(size=(batch, 8)).astype(np.float32),),
                             {"max_depth": None}, {}),
        "gan": (GANStep(), (rng.normal(4.0, 1.25, (batch, 1)).astype(np.float32),
                            rng.normal(size=(batch, gan.NOISE_DIM)).astype(np.float32)),
                {"max_depth": 2, "rankdir": "LR"}, {"rankdir": "LR"}),
    }


def figures():
    """``({stem: graph}, {file name: text})`` for every model; summaries come first
    (the summary's call builds the lazy layers the module graph then shows)."""
    graphs, texts = {}, {}
    for name, (model, inputs, options, structure) in models().items():
        table = mtf.viz.summary(model, *inputs)
        texts[f"{name}_summary.txt"] = str(table) + "\n"
        graphs[f"{name}_module_graph"] = mtf.viz.module_graph(model, **structure)
        graphs[f"{name}_call_graph"] = mtf.viz.call_graph(model, *inputs, **options)
    return graphs, texts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None,
                        help="directory for the .gv/.svg/.png figures (default: none)")
    args = parser.parse_args(argv)
    graphs, texts = figures()
    for text in texts.values():
        print(text)
    if args.out:
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for stem, graph in graphs.items():
            (out / f"{stem}.gv").write_text(graph.source, encoding="utf-8")
            for fmt in ("svg", "png"):
                (out / f"{stem}.{fmt}").write_bytes(graph.pipe(format=fmt))
        for name, text in texts.items():
            (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {len(graphs)} graphs and {len(texts)} summaries to {out}")


if __name__ == "__main__":
    main()
