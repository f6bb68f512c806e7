"""The zh-Hans catalogue ships complete and compiled (the .mo is committed for bare machines)."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_catalogue_is_fully_translated():
    po = polib.pofile(str(LOCALE / "django.po"))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()][:10]
    assert not po.fuzzy_entries()


def test_compiled_catalogue_matches_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    stale = [
        e.msgid for e in po.translated_entries() if compiled.get((e.msgctxt, e.msgid)) != e.msgstr
    ]
    assert not stale, f"run `make messages` to recompile: {stale[:5]}"


def test_strings_render_in_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("My work") == "我的工作"
        assert translation.gettext("Customers") == "客户"


# makemessages finds strings by the call's name: gettext, gettext_lazy, ngettext, pgettext (and
# their _lazy forms) and `_`. A function under any other name hides its strings from the
# catalogue, and the complete-catalogue test above cannot notice what was never extracted.
EXTRACTED_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
APPS = ("servicedesk", "customers", "tickets", "followups", "surveys")


def _translation_aliases(path: Path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            found += [
                f"{a.name} as {a.asname}"
                for a in node.names
                if a.name in EXTRACTED_NAMES and a.asname and a.asname not in EXTRACTED_NAMES
            ]
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id in EXTRACTED_NAMES - {"_"}
        ):
            found += [f"{t.id} = {node.value.id}" for t in node.targets if hasattr(t, "id")]
    return [f"{path.name}:{alias}" for alias in found]


def test_an_alias_is_found(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from django.utils.translation import gettext_lazy as L, gettext as _\nD = gettext_lazy\n"
    )
    assert _translation_aliases(sample) == [
        "sample.py:gettext_lazy as L",
        "sample.py:D = gettext_lazy",
    ]


def test_no_translation_function_hides_under_another_name():
    root = LOCALE.parents[2]
    hidden = [
        alias
        for app in APPS
        for path in sorted((root / app).rglob("*.py"))
        if "migrations" not in path.parts
        for alias in _translation_aliases(path)
    ]
    assert not hidden, f"makemessages cannot see strings translated through {hidden}"
