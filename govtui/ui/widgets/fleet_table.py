"""The fleet table: applies new rows by updating only the cells that changed.

Rebuilding a 1000-row DataTable costs about half a second, so a refresh adds and removes only
the rows of models that came or went, updates only differing cells, reorders in place when the
order changed, and keeps the cursor on the same model.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from govtui.ui.render.fleet_rows import CELL_GAP, COLUMNS, FleetRow

# Past this share of rows leaving at once (a new filter), one rebuild beats many removals.
REBUILD_SHARE = 0.5
REBUILD_MIN_ROWS = 64


class FleetTable(DataTable[Text]):
    """One row per model, keyed by model name."""

    DEFAULT_CSS = """
    FleetTable {
        height: 1fr;
    }
    """

    def __init__(self) -> None:
        super().__init__(
            id="fleet-table",
            cursor_type="row",
            zebra_stripes=False,
            fixed_columns=1,
            cell_padding=0,  # cells carry their own gap, so every column fits in 80 columns
        )
        self._order: list[str] = []
        self._shown: dict[str, tuple[Text, ...]] = {}
        self.cells_updated = 0
        self.rows_added = 0
        self.rows_removed = 0
        self.reorders = 0
        self.rebuilds = 0
        self._measure_pending = False

    def on_mount(self) -> None:
        """Columns are fixed for the table's life."""
        for column in COLUMNS:
            label = Text(" " * CELL_GAP + column.label)
            label.justify = "right" if column.numeric else "left"
            self.add_column(label, key=column.key)

    @property
    def row_keys(self) -> list[str]:
        """Model names in display order."""
        return list(self._order)

    @property
    def cursor_key(self) -> str | None:
        """The model under the cursor, None when the table is empty."""
        if not self._order or not 0 <= self.cursor_row < len(self._order):
            return None
        return self._order[self.cursor_row]

    def shown(self, key: str) -> tuple[Text, ...] | None:
        """The cells one model's row shows now."""
        return self._shown.get(key)

    def apply(self, rows: Sequence[FleetRow]) -> None:
        """Show exactly `rows`, in their order, touching only what differs."""
        keep_cursor = self.cursor_key
        keys = [row.key for row in rows]
        wanted = set(keys)
        leaving = [key for key in self._order if key not in wanted]
        if len(leaving) >= REBUILD_MIN_ROWS and len(leaving) > REBUILD_SHARE * len(self._order):
            self._rebuild(rows)
        else:
            for key in leaving:
                self.remove_row(key)
                del self._shown[key]
                self.rows_removed += 1
            for row in rows:
                before = self._shown.get(row.key)
                if before is None:
                    self.add_row(*row.cells, key=row.key)
                    self.rows_added += 1
                    self._measure_pending = True
                else:
                    self._update_row(row, before)
                self._shown[row.key] = row.cells
            kept = [key for key in self._order if key in wanted]
            known = set(kept)
            arrived = [key for key in keys if key not in known]
            if kept + arrived != keys:
                self._reorder(keys)
        self._order = keys
        self._restore_cursor(keep_cursor)

    def on_idle(self) -> None:
        """Once DataTable has measured new rows (in its own idle handler, which runs first), redraw.

        DataTable caches rendered rows without their column widths, so a row drawn before the
        measurement would keep its too-narrow cells; touching one cell invalidates that cache.
        """
        if self._measure_pending and self._order:
            self._measure_pending = False
            first = self._order[0]
            self.update_cell(first, "model", self.get_cell(first, "model"))

    def _update_row(self, row: FleetRow, before: tuple[Text, ...]) -> None:
        for column, old, new in zip(COLUMNS, before, row.cells, strict=True):
            if old is not new and old != new:
                grow = cell_len(new.plain) > self.columns[ColumnKey(column.key)].content_width
                self.update_cell(row.key, column.key, new, update_width=grow)
                self.cells_updated += 1
                self._measure_pending = self._measure_pending or grow

    def _reorder(self, keys: list[str]) -> None:
        position = {key: index for index, key in enumerate(keys)}
        self.sort("model", key=lambda model: position[model.plain[CELL_GAP:]])
        self.reorders += 1

    def _rebuild(self, rows: Sequence[FleetRow]) -> None:
        self.clear()
        self._shown = {}
        for row in rows:
            self.add_row(*row.cells, key=row.key)
            self._shown[row.key] = row.cells
        self.rebuilds += 1
        self._measure_pending = True

    def _restore_cursor(self, key: str | None) -> None:
        if key is None or key not in self._shown:
            return
        index = self._order.index(key)
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False)
