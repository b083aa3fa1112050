"""Resuming a stream whose event ids are `<ms>-0` (shared within a millisecond): what is
replayed after a break is skipped exactly when it had already arrived, and kept otherwise."""

from __future__ import annotations

from lg_widgets.run.resume import AMBIGUOUS, DUPLICATE, NEW, REPLAY_ALL, ResumeCursor


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


def take(cursor: ResumeCursor, parts: list) -> list:
    """The parts the cursor keeps; an ambiguous one is settled with what the server stored."""
    kept = []
    for p in parts:
        verdict = cursor.accept(p)
        if verdict == AMBIGUOUS:
            verdict = cursor.decide(p, STREAM.count(p))
        if verdict == NEW:
            kept.append(p)
    return kept


def replay_after(last_event_id: str) -> list[tuple[str, object, str | None]]:
    """What the server sends on a join with Last-Event-ID: stored ids string-greater than it."""
    return [p for p in STREAM if p[2] > last_event_id]


def test_a_break_inside_a_millisecond_resumes_from_the_id_before_and_skips_what_arrived():
    for cut in range(1, len(STREAM)):
        cursor = ResumeCursor()
        kept = take(cursor, STREAM[:cut])
        resume = cursor.resume_from(resumable=True)
        cursor.new_connection()
        kept += take(cursor, replay_after(resume))
        assert kept == STREAM, f"cut after {cut} parts"


def test_several_breaks_in_a_row_still_give_every_event_once():
    cursor = ResumeCursor()
    kept = take(cursor, STREAM[:4])
    for _ in range(3):  # each new connection breaks after re-sending one part
        cursor.new_connection()
        kept += take(cursor, replay_after(cursor.resume_from(resumable=True))[:1])
    cursor.new_connection()
    kept += take(cursor, replay_after(cursor.resume_from(resumable=True)))
    assert kept == STREAM


def test_parts_older_than_the_last_id_are_duplicates():
    cursor = ResumeCursor()
    assert all(cursor.accept(p) == NEW for p in STREAM)
    cursor.new_connection()
    assert [cursor.accept(p) for p in STREAM[:2]] == [DUPLICATE, DUPLICATE]
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
    assert cursor.accept(metadata) == NEW and cursor.accept(part(None, {"x": 1})) == NEW
    cursor.new_connection()
    assert cursor.accept(metadata) == DUPLICATE
    assert cursor.accept(part(None, {"x": 1})) == NEW  # no id: cannot tell, so kept


def test_a_replay_followed_by_its_own_overlap_keeps_every_event_once():
    """What the server really sends on a resumed connection: the stored events after the
    resume id, then live ones from the moment it subscribed, which repeat the replay's tail."""
    for cut in range(1, len(STREAM)):
        for subscribed in range(cut, len(STREAM)):
            cursor = ResumeCursor()
            kept = take(cursor, STREAM[:cut])
            resume = cursor.resume_from(resumable=True)
            cursor.new_connection()
            kept += take(cursor, replay_after(resume) + STREAM[subscribed:])
            assert kept == STREAM, (cut, subscribed)


def test_a_part_sent_again_live_after_the_replay_is_settled_by_the_stored_count():
    """The server subscribes a resumed connection before replaying, so a part published in
    between comes twice; an identical second event of the same millisecond comes twice too.
    Only the number the server stored tells them apart."""
    twin = part("101-0", {"twin": True})
    for stored, expected in ((1, DUPLICATE), (2, NEW)):
        cursor = ResumeCursor()
        for p in STREAM[:3]:
            cursor.accept(p)
        cursor.new_connection()
        assert cursor.accept(STREAM[2]) == DUPLICATE  # the replay of the last id
        assert cursor.accept(twin) == NEW
        assert cursor.accept(twin) == AMBIGUOUS
        assert cursor.decide(twin, stored) == expected
        assert cursor.accept(part("102-0", {"i": 4})) == NEW
    first = ResumeCursor()  # on the first connection there is no replay: always new
    assert [first.accept(twin), first.accept(twin)] == [NEW, NEW]


def test_a_join_that_replays_from_the_start_meets_the_overlap_too():
    cursor = ResumeCursor(start=REPLAY_ALL)
    kept = take(cursor, replay_after(REPLAY_ALL) + STREAM[4:])
    assert kept == STREAM
