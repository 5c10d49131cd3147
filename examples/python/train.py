#!/usr/bin/env python3
"""Train OS classifiers on an osfp dataset export with scikit-learn.

Reads a CSV export (or Parquet, when pyarrow or fastparquet is importable),
takes the same SYN-ACK features as `osfp dataset evaluate`, and trains a
random forest (settings close to osfp's own), gradient boosting, an SVM and a
small neural network, with top-1, top-2 and balanced accuracy on the test
split. The split is osfp's own when its `evaluation/split.csv` is given (or
found next to the export), so the figures can be put beside the report's;
otherwise a seeded stratified split of the script's own.

    pnpm osfp dataset evaluate web
    pnpm osfp dataset export web --format csv --out web.csv
    python3 examples/python/train.py web.csv --split osfp-data/datasets/web/v1/evaluation/split.csv

Needs numpy, pandas and scikit-learn (Debian: python3-numpy python3-pandas
python3-sklearn). The functions below are what the notebook next to this file
calls; nothing here sends or receives anything over a network.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

# Every column of an osfp dataset and its DuckDB type and nullability, as in
# packages/dataset/src/schema.ts (COLUMNS, then FLOW_COLUMNS, which only
# `osfp import-pcap` datasets have). The CSV export carries no types: this is
# how the reader gives each column its type back. A test keeps it in step with
# the schema.
COLUMN_TYPES: dict[str, tuple[str, bool]] = {
    "run_id": ("VARCHAR", False),
    "ip": ("VARCHAR", False),
    "port": ("INTEGER", False),
    "domains": ("VARCHAR[]", False),
    "probed_at": ("TIMESTAMP", False),
    "probe_status": ("VARCHAR", False),
    "http_status": ("INTEGER", True),
    "http_server": ("VARCHAR", True),
    "rtt_ms": ("DOUBLE", True),
    "synack_count": ("INTEGER", True),
    "syn_retransmitted": ("BOOLEAN", True),
    "ip_version": ("INTEGER", True),
    "ip_ttl": ("INTEGER", False),
    "ip_ittl": ("INTEGER", False),
    "ip_hops": ("INTEGER", False),
    "ip_df": ("BOOLEAN", False),
    "ip_id": ("INTEGER", False),
    "ip_tos": ("INTEGER", False),
    "ip_ecn": ("INTEGER", False),
    "ip_olen": ("INTEGER", False),
    "ip_flow": ("INTEGER", True),
    "ip_ext": ("VARCHAR", True),
    "tcp_window": ("INTEGER", False),
    "tcp_mss": ("INTEGER", True),
    "tcp_wscale": ("INTEGER", True),
    "tcp_sack_ok": ("BOOLEAN", False),
    "tcp_ts": ("BOOLEAN", False),
    "tcp_tsval": ("BIGINT", True),
    "tcp_options": ("VARCHAR", False),
    "tcp_olayout": ("VARCHAR", False),
    "tcp_quirks": ("VARCHAR", False),
    "tcp_wsize": ("VARCHAR", False),
    "p0f_sig": ("VARCHAR", False),
    "syn_olayout": ("VARCHAR", False),
    "syn_mss": ("INTEGER", True),
    "label": ("VARCHAR", True),
    "label_acc": ("INTEGER", True),
    "label_2": ("VARCHAR", True),
    "label_2_acc": ("INTEGER", True),
    "os_vendor": ("VARCHAR", True),
    "os_family": ("VARCHAR", True),
    "os_gen": ("VARCHAR", True),
    "os_type": ("VARCHAR", True),
    "os_cpe": ("VARCHAR", True),
    "nmap_guesses": ("VARCHAR", True),
    "label_status": ("VARCHAR", False),
    "nmap_closed_port": ("BOOLEAN", True),
    "nmap_unreliable": ("BOOLEAN", True),
    "nmap_too_many_matches": ("BOOLEAN", True),
    "nmap_tries": ("INTEGER", True),
    "flow_packets_to_server": ("INTEGER", False),
    "flow_packets_from_server": ("INTEGER", False),
    "flow_bytes_to_server": ("BIGINT", False),
    "flow_bytes_from_server": ("BIGINT", False),
    "flow_duration_ms": ("DOUBLE", False),
    "flow_iat_to_server_mean_ms": ("DOUBLE", True),
    "flow_iat_to_server_std_ms": ("DOUBLE", True),
    "flow_iat_to_server_min_ms": ("DOUBLE", True),
    "flow_iat_to_server_max_ms": ("DOUBLE", True),
    "flow_iat_from_server_mean_ms": ("DOUBLE", True),
    "flow_iat_from_server_std_ms": ("DOUBLE", True),
    "flow_iat_from_server_min_ms": ("DOUBLE", True),
    "flow_iat_from_server_max_ms": ("DOUBLE", True),
}

# osfp's features, in its order (packages/dataset/src/evaluate/feature-encoding.ts):
# the SYN-ACK fields that describe the server's stack. Left out, as there:
# ip_ttl and ip_hops (the path to the server, not its OS), the raw ip_id and
# tcp_tsval (per-connection counters: only whether the IP ID is zero says
# something), tcp_options (raw bytes the layout and option values already
# describe) and p0f_sig (a concatenation of the others).
NUMERIC_FEATURES = ("ip_ittl", "ip_tos", "ip_ecn", "ip_olen", "tcp_window", "tcp_mss", "tcp_wscale")
FLAG_FEATURES = ("ip_df", "ip_id_zero", "tcp_sack_ok", "tcp_ts")
CATEGORICAL_FEATURES = ("tcp_olayout", "tcp_quirks", "tcp_wsize")
FEATURES = (
    "ip_ittl",
    "ip_df",
    "ip_id_zero",
    "ip_tos",
    "ip_ecn",
    "ip_olen",
    "tcp_window",
    "tcp_mss",
    "tcp_wscale",
    "tcp_sack_ok",
    "tcp_ts",
    "tcp_olayout",
    "tcp_quirks",
    "tcp_wsize",
)
REQUIRED_COLUMNS = ("ip", "port", "ip_id", "label", "label_status") + tuple(f for f in FEATURES if f != "ip_id_zero")

# osfp's defaults (DEFAULT_EVALUATE_OPTIONS in evaluate-rows.ts), for the script's own split.
DEFAULT_SEED = 1
DEFAULT_TEST_FRACTION = 0.25
DEFAULT_MIN_SUPPORT = 5
DEFAULT_MAX_TRAIN_ROWS = 20_000
# osfp's random forest: 30 trees, depth at most 20, 70 % of the features.
FOREST_TREES = 30
FOREST_MAX_DEPTH = 20
FOREST_FEATURE_SHARE = 0.7

SPLIT_FILE = "split.csv"
ROLES = ("train", "train-unused", "test", "below-min-support", "unlabelled")
# A forest's figures this close to osfp's (in points) are "the same model, another implementation".
COMPARISON_TOLERANCE_POINTS = 3.0


class InputError(Exception):
    """Something the user can fix: names the file and what to do."""


# --- reading -----------------------------------------------------------------


def read_export(path: Path) -> pd.DataFrame:
    """An osfp export as a DataFrame, typed as the dataset's schema says (CSV or Parquet)."""
    if path.suffix not in (".csv", ".parquet"):
        raise InputError(f"{path}: expected a .csv or .parquet export (osfp dataset export NAME --format csv|parquet)")
    if not path.is_file():
        raise InputError(
            f"{path} does not exist (pnpm osfp dataset export NAME --format {path.suffix[1:]} --out {path})"
        )
    rows = _read_parquet(path) if path.suffix == ".parquet" else _read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        raise InputError(f"{path} lacks the column(s) {', '.join(missing)}: it is not an osfp dataset export")
    return rows


