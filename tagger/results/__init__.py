"""What a caller gets back for an article: labels with calibrated scores, supporting evidence
sentences, warnings, and the request checks behind them. Imports tagger.engine and tagger.data."""
