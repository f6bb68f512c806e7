import pytest
from django.db import IntegrityError

from tests.tickets.factories import RecordFactory
from tickets.models import ServiceRecord, Status

ALL = set(Status.values)
EXPECTED = {
    ("new", "open"),
    ("open", "pending"),
    ("open", "resolved"),
    ("pending", "open"),
    ("pending", "resolved"),
    ("resolved", "closed"),
    ("resolved", "open"),
    ("closed", "open"),
}


def test_transition_table_is_exactly_the_documented_flow():
    table = {(a, b) for a, targets in ServiceRecord.ALLOWED_TRANSITIONS.items() for b in targets}
    assert table == EXPECTED


def test_transition_table_covers_every_status_and_names_only_known_ones():
    assert set(ServiceRecord.ALLOWED_TRANSITIONS) == ALL
    for targets in ServiceRecord.ALLOWED_TRANSITIONS.values():
        assert targets <= ALL


@pytest.mark.django_db
def test_paid_record_without_amount_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        RecordFactory(fee="paid", fee_amount=None)


@pytest.mark.django_db
def test_reference_is_padded():
    record = RecordFactory()
    assert record.reference == f"SR-{record.pk:06d}"
