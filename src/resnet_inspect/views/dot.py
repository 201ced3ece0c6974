"""The autograd graph as Graphviz DOT, for ``dot -Tsvg``; writing it needs no Graphviz."""

from __future__ import annotations

from resnet_inspect.report import GraphReport
from resnet_inspect.views import units


def graph_dot(report: GraphReport) -> str:
    """Graphviz DOT: one cluster per section, leaves labelled with parameter name and shape."""
    lines = [
        "digraph autograd {",
        "  rankdir=TB;",
        '  node [shape=box, fontname="Helvetica", fontsize=10];',
    ]
    by_section: dict[str, list[str]] = {}
    for node in report.nodes:
        if node.param:
            text = f"{node.kind}\\n{node.param}\\n{units.shape(node.param_shape)}"
            style = ', shape=ellipse, style=filled, fillcolor="lightblue"'
        else:
            text = f"{node.kind}\\n{node.module}"
            style = ""
        by_section.setdefault(node.section, []).append(
            f'    n{node.index} [label="{_escape(text)}"{style}];'
        )
    for section in report.summary.saved_bytes_by_section:  # every section, in model order
        if section in by_section:
            lines.append(f"  subgraph cluster_{section} {{")
            lines.append(f'    label="{section}";')
            lines.extend(by_section[section])
            lines.append("  }")
    lines.extend(f"  n{parent} -> n{child};" for parent, child in report.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace('"', '\\"')
