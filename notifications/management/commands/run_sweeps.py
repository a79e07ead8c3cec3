"""`manage.py run_sweeps [--dry-run] [--no-send]`: every deadline rule once, as beat does, then send."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.models import AlertStatus, Delivery
from notifications.registry import get_rules
from notifications.sweep import sweep


class Command(BaseCommand):
    help = "Runs every deadline rule once (as the beat schedule does), then sends the alerts that are due."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be created and sent; write and send nothing."
        )
        parser.add_argument("--no-send", action="store_true", help="Sweep only; send nothing.")

    def handle(self, *args, dry_run: bool = False, no_send: bool = False, **options) -> None:
        now = timezone.now()
        report = sweep(now, dry_run=dry_run)
        counts = report.by_rule()
        verb = "would create" if dry_run else "created"
        for rule in get_rules():
            self.stdout.write(f"{rule.code}: {verb} {counts.get(rule.code, 0)} alert(s)")
        if dry_run:
            # What the sweep would write: every new alert once per recipient, or among those with none (the
            # preview used to count the alerts and list the deliveries already pending: 27 vs 7).
            self.stdout.write(f"total: would create {len(report.planned)} alert(s)")
            for recipient, n in report.by_recipient().items():
                self.stdout.write(f"would go to {recipient}: {n} alert(s)")
            self.stdout.write(f"without recipient: {report.unaddressed} alert(s)")
            if report.readdressed:
                self.stdout.write(
                    f"earlier alerts without recipient that would now go to someone: {report.readdressed}"
                )
            pending = Delivery.objects.filter(status=AlertStatus.PENDING).values_list("recipient", flat=True)
            recipients: dict[str, int] = {}
            for recipient in pending:
                recipients[recipient] = recipients.get(recipient, 0) + 1
            for recipient, n in sorted(recipients.items()):
                self.stdout.write(f"pending for {recipient}: {n} delivery(ies) (not sent: dry run)")
            return
        self.stdout.write(f"total: created {report.created} alert(s), {report.deliveries} delivery(ies)")
        unaddressed = report.unaddressed + report.still_unaddressed
        if report.readdressed:
            self.stdout.write(f"earlier alerts without recipient now sent to someone: {report.readdressed}")
        if report.closed_unsent:
            self.stdout.write(
                f"earlier alerts without recipient whose record is closed, not sent: {report.closed_unsent}"
            )
        if unaddressed:
            self.stderr.write(
                f"WARNING: {unaddressed} alert(s) without recipient (nobody to send them to): name a contact of "
                "the entity or grant the role; the admin's alert list filters them (Delivery: No recipient)"
            )
        if no_send:
            self.stdout.write("sending skipped (--no-send)")
            return
        from notifications.sending import send_pending

        sent = send_pending(now)
        self.stdout.write(f"sent: {_describe(sent)}")
        if getattr(sent, "had_errors", False):
            self.stderr.write("some deliveries could not be sent: they stay pending (see the admin's ledger)")


def _describe(report: object) -> str:
    parts = []
    for name, value in vars(report).items():
        if isinstance(value, bool | int):
            parts.append(f"{name}={value}")
        elif isinstance(value, list | tuple | set | dict):
            parts.append(f"{name}={len(value)}")
    return ", ".join(parts) or repr(report)
