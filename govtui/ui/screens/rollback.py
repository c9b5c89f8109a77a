"""The rollback dialog: pre-flight checklist, reason, confirmation, dry run, outcome, traffic.

Opened by `R` on the model screen or `:rollback [VERSION]`. It asks the Collector for the plan
(RollbackPlanRequest), shows each guardrail (ok / FAIL / info) with the target's evaluation
metrics, and only offers "Roll back" when every guardrail passes. The request carries the
version the operator saw as the expected current, so a concurrent move is refused. The outcome
shown is the Collector's (ActionReply): a refused, failed or unconfirmed move is never shown as
done. After a move, the traffic watch's replies show how much traffic the target serves.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Static

from govtui.errors import EXIT_CHECK_FAILED, EXIT_READ_ONLY
from govtui.fleet.requests import (
    ActionReply,
    CheckLine,
    RollbackPlanReply,
    RollbackPlanRequest,
    RollbackRequest,
    TrafficReply,
)
from govtui.ui.render.action_text import outcome_style, outcome_word
from govtui.ui.render.model_text import Palette
from govtui.ui.screens.action_modals import ActionDialog, dialog_css, send_action

CHECK_MARKS = {True: "ok  ", False: "FAIL", None: "info"}


def checklist_text(plan: RollbackPlanReply, palette: Palette) -> Text:
    """The plan as the dialog shows it: the move, each check, the target's metrics, the verdict."""
    text = Text()
    if plan.error is not None:
        text.append("no plan: ", style=palette.crit)
        text.append(plan.error)
        return text
    text.append(f"{plan.alias}: {plan.current or 'nothing'} -> {plan.target or '?'}\n", "bold")
    for item in plan.checklist:
        text.append_text(check_line(item, palette))
        text.append("\n")
    if plan.metrics:
        figures = ", ".join(f"{name} {value:.4g}" for name, value in plan.metrics)
        text.append("target's evaluation metrics: ", style=palette.muted)
        text.append(f"{figures}\n")
    if plan.ok:
        text.append("every guardrail passes", style=palette.ok)
    else:
        text.append("refused: ", style=palette.crit)
        text.append(plan.refusal)
    return text


def check_line(item: CheckLine, palette: Palette) -> Text:
    """`[ok  ] target READY  READY` in the item's style."""
    style = {True: palette.ok, False: palette.crit, None: palette.muted}[item.ok]
    line = Text()
    line.append(f"[{CHECK_MARKS[item.ok]}] ", style=style)
    line.append(f"{item.name:<17}", style="bold" if item.ok is False else "")
    line.append(item.detail)
    return line


