"""Moving survey data between the long ``answer`` table and the one wide
frame every analysis takes.

The wide frame has one row per response (respondent x wave) and the columns
``respondent_id, audience, segment, team, account_id, wave, source`` followed
by one column per question (``<key>``, or ``<key>.<item>`` for rank and
multi-select questions) in instrument order, then one column per respondent
attribute of the study (``attr.<key>``, :func:`attribute_column`). Numeric
answers are floats with NaN for no answer; open answers and attribute values
are text, ``None`` where missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, select

from cxgap.errors import ConflictError, InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.bulk import SHARED, insert_rows, read_columns
from cxgap.store.db import Database
from cxgap.store.studies import load_study, organisation_accounts, organisation_of, study_id
from cxgap.study.model import StudyDefinition

META_COLUMNS = ["respondent_id", "audience", "segment", "team", "account_id", "wave", "source"]
ATTRIBUTE_PREFIX = "attr."
ProgressFn = Callable[[int], None]


def attribute_column(key: str) -> str:
    """The wide frame's column of attribute ``key``.

    >>> attribute_column("customer_type")
    'attr.customer_type'
    """
    return f"{ATTRIBUTE_PREFIX}{key}"


def attribute_columns(study: StudyDefinition) -> list[str]:
    """The attribute columns of the study's wide frame, in study order."""
    return [attribute_column(a.key) for a in study.attributes]


def question_columns(study: StudyDefinition) -> list[tuple[str, str, str, bool]]:
    """(column, question key, item, is_text) for every column of the wide frame."""
    cols: list[tuple[str, str, str, bool]] = []
    for q in study.questions:
        if q.kind in ("rank", "multi"):
            cols.extend((f"{q.key}.{item}", q.key, item, False) for item in q.items)
        else:
            cols.append((q.key, q.key, "", q.kind in ("text", "choice")))
    return cols


def load_frame(db: Database, slug: str, *, wave: str | None = None) -> pd.DataFrame:
    """The wide frame of study ``slug`` (all waves, or one), with one query
    for the responses and one for their answers.

    Both are read column by column from the driver's cursor
    (:func:`cxgap.store.bulk.read_columns`) and the answers are placed into
    the frame with one vectorised pivot: a study of 100,000 respondents (six
    million answers) loads in seconds, not minutes.
    """
    study = load_study(db, slug)
    if wave is not None and wave not in study.wave_keys():
        raise NotFoundError(
            f"study {slug!r} has no wave {wave!r} (waves: {', '.join(study.wave_keys())})"
        )
    with db.connect() as conn:
        sid = study_id(conn, slug)
        rq = (
            select(
                t.response.c.id.label("response_id"),
                t.respondent.c.external_id.label("respondent_id"),
                t.response.c.audience,
                t.response.c.segment,
                t.response.c.team,
                t.account.c.external_id.label("account_id"),
                t.wave.c.key.label("wave"),
                t.response.c.source,
            )
            .select_from(t.response)
            .join(t.wave, t.wave.c.id == t.response.c.wave_id)
            .outerjoin(t.respondent, t.respondent.c.id == t.response.c.respondent_id)
            .outerjoin(t.account, t.account.c.id == t.response.c.account_id)
            .where(t.response.c.study_id == sid, t.response.c.status == "complete")
            .order_by(t.response.c.id)
        )
        if wave is not None:
            rq = rq.where(t.wave.c.key == wave)
        ids, *meta = read_columns(conn, rq, [np.int64] + [SHARED] * len(META_COLUMNS))
        aq = (
            select(
                t.answer.c.response_id,
                t.answer.c.question_key,
                t.answer.c.item,
                t.answer.c.value_num,
                t.answer.c.value_text,
            )
            .join(t.response, t.response.c.id == t.answer.c.response_id)
            .join(t.wave, t.wave.c.id == t.response.c.wave_id)
            .where(t.response.c.study_id == sid, t.response.c.status == "complete")
        )
        if wave is not None:
            aq = aq.where(t.wave.c.key == wave)
        answers = read_columns(conn, aq, [np.int64, SHARED, SHARED, float, SHARED])
        attributes: list[np.ndarray] = []
        if study.attributes:
            vq = (
                select(
                    t.response_attribute.c.response_id,
                    t.response_attribute.c.key,
                    t.response_attribute.c.value,
                )
                .join(t.response, t.response.c.id == t.response_attribute.c.response_id)
                .join(t.wave, t.wave.c.id == t.response.c.wave_id)
                .where(t.response.c.study_id == sid, t.response.c.status == "complete")
            )
            if wave is not None:
                vq = vq.where(t.wave.c.key == wave)
            attributes = read_columns(conn, vq, [np.int64, SHARED, SHARED])
    frame = _widen(study, ids, dict(zip(META_COLUMNS, meta, strict=True)), answers)
    return _with_attributes(study, frame, ids, attributes)


