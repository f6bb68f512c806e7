"""The matrix's figures, gathered across its tests and reported at the end of the run."""

FIGURES = {"cells": 0, "lists_checked": 0, "unauthorised_2xx": [], "foreign_rows": []}


def summary() -> str:
    leaks = FIGURES["unauthorised_2xx"]
    lines = [
        f"access matrix: {FIGURES['cells']} cells, {FIGURES['lists_checked']} list views checked",
        f"unauthorised 2xx = {len(leaks)}",
        f"foreign rows in lists = {len(FIGURES['foreign_rows'])}",
    ]
    lines += [f"  leak: {cell}" for cell in leaks + FIGURES["foreign_rows"]]
    return "\n".join(lines)
