"""article-tagger: tags South Asian news articles with topics and framing."""

__version__ = "0.1.0"