def _with_attributes(
    study: StudyDefinition,
    frame: pd.DataFrame,
    response_ids: np.ndarray,
    values: list[np.ndarray],
) -> pd.DataFrame:
    """``frame`` with one column per attribute of the study, placed from the
    rows ``(response_id, key, value)`` with one vectorised step per attribute."""
    if not study.attributes:
        return frame
    columns: dict[str, Any] = {}
    for a in study.attributes:
        column = np.full(len(response_ids), None, dtype=object)
        if values and len(values[0]):
            ids, keys, texts = values
            mine = keys == a.key
            column[np.searchsorted(response_ids, ids[mine])] = texts[mine]
        columns[attribute_column(a.key)] = pd.Series(column, dtype=object, index=frame.index)
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def _widen(
    study: StudyDefinition,
    response_ids: np.ndarray,
    meta: dict[str, np.ndarray],
    answers: list[np.ndarray],
) -> pd.DataFrame:
    """The wide frame: one row per response (``response_ids``, ascending),
    the answers ``(response_id, question_key, item, value_num, value_text)``
    pivoted into one column per question of the study."""
    cols = question_columns(study)
    n = len(response_ids)
    if n == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in META_COLUMNS})
        for col, _, _, is_text in cols:
            frame[col] = pd.Series(dtype=object if is_text else float)
        return frame
    answer_ids, keys, items, numbers, texts = answers
    position = {(qkey, item): j for j, (_, qkey, item, _) in enumerate(cols)}
    key_codes, key_names = pd.factorize(keys)
    item_codes, item_names = pd.factorize(items)
    # (question, item) pair -> column of the study (-1: not a question of the study)
    table = np.array(
        [[position.get((k, i), -1) for i in item_names] for k in key_names], dtype=np.int64
    ).reshape(len(key_names), len(item_names))
    column = table[key_codes, item_codes] if len(answer_ids) else np.empty(0, dtype=np.int64)
    row = np.searchsorted(response_ids, answer_ids)
    keep = column >= 0
    row, column = row[keep], column[keep]
    text_column = np.array([c[3] for c in cols], dtype=bool)
    wide_numbers = np.full((n, len(cols)), np.nan)
    wide_texts = np.full((n, len(cols)), None, dtype=object)
    numeric = ~text_column[column]
    wide_numbers[row[numeric], column[numeric]] = numbers[keep][numeric]
    wide_texts[row[~numeric], column[~numeric]] = texts[keep][~numeric]
    objects = {"segment", "team", "account_id", "respondent_id"}
    data: dict[str, Any] = {
        name: pd.Series(meta[name], dtype=object if name in objects else "str")
        for name in META_COLUMNS
    }
    for j, (col, _, _, text) in enumerate(cols):
        data[col] = pd.Series(wide_texts[:, j], dtype=object) if text else wide_numbers[:, j]
    frame = pd.DataFrame(data)
    return frame