def _read_csv(path: Path) -> pd.DataFrame:
    # Everything as text first (so "8192" in tcp_wsize or "020405b4" in tcp_options
    # stay text), only an empty field as null, then each column gets its type.
    rows = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for name in rows.columns:
        kind, nullable = COLUMN_TYPES.get(name, ("VARCHAR", True))
        column = rows[name]
        if kind in ("INTEGER", "BIGINT"):
            rows[name] = pd.to_numeric(column).astype("Int64")
        elif kind == "DOUBLE":
            rows[name] = pd.to_numeric(column)
        elif kind == "BOOLEAN":
            rows[name] = column.map({"true": True, "false": False}).astype("boolean")
        elif kind == "TIMESTAMP":
            rows[name] = pd.to_datetime(column, format="%Y-%m-%dT%H:%M:%S.%fZ")
        elif kind == "VARCHAR[]":
            # Lists are written as JSON arrays, so an element holding a comma stays one element.
            rows[name] = column.map(lambda text: json.loads(text) if isinstance(text, str) else None)
        elif not nullable:
            # The CSV writes "" for an empty string and nothing for null, but pandas
            # reads both as null; a column that is never null held an empty string.
            rows[name] = column.fillna("")
    return rows


def _read_parquet(path: Path) -> pd.DataFrame:
    engine = next((e for e in ("pyarrow", "fastparquet") if importlib.util.find_spec(e) is not None), None)
    if engine is None:
        raise InputError(
            f"{path}: reading Parquet needs pyarrow or fastparquet, and {sys.executable} can import neither. "
            "Install one (pip install pyarrow; Debian 12 packages neither), "
            "or export CSV instead: pnpm osfp dataset export NAME --format csv --out FILE.csv"
        )
    rows = pd.read_parquet(path, engine=engine)
    for name in rows.columns:
        kind, _ = COLUMN_TYPES.get(name, ("VARCHAR", True))
        if kind in ("INTEGER", "BIGINT"):
            rows[name] = rows[name].astype("Int64")
        elif kind == "BOOLEAN":
            rows[name] = rows[name].astype("boolean")
        elif kind == "VARCHAR[]":
            rows[name] = rows[name].map(lambda items: None if items is None else list(items))
    return rows


