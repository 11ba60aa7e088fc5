"""Bulk scoring of files (JSON Lines, CSV, Parquet): resumable local jobs, the file formats, the
end-of-run summary, the same job on Apache Spark, and what the workbench does with scored files
(uploads, charts, which articles to label next)."""
