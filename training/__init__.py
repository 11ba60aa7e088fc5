"""Training reruns: config, data, fit, calibrate, evaluate, report, registry."""