def read_split(path: Path) -> pd.DataFrame:
    """osfp's train/test assignment: `ip, port, role` per row (split.csv, or predictions.parquet)."""
    if not path.is_file():
        raise InputError(
            f"--split {path} does not exist (osfp dataset evaluate writes VERSION/evaluation/{SPLIT_FILE})"
        )
    if path.suffix == ".parquet":
        split = _read_parquet(path)
    else:
        split = pd.read_csv(path, dtype={"ip": str, "port": "int64", "role": str}, keep_default_na=False)
    if not {"ip", "port", "role"} <= set(split.columns):
        raise InputError(f"{path} has no ip, port and role columns: not an osfp evaluation split")
    unknown = sorted(set(split["role"]) - set(ROLES))
    if unknown:
        raise InputError(f"{path}: unknown role(s) {', '.join(unknown)}")
    return split[["ip", "port", "role"]].astype({"port": "int64"})


def find_split(export: Path) -> Path | None:
    """osfp's split next to the export: a version's own evaluation/, or a split.csv copied beside the file."""
    for candidate in (export.parent / "evaluation" / SPLIT_FILE, export.parent / SPLIT_FILE):
        if candidate.is_file():
            return candidate
    return None


def read_osfp_report(split: Path) -> dict[str, Any] | None:
    """The report.json written with the split, when it is there."""
    path = split.parent / "report.json"
    if not path.is_file():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    # Format 2 added the learned p0f database; the models' figures read the same in both.
    return report if report.get("format") in ("osfp-evaluation-1", "osfp-evaluation-2") else None


# --- splitting ---------------------------------------------------------------


def roles_from_split(rows: pd.DataFrame, split: pd.DataFrame, source: Path) -> pd.Series:
    """Each export row's role in osfp's split: row for row when the export is the evaluated version, else by ip and port."""
    keys = rows[["ip", "port"]].astype({"port": "int64"}).reset_index(drop=True)
    if len(split) == len(rows) and keys.equals(split[["ip", "port"]].reset_index(drop=True)):
        return pd.Series(split["role"].to_numpy(), index=rows.index, name="role")
    if split.duplicated(["ip", "port"]).any():
        raise InputError(
            f"{source} does not line up with the export row for row, and repeats ip and port pairs, "
            "so rows cannot be matched: export the version that was evaluated, unfiltered"
        )
    roles = keys.merge(split, on=["ip", "port"], how="left")["role"]
    if roles.isna().any():
        raise InputError(
            f"{source} has no role for {int(roles.isna().sum())} of the export's {len(rows)} rows: "
            "it belongs to another dataset version (re-run osfp dataset evaluate on the exported version)"
        )
    return pd.Series(roles.to_numpy(), index=rows.index, name="role")


