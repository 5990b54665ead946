"""Start SecantusDB exactly like `secantusd-py`, with two aggregation stages fixed to mongod's rules.

Run it with the SecantusDB venv's python (see `make secantus`), with secantusd-py's flags:

    .venv-secantus/bin/python tests/mongo/secantus_launcher.py --host 127.0.0.1 --port P --storage-path :memory:

SecantusDB 0.7.0b3 differs from mongod on one shape that django-mongodb-backend emits: a field
whose value is an object of plain (non-`$`) keys, e.g. `{"$project": {"run": {"status": 1}}}`.

1. `$project`: mongod reads `{"a": {"b": 1}}` as the dotted path `a.b` -- an inclusion, an
   exclusion or a computed expression per leaf. SecantusDB took it as a literal sub-document
   (`a: {b: 1}` on every row). django-mongodb-backend projects the columns of a joined collection
   that way (`values_list()` across a join), so `user.has_perm()` was always False there.
2. `$addFields` / `$set`: mongod merges `{"a": {"c": 1}}` into an existing `a` (again as `a.c`);
   SecantusDB replaced the whole of `a`. django-mongodb-backend emits it for `select_related()`
   with an ordering on the related model.

The fix rewrites exactly that shape into dotted paths, recursively, before SecantusDB's stage
handler sees the spec. That is what mongod does itself, so the handler's own (correct) dotted-path
rules take over. Left alone: operator expressions (`{"$concat": [...]}`, `{"$literal": {...}}`,
any object with a `$` key), scalars, arrays, empty objects, and everything inside an operator's
arguments (there an object is an expression object, not a path).

It is installed in `secantus.aggregate._STAGES`, the table `_apply_stage` looks each stage up in
at run time, so it covers aggregate, `$lookup`/`$facet`/`$unionWith` sub-pipelines, views and
pipeline-style updates (`update_many(filter, [{"$set": …}])`) alike. Anything about SecantusDB
that differs from what this was written against stops the launcher at start (exit 3), so a new
SecantusDB never runs the suite unpatched by accident: re-check the two deviations, then update
SUPPORTED_VERSION (or drop this patch if they were fixed upstream).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Mapping

SUPPORTED_VERSION = "0.7.0b3"
PATCHED_STAGES = ("$project", "$addFields", "$set")


class LauncherError(RuntimeError):
    """SecantusDB is not what this patch was written against."""


def _is_path_object(value) -> bool:
    """A non-empty object whose keys are all plain field names (no `$` operator key)."""
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(key, str) and not key.startswith("$") for key in value)
    )


def dotted_spec(spec: Mapping) -> Mapping:
    """`{"a": {"b": 1, "c": {"d": "$x"}}}` -> `{"a.b": 1, "a.c.d": "$x"}`; other values untouched.

    Returns `spec` itself when nothing is nested, so flat specs reach SecantusDB unchanged. A spec
    in which two spellings name one path (`{"a.b": 1, "a": {"b": 0}}`, a path collision mongod
    rejects) is passed on as written, for SecantusDB to judge.
    """
    if not any(_is_path_object(value) for value in spec.values()):
        return spec
    flat: dict = {}

    def walk(obj: Mapping, prefix: str) -> bool:
        for key, value in obj.items():
            path = prefix + key
            if _is_path_object(value):
                if not walk(value, path + "."):
                    return False
            elif path in flat:
                return False
            else:
                flat[path] = value
        return True

    return flat if walk(spec, "") else spec


def _normalising(handler):
    @functools.wraps(handler)
    def stage(spec, docs, ctx, *args, **kwargs):
        if isinstance(spec, Mapping):
            spec = dotted_spec(spec)
        return handler(spec, docs, ctx, *args, **kwargs)

    stage.__secantus_launcher_patch__ = True
    return stage


def install_patch() -> None:
    """Wrap the three stage handlers; raise LauncherError if SecantusDB is not the expected shape."""
    try:
        import secantus
        from secantus import aggregate
    except ImportError as exc:
        raise LauncherError(f"cannot import SecantusDB ({exc}); run this with the SecantusDB venv's python")
    if getattr(secantus, "__version__", None) != SUPPORTED_VERSION:
        raise LauncherError(
            f"SecantusDB {getattr(secantus, '__version__', '?')} is installed; this patch was written "
            f"and tested against {SUPPORTED_VERSION} (requirements-mongo-server.txt)"
        )
    stages = getattr(aggregate, "_STAGES", None)
    expected = {
        "$project": getattr(aggregate, "_stage_project", None),
        "$addFields": getattr(aggregate, "_stage_add_fields", None),
        "$set": getattr(aggregate, "_stage_add_fields", None),
    }
    if not isinstance(stages, dict) or any(expected[name] is None for name in PATCHED_STAGES):
        raise LauncherError("secantus.aggregate has no _STAGES table / stage handlers any more")
    for name in PATCHED_STAGES:
        handler = stages.get(name)
        if getattr(handler, "__secantus_launcher_patch__", False):
            continue  # installed twice in one process (tests import this module)
        target = handler.func if isinstance(handler, functools.partial) else handler
        if target is not expected[name]:
            raise LauncherError(f"secantus.aggregate._STAGES[{name!r}] is not the handler this patch wraps")
    # The table must be read per stage at run time, or replacing its entries changes nothing.
    if "_STAGES.get(name)" not in inspect.getsource(aggregate._apply_stage):
        raise LauncherError("secantus.aggregate._apply_stage no longer dispatches through _STAGES")
    for name in PATCHED_STAGES:
        if not getattr(stages[name], "__secantus_launcher_patch__", False):
            stages[name] = _normalising(stages[name])
    _self_check(aggregate)


def _self_check(aggregate) -> None:
    """Prove the patch is live on the evaluation path before the server accepts a connection."""
    doc = {"_id": 1, "a": {"b": 1, "c": 2}}
    checks = [
        ([{"$project": {"_id": 0, "a": {"b": 1}}}], [{"a": {"b": 1}}]),
        ([{"$addFields": {"a": {"d": 3}}}], [{"_id": 1, "a": {"b": 1, "c": 2, "d": 3}}]),
        ([{"$set": {"a": {"b": 5}}}], [{"_id": 1, "a": {"b": 5, "c": 2}}]),
    ]
    for pipeline, want in checks:
        got = aggregate.apply_pipeline([dict(doc, a=dict(doc["a"]))], pipeline)
        if got != want:
            raise LauncherError(f"self-check failed: {pipeline} gave {got}, expected {want}")


def main(argv: list[str] | None = None) -> int:
    try:
        install_patch()
    except LauncherError as exc:
        print(f"secantus_launcher: refusing to start: {exc}", file=sys.stderr, flush=True)
        return 3
    print(
        f"secantus_launcher: SecantusDB {SUPPORTED_VERSION}, nested $project/$addFields/$set read as dotted paths",
        file=sys.stderr,
        flush=True,
    )
    from secantus.cli import main as secantusd_main  # what the secantusd-py entry point calls

    return secantusd_main(argv)


if __name__ == "__main__":
    sys.exit(main())