class RollbackScreen(ActionDialog):
    """Roll a model back behind its guardrails."""

    DEFAULT_CSS = (
        dialog_css("RollbackScreen")
        + """
    RollbackScreen .dialog {
        width: 96;
    }
    RollbackScreen #rollback-body {
        height: auto;
        max-height: 100%;
    }
    RollbackScreen #rollback-confirm {
        display: none;
    }
    RollbackScreen.-protected #rollback-confirm {
        display: block;
    }
    RollbackScreen #rollback-outcome {
        height: auto;
        margin-top: 1;
    }
    """
    )
    AUTO_FOCUS = "#rollback-reason"

    def __init__(self, model: str, *, to: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.to = to
        self.plan: RollbackPlanReply | None = None
        self.sent: RollbackRequest | None = None
        self.outcome: ActionReply | None = None
        self.traffic: TrafficReply | None = None
        self.palette = Palette()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"), VerticalScroll(id="rollback-body"):
            yield Static(Text(f"Roll back {self.model}"), classes="dialog-title")
            yield Static(
                Text("asking the registry for the pre-flight checks ..."), id="rollback-plan"
            )
            yield Input(
                placeholder="reason (required; goes to the audit log)", id="rollback-reason"
            )
            yield Input(
                placeholder=f"protected model: type {self.model} to confirm",
                id="rollback-confirm",
            )
            yield Checkbox("dry run: check and record, move nothing", id="rollback-dry-run")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Roll back", id="rollback-submit", variant="error", disabled=True)
                yield Button("Close", id="rollback-cancel")
            yield Static("", id="rollback-outcome")

    def on_mount(self) -> None:
        """Ask the Collector for the plan."""
        self.palette = Palette.from_theme(self.app.theme_variables)
        send_action(self.app, RollbackPlanRequest(self.model, self.to))

    # -------------------------------------------------------------- replies

    def on_action_arrived(self, message: Any) -> None:
        """The plan, the outcome, then traffic updates (replies for other models are ignored)."""
        reply = message.reply
        if isinstance(reply, RollbackPlanReply) and reply.model == self.model:
            if self.sent is None and not self.finished:
                self.show_plan(reply)
        elif (
            isinstance(reply, ActionReply)
            and reply.kind == "rollback"
            and reply.target == self.model
            and self.sent is not None
        ):
            self.show_outcome(reply)
        elif isinstance(reply, TrafficReply) and reply.model == self.model:
            self.traffic = reply
            self._render_outcome()

    def show_plan(self, plan: RollbackPlanReply) -> None:
        """The checklist; "Roll back" is offered only when every guardrail passes."""
        self.plan = plan
        self.query_one("#rollback-plan", Static).update(checklist_text(plan, self.palette))
        self.set_class(plan.protected, "-protected")
        ready = plan.error is None and plan.ok and plan.target is not None
        self.query_one("#rollback-submit", Button).disabled = not ready

    def show_outcome(self, reply: ActionReply) -> None:
        """DONE / DRY RUN / REFUSED / FAILED, in the Collector's words."""
        self.outcome = reply
        self.sent = None
        submit = self.query_one("#rollback-submit", Button)
        if self.finished:
            submit.disabled = True
        elif reply.exit_code == EXIT_CHECK_FAILED:
            # Refused by a guardrail (a concurrent move, say): re-read the checklist.
            submit.disabled = True
            send_action(self.app, RollbackPlanRequest(self.model, self.to))
        else:
            submit.disabled = reply.exit_code == EXIT_READ_ONLY or not (
                self.plan is not None and self.plan.ok
            )
        self._render_outcome()

    @property
    def finished(self) -> bool:
        """The alias moved (a dry run or a refusal leaves the dialog ready for another try)."""
        return self.outcome is not None and self.outcome.ok and self.outcome.outcome != "dry-run"

    def _render_outcome(self) -> None:
        text = Text()
        reply = self.outcome
        if reply is not None:
            word = outcome_word(reply)
            text.append(f"{word}: ", style=outcome_style(word, self.palette))
            text.append(reply.message)
        elif self.sent is not None:
            text.append("rolling back ...", style=self.palette.muted)
        if self.traffic is not None:
            text.append("\n")
            style = self.palette.ok if self.traffic.done else self.palette.warn
            text.append(self.traffic.message, style=style if self.traffic.final else "")
        self.query_one("#rollback-outcome", Static).update(text)

    # -------------------------------------------------------------- submit

    def submit(self) -> None:
        """Check the inputs and send the rollback with the version the operator saw."""
        plan = self.plan
        if plan is None or plan.error is not None or not plan.ok or plan.target is None:
            self.error("the pre-flight checks do not allow this rollback")
            return
        if self.sent is not None or self.finished:
            return
        reason = " ".join(self.query_one("#rollback-reason", Input).value.split())
        if not reason:
            self.error("a reason is required")
            self.query_one("#rollback-reason", Input).focus()
            return
        confirm: str | None = None
        if plan.protected:
            confirm = self.query_one("#rollback-confirm", Input).value.strip()
            if confirm != self.model:
                self.error(f"protected model: type {self.model} to confirm")
                self.query_one("#rollback-confirm", Input).focus()
                return
        dry_run = self.query_one("#rollback-dry-run", Checkbox).value
        request = RollbackRequest(
            self.model,
            plan.target,
            reason,
            expect_current=plan.current,
            confirm=confirm,
            dry_run=dry_run,
        )
        self.error(None)
        if send_action(self.app, request):
            self.sent = request
            self.outcome = None
            self.query_one("#rollback-submit", Button).disabled = True
            self._render_outcome()


def open_rollback(app: Any, model: str, to: str | None = None) -> None:
    """The rollback dialog for a model (to the previous champion unless `to` is given)."""
    app.push_screen(RollbackScreen(model, to=to))
