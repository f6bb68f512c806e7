"""servicedesk.core.pg_arrays: integer arrays sent as one literal."""

from array import array

import pytest
from django.db import connection

from servicedesk.core.pg_arrays import int_array


def test_the_literal_holds_each_value_as_an_integer():
    assert int_array([3, -1, 2]) == "{3,-1,2}"
    assert int_array(array("q", [7])) == "{7}"
    assert int_array([]) == "{}"
    with pytest.raises(ValueError):
        int_array(["1},{2"])  # nothing but integers reaches the literal


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL array literal")
def test_postgresql_reads_it_back_as_the_same_array(db):
    values = [2**40, -5, 0, 17]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [int_array(values)])
        assert cursor.fetchone()[0] == values
