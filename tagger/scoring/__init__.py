"""Bulk scoring of files (JSON Lines, CSV, Parquet): resumable local jobs, the file formats, the
end-of-run summary, and the same job on Apache Spark. Imports tagger.engine and tagger.data."""