def _optional(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The values of an optional column as objects, missing values as None."""
    if name not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    values = frame[name].to_numpy(dtype=object, copy=True)
    values[np.asarray(pd.isna(values), dtype=bool)] = None
    return values


def _answer_columns(
    part: pd.DataFrame, response_ids: np.ndarray, cols: list[tuple[str, str, str, bool]]
) -> dict[str, list[Any]]:
    """The answer rows of ``part``, one per non-empty cell, response by
    response in question order, column by column."""
    n, width = len(part), len(cols)
    present = np.zeros((n, width), dtype=bool)
    numbers = np.full((n, width), np.nan)
    texts = np.full((n, width), None, dtype=object)
    for j, (col, _, _, is_text) in enumerate(cols):
        values = part[col].to_numpy()
        if is_text:
            filled = np.flatnonzero(np.asarray(pd.notna(values), dtype=bool))
            as_text = pd.Series(values[filled], dtype=object).astype(str)
            keep = as_text.str.strip().ne("").to_numpy(bool)
            present[filled[keep], j] = True
            texts[filled[keep], j] = as_text.to_numpy(dtype=object)[keep]
        else:
            numbers[:, j] = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
            present[:, j] = ~np.isnan(numbers[:, j])
    rows, at = np.nonzero(present)
    text_column = np.array([c[3] for c in cols], dtype=bool)
    value_num = numbers[rows, at].astype(object)
    value_num[text_column[at]] = None
    return {
        "response_id": response_ids[rows].tolist(),
        "question_key": np.array([c[1] for c in cols], dtype=object)[at].tolist(),
        "item": np.array([c[2] for c in cols], dtype=object)[at].tolist(),
        "value_num": value_num.tolist(),
        "value_text": texts[rows, at].tolist(),
    }


def write_frame(
    db: Database,
    slug: str,
    frame: pd.DataFrame,
    *,
    file: str = "<frame>",
    progress: ProgressFn | None = None,
    chunk: int = 5_000,
) -> int:
    """Store a wide frame of responses (rows already stored are skipped);
    return how many were written. See :func:`write_responses`."""
    written, _ = _write(db, slug, frame, file=file, progress=progress, chunk=chunk, existing="skip")
    return written


def write_responses(
    db: Database,
    slug: str,
    frame: pd.DataFrame,
    *,
    file: str = "<frame>",
    progress: ProgressFn | None = None,
    chunk: int = 5_000,
    update: bool = False,
) -> tuple[int, int]:
    """Like :func:`write_frame`, but a row already stored whose answers now
    differ (the same response id read with a changed mapping) is not passed
    over in silence: without ``update`` a :class:`ConflictError` says how
    many differ and how, and nothing is written; with ``update`` their
    stored answers to the questions the frame fills are replaced by the
    frame's. Returns (new responses written, stored responses updated)."""
    return _write(
        db,
        slug,
        frame,
        file=file,
        progress=progress,
        chunk=chunk,
        existing="update" if update else "refuse",
    )


def _write(
    db: Database,
    slug: str,
    frame: pd.DataFrame,
    *,
    file: str,
    progress: ProgressFn | None,
    chunk: int,
    existing: Literal["skip", "refuse", "update"],
) -> tuple[int, int]:
    """Store a wide frame of responses in one transaction; return how many.

    Respondents are created (or reused) by ``respondent_id``; each row's
    response key is ``source_key`` when the frame has that column, else
    ``<respondent_id>:<wave>``; a row whose key is already stored is skipped,
    so writing the same frame twice adds nothing. ``account_id`` values must
    name accounts already stored for the study's organisation.

    Rows are built column by column (no Python per row) and written
    ``chunk`` responses at a time with :func:`cxgap.store.bulk.insert_rows`
    (COPY on PostgreSQL); ``progress(n)`` is called after each chunk. Every
    chunk is part of the one transaction: an error leaves nothing written.
    """
    study = load_study(db, slug)
    cols = [c for c in question_columns(study) if c[0] in frame.columns]
    waves = set(study.wave_keys())
    bad_waves = sorted(set(frame["wave"].dropna()) - waves)
    if bad_waves:
        raise InputError(
            [Problem(file, None, "wave", w, f"one of {sorted(waves)}") for w in bad_waves]
        )
    written = 0
    with db.begin() as conn:
        sid = study_id(conn, slug)
        org = organisation_of(conn, sid)
        wave_ids = dict(
            conn.execute(select(t.wave.c.key, t.wave.c.id).where(t.wave.c.study_id == sid)).all()
        )
        account_ids = organisation_accounts(conn, org)
        existing_keys = set(
            conn.execute(
                select(t.response.c.source_key).where(t.response.c.study_id == sid)
            ).scalars()
        )

        f = frame.reset_index(drop=True)
        keys = (
            f["source_key"].astype(str)
            if "source_key" in f.columns
            else f["respondent_id"].astype(str) + ":" + f["wave"].astype(str)
        )
        accounts = _optional(f, "account_id")
        account_db = np.array(
            [None if a is None else account_ids.get(a) for a in accounts.tolist()], dtype=object
        )
        unknown = [
            Problem(
                file, int(i) + 2, "account_id", accounts[i], "an account id of an imported account"
            )
            for i in np.flatnonzero(pd.notna(accounts) & pd.isna(account_db))
        ]
        if unknown:
            raise InputError(unknown)
        segment, team, source = (_optional(f, c) for c in ("segment", "team", "source"))
        audience = f["audience"].to_numpy(dtype=object)
        attributes = _attribute_values(study, f, file)

        respondent_ids = _respondent_ids(conn, sid)
        firsts = f["respondent_id"].notna() & ~f["respondent_id"].duplicated()
        new = firsts & ~f["respondent_id"].isin(list(respondent_ids))
        rows = np.flatnonzero(new.to_numpy())
        insert_rows(
            conn,
            t.respondent,
            {
                "study_id": [sid] * len(rows),
                "external_id": f["respondent_id"].to_numpy()[rows].astype(str).tolist(),
                "audience": audience[rows].tolist(),
                "segment": segment[rows].tolist(),
                "team": team[rows].tolist(),
                "account_id": account_db[rows].tolist(),
            },
            file,
        )
        if len(rows):
            respondent_ids = _respondent_ids(conn, sid)

        held = keys.isin(list(existing_keys)).to_numpy()
        updated = 0
        if existing != "skip" and held.any():
            updated = _changed_answers(
                conn, sid, f, keys, np.flatnonzero(held), cols, file, update=existing == "update"
            )
        todo = np.flatnonzero(~held)
        wave_db = np.array([wave_ids.get(w) for w in f["wave"].tolist()], dtype=object)
        person_db = np.array(
            [
                None if r is None else respondent_ids.get(str(r))
                for r in _optional(f, "respondent_id")
            ],
            dtype=object,
        )
        source = np.array([s or "individual" for s in source.tolist()], dtype=object)
        key_values = keys.to_numpy(dtype=object)
        for start in range(0, len(todo), chunk):
            part_rows = todo[start : start + chunk]
            part_keys = key_values[part_rows].tolist()
            insert_rows(
                conn,
                t.response,
                {
                    "study_id": [sid] * len(part_rows),
                    "wave_id": wave_db[part_rows].tolist(),
                    "respondent_id": person_db[part_rows].tolist(),
                    "audience": audience[part_rows].tolist(),
                    "segment": segment[part_rows].tolist(),
                    "team": team[part_rows].tolist(),
                    "account_id": account_db[part_rows].tolist(),
                    "source": source[part_rows].tolist(),
                    "source_key": part_keys,
                    "status": ["complete"] * len(part_rows),
                },
                file,
            )
            ids = dict(
                conn.execute(
                    select(t.response.c.source_key, t.response.c.id).where(
                        t.response.c.study_id == sid, t.response.c.source_key.in_(part_keys)
                    )
                ).all()
            )
            response_ids = np.array([ids[k] for k in part_keys], dtype=np.int64)
            insert_rows(
                conn, t.answer, _answer_columns(f.iloc[part_rows], response_ids, cols), file
            )
            insert_rows(
                conn,
                t.response_attribute,
                _attribute_rows(attributes, part_rows, response_ids),
                file,
            )
            written += len(part_rows)
            if progress:
                progress(len(part_rows))
    return written, updated


def _changed_answers(
    conn: Connection,
    sid: int,
    f: pd.DataFrame,
    keys: pd.Series,
    rows: np.ndarray,
    cols: list[tuple[str, str, str, bool]],
    file: str,
    *,
    update: bool,
) -> int:
    """Compare the answers of the already-stored ``rows`` of ``f`` with the
    stored ones, for the questions ``cols`` fill; replace those that differ
    (``update``) or raise :class:`ConflictError`. Returns how many differ."""
    stored_ids = dict(
        conn.execute(
            select(t.response.c.source_key, t.response.c.id).where(t.response.c.study_id == sid)
        ).all()
    )
    row_keys = keys.to_numpy(dtype=object)[rows]
    response_ids = np.array([stored_ids[k] for k in row_keys], dtype=np.int64)
    new = _answer_columns(f.iloc[rows], response_ids, cols)
    question_keys = sorted({c[1] for c in cols})
    aq = (
        select(
            t.answer.c.response_id,
            t.answer.c.question_key,
            t.answer.c.item,
            t.answer.c.value_num,
            t.answer.c.value_text,
        )
        .join(t.response, t.response.c.id == t.answer.c.response_id)
        .where(t.response.c.study_id == sid)
    )  # read_columns runs plain SQL text: the question keys are filtered below
    old = read_columns(conn, aq, [np.int64, object, object, float, object])
    filled = {(c[1], c[2]) for c in cols}
    wanted = set(response_ids.tolist())

    def answers(
        rid: Any, key: Any, item: Any, num: Any, text: Any
    ) -> set[tuple[int, str, str, float | None, str | None]]:
        out = set()
        for r, k, i, n, x in zip(rid, key, item, num, text, strict=True):
            r = int(r)
            if r in wanted and (k, i or "") in filled:
                v = None if n is None or (isinstance(n, float) and np.isnan(n)) else float(n)
                out.add((r, str(k), str(i or ""), v, None if x is None else str(x)))
        return out

    before = answers(*old)
    after = answers(
        new["response_id"], new["question_key"], new["item"], new["value_num"], new["value_text"]
    )
    differ = before ^ after
    if not differ:
        return 0
    changed = sorted({d[0] for d in differ})
    if not update:
        key_of = {int(r): k for r, k in zip(response_ids.tolist(), row_keys.tolist(), strict=True)}
        first = min(differ)
        was = next((d for d in before if d[:3] == first[:3]), None)
        now = next((d for d in after if d[:3] == first[:3]), None)
        column = first[1] + (f".{first[2]}" if first[2] else "")

        def shown(d: tuple[Any, ...] | None) -> str:
            if d is None:
                return "no answer"
            return repr(d[4]) if d[3] is None else f"{d[3]:g}"

        raise ConflictError(
            f"{file}: {len(changed)} response(s) already stored read differently now "
            f"(e.g. response {key_of[first[0]]!r}, {column}: stored {shown(was)}, "
            f"now {shown(now)}), as after a change of the mapping; nothing was written. "
            "Run the import again with --update to replace their stored answers with the "
            "file's, or import with the mapping used before"
        )
    for start in range(0, len(changed), 5_000):
        part = changed[start : start + 5_000]
        conn.execute(
            delete(t.answer).where(
                t.answer.c.response_id.in_(part), t.answer.c.question_key.in_(question_keys)
            )
        )
    mask = np.isin(np.asarray(new["response_id"], dtype=np.int64), np.array(changed))
    insert_rows(
        conn,
        t.answer,
        {name: [v for v, m in zip(vals, mask, strict=True) if m] for name, vals in new.items()},
        file,
    )
    return len(changed)


def _attribute_values(
    study: StudyDefinition, frame: pd.DataFrame, file: str
) -> dict[str, np.ndarray]:
    """Attribute key -> its values in ``frame`` (stripped text, ``None`` where
    empty), for the attribute columns the frame has; a value outside an
    attribute's ``values`` (where it lists them) is an :class:`InputError`
    naming the row, the column and the allowed values."""
    out: dict[str, np.ndarray] = {}
    problems: list[Problem] = []
    for a in study.attributes:
        name = attribute_column(a.key)
        if name not in frame.columns:
            continue
        raw = _optional(frame, name)
        text = np.array([None if v is None else str(v).strip() or None for v in raw], dtype=object)
        if a.values:
            allowed = set(a.values)
            for i in np.flatnonzero([v is not None and v not in allowed for v in text]):
                problems.append(
                    Problem(file, int(i) + 2, name, text[i], f"one of {', '.join(a.values)}")
                )
        out[a.key] = text
    if problems:
        raise InputError(problems)
    return out


def _attribute_rows(
    attributes: dict[str, np.ndarray], rows: np.ndarray, response_ids: np.ndarray
) -> dict[str, list[Any]]:
    """The ``response_attribute`` rows of the frame's ``rows`` (stored as
    ``response_ids``): one per attribute value that is not missing."""
    out: dict[str, list[Any]] = {"response_id": [], "key": [], "value": []}
    for key, values in attributes.items():
        part = values[rows]
        present = np.flatnonzero([v is not None for v in part])
        out["response_id"].extend(response_ids[present].tolist())
        out["key"].extend([key] * len(present))
        out["value"].extend(part[present].tolist())
    return out


def _respondent_ids(conn: Connection, sid: int) -> dict[str, int]:
    return {
        str(ext): int(i)
        for ext, i in conn.execute(
            select(t.respondent.c.external_id, t.respondent.c.id).where(
                t.respondent.c.study_id == sid
            )
        ).all()
    }
