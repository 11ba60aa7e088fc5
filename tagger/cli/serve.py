"""`tagger serve`: the main job. Trains the config's model when none is promoted, then serves it."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from tagger.cli.options import add_config_flag, config_name, warn_if_outdated
from training.config import RunConfig, load_config

SERVICE = "service.service:TaggerService"
RESULT_STORE_ENV = "BENTOML_RESULT_STORE"  # where BentoML keeps async task results


def add_parsers(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the promoted model over REST (training one first if needed)",
        description="Serve the config's promoted model over REST and the workbench on http://HOST:PORT/ "
        "(Swagger UI at /docs), training one first if none is promoted.",
        epilog="environment: TAGGER_API_TOKEN (bearer token every call needs; off by default), "
        "TAGGER_MODEL (serve this model tag instead of the promoted one), TAGGER_BACKEND "
        "(auto, torch or openvino), TAGGER_INT8=1 (int8 matmuls, on CPUs with VNNI or AMX), "
        "TAGGER_MAX_PENDING (articles waiting before calls are answered 503), TAGGER_FEEDBACK_FILE "
        "(where workbench corrections go), TAGGER_HOME (the project folder).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this machine only)")
    serve.add_argument("--port", type=port_number, default=3000, help="default: 3000")
    add_config_flag(
        serve, "its promoted model is served (accurate: article-tagger-accurate), trained first if none is"
    )
    serve.add_argument(
        "--runs-dir", default=None, help="where that training run's report goes (default: runs/)"
    )
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from tagger.engine.registry import TAG_ENV, Registry  # heavy (bentoml, torch): only for this command
    from tagger.engine.runtime import backend_from_env, int8_from_env, max_pending_from_env

    try:
        cfg = load_config(args.config, args.overrides)
        # a bad setting is said now, not by the server after a training run
        backend_from_env(), int8_from_env(), max_pending_from_env()
        check_free(args.host, args.port)  # before a training run that would end in a port clash
    except (ValueError, OSError) as e:  # OSError: a config file not found, a port in use
        print(f"error: {e}", file=sys.stderr)
        return 2
    # the config's own registry (accurate: article-tagger-accurate), named to the service by tag
    registry = Registry(cfg.registry.name)
    if registry.promoted() is None and not os.environ.get(TAG_ENV):
        try:
            train_first(cfg, config_name(args), args.runs_dir)
        except (ValueError, FileNotFoundError) as e:  # bad label files (every problem listed), paths
            print(f"error: {e}", file=sys.stderr)
            return 2
    if promoted := registry.promoted():
        os.environ.setdefault(TAG_ENV, promoted)
        warn_if_outdated(cfg, registry, os.environ[TAG_ENV], config_name(args))
    if warning := auth_warning(args.host, os.environ.get("TAGGER_API_TOKEN")):
        print(warning, file=sys.stderr)
    os.environ.setdefault(RESULT_STORE_ENV, str(task_store(args.host, args.port)))
    url = f"http://{args.host}:{args.port}"
    print(
        f"serving {os.environ.get(TAG_ENV)} at {url}/ (the workbench; Swagger UI at {url}/docs)", flush=True
    )
    cmd = [sys.executable, "-m", "bentoml", "serve", SERVICE, "--host", args.host, "--port", str(args.port)]
    os.execv(sys.executable, cmd)
    return 0  # not reached


def train_first(cfg: RunConfig, name: str, runs_dir: str | None) -> None:
    """Train the config's model, after the bundled models it starts from or learns from when none of
    theirs is promoted yet (fast: the default first)."""
    from tagger.paths import runs_dir as default_runs_dir
    from training.pipeline import run_training
    from training.report import REPORT_FILE
    from training.stored import bases_to_train

    where = Path(runs_dir) if runs_dir else default_runs_dir()
    runs = [(load_config(base), base) for base in bases_to_train(cfg)] + [(cfg, name)]
    for run_cfg, run_name in runs:
        print(
            f"No promoted {run_cfg.registry.name} model yet: training one with the '{run_name}' config first."
        )
        result = run_training(run_cfg, run_name, where)
        print(f"trained {result.tag}; report: {result.run_dir / REPORT_FILE}")


def port_number(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (1-65535)")
    return port


def check_free(host: str, port: int) -> None:
    """OSError naming the address when something already listens there (BentoML would fail later,
    after minutes of training, with a long traceback)."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as s:
            # as the server will: a port a stopped server left in TIME_WAIT is free, a listened one is not
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        raise OSError(f"cannot serve on {host}:{port}: {e.strerror or e}; choose another --port") from None


def task_store(host: str, port: int):
    """One async-task database per address: two servers on one machine sharing BentoML's default
    file reset each other's tasks at start."""
    from tagger.engine.registry import bentoml_home

    return bentoml_home() / f"task_result-{host}-{port}.db"


def auth_warning(host: str, token: str | None) -> str | None:
    """Serving beyond this machine with no token lets anyone on the network call the model."""
    if token or _is_loopback(host):
        return None
    return f"warning: serving on {host} without auth; set TAGGER_API_TOKEN to require a bearer token"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
