"""Batch scoring on Apache Spark: the same Tagger, loaded once per executor Python worker, applied
with mapInPandas. Reads Parquet or JSON Lines from any path Spark can read; writes Parquet.

spark-submit entry point (see README):
    spark-submit --py-files tagger.zip tagger/scoring/spark.py INPUT OUTPUT --model-dir DIR --tag TAG
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

_TAGGER = None  # one per executor Python worker process: loading per batch would dominate the cost


def _executor_tagger(model_name: str):
    global _TAGGER
    if _TAGGER is None:
        from pyspark import SparkFiles

        from tagger.engine.runtime import configure_threads
        from tagger.engine.tagger import Tagger

        configure_threads()
        _TAGGER = Tagger.load(SparkFiles.get(model_name))
    return _TAGGER


def output_schema(input_schema, schema):
    from pyspark.sql.types import ArrayType, DoubleType, StringType, StructField, StructType

    from tagger.scoring.job import kept_names, prediction_column_names

    names = ArrayType(StringType())
    kinds = {"topics": names, "framing": StringType(), "warnings": names, "model": StringType()}
    predicted = prediction_column_names(schema)
    written = [*predicted, "error"]
    names = kept_names(input_schema.fieldNames(), written)
    fields = [StructField(names[f.name], f.dataType, f.nullable) for f in input_schema.fields]
    fields += [StructField(c, kinds.get(c, DoubleType())) for c in predicted]
    return StructType([*fields, StructField("error", StringType())])


def make_scorer(model_name: str, model_tag: str, batch_rows: int = 64):
    def score_partition(frames):
        import pandas as pd

        from tagger.results.isolation import model_failure, predict_isolated
        from tagger.scoring.job import (
            kept_names,
            prediction_column_names,
            prediction_columns,
            row_error,
            with_warnings,
        )

        tagger = _executor_tagger(model_name)
        # a row without predictions gets nulls: a missing key would become NaN, which Arrow cannot
        # turn into a list and which failed the whole job
        blank = dict.fromkeys(prediction_column_names(tagger.schema))
        written = [*blank, "error"]  # input columns of these names are kept renamed, as output_schema
        for pdf in frames:
            for start in range(0, len(pdf), batch_rows):
                part = pdf.iloc[start : start + batch_rows]
                # pandas gives a missing value as NaN in some columns: None, as in the local engine
                records = part.astype(object).where(part.notna(), None).to_dict("records")
                errors = [row_error(r) for r in records]
                ok = [r for r, e in zip(records, errors) if e is None]
                articles = [{"id": r["id"], "text": r["text"], "title": r.get("title")} for r in ok]
                results = iter(zip(articles, predict_isolated(tagger.predict, articles)))
                extra = []
                for error in errors:
                    article, result = (None, None) if error else next(results)
                    if isinstance(result, Exception):
                        error, result = model_failure(result), None
                    cols = prediction_columns(with_warnings(article, result), model_tag) if result else blank
                    extra.append({**cols, "error": error})
                kept = part.rename(columns=kept_names(list(part.columns), written))  # as output_schema
                yield pd.concat([kept, pd.DataFrame(extra, index=part.index)], axis=1)

    return score_partition


def score_with_spark(
    input_path: str,
    output_path: str,
    model_dir: Path,
    model_tag: str,
    master: str | None = "local[*]",
    spark=None,
    overwrite: bool = False,
) -> tuple[int, int]:
    from pyspark.sql import SparkSession

    from tagger.data.schema import LabelSchema
    from tagger.engine.tagger import BUNDLE_FILE

    if str(input_path).lower().endswith(CSV_SUFFIXES):
        raise ValueError(not_csv(input_path))
    # Local mode: executors run this interpreter (and see this environment's packages).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    own = spark is None
    if own:
        builder = SparkSession.builder.appName("article-tagger-score")
        if master:
            builder = builder.master(master)
        spark = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate()
    try:
        import json

        fs, out = _hadoop_path(spark, str(output_path))
        if not overwrite and fs.exists(out):  # before any work, like tagger score's local engine
            raise ValueError(f"{output_path} already exists: pass --overwrite to replace it")
        schema = LabelSchema.from_dict(json.loads((Path(model_dir) / BUNDLE_FILE).read_text())["schema"])
        spark.sparkContext.addFile(str(model_dir), recursive=True)  # shipped once to every executor
        fmt = _input_format(spark, str(input_path))
        if fmt == "csv":  # read as JSON it would be one broken row per line
            raise ValueError(not_csv(input_path))
        df = spark.read.parquet(input_path) if fmt == "parquet" else spark.read.json(input_path)
        for col in ("id", "text"):
            if col not in df.columns:
                raise ValueError(f"{input_path}: no '{col}' column (columns: {', '.join(df.columns)})")
        if "title" not in df.columns:
            from pyspark.sql import functions as F

            df = df.withColumn("title", F.lit(None).cast("string"))
        scored = df.mapInPandas(
            make_scorer(Path(model_dir).name, model_tag), output_schema(df.schema, schema)
        )
        scored.write.mode("overwrite" if overwrite else "errorifexists").parquet(output_path)
        result = spark.read.parquet(output_path)
        return result.count(), result.filter(result["error"].isNotNull()).count()
    finally:
        if own:
            spark.stop()


CSV_SUFFIXES = (".csv", ".tsv")


def not_csv(path: str) -> str:
    return (
        f"{path}: Spark scoring reads Parquet or JSON Lines, not CSV; convert it, or score it with the "
        "local engine"
    )


def _input_format(spark, path: str) -> str:
    """'parquet' for a Parquet file by its suffix or a folder holding Parquet parts, 'csv' for a
    folder of CSV parts only, else 'json' (JSON Lines): folders are looked into through Spark's own
    file system (local, HDFS, s3a: whatever the path's scheme is)."""
    if path.endswith((".parquet", ".pq")):
        return "parquet"
    fs, folder = _hadoop_path(spark, path)
    if not fs.exists(folder) or not fs.getFileStatus(folder).isDirectory():
        return "json"
    names = [s.getPath().getName().lower() for s in fs.listStatus(folder)]
    data = [n for n in names if not n.startswith(("_", "."))]  # _SUCCESS, .crc files
    if any(n.endswith(".parquet") for n in data):
        return "parquet"
    csv_parts = [set(Path(n).suffixes) & set(CSV_SUFFIXES) for n in data]  # part-0.csv, part-0.csv.gz
    return "csv" if data and all(csv_parts) else "json"


def _hadoop_path(spark, path: str):
    """(file system, path) for a path in Spark's own file system (local, HDFS, s3a: its scheme's)."""
    p = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), p


def tag_of(model_dir: Path) -> str:
    """A stored model's tag from its folder in BentoML's store (<store>/models/<name>/<version>)."""
    return f"{model_dir.parent.name}:{model_dir.name}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score articles on Spark (spark-submit entry point)")
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument(
        "--model-dir", required=True, help="a stored model folder (tagger models / bentoml models get)"
    )
    ap.add_argument(
        "--tag", default=None, help="the model column's value (default: name:version of --model-dir)"
    )
    ap.add_argument("--overwrite", action="store_true", help="replace an existing output")
    args = ap.parse_args(argv)
    rows, failed = score_with_spark(
        args.input,
        args.output,
        Path(args.model_dir),
        args.tag or tag_of(Path(args.model_dir)),
        master=os.environ.get("SPARK_MASTER"),
        overwrite=args.overwrite,
    )
    print(f"scored {rows} rows into {args.output}")
    return 1 if failed_rows(failed) else 0


def failed_rows(failed: int) -> bool:
    """Said on stderr when rows failed (their `error` column says why): the exit code is then 1."""
    if failed:
        print(f"{failed} row(s) failed: their `error` column says why (e.g. missing 'text')", file=sys.stderr)
    return failed > 0


if __name__ == "__main__":
    raise SystemExit(main())
