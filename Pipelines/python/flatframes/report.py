"""``evaluate``'s report (``evaluate --format json`` or ``--format csv``) as records or a DataFrame."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import TYPE_CHECKING, Any, Callable

from ._io import Source, open_source

if TYPE_CHECKING:  # pandas is optional: ``pip install "flatframes[pandas]"``
    import pandas

#: Every key of the report, in the order ``evaluate`` writes them, with its type: the table in
#: ``evaluate --help``. Lists are ``list``; any key may be ``None`` (null in JSON, an empty CSV
#: cell) when the stream lacks the frames it needs, except ``missing``, which names them.
REPORT_KEYS: dict[str, Any] = {
    "input": str,
    "operator": str, "d1": int, "d2": int, "m": int, "truth_rank": int,
    "method": str, "rank": int, "data_fit": str, "converged": bool, "iterations": int, "passes": int,
    "seconds": float,
    "relative_error": float, "recovered": bool, "numerical_rank": int, "singular_values": list[float],
    "residual": float, "holdout_error": float,
    "scaled_trace": float, "flattest": float, "lower_bound": float, "balancedness": float,
    "norm_minimality": float,
    "outlier_precision": float, "outlier_recall": float, "sharpness": float,
    "truth_seed": int, "truth_args": str, "measurement_seed": int, "measurement_args": str,
    "outlier_seed": int, "outlier_args": str, "solve_seed": int, "solve_args": str,
    "missing": list[str],
}


def read_report_records(source: Source) -> list[dict[str, Any]]:
    """One dict per evaluated stream, from ``evaluate``'s JSON Lines or CSV output.

    ``source`` is a path (``"-"`` for standard input), the report's bytes, or a file object,
    text or binary.
    The format is told from the first character (``{`` starts JSON Lines). Values get the
    types of ``REPORT_KEYS`` whichever format they came in (JSON writes ``1.0`` as ``1``, CSV
    has no types), so both formats give equal records; non-finite floats, which ``evaluate``
    writes as ``"nan"``, ``"inf"``, ``"-inf"``, become floats. Keys this version does not
    know are kept, with JSON's types or, from CSV, as numbers where they read as numbers.

    >>> line = b'{"operator":"gaussian","d1":8,"outlier_recall":1,"missing":[]}'
    >>> read_report_records(line)
    [{'operator': 'gaussian', 'd1': 8, 'outlier_recall': 1.0, 'missing': []}]
    >>> read_report_records(b"operator,d1,outlier_recall,singular_values,missing\\ngaussian,8,1.0,2.5;0.5,\\n")
    [{'operator': 'gaussian', 'd1': 8, 'outlier_recall': 1.0, 'singular_values': [2.5, 0.5], 'missing': []}]
    """
    if isinstance(source, io.TextIOBase):
        text = source.read()
    else:
        with open_source(source) as file:
            text = file.read().decode("utf-8")
    stripped = text.lstrip()
    if not stripped:
        return []
    if stripped.startswith("{"):
        records = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    record = json.loads(line)
                except ValueError:
                    raise ValueError(f"report line {number} is not JSON") from None
                if not isinstance(record, dict):
                    raise ValueError(f"report line {number} is not a JSON object")
                records.append({key: _typed_json(key, value) for key, value in record.items()})
        return records
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if not any(key in REPORT_KEYS for key in header):
        raise ValueError("not an evaluate report: use evaluate --format json or --format csv "
                         "(the table format is for people)")
    records = []
    for number, row in enumerate(rows[1:], 2):
        if not row:
            continue
        if len(row) != len(header):
            raise ValueError(f"report row {number} has {len(row)} cells for {len(header)} columns")
        records.append({key: _typed_cell(key, cell) for key, cell in zip(header, row)})
    return records


def read_report(source: Source) -> "pandas.DataFrame":
    """``evaluate``'s report as a pandas DataFrame: one row per evaluated stream, one column
    per key of ``REPORT_KEYS`` in its order (and any key a newer ``evaluate`` adds), nulls as
    NaN or None. Needs pandas (``pip install "flatframes[pandas]"``).

    >>> report = read_report(
    ...     b'{"operator":"completion","relative_error":2e-10,"recovered":true,"missing":[]}\\n'
    ...     b'{"operator":"completion","relative_error":0.3,"recovered":false,"missing":[]}\\n')
    >>> list(report.columns)
    ['operator', 'relative_error', 'recovered', 'missing']
    >>> report["relative_error"].tolist(), int(report["recovered"].sum())
    ([2e-10, 0.3], 1)
    """
    try:
        import pandas
    except ImportError:
        raise ImportError("read_report needs pandas: pip install pandas (or \"flatframes[pandas]\"); "
                          "read_report_records gives the same rows as dicts") from None
    records = read_report_records(source)
    columns = [key for key in REPORT_KEYS if any(key in record for record in records)]
    columns += [key for record in records for key in record if key not in REPORT_KEYS and key not in columns]
    frame = pandas.DataFrame.from_records(records, columns=columns)
    for key in columns:
        kind = REPORT_KEYS.get(key)
        if kind is float:
            frame[key] = frame[key].astype(float)
        elif kind is int and frame[key].notna().all():
            frame[key] = frame[key].astype("int64")
    return frame


def _typed_json(key: str, value: Any) -> Any:
    kind = REPORT_KEYS.get(key)
    if value is None or kind is None:
        return value
    if kind is float:
        return _float(value)
    if kind == list[float]:
        return [_float(item) for item in value]
    return value


def _float(value: Any) -> float:
    return float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else value


def _typed_cell(key: str, cell: str) -> Any:
    kind = REPORT_KEYS.get(key)
    if kind == list[str]:
        return cell.split(";") if cell else []
    if cell == "":
        return None
    if kind == list[float]:
        return [float(item) for item in cell.split(";")]
    if kind is None:
        return _guessed(cell)
    return _PARSERS[kind](cell)


def _boolean(cell: str) -> bool:
    if cell not in ("true", "false"):
        raise ValueError(f"'{cell}' is not true or false")
    return cell == "true"


_PARSERS: dict[Any, Callable[[str], Any]] = {bool: _boolean, int: int, float: float, str: str}


def _guessed(cell: str) -> Any:
    """A cell of a key this version does not know: a boolean or number if it reads as one."""
    if cell in ("true", "false"):
        return cell == "true"
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        number = float(cell)
    except ValueError:
        return cell
    # float() also takes "Infinity" and "NaN"; evaluate spells non-finite values nan, inf, -inf.
    return number if math.isfinite(number) or cell in ("nan", "inf", "-inf") else cell