def seeded_split(
    rows: pd.DataFrame,
    seed: int = DEFAULT_SEED,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    min_support: int = DEFAULT_MIN_SUPPORT,
    max_train_rows: int = DEFAULT_MAX_TRAIN_ROWS,
) -> pd.Series:
    """A split of the script's own, with osfp's rules (not its random draws): roles as in split.csv."""
    labelled = usable_labels(rows)
    support = labelled.value_counts()
    evaluated = labelled[labelled.isin(support[support >= min_support].index)]
    if evaluated.nunique() < 2:
        raise InputError(
            f"fewer than two classes have at least {min_support} labelled rows "
            f"({', '.join(f'{c}: {n}' for c, n in support.items()) or 'no labelled rows'})"
        )
    train, test = train_test_split(
        evaluated.index, test_size=test_fraction, stratify=evaluated, random_state=seed, shuffle=True
    )
    used = train
    if len(train) > max_train_rows:
        used, _ = train_test_split(train, train_size=max_train_rows, stratify=evaluated[train], random_state=seed)
    roles = pd.Series("unlabelled", index=rows.index, name="role")
    roles[labelled.index] = "below-min-support"
    roles[train] = "train-unused"
    roles[used] = "train"
    roles[test] = "test"
    return roles


def usable_labels(rows: pd.DataFrame) -> pd.Series:
    """The labels osfp trains on: label_status ok and a label."""
    ok = (rows["label_status"] == "ok") & rows["label"].notna() & (rows["label"] != "")
    return rows.loc[ok, "label"].astype(str)


# --- features and models -----------------------------------------------------


def feature_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """osfp's features before encoding: numbers (-1 when missing), 0/1 flags, and the three p0f strings."""
    features = pd.DataFrame(index=rows.index)
    for name in FEATURES:
        if name == "ip_id_zero":
            features[name] = (rows["ip_id"] == 0).fillna(False).astype("int64")
        elif name in NUMERIC_FEATURES:
            features[name] = pd.to_numeric(rows[name]).fillna(-1).astype("int64")
        elif name in FLAG_FEATURES:
            features[name] = rows[name].fillna(False).astype(bool).astype("int64")
        else:
            features[name] = rows[name].fillna("").astype(str)
    return features


def _codes() -> ColumnTransformer:
    """For trees, as osfp: each p0f string by its rank in the training vocabulary (sorted), -1 when unseen."""
    return ColumnTransformer(
        [("codes", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), list(CATEGORICAL_FEATURES))],
        remainder="passthrough",
    )


def _one_hot_and_scaled() -> ColumnTransformer:
    """For the SVM and the network: ranks mean nothing to them, so one column per p0f string, numbers standardised."""
    return ColumnTransformer(
        [
            ("one-hot", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
            ("scaled", StandardScaler(), list(NUMERIC_FEATURES + FLAG_FEATURES)),
        ]
    )


def make_models(seed: int = DEFAULT_SEED) -> dict[str, Pipeline]:
    """The models, by the names the output uses. `majority` and `random-forest` are also in osfp's report."""
    return {
        "majority": Pipeline([("codes", _codes()), ("model", DummyClassifier(strategy="prior"))]),
        "random-forest": Pipeline(
            [
                ("codes", _codes()),
                (
                    "model",
                    RandomForestClassifier(
                        n_estimators=FOREST_TREES,
                        max_depth=FOREST_MAX_DEPTH,
                        max_features=FOREST_FEATURE_SHARE,
                        bootstrap=True,
                        random_state=seed,
                    ),
                ),
            ]
        ),
        "gradient-boosting": Pipeline(
            [("codes", _codes()), ("model", HistGradientBoostingClassifier(random_state=seed))]
        ),
        "svm": Pipeline([("encode", _one_hot_and_scaled()), ("model", SVC(C=10.0, gamma="scale", random_state=seed))]),
        "neural-network": Pipeline(
            [
                ("encode", _one_hot_and_scaled()),
                ("model", MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=500, random_state=seed)),
            ]
        ),
    }


# --- scoring -----------------------------------------------------------------


@dataclass(frozen=True)
class ModelResult:
    name: str
    top1: float
    top2: float
    balanced_accuracy: float
    seconds: float


