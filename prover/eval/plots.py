"""The pass-rate-versus-budget figure of a run (PNG). matplotlib is imported here only, with the Agg backend."""

from __future__ import annotations

from pathlib import Path

from prover.errors import DependencyError
from prover.eval.report import CurvePoint, Summary


def _steps(points: tuple[CurvePoint, ...], right_edge: float) -> tuple[list[float], list[float]]:
    xs = [p.budget for p in points] + [right_edge]
    ys = [100.0 * p.rate for p in points] + [100.0 * points[-1].rate if points else 0.0]
    return xs, ys


def pass_rate_png(summary: Summary, path: Path) -> Path:
    """Two step curves side by side: % proved within N LLM calls, and within T seconds of wall time."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError as error:
        raise DependencyError("matplotlib is not installed: pip install 'prover[report]'") from error

    figure, (calls_axis, wall_axis) = plt.subplots(1, 2, figsize=(10, 4), dpi=110, constrained_layout=True)
    panels = (
        (calls_axis, summary.llm_curve, "LLM calls per problem"),
        (wall_axis, summary.wall_curve, "wall time per problem (s)"),
    )
    for axis, points, label in panels:
        largest = max((p.budget for p in points), default=0.0)
        xs, ys = _steps(points, largest * 1.05 if largest > 0 else 1.0)
        axis.step(xs, ys, where="post", linewidth=2, color="#1f77b4")
        axis.set_xlabel(label)
        axis.set_ylabel("proved (% of finished problems)")
        axis.set_ylim(0, 100)
        axis.set_xlim(left=0)
        axis.grid(True, alpha=0.3)
        if axis is calls_axis:
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.axhline(100.0 * summary.overall.rate, color="#888888", linestyle="--", linewidth=1)
    figure.suptitle(
        f"{summary.dataset}: {summary.overall.proved}/{summary.overall.total} proved "
        f"({100 * summary.overall.rate:.1f}%, Wilson 95% {100 * summary.overall.low:.1f}–"
        f"{100 * summary.overall.high:.1f}%)"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp.png")
    figure.savefig(temporary)
    plt.close(figure)
    temporary.replace(path)
    return path
