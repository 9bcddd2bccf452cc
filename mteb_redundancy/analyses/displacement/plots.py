"""Figures of the instruction-displacement map (Ogawa et al., Figures 1 and 2).

The format follows the file suffix (``.png``, ``.svg``, ``.pdf``); files are written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mteb_redundancy._io import check_figure_path, new_figure, save_figure
from mteb_redundancy.analyses.displacement.map import DisplacementMap

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


def heatmap_path(path: str | Path) -> Path:
    """Where the distance heatmap goes next to the map: ``<stem>-distances<suffix>``."""
    path = Path(path)
    return path.with_name(f"{path.stem}-distances{path.suffix}")


def short_label(model: str) -> str:
    """``org/name (prompt=x, dim=d)`` -> ``name (prompt=x, dim=d)``: the organization is noise in a legend."""
    head, sep, options = model.partition(" (")
    return head.rsplit("/", 1)[-1] + (sep + options if sep else "")


def plot_map(result: DisplacementMap, path: str | Path) -> Path:
    """The MDS map: one point per (model, condition), colour = model, marker = condition, a line
    from each model's Base to each of its conditions."""
    from matplotlib import colormaps
    from matplotlib.lines import Line2D

    path = check_figure_path(path)
    colours = colormaps["tab10" if len(result.models) <= 10 else "tab20"]
    markers = {c: _MARKERS[i % len(_MARKERS)] for i, c in enumerate(result.conditions)}
    index = {label: i for i, label in enumerate(result.points)}
    fig = new_figure(figsize=(8, 6.5))
    ax = fig.subplots()
    for m_index, model in enumerate(result.models):
        colour = colours(m_index % colours.N)
        bx, by = result.coords[index[(model, result.base_condition)]]
        for condition in result.conditions:
            x, y = result.coords[index[(model, condition)]]
            if condition != result.base_condition:
                ax.plot([bx, x], [by, y], color=colour, linewidth=1.0, alpha=0.7, zorder=1)
            ax.scatter(
                x, y, color=colour, marker=markers[condition], s=70 if condition == result.base_condition else 45,
                edgecolors="black", linewidths=0.5, zorder=2,
            )
    model_handles = [
        Line2D([], [], color=colours(i % colours.N), linewidth=2, label=short_label(m)) for i, m in enumerate(result.models)
    ]
    condition_handles = [
        Line2D([], [], color="grey", marker=markers[c], linestyle="", markeredgecolor="black", label=c)
        for c in result.conditions
    ]
    first = ax.legend(handles=model_handles, title="model", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.add_artist(first)
    second = ax.legend(handles=condition_handles, title="condition", loc="lower left", bbox_to_anchor=(1.01, 0.0), fontsize=8)
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(
        f"Instruction displacement; reference: {short_label(result.reference)}\n"
        f"PCA k={result.k_common}; {result.point_mode} points; MDS stress-1 {result.stress:.3f}",
        fontsize=9,
    )
    ax.grid(True, linewidth=0.3, alpha=0.5)
    return save_figure(fig, path, bbox_inches="tight", bbox_extra_artists=[first, second])


def plot_distance_heatmap(result: DisplacementMap, path: str | Path) -> Path:
    """The normalized Procrustes distances, row = model aligned onto column = reference."""
    path = check_figure_path(path)
    n = len(result.models)
    size = max(4.0, 0.8 * n + 2.5)
    fig = new_figure(figsize=(size + 1.0, size))
    ax = fig.subplots()
    image = ax.imshow(result.distances, cmap="viridis", vmin=0.0)
    labels = [short_label(m) for m in result.models]
    ax.set_xticks(np.arange(n), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(np.arange(n), labels, fontsize=8)
    ax.set_xlabel("reference (aligned onto)")
    ax.set_ylabel("aligned model")
    top = float(result.distances.max()) or 1.0
    if n <= 15:
        for i in range(n):
            for j in range(n):
                value = result.distances[i, j]
                ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize=7, color="white" if value < 0.6 * top else "black")
    fig.colorbar(image, ax=ax, label="normalized Procrustes distance")
    ax.set_title(
        f"Normalized Procrustes distance (Base, PCA k={result.k_common})\nreference: {short_label(result.reference)}",
        fontsize=9,
    )
    return save_figure(fig, path, bbox_inches="tight")
