"""Resuming a stream whose event ids are `<ms>-0` (shared within a millisecond): what is
replayed after a break is skipped exactly when it had already arrived, and kept otherwise."""

from __future__ import annotations

from lg_widgets.run.resume import REPLAY_ALL, ResumeCursor


def part(
    event_id: str | None, data: object, name: str = "custom"
) -> tuple[str, object, str | None]:
    return (name, data, event_id)


STREAM = [
    part("100-0", {"i": 0}),
    part("100-0", {"i": 1}),
    part("101-0", {"i": 2}),
    part("101-0", {"twin": True}),
    part("101-0", {"twin": True}),  # identical to the one before: both are real events
    part("101-0", {"i": 3}),
    part("102-0", {"i": 4}),
]


def replay_after(last_event_id: str) -> list[tuple[str, object, str | None]]:
    """What the server sends on a join with Last-Event-ID: stored ids string-greater than it."""
    return [p for p in STREAM if p[2] > last_event_id]


def test_a_break_inside_a_millisecond_resumes_from_the_id_before_and_skips_what_arrived():
    for cut in range(1, len(STREAM)):
        cursor = ResumeCursor()
        kept = [p for p in STREAM[:cut] if cursor.accept(p)]
        resume = cursor.resume_from(resumable=True)
        cursor.new_connection()
        kept += [p for p in replay_after(resume) if cursor.accept(p)]
        assert kept == STREAM, f"cut after {cut} parts"


def test_several_breaks_in_a_row_still_give_every_event_once():
    cursor = ResumeCursor()
    kept = [p for p in STREAM[:4] if cursor.accept(p)]
    for _ in range(3):  # each new connection breaks after re-sending one part
        cursor.new_connection()
        replayed = replay_after(cursor.resume_from(resumable=True))
        kept += [p for p in replayed[:1] if cursor.accept(p)]
    cursor.new_connection()
    kept += [p for p in replay_after(cursor.resume_from(resumable=True)) if cursor.accept(p)]
    assert kept == STREAM


def test_parts_older_than_the_last_id_are_duplicates():
    cursor = ResumeCursor()
    assert all(cursor.accept(p) for p in STREAM)
    cursor.new_connection()
    assert not any(cursor.accept(p) for p in STREAM[:2])
    assert cursor.duplicates == 2


def test_where_to_resume_from():
    assert ResumeCursor().resume_from(resumable=False) is None
    assert ResumeCursor().resume_from(resumable=True) == REPLAY_ALL
    assert ResumeCursor(start="5-0").resume_from(resumable=True) == "5-0"
    cursor = ResumeCursor()
    cursor.accept(STREAM[0])
    assert cursor.resume_from(resumable=True) == REPLAY_ALL  # only one id seen: from the start
    cursor.accept(STREAM[2])
    assert cursor.resume_from(resumable=True) == "100-0"


def test_without_ids_only_a_repeated_metadata_part_is_recognised():
    cursor = ResumeCursor()
    metadata = part(None, {"run_id": "r", "attempt": 1}, "metadata")
    assert cursor.accept(metadata) and cursor.accept(part(None, {"x": 1}))
    cursor.new_connection()
    assert not cursor.accept(metadata)
    assert cursor.accept(part(None, {"x": 1}))  # no id: cannot tell, so kept
