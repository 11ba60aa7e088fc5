"""The inference engine: the pretrained encoder, the network, token windows, the fitted Tagger
bundle with its decision rules, precision choices (bf16, int8) and the model registry. Imports
tagger.data (and tagger.paths) only."""
