"""Moving survey data between the long ``answer`` table and the one wide
frame every analysis takes.

The wide frame has one row per response (respondent x wave) and the columns
``respondent_id, audience, segment, team, account_id, wave, source`` followed
by one column per question (``<key>``, or ``<key>.<item>`` for rank and
multi-select questions) in instrument order. Numeric answers are floats with
NaN for no answer; open answers are text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from cxgap.errors import InputError, NotFoundError, Problem
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.studies import load_study, organisation_accounts, organisation_of, study_id
from cxgap.study.model import StudyDefinition

META_COLUMNS = ["respondent_id", "audience", "segment", "team", "account_id", "wave", "source"]
ProgressFn = Callable[[int], None]


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
    for the responses and one for their answers."""
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
        responses = pd.DataFrame(conn.execute(rq).mappings().all())
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
        answers = pd.DataFrame(
            conn.execute(aq).all(),
            columns=["response_id", "question_key", "item", "value_num", "value_text"],
        )
    return _widen(study, responses, answers)


def _widen(study: StudyDefinition, responses: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    cols = question_columns(study)
    if responses.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in META_COLUMNS})
        for col, _, _, is_text in cols:
            frame[col] = pd.Series(dtype=object if is_text else float)
        return frame
    responses = responses.set_index("response_id")
    answers = answers.copy()
    answers["column"] = np.where(
        answers["item"] == "",
        answers["question_key"],
        answers["question_key"] + "." + answers["item"],
    )
    num = answers[answers["value_num"].notna()]
    txt = answers[answers["value_text"].notna()]
    wide_num = num.pivot(index="response_id", columns="column", values="value_num")
    wide_txt = txt.pivot(index="response_id", columns="column", values="value_text")
    frame = responses.copy()
    data: dict[str, pd.Series] = {}
    for col, _, _, is_text in cols:
        source = wide_txt if is_text else wide_num
        if col in source.columns:
            data[col] = source[col].reindex(frame.index)
        else:
            data[col] = pd.Series(
                np.nan if not is_text else None,
                index=frame.index,
                dtype=object if is_text else float,
            )
        if is_text:
            data[col] = data[col].astype(object).where(data[col].notna(), None)
        else:
            data[col] = data[col].astype(float)
    frame = pd.concat([frame, pd.DataFrame(data, index=frame.index)], axis=1)
    for c in ("segment", "team", "account_id", "respondent_id"):
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame.reset_index(drop=True)[META_COLUMNS + [c for c, *_ in cols]]


def _cells(frame: pd.DataFrame, name: str) -> list[Any]:
    """The values of an optional column, missing values as None."""
    if name not in frame.columns:
        return [None] * len(frame)
    return [None if pd.isna(v) else v for v in frame[name].tolist()]


def write_frame(
    db: Database,
    slug: str,
    frame: pd.DataFrame,
    *,
    file: str = "<frame>",
    progress: ProgressFn | None = None,
    chunk: int = 5_000,
) -> int:
    """Store a wide frame of responses in one transaction; return how many.

    Respondents are created (or reused) by ``respondent_id``; each row's
    response key is ``source_key`` when the frame has that column, else
    ``<respondent_id>:<wave>``; a row whose key is already stored is skipped,
    so writing the same frame twice adds nothing. ``account_id`` values must
    name accounts already stored for the study's organisation.
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
        respondent_ids = dict(
            conn.execute(
                select(t.respondent.c.external_id, t.respondent.c.id).where(
                    t.respondent.c.study_id == sid
                )
            ).all()
        )
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
        unknown = [
            Problem(file, i + 2, "account_id", a, "an account id of an imported account")
            for i, a in enumerate(f["account_id"] if "account_id" in f.columns else [])
            if a is not None and not (isinstance(a, float) and np.isnan(a)) and a not in account_ids
        ]
        if unknown:
            raise InputError(unknown)

        def clean(v: Any) -> Any:
            return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

        new_respondents = []
        for rid, grp in f.groupby("respondent_id", sort=False):
            if rid in respondent_ids:
                continue
            r = grp.iloc[0]
            new_respondents.append(
                {
                    "study_id": sid,
                    "external_id": str(rid),
                    "audience": r["audience"],
                    "segment": clean(r.get("segment")),
                    "team": clean(r.get("team")),
                    "account_id": account_ids.get(clean(r.get("account_id"))),
                }
            )
        for start in range(0, len(new_respondents), chunk):
            conn.execute(t.respondent.insert(), new_respondents[start : start + chunk])
        respondent_ids = dict(
            conn.execute(
                select(t.respondent.c.external_id, t.respondent.c.id).where(
                    t.respondent.c.study_id == sid
                )
            ).all()
        )

        todo = [i for i, k in enumerate(keys) if k not in existing_keys]
        for start in range(0, len(todo), chunk):
            part = f.iloc[todo[start : start + chunk]]
            part_keys = keys.iloc[todo[start : start + chunk]]

            rows = [
                {
                    "study_id": sid,
                    "wave_id": wave_ids[w],
                    "respondent_id": respondent_ids[str(rid)],
                    "audience": aud,
                    "segment": seg,
                    "team": team,
                    "account_id": account_ids.get(acc),
                    "source": src or "individual",
                    "source_key": k,
                    "status": "complete",
                }
                for w, rid, aud, seg, team, acc, src, k in zip(
                    part["wave"].tolist(),
                    part["respondent_id"].tolist(),
                    part["audience"].tolist(),
                    _cells(part, "segment"),
                    _cells(part, "team"),
                    _cells(part, "account_id"),
                    _cells(part, "source"),
                    part_keys.tolist(),
                    strict=True,
                )
            ]
            conn.execute(t.response.insert(), rows)
            ids = dict(
                conn.execute(
                    select(t.response.c.source_key, t.response.c.id).where(
                        t.response.c.study_id == sid, t.response.c.source_key.in_(list(part_keys))
                    )
                ).all()
            )
            response_ids = part_keys.map(ids).to_numpy()
            answer_rows: list[dict[str, Any]] = []
            for col, qkey, item, is_text in cols:
                values = part[col].to_numpy()
                if is_text:
                    mask = pd.notna(values) & (pd.Series(values).astype(str).str.strip() != "")
                    mask = np.asarray(mask)
                    answer_rows.extend(
                        {
                            "response_id": int(r),
                            "question_key": qkey,
                            "item": item,
                            "value_num": None,
                            "value_text": str(v),
                        }
                        for r, v in zip(response_ids[mask], values[mask], strict=True)
                    )
                else:
                    vals = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
                    mask = ~np.isnan(vals)
                    answer_rows.extend(
                        {
                            "response_id": int(r),
                            "question_key": qkey,
                            "item": item,
                            "value_num": float(v),
                            "value_text": None,
                        }
                        for r, v in zip(response_ids[mask], vals[mask], strict=True)
                    )
            if answer_rows:
                conn.execute(t.answer.insert(), answer_rows)
            written += len(rows)
            if progress:
                progress(len(rows))
    return written
