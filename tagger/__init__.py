"""article-tagger: tags news articles about the Pakistan–Bangladesh rapprochement with their topics
and framing.

The package, bottom to top (a layer imports only the layers below it):
    tagger.paths     where the project's files are
    tagger.data      labelled articles: schema, label files, checks, splits
    tagger.engine    encoder, network, windows, the fitted Tagger, precision, model registry
    tagger.results   what a caller gets back for an article (evidence, warnings, validation)
    tagger.scoring   bulk scoring of files, locally or on Spark
    tagger.cli       the `tagger` command
`training` (fitting a Tagger) sits above engine; `service` (BentoML) above results.

The public names below are imported on first use, so `import tagger` stays light.
"""

from importlib import import_module

_EXPORTS = {
    "Tagger": "tagger.engine.tagger",  # network + tokenizer + schema + decision rules
    "TaggerNetwork": "tagger.engine.network",  # the nn.Module
    "Registry": "tagger.engine.registry",  # the model store, and which model is promoted
    "Annotator": "tagger.results.annotate",  # labels + evidence + warnings per article
    "LabelSchema": "tagger.data.schema",
    "Article": "tagger.data.records",
    "load_labelled": "tagger.data.corpus",
    "ScoreJob": "tagger.scoring.job",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tagger' has no attribute {name!r}")