def class_scores(model: Pipeline, features: pd.DataFrame) -> np.ndarray:
    """One score per class (columns in model.classes_ order): probabilities, or the SVM's decision values."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(features)
    scores = model.decision_function(features)
    return np.column_stack([-scores, scores]) if scores.ndim == 1 else scores


def rank_classes(scores: np.ndarray, tie_position: np.ndarray) -> np.ndarray:
    """Class indexes per row, best first; equal scores ordered by tie_position (as osfp: training frequency, then name)."""
    return np.lexsort((np.broadcast_to(tie_position, scores.shape), -scores), axis=-1)


def figures(truth: np.ndarray, ranking: np.ndarray) -> tuple[float, float, float]:
    """Top-1, top-2 and balanced accuracy (mean recall over the classes present in the test rows)."""
    top1 = float(np.mean(ranking[:, 0] == truth))
    top2 = float(np.mean((ranking[:, :2] == truth[:, None]).any(axis=1)))
    with warnings.catch_warnings():
        # A class predicted but absent from the test rows is left out, as osfp does; sklearn warns about it.
        warnings.simplefilter("ignore", UserWarning)
        balanced = float(balanced_accuracy_score(truth, ranking[:, 0]))
    return top1, top2, balanced


def train_and_score(
    rows: pd.DataFrame, roles: pd.Series, models: dict[str, Pipeline] | None = None, seed: int = DEFAULT_SEED
) -> list[ModelResult]:
    """Fits every model on the `train` rows and scores it on the `test` rows."""
    labels = usable_labels(rows)
    train = roles.index[(roles == "train") & roles.index.isin(labels.index)]
    test = roles.index[(roles == "test") & roles.index.isin(labels.index)]
    if len(train) == 0 or len(test) == 0:
        raise InputError(f"nothing to train or score: {len(train)} labelled train rows, {len(test)} test rows")
    features = feature_frame(rows)
    results = []
    for name, model in (models or make_models(seed)).items():
        started = time.perf_counter()
        model.fit(features.loc[train], labels[train])
        classes = list(model.classes_)
        counts = labels[train].value_counts()
        # osfp breaks ties by training frequency, then class name.
        tie_order = sorted(classes, key=lambda c: (-counts.get(c, 0), c))
        tie_position = np.array([tie_order.index(c) for c in classes])
        ranking = rank_classes(class_scores(model, features.loc[test]), tie_position)
        index_of = {c: k for k, c in enumerate(classes)}
        truth = np.array([index_of.get(c, -1) for c in labels[test]])
        results.append(ModelResult(name, *figures(truth, ranking), seconds=time.perf_counter() - started))
    return results


def osfp_figures(report: dict[str, Any], name: str) -> tuple[float, float, float] | None:
    """A model's top-1, top-2 and balanced accuracy in osfp's report."""
    model = next((m for m in report.get("models", []) if m.get("name") == name), None)
    if model is None:
        return None
    f = model["figures"]
    return f["top1"], f["top2"], f["balancedAccuracy"]


def comparison(results: Sequence[ModelResult], report: dict[str, Any]) -> list[dict[str, Any]]:
    """The models osfp also trained: its figures, the script's, and the difference in points."""
    rows = []
    for result in results:
        theirs = osfp_figures(report, result.name)
        if theirs is None:
            continue
        ours = (result.top1, result.top2, result.balanced_accuracy)
        rows.append(
            {
                "model": result.name,
                "osfp": dict(zip(("top1", "top2", "balancedAccuracy"), theirs)),
                "differencePoints": dict(
                    zip(("top1", "top2", "balancedAccuracy"), (round(100 * (a - b), 2) for a, b in zip(ours, theirs)))
                ),
            }
        )
    return rows


