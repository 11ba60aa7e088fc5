"""Training reruns: config, data, fit, calibrate, evaluate, report, promotion (the model registry
itself is tagger/engine/registry.py)."""
