"""Integer arrays sent to PostgreSQL as one literal.

psycopg2 adapts a Python list to ARRAY[1, 2, …], which the server parses as one expression per
element: 12,000 ids cost ~25 ms before planning starts. The same ids as the text '{1,2,…}' cast to
an array type (`%s::bigint[]`) are read by the array type's input function in ~2 ms."""


def int_array(values) -> str:
    """The literal of an integer array, for a `%s::bigint[]` (or smallint[], integer[]) param.
    Each value goes through int(), so nothing but digits and signs reaches the literal."""
    return "{" + ",".join(map(str, map(int, values))) + "}"
