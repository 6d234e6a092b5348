"""`exports/README.md`: the dataset card the Hub shows, with its YAML front matter.

The front matter declares the `default` config (`data/train-*`) and `dataset_info.features`,
generated from `tribench.schema`, so `datasets.load_dataset` on the folder (or on the Hub repo)
reads the Parquet with exactly the schema's types. The YAML is written by hand, not by a YAML
library: its shape is fixed, and the bytes must not depend on a library's version.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from tribench.constants import EXPORT_SCHEMA_VERSION, Verdict
from tribench.export import json as json_export
from tribench.export import jsonl, parquet
from tribench.export.base import ExportData, Exporter, ExportFile
from tribench.schema import columns_table, hf_features, schema_notes, schema_summary

FILENAME = "README.md"
PRETTY_NAME = "tribench: agent vs human performance optimisations"
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                    (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))


def size_category(n_rows: int) -> str:
    return next((label for limit, label in _SIZE_CATEGORIES if n_rows < limit), "10M<n<100M")


def front_matter(n_rows: int) -> str:
    lines = [
        "---",
        f"pretty_name: '{PRETTY_NAME}'",
        "tags:", "- benchmark", "- performance", "- code-optimization", "- tribench",
        "size_categories:", f"- {size_category(n_rows)}",
        "configs:", "- config_name: default", "  data_files:", "  - split: train",
        f"    path: {parquet.DATA_DIR}/train-*",
        "dataset_info:", "  features:",
    ]
    for feature in hf_features():
        kind, value = ("list", feature["list"]) if "list" in feature else ("dtype", feature["dtype"])
        lines += [f"  - name: {feature['name']}", f"    {kind}: {value}"]
    lines += ["  splits:", "  - name: train", f"    num_examples: {n_rows}", "---"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def _agents_table(data: ExportData) -> list[str]:
    lines = ["| Agent | Model | Rows | Evaluable | beats | matches | loses | inconclusive | no verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    columns = data.columns
    for name, model, evaluable, verdict in zip(columns["agent_name"], columns["agent_model"],
                                               columns["evaluable"], columns["verdict"], strict=True):
        tally = counts[(name or "", model or "")]
        tally["rows"] += 1
        tally["evaluable"] += bool(evaluable)
        tally[verdict or "none"] += 1
    for (name, model), tally in sorted(counts.items()):
        verdicts = " | ".join(str(tally[v.value]) for v in Verdict)
        lines.append(f"| {_cell(name)} | {_cell(model)} | {tally['rows']} | {tally['evaluable']} | "
                     f"{verdicts} | {tally['none']} |")
    return lines


def body(data: ExportData) -> list[str]:
    n_rows = len(data.rows)
    files = [f"- `{parquet.FILENAME}`: the rows, read by `load_dataset` (config `default`, split `train`).",
             f"- `{jsonl.FILENAME}`: the same rows as JSON lines."]
    if len(data.agents) > 1:
        files.append(f"- `{jsonl.BY_AGENT_DIR}/<agent>.jsonl`: the rows of one agent.")
    files.append(f"- `{json_export.FILENAME}`: the full canonical records (per-arm trials, statistics, "
                 "statuses, environment), from which the rows are flattened.")
    return [
        "# tribench results", "",
        "Is a coding agent's performance optimisation as good as the human expert's? Each task is a "
        "commit that made its repository faster; three arms were measured with the task's command on "
        "one machine: **baseline** (the parent commit), **human** (the commit) and **agent** (the "
        "agent's patch on the parent), and compared with bootstrap confidence intervals. "
        "One row per task and agent.", "",
        "| | |", "|---|---|",
        f"| Rows | {n_rows} |", f"| Tasks | {data.tasks} |", f"| Agents | {len(data.agents)} |",
        f"| Evaluable rows | {sum(bool(e) for e in data.columns['evaluable'])} |",
        f"| Export schema | {EXPORT_SCHEMA_VERSION} |", "",
        "## Agents", "", *_agents_table(data), "",
        "## Files", "", *files, "",
        "## Loading", "", "```python", "from datasets import load_dataset", "",
        'ds = load_dataset("ORG/NAME", split="train")  # or a local copy of this folder',
        'serving = ds.filter(lambda r: r["benchmark_mode"] == "serving")', "```", "",
        "## Columns", "", schema_summary(), "", *schema_notes(), "", columns_table(), "",
    ]


class CardExporter(Exporter):
    name = "card"
    owns = (FILENAME,)

    def serialize(self, data: ExportData) -> list[ExportFile]:
        text = front_matter(len(data.rows)) + "\n\n" + "\n".join(body(data))
        return [ExportFile(FILENAME, [text.encode("utf-8")])]