# --- the command -------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Train gradient boosting, an SVM, a small neural network and a random forest on an osfp export "
        "(osfp dataset evaluate's features) and print top-1, top-2 and balanced accuracy on the test split.",
    )
    parser.add_argument("export", type=Path, help="the export: FILE.csv, or FILE.parquet with pyarrow or fastparquet")
    parser.add_argument(
        "--split",
        type=Path,
        help=f"osfp's split (VERSION/evaluation/{SPLIT_FILE}, or predictions.parquet); default: "
        f"evaluation/{SPLIT_FILE} or {SPLIT_FILE} next to the export, else a seeded split of the script's own",
    )
    parser.add_argument("--no-split", action="store_true", help="ignore any split file: use the script's own split")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the models and of the own split")
    parser.add_argument("--test-fraction", type=float, default=DEFAULT_TEST_FRACTION, help="own split: share held out")
    parser.add_argument(
        "--min-support", type=int, default=DEFAULT_MIN_SUPPORT, help="own split: smaller classes are left out"
    )
    parser.add_argument(
        "--max-train-rows",
        type=int,
        default=DEFAULT_MAX_TRAIN_ROWS,
        help="own split: training rows beyond this are subsampled",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads for the numeric libraries (OpenMP, BLAS); default: theirs (all cores). "
        "On a busy machine, 1 keeps gradient boosting's threads from spinning against other work",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not 0 < args.test_fraction < 1:
        parser.error(f"--test-fraction must be between 0 and 1, got {args.test_fraction}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.min_support < 2 or args.max_train_rows < 2:
        parser.error("--min-support and --max-train-rows must be at least 2")
    if args.split and args.no_split:
        parser.error("--split and --no-split contradict each other")
    return args


def note(message: str) -> None:
    print(f"train.py: {message}", file=sys.stderr)


def percent(x: float) -> str:
    return f"{100 * x:5.1f} %"


def format_table(results: Sequence[ModelResult], compared: Sequence[dict[str, Any]]) -> str:
    lines = [f"{'model':<20} {'top-1':>8} {'top-2':>8} {'balanced':>8} {'seconds':>8}"]
    lines += [
        f"{r.name:<20} {percent(r.top1):>8} {percent(r.top2):>8} {percent(r.balanced_accuracy):>8} {r.seconds:8.1f}"
        for r in results
    ]
    if compared:
        lines += ["", "osfp dataset evaluate on the same split (report.json), and the difference in points:"]
        for c in compared:
            o, d = c["osfp"], c["differencePoints"]
            lines.append(
                f"{'osfp ' + c['model']:<20} {percent(o['top1']):>8} {percent(o['top2']):>8} "
                f"{percent(o['balancedAccuracy']):>8}"
            )
            lines.append(f"{'  difference':<20} {d['top1']:>+8.1f} {d['top2']:>+8.1f} {d['balancedAccuracy']:>+8.1f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        rows = read_export(args.export)
        split_path = None if args.no_split else (args.split or find_split(args.export))
        if split_path is not None:
            roles = roles_from_split(rows, read_split(split_path), split_path)
            split_source = str(split_path)
            note(f"osfp's split from {split_path}")
        else:
            roles = seeded_split(rows, args.seed, args.test_fraction, args.min_support, args.max_train_rows)
            split_source = f"own seeded stratified split (seed {args.seed})"
            why = "--no-split" if args.no_split else f"no evaluation/{SPLIT_FILE} or {SPLIT_FILE} next to the export"
            note(f"{why}: {split_source}, not osfp's; figures are not comparable row for row with its report")
        counts = roles.value_counts()
        labels = usable_labels(rows)
        note(
            f"{len(rows)} rows, {len(labels)} labelled, {labels[roles[labels.index] == 'test'].nunique()} classes scored; "
            f"train {counts.get('train', 0)}, test {counts.get('test', 0)}"
        )
        with threadpool_limits(limits=args.threads):
            results = train_and_score(rows, roles, seed=args.seed)
        report = read_osfp_report(split_path) if split_path is not None else None
        if split_path is not None and report is None:
            note(
                f"no osfp report.json beside {split_path}: nothing to compare with (--split VERSION/evaluation/{SPLIT_FILE})"
            )
        compared = comparison(results, report) if report is not None else []
    except InputError as error:
        note(str(error))
        return 2
    if args.json:
        document = {
            "export": str(args.export),
            "split": split_source,
            "rows": {"total": len(rows), "labelled": len(labels), **{r: int(counts.get(r, 0)) for r in ROLES}},
            "features": list(FEATURES),
            "models": [asdict(r) for r in results],
            "osfp": compared,
        }
        print(json.dumps(document, indent=2))
    else:
        print(format_table(results, compared))
        far = [
            f"{c['model']} {k}"
            for c in compared
            for k, v in c["differencePoints"].items()
            if abs(v) > COMPARISON_TOLERANCE_POINTS
        ]
        if far:
            print(f"\nmore than {COMPARISON_TOLERANCE_POINTS:.0f} points from osfp: {', '.join(far)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
