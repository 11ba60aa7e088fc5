"""Labelled articles: the label schema, reading and validating label files (with file:line for
every problem), corpus checks (near-duplicates, label give-aways), the train/validation/test split
and Label Studio conversion. Bottom layer: imports only tagger.paths."""
