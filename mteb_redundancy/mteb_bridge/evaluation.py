"""Running MTEB's own evaluation of a task: more than once in a process, as separate runs would; over
existing results that MTEB's ``only-missing`` would wrongly keep; with scikit-learn's metric warnings
counted rather than printed one by one."""

from __future__ import annotations

import contextlib
import copy
import logging
import random
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def fresh_task(task):
    """The task as ``mteb.get_task`` hands it to a separate run: same loaded data, random state
    re-seeded as ``AbsTask.__init__`` seeds it (clustering draws its samples from ``rng_state``),
    so that every d of a sweep scores exactly as its own ``mteb run`` would."""
    fresh = copy.copy(task)
    random.seed(task.seed)
    np.random.seed(task.seed)  # noqa: NPY002  (MTEB seeds the global state too)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(task.seed)
    fresh.rng_state = random.Random(task.seed)
    fresh.np_rng = np.random.default_rng(task.seed)
    return fresh


# ----------------------------------------------------------------------------------------------
# One evaluation: existing results checked, scikit-learn's metric warnings counted


def evaluate_task(model, task, cache, *, metric_warnings: MetricWarnings | None = None, configuration: str = "", **kwargs):
    """``mteb.evaluate`` of one model on one task with MTEB's ``only-missing``, except that an existing
    result MTEB would keep is computed again when it cannot be read (a run killed while MTEB wrote
    it) or is of another dataset revision than the task's (``only-missing`` compares neither).
    ``metric_warnings`` counts the scikit-learn metric warnings of the evaluation under
    ``configuration`` instead of printing each."""
    import mteb

    from mteb_redundancy.mteb_bridge.results_layout import read_task_result, task_result_path

    strategy = "only-missing"
    path = task_result_path(cache, task.metadata.name, model.mteb_model_meta)
    if path.exists() and read_task_result(path, task) is None:
        strategy = "always"
    capture = metric_warnings.capture(task.metadata.name, configuration) if metric_warnings is not None else contextlib.nullcontext()
    with capture:
        return mteb.evaluate(model, task, cache=cache, overwrite_strategy=strategy, **kwargs)


def _is_metric_warning(category: type) -> bool:
    # scikit-learn's UndefinedMetricWarning (precision or F1 of a class never predicted, at small d)
    # and its relatives, by name: no scikit-learn import for a run that never warns.
    return category.__name__ in {"UndefinedMetricWarning", "ConvergenceWarning"} and category.__module__.startswith("sklearn")


@dataclass
class MetricWarnings:
    """scikit-learn's metric warnings, counted per task and configuration: the console gets one line
    per task (:meth:`report`), ``log`` the messages and where they came from."""

    log: Path | None = None
    counts: dict[str, dict[str, Counter]] = field(default_factory=dict)  # task -> configuration -> message -> n

    @contextlib.contextmanager
    def capture(self, task_name: str, configuration: str):
        with warnings.catch_warnings(record=True) as caught:
            try:
                from sklearn.exceptions import UndefinedMetricWarning

                warnings.simplefilter("always", UndefinedMetricWarning)  # every one counted, not the first per line
            except ImportError:
                pass
            try:
                yield
            finally:
                kept = []
                for item in caught:
                    if _is_metric_warning(item.category):
                        message = f"{item.category.__name__}: {str(item.message).splitlines()[0]} ({Path(item.filename).name}:{item.lineno})"
                        self.counts.setdefault(task_name, {}).setdefault(configuration, Counter())[message] += 1
                    else:
                        kept.append(item)
        for item in kept:  # the others as they would have been shown
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno, source=item.source)

    def report(self, task_name: str) -> str | None:
        """One console line for the task's metric warnings (``None`` if there were none); the details
        are appended to ``log``."""
        by_configuration = self.counts.pop(task_name, {})
        if not by_configuration:
            return None
        total = sum(sum(c.values()) for c in by_configuration.values())
        names = sorted({m.split(":")[0] for c in by_configuration.values() for m in c})
        worst = sorted(by_configuration, key=lambda k: -sum(by_configuration[k].values()))
        shown = ", ".join(f"{k or 'the model'} ({sum(by_configuration[k].values())})" for k in worst[:3])
        more = f" and {len(worst) - 3} more" if len(worst) > 3 else ""
        line = (
            f"{task_name}: scikit-learn warned {total} times ({', '.join(names)}) over {len(by_configuration)} "
            f"configuration(s): {shown}{more}. scikit-learn sets a metric it cannot define (e.g. the precision "
            f"of a class never predicted) to 0."
        )
        if self.log is not None:
            from mteb_redundancy._io import atomic_write_text

            details = [f"## {task_name}"]
            for configuration in worst:
                details += [f"{configuration or 'the model'}:"] + [
                    f"  {n} x {message}" for message, n in by_configuration[configuration].most_common()
                ]
            previous = self.log.read_text("utf-8") if self.log.exists() else ""
            atomic_write_text(self.log, previous + "\n".join(details) + "\n")
            line += f" Details: {self.log}."
        logger.warning(line)
        return line
