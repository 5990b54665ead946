"""One operator pass, or a replay of snapshot files through the same engine."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifecycle.snapshots import SnapshotFormatError, load_snapshot_file
from llmops.lib.cli import as_of_argument, model_key
from llmops.lib.progress import Progress
from operator_app.engine import operator_run
from operator_app.locking import LockBusy
from operator_app.summary import replay_row, report_json, report_text


class Command(BaseCommand):
    help = ("Run one operator pass: collect → triage → reason (LLM, classifier fallback) → policy → persist → "
            "auto-execute. With --snapshots, decide from llmops-snapshots/1 files instead (never writes).")

    def add_arguments(self, parser):
        parser.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
        parser.add_argument("--model", action="append", default=[], metavar="P/ID",
                            help="only this model, as provider/model_id (repeatable)")
        parser.add_argument("--dry-run", action="store_true", help="decide and report; write and execute nothing")
        parser.add_argument("--no-llm", action="store_true", help="decide with the deterministic classifier only")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--snapshots", nargs="+", metavar="FILE", help="decide from snapshot files (replay)")
        parser.add_argument("--as-of", help="ISO 8601 moment to decide at (default: now, or each file's as_of)")

    def handle(self, *args, **opts):
        # A replay never writes; a pass writes unless --dry-run.
        as_of = as_of_argument(opts["as_of"], writing=not (opts["dry_run"] or opts["snapshots"]))
        model_keys = [model_key(m, option="--model") for m in opts["model"]]
        progress = Progress("reasoning", stream=self.stderr._out).update
        if opts["snapshots"]:
            return self._replay(opts, as_of=as_of, model_keys=model_keys, progress=progress)
        try:
            report = operator_run(
                as_of=as_of or timezone.now(), providers=opts["provider"] or None, model_keys=model_keys or None,
                dry_run=opts["dry_run"], use_llm=not opts["no_llm"], trigger="command", progress=progress,
            )
        except LockBusy as exc:
            raise CommandError(str(exc)) from None
        if opts["format"] == "json":
            self.stdout.write(json.dumps(report_json(report), indent=2, default=str))
            self.stderr.write(report_text(report))
        else:
            self.stdout.write(report_text(report))

    def _replay(self, opts, *, as_of, model_keys, progress):
        # Read every file first: a bad file stops the replay before anything is decided.
        try:
            snapsets = [load_snapshot_file(path) for path in opts["snapshots"]]
        except SnapshotFormatError as exc:
            raise CommandError(str(exc)) from None
        if not opts["dry_run"]:
            self.stderr.write("replay never writes: --snapshots implies --dry-run")
        rows = []
        for path, snapset in zip(opts["snapshots"], snapsets):
            report = operator_run(
                as_of=as_of or snapset.as_of, snapset=snapset, providers=opts["provider"] or None,
                model_keys=model_keys or None, dry_run=True, use_llm=not opts["no_llm"], trigger="replay",
                progress=progress,
            )
            rows += [replay_row(p, source=path) for p in report.proposals]
            self.stderr.write(f"== {path}\n{report_text(report)}")
        if opts["format"] == "json":
            self.stdout.write(json.dumps(rows, indent=2))
        else:
            for row in rows:
                self.stdout.write(f"{row['source']}: {row['provider']}/{row['model_id']} {row['action']} "
                                  f"{row['confidence']:.2f} auto_execute={row['auto_execute']} "
                                  f"[{row['error_class']}, {row['suggested_by']}] {row['reasoning']}")
