"""Filters: the in-memory mask (`IndexView.admitted`) and the Chroma `where` clause
(`store.chroma_where`) admit the same entries, for any mix of days, tags and ids; and filters
from user input (`rag.ask.filters.user_filters`) are checked once, the same way for every caller."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ask.filters import DayError, FilterError, user_filters
from rag.index.reader import get_index
from rag.index.store import chroma_where, close_client, connect
from rag.model import Filters


@pytest.fixture(scope="module")
def view(seed_settings):
    return get_index(seed_settings).fresh_view()


@pytest.fixture(scope="module")
def chroma(seed_settings, view):
    """The committed Chroma collection (the store of record; our own searches read segments)."""
    client = connect(seed_settings)
    yield client.get_collection(view.manifest.collection)
    close_client(client)


def candidate_days(view) -> list[date]:
    """The digest's days, the days beside them, and days far outside it."""
    near = {d + timedelta(days=step) for d in view.days for step in (-1, 0, 1)}
    return sorted(near | {date(2000, 1, 1), date(2099, 12, 31)})


def filters_over(view) -> st.SearchStrategy[Filters]:
    days = st.sampled_from(candidate_days(view))
    day_range = st.tuples(days, days).map(lambda pair: (min(pair), max(pair)))
    tags = st.sampled_from(sorted(view.tags) + ["no-such-tag"])
    ids = st.sampled_from(sorted(view.entries) + ["2025-01-01/no-such-entry"])
    return st.builds(
        Filters,
        days=st.lists(day_range, max_size=3).map(tuple),
        tags=st.lists(tags, max_size=3, unique=True).map(tuple),
        ids=st.lists(ids, max_size=4, unique=True).map(tuple),
    )


def admitted_by_the_view(view, filters: Filters) -> set[str]:
    ids = view.lexical.entry_ids
    return {ids[row] for row in np.flatnonzero(view.admitted(filters))}


def admitted_by_chroma(chroma, filters: Filters) -> set[str]:
    where = chroma_where(filters) if filters else None
    found = chroma.get(where=where, include=["metadatas"])
    return {meta["entry_id"] for meta in found["metadatas"]}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_view_and_chroma_admit_the_same_entries(view, chroma, data):
    filters = data.draw(filters_over(view))
    assert admitted_by_the_view(view, filters) == admitted_by_chroma(chroma, filters)


def test_the_property_is_not_trivially_true(view, chroma):
    """Some filters admit a few entries and others none: the comparison sees real differences."""
    one_day = Filters(days=((view.days[-1], view.days[-1]),))
    assert 0 < len(admitted_by_chroma(chroma, one_day)) < len(view.entries)
    assert admitted_by_the_view(view, Filters(tags=("no-such-tag",))) == set()
    assert admitted_by_the_view(view, Filters()) == set(view.entries)


# --- filters from user input ------------------------------------------------------------------


def test_user_days_are_days_or_ranges_in_text_or_as_dates(view):
    made = user_filters(view, days=["2025-05-21", "2025-05-01/2025-05-16", date(2024, 5, 20)])
    assert made.days == ((date(2025, 5, 21),) * 2, (date(2025, 5, 1), date(2025, 5, 16)), (date(2024, 5, 20),) * 2)


def test_an_open_range_runs_to_the_digests_first_or_last_day(view):
    assert user_filters(view, date_from="2025-05-01").days == ((date(2025, 5, 1), view.days[-1]),)
    assert user_filters(view, date_to="2025-05-01").days == ((view.days[0], date(2025, 5, 1)),)


@pytest.mark.parametrize("arguments, says", [
    ({"days": ["2025-02-30"]}, "'2025-02-30' is not a day (expected YYYY-MM-DD)"),
    ({"days": ["2025-05-21/2025-05-01"]}, "ends before it starts"),
    ({"date_from": "2025-05-21", "date_to": "2025-05-01"}, "date_to 2025-05-01 is before date_from 2025-05-21"),
])
def test_a_day_that_is_no_day_or_a_backward_range_is_a_day_error(view, arguments, says):
    with pytest.raises(DayError, match=says.replace("(", r"\(").replace(")", r"\)")):
        user_filters(view, **arguments)


def test_tags_are_spelled_as_the_digest_does_and_must_be_among_its_tags(view):
    assert user_filters(view, tags=["#Reward_Model"]).tags == ("reward-model",)
    with pytest.raises(FilterError, match="no tag 'rewardmodel'; close ones: reward-model"):
        user_filters(view, tags=["rewardmodel"])
    assert user_filters(tags=["anything"]).tags == ("anything",)  # without the digest: not checked


def test_author_names_are_kept_trimmed(view):
    assert user_filters(view, authors=[" Xueguang Ma ", ""]).authors == ("Xueguang Ma",)
